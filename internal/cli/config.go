package cli

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"

	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/processors/kpi"
	"github.com/activa-dev/activa/processors/segments"
	"github.com/activa-dev/activa/topology"
)

// Settings are the options shared by the commands that talk to Kafka and
// the Schema Registry. They come, by increasing precedence, from defaults,
// a YAML file (--config or ACTIVA_CONFIG), environment variables (ACTIVA_
// followed by the flag name in upper case with '-' as '_', for example
// ACTIVA_SASL_MECHANISM) and flags. The YAML keys are the flag names.
type Settings struct {
	Brokers          []string      `koanf:"brokers"`
	Registry         string        `koanf:"registry"`
	RegistryUser     string        `koanf:"registry-user"`
	RegistryPassword string        `koanf:"registry-password"`
	Prefix           string        `koanf:"prefix"`
	Partitions       int32         `koanf:"partitions"`
	Replication      int16         `koanf:"replication"`
	CompactionLag    time.Duration `koanf:"compaction-lag"`
	TombstoneKeep    time.Duration `koanf:"tombstone-retention"`
	ClientID         string        `koanf:"client-id"`
	KafkaVersion     string        `koanf:"kafka-version"`
	Compression      string        `koanf:"compression"`
	FetchBytes       int32         `koanf:"fetch-partition-bytes"`
	SASLMechanism    string        `koanf:"sasl-mechanism"`
	SASLUser         string        `koanf:"sasl-user"`
	SASLPassword     string        `koanf:"sasl-password"`
	TLS              bool          `koanf:"tls"`
	TLSCAFile        string        `koanf:"tls-ca-file"`
	TLSCertFile      string        `koanf:"tls-cert-file"`
	TLSKeyFile       string        `koanf:"tls-key-file"`
	TLSServerName    string        `koanf:"tls-server-name"`
	TLSInsecure      bool          `koanf:"tls-insecure-skip-verify"`
	HashKey          string        `koanf:"hash-key"`
	HTTP             string        `koanf:"http"`
	LogLevel         string        `koanf:"log-level"`
	LogFormat        string        `koanf:"log-format"`
	MaxSkew          time.Duration `koanf:"max-skew"`
	MaxBytes         int           `koanf:"max-bytes"`

	SessionGap         time.Duration `koanf:"session-gap"`
	SessionLateness    time.Duration `koanf:"session-lateness"`
	SessionGrace       time.Duration `koanf:"session-grace"`
	SessionIdleTimeout time.Duration `koanf:"session-idle-timeout"`
	SweepEvery         time.Duration `koanf:"sweep-every"`
	CartDelay          time.Duration `koanf:"cart-delay"`
	FormDelay          time.Duration `koanf:"form-delay"`
	GCPercent          int           `koanf:"gc-percent"`
	SegmentRules       string        `koanf:"segment-rules"`
	SegmentClusters    int           `koanf:"segment-clusters"`
	SegmentSeedPoints  int           `koanf:"segment-seed-points"`
	SegmentDims        []string      `koanf:"segment-dims"`
	ChurnStage         string        `koanf:"churn-stage"`
	KpiConsecutive     int           `koanf:"kpi-consecutive"`
	KpiResolveAfter    int           `koanf:"kpi-resolve-after"`
	KpiShortfall       float64       `koanf:"kpi-shortfall"`
	KpiMinRemaining    float64       `koanf:"kpi-min-remaining"`
	KpiConfidence      float64       `koanf:"kpi-confidence"`
	KpiAlertAfter      time.Duration `koanf:"kpi-alert-after"`
}

// defaultGCPercent is the garbage collector's target for the processors.
// Their live heap is small (the state is in the local tables) and their
// allocation rate high, so collecting at 5 times the live heap instead of
// twice cuts the collector's CPU share for some more memory: 12% more
// events/s in BenchmarkPipeline.
const defaultGCPercent = 400

