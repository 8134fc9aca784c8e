// Package kafkatest holds checks shared by the tests that run on the
// embedded broker and the integration tests that run on Apache Kafka, so
// that both prove the same property the same way.
package kafkatest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/internal/kafka"
)

// PartitionAgreement produces the same keys with goka's emitter (sarama)
// to topic prefix+"by-goka" and with franz-go using kafka.Partitioner to
// prefix+"by-franz", and fails t unless every key lands in the same
// partition on both topics and in the partition kafka.PartitionOf computes.
func PartitionAgreement(t testing.TB, cfg *kafka.Config, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl, err := cfg.NewClient(cfg.ProducerOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	const parts = 7
	gokaTopic, franzTopic := prefix+"by-goka", prefix+"by-franz"
	if _, err := kafka.EnsureTopics(ctx, cl, []kafka.TopicSpec{
		{Name: gokaTopic, Partitions: parts, Replication: 1, Cleanup: "delete"},
		{Name: franzTopic, Partitions: parts, Replication: 1, Cleanup: "delete"},
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
	em, err := goka.NewEmitter(cfg.Brokers, goka.Stream(gokaTopic), new(codec.String), eopts...)
	if err != nil {
		t.Fatal(err)
	}
	emitErrs := make(chan error, len(keys))
	for _, k := range keys {
		pr, err := em.Emit(k, k)
		if err != nil {
			t.Fatal(err)
		}
		pr.Then(func(err error) {
			if err != nil {
				emitErrs <- fmt.Errorf("goka emitter lost key %s: %w", k, err)
			}
		})
		cl.Produce(ctx, &kgo.Record{Topic: franzTopic, Key: []byte(k), Value: []byte(k)}, func(_ *kgo.Record, err error) {
			if err != nil {
				t.Errorf("producing %s: %v", k, err)
			}
		})
	}
	if err := em.Finish(); err != nil {
		t.Fatal(err)
	}
	close(emitErrs)
	for err := range emitErrs {
		t.Fatal(err)
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]int32{gokaTopic: {}, franzTopic: {}}
	cons, err := cfg.NewClient(kgo.ConsumeTopics(gokaTopic, franzTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	for n := 0; n < 2*len(keys); {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("read %d of %d records before the deadline", n, 2*len(keys))
			}
			t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			got[r.Topic][string(r.Key)] = r.Partition
			n++
		})
	}
	for _, k := range keys {
		g, f := got[gokaTopic][k], got[franzTopic][k]
		if g != f {
			t.Fatalf("key %s: goka wrote partition %d, franz-go %d", k, g, f)
		}
		if want := kafka.PartitionOf([]byte(k), parts); want != g {
			t.Fatalf("key %s: PartitionOf = %d, goka wrote %d", k, want, g)
		}
	}
	seen := map[int32]bool{}
	for _, p := range got[gokaTopic] {
		seen[p] = true
	}
	if len(seen) != parts {
		t.Fatalf("keys spread over %d partitions, want %d", len(seen), parts)
	}
}

// TopicDrift checks that EnsureTopics creates a topic once, then refuses a
// declaration with other partitions or another cleanup policy.
func TopicDrift(t testing.TB, cfg *kafka.Config, name string) {
	t.Helper()
	ctx := context.Background()
	cl, err := cfg.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	spec := kafka.TopicSpec{Name: name, Partitions: 4, Replication: 1, Cleanup: "compact"}
	created, err := kafka.EnsureTopics(ctx, cl, []kafka.TopicSpec{spec})
	if err != nil || len(created) != 1 {
		t.Fatalf("first ensure: created %v, err %v", created, err)
	}
	if created, err := kafka.EnsureTopics(ctx, cl, []kafka.TopicSpec{spec}); err != nil || len(created) != 0 {
		t.Fatalf("second ensure: created %v, err %v", created, err)
	}
	more := spec
	more.Partitions = 6
	if _, err := kafka.EnsureTopics(ctx, cl, []kafka.TopicSpec{more}); !errors.Is(err, kafka.ErrTopicMismatch) {
		t.Fatalf("partition mismatch: err = %v, want ErrTopicMismatch", err)
	}
	del := spec
	del.Cleanup = "delete"
	if _, err := kafka.EnsureTopics(ctx, cl, []kafka.TopicSpec{del}); !errors.Is(err, kafka.ErrTopicMismatch) {
		t.Fatalf("cleanup mismatch: err = %v, want ErrTopicMismatch", err)
	}
}
