package triggers_test

import (
	"testing"
	"time"

	"github.com/lovoo/goka"

	"github.com/activa-dev/activa/internal/harness/harnesstest"
	"github.com/activa-dev/activa/processors/triggers"
	"github.com/activa-dev/activa/schemas"
)

// confirmations returns the stage's own confirmations (the topic carries
// identity's too, which the test writes as input).
func (r *rig) confirmations() []*schemas.ErasureConfirmation {
	var out []*schemas.ErasureConfirmation
	for _, c := range harnesstest.Confirmations(r.t, r.erased, r.codecs.Erasure) {
		if c.Stage != "identity" {
			out = append(out, c)
		}
	}
	return out
}

func (r *rig) value(key string) *schemas.TriggerState {
	v, _ := r.tt.TableValue(goka.GroupTable("triggers"), key).(*schemas.TriggerState)
	return v
}

// identityConfirms consumes identity's confirmation that profile, holding
// identifiers, was erased.
func (r *rig) identityConfirms(profile string, identifiers ...string) {
	r.t.Helper()
	b, err := r.codecs.Erasure.Encode(&schemas.ErasureConfirmation{ProfileID: profile, Stage: "identity", Identifiers: identifiers, RequestedEventID: "e-req", TS: r.base})
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume("erasures", profile, b)
}

func TestAnErasureDropsPendingCartsAndTheDevicesForgetTheProfile(t *testing.T) {
	r := newRig(t)
	r.sendOn("p-1", "d-1", 0, "add_to_cart", "sku-1", 10)
	r.sendOn("p-1", "d-2", time.Minute, "add_to_cart", "sku-2", 10)
	r.sendOn("p-2", "d-3", time.Minute, "add_to_cart", "sku-3", 10)
	// d-2 is shared: p-2 fills a cart on it later, and keeps it.
	r.sendOn("p-2", "d-2", 2*time.Minute, "add_to_cart", "sku-4", 10)
	req := r.send("p-1", 3*time.Minute, "erasure_request", "", 0, nil)
	cs := r.confirmations()
	if len(cs) != 1 || cs[0].ProfileID != "p-1" || cs[0].Stage != "triggers" || cs[0].RequestedEventID != req || len(cs[0].Tables) != 1 {
		t.Fatalf("confirmations %+v, want one of triggers for p-1", cs)
	}
	if st := r.value("p-1"); st == nil || !st.Erased || len(st.Pending) != 0 || len(st.Fired) != 0 {
		t.Fatalf("p-1 after the erasure: %+v, want the marker alone", st)
	}
	if st := r.value("device:d-1"); st != nil {
		t.Fatalf("device d-1 of the erased profile kept %+v", st)
	}
	if st := r.value("device:d-2"); st == nil || st.CartOf != "p-2" {
		t.Fatalf("shared device d-2 %+v, want it to keep p-2's cart", st)
	}
	// Identity's confirmation names every identifier the profile owned:
	// a device whose cart was decided long ago forgets the profile too.
	r.sendOn("p-9", "d-9", 0, "add_to_cart", "sku-9", 10)
	r.sendOn("p-9", "d-9", time.Minute, "purchase", "sku-9", 10)
	r.tick(2 * time.Hour)
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	if st := r.value("device:d-9"); st == nil || st.CartOf != "p-9" {
		t.Fatalf("device d-9 %+v, want p-9's", st)
	}
	r.identityConfirms("p-9", "cookie:c-9", "device:d-9")
	if st := r.value("device:d-9"); st != nil {
		t.Fatalf("device d-9 kept %+v after identity forgot p-9", st)
	}
	if cs := r.confirmations(); len(cs) != 1 || cs[0].ProfileID != "p-9" || cs[0].RequestedEventID != "e-req" {
		t.Fatalf("confirmations %+v, want p-9 erased on identity's word", cs)
	}
	// The request read after identity's confirmation, a late cart line,
	// a churn-risk move and the due sweep: nothing fires and nothing is
	// confirmed twice.
	r.send("p-9", 3*time.Minute, "erasure_request", "", 0, nil)
	r.identityConfirms("p-1", "device:d-1")
	r.send("p-1", 4*time.Minute, "add_to_cart", "sku-5", 10, nil)
	b, err := r.codecs.Change.Encode(&schemas.SegmentChange{ChangeID: "sc-1", ProfileID: "p-1", Kind: "lifecycle", From: "active", To: "at_risk", TS: r.base})
	if err != nil {
		t.Fatal(err)
	}
	r.tt.Consume("changes", "p-1", b)
	r.tick(5 * time.Hour)
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	for _, tr := range r.fired() {
		if tr.ProfileID == "p-1" || tr.ProfileID == "p-9" {
			t.Fatalf("fired for an erased profile: %+v", tr)
		}
	}
	if cs := r.confirmations(); len(cs) != 0 {
		t.Fatalf("confirmed again: %+v", cs)
	}
}

func TestAnErasureReachesTheSurvivorOfTheMerge(t *testing.T) {
	r := newRig(t)
	r.send("p-old", 0, "add_to_cart", "sku-1", 10, nil)
	r.send("p-new", time.Minute, "add_to_cart", "sku-2", 10, nil)
	b, err := r.codecs.Merge.Encode(&schemas.ProfileMerge{Absorbed: "p-new", Survivor: "p-old", TS: r.base})
	if err != nil {
		t.Fatal(err)
	}
	r.tt.Consume("merges", "p-new", b)
	r.send("p-new", 2*time.Minute, "erasure_request", "", 0, nil)
	if cs := r.confirmations(); len(cs) != 1 || cs[0].ProfileID != "p-old" {
		t.Fatalf("confirmations %+v, want the survivor p-old", cs)
	}
	r.tick(3 * time.Hour)
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	if got := r.fired(); len(got) != 0 {
		t.Fatalf("fired %+v, want nothing for the erased person's carts", got)
	}
}
