package kafka

import (
	"fmt"
	"hash"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/xdg-go/scram"
)

func parseVersion(v string) (sarama.KafkaVersion, error) {
	kv, err := sarama.ParseKafkaVersion(v)
	if err != nil {
		return kv, fmt.Errorf("kafka: version %q: %w", v, err)
	}
	if !kv.IsAtLeast(sarama.V2_1_0_0) {
		return kv, fmt.Errorf("kafka: version %s is older than 2.1.0", v)
	}
	return kv, nil
}

// Sarama returns the sarama configuration goka runs on, starting from goka's
// defaults and overriding what is not fit for production:
//
//   - an explicit protocol version (Config.Version) instead of 2.0.0;
//   - acks from all in-sync replicas and the idempotent producer, so a retry
//     cannot duplicate or reorder a record within a partition;
//   - new consumer groups start from the oldest offset, so input produced
//     before a processor's first start is not skipped;
//   - 1 MiB fetches per partition, for recovering tables and views (a
//     processor's consumer group fetches Config.FetchPartitionBytes, see
//     [Config.GokaOptions]);
//   - the configured compression and larger batches with a short flush
//     interval;
//   - a read deadline that outlasts a consumer group rebalance;
//   - SASL and TLS from the configuration.
func (c *Config) Sarama() (*sarama.Config, error) {
	c.Defaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	cfg := goka.DefaultConfig()
	v, err := parseVersion(c.Version)
	if err != nil {
		return nil, err
	}
	cfg.Version = v
	cfg.ClientID = c.ClientID
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Fetch.Default = 1 << 20
	cfg.Consumer.MaxProcessingTime = 5 * time.Second
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1 // required by sarama's idempotent producer
	cfg.Producer.Retry.Max = 20
	cfg.Producer.Retry.Backoff = 100 * time.Millisecond
	cfg.Producer.Compression = compressions[strings.ToLower(c.Compression)].sarama
	cfg.Producer.Flush.Frequency = 5 * time.Millisecond
	cfg.Producer.Flush.Bytes = 256 << 10
	cfg.Producer.Flush.MaxMessages = 0
	cfg.Producer.MaxMessageBytes = 1 << 20
	cfg.ChannelBufferSize = 1024
	// A JoinGroup request is answered once every member has rejoined, which
	// may take up to the rebalance timeout; sarama reads every response
	// with the same deadline, so the deadline must outlast the rebalance
	// (as the Java client does for JoinGroup), or a rebalance after a
	// member died fails the processor with an i/o timeout. The margin is
	// generous: with several groups per process rebalancing at once on a
	// loaded broker, 10 s was not enough.
	cfg.Net.ReadTimeout = cfg.Consumer.Group.Rebalance.Timeout + 30*time.Second

	tc, err := c.TLS.Config()
	if err != nil {
		return nil, err
	}
	if tc != nil {
		cfg.Net.TLS.Enable = true
		cfg.Net.TLS.Config = tc
	}
	switch strings.ToUpper(c.SASL.Mechanism) {
	case "":
	case SASLPlain:
		cfg.Net.SASL.Enable = true
		cfg.Net.SASL.Mechanism = sarama.SASLTypePlaintext
	case SASLScramSHA256:
		cfg.Net.SASL.Enable = true
		cfg.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
		cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA256} }
	case SASLScramSHA512:
		cfg.Net.SASL.Enable = true
		cfg.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
		cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA512} }
	}
	if cfg.Net.SASL.Enable {
		cfg.Net.SASL.User = c.SASL.User
		cfg.Net.SASL.Password = c.SASL.Password
		cfg.Net.SASL.Handshake = true
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kafka: sarama configuration: %w", err)
	}
	return cfg, nil
}

