//go:build integration

package integration

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"testing"
	"time"

	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/processors/kpi"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// purchaseRevenue sums the total revenue, as kpi counts it, of the events
// of the JSON Lines file path from start to end.
func purchaseRevenue(t *testing.T, path string, start, end time.Time) float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sum float64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e struct {
			Type  string    `json:"type"`
			TS    time.Time `json:"ts"`
			Value float64   `json:"value"`
		}
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.TS.Before(start) || !e.TS.Before(end) {
			continue // a malformed line, or out of the period
		}
		for _, c := range kpi.Purchase(&schemas.Event{Type: e.Type, TS: e.TS, Value: e.Value}) {
			if c.Series == (kpi.Series{KPI: kpi.Revenue, Dimension: kpi.Total}) {
				sum += c.Amount // what kpi counts as a purchase, and nothing else
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// checkKpi compares the total revenue and orders of every hour on
// kpi.actuals with the sums of the resolved purchases of the hour, checks
// that no contribution was dead-lettered, and looks for the projection
// alert that the plan of day (twice its revenue) must have opened.
func checkKpi(t *testing.T, kc *kafka.Config, codecs *topology.Codecs, cat topology.Catalog, day time.Time, plan float64) {
	t.Helper()
	waitQuiet(t, kc, cat.Prefix+"kpi")
	type sums struct{ revenue, orders float64 }
	want := map[time.Time]sums{}
	consume(t, kc, codecs, cat, topology.EventsResolved, func(_ string, ev *schemas.ResolvedEvent) {
		for _, c := range kpi.Purchase(&ev.Event) {
			if c.Series.Dimension != kpi.Total {
				continue
			}
			h := ev.Event.TS.UTC().Truncate(time.Hour)
			s := want[h]
			if c.Series.KPI == kpi.Revenue {
				s.revenue += c.Amount
			} else {
				s.orders += c.Amount
			}
			want[h] = s
		}
	})
	// The replay is in order: within the grace, no purchase is late for
	// its bucket, however far event time ran ahead of its hops.
	late := 0
	consume(t, kc, codecs, cat, topology.Deadletter, func(_ string, d *schemas.DeadLetter) {
		if d.Stage == "kpi" {
			if late++; late <= 3 {
				t.Errorf("kpi dead letter: %s %s", d.Reason, d.Error)
			}
		}
	})
	got := map[time.Time]sums{}
	consume(t, kc, codecs, cat, topology.KpiActuals, func(_ string, a *schemas.KpiActual) {
		if a.Dimension != kpi.Total {
			return
		}
		s := got[a.BucketStart.UTC()]
		switch a.KPI {
		case kpi.Revenue:
			s.revenue = a.Actual
		case kpi.Orders:
			s.orders = a.Actual
		}
		got[a.BucketStart.UTC()] = s
	})
	bad := 0
	for h, w := range want {
		g := got[h]
		if math.Abs(g.revenue-w.revenue) > 1e-6*max(w.revenue, 1) || g.orders != w.orders {
			if bad++; bad <= 3 {
				t.Errorf("kpi total at %s: revenue %.2f and %v orders, want %.2f and %v", h.Format(time.RFC3339), g.revenue, g.orders, w.revenue, w.orders)
			}
		}
	}
	var opened []*schemas.KpiAlert
	consume(t, kc, codecs, cat, topology.KpiAlerts, func(_ string, a *schemas.KpiAlert) {
		if a.Rule == kpi.RuleProjection && a.State == kpi.Open && a.KPI == kpi.Revenue && a.Dimension == kpi.Total {
			opened = append(opened, a)
		}
	})
	t.Logf("kpi on Apache Kafka: %d hours of purchases, %d with other totals on kpi.actuals, %d contributions dead-lettered; %d projection alerts on the total revenue",
		len(want), bad, late, len(opened))
	if len(opened) != 1 {
		t.Fatalf("%d projection alerts opened on the total revenue, want 1 against the plan of %.2f for %s", len(opened), plan, day.Format(time.DateOnly))
	}
	if a := opened[0]; !a.PeriodStart.Equal(day) || a.Plan != plan || !(a.Projection < 0.9*plan) || a.TimeLeftMS <= 0 {
		t.Errorf("projection alert %+v, want one for %s short of the plan of %.2f with time left", a, day.Format(time.DateOnly), plan)
	}
}

// checkConversion checks that every hour's conversion on kpi.actuals is
// the share of the sessions on sessions.closed ending in it that
// purchased, each session counted once, and that every hour with sessions
// closes (the last ones once sessions.closed is idle).
func checkConversion(t *testing.T, kc *kafka.Config, codecs *topology.Codecs, cat topology.Catalog) {
	t.Helper()
	type counts struct{ sessions, purchased int64 }
	want := map[time.Time]counts{}
	seen := map[string]bool{}
	consume(t, kc, codecs, cat, topology.SessionsClosed, func(_ string, s *schemas.SessionSummary) {
		if seen[s.SessionID] {
			return
		}
		seen[s.SessionID] = true
		h := s.End.UTC().Truncate(time.Hour)
		c := want[h]
		c.sessions++
		if s.Purchased {
			c.purchased++
		}
		want[h] = c
	})
	got := map[time.Time]*schemas.KpiActual{}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
		consume(t, kc, codecs, cat, topology.KpiActuals, func(_ string, a *schemas.KpiActual) {
			if a.KPI == kpi.Conversion && a.Dimension == kpi.Total {
				got[a.BucketStart.UTC()] = a
			}
		})
		missing := 0
		for h := range want {
			if got[h] == nil {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
	}
	bad := 0
	for h, w := range want {
		g := got[h]
		if g == nil || g.Count != w.sessions || math.Round(g.Actual*float64(g.Count)) != float64(w.purchased) {
			if bad++; bad <= 3 {
				t.Errorf("conversion at %s: %+v, want %d of %d sessions", h.Format(time.RFC3339), g, w.purchased, w.sessions)
			}
		}
	}
	t.Logf("conversion on Apache Kafka: %d sessions in %d hours, %d hours differ on kpi.actuals", len(seen), len(want), bad)
	if len(want) == 0 {
		t.Error("no session closed")
	}
}
