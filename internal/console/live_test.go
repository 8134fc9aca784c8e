package console

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/activa-dev/activa/schemas"
)

func TestLiveKeepsTheNewestChangesWhateverTheirOrder(t *testing.T) {
	l := NewLive(5, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	minutes := rng.Perm(40)
	for _, m := range minutes {
		l.AddChange(at(10, m), &schemas.SegmentChange{ChangeID: fmt.Sprint(m)})
	}
	var got []string
	for _, c := range l.Changes() {
		got = append(got, c.ChangeID)
	}
	if want := []string{"39", "38", "37", "36", "35"}; !slices.Equal(got, want) {
		t.Errorf("changes kept %v, want %v", got, want)
	}
}

func TestLiveShowsAnAlertUntilItIsResolved(t *testing.T) {
	l := NewLive(1, 3)
	open := func(key, sev string, ts time.Time) *schemas.KpiAlert {
		return &schemas.KpiAlert{AlertID: key, KPI: "revenue", Dimension: "store", Value: key, State: "open", Severity: sev, TS: ts, BucketStart: at(9, 0)}
	}
	l.AddAlert("revenue|store|S1|interval", open("S1", "medium", at(10, 0)))
	l.AddAlert("revenue|store|S2|interval", open("S2", "critical", at(9, 0)))
	l.AddAlert("revenue|store|S3|interval", open("S3", "medium", at(11, 0)))
	for h := 5; h <= 9; h++ { // out of order and twice: the latest three remain, the later record wins
		l.AddActual(&schemas.KpiActual{KPI: "revenue", Dimension: "store", Value: "S1", BucketStart: at(14-h, 0), Actual: float64(h)})
	}
	l.AddActual(&schemas.KpiActual{KPI: "revenue", Dimension: "store", Value: "S1", BucketStart: at(9, 0), Actual: 42, HasForecast: true, Expected: 40})
	ids := func() []string {
		var out []string
		for _, a := range l.Alerts() {
			out = append(out, a.AlertID)
		}
		return out
	}
	if got := ids(); !slices.Equal(got, []string{"S2", "S3", "S1"}) {
		t.Errorf("alerts in order %v, want the critical first, then the newest", got)
	}
	var s1 []Point
	for _, a := range l.Alerts() {
		if a.AlertID == "S1" {
			s1 = a.Series
		}
	}
	if len(s1) != 3 || !s1[0].Start.Equal(at(7, 0)) || !s1[2].Start.Equal(at(9, 0)) || s1[2].Actual != 42 || !s1[2].HasForecast || s1[1].Actual != 6 {
		t.Errorf("series of S1: %+v", s1)
	}
	resolved := open("S1", "medium", at(12, 0))
	resolved.State = "resolved"
	l.AddAlert("revenue|store|S1|interval", resolved)
	l.AddAlert("revenue|store|S2|interval", nil) // a tombstone
	if got := ids(); !slices.Equal(got, []string{"S3"}) {
		t.Errorf("after a resolve and a tombstone, alerts %v", got)
	}
}

func TestSizesCountTheTableAtMostOncePerPeriod(t *testing.T) {
	tab := &fakeTable[schemas.SegmentState]{rows: map[string]*schemas.SegmentState{
		"p-1": {Tier: "gold", Lifecycle: "active", Cluster: "1"},
		"p-2": {Tier: "gold", Lifecycle: "new", Cluster: "2"},
		"p-3": {Tier: "silver", Lifecycle: "new", Cluster: "2"},
		"p-4": {Lifecycle: "new"},
		"p-9": {Erased: true}, // an erased profile's marker counts nowhere
	}}
	z := &sizer{states: tab, every: time.Hour}
	s, err := z.sizes()
	if err != nil {
		t.Fatal(err)
	}
	if s.Profiles != 4 {
		t.Errorf("profiles %d", s.Profiles)
	}
	want := map[string][]Count{
		"tier":      {{"gold", 2, 0.5}, {"none", 1, 0.25}, {"silver", 1, 0.25}},
		"lifecycle": {{"new", 3, 0.75}, {"active", 1, 0.25}},
		"cluster":   {{"2", 2, 0.5}, {"1", 1, 0.25}, {"none", 1, 0.25}},
	}
	for _, k := range s.Kinds() {
		if !slices.Equal(k.Counts, want[k.Name]) {
			t.Errorf("%s sizes %v, want %v", k.Name, k.Counts, want[k.Name])
		}
	}
	tab.rows["p-5"] = &schemas.SegmentState{Tier: "gold"}
	if s, _ := z.sizes(); s.Profiles != 4 || tab.scans != 1 {
		t.Errorf("within the period: %d profiles after %d scans", s.Profiles, tab.scans)
	}
	z.every = 0
	if s, _ := z.sizes(); s.Profiles != 5 || tab.scans != 2 {
		t.Errorf("after the period: %d profiles after %d scans", s.Profiles, tab.scans)
	}
}
