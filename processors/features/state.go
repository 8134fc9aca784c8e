package features

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/activa-dev/activa/schemas"
)

const day = 24 * time.Hour

// dayOf is the UTC day number of t.
func dayOf(t time.Time) int32 { return int32(t.UTC().Unix() / int64(day/time.Second)) }

// isOrder reports whether an event type is an order.
func isOrder(typ string) bool { return typ == "purchase" || typ == "store_purchase" }

// seen reports whether id is among the state's recent ids.
func seen(st *schemas.FeatureState, id string) bool { return slices.Contains(st.Recent, id) }

// remember adds id to the recent ids, dropping the oldest beyond n.
func remember(st *schemas.FeatureState, n int, ids ...string) {
	st.Recent = append(st.Recent, ids...)
	if over := len(st.Recent) - n; over > 0 {
		st.Recent = append(st.Recent[:0], st.Recent[over:]...)
	}
}

// sessionKey is the recent-id form of a session id.
func sessionKey(id string) string { return "s:" + id }

// addEvent applies one event to st; false when the event was applied
// already.
func (r Rules) addEvent(st *schemas.FeatureState, ev *schemas.Event) bool {
	if seen(st, ev.EventID) {
		return false
	}
	remember(st, r.Recent, ev.EventID)
	ts := ev.TS.UTC()
	r.advance(st, ts)
	if st.FirstSeen.IsZero() || ts.Before(st.FirstSeen) {
		st.FirstSeen = ts
	}
	st.Events++
	st.LastEventID = ev.EventID
	switch ev.Channel {
	case "web":
		st.Web++
	case "app":
		st.App++
	case "store":
		st.Store++
	default:
		st.Other++
	}
	if isOrder(ev.Type) {
		st.Orders++
		v := Micros(ev.Value)
		if ev.Type == "purchase" {
			st.OnlineMicros += v
		} else {
			st.OfflineMicros += v
		}
		if ts.After(st.LastOrderTS) {
			st.LastOrderTS = ts
		}
		r.addDay(st, schemas.DayBucket{Day: dayOf(ts), Orders: 1, Micros: Micros(ev.Value)})
	}
	if d, ok := ev.Props["dwell_ms"]; ok {
		if n, err := strconv.ParseInt(d, 10, 64); err == nil && n >= 0 {
			st.DwellPages++
			st.DwellMS += n
		}
	}
	if ev.Category != "" {
		r.addCategory(st, ev.Category, r.Weight(ev.Type)*r.decay(st.LastSeen.Sub(ts)))
	}
	if ev.IDs.Device != "" {
		r.addDevice(st, ev.IDs.Device)
	}
	if ev.Type == "consent" {
		if p := ev.Props["purpose"]; p != "" {
			addConsent(st, schemas.ConsentMark{Purpose: p, Granted: ev.Props["granted"] == "true", TS: ts, EventID: ev.EventID})
		}
	}
	return true
}

// addSession applies one closed session to st; false when it was applied
// already.
func (r Rules) addSession(st *schemas.FeatureState, s *schemas.SessionSummary) bool {
	k := sessionKey(s.SessionID)
	if seen(st, k) {
		return false
	}
	remember(st, r.Recent, k)
	st.Sessions++
	st.SessionMS += s.DurationMS
	if s.CountsByType["add_to_cart"] > 0 {
		st.CartSessions++
		if s.CartAbandoned {
			st.CartAbandoned++
		}
	}
	if s.CountsByType["form_start"] > 0 || s.CountsByType["form_abandon"] > 0 || s.FormAbandoned {
		st.FormSessions++
		if s.FormAbandoned {
			st.FormAbandoned++
		}
	}
	if s.MaxScrollPct > 0 {
		st.ScrollSessions++
		st.ScrollSum += int64(s.MaxScrollPct)
	}
	return true
}

// decay is the factor a score loses over d of event time (1 for d <= 0).
func (r Rules) decay(d time.Duration) float64 {
	if d <= 0 {
		return 1
	}
	return math.Exp2(-float64(d) / float64(r.HalfLife))
}

