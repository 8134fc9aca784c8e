package sessions_test

import (
	"context"
	"testing"
	"time"

	"github.com/lovoo/goka"

	"github.com/activa-dev/activa/internal/harness/harnesstest"
	"github.com/activa-dev/activa/processors/sessions"
	"github.com/activa-dev/activa/schemas"
)

func (r *rig) confirmations() []*schemas.ErasureConfirmation {
	return harnesstest.Confirmations(r.t, r.erased, r.codecs.Erasure)
}

func (r *rig) merge(absorbed, survivor string) {
	r.t.Helper()
	b, err := r.codecs.Merge.Encode(&schemas.ProfileMerge{Absorbed: absorbed, Survivor: survivor, TS: r.base})
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume("merges", absorbed, b)
}

func (r *rig) state(profile string) *schemas.SessionState {
	v, _ := r.tt.TableValue(goka.GroupTable("sessions"), profile).(*schemas.SessionState)
	return v
}

func TestAnErasureDropsTheOpenSessionAndWhatFollows(t *testing.T) {
	r := newRig(t)
	r.send("p-1", 0, "page_view", map[string]string{"url": "/"})
	r.send("p-1", time.Minute, "add_to_cart", nil)
	req := r.send("p-1", 2*time.Minute, "erasure_request", nil)
	cs := r.confirmations()
	if len(cs) != 1 || cs[0].ProfileID != "p-1" || cs[0].Stage != "sessions" || cs[0].RequestedEventID != req ||
		len(cs[0].Tables) != 1 || cs[0].Tables[0] != "sessions-table" {
		t.Fatalf("confirmations %+v, want one of sessions for p-1 naming its table", cs)
	}
	if st := r.state("p-1"); st == nil || !st.Erased || len(st.Open) != 0 || !st.MaxTS.IsZero() {
		t.Fatalf("state after the erasure %+v, want only the erased marker", st)
	}
	// An event resolved before identity forgot the profile, the request
	// read again, and the idle sweep: nothing comes out.
	r.send("p-1", 3*time.Minute, "page_view", nil)
	r.send("p-1", 2*time.Minute, "erasure_request", nil)
	r.clock.Advance(time.Hour)
	if err := r.proc.VisitAll(context.Background(), sessions.IdleVisitor, nil); err != nil {
		t.Fatal(err)
	}
	r.tt.Catchup()
	if got := r.summaries(); len(got) != 0 {
		t.Fatalf("summaries of an erased profile: %+v", got)
	}
	if got := r.confirmations(); len(got) != 0 {
		t.Fatalf("confirmed again: %+v", got)
	}
	if st := r.state("p-1"); !st.Erased || len(st.Open) != 0 {
		t.Fatalf("state %+v, want the marker alone", st)
	}
}

func TestAnErasureReachesTheSurvivorOfAMerge(t *testing.T) {
	r := newRig(t)
	r.send("p-old", 0, "page_view", nil)
	r.send("p-new", time.Minute, "page_view", nil)
	r.merge("p-new", "p-old")
	// The request was resolved to the absorbed profile before identity
	// knew of the merge: the survivor, the same person, is forgotten.
	req := r.send("p-new", 2*time.Minute, "erasure_request", nil)
	cs := r.confirmations()
	if len(cs) != 1 || cs[0].ProfileID != "p-old" || cs[0].Stage != "sessions" {
		t.Fatalf("confirmations %+v, want one for the survivor p-old (request %s)", cs, req)
	}
	if st := r.state("p-old"); !st.Erased || len(st.Open) != 0 {
		t.Fatalf("survivor %+v, want erased", st)
	}
	// Erased first, merged after: the survivor goes too.
	r.send("p-a", 0, "page_view", nil)
	r.send("p-b", 0, "page_view", nil)
	r.send("p-a", time.Minute, "erasure_request", nil)
	r.merge("p-a", "p-b")
	cs = r.confirmations()
	if len(cs) != 2 || cs[0].ProfileID != "p-a" || cs[1].ProfileID != "p-b" {
		t.Fatalf("confirmations %+v, want p-a then its survivor p-b", cs)
	}
	// The watermark passes the gap after their events, and the sweep runs:
	// had they not been erased, both sessions would close now.
	r.send("p-c", 3*time.Hour, "page_view", nil)
	if err := r.proc.VisitAll(context.Background(), sessions.IdleVisitor, nil); err != nil {
		t.Fatal(err)
	}
	r.tt.Catchup()
	if got := r.summaries(); len(got) != 0 {
		t.Fatalf("summaries %+v, want none of an erased person", got)
	}
}
