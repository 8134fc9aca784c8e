package kpi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/activa-dev/activa/loadtest/gen"
	"github.com/activa-dev/activa/processors/kpi"
	"github.com/activa-dev/activa/schemas"
)

// generate generates cfg's population, hands each line to line in the
// order written, and returns the truth.
func generate(t *testing.T, cfg gen.Config, line func([]byte)) *gen.Truth {
	t.Helper()
	pr, pw := io.Pipe()
	truth := &gen.Truth{}
	done := make(chan error, 1)
	go func() {
		_, err := gen.Generate(cfg, pw, truth)
		pw.CloseWithError(err)
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return truth
}

// population is the gen configuration of the replays: 28 days of
// ACTIVA_KPI_SEED's population (default 1) of profiles persons, or of the
// number in the environment variable named.
func population(t *testing.T, env string, profiles int) gen.Config {
	t.Helper()
	cfg := gen.DefaultConfig()
	cfg.Profiles = envInt(t, env, profiles)
	cfg.Days = 28
	cfg.Seed = uint64(envInt(t, "ACTIVA_KPI_SEED", int(cfg.Seed)))
	cfg.MalformedShare = 0
	return cfg
}

// purchases generates cfg's population and returns its purchases, in the
// order written, with the truth.
func purchases(t *testing.T, cfg gen.Config) ([]*schemas.Event, *gen.Truth) {
	t.Helper()
	var out []*schemas.Event
	truth := generate(t, cfg, func(line []byte) {
		if !bytes.Contains(line, []byte(`purchase"`)) {
			return
		}
		var e struct {
			EventID  string  `json:"event_id"`
			TS       string  `json:"ts"`
			Type     string  `json:"type"`
			Channel  string  `json:"channel"`
			StoreID  string  `json:"store_id"`
			Category string  `json:"category"`
			Value    float64 `json:"value"`
		}
		if json.Unmarshal(line, &e) != nil || (e.Type != "purchase" && e.Type != "store_purchase") {
			return // a malformed line
		}
		ts, err := time.Parse(time.RFC3339Nano, e.TS)
		if err != nil {
			return
		}
		out = append(out, &schemas.Event{EventID: e.EventID, TS: ts, Type: e.Type, Channel: e.Channel, StoreID: e.StoreID, Category: e.Category, Value: e.Value})
	})
	return out, truth
}

// dailyTotals sums the purchases of every series by day from start.
func dailyTotals(events []*schemas.Event, start time.Time) map[kpi.Series]map[int]float64 {
	out := map[kpi.Series]map[int]float64{}
	for _, ev := range events {
		d := int(ev.TS.Sub(start) / (24 * time.Hour))
		for _, c := range kpi.Purchase(ev) {
			if out[c.Series] == nil {
				out[c.Series] = map[int]float64{}
			}
			out[c.Series][d] += c.Amount
		}
	}
	return out
}

// weekdayPlans are daily plans the way a planning team makes them: for
// each series and day, the mean total of the same weekday in the other
// weeks of an unperturbed history.
func weekdayPlans(totals map[kpi.Series]map[int]float64, start time.Time, days int) []*schemas.KpiForecast {
	var out []*schemas.KpiForecast
	for s, byDay := range totals {
		for d := range days {
			var sum float64
			n := 0
			for o := d % 7; o < days; o += 7 {
				if o != d {
					sum, n = sum+byDay[o], n+1
				}
			}
			if n == 0 {
				continue
			}
			from := start.Add(time.Duration(d) * 24 * time.Hour)
			out = append(out, &schemas.KpiForecast{
				KPI: s.KPI, Dimension: s.Dimension, Value: s.Value,
				PeriodStart: from, PeriodEnd: from.Add(24 * time.Hour), Expected: sum / float64(n),
			})
		}
	}
	return out
}

// replayed is what a replay of purchases through the books produced.
type replayed struct {
	actuals map[kpi.Series][]*schemas.KpiActual
	alerts  []*schemas.KpiAlert
	late    int
}

// fed is an input record of a replay: its event time and what it adds to
// which series.
type fed struct {
	ts   time.Time
	adds []kpi.Contribution
}

// purchaseFeed returns what the purchases of events add, in order.
func purchaseFeed(events []*schemas.Event) []fed {
	out := make([]fed, 0, len(events))
	for _, ev := range events {
		out = append(out, fed{ev.TS, kpi.Purchase(ev)})
	}
	return out
}

// replay feeds records, in order, through one book per series with the
// watermark one hour behind the latest record, then closes everything.
// Every plan is loaded first.
func replay(t *testing.T, feed []fed, plans []*schemas.KpiForecast, rules kpi.Rules, end time.Time) replayed {
	t.Helper()
	out := replayed{actuals: map[kpi.Series][]*schemas.KpiActual{}}
	books := map[kpi.Series]*kpi.Book{}
	var order []kpi.Series
	book := func(s kpi.Series) *kpi.Book {
		b, ok := books[s]
		if !ok {
			b = &kpi.Book{
				St: &schemas.KpiState{KPI: s.KPI, Dimension: s.Dimension, Value: s.Value}, Rules: rules, Forecast: kpi.DefaultForecasting(),
				Actual: func(a *schemas.KpiActual) { out.actuals[s] = append(out.actuals[s], a) },
				Alert:  func(a *schemas.KpiAlert) { out.alerts = append(out.alerts, a) },
			}
			books[s] = b
			order = append(order, s)
		}
		return b
	}
	for _, p := range plans {
		book(kpi.Series{KPI: p.KPI, Dimension: p.Dimension, Value: p.Value}).Plan(p)
	}
	advance := func(wm time.Time) {
		for _, s := range order {
			if err := books[s].Advance(wm); err != nil {
				t.Fatal(err)
			}
		}
	}
	var wm time.Time
	for i, f := range feed {
		if next := f.ts.Add(-time.Hour).Truncate(time.Hour); next.After(wm) {
			wm = next
			advance(wm)
		}
		for _, c := range f.adds {
			if book(c.Series).Add("r0", int64(i), f.ts, c.Amount) == kpi.TooLate {
				out.late++
			}
		}
	}
	advance(end)
	slices.SortStableFunc(out.alerts, func(a, b *schemas.KpiAlert) int { return a.TS.Compare(b.TS) })
	return out
}

// anomalies returns, for each series, the planted shortfalls that cost it
// at least share of its value in their window: those whose suppressed
// purchases (in base, the run without shortfalls, and not in events: the
// runs number their events apart, so a purchase is known by its time and
// value) counted for it.
func anomalies(base, events []*schemas.Event, truth *gen.Truth, share float64) map[kpi.Series][]gen.Shortfall {
	kept := map[purchaseKey]bool{}
	for _, ev := range events {
		kept[keyOf(ev)] = true
	}
	out := map[kpi.Series][]gen.Shortfall{}
	for _, sf := range truth.Shortfalls {
		all, lost := map[kpi.Series]float64{}, map[kpi.Series]float64{}
		for _, ev := range base {
			if ev.TS.Before(sf.Start) || !ev.TS.Before(sf.End) {
				continue
			}
			for _, c := range kpi.Purchase(ev) {
				all[c.Series] += c.Amount
				if !kept[keyOf(ev)] {
					lost[c.Series] += c.Amount
				}
			}
		}
		for s, l := range lost {
			if l >= share*all[s] {
				out[s] = append(out[s], sf)
			}
		}
	}
	return out
}

// purchaseKey tells a purchase apart from the others of a run and finds
// it in another run of the same population: its time and value in cents.
type purchaseKey [2]int64

func keyOf(ev *schemas.Event) purchaseKey {
	return purchaseKey{ev.TS.UnixMilli(), int64(math.Round(ev.Value * 100))}
}
