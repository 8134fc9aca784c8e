package segments_test

import (
	"slices"
	"testing"

	"github.com/lovoo/goka"

	"github.com/activa-dev/activa/internal/harness/harnesstest"
	"github.com/activa-dev/activa/schemas"
)

// confirm consumes stage's confirmation that profile was erased.
func (r *rig) confirm(stage, profile string) {
	r.t.Helper()
	b, err := r.codecs.Erasure.Encode(&schemas.ErasureConfirmation{ProfileID: profile, Stage: stage, RequestedEventID: "e-req", TS: r.day0})
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume("erasures", profile, b)
}

// ownConfirmations returns the confirmations of the segments stage.
func (r *rig) ownConfirmations() []*schemas.ErasureConfirmation {
	var out []*schemas.ErasureConfirmation
	for _, c := range harnesstest.Confirmations(r.t, r.erased, r.codecs.Erasure) {
		if c.Stage == "segments" {
			out = append(out, c)
		}
	}
	return out
}

func TestAnErasureTakesTheProfileOutAtOnceAndKeepsOutWhatFollows(t *testing.T) {
	r := newRig(t)
	r.features("p-1", 1, 0, 700, 2)
	r.got()
	// Identity's confirmation is not the features stage's: nothing yet.
	r.confirm("identity", "p-1")
	if got := r.got(); len(got) != 0 || len(r.ownConfirmations()) != 0 {
		t.Fatalf("identity's confirmation moved %v", moves(got))
	}
	r.confirm("features", "p-1")
	cs := r.got()
	if got := moves(cs); !slices.Equal(got, []string{"tier:gold>", "lifecycle:active>"}) {
		t.Fatalf("erasure: %v", got)
	}
	if cs[0].Reason != "profile erased on request" {
		t.Errorf("reason %q", cs[0].Reason)
	}
	own := r.ownConfirmations()
	if len(own) != 1 || own[0].ProfileID != "p-1" || own[0].RequestedEventID != "e-req" || !slices.Equal(own[0].Tables, []string{"segments-table"}) {
		t.Fatalf("confirmations %+v, want one naming segments-table", own)
	}
	// Features published before the erasure and read after it, and the
	// confirmation read again: nothing.
	r.features("p-1", 2, 1, 900, 3)
	r.confirm("features", "p-1")
	if got := r.got(); len(got) != 0 || len(r.ownConfirmations()) != 0 {
		t.Fatalf("after the erasure: %v", moves(got))
	}
	if v, _ := r.tt.TableValue(goka.GroupTable("segments"), "p-1").(*schemas.SegmentState); v == nil || !v.Erased || v.Tier != "" || len(v.Features) != 0 {
		t.Fatalf("state %+v, want the marker alone", v)
	}
	// The tombstone of its features deletes the key.
	r.tt.Consume("features", "p-1", nil)
	if v := r.tt.TableValue(goka.GroupTable("segments"), "p-1"); v != nil {
		t.Fatalf("state left after the tombstone: %+v", v)
	}
	if got := r.got(); len(got) != 0 {
		t.Fatalf("tombstone of an erased profile moved %v", moves(got))
	}
}
