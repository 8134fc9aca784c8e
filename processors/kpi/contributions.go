package kpi

import "github.com/activa-dev/activa/schemas"

// KPI names, as in KpiActual.kpi and KpiForecast.kpi.
const (
	Revenue    = "revenue"
	Orders     = "orders"
	Conversion = "conversion"
)

// Dimension names, as in KpiActual.dimension.
const (
	Total    = "total"
	Store    = "store"
	Channel  = "channel"
	Category = "category"
)

// Contribution is what one event adds to one series.
type Contribution struct {
	Series Series
	// Amount is added to the series' bucket: the order's value for
	// revenue, 1 for orders, 1 for a session that purchased and 0 for
	// one that did not for conversion (whose bucket counts the sessions
	// too).
	Amount float64
}

// Purchase returns what a purchase, online (purchase) or in a store
// (store_purchase), adds to the revenue and orders series: the total, and
// its channel, store and category when the event names them. Any other
// event adds nothing. An order's value is its event's value, which
// ingestion checked to be finite.
func Purchase(ev *schemas.Event) []Contribution {
	if ev.Type != "purchase" && ev.Type != "store_purchase" {
		return nil
	}
	dims := []Series{{Dimension: Total}}
	for _, d := range [...]struct{ dim, value string }{
		{Channel, ev.Channel}, {Store, ev.StoreID}, {Category, ev.Category},
	} {
		if d.value != "" {
			dims = append(dims, Series{Dimension: d.dim, Value: d.value})
		}
	}
	out := make([]Contribution, 0, 2*len(dims))
	for _, s := range dims {
		s.KPI = Revenue
		out = append(out, Contribution{Series: s, Amount: ev.Value})
		s.KPI = Orders
		out = append(out, Contribution{Series: s, Amount: 1})
	}
	return out
}

// Session returns what a closed session adds to the conversion series:
// the total, and its channel when the summary names one. A session
// converts when it holds a purchase (of any channel, a store purchase
// included); the bucket is that of the session's end, when it became
// known whether it converts.
func Session(s *schemas.SessionSummary) []Contribution {
	amount := 0.0
	if s.Purchased {
		amount = 1
	}
	out := []Contribution{{Series: Series{KPI: Conversion, Dimension: Total}, Amount: amount}}
	if s.Channel != "" {
		out = append(out, Contribution{Series: Series{KPI: Conversion, Dimension: Channel, Value: s.Channel}, Amount: amount})
	}
	return out
}
