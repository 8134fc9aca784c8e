package sessions

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// Verdict says what became of an event offered to a profile's sessions.
type Verdict int

const (
	// Applied means the event joined (or opened) a session.
	Applied Verdict = iota
	// Duplicate means an open session holds the event id already.
	Duplicate
	// TooLate means the event belongs to a session closed already.
	TooLate
	// Full means the event's session holds the most events a session may
	// hold; the event counts nowhere.
	Full
)

// Rules are the sessionization parameters.
type Rules struct {
	// Gap is the inactivity gap that separates sessions, in event time.
	Gap time.Duration
	// Lateness is how far behind the profile's latest event an event may
	// arrive and still join its session.
	Lateness time.Duration
	// MaxEvents caps the events one session keeps.
	MaxEvents int
	// Grace is how long (wall clock) a session stays open after the
	// watermark has passed it. Events of one profile can come out of the
	// identity stage further apart in event time than the lateness when a
	// replay compresses days into seconds; the grace lets them arrive.
	Grace time.Duration
	// KeepClosed is how many of a profile's latest closed sessions it
	// remembers the span of, so that the events an absorbed profile hands
	// over are refused only when they would have joined one of them. With
	// 0, any folded event up to the end of the last closed session plus the
	// gap is too late.
	KeepClosed int
}

// hitOf keeps what an event contributes to its session.
func hitOf(ev *schemas.Event) schemas.SessionHit {
	h := schemas.SessionHit{
		EventID: ev.EventID, TS: ev.TS.UTC(), Type: ev.Type, Channel: ev.Channel, Device: ev.IDs.Device,
		URL: ev.Props["url"], ProductID: ev.ProductID, Value: ev.Value,
	}
	h.Qty = int32(atoi(ev.Props["qty"]))
	h.ScrollPct = int32(min(max(atoi(ev.Props["scroll_pct"]), 0), 100))
	h.DwellMS = max(atoi(ev.Props["dwell_ms"]), 0)
	return h
}

