package triggers_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/activa-dev/activa/internal/harness/harnesstest"
	"github.com/activa-dev/activa/processors/triggers"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/schemas/schematest"
)

type rig struct {
	t      *testing.T
	tt     *tester.Tester
	proc   *goka.Processor
	codecs triggers.Codecs
	out    *tester.QueueTracker
	erased *tester.QueueTracker
	dlq    *tester.QueueTracker
	clock  *harnesstest.Clock
	base   time.Time
	seq    int
}

func newRig(t *testing.T) *rig { return newRigWith(t, nil) }

func newRigWith(t *testing.T, tweak func(*triggers.Config)) *rig {
	t.Helper()
	rc := schematest.Registry(t)
	c := triggers.Codecs{
		Resolved: schematest.Register[schemas.ResolvedEvent](t, rc, "resolved-value", schemas.ResolvedEventRecord),
		Merge:    schematest.Register[schemas.ProfileMerge](t, rc, "merges-value", schemas.ProfileMergeRecord),
		Change:   schematest.Register[schemas.SegmentChange](t, rc, "changes-value", schemas.SegmentChangeRecord),
		Trigger:  schematest.Register[schemas.Trigger](t, rc, "triggers-value", schemas.TriggerRecord),
		State:    schematest.Register[schemas.TriggerState](t, rc, "triggers-table-value", schemas.TriggerStateRecord),
		Erasure:  schematest.Register[schemas.ErasureConfirmation](t, rc, "erasures-value", schemas.ErasureConfirmationRecord),
	}
	clk := harnesstest.NewClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	cfg := triggers.DefaultConfig()
	cfg.Group = "triggers"
	cfg.Topics = triggers.Topics{Input: "resolved", Merges: "merges", Changes: "changes", Triggers: "triggers", Erasures: "erasures"}
	cfg.Codecs = c
	cfg.SourcePartitions = 1
	cfg.Harness = harnesstest.Harness(t, rc, "triggers")
	cfg.Metrics = triggers.NewMetrics(nil)
	cfg.Now = clk.Now
	cfg.Rules.Grace = 0
	if tweak != nil {
		tweak(&cfg)
	}
	g, err := triggers.Define(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tt, proc := harnesstest.Start(t, g)
	return &rig{
		t: t, tt: tt, proc: proc, codecs: c, clock: clk,
		out: tt.NewQueueTracker("triggers"), erased: tt.NewQueueTracker("erasures"), dlq: tt.NewQueueTracker(harnesstest.Deadletter),
		base: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC),
	}
}

// send consumes an event of profile at base+at and returns its id.
func (r *rig) send(profile string, at time.Duration, typ, product string, value float64, props map[string]string) string {
	r.t.Helper()
	r.seq++
	id := fmt.Sprintf("e-%04d", r.seq)
	r.sendID(profile, id, at, typ, product, value, props)
	return id
}

func (r *rig) sendID(profile, id string, at time.Duration, typ, product string, value float64, props map[string]string) {
	r.t.Helper()
	r.sendEvent(profile, schemas.Event{EventID: id, TS: r.base.Add(at), Type: typ, Channel: "web", ProductID: product, Value: value, IDs: schemas.IDs{Cookie: "c-1"}, Props: props})
}

// sendOn consumes an event of profile from device at base+at.
func (r *rig) sendOn(profile, device string, at time.Duration, typ, product string, value float64) {
	r.t.Helper()
	r.seq++
	r.sendEvent(profile, schemas.Event{EventID: fmt.Sprintf("e-%04d", r.seq), TS: r.base.Add(at), Type: typ, Channel: "app", ProductID: product, Value: value, IDs: schemas.IDs{Device: device}})
}

func (r *rig) sendEvent(profile string, ev schemas.Event) {
	r.t.Helper()
	b, err := r.codecs.Resolved.Encode(&schemas.ResolvedEvent{ProfileID: profile, Event: ev})
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume("resolved", profile, b)
}

// tick moves event time on with another profile's page view.
func (r *rig) tick(at time.Duration) { r.send("p-clock", at, "page_view", "", 0, nil) }

func (r *rig) fired() []*schemas.Trigger {
	return harnesstest.Drain(r.t, r.out, func(tr *schemas.Trigger) string { return tr.ProfileID })
}

