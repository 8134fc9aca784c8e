package sessions

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/activa-dev/activa/schemas"
)

var rules = Rules{Gap: 30 * time.Minute, Lateness: 5 * time.Minute, MaxEvents: 10_000}

// watermark is a single profile's own watermark, which the tests of the
// rules feed to closeUpTo: its latest event time less the lateness.
func (r Rules) watermark(st *schemas.SessionState) time.Time {
	if st.MaxTS.IsZero() {
		return time.Time{}
	}
	return st.MaxTS.Add(-r.Lateness)
}

// referenceSessions splits events (any order) into sessions the plain way:
// sort by time, cut where two consecutive events are more than the gap
// apart. It returns each session's event ids in time order.
func referenceSessions(hits []schemas.SessionHit, gap time.Duration) [][]string {
	hs := slices.Clone(hits)
	slices.SortFunc(hs, func(a, b schemas.SessionHit) int {
		if c := a.TS.Compare(b.TS); c != 0 {
			return c
		}
		return cmp.Compare(a.EventID, b.EventID)
	})
	var out [][]string
	for i, h := range hs {
		if i == 0 || h.TS.Sub(hs[i-1].TS) > gap {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], h.EventID)
	}
	return out
}

// stream makes a person's events: bursts of activity separated by pauses
// around the gap.
func stream(rng *rand.Rand, n int) []schemas.SessionHit {
	t := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	var out []schemas.SessionHit
	for i := range n {
		switch rng.IntN(10) {
		case 0:
			t = t.Add(rules.Gap + time.Duration(rng.IntN(120))*time.Minute) // a new session
		case 1:
			t = t.Add(rules.Gap - time.Duration(rng.IntN(3))*time.Minute) // just within the gap
		case 2:
			t = t.Add(rules.Gap + time.Millisecond) // just beyond it
		default:
			t = t.Add(time.Duration(rng.IntN(90)) * time.Second)
		}
		out = append(out, schemas.SessionHit{EventID: fmt.Sprintf("e-%05d", i), TS: t, Type: "page_view"})
	}
	return out
}

// feed offers the hits in the given order, closing what the watermark
// passes after each, then closes everything; it returns the sessions.
func feed(t *testing.T, hits []schemas.SessionHit) (sessions [][]string, late []string) {
	t.Helper()
	st := &schemas.SessionState{}
	collect := func(closed []schemas.OpenSession, _ bool) {
		for _, s := range closed {
			var ids []string
			for _, h := range s.Hits {
				ids = append(ids, h.EventID)
			}
			sessions = append(sessions, ids)
		}
	}
	for _, h := range hits {
		switch v := rules.add(st, h); v {
		case TooLate:
			late = append(late, h.EventID)
		case Applied:
		default:
			t.Fatalf("event %s: verdict %d", h.EventID, v)
		}
		collect(rules.closeUpTo(st, rules.watermark(st), time.Time{}))
	}
	collect(rules.closeUpTo(st, st.MaxTS.Add(rules.Gap+time.Millisecond), time.Time{}))
	return sessions, late
}

func TestSessionsMatchSortAndSplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		hits := stream(rng, 5+rng.IntN(200))
		// Shuffle within the lateness: each event is delayed by less than
		// the lateness.
		delayed := slices.Clone(hits)
		due := map[string]time.Time{}
		for _, h := range delayed {
			due[h.EventID] = h.TS.Add(time.Duration(rng.Int64N(int64(rules.Lateness))))
		}
		slices.SortStableFunc(delayed, func(a, b schemas.SessionHit) int { return due[a.EventID].Compare(due[b.EventID]) })
		for name, order := range map[string][]schemas.SessionHit{"in order": hits, "shuffled": delayed} {
			got, late := feed(t, order)
			if len(late) > 0 {
				t.Fatalf("round %d %s: on-time events %v refused as too late", round, name, late)
			}
			want := referenceSessions(hits, rules.Gap)
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("round %d %s: %d sessions, the reference has %d\n got %v\nwant %v", round, name, len(got), len(want), got, want)
			}
		}
	}
}

