package cli

import (
	"testing"

	"github.com/activa-dev/activa/loadtest/score"
	"github.com/activa-dev/activa/processors/segments"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// checkSegments compares every profile's last tier on segment.changes
// with the default ladder applied to the history of its features (see
// score.Tiers). It returns the number of profiles compared.
func checkSegments(t *testing.T, p *pipeline, what string) int {
	t.Helper()
	s := score.TiersOf(segments.DefaultRules().Tiers)
	readAll(p, topology.ProfileFeatures, s.Features)
	kinds := map[string]int{}
	readAll(p, topology.SegmentChanges, func(key string, c *schemas.SegmentChange) {
		s.Change(key, c)
		kinds[c.Kind]++
	})
	t.Logf("%s: segment changes by kind %v", what, kinds)
	d := s.Diff()
	for i, problem := range d {
		if i < 10 {
			t.Errorf("%s: %s", what, problem)
		}
	}
	if len(d) > 0 {
		t.Errorf("%s: %d problems over %d profiles", what, len(d), s.Profiles())
	}
	return s.Profiles()
}