func (r *rig) deadLetters() []*schemas.DeadLetter { return harnesstest.DeadLetters(r.dlq) }

func TestAnAbandonedCartFiresOnceWhenTheWatermarkPassesItsDelay(t *testing.T) {
	r := newRig(t)
	first := r.send("p-1", 0, "add_to_cart", "p-10", 20, map[string]string{"qty": "2"})
	last := r.send("p-1", 5*time.Minute, "add_to_cart", "p-11", 9.5, nil)
	r.tick(30 * time.Minute)
	if got := r.fired(); len(got) != 0 {
		t.Fatalf("fired before the delay and the lateness passed: %+v", got)
	}
	// The watermark (40 - 5 lateness) passes 5 + 30.
	r.tick(40*time.Minute + time.Second)
	r.send("p-1", 41*time.Minute, "page_view", "", 0, nil) // changes nothing for p-1
	got := r.fired()
	if len(got) != 0 {
		t.Fatalf("a page view decided the cart: %+v", got)
	}
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	got = r.fired()
	if len(got) != 1 {
		t.Fatalf("%d triggers, want 1", len(got))
	}
	tr := got[0]
	if tr.Kind != triggers.KindCart || tr.ProfileID != "p-1" || tr.CauseEventID != last || tr.CartValue != 49.5 ||
		fmt.Sprint(tr.Products) != "[p-10 p-11]" || !tr.DueTS.Equal(r.base.Add(35*time.Minute)) || tr.TriggerID != triggers.TriggerID(triggers.KindCart, first) {
		t.Fatalf("trigger %+v", tr)
	}
	// Visiting again, or a redelivered line, fires nothing more; a line
	// of the decided cart arriving now is too late.
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	r.sendID("p-1", last, 5*time.Minute, "add_to_cart", "p-11", 9.5, nil)
	r.send("p-1", 2*time.Minute, "add_to_cart", "p-12", 1, nil)
	if got := r.fired(); len(got) != 0 {
		t.Fatalf("fired again: %+v", got)
	}
	if dl := r.deadLetters(); len(dl) != 1 || dl[0].Reason != "too_late" {
		t.Fatalf("dead letters %+v, want the late line", dl)
	}
}

func TestAPurchaseWithinTheDelaySavesTheCartEvenWhenItArrivesLate(t *testing.T) {
	r := newRig(t)
	r.send("p-1", 0, "add_to_cart", "p-10", 20, nil)
	r.tick(12 * time.Minute)
	// Bought at 10 minutes, delivered after an event at 12.
	r.send("p-1", 10*time.Minute, "purchase", "", 20, nil)
	r.send("p-2", 0, "add_to_cart", "p-10", 20, nil)
	r.send("p-2", 31*time.Minute, "store_purchase", "", 20, nil) // after the delay: too late to save it
	r.send("p-3", 0, "add_to_cart", "p-10", 20, nil)
	r.send("p-3", time.Minute, "remove_from_cart", "p-10", 20, nil) // emptied
	r.tick(3 * time.Hour)
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	got := r.fired()
	if len(got) != 1 || got[0].ProfileID != "p-2" {
		t.Fatalf("triggers %+v, want p-2's cart only", got)
	}
}

func TestFormsFireOnAnAbandonAtOnceOrAfterTheDelay(t *testing.T) {
	r := newRig(t)
	form := func(id string) map[string]string { return map[string]string{"form_id": id} }
	r.send("p-1", 0, "form_start", "", 0, form("newsletter"))
	r.send("p-1", 2*time.Minute, "form_submit", "", 0, form("newsletter"))
	r.send("p-1", 3*time.Minute, "form_start", "", 0, form("contact"))
	ab := r.send("p-1", 4*time.Minute, "form_abandon", "", 0, form("contact"))
	got := r.fired()
	if len(got) != 1 || got[0].Kind != triggers.KindForm || got[0].FormID != "contact" || got[0].CauseEventID != ab || got[0].TriggerID != triggers.TriggerID(triggers.KindForm, ab) {
		t.Fatalf("triggers after the abandon %+v", got)
	}
	// A start whose submit arrived first (within the lateness) is
	// complete; a start with nothing after it fires after the delay.
	r.send("p-2", 11*time.Minute, "form_submit", "", 0, form("signup"))
	r.send("p-2", 10*time.Minute, "form_start", "", 0, form("signup"))
	silent := r.send("p-2", 20*time.Minute, "form_start", "", 0, form("survey"))
	r.tick(56 * time.Minute)
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	got = r.fired()
	if len(got) != 1 || got[0].ProfileID != "p-2" || got[0].FormID != "survey" || got[0].CauseEventID != silent {
		t.Fatalf("triggers after the delay %+v", got)
	}
}

