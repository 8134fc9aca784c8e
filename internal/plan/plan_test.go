package plan_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/activa-dev/activa/internal/plan"
)

var issued = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

func TestAPlanReadsIntoForecastsAndALaterRowReplaces(t *testing.T) {
	csv := `KPI, Dimension, Value, Period_Start, Period_End, Expected, Lower, Upper
revenue,store,S12,2026-11-02,2026-11-03,12500.50,11000,14000
orders,total,,2026-11-02T00:00:00+01:00,2026-11-02T23:00:00Z,830,,
conversion,channel,web,2026-11-02,2026-11-09,0.031,0.02,0.04
revenue,store,S12,2026-11-02,2026-11-03,13000,,
`
	got, err := plan.Read(strings.NewReader(csv), issued)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d forecasts, want 3 (the fourth row replaces the first): %+v", len(got), got)
	}
	s12 := got[0]
	if plan.Key(s12) != "revenue|store|S12|2026-11-02T00:00:00Z" || s12.Expected != 13000 || s12.HasBounds ||
		!s12.PeriodEnd.Equal(time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)) || s12.Source != plan.Source || !s12.TS.Equal(issued) {
		t.Errorf("replaced row read as %+v", s12)
	}
	total := got[1]
	if plan.Key(total) != "orders|total||2026-11-01T23:00:00Z" || total.Expected != 830 || total.HasBounds {
		t.Errorf("total row read as %+v (key %s)", total, plan.Key(total))
	}
	web := got[2]
	if !web.HasBounds || web.Lower != 0.02 || web.Upper != 0.04 || web.Expected != 0.031 || web.Dimension != "channel" {
		t.Errorf("bounded row read as %+v", web)
	}
}

func TestAPlanWithBadRowsIsRefusedWhole(t *testing.T) {
	csv := `kpi,dimension,value,period_start,period_end,expected,lower,upper
revenue,store,S1,2026-11-02,2026-11-03,100,,
profit,store,S1,2026-11-02,2026-11-03,100,,
revenue,region,N,2026-11-02,2026-11-03,100,,
revenue,total,S1,2026-11-02,2026-11-03,100,,
revenue,store,S1,2026-11-03,2026-11-02,100,,
revenue,store,S1,2026-11-02,next week,100,,
orders,store,S1,2026-11-02,2026-11-03,-4,,
conversion,channel,web,2026-11-02,2026-11-03,1.5,,
revenue,store,S1,2026-11-02,2026-11-03,100,90,
revenue,store,S1,2026-11-02,2026-11-03,100,110,120
revenue,store,S1,2026-11-02,2026-11-03,NaN,,
revenue,store,S1,2026-11-02
`
	got, err := plan.Read(strings.NewReader(csv), issued)
	if err == nil || got != nil {
		t.Fatalf("bad plan loaded: %+v, %v", got, err)
	}
	want := map[int]string{
		3: `kpi "profit"`, 4: `dimension "region"`, 5: "total takes no value", 6: "is not after",
		7: `"next week" is neither`, 8: "expected -4 is negative", 9: "not a conversion ratio",
		10: "lower and upper go together", 11: "not within lower 110", 12: `"NaN" is not a number`,
		13: "4 fields, the header has 8",
	}
	var perr *plan.Error
	if !errors.As(err, &perr) {
		t.Fatalf("%v is not a plan.Error", err)
	}
	rows := perr.Rows
	if len(rows) != len(want) {
		t.Errorf("%d row errors, want %d: %v", len(rows), len(want), err)
	}
	for _, re := range rows {
		if !strings.Contains(re.Error(), want[re.Line]) || want[re.Line] == "" {
			t.Errorf("line %d: %q, want it to say %q", re.Line, re.Error(), want[re.Line])
		}
	}
	if !strings.Contains(err.Error(), "11 bad rows, nothing loaded") {
		t.Errorf("error %q does not say how many rows are bad", err)
	}
}

func TestAPlanHeaderMustNameTheColumns(t *testing.T) {
	for header, want := range map[string]string{
		"": "empty file",
		"kpi,dimension,value,period_start,period_end":                      `no column "expected"`,
		"kpi,dimension,value,period_start,period_end,expected,budget":      `unknown column "budget"`,
		"kpi,dimension,value,period_start,period_end,expected,lower":       "lower and upper go together",
		"kpi,dimension,value,period_start,period_end,expected,expected":    `column "expected" twice`,
		"value,expected,kpi,period_end,period_start,dimension,upper,lower": "",
	} {
		_, err := plan.Read(strings.NewReader(header+"\n"), issued)
		if want == "" {
			if err != nil {
				t.Errorf("header %q refused: %v", header, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("header %q: error %v, want %q", header, err, want)
		}
	}
}