// scramClient adapts xdg-go/scram to sarama's SCRAMClient.
type scramClient struct {
	hash scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func (s *scramClient) Begin(user, pass, authzID string) error {
	cl, err := s.hash.NewClient(user, pass, authzID)
	if err != nil {
		return fmt.Errorf("starting scram conversation for %s: %w", user, err)
	}
	s.conv = cl.NewConversation()
	return nil
}

func (s *scramClient) Step(challenge string) (string, error) { return s.conv.Step(challenge) }

func (s *scramClient) Done() bool { return s.conv.Done() }

// GokaOptions returns the processor options that bind goka to this cluster:
// the production sarama configuration for producer and consumers, with
// fetches of Config.FetchPartitionBytes per partition for the consumer
// group, a topic manager that refuses mismatching topics, and the FNV
// hasher.
func (c *Config) GokaOptions() ([]goka.ProcessorOption, error) {
	cfg, err := c.Sarama()
	if err != nil {
		return nil, err
	}
	group := own(cfg)
	group.Consumer.Fetch.Default = c.FetchPartitionBytes
	tm := TopicManagerConfig()
	return []goka.ProcessorOption{
		goka.WithProducerBuilder(func(brokers []string, clientID string, hasher func() hash.Hash32) (goka.Producer, error) {
			return goka.ProducerBuilderWithConfig(own(cfg))(brokers, clientID, hasher)
		}),
		goka.WithConsumerGroupBuilder(func(brokers []string, name, clientID string) (sarama.ConsumerGroup, error) {
			return goka.ConsumerGroupBuilderWithConfig(own(group))(brokers, name, clientID)
		}),
		goka.WithConsumerSaramaBuilder(func(brokers []string, clientID string) (sarama.Consumer, error) {
			return goka.SaramaConsumerBuilderWithConfig(own(cfg))(brokers, clientID)
		}),
		goka.WithTopicManagerBuilder(goka.TopicManagerBuilderWithConfig(cfg, tm)),
		goka.WithHasher(Hasher()),
	}, nil
}

// own returns a copy of cfg for one client. goka's ...WithConfig builders
// write the client id into the configuration they were given each time
// they build a client, while the clients built before go on reading it: a
// processor with a lookup table builds a consumer group on every
// rebalance while its view's consumer runs, a data race on one shared
// configuration.
func own(cfg *sarama.Config) *sarama.Config {
	c := *cfg
	return &c
}

// GokaViewOptions returns the view options matching [Config.GokaOptions].
func (c *Config) GokaViewOptions() ([]goka.ViewOption, error) {
	cfg, err := c.Sarama()
	if err != nil {
		return nil, err
	}
	return []goka.ViewOption{
		goka.WithViewConsumerSaramaBuilder(goka.SaramaConsumerBuilderWithConfig(cfg)),
		goka.WithViewTopicManagerBuilder(goka.TopicManagerBuilderWithConfig(cfg, TopicManagerConfig())),
		goka.WithViewHasher(Hasher()),
	}, nil
}

// GokaEmitterOptions returns the emitter options matching [Config.GokaOptions].
func (c *Config) GokaEmitterOptions() ([]goka.EmitterOption, error) {
	cfg, err := c.Sarama()
	if err != nil {
		return nil, err
	}
	return []goka.EmitterOption{
		goka.WithEmitterProducerBuilder(goka.ProducerBuilderWithConfig(cfg)),
		goka.WithEmitterTopicManagerBuilder(goka.TopicManagerBuilderWithConfig(cfg, TopicManagerConfig())),
		goka.WithEmitterHasher(Hasher()),
	}, nil
}

// LoopRetention is the retention of goka's loopback topics, which goka
// verifies: long enough that a processor stopped for days loses none of the
// messages it sent itself.
const LoopRetention = 7 * 24 * time.Hour

// TopicManagerConfig is goka's topic manager configuration: topics are
// created from the catalog by [EnsureTopics] before goka starts, so goka only
// verifies them and fails on a mismatch instead of drifting silently.
func TopicManagerConfig() *goka.TopicManagerConfig {
	tm := goka.NewTopicManagerConfig()
	tm.NoCreate = true
	tm.MismatchBehavior = goka.TMConfigMismatchBehaviorFail
	tm.Table.Replication = 1
	tm.Stream.Replication = 1
	tm.Stream.Retention = LoopRetention
	return tm
}
