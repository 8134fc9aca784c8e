package score

import (
	"fmt"

	"github.com/activa-dev/activa/processors/segments"
	"github.com/activa-dev/activa/schemas"
)

// Level is one rung of a value ladder: a name and the lowest value of
// monetary_90d it takes.
type Level struct {
	Name string
	Min  float64
}

// Tiers grades segment.changes against profile.features: feed it both
// topics (in any order), then Diff. The reference is a plain ladder with
// hysteresis over each profile's features history, in the order of the
// topic: the highest level reached, the current one kept until the value
// falls below its minimum less the hysteresis, and no tier after a
// tombstone.
type Tiers struct {
	// Levels by ascending minimum, and the hysteresis (a share of the
	// minimum).
	Levels     []Level
	Hysteresis float64

	want, got map[string]string
	problems  []string
	ids       map[string]bool
}

// TiersOf returns the grader of a segments ladder: its levels and
// hysteresis, graded by the plain reference above.
func TiersOf(l segments.Ladder) *Tiers {
	s := &Tiers{Hysteresis: l.Hysteresis}
	for _, lv := range l.Levels {
		s.Levels = append(s.Levels, Level{Name: lv.Name, Min: lv.Min})
	}
	return s
}

func (s *Tiers) init() {
	if s.want == nil {
		s.want, s.got, s.ids = map[string]string{}, map[string]string{}, map[string]bool{}
	}
}

// next is the tier of value v for a profile now in current.
func (s *Tiers) next(current string, v float64) string {
	reached, cur := -1, -1
	for i, l := range s.Levels {
		if v >= l.Min {
			reached = i
		}
		if l.Name == current {
			cur = i
		}
	}
	if reached < cur && v >= s.Levels[cur].Min*(1-s.Hysteresis) {
		return current
	}
	if reached < 0 {
		return ""
	}
	return s.Levels[reached].Name
}

// Features takes one record of profile.features (nil for a tombstone).
func (s *Tiers) Features(key string, f *schemas.ProfileFeatures) {
	s.init()
	if f == nil {
		s.want[key] = ""
		return
	}
	s.want[key] = s.next(s.want[key], f.Monetary90d)
}

// Change takes one record of segment.changes.
func (s *Tiers) Change(key string, c *schemas.SegmentChange) {
	s.init()
	if c.From == c.To || key != c.ProfileID || s.ids[c.ChangeID] {
		s.problems = append(s.problems, fmt.Sprintf("change %s of %s keyed %s from %q to %q: a move to where it was, under another key or with an id seen before",
			c.ChangeID, c.ProfileID, key, c.From, c.To))
	}
	s.ids[c.ChangeID] = true
	if c.Kind == "tier" {
		s.got[key] = c.To
	}
}

// Profiles is the number of profiles with features.
func (s *Tiers) Profiles() int { return len(s.want) }

// Diff lists the bad changes and every profile whose last tier change
// does not end where its features put it.
func (s *Tiers) Diff() []string {
	s.init()
	out := append([]string(nil), s.problems...)
	for id, tier := range s.want {
		if s.got[id] != tier {
			out = append(out, fmt.Sprintf("profile %s ends in tier %q, its features put it in %q", id, s.got[id], tier))
		}
	}
	return out
}