func TestTooLateAndDuplicates(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	st := &schemas.SessionState{}
	hit := func(id string, at time.Duration) schemas.SessionHit {
		return schemas.SessionHit{EventID: id, TS: t0.Add(at), Type: "page_view"}
	}
	if v := rules.add(st, hit("a", 0)); v != Applied {
		t.Fatalf("first event: %d", v)
	}
	if v := rules.add(st, hit("a", 0)); v != Duplicate {
		t.Fatalf("same id again: %d, want duplicate", v)
	}
	if v := rules.add(st, hit("b", time.Hour)); v != Applied {
		t.Fatalf("an hour later: %d", v)
	}
	// A grace of a minute: the watermark passed the session of a, which
	// stays open for the grace.
	graced := rules
	graced.Grace = time.Minute
	wall := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	if closed, changed := graced.closeUpTo(st, graced.watermark(st), wall); len(closed) != 0 || !changed {
		t.Fatalf("closed %d sessions within the grace (changed %v)", len(closed), changed)
	}
	if v := rules.add(st, hit("c", 20*time.Minute)); v != Applied {
		t.Fatalf("an event of the session of a within the grace: %d, want applied", v)
	}
	closed, _ := graced.closeUpTo(st, graced.watermark(st), wall.Add(time.Minute))
	if len(closed) != 0 {
		t.Fatalf("c moved the session's end: it is no longer due, yet %d closed", len(closed))
	}
	closed, _ = graced.closeUpTo(st, t0.Add(2*time.Hour), wall.Add(2*time.Minute))
	closed2, _ := graced.closeUpTo(st, t0.Add(2*time.Hour), wall.Add(3*time.Minute))
	if len(closed) != 1 || closed[0].Hits[1].EventID != "c" || len(closed2) != 1 || closed2[0].Hits[0].EventID != "b" {
		t.Fatalf("closed %+v then %+v, want each session a grace after the watermark passed it", closed, closed2)
	}
	if v := rules.add(st, hit("d", 20*time.Minute)); v != TooLate {
		t.Fatalf("an event of a closed session: %d, want too late", v)
	}
	full := Rules{Gap: rules.Gap, Lateness: rules.Lateness, MaxEvents: 2}
	st = &schemas.SessionState{}
	full.add(st, hit("x", 0))
	full.add(st, hit("y", time.Second))
	if v := full.add(st, hit("z", 2*time.Second)); v != Full {
		t.Fatalf("third event of a 2-event session: %d, want full", v)
	}
}

func TestAFoldedEventIsTooLateOnlyNextToAClosedSession(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	hit := func(id string, at time.Duration) schemas.SessionHit {
		return schemas.SessionHit{EventID: id, TS: t0.Add(at), Type: "page_view"}
	}
	r := rules
	r.KeepClosed = 2
	st := &schemas.SessionState{}
	// Three sessions, at 10h, 20h and 30h, all closed: the first is
	// forgotten, the other two remembered.
	for i, at := range []time.Duration{10 * time.Hour, 20 * time.Hour, 30 * time.Hour} {
		r.add(st, hit(fmt.Sprint("s", i), at))
	}
	if closed, _ := r.closeUpTo(st, t0.Add(40*time.Hour), t0); len(closed) != 3 {
		t.Fatalf("closed %d sessions, want 3", len(closed))
	}
	if len(st.Closed) != 2 || !st.ForgotUntil.Equal(t0.Add(10*time.Hour)) {
		t.Fatalf("remembered %+v, forgot until %v", st.Closed, st.ForgotUntil)
	}
	for _, c := range []struct {
		at   time.Duration
		want Verdict
	}{
		{10*time.Hour + 30*time.Minute, TooLate},       // within the gap of the forgotten session
		{15 * time.Hour, Applied},                      // between two closed sessions, touching neither
		{20*time.Hour - 30*time.Minute, TooLate},       // just within the gap before the session at 20h
		{20*time.Hour - 31*time.Minute, Applied},       // just beyond it
		{30*time.Hour + 29*time.Minute, TooLate},       // within the gap after the last one
		{30*time.Hour + 30*time.Minute + 1e6, Applied}, // beyond it
	} {
		before := len(st.Open)
		if v := r.fold(st, hit(fmt.Sprint("f", c.at), c.at)); v != c.want {
			t.Errorf("folded event at +%v: %d, want %d", c.at, v, c.want)
		} else if v == Applied && len(st.Open) != before+1 {
			t.Errorf("folded event at +%v opened no session of its own", c.at)
		}
	}
	// The profile's own events keep the plain rule: up to the last closed
	// session plus the gap is too late.
	if v := r.add(st, hit("own", 15*time.Hour+time.Minute)); v != TooLate {
		t.Errorf("own event between closed sessions: %d, want too late", v)
	}
	// Keeping none, a fold is judged as the profile's own events are.
	st = &schemas.SessionState{}
	coarse := rules
	coarse.KeepClosed = 0
	coarse.add(st, hit("a", 10*time.Hour))
	coarse.closeUpTo(st, t0.Add(20*time.Hour), t0)
	if v := coarse.fold(st, hit("b", time.Hour)); v != TooLate || len(st.Closed) != 0 {
		t.Errorf("keeping no span, a folded event before the last closed session: %d (spans %v), want too late", v, st.Closed)
	}
}

