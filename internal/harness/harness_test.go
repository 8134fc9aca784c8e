package harness_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/lovoo/goka/tester"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/schemas"
)

// TestBadInputIsDeadLettered runs a processor on goka's tester and feeds it
// a good event, garbage, a record with an unknown schema id, a record of
// another type, a tombstone and a record that makes the callback panic. The
// processor must keep running, pass the good events and dead-letter the rest.
func TestBadInputIsDeadLettered(t *testing.T) {
	ctx := context.Background()
	reg := srfake.New()
	defer reg.Close()
	rc, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	evc, err := schemas.Register[schemas.Event](ctx, rc, "in-value", schemas.EventRecord)
	if err != nil {
		t.Fatal(err)
	}
	dlc, err := schemas.Register[schemas.DeadLetter](ctx, rc, "dlq-value", schemas.DeadLetterRecord)
	if err != nil {
		t.Fatal(err)
	}
	m := deadletter.NewMetrics(nil)
	stats := harness.NewMetrics(nil)
	h := &harness.Harness{Stage: "test", Deadletter: "dlq", Codec: dlc, Metrics: m, Stats: stats}
	cb := harness.Handle(h, evc, func(ctx goka.Context, msg harness.Msg[schemas.Event]) {
		if msg.Value.Type == "boom" {
			panic("poison record")
		}
		if msg.Value.Type == "invalid" {
			h.Refuse(ctx, msg.Raw, deadletter.Invalid, nil, msg.Value.EventID)
			return
		}
		ctx.Emit("out", ctx.Key(), msg.Value.EventID)
	})
	g := goka.DefineGroup("test", harness.RawInput("in", cb), h.Output(), goka.Output("out", new(codec.String)))
	tt := tester.New(t)
	proc, err := goka.NewProcessor(nil, g, append(harness.Options(), goka.WithTester(tt))...)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	pctx, cancel := context.WithCancel(ctx)
	go func() { done <- proc.Run(pctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("processor stopped with %v", err)
		}
	}()

	enc := func(typ, id string) []byte {
		b, err := evc.Encode(schemas.Event{EventID: id, Type: typ, TS: time.UnixMilli(1), IDs: schemas.IDs{Cookie: "c"}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	unknown := enc("click", "e-x")
	binary.BigEndian.PutUint32(unknown[1:5], 999)
	other, err := dlc.Encode(schemas.DeadLetter{Stage: "s", Reason: "r", Original: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	out := tt.NewQueueTracker("out")
	dlq := tt.NewQueueTracker("dlq")
	tt.Consume("in", "k1", enc("click", "e-1"), tester.WithTime(time.Now().Add(-time.Hour))) // an hour in Kafka
	tt.Consume("in", "k2", []byte("{not avro"))
	tt.Consume("in", "k3", unknown)
	tt.Consume("in", "k4", other)
	tt.Consume("in", "k5", nil)
	tt.Consume("in", "k6", enc("boom", "e-6"))
	tt.Consume("in", "k7", enc("invalid", "e-7"))
	tt.Consume("in", "k8", enc("click", "e-8"))

	var passed []string
	for {
		_, v, ok := out.Next()
		if !ok {
			break
		}
		passed = append(passed, v.(string))
	}
	if len(passed) != 2 || passed[0] != "e-1" || passed[1] != "e-8" {
		t.Fatalf("passed %v, want [e-1 e-8]", passed)
	}
	want := map[string]string{
		"k2": deadletter.Undecodable, "k3": deadletter.UnknownSchema, "k4": deadletter.UnknownSchema,
		"k5": deadletter.Invalid, "k6": harness.Internal, "k7": deadletter.Invalid,
	}
	got := map[string]*schemas.DeadLetter{}
	for {
		k, v, ok := dlq.Next()
		if !ok {
			break
		}
		got[k] = v.(*schemas.DeadLetter)
	}
	for k, reason := range want {
		d, ok := got[k]
		if !ok {
			t.Errorf("%s not dead-lettered", k)
			continue
		}
		if d.Reason != reason || d.Stage != "test" || d.Source != "in" || string(d.Key) != k {
			t.Errorf("%s: dead letter %+v, want reason %s", k, d, reason)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d dead letters, want %d", len(got), len(want))
	}
	if string(got["k2"].Original) != "{not avro" {
		t.Errorf("original bytes not kept: %q", got["k2"].Original)
	}
	if n := testutil.ToFloat64(stats.Input.WithLabelValues("test", "in")); n != 8 {
		t.Errorf("input counter = %v, want 8", n)
	}
	if n := testutil.ToFloat64(stats.Output.WithLabelValues("test", "out")); n != 2 {
		t.Errorf("output counter = %v, want 2", n)
	}
	if n := testutil.ToFloat64(stats.Output.WithLabelValues("test", "dlq")); n != 6 {
		t.Errorf("dead-letter output counter = %v, want 6", n)
	}
	if n := testutil.ToFloat64(m.Total.WithLabelValues("test", deadletter.UnknownSchema)); n != 2 {
		t.Errorf("unknown_schema counter = %v, want 2", n)
	}
	var wait dto.Metric
	if err := stats.Wait.WithLabelValues("test", "in").(prometheus.Histogram).Write(&wait); err != nil {
		t.Fatal(err)
	}
	// Only k1 has a timestamp.
	if h := wait.GetHistogram(); h.GetSampleCount() != 1 || h.GetSampleSum() < 3600 || h.GetSampleSum() > 3660 {
		t.Errorf("record wait observed %d records summing %.0f s, want 1 of about 3600 s", h.GetSampleCount(), h.GetSampleSum())
	}
}
