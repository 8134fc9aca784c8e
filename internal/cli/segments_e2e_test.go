package cli

import (
	"testing"

	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// ladderTier is a plain value ladder with hysteresis, written apart from
// the processor's: the highest level reached, and the current one kept
// until the value falls below its minimum less the hysteresis.
func ladderTier(current string, v float64) string {
	levels := []struct {
		name string
		min  float64
	}{{"bronze", 0.01}, {"silver", 100}, {"gold", 500}, {"platinum", 2000}}
	reached, cur := -1, -1
	for i, l := range levels {
		if v >= l.min {
			reached = i
		}
		if l.name == current {
			cur = i
		}
	}
	if reached < cur && v >= levels[cur].min*0.9 {
		return current
	}
	if reached < 0 {
		return ""
	}
	return levels[reached].name
}

// checkSegments compares every profile's last tier on segment.changes
// with the default ladder applied to the history of its features on
// profile.features (a tombstone leaves every tier), and checks that every
// change moves somewhere and has an id of its own. It returns the number
// of profiles compared.
func checkSegments(t *testing.T, p *pipeline, what string) int {
	t.Helper()
	want := map[string]string{}
	readAll(p, topology.ProfileFeatures, func(key string, f *schemas.ProfileFeatures) {
		if f == nil {
			want[key] = ""
			return
		}
		want[key] = ladderTier(want[key], f.Monetary90d)
	})
	got := map[string]string{}
	ids := map[string]bool{}
	bad := 0
	readAll(p, topology.SegmentChanges, func(key string, c *schemas.SegmentChange) {
		if c.From == c.To || key != c.ProfileID || ids[c.ChangeID] {
			bad++
			if bad <= 10 {
				t.Errorf("%s: change %+v keyed %s: a move to where it was, under another key or with an id seen before", what, c, key)
			}
		}
		ids[c.ChangeID] = true
		if c.Kind == "tier" {
			got[key] = c.To
		}
	})
	for id, tier := range want {
		if got[id] != tier {
			bad++
			if bad <= 10 {
				t.Errorf("%s: profile %s ends in tier %q, its features put it in %q", what, id, got[id], tier)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d profiles or changes wrong", what, bad, len(want))
	}
	return len(want)
}
