package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/activa-dev/activa/processors/kpi"
	"github.com/activa-dev/activa/processors/segments"
	"github.com/activa-dev/activa/topology"
)

func flags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("config", "", "")
	addConnFlags(fs)
	addIngestFlags(fs)
	return fs
}

// TestSettingsPrecedence: flags over environment over YAML over defaults.
func TestSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "activa.yaml")
	yaml := "brokers: [yaml-a:9092, yaml-b:9092]\nregistry: http://yaml:8081\nprefix: yaml.\nsasl-mechanism: PLAIN\nsasl-user: y\nmax-skew: 2m\nfetch-partition-bytes: 32768\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ACTIVA_REGISTRY", "http://env:8081")
	t.Setenv("ACTIVA_SASL_USER", "env-user")
	t.Setenv("ACTIVA_PARTITIONS", "12")
	fs := flags()
	if err := fs.Parse([]string{"--config", cfg, "--prefix", "flag."}); err != nil {
		t.Fatal(err)
	}
	s, err := load(fs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.Brokers, ",") != "yaml-a:9092,yaml-b:9092" {
		t.Errorf("brokers %v, want the YAML list", s.Brokers)
	}
	if s.Registry != "http://env:8081" || s.SASLUser != "env-user" || s.Partitions != 12 {
		t.Errorf("environment did not override YAML: %+v", s)
	}
	if s.Prefix != "flag." {
		t.Errorf("prefix %q, want the flag's", s.Prefix)
	}
	if s.SASLMechanism != "PLAIN" || s.MaxSkew != 2*time.Minute || s.Kafka().FetchPartitionBytes != 32768 {
		t.Errorf("YAML values lost: %+v", s)
	}
	if s.Replication != 1 || s.ClientID != "activa" {
		t.Errorf("defaults lost: %+v", s)
	}
	if err := s.validateConn(); err != nil {
		t.Errorf("valid settings refused: %v", err)
	}
}

func TestSettingsEnvList(t *testing.T) {
	t.Setenv("ACTIVA_BROKERS", "a:1,b:2")
	s, err := load(flags())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.Brokers, "|") != "a:1|b:2" {
		t.Fatalf("brokers %q", s.Brokers)
	}
}

func TestSettingsValidation(t *testing.T) {
	cases := map[string][]string{
		"no brokers given":          {"--registry", "http://r:8081"},
		"no URL given":              {"--brokers", "a:1"},
		"is not an http(s) URL":     {"--brokers", "a:1", "--registry", "r:8081"},
		"unknown sasl mechanism":    {"--brokers", "a:1", "--registry", "http://r", "--sasl-mechanism", "GSSAPI"},
		"needs a user":              {"--brokers", "a:1", "--registry", "http://r", "--sasl-mechanism", "SCRAM-SHA-512"},
		"is not host:port":          {"--brokers", "nohost", "--registry", "http://r"},
		"cert-file and key-file go": {"--brokers", "a:1", "--registry", "http://r", "--tls-cert-file", "c.pem"},
		"partitions 0 < 1":          {"--brokers", "a:1", "--registry", "http://r", "--partitions", "0"},
	}
	for want, args := range cases {
		fs := flags()
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		s, err := load(fs)
		if err != nil {
			t.Fatal(err)
		}
		err = s.validateConn()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: err = %v, want it to say %q", args, err, want)
		}
	}
	fs := flags()
	if err := fs.Parse([]string{"--config", "/nonexistent/activa.yaml"}); err != nil {
		t.Fatal(err)
	}
	if _, err := load(fs); err == nil || !strings.Contains(err.Error(), "reading config file") {
		t.Errorf("missing config file: err = %v", err)
	}
}