// advance moves st's last_seen to ts when ts is later: category scores
// decay to the new time and day buckets leave the longest window.
func (r Rules) advance(st *schemas.FeatureState, ts time.Time) {
	if !ts.After(st.LastSeen) {
		return
	}
	if !st.LastSeen.IsZero() {
		f := r.decay(ts.Sub(st.LastSeen))
		for i := range st.Categories {
			st.Categories[i].Score *= f
		}
	}
	st.LastSeen = ts
	first := dayOf(ts) - Window90 + 1
	i := 0
	for i < len(st.Days) && st.Days[i].Day < first {
		i++
	}
	if i > 0 {
		st.Days = append(st.Days[:0], st.Days[i:]...)
	}
}

// addDay adds b to the day buckets, when it falls within the longest
// window before last_seen.
func (r Rules) addDay(st *schemas.FeatureState, b schemas.DayBucket) {
	if b.Day <= dayOf(st.LastSeen)-Window90 {
		return
	}
	i, ok := slices.BinarySearchFunc(st.Days, b.Day, func(x schemas.DayBucket, d int32) int { return int(x.Day - d) })
	if ok {
		st.Days[i].Orders += b.Orders
		st.Days[i].Micros += b.Micros
		return
	}
	st.Days = slices.Insert(st.Days, i, b)
}

// addCategory adds score (as of last_seen) to a category.
func (r Rules) addCategory(st *schemas.FeatureState, cat string, score float64) {
	for i := range st.Categories {
		if st.Categories[i].Category == cat {
			st.Categories[i].Score += score
			return
		}
	}
	if len(st.Categories) >= r.MaxCategories {
		low := 0
		for i, c := range st.Categories {
			if c.Score < st.Categories[low].Score || (c.Score == st.Categories[low].Score && c.Category > st.Categories[low].Category) {
				low = i
			}
		}
		if st.Categories[low].Score >= score {
			return
		}
		st.Categories = slices.Delete(st.Categories, low, low+1)
	}
	st.Categories = append(st.Categories, schemas.CategoryScore{Category: cat, Score: score})
}

// addDevice records a distinct device, up to the cap.
func (r Rules) addDevice(st *schemas.FeatureState, dev string) {
	i, ok := slices.BinarySearch(st.Devices, dev)
	if ok || len(st.Devices) >= r.MaxDevices {
		return
	}
	st.Devices = slices.Insert(st.Devices, i, dev)
}

// addConsent keeps the latest consent event of its purpose (by event
// time, then event id).
func addConsent(st *schemas.FeatureState, m schemas.ConsentMark) {
	i, ok := slices.BinarySearchFunc(st.Consent, m.Purpose, func(x schemas.ConsentMark, p string) int { return strings.Compare(x.Purpose, p) })
	if !ok {
		st.Consent = slices.Insert(st.Consent, i, m)
		return
	}
	old := st.Consent[i]
	if m.TS.After(old.TS) || (m.TS.Equal(old.TS) && m.EventID > old.EventID) {
		st.Consent[i] = m
	}
}

// fold adds the state of another profile (or a delta of one event or
// session forwarded from it) to st; false when src is a single input st
// has applied already.
func (r Rules) fold(st, src *schemas.FeatureState) bool {
	if len(src.Recent) == 1 && seen(st, src.Recent[0]) {
		return false
	}
	if src.LastSeen.After(st.LastSeen) {
		r.advance(st, src.LastSeen)
	}
	f := r.decay(st.LastSeen.Sub(src.LastSeen))
	for _, c := range src.Categories {
		r.addCategory(st, c.Category, c.Score*f)
	}
	if !src.FirstSeen.IsZero() && (st.FirstSeen.IsZero() || src.FirstSeen.Before(st.FirstSeen)) {
		st.FirstSeen = src.FirstSeen
	}
	if src.LastOrderTS.After(st.LastOrderTS) {
		st.LastOrderTS = src.LastOrderTS
	}
	st.Events += src.Events
	st.Orders += src.Orders
	st.OnlineMicros += src.OnlineMicros
	st.OfflineMicros += src.OfflineMicros
	for _, b := range src.Days {
		r.addDay(st, b)
	}
	st.Sessions += src.Sessions
	st.SessionMS += src.SessionMS
	st.CartSessions += src.CartSessions
	st.CartAbandoned += src.CartAbandoned
	st.FormSessions += src.FormSessions
	st.FormAbandoned += src.FormAbandoned
	st.ScrollSessions += src.ScrollSessions
	st.ScrollSum += src.ScrollSum
	st.DwellPages += src.DwellPages
	st.DwellMS += src.DwellMS
	st.Web += src.Web
	st.App += src.App
	st.Store += src.Store
	st.Other += src.Other
	for _, d := range src.Devices {
		r.addDevice(st, d)
	}
	for _, m := range src.Consent {
		addConsent(st, m)
	}
	remember(st, r.Recent, src.Recent...)
	if src.LastEventID != "" {
		st.LastEventID = src.LastEventID
	}
	return true
}