func TestSummary(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	hs := []schemas.SessionHit{
		{EventID: "1", TS: t0, Type: "page_view", Channel: "web", URL: "/", ScrollPct: 40, DwellMS: 1000},
		{EventID: "2", TS: t0.Add(time.Minute), Type: "product_view", Device: "d-1", URL: "/p/1", ProductID: "p-1", ScrollPct: 90, DwellMS: 2000},
		{EventID: "3", TS: t0.Add(2 * time.Minute), Type: "add_to_cart", ProductID: "p-1", Value: 10, Qty: 2},
		{EventID: "4", TS: t0.Add(3 * time.Minute), Type: "add_to_cart", ProductID: "p-2", Value: 5},
		{EventID: "5", TS: t0.Add(4 * time.Minute), Type: "remove_from_cart", ProductID: "p-2", Value: 5},
		{EventID: "6", TS: t0.Add(5 * time.Minute), Type: "form_start"},
		{EventID: "7", TS: t0.Add(6 * time.Minute), Type: "page_view", URL: "/c/shoes", Device: "d-2"},
	}
	s := summarize("p-9", schemas.OpenSession{Hits: hs}, "gap")
	want := schemas.SessionSummary{
		ProfileID: "p-9", SessionID: sessionID("p-9", hs[0]), Start: t0, End: t0.Add(6 * time.Minute), DurationMS: 360_000,
		EventCount: 7, CountsByType: map[string]int64{"page_view": 2, "product_view": 1, "add_to_cart": 2, "remove_from_cart": 1, "form_start": 1},
		Pages: 3, Products: 2, MaxScrollPct: 90, DwellMS: 3000, CartValue: 20, CartAbandoned: true, FormAbandoned: true,
		Channel: "web", Device: "d-1", EntryPage: "/", ExitPage: "/c/shoes", ClosedBy: "gap", LastEventID: "7",
	}
	if fmt.Sprint(s) != fmt.Sprint(want) {
		t.Fatalf("summary\n got %+v\nwant %+v", s, want)
	}
	hs = append(hs, schemas.SessionHit{EventID: "8", TS: t0.Add(7 * time.Minute), Type: "purchase", Value: 20})
	s = summarize("p-9", schemas.OpenSession{Hits: hs}, "idle")
	if !s.Purchased || s.PurchaseValue != 20 || s.CartValue != 0 || s.CartAbandoned {
		t.Fatalf("after a purchase: %+v", s)
	}
}

func TestHitKeepsWhatTheSummaryNeeds(t *testing.T) {
	ev := &schemas.Event{
		EventID: "e-1", TS: time.Date(2026, 11, 2, 8, 0, 0, 0, time.FixedZone("CET", 3600)), Type: "add_to_cart", Channel: "app",
		IDs: schemas.IDs{Device: "d-1", Cookie: "c-1"}, ProductID: "p-1", Value: 9.5,
		Props: map[string]string{"url": "/p/1", "qty": "3", "scroll_pct": "250", "dwell_ms": "-4"},
	}
	h := hitOf(ev)
	want := schemas.SessionHit{
		EventID: "e-1", TS: ev.TS.UTC(), Type: "add_to_cart", Channel: "app", Device: "d-1", URL: "/p/1",
		ProductID: "p-1", Value: 9.5, Qty: 3, ScrollPct: 100, DwellMS: 0,
	}
	if h != want {
		t.Fatalf("hit %+v, want %+v (scroll clamped to 100, negative dwell to 0)", h, want)
	}
	ev.Props = map[string]string{"qty": "two"}
	if h := hitOf(ev); h.Qty != 0 || h.URL != "" {
		t.Fatalf("unparsable qty: %+v", h)
	}
}
