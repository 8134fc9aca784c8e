package sessions_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/activa-dev/activa/internal/harness/harnesstest"
	"github.com/activa-dev/activa/processors/sessions"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/schemas/schematest"
)

type rig struct {
	t      *testing.T
	tt     *tester.Tester
	proc   *goka.Processor
	codecs sessions.Codecs
	closed *tester.QueueTracker
	erased *tester.QueueTracker
	dlq    *tester.QueueTracker
	clock  *harnesstest.Clock
	base   time.Time
	seq    int
}

func newRig(t *testing.T) *rig { return newRigWith(t, nil) }

func newRigWith(t *testing.T, tweak func(*sessions.Config)) *rig {
	t.Helper()
	rc := schematest.Registry(t)
	c := sessions.Codecs{
		Resolved: schematest.Register[schemas.ResolvedEvent](t, rc, "resolved-value", schemas.ResolvedEventRecord),
		Merge:    schematest.Register[schemas.ProfileMerge](t, rc, "merges-value", schemas.ProfileMergeRecord),
		Summary:  schematest.Register[schemas.SessionSummary](t, rc, "closed-value", schemas.SessionSummaryRecord),
		State:    schematest.Register[schemas.SessionState](t, rc, "sessions-table-value", schemas.SessionStateRecord),
		Erasure:  schematest.Register[schemas.ErasureConfirmation](t, rc, "erasures-value", schemas.ErasureConfirmationRecord),
	}
	clk := harnesstest.NewClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	cfg := sessions.DefaultConfig()
	cfg.Group = "sessions"
	cfg.Topics = sessions.Topics{Input: "resolved", Merges: "merges", Closed: "closed", Erasures: "erasures"}
	cfg.Codecs = c
	cfg.SourcePartitions = 1
	cfg.Harness = harnesstest.Harness(t, rc, "sessions")
	cfg.Metrics = sessions.NewMetrics(nil)
	cfg.Now = clk.Now
	cfg.Rules.Grace = 0 // the grace is tested on the rules; the clock here stands still
	if tweak != nil {
		tweak(&cfg)
	}
	g, err := sessions.Define(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tt, proc := harnesstest.Start(t, g)
	return &rig{
		t: t, tt: tt, proc: proc, codecs: c, clock: clk,
		closed: tt.NewQueueTracker("closed"), erased: tt.NewQueueTracker("erasures"), dlq: tt.NewQueueTracker(harnesstest.Deadletter),
		base: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC),
	}
}

// send consumes an event of profile at base+at and returns its id.
func (r *rig) send(profile string, at time.Duration, typ string, props map[string]string) string {
	r.t.Helper()
	r.seq++
	id := fmt.Sprintf("e-%04d", r.seq)
	r.sendEvent(profile, schemas.Event{EventID: id, TS: r.base.Add(at), Type: typ, Channel: "web", IDs: schemas.IDs{Cookie: "c-1"}, Props: props})
	return id
}

func (r *rig) sendEvent(profile string, ev schemas.Event) {
	r.t.Helper()
	b, err := r.codecs.Resolved.Encode(&schemas.ResolvedEvent{ProfileID: profile, Event: ev})
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume("resolved", profile, b)
}

func (r *rig) summaries() []*schemas.SessionSummary {
	return harnesstest.Drain(r.t, r.closed, func(s *schemas.SessionSummary) string { return s.ProfileID })
}

func (r *rig) deadLetters() []*schemas.DeadLetter { return harnesstest.DeadLetters(r.dlq) }

func TestGapClosesASessionOnceTheWatermarkPassesIt(t *testing.T) {
	r := newRig(t)
	first := r.send("p-1", 0, "page_view", map[string]string{"url": "/"})
	r.send("p-1", 10*time.Minute, "add_to_cart", nil)
	last := r.send("p-1", 20*time.Minute, "page_view", map[string]string{"url": "/cart"})
	// At 56 minutes the watermark (51) has passed the gap after 20.
	r.send("p-1", 56*time.Minute, "page_view", nil)
	got := r.summaries()
	if len(got) != 1 {
		t.Fatalf("%d summaries, want 1: %+v", len(got), got)
	}
	s := got[0]
	if s.EventCount != 3 || s.ClosedBy != "gap" || s.LastEventID != last || s.EntryPage != "/" || s.ExitPage != "/cart" ||
		!s.Start.Equal(r.base) || s.DurationMS != (20*time.Minute).Milliseconds() {
		t.Fatalf("summary %+v, first event %s", s, first)
	}
}

func TestLateEventJoinsItsSessionAndTooLateIsDeadLettered(t *testing.T) {
	r := newRig(t)
	r.send("p-1", 0, "page_view", nil)
	r.send("p-1", 40*time.Minute, "page_view", nil) // a session of its own, so far
	// 20 minutes behind the latest event: too late.
	r.send("p-1", 20*time.Minute, "page_view", nil)
	dls := r.deadLetters()
	if len(dls) != 1 || dls[0].Reason != "too_late" || dls[0].Stage != "sessions" {
		t.Fatalf("dead letters %+v, want one too_late", dls)
	}
	// 38 minutes is within the lateness: it joins the session of 40.
	r.send("p-1", 38*time.Minute, "page_view", nil)
	r.send("p-1", 40*time.Minute+31*time.Minute+6*time.Minute, "page_view", nil)
	got := r.summaries()
	if len(got) != 2 || got[0].EventCount != 1 || got[1].EventCount != 2 {
		t.Fatalf("summaries %+v, want sessions of 1 and 2 events", got)
	}
}