// publish returns the features of profile id from its state.
func (r Rules) publish(id string, st *schemas.FeatureState, now time.Time) *schemas.ProfileFeatures {
	f := &schemas.ProfileFeatures{
		ProfileID: id, LastOrderTS: st.LastOrderTS, Orders: st.Orders, Sessions: st.Sessions,
		OnlineSpend: units(st.OnlineMicros), OfflineSpend: units(st.OfflineMicros), Devices: int32(len(st.Devices)),
		Channels:  schemas.ChannelMix{Web: st.Web, App: st.App, Store: st.Store, Other: st.Other},
		FirstSeen: st.FirstSeen, LastSeen: st.LastSeen, LastEventID: st.LastEventID,
		Version: st.Version, UpdatedTS: now.UTC().Truncate(time.Millisecond),
		Consent: schemas.Consent{Updated: map[string]time.Time{}},
	}
	if st.Orders > 0 {
		f.RecencyDays = float64(st.LastSeen.Sub(st.LastOrderTS)) / float64(day)
		f.AvgTicket = units(st.OnlineMicros+st.OfflineMicros) / float64(st.Orders)
	}
	last := dayOf(st.LastSeen)
	var m7, m30, m90 int64
	for _, b := range st.Days {
		age := last - b.Day
		if age < Window7 {
			f.Frequency7d += b.Orders
			m7 += b.Micros
		}
		if age < Window30 {
			f.Frequency30d += b.Orders
			m30 += b.Micros
		}
		if age < Window90 {
			f.Frequency90d += b.Orders
			m90 += b.Micros
		}
	}
	f.Monetary7d, f.Monetary30d, f.Monetary90d = units(m7), units(m30), units(m90)
	f.MeanSessionDurationMS = ratio(float64(st.SessionMS), st.Sessions)
	f.CartAbandonRate = ratio(float64(st.CartAbandoned), st.CartSessions)
	f.FormAbandonRate = ratio(float64(st.FormAbandoned), st.FormSessions)
	f.MeanScrollPct = ratio(float64(st.ScrollSum), st.ScrollSessions)
	f.MeanDwellMSPerPage = ratio(float64(st.DwellMS), st.DwellPages)
	f.Categories = r.top(st.Categories)
	for _, m := range st.Consent {
		f.Consent.Updated[m.Purpose] = m.TS
		switch m.Purpose {
		case "email":
			f.Consent.Email = m.Granted
		case "sms":
			f.Consent.SMS = m.Granted
		case "push":
			f.Consent.Push = m.Granted
		case "ads":
			f.Consent.Ads = m.Granted
		case "analytics":
			f.Consent.Analytics = m.Granted
		}
	}
	return f
}

// top returns the TopK categories, highest score first (ties by name).
func (r Rules) top(cs []schemas.CategoryScore) []schemas.CategoryAffinity {
	s := slices.Clone(cs)
	sort.Slice(s, func(i, j int) bool {
		if s[i].Score != s[j].Score {
			return s[i].Score > s[j].Score
		}
		return s[i].Category < s[j].Category
	})
	out := make([]schemas.CategoryAffinity, 0, min(len(s), r.TopK))
	for _, c := range s[:min(len(s), r.TopK)] {
		out = append(out, schemas.CategoryAffinity(c))
	}
	return out
}

func ratio(a float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	return a / float64(n)
}

// Micros is a currency value in millionths of a unit, rounded to the
// nearest: sums of them do not depend on the order of addition.
func Micros(v float64) int64 { return int64(math.Round(v * 1e6)) }

func units(micros int64) float64 { return float64(micros) / 1e6 }