func TestMergeHandsPendingCartsToTheSurvivor(t *testing.T) {
	r := newRig(t)
	r.send("p-new", 0, "add_to_cart", "p-10", 20, nil)
	b, err := r.codecs.Merge.Encode(&schemas.ProfileMerge{Absorbed: "p-new", Survivor: "p-old", TS: r.base})
	if err != nil {
		t.Fatal(err)
	}
	r.tt.Consume("merges", "p-new", b)
	r.tt.Consume("merges", "p-new", b) // replayed
	// Resolved to the absorbed profile before identity knew: forwarded.
	r.send("p-new", time.Minute, "add_to_cart", "p-11", 5, nil)
	r.tick(2 * time.Hour)
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	got := r.fired()
	if len(got) != 1 || got[0].ProfileID != "p-old" || got[0].CartValue != 25 {
		t.Fatalf("triggers %+v, want one cart of 25 for p-old", got)
	}
}

func TestChurnRiskFiresOnceFromALifecycleChange(t *testing.T) {
	r := newRig(t)
	for _, c := range []schemas.SegmentChange{
		{ChangeID: "c-1", ProfileID: "p-1", Kind: "lifecycle", From: "active", To: "at-risk", CauseEventID: "e-9", TS: r.base},
		{ChangeID: "c-1", ProfileID: "p-1", Kind: "lifecycle", From: "active", To: "at-risk", CauseEventID: "e-9", TS: r.base}, // redelivered
		{ChangeID: "c-2", ProfileID: "p-1", Kind: "tier", From: "gold", To: "silver", TS: r.base},
	} {
		b, err := r.codecs.Change.Encode(&c)
		if err != nil {
			t.Fatal(err)
		}
		r.tt.Consume("changes", c.ProfileID, b)
	}
	got := r.fired()
	if len(got) != 1 || got[0].Kind != triggers.KindChurn || got[0].Details["from_lifecycle"] != "active" || got[0].TriggerID != triggers.TriggerID(triggers.KindChurn, "c-1") {
		t.Fatalf("triggers %+v", got)
	}
}

func TestChurnRiskFiresOnTheConfiguredStage(t *testing.T) {
	r := newRigWith(t, func(c *triggers.Config) { c.Rules.ChurnStage = "dormant" })
	for i, to := range []string{"at-risk", "dormant"} {
		c := schemas.SegmentChange{ChangeID: fmt.Sprint("c-", i), ProfileID: "p-1", Kind: "lifecycle", From: "active", To: to, CauseEventID: "e-9", TS: r.base}
		b, err := r.codecs.Change.Encode(&c)
		if err != nil {
			t.Fatal(err)
		}
		r.tt.Consume("changes", c.ProfileID, b)
	}
	got := r.fired()
	if len(got) != 1 || got[0].TriggerID != triggers.TriggerID(triggers.KindChurn, "c-1") {
		t.Fatalf("triggers %+v, want one churn_risk, on entering dormant", got)
	}
}

func TestIdlePartitionDecidesEverything(t *testing.T) {
	r := newRig(t)
	r.send("p-1", 0, "add_to_cart", "p-10", 20, nil)
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	if got := r.fired(); len(got) != 0 {
		t.Fatalf("fired at once: %+v", got)
	}
	r.clock.Advance(11 * time.Minute) // past the idle timeout, no input
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	if got := r.fired(); len(got) != 1 {
		t.Fatalf("%d triggers after the idle timeout, want 1", len(got))
	}
}

