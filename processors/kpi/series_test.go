package kpi_test

import (
	"testing"
	"time"

	"github.com/activa-dev/activa/processors/kpi"
	"github.com/activa-dev/activa/schemas"
)

// newBook returns the books of orders|total| collecting what they publish,
// with the rules applying from two days of history on: the series of these
// tests have a daily pattern and no weekly one.
func newBook(actuals *[]*schemas.KpiActual, alerts *[]*schemas.KpiAlert) *kpi.Book {
	f := kpi.DefaultForecasting()
	f.AlertAfter = 2 * f.Daily
	return &kpi.Book{
		St: &schemas.KpiState{KPI: kpi.Orders, Dimension: kpi.Total}, Rules: kpi.DefaultRules(), Forecast: f,
		Actual: func(a *schemas.KpiActual) { *actuals = append(*actuals, a) },
		Alert:  func(a *schemas.KpiAlert) { *alerts = append(*alerts, a) },
	}
}

func TestAContributionReadAgainChangesNothingAndALateOneIsRefused(t *testing.T) {
	var actuals []*schemas.KpiActual
	var alerts []*schemas.KpiAlert
	b := newBook(&actuals, &alerts)
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	for i, v := range []kpi.Verdict{
		b.Add("r0", 10, t0.Add(time.Minute), 1),
		b.Add("r1", 4, t0.Add(2*time.Minute), 1),
		b.Add("r0", 10, t0.Add(time.Minute), 1), // read again after a crash
		b.Add("r0", 9, t0.Add(time.Minute), 1),  // an earlier offset of the same input
	} {
		if want := []kpi.Verdict{kpi.Applied, kpi.Applied, kpi.Again, kpi.Again}[i]; v != want {
			t.Fatalf("contribution %d: verdict %v, want %v", i, v, want)
		}
	}
	if err := b.Advance(t0.Add(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if len(actuals) != 2 || actuals[0].Actual != 2 || actuals[0].Count != 2 || actuals[1].Actual != 0 {
		t.Fatalf("actuals %+v, want 2 in the 08:00 bucket and 0 in the 09:00 one", actuals)
	}
	if v := b.Add("r1", 5, t0.Add(90*time.Minute), 1); v != kpi.TooLate {
		t.Fatalf("a contribution to a closed bucket: %v, want TooLate", v)
	}
	if v := b.Add("r1", 6, t0.Add(2*time.Hour), 1); v != kpi.Applied {
		t.Fatalf("a contribution to the open bucket: %v", v)
	}
}

// TestAShortfallAgainstThePlanOpensOneAlertEarlyAndResolvesAtThePeriodsEnd
// runs a series at a steady daily pattern for a week with a plan each day,
// then halves the eighth day from 10:00.
func TestAShortfallAgainstThePlanOpensOneAlertEarlyAndResolvesAtThePeriodsEnd(t *testing.T) {
	var actuals []*schemas.KpiActual
	var alerts []*schemas.KpiAlert
	b := newBook(&actuals, &alerts)
	start, daily := halvedEighthDay(t, b)
	var open, resolved []*schemas.KpiAlert
	for _, a := range alerts {
		if a.Rule != kpi.RuleProjection {
			continue
		}
		if a.State == kpi.Open {
			open = append(open, a)
		} else {
			resolved = append(resolved, a)
		}
	}
	day8 := start.Add(7 * 24 * time.Hour)
	if len(open) != 1 || len(resolved) != 1 {
		t.Fatalf("projection alerts: %d open, %d resolved, want one of each: %+v", len(open), len(resolved), alerts)
	}
	o := open[0]
	if o.TS.Before(day8.Add(10*time.Hour)) || o.TS.After(day8.Add(13*time.Hour)) {
		t.Errorf("opened at %s, want within 3 buckets of the drop at 10:00 of %s", o.TS, day8.Format(time.DateOnly))
	}
	if o.Plan != float64(daily) || o.Projection >= 0.9*o.Plan || o.TimeLeftMS <= 0 || o.AlertID != resolved[0].AlertID {
		t.Errorf("open alert %+v, resolve %+v", o, resolved[0])
	}
	if !resolved[0].TS.Equal(day8.Add(24 * time.Hour)) {
		t.Errorf("resolved at %s, want the period's end", resolved[0].TS)
	}
}

// halvedEighthDay feeds b nine days of a steady daily pattern with a plan
// each day, the eighth day halved from 10:00, and returns the first day
// and the plan of each.
func halvedEighthDay(t *testing.T, b *kpi.Book) (time.Time, int) {
	t.Helper()
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	perHour := func(h int) int { // busy in the day, quiet at night
		if h%24 >= 8 && h%24 < 22 {
			return 40
		}
		return 4
	}
	daily := 0
	for h := range 24 {
		daily += perHour(h)
	}
	for d := range 9 {
		from := start.Add(time.Duration(d) * 24 * time.Hour)
		b.Plan(&schemas.KpiForecast{KPI: kpi.Orders, Dimension: kpi.Total, PeriodStart: from, PeriodEnd: from.Add(24 * time.Hour), Expected: float64(daily)})
	}
	off := int64(0)
	for h := range 9 * 24 {
		n := perHour(h)
		if h >= 7*24+10 && h < 8*24 {
			n /= 2
		}
		at := start.Add(time.Duration(h) * time.Hour)
		for i := range n {
			off++
			b.Add("r0", off, at.Add(time.Duration(i)*time.Second), 1)
		}
		if err := b.Advance(at); err != nil {
			t.Fatal(err)
		}
	}
	return start, daily
}

// TestNoRuleAppliesBeforeTheSeriesKnowsItsWeek runs the same days with the
// default AlertAfter, two weeks: the model forecasts, nothing alerts.
func TestNoRuleAppliesBeforeTheSeriesKnowsItsWeek(t *testing.T) {
	var actuals []*schemas.KpiActual
	var alerts []*schemas.KpiAlert
	b := newBook(&actuals, &alerts)
	b.Forecast = kpi.DefaultForecasting()
	halvedEighthDay(t, b)
	forecast := 0
	for _, a := range actuals {
		if a.HasForecast {
			forecast++
		}
	}
	if len(alerts) != 0 || forecast < 6*24 {
		t.Fatalf("%d alerts, %d of %d buckets forecast; want none and every bucket from the third day on", len(alerts), forecast, len(actuals))
	}
}
