package kafka_test

import (
	"testing"

	"github.com/activa-dev/activa/internal/broker"
	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/internal/kafka/kafkatest"
)

func startBroker(t *testing.T) *kafka.Config {
	t.Helper()
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return &kafka.Config{Brokers: b.Addrs()}
}

// TestPartitionerAgreesWithGoka: see kafkatest.PartitionAgreement; the
// integration suite runs the same check on Apache Kafka.
func TestPartitionerAgreesWithGoka(t *testing.T) {
	kafkatest.PartitionAgreement(t, startBroker(t), "")
}

func TestEnsureTopicsRefusesDrift(t *testing.T) {
	kafkatest.TopicDrift(t, startBroker(t), "t")
}

func TestGokaProcessorWithProductionOptions(t *testing.T) {
	kafkatest.GokaProcessor(t, startBroker(t), "")
}

func TestALoopbackHopWaitsBehindLittleBacklog(t *testing.T) {
	kafkatest.LoopbackHop(t, startBroker(t), "")
}