// addProcessorFlags declares the processors' tuning flags on fs.
func addProcessorFlags(fs *pflag.FlagSet) {
	fs.Duration("session-gap", 30*time.Minute, "inactivity gap that ends a session, in event time")
	fs.Duration("session-lateness", 5*time.Minute, "how far behind a profile's latest event an event may arrive and still join its session")
	fs.Duration("session-grace", time.Minute, "wall-clock time a session stays open after the watermark passed it")
	fs.Duration("session-idle-timeout", 10*time.Minute, "wall-clock time without any input after which every open session closes")
	fs.Duration("sweep-every", 30*time.Second, "period of the sweeps that act on idle keys (goka has no timers)")
	fs.Duration("cart-delay", 30*time.Minute, "event time after a cart's last add_to_cart within which a purchase saves it from a cart_abandoned trigger")
	fs.Duration("form-delay", 30*time.Minute, "event time after a form_start within which a form_submit saves it from a form_abandoned trigger")
	fs.Int("segment-clusters", 8, "clusters of the segments' online clustering (2 to 1000)")
	fs.StringSlice("segment-dims", dimNames(segments.DefaultDims()), "dimensions of the segments' online clustering: numeric variables of the segment rules, log1p(name) for a log-scaled one (a change starts the model over)")
	fs.Int("segment-seed-points", 2000, "points (one per profile's closed session or order) the clustering model buffers before it seeds; at least the clusters")
	fs.String("churn-stage", "at-risk", "lifecycle stage of the segment rules whose entry fires a churn_risk trigger")
	fs.String("segment-rules", "", "YAML file of the segments' tier ladder and lifecycle stages (replaces the default rules)")
	r, f := kpi.DefaultRules(), kpi.DefaultForecasting()
	fs.Int("kpi-consecutive", r.Consecutive, "buckets in a row outside the prediction interval that open a kpi interval alert")
	fs.Int("kpi-resolve-after", r.ResolveAfter, "buckets in a row back to normal that resolve an open kpi alert")
	fs.Float64("kpi-shortfall", r.Shortfall, "share of the plan by which a period's projection must fall short to open a kpi projection alert")
	fs.Float64("kpi-min-remaining", r.MinRemaining, "share of the period that must be left for a kpi projection alert to open")
	fs.Float64("kpi-confidence", r.Confidence, "standard deviations of their noise the recent buckets must be behind their plan before a kpi projection alert believes them")
	fs.Duration("kpi-alert-after", time.Duration(f.AlertAfter)*kpi.BucketSize, "history a kpi series needs before its alert rules apply (whole hours; two weeks lets it learn its week)")
	fs.Int("gc-percent", defaultGCPercent, "garbage collector target while processors run (as GOGC; a GOGC environment variable wins); 0 keeps the runtime's")
}

// Tuning returns the processors' tuning; zero values keep each
// processor's defaults.
func (s Settings) Tuning() topology.Tuning {
	return topology.Tuning{
		SessionGap: s.SessionGap, SessionLateness: s.SessionLateness, SessionGrace: s.SessionGrace,
		SessionIdleTimeout: s.SessionIdleTimeout, SweepEvery: s.SweepEvery, CartDelay: s.CartDelay, FormDelay: s.FormDelay,
		SegmentClusters: s.SegmentClusters, SegmentSeedPoints: s.SegmentSeedPoints, ChurnStage: s.ChurnStage,
	}
}

// loadTuning is Tuning with the segment rules read from their file, and
// the churn stage checked against their lifecycle stages: a churn stage
// that no stage is named would never fire.
func (s Settings) loadTuning() (topology.Tuning, error) {
	t := s.Tuning()
	rules := segments.DefaultRules()
	if path := s.SegmentRules; path != "" {
		r, err := loadSegmentRules(path)
		if err != nil {
			return t, err
		}
		rules, t.SegmentRules = r, &r
	}
	if len(s.SegmentDims) > 0 {
		dims, err := segments.ParseDims(s.SegmentDims)
		if err != nil {
			return t, fmt.Errorf("--segment-dims: %w", err)
		}
		t.SegmentDims = dims
	}
	if err := s.kpiTuning(&t); err != nil {
		return t, err
	}
	if stage := s.ChurnStage; stage != "" {
		if err := rules.HasStage(stage); err != nil {
			return t, fmt.Errorf("--churn-stage: %w", err)
		}
	}
	return t, nil
}

