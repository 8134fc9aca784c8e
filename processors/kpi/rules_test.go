package kpi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/activa-dev/activa/processors/kpi"
	"github.com/activa-dev/activa/schemas"
)

var t0 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

func hour(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }

func TestTheIntervalRuleOpensOnceAfterConsecutiveBucketsAndResolves(t *testing.T) {
	r := kpi.DefaultRules()
	series := kpi.Series{KPI: "revenue", Dimension: "store", Value: "S12"}
	var st kpi.State
	actuals := []float64{100, 80, 85, 100, 80, 80, 80, 70, 100, 80, 100, 100, 100}
	var got []*schemas.KpiAlert
	at := map[string]int{}
	for h, y := range actuals {
		if a := r.Interval(&st, series, kpi.Bucket{Start: hour(h), End: hour(h + 1), Actual: y, Expected: 100, Lower: 90, Upper: 110}); a != nil {
			got = append(got, a)
			at[a.State] = h
		}
	}
	if len(got) != 2 || got[0].State != kpi.Open || got[1].State != kpi.Resolved {
		t.Fatalf("alerts %+v, want one open and one resolved", got)
	}
	open, res := got[0], got[1]
	if at[kpi.Open] != 6 || at[kpi.Resolved] != 11 {
		t.Errorf("opened after hour %d and resolved after hour %d, want 6 (the third in a row outside) and 11 (the second in a row inside)", at[kpi.Open], at[kpi.Resolved])
	}
	if open.AlertID == "" || open.AlertID != res.AlertID {
		t.Errorf("alert ids %q and %q, want one id per episode", open.AlertID, res.AlertID)
	}
	if open.Rule != kpi.RuleInterval || open.Consecutive != 3 || open.Severity != kpi.Medium || open.GapPct != 20 ||
		!open.BucketStart.Equal(hour(6)) || !open.TS.Equal(hour(7)) || open.Lower != 90 || open.Upper != 110 || open.Actual != 80 {
		t.Errorf("open alert %+v", open)
	}
	if !strings.Contains(open.Message, "revenue|store|S12") || !strings.Contains(open.Message, "below") {
		t.Errorf("message %q names neither the series nor the side", open.Message)
	}
	if res.Consecutive != 0 || !res.BucketStart.Equal(hour(11)) {
		t.Errorf("resolve %+v", res)
	}
	// A second episode is another alert.
	for h := 13; h < 16; h++ {
		if a := r.Interval(&st, series, kpi.Bucket{Start: hour(h), End: hour(h + 1), Actual: 150, Expected: 100, Lower: 90, Upper: 110}); a != nil {
			if h != 15 || a.AlertID == open.AlertID || a.Severity != kpi.Critical {
				t.Errorf("hour %d: %+v", h, a)
			}
		}
	}
}

// progress runs the projection rule over a day of hourly buckets against a
// plan of 2,400 and a frozen forecast of 100 an hour, the actual of hour h
// being actual(h), and returns the alerts with the hour after which each
// came.
func progress(r kpi.Rules, st *kpi.State, series kpi.Series, actual func(h int) float64) ([]*schemas.KpiAlert, []int) {
	var alerts []*schemas.KpiAlert
	var hours []int
	sum := 0.0
	for h := range 24 {
		sum += actual(h)
		p := kpi.Progress{Start: hour(0), End: hour(24), Bucket: hour(h), Now: hour(h + 1), Plan: 2400, Actual: sum, Rest: 100 * float64(23-h)}
		if a := r.Projection(st, series, p); a != nil {
			alerts = append(alerts, a)
			hours = append(hours, h)
		}
	}
	return alerts, hours
}

