package kafkatest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/internal/kafka"
)

// LoopbackHop shows that a processor's message to itself does not wait
// behind a backlog of input for long. A goka processor with activa's
// production options runs over a backlog in one partition; every 500th
// input record sends a message to the processor's loopback, and the
// processor counts the input records it handles between a message's
// sending and its arrival. Each input record takes the processor 50 µs, of
// the order of activa's processors, so that the producer's flush interval
// is worth few records and the count is the fetch's doing. The input is
// produced in batches of 16 KiB: a fetch returns at least one whole batch,
// whatever its size.
//
// A hop waits for the consumer group's next fetch, and sarama fetches again
// only once every partition has handed its whole previous response to the
// processor: the count grows with Config.FetchPartitionBytes. The same
// backlog is run with cfg's fetch size and with Kafka's 1 MiB, and the
// median count with cfg's must be under a quarter of that with 1 MiB.
func LoopbackHop(t testing.TB, cfg *kafka.Config, prefix string) {
	t.Helper()
	cfg.Defaults()
	large := *cfg
	large.FetchPartitionBytes = 1 << 20
	small := hopWaits(t, cfg, prefix+"hop-")
	big := hopWaits(t, &large, prefix+"hop-large-")
	t.Logf("input records handled during a loopback hop: median %d (max %d) with %d-byte fetches, median %d (max %d) with %d-byte fetches",
		small[len(small)/2], small[len(small)-1], cfg.FetchPartitionBytes, big[len(big)/2], big[len(big)-1], large.FetchPartitionBytes)
	if 4*small[len(small)/2] >= big[len(big)/2] {
		t.Fatalf("a loopback hop waited behind a median of %d input records with %d-byte fetches and %d with %d-byte fetches; want under a quarter",
			small[len(small)/2], cfg.FetchPartitionBytes, big[len(big)/2], large.FetchPartitionBytes)
	}
}

// hopWaits runs the processor of [LoopbackHop] on its own topics named
// with prefix and returns the sorted counts of input records handled
// during each hop.
func hopWaits(t testing.TB, cfg *kafka.Config, prefix string) []int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const (
		inputs   = 40_000
		every    = 500
		valueLen = 256
	)
	in, group := prefix+"in", prefix+"group"
	cl, err := cfg.NewClient(append(cfg.ProducerOpts(), kgo.ProducerBatchMaxBytes(16<<10))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kafka.EnsureTopics(ctx, cl, []kafka.TopicSpec{
		{Name: in, Partitions: 1, Replication: 1, Cleanup: "delete"},
		{Name: group + "-loop", Partitions: 1, Replication: 1, Cleanup: "delete", Retention: kafka.LoopRetention},
	}); err != nil {
		t.Fatal(err)
	}
	for i := range inputs {
		v := make([]byte, valueLen)
		copy(v, fmt.Sprintf("%08d", i))
		cl.Produce(ctx, &kgo.Record{Topic: in, Key: []byte("k"), Value: v}, nil)
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	// The callbacks of one partition run one after the other, so handled
	// and waits need no lock; waits is read once the processor stopped.
	var handled int
	var waits []int
	arrived := make(chan struct{}, 1)
	g := goka.DefineGroup(goka.Group(group),
		goka.Input(goka.Stream(in), new(codec.Bytes), func(ctx goka.Context, _ any) {
			if handled%every == 0 {
				ctx.Loopback(ctx.Key(), int64(handled))
			}
			handled++
			for began := time.Now(); time.Since(began) < 50*time.Microsecond; {
			}
		}),
		goka.Loop(new(codec.Int64), func(_ goka.Context, msg any) {
			waits = append(waits, handled-int(msg.(int64)))
			if len(waits) == inputs/every {
				arrived <- struct{}{}
			}
		}),
	)
	opts, err := cfg.GokaOptions()
	if err != nil {
		t.Fatal(err)
	}
	stop, done := runProcessor(ctx, t, cfg.Brokers, g, opts)
	select {
	case err := <-done:
		t.Fatalf("processor stopped: %v", err)
	case <-ctx.Done():
		stop()
		err := <-done
		t.Fatalf("%d of %d loopback messages arrived in time (processor stopped with %v)", len(waits), inputs/every, err)
	case <-arrived:
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("processor stopped with %v", err)
	}
	slices.Sort(waits)
	return waits
}
