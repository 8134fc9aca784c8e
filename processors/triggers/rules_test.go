package triggers

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// reference decides a person's triggers from the events sorted by time,
// walking them once: a cart fires when the next event comes more than the
// delay after its last line (or the stream ends) with no purchase between;
// a form fires on its abandon, or when the delay passes without a submit.
// It returns each trigger as "kind cause value products".
func reference(r Rules, evs []schemas.Event) []string {
	evs = slices.Clone(evs)
	sort.Slice(evs, func(i, j int) bool { return evs[i].TS.Before(evs[j].TS) })
	var out []string
	var cart []schemas.Event
	var forms []schemas.Event
	flushCart := func() {
		if len(cart) == 0 {
			return
		}
		v, ps := 0.0, []string{}
		for _, e := range cart {
			v += e.Value
			ps = append(ps, e.ProductID)
		}
		out = append(out, fmt.Sprintf("%s %s %.2f %v", KindCart, cart[len(cart)-1].EventID, v, ps))
		cart = nil
	}
	flushForms := func(now time.Time) {
		for len(forms) > 0 && now.After(forms[0].TS.Add(r.FormDelay)) {
			out = append(out, fmt.Sprintf("%s %s", KindForm, forms[0].EventID))
			forms = forms[1:]
		}
	}
	for _, e := range evs {
		if len(cart) > 0 && e.TS.After(cart[len(cart)-1].TS.Add(r.CartDelay)) {
			flushCart()
		}
		flushForms(e.TS)
		switch e.Type {
		case "add_to_cart":
			cart = append(cart, e)
		case "remove_from_cart":
			for i := len(cart) - 1; i >= 0; i-- {
				if cart[i].ProductID == e.ProductID {
					cart = slices.Delete(cart, i, i+1)
					break
				}
			}
		case "purchase", "store_purchase":
			cart = nil
		case "form_start":
			forms = append(forms, e)
		case "form_submit", "form_abandon":
			for i, f := range forms {
				if f.Props["form_id"] == e.Props["form_id"] {
					forms = slices.Delete(forms, i, i+1)
					if e.Type == "form_abandon" {
						out = append(out, fmt.Sprintf("%s %s", KindForm, e.EventID))
					}
					break
				}
			}
		}
	}
	flushCart()
	flushForms(time.Unix(1<<40, 0))
	sort.Strings(out)
	return out
}

// visits draws a person's visits: cart lines, sometimes a purchase within
// the delay or after it, removals, forms submitted, abandoned or left.
func visits(rng *rand.Rand) []schemas.Event {
	t := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	var evs []schemas.Event
	add := func(typ, product string, v float64, form string) {
		t = t.Add(time.Duration(1+rng.IntN(300_000)) * time.Millisecond)
		e := schemas.Event{EventID: fmt.Sprintf("e-%04d", len(evs)), TS: t, Type: typ, ProductID: product, Value: v, Props: map[string]string{}}
		if form != "" {
			e.Props["form_id"] = form
		}
		evs = append(evs, e)
	}
	for range 1 + rng.IntN(8) {
		for range rng.IntN(5) {
			p := fmt.Sprintf("p-%d", rng.IntN(4))
			add("add_to_cart", p, float64(1+rng.IntN(50)), "")
			if rng.IntN(6) == 0 {
				add("remove_from_cart", p, 0, "")
			}
			add("page_view", "", 0, "")
		}
		if rng.IntN(4) == 0 {
			f := []string{"signup", "survey"}[rng.IntN(2)]
			add("form_start", "", 0, f)
			switch rng.IntN(3) {
			case 0:
				add("form_submit", "", 0, f)
			case 1:
				add("form_abandon", "", 0, f)
			}
		}
		switch rng.IntN(3) {
		case 0:
			add("purchase", "", 10, "")
		case 1:
			t = t.Add(time.Duration(rng.IntN(40)) * time.Minute)
			add("store_purchase", "", 10, "")
		}
		t = t.Add(time.Duration(rng.IntN(180)) * time.Minute)
	}
	return evs
}

// TestDecisionsMatchASequentialReference: events delivered out of order
// within the lateness, with the watermark trailing the latest event by
// the lateness, fire exactly the triggers of a walk over the sorted
// events, whatever the order.
func TestDecisionsMatchASequentialReference(t *testing.T) {
	r := DefaultRules()
	r.Grace = 0
	const lateness = 5 * time.Minute
	for seed := range uint64(500) {
		rng := rand.New(rand.NewPCG(seed, 11))
		evs := visits(rng)
		want := reference(r, evs)
		// Deliver out of order: each event is delayed by up to the
		// lateness, so the events delivered before it are less than the
		// lateness after it.
		order := slices.Clone(evs)
		delay := make(map[string]time.Time, len(order))
		for _, e := range order {
			delay[e.EventID] = e.TS.Add(time.Duration(rng.Int64N(int64(lateness))))
		}
		sort.SliceStable(order, func(i, j int) bool { return delay[order[i].EventID].Before(delay[order[j].EventID]) })
		st := &schemas.TriggerState{}
		var got []string
		fired := func(tr *schemas.Trigger) {
			if tr.Kind == KindCart {
				got = append(got, fmt.Sprintf("%s %s %.2f %v", tr.Kind, tr.CauseEventID, tr.CartValue, tr.Products))
			} else {
				got = append(got, fmt.Sprintf("%s %s", tr.Kind, tr.CauseEventID))
			}
		}
		var maxTS time.Time
		now := time.Now()
		for _, e := range order {
			if e.TS.After(maxTS) {
				maxTS = e.TS
			}
			if v := r.apply(st, &e, fired); v == TooLate || v == Full {
				t.Fatalf("seed %d: %s refused (%d)", seed, e.EventID, v)
			}
			r.decide("p", st, maxTS.Add(-lateness), now, fired)
			// Redelivered: nothing changes.
			r.apply(st, &e, fired)
		}
		r.decide("p", st, time.Unix(1<<40, 0), now, fired)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: fired\n%v\nwant\n%v", seed, got, want)
		}
	}
}
