package features_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lovoo/goka/tester"

	"github.com/activa-dev/activa/internal/harness/harnesstest"
	"github.com/activa-dev/activa/processors/features"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/schemas/schematest"
)

type rig struct {
	t      *testing.T
	tt     *tester.Tester
	codecs features.Codecs
	out    *tester.QueueTracker
	erased *tester.QueueTracker
	dlq    *tester.QueueTracker
	base   time.Time
}

func newRig(t *testing.T) *rig {
	t.Helper()
	rc := schematest.Registry(t)
	c := features.Codecs{
		Resolved: schematest.Register[schemas.ResolvedEvent](t, rc, "resolved-value", schemas.ResolvedEventRecord),
		Session:  schematest.Register[schemas.SessionSummary](t, rc, "closed-value", schemas.SessionSummaryRecord),
		Merge:    schematest.Register[schemas.ProfileMerge](t, rc, "merges-value", schemas.ProfileMergeRecord),
		Features: schematest.Register[schemas.ProfileFeatures](t, rc, "features-value", schemas.ProfileFeaturesRecord),
		State:    schematest.Register[schemas.FeatureState](t, rc, "features-table-value", schemas.FeatureStateRecord),
		Erasure:  schematest.Register[schemas.ErasureConfirmation](t, rc, "erasures-value", schemas.ErasureConfirmationRecord),
	}
	cfg := features.DefaultConfig()
	cfg.Group = "features"
	cfg.Topics = features.Topics{Input: "resolved", Sessions: "closed", Merges: "merges", Features: "features", Erasures: "erasures"}
	cfg.Codecs = c
	cfg.Harness = harnesstest.Harness(t, rc, "features")
	cfg.Metrics = features.NewMetrics(nil)
	g, err := features.Define(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tt, _ := harnesstest.Start(t, g)
	return &rig{
		t: t, tt: tt, codecs: c, out: tt.NewQueueTracker("features"), erased: tt.NewQueueTracker("erasures"), dlq: tt.NewQueueTracker(harnesstest.Deadletter),
		base: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC),
	}
}

func (r *rig) event(profile, id string, at time.Duration, typ string, value float64) {
	r.t.Helper()
	ev := schemas.Event{EventID: id, TS: r.base.Add(at), Type: typ, Channel: "web", Category: "shoes", Value: value, IDs: schemas.IDs{Cookie: "c-" + profile}}
	b, err := r.codecs.Resolved.Encode(&schemas.ResolvedEvent{ProfileID: profile, Event: ev})
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume("resolved", profile, b)
}