func TestAPurchaseOfAnAbsorbedProfileSavesTheSurvivorsCart(t *testing.T) {
	r := newRig(t)
	// The cart is on the older, anonymous profile; the login at checkout
	// resolved the purchase to the customer's profile, which then merges
	// into the anonymous one.
	r.send("p-anon", 0, "add_to_cart", "p-10", 20, nil)
	r.send("p-cust", 2*time.Minute, "purchase", "", 20, nil)
	b, err := r.codecs.Merge.Encode(&schemas.ProfileMerge{Absorbed: "p-cust", Survivor: "p-anon", TS: r.base})
	if err != nil {
		t.Fatal(err)
	}
	r.tt.Consume("merges", "p-cust", b)
	r.tick(3 * time.Hour)
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	if got := r.fired(); len(got) != 0 {
		t.Fatalf("a bought cart fired: %+v", got)
	}
}

func TestACartHandedOverAfterItsPurchaseWasDecidedIsBought(t *testing.T) {
	r := newRig(t)
	// Anonymous cart, then a login at checkout: the purchase resolves to
	// the customer's profile, and the merge of the anonymous one arrives
	// after the survivor has decided past the purchase.
	r.send("p-anon", 0, "add_to_cart", "p-10", 20, nil)
	r.send("p-cust", 2*time.Minute, "purchase", "", 20, nil)
	r.tick(3 * time.Hour)
	r.send("p-cust", 3*time.Hour, "add_to_cart", "p-11", 1, nil) // decides up to 2h55
	r.send("p-cust", 3*time.Hour+time.Minute, "purchase", "", 1, nil)
	b, err := r.codecs.Merge.Encode(&schemas.ProfileMerge{Absorbed: "p-anon", Survivor: "p-cust", TS: r.base})
	if err != nil {
		t.Fatal(err)
	}
	r.tt.Consume("merges", "p-anon", b)
	r.tick(6 * time.Hour)
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	if got := r.fired(); len(got) != 0 {
		t.Fatalf("a bought cart fired: %+v", got)
	}
}

// TestAPurchaseOnASharedDeviceBuysTheCartFilledThere: identity keeps a
// device two customers share in one profile, so the lines a person adds
// on it before identifying and the purchase they make after land in two
// profiles. The purchase still buys the cart filled on that device,
// whichever of the two the triggers processor reads first, and no other
// cart.
func TestAPurchaseOnASharedDeviceBuysTheCartFilledThere(t *testing.T) {
	r := newRig(t)
	// The cart first, then the purchase.
	r.sendOn("p-tablet", "d-shared", 0, "add_to_cart", "p-10", 20)
	r.sendOn("p-buyer", "d-shared", 4*time.Minute, "purchase", "", 20)
	// The purchase first (read before the line, within the lateness).
	r.sendOn("p-buyer2", "d-shared2", 4*time.Minute, "purchase", "", 20)
	r.sendOn("p-tablet2", "d-shared2", time.Minute, "add_to_cart", "p-10", 20)
	// A cart on another device that the buyer's purchase does not buy.
	r.sendOn("p-tablet", "d-own", 2*time.Hour, "add_to_cart", "p-20", 5)
	r.sendOn("p-buyer", "d-shared", 2*time.Hour+time.Minute, "purchase", "", 30)
	r.tick(3 * time.Hour)
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	got := r.fired()
	if len(got) != 1 || got[0].ProfileID != "p-tablet" || len(got[0].Products) != 1 || got[0].Products[0] != "p-20" {
		t.Fatalf("fired %+v, want the one cart of p-tablet on d-own", got)
	}
}

// TestTheDeviceFollowsTheProfileFillingACartOnIt: two persons share a
// device and take turns filling carts on it. The device hands a purchase
// to the profile that filled a cart on it last, even when that profile
// still holds undecided lines from the device (decisions wait for the
// watermark and the grace, so how many lines are pending depends on
// timing).
func TestTheDeviceFollowsTheProfileFillingACartOnIt(t *testing.T) {
	r := newRig(t)
	r.sendOn("p-a", "d-shared", 0, "add_to_cart", "p-1", 10)
	r.sendOn("p-b", "d-shared", time.Minute, "add_to_cart", "p-2", 10)
	r.sendOn("p-a", "d-shared", 2*time.Minute, "add_to_cart", "p-3", 10) // p-a's first line still pending
	r.sendOn("p-b", "d-shared", 3*time.Minute, "purchase", "", 20)
	r.tick(3 * time.Hour)
	r.proc.VisitAll(t.Context(), triggers.DueVisitor, nil)
	if got := r.fired(); len(got) != 0 {
		t.Fatalf("a cart bought on the shared device fired: %+v", got)
	}
}
