package kafka

import (
	"context"
	"crypto/tls"
	"fmt"
	"hash"
	"hash/fnv"
	"net"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Hasher is the key hasher goka uses (FNV-1a, 32 bit); pass it to goka
// wherever a hasher is configurable so that both sides agree.
func Hasher() func() hash.Hash32 { return fnv.New32a }

func fnv32a(b []byte) uint32 {
	h := fnv.New32a()
	_, _ = h.Write(b) // hash.Hash never returns an error
	return h.Sum32()
}

// Partitioner returns franz-go's partitioner that places keys exactly as
// sarama, and so goka, does. Every producer into a topic that a goka
// processor consumes or joins must use it.
func Partitioner() kgo.Partitioner {
	return kgo.StickyKeyPartitioner(kgo.SaramaCompatHasher(fnv32a))
}

// PartitionOf returns the partition goka assigns key among n partitions.
func PartitionOf(key []byte, n int) int32 {
	return int32(kgo.SaramaCompatHasher(fnv32a)(key, n))
}

// Opts returns the franz-go options to reach the cluster: seeds, client id,
// SASL and TLS. Producer callers add [ProducerOpts].
func (c *Config) Opts() ([]kgo.Opt, error) {
	c.Defaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID(c.ClientID),
	}
	tc, err := c.TLS.Config()
	if err != nil {
		return nil, err
	}
	if tc != nil {
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: tc}
		opts = append(opts, kgo.Dialer(d.DialContext))
	}
	switch strings.ToUpper(c.SASL.Mechanism) {
	case SASLPlain:
		opts = append(opts, kgo.SASL(plain.Auth{User: c.SASL.User, Pass: c.SASL.Password}.AsMechanism()))
	case SASLScramSHA256:
		opts = append(opts, kgo.SASL(scram.Auth{User: c.SASL.User, Pass: c.SASL.Password}.AsSha256Mechanism()))
	case SASLScramSHA512:
		opts = append(opts, kgo.SASL(scram.Auth{User: c.SASL.User, Pass: c.SASL.Password}.AsSha512Mechanism()))
	}
	return opts, nil
}

// ProducerOpts are the producer settings every activa producer uses: the
// sarama-compatible partitioner, acks from all in-sync replicas with the
// idempotent producer (franz-go's default), batching tuned for throughput
// with a short linger, and the configured compression.
func (c *Config) ProducerOpts() []kgo.Opt {
	c.Defaults()
	codec, ok := compressions[strings.ToLower(c.Compression)]
	if !ok {
		codec = compressions["none"] // Validate refuses it first
	}
	return []kgo.Opt{
		kgo.RecordPartitioner(Partitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5 * time.Millisecond),
		kgo.ProducerBatchMaxBytes(1 << 20),
		kgo.MaxBufferedRecords(1 << 16),
		kgo.ProducerBatchCompression(codec.franz, kgo.NoCompression()),
	}
}

// NewClient builds a franz-go client for c with extra options appended.
func (c *Config) NewClient(extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := c.Opts()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("creating kafka client for %v: %w", c.Brokers, err)
	}
	return cl, nil
}

// Ping checks that the cluster answers within ctx.
func Ping(ctx context.Context, cl *kgo.Client) error {
	if err := cl.Ping(ctx); err != nil {
		return fmt.Errorf("reaching kafka: %w", err)
	}
	return nil
}