// dimNames writes dims as --segment-dims reads them.
func dimNames(dims []segments.Dim) []string {
	out := make([]string, len(dims))
	for i, d := range dims {
		out[i] = d.String()
	}
	return out
}

// loadSegmentRules reads the segments' rules from a YAML file: a tiers
// ladder and lifecycle stages, as segments.Rules documents. The file
// replaces the default rules; a part it leaves out is empty.
func loadSegmentRules(path string) (segments.Rules, error) {
	k := koanf.New(".")
	if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
		return segments.Rules{}, fmt.Errorf("reading segment rules %s: %w", path, err)
	}
	var r segments.Rules
	if err := k.UnmarshalWithConf("", &r, koanf.UnmarshalConf{Tag: "yaml"}); err != nil {
		return segments.Rules{}, fmt.Errorf("decoding segment rules %s: %w", path, err)
	}
	if err := r.Validate(); err != nil {
		return segments.Rules{}, fmt.Errorf("segment rules %s: %w", path, err)
	}
	return r, nil
}

// addConnFlags declares the connection flags on fs.
func addConnFlags(fs *pflag.FlagSet) {
	d := topology.DefaultCatalog()
	fs.StringSlice("brokers", nil, "Kafka seed brokers, host:port (comma separated)")
	fs.String("registry", "", "Schema Registry URL")
	fs.String("registry-user", "", "Schema Registry basic-auth user")
	fs.String("registry-password", "", "Schema Registry basic-auth password")
	fs.String("prefix", d.Prefix, "prefix of every topic and group name")
	fs.Int32("partitions", d.Partitions, "partitions of every topic (topics are co-partitioned)")
	fs.Int16("replication", d.Replication, "replication factor of created topics")
	fs.Duration("compaction-lag", d.CompactionLag, "longest a deleted (erased) or replaced value survives in a compacted topic created by activa (max.compaction.lag.ms)")
	fs.Duration("tombstone-retention", d.TombstoneRetention, "how long a tombstone stays in a compacted topic created by activa (delete.retention.ms)")
	fs.String("client-id", "activa", "Kafka client id")
	fs.String("kafka-version", "3.6.0", "Kafka protocol version spoken by the goka processors")
	fs.String("compression", "none", "compression of produced batches: none, gzip, snappy, lz4 or zstd")
	fs.Int32("fetch-partition-bytes", kafka.DefaultFetchPartitionBytes, "most a processor fetches of one partition per request; more delays loopback hops under load")
	fs.String("sasl-mechanism", "", "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	fs.String("sasl-user", "", "SASL user")
	fs.String("sasl-password", "", "SASL password")
	fs.Bool("tls", false, "use TLS to Kafka and the registry")
	fs.String("tls-ca-file", "", "PEM CA bundle to trust")
	fs.String("tls-cert-file", "", "PEM client certificate")
	fs.String("tls-key-file", "", "PEM client key")
	fs.String("tls-server-name", "", "server name to verify")
	fs.Bool("tls-insecure-skip-verify", false, "do not verify server certificates (tests only)")
}

// addIngestFlags declares the ingestion flags on fs.
func addIngestFlags(fs *pflag.FlagSet) {
	fs.String("hash-key", "", "key of the HMAC that hashes raw e-mail and phone (at least 16 bytes; required when input has raw PII)")
	fs.Duration("max-skew", 5*time.Minute, "how far in the future an event timestamp may lie")
	fs.Int("max-bytes", 64<<10, "largest accepted input line")
}

// configPath is the settings file: --config, else ACTIVA_CONFIG.
func configPath(fs *pflag.FlagSet) string {
	path, _ := fs.GetString("config")
	if path == "" {
		path = os.Getenv("ACTIVA_CONFIG")
	}
	return path
}

// load reads settings for a command whose flags are fs.
func load(fs *pflag.FlagSet) (Settings, error) {
	k := koanf.New(".")
	if path := configPath(fs); path != "" {
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return Settings{}, fmt.Errorf("reading config file %s: %w", path, err)
		}
	}
	if err := k.Load(env.ProviderWithValue("ACTIVA_", ".", func(key, value string) (string, any) {
		key = strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(key, "ACTIVA_")), "_", "-")
		if f := fs.Lookup(key); f != nil && strings.HasSuffix(f.Value.Type(), "Slice") {
			return key, strings.Split(value, ",")
		}
		return key, value
	}), nil); err != nil {
		return Settings{}, fmt.Errorf("reading environment: %w", err)
	}
	if err := k.Load(posflag.Provider(fs, ".", k), nil); err != nil {
		return Settings{}, fmt.Errorf("reading flags: %w", err)
	}
	var s Settings
	if err := k.UnmarshalWithConf("", &s, koanf.UnmarshalConf{FlatPaths: true}); err != nil {
		return Settings{}, fmt.Errorf("decoding settings: %w", err)
	}
	return s, nil
}

