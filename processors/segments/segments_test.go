package segments_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/activa-dev/activa/internal/harness/harnesstest"
	"github.com/activa-dev/activa/processors/segments"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/schemas/schematest"
)

type rig struct {
	t       *testing.T
	tt      *tester.Tester
	proc    *goka.Processor
	codecs  segments.Codecs
	changes *tester.QueueTracker
	dlq     *tester.QueueTracker
	metrics *segments.Metrics
	day0    time.Time
}

func newRig(t *testing.T) *rig {
	t.Helper()
	rc := schematest.Registry(t)
	c := segments.Codecs{
		Features: schematest.Register[schemas.ProfileFeatures](t, rc, "features-value", schemas.ProfileFeaturesRecord),
		Change:   schematest.Register[schemas.SegmentChange](t, rc, "changes-value", schemas.SegmentChangeRecord),
		State:    schematest.Register[schemas.SegmentState](t, rc, "segments-table-value", schemas.SegmentStateRecord),
	}
	cfg := segments.DefaultConfig()
	cfg.Group = "segments"
	cfg.Topics = segments.Topics{Features: "features", Changes: "changes"}
	cfg.Codecs = c
	cfg.Harness = harnesstest.Harness(t, rc, "segments")
	cfg.Metrics = segments.NewMetrics(nil)
	m := cfg.Metrics
	g, err := segments.Define(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tt, proc := harnesstest.Start(t, g)
	return &rig{
		t: t, tt: tt, proc: proc, codecs: c, metrics: m,
		changes: tt.NewQueueTracker("changes"), dlq: tt.NewQueueTracker(harnesstest.Deadletter),
		day0: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC),
	}
}

// features publishes version v of a profile's features, last seen on day
// and first seen on day 0, with spend in the last 90 days.
func (r *rig) features(profile string, v int64, day int, spend float64, orders int64) {
	r.t.Helper()
	at := r.day0.AddDate(0, 0, day)
	f := &schemas.ProfileFeatures{
		ProfileID: profile, Version: v, Monetary90d: spend, Orders: orders, FirstSeen: r.day0, LastSeen: at,
		LastEventID: profile + "-e" + string(rune('0'+v)), UpdatedTS: at,
	}
	if orders > 0 {
		f.LastOrderTS = at
	}
	b, err := r.codecs.Features.Encode(f)
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume("features", profile, b)
}

func (r *rig) got() []*schemas.SegmentChange {
	return harnesstest.Drain(r.t, r.changes, func(c *schemas.SegmentChange) string { return c.ProfileID })
}

// moves lists changes as kind:from>to.
func moves(cs []*schemas.SegmentChange) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Kind+":"+c.From+">"+c.To)
	}
	return out
}

func TestAPurchaseOverAThresholdChangesTheTierAtOnce(t *testing.T) {
	r := newRig(t)
	r.features("p-1", 1, 0, 0, 0)
	if got := moves(r.got()); !slices.Equal(got, []string{"lifecycle:>new"}) {
		t.Fatalf("first features: %v", got)
	}
	r.features("p-1", 2, 1, 80, 1)
	if got := moves(r.got()); !slices.Equal(got, []string{"tier:>bronze"}) {
		t.Fatalf("first order: %v", got)
	}
	r.features("p-1", 3, 2, 540, 2)
	cs := r.got()
	if got := moves(cs); !slices.Equal(got, []string{"tier:bronze>gold", "lifecycle:new>active"}) {
		t.Fatalf("a purchase over 500: %v", got)
	}
	if c := cs[0]; c.CauseEventID != "p-1-e3" || c.Reason != "monetary_90d 540 >= 500 (gold)" || c.Values["monetary_90d"] != 540 || !c.TS.Equal(r.day0.AddDate(0, 0, 2)) {
		t.Errorf("tier change %+v", c)
	}
	// Spend falls back within the hysteresis: no flip.
	r.features("p-1", 4, 3, 470, 2)
	if got := r.got(); len(got) != 0 {
		t.Errorf("within the hysteresis: %v", moves(got))
	}
}

func TestRedeliveredFeaturesChangeNothing(t *testing.T) {
	r := newRig(t)
	r.features("p-1", 1, 0, 0, 0)
	r.features("p-1", 2, 1, 120, 1)
	first := r.got()
	r.features("p-1", 2, 1, 120, 1) // the same version again
	r.features("p-1", 1, 0, 0, 0)   // and an older one
	if got := r.got(); len(got) != 0 {
		t.Errorf("redelivery changed %v", moves(got))
	}
	if n := testutil.ToFloat64(r.metrics.Duplicates); n != 2 {
		t.Errorf("%v duplicates counted, want 2", n)
	}
	if len(first) != 2 || first[1].ChangeID == "" {
		t.Fatalf("first delivery: %v", moves(first))
	}
}

func TestPassingTimeMovesTheLifecycleOnTheSweep(t *testing.T) {
	r := newRig(t)
	r.features("p-quiet", 1, 0, 120, 1) // bought on day 0, then nothing
	r.got()
	sweep := func() []string {
		t.Helper()
		if err := r.proc.VisitAll(context.Background(), segments.SweepVisitor, nil); err != nil {
			t.Fatal(err)
		}
		r.tt.Catchup()
		return moves(r.got())
	}
	// Another person's features move the partition's clock on.
	for i, day := range []int{20, 45, 70} {
		r.features("p-busy", int64(i+1), day, 0, 0)
		r.got()
		want := map[int][]string{20: {"lifecycle:new>active"}, 45: {"lifecycle:active>at-risk"}, 70: {"lifecycle:at-risk>lapsed"}}[day]
		if got := sweep(); !slices.Equal(got, want) {
			t.Errorf("day %d: sweep moved %v, want %v", day, got, want)
		}
	}
}

func TestATombstoneTakesTheProfileOutOfItsSegments(t *testing.T) {
	r := newRig(t)
	r.features("p-gone", 1, 0, 700, 2)
	r.got()
	r.tt.Consume("features", "p-gone", nil)
	cs := r.got()
	if got := moves(cs); !slices.Equal(got, []string{"tier:gold>", "lifecycle:active>"}) {
		t.Fatalf("tombstone: %v", got)
	}
	if v := r.tt.TableValue(goka.GroupTable("segments"), "p-gone"); v != nil {
		t.Errorf("state left behind: %+v", v)
	}
	// A tombstone for a profile never placed says nothing.
	r.tt.Consume("features", "p-never", nil)
	if got := r.got(); len(got) != 0 {
		t.Errorf("unknown profile: %v", moves(got))
	}
	if dls := harnesstest.DeadLetters(r.dlq); len(dls) != 0 {
		t.Errorf("dead letters %+v", dls)
	}
}

func TestFeaturesUnderAnotherKeyAreDeadLettered(t *testing.T) {
	r := newRig(t)
	b, err := r.codecs.Features.Encode(&schemas.ProfileFeatures{ProfileID: "p-1", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	r.tt.Consume("features", "p-2", b)
	r.tt.Consume("features", "p-3", []byte("not avro"))
	dls := harnesstest.DeadLetters(r.dlq)
	if len(dls) != 2 || dls[0].Reason != "invalid" || dls[1].Reason != "undecodable" {
		t.Fatalf("dead letters %+v", dls)
	}
	if got := r.got(); len(got) != 0 {
		t.Errorf("changes %v", moves(got))
	}
}
