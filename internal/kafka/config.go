package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
)

// SASL mechanisms accepted in [SASL.Mechanism].
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// Config holds how to reach a Kafka cluster.
type Config struct {
	// Brokers are the seed brokers, host:port. Required.
	Brokers []string `koanf:"brokers"`
	// ClientID names this process to the brokers. Default "activa".
	ClientID string `koanf:"client-id"`
	// Version is the Kafka protocol version goka's sarama client speaks, for
	// example "3.6.0". Default "3.6.0", which every Kafka 3.x and 4.x broker
	// and the embedded broker accept.
	Version string `koanf:"version"`
	// Compression of produced batches: none, gzip, snappy, lz4 or zstd.
	// Default none, as Kafka's producers; lz4 or zstd pay off when the
	// brokers are across a network.
	Compression string `koanf:"compression"`
	// FetchPartitionBytes is the most a processor's consumer group fetches
	// of one partition in one request (Kafka's max.partition.fetch.bytes;
	// a larger record is still fetched whole). Default 64 KiB, where Kafka
	// and sarama take 1 MiB: sarama fetches again only once every
	// partition has handed its whole previous response to the processor,
	// so a record a processor sends itself through its loopback waits
	// behind one response of every input partition, and 1 MiB of backlog
	// each made a loopback hop cost seconds under load. Tables and views
	// recover with 1 MiB fetches.
	FetchPartitionBytes int32 `koanf:"fetch-partition-bytes"`
	// SASL authentication; empty Mechanism means none.
	SASL SASL `koanf:"sasl"`
	// TLS settings; disabled by default.
	TLS TLS `koanf:"tls"`
}

// SASL holds SASL credentials.
type SASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty disables SASL.
	Mechanism string `koanf:"mechanism"`
	// User is the SASL user name.
	User string `koanf:"user"`
	// Password is the SASL password.
	Password string `koanf:"password"`
}

// TLS holds TLS settings shared by Kafka and Schema Registry connections.
type TLS struct {
	// Enabled turns TLS on. Setting CAFile or CertFile implies it.
	Enabled bool `koanf:"enabled"`
	// CAFile is a PEM bundle of CAs to trust instead of the system pool.
	CAFile string `koanf:"ca-file"`
	// CertFile and KeyFile are a PEM client certificate and key for mutual TLS.
	CertFile string `koanf:"cert-file"`
	// KeyFile is the PEM key of CertFile.
	KeyFile string `koanf:"key-file"`
	// ServerName overrides the name checked in the server certificate.
	ServerName string `koanf:"server-name"`
	// InsecureSkipVerify disables server certificate checks (tests only).
	InsecureSkipVerify bool `koanf:"insecure-skip-verify"`
}

// Defaults fills unset fields with their defaults.
func (c *Config) Defaults() {
	if c.ClientID == "" {
		c.ClientID = "activa"
	}
	if c.Version == "" {
		c.Version = "3.6.0"
	}
	if c.Compression == "" {
		c.Compression = "none"
	}
	if c.FetchPartitionBytes == 0 {
		c.FetchPartitionBytes = DefaultFetchPartitionBytes
	}
}

// DefaultFetchPartitionBytes is the default of [Config.FetchPartitionBytes].
const DefaultFetchPartitionBytes = 64 << 10

// compressions maps the names of Config.Compression to both clients' codecs.
var compressions = map[string]struct {
	sarama sarama.CompressionCodec
	franz  kgo.CompressionCodec
}{
	"none":   {sarama.CompressionNone, kgo.NoCompression()},
	"gzip":   {sarama.CompressionGZIP, kgo.GzipCompression()},
	"snappy": {sarama.CompressionSnappy, kgo.SnappyCompression()},
	"lz4":    {sarama.CompressionLZ4, kgo.Lz4Compression()},
	"zstd":   {sarama.CompressionZSTD, kgo.ZstdCompression()},
}

// Validate reports the first problem with c.
func (c *Config) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("kafka: no brokers given")
	}
	for _, b := range c.Brokers {
		if b == "" || !strings.Contains(b, ":") {
			return fmt.Errorf("kafka: broker %q is not host:port", b)
		}
	}
	switch strings.ToUpper(c.SASL.Mechanism) {
	case "":
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		if c.SASL.User == "" {
			return fmt.Errorf("kafka: sasl mechanism %s needs a user", c.SASL.Mechanism)
		}
	default:
		return fmt.Errorf("kafka: unknown sasl mechanism %q (want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)", c.SASL.Mechanism)
	}
	if c.FetchPartitionBytes < 0 {
		return fmt.Errorf("kafka: fetch-partition-bytes %d is negative", c.FetchPartitionBytes)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return errors.New("kafka: tls cert-file and key-file go together")
	}
	if _, err := parseVersion(c.Version); c.Version != "" && err != nil {
		return err
	}
	if _, ok := compressions[strings.ToLower(c.Compression)]; c.Compression != "" && !ok {
		return fmt.Errorf("kafka: unknown compression %q (want none, gzip, snappy, lz4 or zstd)", c.Compression)
	}
	return nil
}

// Config returns the *tls.Config for t, or nil when TLS is off.
func (t TLS) Config() (*tls.Config, error) {
	if !t.Enabled && t.CAFile == "" && t.CertFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // opt-in for tests
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading tls ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca-file %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading tls client certificate %s: %w", t.CertFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
