package score

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// FeatureRules are the parameters a batch recomputation of features needs.
type FeatureRules struct {
	// HalfLife of the category scores.
	HalfLife time.Duration
	// TopK categories are published.
	TopK int
	// Weight of an event type in the category scores.
	Weight func(typ string) float64
	// MaxDevices is the cap on distinct devices.
	MaxDevices int
}

// BatchFeatures recomputes a profile's features from all its events and
// closed sessions at once, the plain way: every window and score is a sum
// over the full lists. Events and sessions seen twice (same id) count
// once. Version, updated_ts and last_event_id are left zero.
func BatchFeatures(r FeatureRules, profile string, events []schemas.Event, sessions []schemas.SessionSummary) schemas.ProfileFeatures {
	f := schemas.ProfileFeatures{ProfileID: profile, Consent: schemas.Consent{Updated: map[string]time.Time{}}}
	seen := map[string]bool{}
	var evs []schemas.Event
	for _, e := range events {
		if !seen[e.EventID] {
			seen[e.EventID] = true
			evs = append(evs, e)
		}
	}
	for _, e := range evs {
		ts := e.TS.UTC()
		if f.FirstSeen.IsZero() || ts.Before(f.FirstSeen) {
			f.FirstSeen = ts
		}
		if ts.After(f.LastSeen) {
			f.LastSeen = ts
		}
	}
	const dayMS = 24 * 3600 * 1000
	lastDay := f.LastSeen.UnixMilli() / dayMS
	var online, offline, m7, m30, m90 int64
	scores := map[string]float64{}
	devices := map[string]bool{}
	type mark struct {
		granted bool
		ts      time.Time
		id      string
	}
	consent := map[string]mark{}
	var dwellN, dwellSum int64
	for _, e := range evs {
		ts := e.TS.UTC()
		switch e.Channel {
		case "web":
			f.Channels.Web++
		case "app":
			f.Channels.App++
		case "store":
			f.Channels.Store++
		default:
			f.Channels.Other++
		}
		if e.Type == "purchase" || e.Type == "store_purchase" {
			v := int64(math.Round(e.Value * 1e6))
			f.Orders++
			if e.Type == "purchase" {
				online += v
			} else {
				offline += v
			}
			if ts.After(f.LastOrderTS) {
				f.LastOrderTS = ts
			}
			age := lastDay - ts.UnixMilli()/dayMS
			for _, w := range []struct {
				days int64
				n    *int64
				m    *int64
			}{{7, &f.Frequency7d, &m7}, {30, &f.Frequency30d, &m30}, {90, &f.Frequency90d, &m90}} {
				if age < w.days {
					*w.n++
					*w.m += v
				}
			}
		}
		if d, ok := e.Props["dwell_ms"]; ok {
			if n, err := strconv.ParseInt(d, 10, 64); err == nil && n >= 0 {
				dwellN++
				dwellSum += n
			}
		}
		if e.Category != "" {
			scores[e.Category] += r.Weight(e.Type) * math.Exp2(-float64(f.LastSeen.Sub(ts))/float64(r.HalfLife))
		}
		if e.IDs.Device != "" {
			devices[e.IDs.Device] = true
		}
		if p := e.Props["purpose"]; e.Type == "consent" && p != "" {
			old, ok := consent[p]
			if !ok || ts.After(old.ts) || (ts.Equal(old.ts) && e.EventID > old.id) {
				consent[p] = mark{e.Props["granted"] == "true", ts, e.EventID}
			}
		}
	}
	micros := func(v int64) float64 { return float64(v) / 1e6 }
	f.OnlineSpend, f.OfflineSpend = micros(online), micros(offline)
	f.Monetary7d, f.Monetary30d, f.Monetary90d = micros(m7), micros(m30), micros(m90)
	if f.Orders > 0 {
		f.AvgTicket = micros(online+offline) / float64(f.Orders)
		f.RecencyDays = float64(f.LastSeen.Sub(f.LastOrderTS)) / float64(24*time.Hour)
	}
	if dwellN > 0 {
		f.MeanDwellMSPerPage = float64(dwellSum) / float64(dwellN)
	}
	f.Devices = int32(min(len(devices), r.MaxDevices))
	for p, m := range consent {
		f.Consent.Updated[p] = m.ts
		switch p {
		case "email":
			f.Consent.Email = m.granted
		case "sms":
			f.Consent.SMS = m.granted
		case "push":
			f.Consent.Push = m.granted
		case "ads":
			f.Consent.Ads = m.granted
		case "analytics":
			f.Consent.Analytics = m.granted
		}
	}
	var cats []schemas.CategoryAffinity
	for c, s := range scores {
		cats = append(cats, schemas.CategoryAffinity{Category: c, Score: s})
	}
	sort.Slice(cats, func(i, j int) bool {
		if cats[i].Score != cats[j].Score {
			return cats[i].Score > cats[j].Score
		}
		return cats[i].Category < cats[j].Category
	})
	f.Categories = cats[:min(len(cats), r.TopK)]

	sseen := map[string]bool{}
	var durSum, carts, cartAb, forms, formAb, scrollN, scrollSum int64
	for _, s := range sessions {
		if sseen[s.SessionID] {
			continue
		}
		sseen[s.SessionID] = true
		f.Sessions++
		durSum += s.DurationMS
		if s.CountsByType["add_to_cart"] > 0 {
			carts++
			if s.CartAbandoned {
				cartAb++
			}
		}
		if s.CountsByType["form_start"] > 0 || s.CountsByType["form_abandon"] > 0 || s.FormAbandoned {
			forms++
			if s.FormAbandoned {
				formAb++
			}
		}
		if s.MaxScrollPct > 0 {
			scrollN++
			scrollSum += int64(s.MaxScrollPct)
		}
	}
	share := func(a, n int64) float64 {
		if n == 0 {
			return 0
		}
		return float64(a) / float64(n)
	}
	f.MeanSessionDurationMS = share(durSum, f.Sessions)
	f.CartAbandonRate = share(cartAb, carts)
	f.FormAbandonRate = share(formAb, forms)
	f.MeanScrollPct = share(scrollSum, scrollN)
	return f
}