func TestRedeliveryChangesNothing(t *testing.T) {
	r := newRig(t)
	ev := schemas.Event{EventID: "e-x", TS: r.base, Type: "page_view"}
	r.sendEvent("p-1", ev)
	r.sendEvent("p-1", ev)
	r.send("p-1", 2*time.Hour, "page_view", nil)
	got := r.summaries()
	if len(got) != 1 || got[0].EventCount != 1 {
		t.Fatalf("summaries %+v, want one of 1 event", got)
	}
	if dls := r.deadLetters(); len(dls) != 0 {
		t.Fatalf("dead letters %+v", dls)
	}
}

func TestMergeFoldsTheAbsorbedSession(t *testing.T) {
	r := newRig(t)
	r.send("p-old", 0, "page_view", nil)
	r.send("p-new", 5*time.Minute, "add_to_cart", nil)
	r.send("p-new", 6*time.Minute, "page_view", nil)
	b, err := r.codecs.Merge.Encode(&schemas.ProfileMerge{Absorbed: "p-new", Survivor: "p-old", CauseEventID: "e-9", Reason: "link", TS: r.base})
	if err != nil {
		t.Fatal(err)
	}
	r.tt.Consume("merges", "p-new", b)
	if v := r.tt.TableValue(goka.GroupTable("sessions"), "p-new").(*schemas.SessionState); v.MergedInto != "p-old" || len(v.Open) != 0 {
		t.Fatalf("absorbed profile keeps %+v, want only its survivor", v)
	}
	// Resolved to the absorbed profile before identity knew of the merge.
	r.send("p-new", 7*time.Minute, "page_view", nil)
	r.send("p-old", 3*time.Hour, "page_view", nil)
	got := r.summaries()
	if len(got) != 1 || got[0].ProfileID != "p-old" || got[0].EventCount != 4 || got[0].CountsByType["add_to_cart"] != 1 {
		t.Fatalf("summaries %+v, want one session of p-old with the absorbed events", got)
	}
	// A replayed merge finds nothing to hand over.
	r.tt.Consume("merges", "p-new", b)
	r.send("p-old", 6*time.Hour, "page_view", nil)
	if got := r.summaries(); len(got) != 1 || got[0].EventCount != 1 {
		t.Fatalf("after the replayed merge: %+v", got)
	}
}

// An absorbed profile's open session older than the survivor's closed
// sessions closes as a session of its own: its events came on time to
// their profile.
func TestAnOlderAbsorbedSessionIsNotTooLate(t *testing.T) {
	r := newRig(t)
	r.send("p-new", 0, "page_view", nil)
	r.send("p-new", time.Minute, "page_view", nil)
	r.send("p-gone", 10*time.Hour+10*time.Minute, "page_view", nil)
	r.send("p-old", 10*time.Hour, "page_view", nil)
	r.send("p-old", 20*time.Hour, "page_view", nil) // closes the session at 10h
	if got := r.summaries(); len(got) != 1 || got[0].ProfileID != "p-old" {
		t.Fatalf("summaries %+v, want p-old's session at 10h", got)
	}
	b, err := r.codecs.Merge.Encode(&schemas.ProfileMerge{Absorbed: "p-new", Survivor: "p-old", CauseEventID: "e-9", Reason: "link", TS: r.base})
	if err != nil {
		t.Fatal(err)
	}
	r.tt.Consume("merges", "p-new", b)
	if dls := r.deadLetters(); len(dls) != 0 {
		t.Fatalf("dead letters %+v, want none", dls)
	}
	got := r.summaries()
	if len(got) != 1 || got[0].ProfileID != "p-old" || got[0].EventCount != 2 || !got[0].Start.Equal(r.base) {
		t.Fatalf("summaries %+v, want the absorbed session of 2 events closed for p-old", got)
	}
	// A folded event within the gap of a closed session is still too late.
	b, err = r.codecs.Merge.Encode(&schemas.ProfileMerge{Absorbed: "p-gone", Survivor: "p-old", CauseEventID: "e-10", Reason: "link", TS: r.base})
	if err != nil {
		t.Fatal(err)
	}
	r.tt.Consume("merges", "p-gone", b)
	if dls := r.deadLetters(); len(dls) != 1 || dls[0].Reason != "too_late" {
		t.Fatalf("dead letters %+v, want one too_late", dls)
	}
}

