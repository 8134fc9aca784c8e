package cli

import (
	"slices"
	"testing"
	"time"

	"github.com/activa-dev/activa/loadtest/gen"
	"github.com/activa-dev/activa/processors/segments"
	"github.com/activa-dev/activa/processors/triggers"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// triggerScore is how the abandonment triggers of a run compare with the
// visits of the generator's truth.
type triggerScore struct {
	carts, forms          int // abandoned in the truth
	cartHits, formHits    int // matched by exactly one trigger
	cartTwice, formTwice  int // matched by more than one
	late                  int // of the abandoned carts, bought after the delay
	boughtFired           int // cart triggers on a visit that purchased within the delay
	unmatched, ambiguous  int // triggers on no abandoned visit; on visits of several persons at once
	fired, distinctFiring int
	erasedAgain           int // fired again, with the same id, for a person who asked for erasure
	churn                 int // churn_risk triggers: one per lifecycle change into at-risk
}

// cartDelay is the triggers' default cart delay.
var cartDelay = triggers.DefaultRules().CartDelay

// abandoned reports whether a visit of the truth left a cart abandoned as
// triggers define it: lines in the cart at its end, and no purchase
// within the delay after the last one.
func abandoned(v gen.Session) bool {
	return v.CartAbandoned || (v.Purchased && !v.CartAt.IsZero() && v.PurchasedAt.Sub(v.CartAt) > cartDelay)
}

// saved reports whether a visit's cart was bought within the delay.
func saved(v gen.Session) bool { return v.Purchased && !abandoned(v) }

// checkTriggers matches every cart and form trigger to the truth's visit
// its causing event belongs to (the person owning the event's identifiers,
// the visit spanning its time): each abandoned cart and form of the truth
// must have exactly one trigger, and no visit that bought its cart within
// the delay.
func checkTriggers(t *testing.T, p *pipeline, truth *gen.Truth, what string) triggerScore {
	t.Helper()
	events := map[string]schemas.Event{}
	readAll(p, topology.EventsResolved, func(_ string, ev *schemas.ResolvedEvent) { events[ev.Event.EventID] = ev.Event })
	person := map[string]int{}
	for i, ps := range truth.Persons {
		person[ps.ID] = i
	}
	// owners returns the persons owning every identifier of e.
	owners := func(e schemas.Event) []int {
		var cands map[string]bool
		for _, id := range []string{"cookie:" + e.IDs.Cookie, "device:" + e.IDs.Device, "customer:" + e.IDs.Customer} {
			os, ok := truth.IdentifierOwner[id]
			if !ok {
				continue
			}
			next := map[string]bool{}
			for _, o := range os {
				if cands == nil || cands[o] {
					next[o] = true
				}
			}
			cands = next
		}
		var out []int
		for o := range cands {
			out = append(out, person[o])
		}
		return out
	}
	type visit struct{ person, index int }
	hits := map[visit]int{}
	formHits := map[visit]int{}
	var s triggerScore
	ids := map[string]bool{}
	erased := map[int]bool{}
	for _, e := range truth.Erasures {
		erased[person[e.Person]] = true
	}
	churn := map[string]bool{}
	readAll(p, topology.Triggers, func(_ string, tr *schemas.Trigger) {
		s.fired++
		if tr.Kind == triggers.KindChurn {
			// A lifecycle change the sweep made has no cause event.
			s.churn++
			if ids[tr.TriggerID] {
				t.Errorf("%s: churn trigger %s fired twice", what, tr.TriggerID)
			}
			ids[tr.TriggerID], churn[tr.TriggerID] = true, true
			return
		}
		e, ok := events[tr.CauseEventID]
		if !ok {
			t.Errorf("%s: trigger %s caused by unknown event %q", what, tr.TriggerID, tr.CauseEventID)
			return
		}
		if ids[tr.TriggerID] {
			// Identity forgets a person who asked for erasure, dedup memory
			// included, so a replay of the whole input resolves their events
			// again; their triggers come again with the same id, which
			// tells a consumer it has seen them.
			if os := owners(e); len(os) > 0 && !slices.ContainsFunc(os, func(o int) bool { return !erased[o] }) {
				s.erasedAgain++
				return
			}
			t.Errorf("%s: trigger %s (%s, cause %s) fired twice", what, tr.TriggerID, tr.Kind, tr.CauseEventID)
		}
		ids[tr.TriggerID] = true
		// The visit of the event: of its owner, or of the one owner (of a
		// shared device) with a visit at that time.
		ts := e.TS.UTC()
		var found []visit
		for _, who := range owners(e) {
			for i, v := range truth.Persons[who].Sessions {
				if !ts.Before(v.Start) && !ts.After(v.End) {
					found = append(found, visit{who, i})
				}
			}
		}
		switch {
		case len(found) > 1:
			s.ambiguous++
			return
		case len(found) == 1:
			k := found[0]
			switch tr.Kind {
			case triggers.KindCart:
				if v := truth.Persons[k.person].Sessions[k.index]; saved(v) {
					s.boughtFired++
					t.Logf("%s: cart trigger %s (last line %s, due %s) on a visit of %s that bought at %s, %s after its last line at %s",
						what, tr.TriggerID, tr.CauseEventID, tr.DueTS.Format(time.RFC3339Nano), truth.Persons[k.person].ID,
						v.PurchasedAt.Format(time.RFC3339Nano), v.PurchasedAt.Sub(v.CartAt), v.CartAt.Format(time.RFC3339Nano))
				}
				hits[k]++
			case triggers.KindForm:
				formHits[k]++
			}
			return
		}
		s.unmatched++
	})
	s.distinctFiring = len(ids)
	readAll(p, topology.SegmentChanges, func(_ string, c *schemas.SegmentChange) {
		if c.Kind != segments.KindLifecycle || c.To != triggers.DefaultRules().ChurnStage {
			return
		}
		if id := triggers.TriggerID(triggers.KindChurn, c.ChangeID); churn[id] {
			delete(churn, id)
		} else {
			t.Errorf("%s: no churn trigger for the move of %s into %s (change %s)", what, c.ProfileID, c.To, c.ChangeID)
		}
	})
	for id := range churn {
		t.Errorf("%s: churn trigger %s on no lifecycle change into at-risk", what, id)
	}
	for i, ps := range truth.Persons {
		for j, v := range ps.Sessions {
			k := visit{i, j}
			if abandoned(v) {
				s.carts++
				if v.Purchased {
					s.late++
				}
				switch n := hits[k]; {
				case n == 1:
					s.cartHits++
				case n > 1:
					s.cartTwice++
				}
			} else if hits[k] > 0 && !saved(v) {
				s.unmatched += hits[k]
			}
			if v.FormAbandoned {
				s.forms++
				switch n := formHits[k]; {
				case n == 1:
					s.formHits++
				case n > 1:
					s.formTwice++
				}
			} else if formHits[k] > 0 {
				s.unmatched += formHits[k]
			}
		}
	}
	t.Logf("%s: triggers %+v", what, s)
	if s.cartHits != s.carts || s.cartTwice > 0 || s.boughtFired > 0 || s.formHits != s.forms || s.formTwice > 0 || s.unmatched > 0 {
		t.Errorf("%s: %d of %d abandoned carts fired once (%d twice), %d carts fired though bought, %d of %d abandoned forms fired once (%d twice), %d triggers on no abandoned visit",
			what, s.cartHits, s.carts, s.cartTwice, s.boughtFired, s.formHits, s.forms, s.formTwice, s.unmatched)
	}
	if s.ambiguous > s.fired/100 {
		t.Errorf("%s: %d of %d triggers caused by events of shared identifiers", what, s.ambiguous, s.fired)
	}
	return s
}