// Kafka returns the Kafka connection settings.
func (s Settings) Kafka() *kafka.Config {
	return &kafka.Config{
		Brokers:             s.Brokers,
		ClientID:            s.ClientID,
		Version:             s.KafkaVersion,
		Compression:         s.Compression,
		FetchPartitionBytes: s.FetchBytes,
		SASL:                kafka.SASL{Mechanism: s.SASLMechanism, User: s.SASLUser, Password: s.SASLPassword},
		TLS: kafka.TLS{
			Enabled: s.TLS, CAFile: s.TLSCAFile, CertFile: s.TLSCertFile, KeyFile: s.TLSKeyFile,
			ServerName: s.TLSServerName, InsecureSkipVerify: s.TLSInsecure,
		},
	}
}

// Catalog returns the topic catalog for these settings.
func (s Settings) Catalog() topology.Catalog {
	return topology.Catalog{
		Prefix: s.Prefix, Partitions: s.Partitions, Replication: s.Replication,
		CompactionLag: s.CompactionLag, TombstoneRetention: s.TombstoneKeep,
	}
}

// validateConn reports missing or invalid connection settings.
func (s Settings) validateConn() error {
	var errs []error
	kc := s.Kafka()
	kc.Defaults()
	if err := kc.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%w (set --brokers or ACTIVA_BROKERS)", err))
	}
	if s.Registry == "" {
		errs = append(errs, errors.New("registry: no URL given (set --registry or ACTIVA_REGISTRY)"))
	} else if u, err := url.Parse(s.Registry); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("registry: %q is not an http(s) URL", s.Registry))
	}
	if err := s.Catalog().Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// kpiTuning sets the kpi alert rules and history of t from the kpi flags;
// a zero flag keeps its default.
func (s Settings) kpiTuning(t *topology.Tuning) error {
	r := kpi.DefaultRules()
	for _, o := range []struct {
		set *float64
		to  float64
	}{{&r.Shortfall, s.KpiShortfall}, {&r.MinRemaining, s.KpiMinRemaining}, {&r.Confidence, s.KpiConfidence}} {
		if o.to != 0 {
			*o.set = o.to
		}
	}
	if s.KpiConsecutive != 0 {
		r.Consecutive = s.KpiConsecutive
	}
	if s.KpiResolveAfter != 0 {
		r.ResolveAfter = s.KpiResolveAfter
	}
	if err := r.Validate(); err != nil {
		return fmt.Errorf("--kpi-*: %w", err)
	}
	if r != kpi.DefaultRules() {
		t.KpiRules = &r
	}
	if d := s.KpiAlertAfter; d != 0 {
		f := kpi.DefaultForecasting()
		f.AlertAfter = int(d / kpi.BucketSize)
		if d%kpi.BucketSize != 0 {
			return fmt.Errorf("--kpi-alert-after %v is not a whole number of hours", d)
		}
		if err := f.Validate(); err != nil {
			return fmt.Errorf("--kpi-alert-after %v: %w", d, err)
		}
		t.KpiAlertAfter = d
	}
	return nil
}