func TestSegmentRulesFromYAML(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	yaml := `tiers:
  name: spend
  metric: monetary_30d + offline_spend
  hysteresis: 0.2
  levels:
    - {name: member, min: 1}
    - {name: vip, min: 1000}
lifecycle:
  - name: fresh
    when: days_since_first_seen <= 7
  - {name: regular, when: "true"}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := loadSegmentRules(path)
	if err != nil {
		t.Fatal(err)
	}
	want := segments.Rules{
		Tiers: segments.Ladder{
			Name: "spend", Metric: "monetary_30d + offline_spend", Hysteresis: 0.2,
			Levels: []segments.Level{{Name: "member", Min: 1}, {Name: "vip", Min: 1000}},
		},
		Lifecycle: []segments.Stage{{Name: "fresh", When: "days_since_first_seen <= 7"}, {Name: "regular", When: "true"}},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("rules %+v, want %+v", r, want)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("tiers:\n  metric: spend_forever\n  levels: [{name: a, min: 1}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSegmentRules(bad); err == nil || !strings.Contains(err.Error(), "spend_forever") || !strings.Contains(err.Error(), bad) {
		t.Errorf("rules with an unknown variable: %v", err)
	}
}

// TestTheReadmeShowsTheDefaultSegmentRules: the YAML of the README's
// Segments section loads and is the default rules.
func TestTheReadmeShowsTheDefaultSegmentRules(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Segments\n")
	_, block, ok2 := strings.Cut(section, "```yaml\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("no yaml block in the README's Segments section")
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(block), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := loadSegmentRules(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := segments.DefaultRules(); !reflect.DeepEqual(r, want) {
		t.Errorf("README rules %+v, want the defaults %+v", r, want)
	}
}

// A churn stage that no lifecycle stage is named is refused at start-up,
// against the default rules and against a rules file.
func TestTheChurnStageMustBeALifecycleStage(t *testing.T) {
	if _, err := (Settings{ChurnStage: "at-risk"}).loadTuning(); err != nil {
		t.Errorf("the default churn stage against the default rules: %v", err)
	}
	if _, err := (Settings{ChurnStage: "dormant"}).loadTuning(); err == nil || !strings.Contains(err.Error(), `"dormant"`) {
		t.Errorf("dormant against the default rules: error %v, want one naming the stage", err)
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	rules := "lifecycle:\n  - {name: active, when: \"days_since_last_seen <= 30\"}\n  - {name: dormant, when: \"true\"}\n"
	if err := os.WriteFile(path, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	tu, err := (Settings{ChurnStage: "dormant", SegmentRules: path, CartDelay: time.Hour}).loadTuning()
	if err != nil || tu.ChurnStage != "dormant" || tu.SegmentRules == nil || len(tu.SegmentRules.Lifecycle) != 2 || tu.CartDelay != time.Hour {
		t.Errorf("dormant against a file that has it: tuning %+v, error %v", tu, err)
	}
	if _, err := (Settings{ChurnStage: "at-risk", SegmentRules: path}).loadTuning(); err == nil || !strings.Contains(err.Error(), "churn-stage") {
		t.Errorf("at-risk against a file without it: error %v", err)
	}
}

func TestSegmentDimsAreReadAtStartUp(t *testing.T) {
	tu, err := (Settings{SegmentDims: []string{"log1p(monetary_90d)", "store_share"}}).loadTuning()
	if want := []segments.Dim{{Name: "monetary_90d", Log: true}, {Name: "store_share"}}; err != nil || !reflect.DeepEqual(tu.SegmentDims, want) {
		t.Errorf("tuning dims %v, error %v; want %v", tu.SegmentDims, err, want)
	}
	if _, err := (Settings{SegmentDims: []string{"log1p(monetary_90d"}}).loadTuning(); err == nil || !strings.Contains(err.Error(), "--segment-dims") {
		t.Errorf("a bad dimension: error %v", err)
	}
	if got := dimNames(segments.DefaultDims()); len(got) != len(segments.DefaultDims()) || got[1] != "log1p(monetary_90d)" {
		t.Errorf("flag default %q", got)
	}
}

// TestKpiRulesAreTunedByFlagsAndYAML: the kpi flags, from the command line
// or a YAML file, reach the tuning; the defaults leave it alone; a value
// out of range is refused at start-up, naming the flag.
func TestKpiRulesAreTunedByFlagsAndYAML(t *testing.T) {
	parse := func(args ...string) (topology.Tuning, error) {
		t.Helper()
		fs := flags()
		addProcessorFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		s, err := load(fs)
		if err != nil {
			t.Fatal(err)
		}
		return s.loadTuning()
	}
	tu, err := parse()
	if err != nil || tu.KpiRules != nil || tu.KpiAlertAfter != 336*time.Hour {
		t.Errorf("defaults: rules %+v, alert after %v, error %v; want no rules and two weeks", tu.KpiRules, tu.KpiAlertAfter, err)
	}
	cfg := filepath.Join(t.TempDir(), "activa.yaml")
	if err := os.WriteFile(cfg, []byte("kpi-confidence: 3\nkpi-alert-after: 48h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tu, err = parse("--config", cfg, "--kpi-shortfall", "0.2", "--kpi-consecutive", "4")
	want := kpi.DefaultRules()
	want.Shortfall, want.Consecutive, want.Confidence = 0.2, 4, 3
	if err != nil || tu.KpiRules == nil || *tu.KpiRules != want || tu.KpiAlertAfter != 48*time.Hour {
		t.Errorf("tuned: rules %+v, alert after %v, error %v; want %+v and 48h", tu.KpiRules, tu.KpiAlertAfter, err, want)
	}
	for _, args := range [][]string{
		{"--kpi-shortfall", "1.5"},
		{"--kpi-alert-after", "90m"},
		{"--kpi-alert-after", "24h"},
	} {
		if _, err := parse(args...); err == nil || !strings.Contains(err.Error(), "--kpi-") {
			t.Errorf("%v: error %v, want one naming the flag", args, err)
		}
	}
}
