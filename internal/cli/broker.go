package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/activa-dev/activa/internal/broker"
	"github.com/activa-dev/activa/internal/registry"
)

// embedded is a running embedded broker and registry.
type embedded struct {
	broker   *broker.Broker
	registry *registry.Embedded
}

func (e *embedded) brokers() []string { return e.broker.Addrs() }

func (e *embedded) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if e.registry != nil {
		_ = e.registry.Close(ctx) // shutting down: nothing left to report to
	}
	if e.broker != nil {
		e.broker.Close()
	}
}

// startEmbedded starts the broker and the registry; with dataDir both keep
// their state under it (kafka/ and registry/).
func (a *app) startEmbedded(ctx context.Context, dataDir, kafkaAddr, registryAddr string, partitions int) (*embedded, error) {
	bcfg := broker.Config{Addr: kafkaAddr, Partitions: partitions, Logger: a.log}
	rcfg := registry.Config{Addr: registryAddr, Logger: a.log}
	if dataDir != "" {
		bcfg.DataDir = filepath.Join(dataDir, "kafka")
		rcfg.DataDir = filepath.Join(dataDir, "registry")
	}
	e := &embedded{}
	b, err := broker.Start(bcfg)
	if err != nil {
		return nil, err
	}
	e.broker = b
	r, err := registry.New(rcfg)
	if err != nil {
		e.close()
		return nil, fmt.Errorf("embedded schema registry: %w", err)
	}
	if err := r.Start(ctx); err != nil {
		e.close()
		return nil, fmt.Errorf("embedded schema registry: %w", err)
	}
	e.registry = r
	return e, nil
}

func (a *app) brokerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run the embedded Kafka-compatible broker and Schema Registry for local work",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			dataDir, _ := f.GetString("data-dir")
			kafkaAddr, _ := f.GetString("kafka")
			regAddr, _ := f.GetString("registry")
			parts, _ := f.GetInt("partitions")
			e, err := a.startEmbedded(cmd.Context(), dataDir, kafkaAddr, regAddr, parts)
			if err != nil {
				return err
			}
			defer e.close()
			fmt.Fprintf(a.stdout, "ACTIVA_BROKERS=%s\nACTIVA_REGISTRY=%s\n", e.brokers()[0], e.registry.URL())
			a.log.Info("embedded broker ready", "kafka", e.brokers()[0], "registry", e.registry.URL(), "data_dir", dataDir)
			<-cmd.Context().Done()
			a.log.Info("stopping embedded broker, saving state", "data_dir", dataDir)
			return nil
		},
	}
	cmd.Flags().String("data-dir", "", "keep topics, records, offsets and schemas here across restarts (empty: in memory)")
	cmd.Flags().String("kafka", "127.0.0.1:9092", "Kafka listener, loopback host:port")
	cmd.Flags().String("registry", registry.DefaultAddr, "Schema Registry listener, host:port")
	cmd.Flags().Int("partitions", 8, "default partitions of auto-created topics")
	return cmd
}
