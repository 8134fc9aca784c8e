package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/topology"
)

// conn is a validated connection to Kafka and the Schema Registry.
type conn struct {
	s   Settings
	kc  *kafka.Config
	reg *sr.Client
	cat topology.Catalog
	log *slog.Logger
}

func dial(ctx context.Context, s Settings, log *slog.Logger) (*conn, error) {
	if err := s.validateConn(); err != nil {
		return nil, err
	}
	kc := s.Kafka()
	kc.Defaults()
	opts := []sr.ClientOpt{sr.URLs(s.Registry)}
	if s.RegistryUser != "" {
		opts = append(opts, sr.BasicAuth(s.RegistryUser, s.RegistryPassword))
	}
	tc, err := kc.TLS.Config()
	if err != nil {
		return nil, err
	}
	if tc != nil {
		opts = append(opts, sr.DialTLSConfig(tc))
	}
	reg, err := sr.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("schema registry client for %s: %w", s.Registry, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	cl, err := kc.NewClient()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	if err := kafka.Ping(pctx, cl); err != nil {
		return nil, fmt.Errorf("%w (brokers %v)", err, kc.Brokers)
	}
	if _, err := reg.Subjects(pctx); err != nil {
		return nil, fmt.Errorf("reaching schema registry %s: %w", s.Registry, err)
	}
	return &conn{s: s, kc: kc, reg: reg, cat: s.Catalog(), log: log}, nil
}

// query connects a command that only reads (lookup, segments): settings
// from its flags, a connection, and the codecs. It creates no topic.
func (a *app) query(cmd *cobra.Command) (*conn, *topology.Codecs, error) {
	s, err := load(cmd.Flags())
	if err != nil {
		return nil, nil, err
	}
	c, err := dial(cmd.Context(), s, a.log)
	if err != nil {
		return nil, nil, err
	}
	codecs, err := topology.RegisterSchemas(cmd.Context(), c.reg, c.cat)
	if err != nil {
		return nil, nil, err
	}
	return c, codecs, nil
}

// dialSetup connects a command that writes (run, replay, demo, forecasts):
// a connection, every catalog topic created or verified, and the codecs.
func dialSetup(ctx context.Context, s Settings, log *slog.Logger) (*conn, *topology.Codecs, error) {
	c, err := dial(ctx, s, log)
	if err != nil {
		return nil, nil, err
	}
	codecs, err := c.setup(ctx)
	if err != nil {
		return nil, nil, err
	}
	return c, codecs, nil
}

// setup creates or verifies every catalog topic and registers every schema.
func (c *conn) setup(ctx context.Context) (*topology.Codecs, error) {
	cl, err := c.kc.NewClient()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	created, err := kafka.EnsureTopics(ctx, cl, c.cat.Specs())
	if err != nil {
		return nil, err
	}
	if len(created) > 0 {
		c.log.Info("topics created", "count", len(created), "partitions", c.cat.Partitions)
	}
	codecs, err := topology.RegisterSchemas(ctx, c.reg, c.cat)
	if err != nil {
		return nil, err
	}
	return codecs, nil
}

// producer returns a franz-go client with activa's producer settings.
func (c *conn) producer(extra ...kgo.Opt) (*kgo.Client, error) {
	return c.kc.NewClient(append(c.kc.ProducerOpts(), extra...)...)
}
