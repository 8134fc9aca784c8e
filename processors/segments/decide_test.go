package segments

import (
	"testing"
	"time"
)

func TestAPurchaseOverAThresholdMovesTheTierOnce(t *testing.T) {
	c := mustCompile(t, DefaultRules())
	ts := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	cur := placement{Tier: "silver", Lifecycle: "active", Cluster: noCluster}
	env := Env{ProfileID: "p-1", Monetary90d: 620, DaysSinceFirstSeen: 40, DaysSinceLastSeen: 0, DaysSinceLastOrder: 0, Orders: 4}
	next, got, err := c.place(&env, cur, cause{eventID: "e-9", ts: ts})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || next.Tier != "gold" || next.Lifecycle != "active" {
		t.Fatalf("placement %+v, changes %+v: want one move to gold", next, got)
	}
	ch := got[0]
	if ch.Kind != KindTier || ch.From != "silver" || ch.To != "gold" || ch.CauseEventID != "e-9" || !ch.TS.Equal(ts) ||
		ch.Rule != "value_90d" || ch.Reason != "monetary_90d 620 >= 500 (gold)" || ch.Values["monetary_90d"] != 620 || ch.ProfileID != "p-1" {
		t.Errorf("change %+v", ch)
	}
	// The same evaluation again changes nothing and says nothing.
	if again, none, err := c.place(&env, next, cause{eventID: "e-10", ts: ts}); err != nil || len(none) != 0 || again != next {
		t.Errorf("second evaluation: %+v, %+v, %v", again, none, err)
	}
}

func TestChangeIDsAreDerivedFromTheCause(t *testing.T) {
	ts := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	v := verdict{to: "gold"}
	a := change("p-1", KindTier, "silver", v, cause{eventID: "e-9", ts: ts})
	if b := change("p-1", KindTier, "silver", v, cause{eventID: "e-9", ts: ts}); b.ChangeID != a.ChangeID {
		t.Errorf("same cause, ids %s and %s", a.ChangeID, b.ChangeID)
	}
	for _, other := range []string{
		change("p-1", KindTier, "silver", v, cause{eventID: "e-8", ts: ts}).ChangeID,
		change("p-1", KindTier, "silver", v, cause{eventID: "e-9", ts: ts.Add(time.Millisecond)}).ChangeID,
		change("p-2", KindTier, "silver", v, cause{eventID: "e-9", ts: ts}).ChangeID,
		change("p-1", KindLifecycle, "silver", v, cause{eventID: "e-9", ts: ts}).ChangeID,
		change("p-1", KindTier, "bronze", v, cause{eventID: "e-9", ts: ts}).ChangeID,
		change("p-1", KindTier, "silver", v, cause{eventID: "e-9", ts: ts, version: 2}).ChangeID, // a later features version, same last event
	} {
		if other == a.ChangeID {
			t.Errorf("a different change has the id %s", other)
		}
	}
}

func TestAProfileChangesClusterOnlyByTheMargin(t *testing.T) {
	m := &Model{Centers: [][]float64{{0}, {10}}, Weights: []float64{1, 1}}
	// With a margin of 0.1 a profile in cluster 0 moves to 1 once
	// 10 - x < 0.9·x, that is x > 10/1.9 = 5.263.
	for _, tc := range []struct {
		x       float64
		current int
		want    int
	}{
		{5.2, noCluster, 1}, // unassigned: the nearest
		{5.2, 0, 0},
		{5.25, 0, 0},
		{5.3, 0, 1},
		{4.8, 1, 1}, // the same boundary the other way: 4.8 > 0.9·5.2
		{4.7, 1, 0},
		{1, 7, 0}, // a label the model no longer has
	} {
		if got := clusterOf(m, []float64{tc.x}, tc.current, 0.1); got != tc.want {
			t.Errorf("x %v from %d: cluster %d, want %d", tc.x, tc.current, got, tc.want)
		}
	}
}

func TestARemovedProfileLeavesEverySegment(t *testing.T) {
	ts := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	got := removal("p-1", placement{Tier: "gold", Lifecycle: "active", Cluster: 3}, "features removed", ts)
	if len(got) != 3 {
		t.Fatalf("changes %+v, want tier, lifecycle and cluster", got)
	}
	for i, want := range [][2]string{{KindTier, "gold"}, {KindLifecycle, "active"}, {KindCluster, "3"}} {
		if g := got[i]; g.Kind != want[0] || g.From != want[1] || g.To != "" || g.Reason != "features removed" {
			t.Errorf("change %d: %+v, want %s from %s to none", i, g, want[0], want[1])
		}
	}
	if got := removal("p-2", placement{Cluster: noCluster}, "features removed", ts); len(got) != 0 {
		t.Errorf("a profile in no segment leaves %+v", got)
	}
}

func TestAClusterChangeNamesTheModelVersion(t *testing.T) {
	ts := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	c := clusterChange("p-1", noCluster, 7, 12, 0.5, cause{eventID: "e-9", ts: ts})
	if c.Kind != KindCluster || c.From != "" || c.To != "7" || c.ModelVersion != 12 || c.Values["distance"] != 0.5 || c.CauseEventID != "e-9" {
		t.Errorf("change %+v", c)
	}
	if c := clusterChange("p-1", 7, noCluster, 12, 0, cause{ts: ts}); c.From != "7" || c.To != "" || len(c.Values) != 0 {
		t.Errorf("leaving: %+v", c)
	}
}
