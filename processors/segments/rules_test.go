package segments

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/activa-dev/activa/schemas"
)

func mustCompile(t *testing.T, r Rules) *compiled {
	t.Helper()
	c, err := r.compile()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTheLadderClimbsAtOnceAndFallsPastTheHysteresis(t *testing.T) {
	c := mustCompile(t, DefaultRules()) // bronze 0.01, silver 100, gold 500, platinum 2000; 10%
	for _, tc := range []struct {
		current string
		spend   float64
		want    string
	}{
		{"", 0, ""},
		{"", 30, "bronze"},
		{"", 120, "silver"},
		{"", 2500, "platinum"},       // straight to the top
		{"silver", 520, "gold"},      // one purchase over the threshold
		{"gold", 500, "gold"},        // on the threshold
		{"gold", 460, "gold"},        // under it, within the hysteresis (floor 450)
		{"gold", 450, "gold"},        // on the floor
		{"gold", 449.99, "silver"},   // past it
		{"silver", 480, "silver"},    // back under gold: no flip up
		{"platinum", 50, "bronze"},   // a fall over several levels
		{"bronze", 0.0095, "bronze"}, // floor 0.009
		{"bronze", 0, ""},            // the last order left the 90 days
		{"retired", 120, "silver"},   // a tier no longer configured
	} {
		env := Env{ProfileID: "p-1", Monetary90d: tc.spend}
		v, err := c.tier(&env, tc.current)
		if err != nil {
			t.Fatal(err)
		}
		if v.to != tc.want || v.rule != "value_90d" || v.values["monetary_90d"] != tc.spend {
			t.Errorf("from %q at %v: got %q (%s, %v), want %q", tc.current, tc.spend, v.to, v.reason, v.values, tc.want)
		}
	}
}

func TestTheReasonSaysWhichThresholdDecided(t *testing.T) {
	c := mustCompile(t, DefaultRules())
	env := Env{Monetary90d: 1250}
	v, err := c.tier(&env, "silver")
	if err != nil {
		t.Fatal(err)
	}
	if v.reason != "monetary_90d 1250 >= 500 (gold)" {
		t.Errorf("reason %q", v.reason)
	}
	env.Monetary90d = 400
	if v, _ = c.tier(&env, "gold"); v.reason != "monetary_90d 400 < 450 (gold less 0.1 hysteresis), >= 100 (silver)" {
		t.Errorf("reason %q", v.reason)
	}
}

func TestLifecycleTakesTheFirstStageThatHolds(t *testing.T) {
	c := mustCompile(t, DefaultRules())
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	days := func(n float64) time.Time { return now.Add(-time.Duration(n * 24 * float64(time.Hour))) }
	for _, tc := range []struct {
		name string
		f    schemas.ProfileFeatures
		want string
	}{
		{"first visit", schemas.ProfileFeatures{FirstSeen: days(1), LastSeen: days(1)}, "new"},
		{"two orders in a week", schemas.ProfileFeatures{FirstSeen: days(7), LastSeen: days(1), LastOrderTS: days(2), Orders: 2}, "active"},
		{"old customer ordering", schemas.ProfileFeatures{FirstSeen: days(300), LastSeen: days(25), LastOrderTS: days(25), Orders: 9}, "active"},
		{"browsing, never ordered", schemas.ProfileFeatures{FirstSeen: days(100), LastSeen: days(3)}, "active"},
		{"gone quiet", schemas.ProfileFeatures{FirstSeen: days(200), LastSeen: days(40), LastOrderTS: days(45), Orders: 3}, "at-risk"},
		{"gone", schemas.ProfileFeatures{FirstSeen: days(200), LastSeen: days(61), LastOrderTS: days(90), Orders: 3}, "lapsed"},
	} {
		env := EnvOf(&tc.f, now)
		v, err := c.lifecycle(&env)
		if err != nil {
			t.Fatal(err)
		}
		if v.to != tc.want {
			t.Errorf("%s: %q (%s %v), want %q", tc.name, v.to, v.reason, v.values, tc.want)
		}
	}
}

func TestLifecycleValuesNameWhatTheConditionRead(t *testing.T) {
	c := mustCompile(t, DefaultRules())
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	f := schemas.ProfileFeatures{FirstSeen: now.Add(-100 * 24 * time.Hour), LastSeen: now.Add(-36 * time.Hour)}
	env := EnvOf(&f, now)
	v, err := c.lifecycle(&env)
	if err != nil {
		t.Fatal(err)
	}
	// Never ordered: days_since_last_order is +Inf and left out.
	if v.to != "active" || v.values["days_since_last_seen"] != 1.5 || len(v.values) != 1 || v.reason != "days_since_last_order <= 30 || days_since_last_seen <= 14" {
		t.Errorf("verdict %+v", v)
	}
	if !math.IsInf(env.DaysSinceLastOrder, 1) {
		t.Errorf("days since the last order of a profile that never ordered: %v, want +Inf", env.DaysSinceLastOrder)
	}
}

func TestRulesThatCannotWorkAreRefused(t *testing.T) {
	ok := DefaultRules()
	for _, tc := range []struct {
		name string
		edit func(*Rules)
		want string
	}{
		{"levels out of order", func(r *Rules) { r.Tiers.Levels[2].Min = 50 }, "not above the level below"},
		{"repeated level", func(r *Rules) { r.Tiers.Levels[1].Name = "bronze" }, "empty or repeated"},
		{"hysteresis of 1", func(r *Rules) { r.Tiers.Hysteresis = 1 }, "hysteresis"},
		{"unknown variable", func(r *Rules) { r.Tiers.Metric = "spend_90d" }, "spend_90d"},
		{"no metric", func(r *Rules) { r.Tiers.Metric = " " }, "empty expression"},
		{"condition not boolean", func(r *Rules) { r.Lifecycle[0].When = "orders + 1" }, "stage new"},
		{"syntax", func(r *Rules) { r.Lifecycle[1].When = "orders >= " }, "stage active"},
		{"repeated stage", func(r *Rules) { r.Lifecycle[3].Name = "new" }, "empty or repeated"},
	} {
		r := DefaultRules()
		r.Tiers.Levels = append([]Level(nil), ok.Tiers.Levels...)
		r.Lifecycle = append([]Stage(nil), ok.Lifecycle...)
		tc.edit(&r)
		_, err := r.compile()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	// No levels and no stages: nothing to assign, nothing to refuse.
	c := mustCompile(t, Rules{})
	if v, err := c.tier(&Env{Monetary90d: 10}, ""); err != nil || v.to != "" {
		t.Errorf("tier without levels: %+v, %v", v, err)
	}
}