func TestTheProjectionRuleWarnsWhileThereIsTimeAndResolvesAtThePeriodsEnd(t *testing.T) {
	r := kpi.DefaultRules()
	series := kpi.Series{KPI: "revenue", Dimension: "total"}
	var st kpi.State
	// 40% down from hour 6: after hour h >= 6 the projection is
	// 2600 - 40h, first more than 10% short of 2400 after hour 12, with
	// less than half the period left: 11.7% short grades as medium.
	alerts, hours := progress(r, &st, series, func(h int) float64 {
		if h < 6 {
			return 100
		}
		return 60
	})
	if len(alerts) != 2 || alerts[0].State != kpi.Open || alerts[1].State != kpi.Resolved || hours[0] != 12 || hours[1] != 23 {
		t.Fatalf("alerts after hours %v: %+v; want open after 12 and resolved at the period's end", hours, alerts)
	}
	a := alerts[0]
	if a.Projection != 2600-40*12 || a.Plan != 2400 || a.Actual != 600+60*7 || a.Expected != 0 ||
		fmt.Sprintf("%.2f", a.GapPct) != "11.67" || a.TimeLeftMS != (11*time.Hour).Milliseconds() ||
		!a.PeriodStart.Equal(hour(0)) || !a.PeriodEnd.Equal(hour(24)) || !a.BucketStart.Equal(hour(12)) || a.Severity != kpi.Medium {
		t.Errorf("open alert %+v", a)
	}
	if alerts[1].AlertID != a.AlertID || alerts[1].TimeLeftMS != 0 || !strings.Contains(alerts[1].Message, "period ended") {
		t.Errorf("resolve %+v", alerts[1])
	}
	if st != (kpi.State{}) {
		t.Errorf("state after the period %+v, want it cleared", st)
	}
}

func TestTheProjectionRuleResolvesWhenTheSeriesCatchesUp(t *testing.T) {
	var st kpi.State
	alerts, hours := progress(kpi.DefaultRules(), &st, kpi.Series{KPI: "orders", Dimension: "channel", Value: "web"}, func(h int) float64 {
		switch {
		case h < 2:
			return 100
		case h < 8:
			return 40
		}
		return 160
	})
	// Short 360 after hour 7 (15%), then 60 less each hour: 12.5% after
	// hour 8, 10% after 9, 7.5% after 10, 5% after 11 and 12.
	if len(alerts) != 2 || alerts[0].State != kpi.Open || alerts[1].State != kpi.Resolved || hours[0] != 6 || hours[1] != 12 {
		t.Fatalf("alerts after hours %v: %+v; want open after 6 and resolved after 12", hours, alerts)
	}
}

func TestAShortfallTooLateInThePeriodRaisesNothing(t *testing.T) {
	var st kpi.State
	alerts, hours := progress(kpi.DefaultRules(), &st, kpi.Series{KPI: "revenue", Dimension: "total"}, func(h int) float64 {
		if h < 19 {
			return 100
		}
		return 0
	})
	if len(alerts) != 0 {
		t.Errorf("alerts after hours %v with less than a quarter of the period left: %+v", hours, alerts)
	}
}

func TestFiftySeriesFailingAtOnceRaiseOneAlertEach(t *testing.T) {
	r := kpi.DefaultRules()
	ids := map[string]bool{}
	for i := range 50 {
		var st kpi.State
		series := kpi.Series{KPI: "revenue", Dimension: "store", Value: fmt.Sprintf("S%02d", i)}
		alerts, _ := progress(r, &st, series, func(h int) float64 {
			if h < 3 {
				return 100
			}
			return 50
		})
		if len(alerts) != 2 || alerts[0].State != kpi.Open {
			t.Fatalf("series %s: %d alerts, want one open and its resolve at the period's end", series.Key(), len(alerts))
		}
		ids[alerts[0].AlertID] = true
	}
	if len(ids) != 50 {
		t.Errorf("%d distinct alert ids for 50 series", len(ids))
	}
}

func TestRulesValidate(t *testing.T) {
	if err := kpi.DefaultRules().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []kpi.Rules{
		{Consecutive: 0, ResolveAfter: 2, Shortfall: 0.1, MinRemaining: 0.25},
		{Consecutive: 3, ResolveAfter: 0, Shortfall: 0.1, MinRemaining: 0.25},
		{Consecutive: 3, ResolveAfter: 2, Shortfall: 0, MinRemaining: 0.25},
		{Consecutive: 3, ResolveAfter: 2, Shortfall: 0.1, MinRemaining: 1},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
