package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
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
	yaml := "brokers: [yaml-a:9092, yaml-b:9092]\nregistry: http://yaml:8081\nprefix: yaml.\nsasl-mechanism: PLAIN\nsasl-user: y\nmax-skew: 2m\n"
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
	if s.SASLMechanism != "PLAIN" || s.MaxSkew != 2*time.Minute {
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
