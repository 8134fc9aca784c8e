package kafkatest

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/lovoo/goka/storage"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/schemas"
)

// GokaProcessor runs a goka processor with activa's production options
// (idempotent producer, acks=all, oldest offset for new groups, the FNV
// hasher, topics verified and never created by goka) and the dead-letter
// harness. Events are produced with franz-go and the sarama-compatible
// partitioner, interleaved with garbage and a record with an unknown schema
// id. The processor must count every good event per key in its group table
// and dead-letter the bad records without stopping.
func GokaProcessor(t testing.TB, cfg *kafka.Config, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	reg := srfake.New()
	defer reg.Close()
	rc, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	in, dlq, group := prefix+"in", prefix+"dlq", prefix+"counter"
	evc, err := schemas.Register[schemas.Event](ctx, rc, in+"-value", schemas.EventRecord)
	if err != nil {
		t.Fatal(err)
	}
	dlc, err := schemas.Register[schemas.DeadLetter](ctx, rc, dlq+"-value", schemas.DeadLetterRecord)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := cfg.NewClient(cfg.ProducerOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	const parts = 4
	if _, err := kafka.EnsureTopics(ctx, cl, []kafka.TopicSpec{
		{Name: in, Partitions: parts, Replication: 1, Cleanup: "delete"},
		{Name: dlq, Partitions: parts, Replication: 1, Cleanup: "delete"},
		{Name: group + "-table", Partitions: parts, Replication: 1, Cleanup: "compact"},
	}); err != nil {
		t.Fatal(err)
	}
	const keys, perKey = 40, 25
	var bad int
	for i := range perKey {
		for k := range keys {
			key := fmt.Sprintf("cookie:c-%d", k)
			v, err := evc.Encode(schemas.Event{EventID: fmt.Sprintf("e-%d-%d", k, i), TS: time.UnixMilli(int64(1e12 + i)), Type: "click", IDs: schemas.IDs{Cookie: key}})
			if err != nil {
				t.Fatal(err)
			}
			if k == 0 && i%5 == 0 {
				broken := append([]byte(nil), v...)
				binary.BigEndian.PutUint32(broken[1:5], 9999)
				cl.Produce(ctx, &kgo.Record{Topic: in, Key: []byte(key), Value: broken}, nil)
				cl.Produce(ctx, &kgo.Record{Topic: in, Key: []byte(key), Value: []byte("garbage")}, nil)
				bad += 2
			}
			cl.Produce(ctx, &kgo.Record{Topic: in, Key: []byte(key), Value: v}, nil)
		}
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	h := &harness.Harness{Stage: "counter", Deadletter: goka.Stream(dlq), Codec: dlc, Metrics: deadletter.NewMetrics(nil)}
	g := goka.DefineGroup(goka.Group(group),
		harness.RawInput(goka.Stream(in), harness.Handle(h, evc, func(ctx goka.Context, m harness.Msg[schemas.Event]) {
			if want := kafka.PartitionOf([]byte(ctx.Key()), parts); ctx.Partition() != want {
				ctx.Fail(fmt.Errorf("key %s read from partition %d, franz-go partitioner says %d", ctx.Key(), ctx.Partition(), want))
			}
			n, _ := ctx.Value().(int64)
			ctx.SetValue(n + 1)
		})),
		goka.Persist(new(codec.Int64)),
		h.Output(),
	)
	opts, err := cfg.GokaOptions()
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts, harness.Options()...)
	opts = append(opts, goka.WithStorageBuilder(storage.MemoryBuilder()))
	stop, done := runProcessor(ctx, t, cfg.Brokers, g, opts)

	// Wait until the group has committed all its input (goka's Processor.Get
	// is not safe while partitions are being assigned, so progress is read
	// from the committed offsets instead).
	lagClient, err := cfg.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer lagClient.Close()
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Minute)
	defer wcancel()
	caught := make(chan error, 1)
	go func() { caught <- kafka.WaitCaughtUp(wctx, lagClient, []string{group}, 500*time.Millisecond) }()
	select {
	case err := <-done:
		t.Fatalf("processor stopped: %v", err)
	case err := <-caught:
		if err != nil {
			t.Fatal(err)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("processor stopped with %v", err)
	}

	// A view with the production options reads the same table.
	vopts, err := cfg.GokaViewOptions()
	if err != nil {
		t.Fatal(err)
	}
	view, err := goka.NewView(cfg.Brokers, goka.GroupTable(goka.Group(group)), new(codec.Int64),
		append(vopts, goka.WithViewStorageBuilder(storage.MemoryBuilder()))...)
	if err != nil {
		t.Fatal(err)
	}
	vctx, vstop := context.WithCancel(ctx)
	vdone := make(chan error, 1)
	go func() { vdone <- view.Run(vctx) }()
	for !view.Recovered() {
		select {
		case err := <-vdone:
			t.Fatalf("view stopped: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	for k := range keys {
		v, err := view.Get(fmt.Sprintf("cookie:c-%d", k))
		if err != nil || v == nil || v.(int64) != perKey {
			t.Fatalf("view: key %d = %v (%v), want %d", k, v, err, perKey)
		}
	}
	vstop()
	if err := <-vdone; err != nil {
		t.Fatalf("view stopped with %v", err)
	}

	cons, err := cfg.NewClient(kgo.ConsumeTopics(dlq), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	reasons := map[string]int{}
	for n := 0; n < bad; {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("reading dead letters (%d of %d): %v", n, bad, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			d, err := dlc.DecodeTyped(r.Value)
			if err != nil {
				t.Fatal(err)
			}
			reasons[d.Reason]++
			n++
		})
	}
	if reasons[deadletter.UnknownSchema] != bad/2 || reasons[deadletter.Undecodable] != bad/2 {
		t.Fatalf("dead letters by reason %v, want %d of each", reasons, bad/2)
	}
}

// runProcessor starts a goka processor of g with opts; it runs until stop
// is called, and done then receives what its Run returned.
func runProcessor(ctx context.Context, t testing.TB, brokers []string, g *goka.GroupGraph, opts []goka.ProcessorOption) (stop context.CancelFunc, done <-chan error) {
	t.Helper()
	proc, err := goka.NewProcessor(brokers, g, opts...)
	if err != nil {
		t.Fatal(err)
	}
	pctx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- proc.Run(pctx) }()
	return stop, ran
}
