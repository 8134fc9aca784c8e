package segments

import (
	"math"
	"reflect"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// Env holds the variables of the rules' expressions: the features of one
// profile (ProfileFeatures field names) and times relative to the clock
// the rules are evaluated at. The channel mix is there as counts
// (web_events, app_events, store_events, other_events) and as shares of all
// events (web_share, app_share, store_share), spend as online_spend,
// offline_spend and offline_spend_share. Every number is a float64 (a
// share of nothing is 0); a count of days
// since something that never happened is +Inf, so that a condition such
// as days_since_last_order <= 30 is false for a profile that never
// ordered.
type Env struct {
	ProfileID             string  `expr:"profile_id"`
	RecencyDays           float64 `expr:"recency_days"`
	Frequency7d           float64 `expr:"frequency_7d"`
	Frequency30d          float64 `expr:"frequency_30d"`
	Frequency90d          float64 `expr:"frequency_90d"`
	Monetary7d            float64 `expr:"monetary_7d"`
	Monetary30d           float64 `expr:"monetary_30d"`
	Monetary90d           float64 `expr:"monetary_90d"`
	AvgTicket             float64 `expr:"avg_ticket"`
	Orders                float64 `expr:"orders"`
	Sessions              float64 `expr:"sessions"`
	MeanSessionDurationMS float64 `expr:"mean_session_duration_ms"`
	CartAbandonRate       float64 `expr:"cart_abandon_rate"`
	FormAbandonRate       float64 `expr:"form_abandon_rate"`
	MeanScrollPct         float64 `expr:"mean_scroll_pct"`
	MeanDwellMSPerPage    float64 `expr:"mean_dwell_ms_per_page"`
	Web                   float64 `expr:"web_events"`
	App                   float64 `expr:"app_events"`
	Store                 float64 `expr:"store_events"`
	Other                 float64 `expr:"other_events"`
	WebShare              float64 `expr:"web_share"`
	AppShare              float64 `expr:"app_share"`
	StoreShare            float64 `expr:"store_share"`
	OnlineSpend           float64 `expr:"online_spend"`
	OfflineSpend          float64 `expr:"offline_spend"`
	Devices               float64 `expr:"devices"`
	OfflineSpendShare     float64 `expr:"offline_spend_share"`
	ConsentEmail          bool    `expr:"consent_email"`
	ConsentSMS            bool    `expr:"consent_sms"`
	ConsentPush           bool    `expr:"consent_push"`
	ConsentAds            bool    `expr:"consent_ads"`
	ConsentAnalytics      bool    `expr:"consent_analytics"`
	// DaysSinceFirstSeen, DaysSinceLastSeen and DaysSinceLastOrder are
	// fractional days from first_seen, last_seen and last_order_ts to the
	// evaluation clock (event time).
	DaysSinceFirstSeen float64 `expr:"days_since_first_seen"`
	DaysSinceLastSeen  float64 `expr:"days_since_last_seen"`
	DaysSinceLastOrder float64 `expr:"days_since_last_order"`
}

// EnvOf returns the variables of f evaluated at event time now.
func EnvOf(f *schemas.ProfileFeatures, now time.Time) Env {
	ch := f.Channels
	events := float64(ch.Web + ch.App + ch.Store + ch.Other)
	return Env{
		WebShare: share(float64(ch.Web), events), AppShare: share(float64(ch.App), events), StoreShare: share(float64(ch.Store), events),
		OfflineSpendShare: share(f.OfflineSpend, f.OnlineSpend+f.OfflineSpend),
		ProfileID:         f.ProfileID,
		RecencyDays:       f.RecencyDays, Frequency7d: float64(f.Frequency7d), Frequency30d: float64(f.Frequency30d), Frequency90d: float64(f.Frequency90d),
		Monetary7d: f.Monetary7d, Monetary30d: f.Monetary30d, Monetary90d: f.Monetary90d, AvgTicket: f.AvgTicket,
		Orders: float64(f.Orders), Sessions: float64(f.Sessions), MeanSessionDurationMS: f.MeanSessionDurationMS,
		CartAbandonRate: f.CartAbandonRate, FormAbandonRate: f.FormAbandonRate, MeanScrollPct: f.MeanScrollPct, MeanDwellMSPerPage: f.MeanDwellMSPerPage,
		Web: float64(f.Channels.Web), App: float64(f.Channels.App), Store: float64(f.Channels.Store), Other: float64(f.Channels.Other),
		OnlineSpend: f.OnlineSpend, OfflineSpend: f.OfflineSpend, Devices: float64(f.Devices),
		ConsentEmail: f.Consent.Email, ConsentSMS: f.Consent.SMS, ConsentPush: f.Consent.Push, ConsentAds: f.Consent.Ads, ConsentAnalytics: f.Consent.Analytics,
		DaysSinceFirstSeen: daysSince(f.FirstSeen, now), DaysSinceLastSeen: daysSince(f.LastSeen, now), DaysSinceLastOrder: daysSince(f.LastOrderTS, now),
	}
}

// share is part over whole, 0 when whole is not positive.
func share(part, whole float64) float64 {
	if whole <= 0 {
		return 0
	}
	return part / whole
}

// daysSince is the fractional number of days from t to now, +Inf when t
// is unknown, and never negative.
func daysSince(t, now time.Time) float64 {
	if t.IsZero() || t.Unix() == 0 {
		return math.Inf(1)
	}
	return max(0, now.Sub(t).Hours()/24)
}

// envFields maps each variable name to its field index in Env.
var envFields = func() map[string]int {
	m := map[string]int{}
	t := reflect.TypeFor[Env]()
	for i := range t.NumField() {
		m[t.Field(i).Tag.Get("expr")] = i
	}
	return m
}()

// values returns the numeric variables of names (booleans as 0 or 1);
// values that are not finite are left out, since a record cannot carry
// them.
func (e *Env) values(names []string) map[string]float64 {
	out := make(map[string]float64, len(names)+1)
	v := reflect.ValueOf(e).Elem()
	for _, n := range names {
		i, ok := envFields[n]
		if !ok {
			continue
		}
		var x float64
		switch f := v.Field(i); f.Kind() {
		case reflect.Float64:
			x = f.Float()
		case reflect.Bool:
			if f.Bool() {
				x = 1
			}
		default:
			continue
		}
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			out[n] = x
		}
	}
	return out
}