// atoi reads a property that should be an integer; anything else is 0.
func atoi(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func span(s schemas.OpenSession) (start, end time.Time) {
	return s.Hits[0].TS, s.Hits[len(s.Hits)-1].TS
}

// add offers hit, an event of the profile's own, to the profile's state
// st. An event no later than the last closed session plus the gap is too
// late: it came after the profile's watermark had passed it.
func (r Rules) add(st *schemas.SessionState, h schemas.SessionHit) Verdict {
	if !st.ClosedUntil.IsZero() && !h.TS.After(st.ClosedUntil.Add(r.Gap)) {
		return TooLate
	}
	return r.place(st, h)
}

// fold offers st an event of an absorbed profile's open session. It came
// on time to its own profile, so it is too late only when it would have
// joined a session this profile closed: within the gap of a remembered
// closed session, or no later than the forgotten ones plus the gap.
func (r Rules) fold(st *schemas.SessionState, h schemas.SessionHit) Verdict {
	if !st.ForgotUntil.IsZero() && !h.TS.After(st.ForgotUntil.Add(r.Gap)) {
		return TooLate
	}
	for _, c := range st.Closed {
		if !h.TS.Before(c.Start.Add(-r.Gap)) && !h.TS.After(c.End.Add(r.Gap)) {
			return TooLate
		}
	}
	return r.place(st, h)
}

// remember keeps the span of a session closed just now among the latest
// KeepClosed, and forgets the oldest beyond them.
func (r Rules) remember(st *schemas.SessionState, start, end time.Time) {
	c := schemas.ClosedSpan{Start: start, End: end}
	i, _ := slices.BinarySearchFunc(st.Closed, c, func(a, b schemas.ClosedSpan) int { return a.Start.Compare(b.Start) })
	st.Closed = slices.Insert(st.Closed, i, c)
	for len(st.Closed) > r.KeepClosed {
		if end := st.Closed[0].End; end.After(st.ForgotUntil) {
			st.ForgotUntil = end
		}
		st.Closed = slices.Delete(st.Closed, 0, 1)
	}
}

// place adds an event that is not too late to the open sessions of st.
func (r Rules) place(st *schemas.SessionState, h schemas.SessionHit) Verdict {
	for _, s := range st.Open {
		for _, x := range s.Hits {
			if x.EventID == h.EventID {
				return Duplicate
			}
		}
	}
	// The open sessions the event touches (within the gap of their span)
	// become one with it.
	var touched []int
	for i, s := range st.Open {
		start, end := span(s)
		if !h.TS.Before(start.Add(-r.Gap)) && !h.TS.After(end.Add(r.Gap)) {
			touched = append(touched, i)
		}
	}
	merged := schemas.OpenSession{}
	for _, i := range touched {
		merged.Hits = append(merged.Hits, st.Open[i].Hits...)
	}
	if r.MaxEvents > 0 && len(merged.Hits) >= r.MaxEvents {
		return Full
	}
	merged.Hits = append(merged.Hits, h)
	sortHits(merged.Hits)
	open := make([]schemas.OpenSession, 0, len(st.Open)+1)
	for i, s := range st.Open {
		if !slices.Contains(touched, i) {
			open = append(open, s)
		}
	}
	open = append(open, merged)
	slices.SortFunc(open, func(a, b schemas.OpenSession) int { return a.Hits[0].TS.Compare(b.Hits[0].TS) })
	st.Open = open
	if h.TS.After(st.MaxTS) {
		st.MaxTS = h.TS
	}
	return Applied
}

func sortHits(hs []schemas.SessionHit) {
	slices.SortFunc(hs, func(a, b schemas.SessionHit) int {
		return cmp.Or(a.TS.Compare(b.TS), cmp.Compare(a.EventID, b.EventID))
	})
}

// closeUpTo removes from st the open sessions that no event on time can
// join any more: those whose last event lies more than the gap before
// watermark, since the grace at least (wall clock, now), and remembers
// their spans. It returns them oldest first, and whether st changed.
func (r Rules) closeUpTo(st *schemas.SessionState, watermark, now time.Time) ([]schemas.OpenSession, bool) {
	var closed []schemas.OpenSession
	changed := false
	keep := st.Open[:0:0]
	for _, s := range st.Open {
		_, end := span(s)
		if !end.Add(r.Gap).Before(watermark) {
			keep = append(keep, s)
			continue
		}
		if s.Due.IsZero() {
			s.Due, changed = now.UTC().Truncate(time.Millisecond), true
		}
		if now.Sub(s.Due) < r.Grace {
			keep = append(keep, s)
			continue
		}
		closed, changed = append(closed, s), true
		if end.After(st.ClosedUntil) {
			st.ClosedUntil = end
		}
		start, _ := span(s)
		r.remember(st, start, end)
	}
	st.Open = keep
	return closed, changed
}

// sessionID derives a session's id from its profile and first event.
func sessionID(profile string, first schemas.SessionHit) string {
	h := sha256.Sum256([]byte(profile + "|" + first.EventID))
	return "s-" + hex.EncodeToString(h[:8])
}

// summarize folds a session's events, in event time, into its summary.
func summarize(profile string, s schemas.OpenSession, closedBy string) schemas.SessionSummary {
	hs := s.Hits
	first, last := hs[0], hs[len(hs)-1]
	out := schemas.SessionSummary{
		ProfileID: profile, SessionID: sessionID(profile, first), Start: first.TS, End: last.TS,
		DurationMS: last.TS.Sub(first.TS).Milliseconds(), EventCount: int64(len(hs)),
		CountsByType: map[string]int64{}, Channel: first.Channel, ClosedBy: closedBy, LastEventID: last.EventID,
	}
	pages, products := map[string]bool{}, map[string]bool{}
	cart := 0.0
	lastAdd, lastPurchase := -1, -1
	formOpen := false
	for i, h := range hs {
		out.CountsByType[h.Type]++
		if h.URL != "" {
			pages[h.URL] = true
			if out.EntryPage == "" {
				out.EntryPage = h.URL
			}
			out.ExitPage = h.URL
		}
		if h.ProductID != "" {
			products[h.ProductID] = true
		}
		if out.Device == "" {
			out.Device = h.Device
		}
		out.MaxScrollPct = max(out.MaxScrollPct, h.ScrollPct)
		out.DwellMS += h.DwellMS
		line := h.Value * float64(max(h.Qty, 1))
		switch h.Type {
		case "add_to_cart":
			cart += line
			lastAdd = i
		case "remove_from_cart":
			cart = max(cart-line, 0)
		case "purchase", "store_purchase":
			out.Purchased = true
			out.PurchaseValue += h.Value
			cart = 0
			lastPurchase = i
		case "form_start":
			formOpen = true
		case "form_submit":
			formOpen = false
		case "form_abandon":
			out.FormAbandoned = true
		}
	}
	out.Pages, out.Products = int32(len(pages)), int32(len(products))
	out.CartValue = cart
	out.CartAbandoned = cart > 0 && lastAdd >= 0 && lastPurchase < lastAdd
	out.FormAbandoned = out.FormAbandoned || formOpen
	return out
}
