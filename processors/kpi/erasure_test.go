package kpi_test

import (
	"testing"
	"time"

	"github.com/lovoo/goka"

	"github.com/activa-dev/activa/internal/harness/harnesstest"
	"github.com/activa-dev/activa/schemas"
)

// An erasure forgets the ids the stage keeps per person; what the person
// bought stays in the series, sums that name no one.
func TestAnErasureForgetsThePersonsPurchasesButNotTheSums(t *testing.T) {
	r := newRig(t)
	r.buy("p-1", 10*time.Minute, 20)
	if v := r.tt.TableValue(goka.GroupTable("kpi"), "p-1"); v == nil {
		t.Fatal("no state kept for p-1's purchase")
	}
	r.seq++
	r.send("p-1", schemas.Event{EventID: "e-req", TS: r.base.Add(20 * time.Minute), Type: "erasure_request", Channel: "web"})
	if v := r.tt.TableValue(goka.GroupTable("kpi"), "p-1"); v != nil {
		t.Fatalf("state of the erased profile: %+v", v)
	}
	cs := harnesstest.Confirmations(t, r.erased, r.codecs.Erasure)
	if len(cs) != 1 || cs[0].Stage != "kpi" || cs[0].RequestedEventID != "e-req" || len(cs[0].Tables) != 1 || cs[0].Tables[0] != "kpi-table" {
		t.Fatalf("confirmations %+v, want one of kpi naming its table", cs)
	}
	// A profile the stage knew nothing of is confirmed with no table.
	r.send("p-2", schemas.Event{EventID: "e-req2", TS: r.base.Add(20 * time.Minute), Type: "erasure_request", Channel: "web"})
	if cs := harnesstest.Confirmations(t, r.erased, r.codecs.Erasure); len(cs) != 1 || cs[0].ProfileID != "p-2" || len(cs[0].Tables) != 0 {
		t.Fatalf("confirmations %+v, want p-2 with no table", cs)
	}
	r.tick(2*time.Hour + 6*time.Minute)
	if a := r.closed()["revenue|total||2026-11-02T08:00:00Z"]; a == nil || a.Actual != 20 || a.Count != 1 {
		t.Fatalf("08:00 revenue %+v, want the erased person's purchase still summed", a)
	}
}