func TestIdleSessionClosesOnTheSweep(t *testing.T) {
	r := newRig(t)
	r.send("p-idle", 0, "page_view", nil)
	// The partition's watermark moves on with another person's events.
	r.send("p-busy", 0, "page_view", nil)
	r.send("p-busy", 20*time.Minute, "page_view", nil)
	r.send("p-busy", 30*time.Minute, "page_view", nil)
	visit := func() {
		t.Helper()
		if err := r.proc.VisitAll(context.Background(), sessions.IdleVisitor, nil); err != nil {
			t.Fatal(err)
		}
		r.tt.Catchup()
	}
	r.clock.Advance(6 * time.Minute)
	visit() // watermark 25: not past 0 + 30
	if got := r.summaries(); len(got) != 0 {
		t.Fatalf("closed before the watermark passed the gap after the last event: %+v", got[0])
	}
	r.send("p-busy", 45*time.Minute, "page_view", nil)
	visit() // watermark 40: p-idle's session is over
	got := r.summaries()
	if len(got) != 1 || got[0].ProfileID != "p-idle" || got[0].ClosedBy != "idle" {
		t.Fatalf("summaries %+v, want p-idle closed by the sweep", got)
	}
	// With no event at all for the idle timeout, everything closes.
	r.clock.Advance(9 * time.Minute)
	visit()
	if got := r.summaries(); len(got) != 0 {
		t.Fatalf("closed before the idle timeout: %+v", got[0])
	}
	r.clock.Advance(time.Minute)
	visit()
	got = r.summaries()
	if len(got) != 1 || got[0].ProfileID != "p-busy" || got[0].EventCount != 4 || got[0].ClosedBy != "idle" {
		t.Fatalf("summaries %+v, want p-busy's session closed after the idle timeout", got)
	}
}

// Merges still arriving (identity works through the links of the last
// events) keep the idle timeout from closing sessions they may fold into.
func TestAMergeArrivingPutsOffTheIdleTimeout(t *testing.T) {
	r := newRig(t)
	r.send("p-old", 0, "page_view", nil)
	r.send("p-new", time.Minute, "page_view", nil)
	visit := func() []*schemas.SessionSummary {
		t.Helper()
		if err := r.proc.VisitAll(context.Background(), sessions.IdleVisitor, nil); err != nil {
			t.Fatal(err)
		}
		r.tt.Catchup()
		return r.summaries()
	}
	merge := func(absorbed, survivor string) {
		t.Helper()
		b, err := r.codecs.Merge.Encode(&schemas.ProfileMerge{Absorbed: absorbed, Survivor: survivor, CauseEventID: "e-9", Reason: "link", TS: r.base})
		if err != nil {
			t.Fatal(err)
		}
		r.tt.Consume("merges", absorbed, b)
	}
	r.clock.Advance(9 * time.Minute)
	merge("p-other", "p-elsewhere") // a merge of profiles with no session here
	r.clock.Advance(2 * time.Minute)
	if got := visit(); len(got) != 0 {
		t.Fatalf("closed 2 minutes after a merge arrived: %+v", got)
	}
	merge("p-new", "p-old")
	r.clock.Advance(10 * time.Minute)
	got := visit()
	if len(got) != 1 || got[0].ProfileID != "p-old" || got[0].EventCount != 2 {
		t.Fatalf("summaries %+v, want one session of p-old with both events once idle", got)
	}
}

func TestTheSlowestSourcePartitionHoldsTheWatermark(t *testing.T) {
	r := newRigWith(t, func(c *sessions.Config) { c.SourcePartitions = 2 })
	at := func(profile string, src int32, d time.Duration) {
		t.Helper()
		r.seq++
		b, err := r.codecs.Resolved.Encode(&schemas.ResolvedEvent{
			ProfileID: profile, SourcePartition: src,
			Event: schemas.Event{EventID: fmt.Sprintf("e-%04d", r.seq), TS: r.base.Add(d), Type: "page_view"},
		})
		if err != nil {
			t.Fatal(err)
		}
		r.tt.Consume("resolved", profile, b)
	}
	at("p-1", 0, 0)
	at("p-2", 0, 3*time.Hour) // partition 0 of events.raw is far ahead
	if got := r.summaries(); len(got) != 0 {
		t.Fatalf("closed while partition 1 of events.raw was never seen: %+v", got[0])
	}
	at("p-3", 1, 10*time.Minute) // partition 1 lags: watermark 5 minutes
	at("p-1", 0, 20*time.Minute) // still p-1's first session
	if got := r.summaries(); len(got) != 0 {
		t.Fatalf("closed while partition 1 lags: %+v", got[0])
	}
	at("p-3", 1, 2*time.Hour) // partition 1 catches up: watermark 1:55
	got := r.summaries()
	if len(got) != 1 || got[0].ProfileID != "p-3" || got[0].ClosedBy != "gap" {
		t.Fatalf("summaries %+v, want p-3's first session, closed by its next event", got)
	}
	// p-1 receives nothing more: the sweep closes its session.
	if err := r.proc.VisitAll(context.Background(), sessions.IdleVisitor, nil); err != nil {
		t.Fatal(err)
	}
	r.tt.Catchup()
	got = r.summaries()
	if len(got) != 1 || got[0].ProfileID != "p-1" || got[0].EventCount != 2 || got[0].ClosedBy != "idle" {
		t.Fatalf("summaries %+v, want p-1's session of 2 events closed by the sweep", got)
	}
}
