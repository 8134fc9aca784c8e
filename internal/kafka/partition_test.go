package kafka_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/internal/broker"
	"github.com/activa-dev/activa/internal/kafka"
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

// TestPartitionerAgreesWithGoka produces the same keys with goka's emitter
// (sarama) and with franz-go using Partitioner, and checks that every key
// lands in the same partition on both topics and in the partition goka's
// hasher computes.
func TestPartitionerAgreesWithGoka(t *testing.T) {
	cfg := startBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := cfg.NewClient(kafka.ProducerOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	const parts = 7
	if _, err := kafka.EnsureTopics(ctx, cl, []kafka.TopicSpec{
		{Name: "by-goka", Partitions: parts, Replication: 1, Cleanup: "delete"},
		{Name: "by-franz", Partitions: parts, Replication: 1, Cleanup: "delete"},
	}); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 2000)
	for i := range keys {
		keys[i] = fmt.Sprintf("cookie:c-%x", i*7919)
	}
	eopts, err := cfg.GokaEmitterOptions()
	if err != nil {
		t.Fatal(err)
	}
	em, err := goka.NewEmitter(cfg.Brokers, "by-goka", new(codec.String), eopts...)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if _, err := em.Emit(k, k); err != nil {
			t.Fatal(err)
		}
		cl.Produce(ctx, &kgo.Record{Topic: "by-franz", Key: []byte(k), Value: []byte(k)}, nil)
	}
	if err := em.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]int32{"by-goka": {}, "by-franz": {}}
	cons, err := cfg.NewClient(kgo.ConsumeTopics("by-goka", "by-franz"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	for n := 0; n < 2*len(keys); {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			got[r.Topic][string(r.Key)] = r.Partition
			n++
		})
	}
	for _, k := range keys {
		g, f := got["by-goka"][k], got["by-franz"][k]
		if g != f {
			t.Fatalf("key %s: goka wrote partition %d, franz-go %d", k, g, f)
		}
		if want := kafka.PartitionOf([]byte(k), parts); want != g {
			t.Fatalf("key %s: PartitionOf = %d, goka wrote %d", k, want, g)
		}
	}
	seen := map[int32]bool{}
	for _, p := range got["by-goka"] {
		seen[p] = true
	}
	if len(seen) != parts {
		t.Fatalf("keys spread over %d partitions, want %d", len(seen), parts)
	}
}

func TestEnsureTopicsRefusesDrift(t *testing.T) {
	cfg := startBroker(t)
	ctx := context.Background()
	cl, err := cfg.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	spec := kafka.TopicSpec{Name: "t", Partitions: 4, Replication: 1, Cleanup: "compact"}
	created, err := kafka.EnsureTopics(ctx, cl, []kafka.TopicSpec{spec})
	if err != nil || len(created) != 1 {
		t.Fatalf("first ensure: created %v, err %v", created, err)
	}
	if created, err := kafka.EnsureTopics(ctx, cl, []kafka.TopicSpec{spec}); err != nil || len(created) != 0 {
		t.Fatalf("second ensure: created %v, err %v", created, err)
	}
	more := spec
	more.Partitions = 6
	if _, err := kafka.EnsureTopics(ctx, cl, []kafka.TopicSpec{more}); err == nil {
		t.Fatal("partition mismatch accepted")
	}
	del := spec
	del.Cleanup = "delete"
	if _, err := kafka.EnsureTopics(ctx, cl, []kafka.TopicSpec{del}); err == nil {
		t.Fatal("cleanup policy mismatch accepted")
	}
}
