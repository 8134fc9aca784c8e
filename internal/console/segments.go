package console

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// Segments reads the segments table: one profile's segments, or all.
type Segments interface {
	Table[schemas.SegmentState]
	// Each calls fn with the segments of every profile in the table.
	Each(fn func(profile string, s *schemas.SegmentState)) error
}

// Sizes are the profiles in each tier, lifecycle stage and cluster, as
// counted over the segments table at At. A profile in none of a kind
// counts under "none".
type Sizes struct {
	Profiles  int       `json:"profiles"`
	Tier      []Count   `json:"tier"`
	Lifecycle []Count   `json:"lifecycle"`
	Cluster   []Count   `json:"cluster"`
	At        time.Time `json:"at"`
}

// Count is the size of one segment, largest first in [Sizes].
type Count struct {
	Name     string `json:"name"`
	Profiles int    `json:"profiles"`
	// Share is Profiles over all the profiles counted.
	Share float64 `json:"share"`
}

// sizer counts the segments at most once per period: a count visits every
// profile, and pages refresh often.
type sizer struct {
	mu     sync.Mutex
	states Segments
	every  time.Duration
	last   Sizes
}

// sizes returns the latest count, counting again when it is older than the
// period.
func (z *sizer) sizes() (Sizes, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if !z.last.At.IsZero() && time.Since(z.last.At) < z.every {
		return z.last, nil
	}
	tiers, stages, clusters := map[string]int{}, map[string]int{}, map[string]int{}
	n := 0
	err := z.states.Each(func(_ string, s *schemas.SegmentState) {
		if s.Erased {
			return // an erased profile's marker: no longer a profile
		}
		n++
		tiers[cmp.Or(s.Tier, "none")]++
		stages[cmp.Or(s.Lifecycle, "none")]++
		clusters[cmp.Or(s.Cluster, "none")]++
	})
	if err != nil {
		return Sizes{}, fmt.Errorf("counting the segments table: %w", err)
	}
	z.last = Sizes{Profiles: n, Tier: counts(tiers, n), Lifecycle: counts(stages, n), Cluster: counts(clusters, n), At: time.Now()}
	return z.last, nil
}

// counts orders segment sizes, largest first.
func counts(m map[string]int, total int) []Count {
	out := make([]Count, 0, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Count{Name: name, Profiles: m[name], Share: float64(m[name]) / float64(max(total, 1))})
	}
	slices.SortStableFunc(out, func(x, y Count) int { return y.Profiles - x.Profiles })
	return out
}

// Kind is one kind of segment and its sizes.
type Kind struct {
	Name   string
	Counts []Count
}

// Kinds lists the sizes by kind: tier, lifecycle stage, cluster.
func (s Sizes) Kinds() []Kind {
	return []Kind{{"tier", s.Tier}, {"lifecycle", s.Lifecycle}, {"cluster", s.Cluster}}
}