// DiffFeatures lists how got differs from want: counts, sums, times and
// flags must be equal, decayed and averaged values equal within a relative
// 1e-9. Version, updated_ts and last_event_id are not compared.
func DiffFeatures(got, want schemas.ProfileFeatures) []string {
	var out []string
	eq := func(name string, g, w any) {
		if g != w {
			out = append(out, fmt.Sprintf("%s: got %v, want %v", name, g, w))
		}
	}
	near := func(name string, g, w float64) {
		if math.Abs(g-w) > 1e-9*math.Max(math.Abs(w), 1e-300) && g != w {
			out = append(out, fmt.Sprintf("%s: got %v, want %v", name, g, w))
		}
	}
	eq("profile", got.ProfileID, want.ProfileID)
	eq("first_seen", got.FirstSeen.UnixMilli(), want.FirstSeen.UnixMilli())
	eq("last_seen", got.LastSeen.UnixMilli(), want.LastSeen.UnixMilli())
	eq("last_order_ts", got.LastOrderTS.UnixMilli(), want.LastOrderTS.UnixMilli())
	eq("orders", got.Orders, want.Orders)
	eq("frequency_7d", got.Frequency7d, want.Frequency7d)
	eq("frequency_30d", got.Frequency30d, want.Frequency30d)
	eq("frequency_90d", got.Frequency90d, want.Frequency90d)
	eq("monetary_7d", got.Monetary7d, want.Monetary7d)
	eq("monetary_30d", got.Monetary30d, want.Monetary30d)
	eq("monetary_90d", got.Monetary90d, want.Monetary90d)
	eq("online_spend", got.OnlineSpend, want.OnlineSpend)
	eq("offline_spend", got.OfflineSpend, want.OfflineSpend)
	eq("sessions", got.Sessions, want.Sessions)
	eq("channels", got.Channels, want.Channels)
	eq("devices", got.Devices, want.Devices)
	eq("consent", fmt.Sprint(got.Consent), fmt.Sprint(want.Consent))
	near("recency_days", got.RecencyDays, want.RecencyDays)
	near("avg_ticket", got.AvgTicket, want.AvgTicket)
	near("mean_session_duration_ms", got.MeanSessionDurationMS, want.MeanSessionDurationMS)
	near("cart_abandon_rate", got.CartAbandonRate, want.CartAbandonRate)
	near("form_abandon_rate", got.FormAbandonRate, want.FormAbandonRate)
	near("mean_scroll_pct", got.MeanScrollPct, want.MeanScrollPct)
	near("mean_dwell_ms_per_page", got.MeanDwellMSPerPage, want.MeanDwellMSPerPage)
	if len(got.Categories) != len(want.Categories) {
		out = append(out, fmt.Sprintf("categories: got %v, want %v", got.Categories, want.Categories))
		return out
	}
	for i := range got.Categories {
		eq(fmt.Sprintf("categories[%d]", i), got.Categories[i].Category, want.Categories[i].Category)
		near(fmt.Sprintf("categories[%d].score", i), got.Categories[i].Score, want.Categories[i].Score)
	}
	return out
}