func (r *rig) session(profile, id string, dur time.Duration, abandoned bool) {
	r.t.Helper()
	b, err := r.codecs.Session.Encode(&schemas.SessionSummary{
		ProfileID: profile, SessionID: id, DurationMS: dur.Milliseconds(), ClosedBy: "gap",
		CountsByType: map[string]int64{"add_to_cart": 1}, CartAbandoned: abandoned,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume("closed", profile, b)
}

func (r *rig) merge(absorbed, survivor string) {
	r.t.Helper()
	b, err := r.codecs.Merge.Encode(&schemas.ProfileMerge{Absorbed: absorbed, Survivor: survivor, TS: r.base})
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume("merges", absorbed, b)
}

// published returns the records published since the last call, by key in
// order (nil for a tombstone).
func (r *rig) published() map[string][]*schemas.ProfileFeatures {
	out := map[string][]*schemas.ProfileFeatures{}
	for {
		k, b, ok := r.out.NextRaw()
		if !ok {
			return out
		}
		if b == nil {
			out[k] = append(out[k], nil)
			continue
		}
		f, err := r.codecs.Features.DecodeTyped(b)
		if err != nil {
			r.t.Fatal(err)
		}
		if f.ProfileID != k {
			r.t.Fatalf("features of %s keyed %s", f.ProfileID, k)
		}
		out[k] = append(out[k], f)
	}
}

func last(fs []*schemas.ProfileFeatures) *schemas.ProfileFeatures {
	if len(fs) == 0 {
		return nil
	}
	return fs[len(fs)-1]
}

func TestEveryChangeIsPublishedAndARedeliveryChangesNothing(t *testing.T) {
	r := newRig(t)
	r.event("p-1", "e-1", 0, "page_view", 0)
	r.event("p-1", "e-2", time.Minute, "purchase", 59.9)
	r.session("p-1", "s-1", 10*time.Minute, false)
	got := r.published()["p-1"]
	if len(got) != 3 {
		t.Fatalf("%d records published, want 3", len(got))
	}
	f := last(got)
	if f.Version != 3 || f.Orders != 1 || f.OnlineSpend != 59.9 || f.Sessions != 1 || f.MeanSessionDurationMS != 600_000 || f.LastEventID != "e-2" {
		t.Fatalf("features %+v", f)
	}
	// The same event and session again, as after a crash of identity or
	// sessions: nothing changes, nothing is published.
	r.event("p-1", "e-2", time.Minute, "purchase", 59.9)
	r.session("p-1", "s-1", 10*time.Minute, false)
	if again := r.published(); len(again) != 0 {
		t.Fatalf("a redelivery published %v", again)
	}
}

func TestMergeFoldsTheAbsorbedProfileAndForwardsItsLateInput(t *testing.T) {
	r := newRig(t)
	r.event("p-old", "e-1", 0, "purchase", 10)
	r.session("p-old", "s-1", time.Minute, true)
	r.event("p-new", "e-2", time.Hour, "purchase", 20)
	r.published()
	r.merge("p-new", "p-old")
	out := r.published()
	if ts := out["p-new"]; len(ts) != 1 || ts[0] != nil {
		t.Fatalf("absorbed profile published %v, want one tombstone", ts)
	}
	f := last(out["p-old"])
	if f == nil || f.Orders != 2 || f.OnlineSpend != 30 || f.Sessions != 1 || f.CartAbandonRate != 1 || !f.LastSeen.Equal(r.base.Add(time.Hour)) {
		t.Fatalf("survivor after the merge: %+v", f)
	}
	// Resolved to the absorbed profile before identity knew: forwarded.
	r.event("p-new", "e-3", 2*time.Hour, "store_purchase", 5)
	r.session("p-new", "s-2", time.Minute, false)
	out = r.published()
	if len(out["p-new"]) != 0 {
		t.Fatalf("absorbed profile published again: %v", out["p-new"])
	}
	f = last(out["p-old"])
	if f == nil || f.Orders != 3 || f.OfflineSpend != 5 || f.Sessions != 2 || f.CartAbandonRate != 0.5 {
		t.Fatalf("survivor after forwarding: %+v", f)
	}
	// A replayed merge and a forwarded duplicate change nothing.
	r.merge("p-new", "p-old")
	r.event("p-new", "e-3", 2*time.Hour, "store_purchase", 5)
	if out := r.published(); len(out) != 0 {
		t.Fatalf("replays published %v", out)
	}
	// A chain: the survivor is absorbed in turn, and the first absorbed
	// profile's input follows.
	r.merge("p-old", "p-root")
	r.event("p-new", "e-4", 3*time.Hour, "page_view", 0)
	f = last(r.published()["p-root"])
	if f == nil || f.Orders != 3 || f.LastEventID != "e-4" {
		t.Fatalf("end of the chain: %+v", f)
	}
}

// TestAnErasureRequestForgetsTheProfile: the request tombstones the
// profile's features, and nothing arriving for it afterwards (its last
// session closing, a replay of its events, an event resolved to a profile
// absorbed into it) brings them back.
func TestAnErasureRequestForgetsTheProfile(t *testing.T) {
	r := newRig(t)
	r.event("p-1", "e-1", 0, "purchase", 10)
	r.event("p-2", "e-2", 0, "purchase", 20)
	r.merge("p-2", "p-1")
	r.published()
	r.event("p-1", "e-3", time.Minute, "erasure_request", 0)
	if out := r.published(); len(out["p-1"]) != 1 || out["p-1"][0] != nil || len(out) != 1 {
		t.Fatalf("erasure published %v, want one tombstone of p-1", out)
	}
	r.session("p-1", "s-1", time.Minute, false)
	r.event("p-1", "e-1", 0, "purchase", 10)
	r.event("p-1", "e-4", 2*time.Minute, "page_view", 0)
	r.event("p-2", "e-5", 2*time.Minute, "page_view", 0)
	if out := r.published(); len(out) != 0 {
		t.Fatalf("after the erasure, published %v", out)
	}
	// The request resolved to a profile absorbed since reaches its survivor.
	r.event("p-3", "e-6", 0, "purchase", 5)
	r.merge("p-4", "p-3")
	r.published()
	r.event("p-4", "e-7", time.Minute, "erasure_request", 0)
	if out := r.published(); len(out["p-3"]) != 1 || out["p-3"][0] != nil {
		t.Fatalf("erasure through an absorbed profile published %v, want a tombstone of p-3", out)
	}
	// The request reached the profile before the merge that absorbs it:
	// the survivor is the same person's, and forgets them too.
	r.event("p-5", "e-8", 0, "purchase", 5)
	r.event("p-6", "e-9", 0, "purchase", 7)
	r.published()
	r.event("p-6", "e-10", time.Minute, "erasure_request", 0)
	r.merge("p-6", "p-5")
	r.merge("p-6", "p-5") // replayed
	if out := r.published(); len(out) != 2 || len(out["p-5"]) != 1 || out["p-5"][0] != nil || len(out["p-6"]) != 1 {
		t.Fatalf("erasure before the merge published %v, want one tombstone of p-6 and one of p-5", out)
	}
	r.event("p-5", "e-11", 2*time.Minute, "page_view", 0)
	if out := r.published(); len(out) != 0 {
		t.Fatalf("after the erasure, published %v", out)
	}
	// One confirmation per profile forgotten, naming the request when the
	// profile was the one it was resolved to.
	var got []string
	for _, c := range harnesstest.Confirmations(t, r.erased, r.codecs.Erasure) {
		if c.Stage != "features" || len(c.Tables) != 2 || c.Tables[0] != "features-table" || c.Tables[1] != "features" {
			t.Errorf("confirmation %+v, want the features stage naming its table and topic", c)
		}
		got = append(got, c.ProfileID+"/"+c.RequestedEventID)
	}
	if want := []string{"p-1/e-3", "p-3/", "p-6/e-10", "p-5/"}; !slices.Equal(got, want) {
		t.Fatalf("confirmations %v, want %v", got, want)
	}
}

func TestBadInputIsDeadLettered(t *testing.T) {
	r := newRig(t)
	r.tt.Consume("resolved", "p-1", []byte("not avro"))
	r.event("p-1", "", 0, "page_view", 0)
	r.session("p-1", "", time.Minute, false)
	r.merge("p-1", "p-1")
	var reasons []string
	for _, d := range harnesstest.DeadLetters(r.dlq) {
		reasons = append(reasons, d.Reason)
	}
	if fmt.Sprint(reasons) != "[undecodable invalid invalid invalid]" {
		t.Fatalf("dead letters %v", reasons)
	}
	if out := r.published(); len(out) != 0 {
		t.Fatalf("bad input published %v", out)
	}
}
