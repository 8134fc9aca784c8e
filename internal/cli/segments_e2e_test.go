package cli

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/activa-dev/activa/loadtest/gen"
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

// clusterQuality compares the profiles' final clusters with the latent
// behaviour groups of the truth, and with a batch k-means (Lloyd, k-means++
// seeding) on the same final points standardized by the final model: it
// returns the adjusted Rand index of each against the groups and the
// number of profiles graded. A profile's person is the truth's owner of
// most of its events' identifiers.
func clusterQuality(t *testing.T, p *pipeline, truth *gen.Truth, k int) (streaming, batch float64, n int) {
	t.Helper()
	persons := personsOf(p, truth)
	latest := map[string]*schemas.ProfileFeatures{}
	readAll(p, topology.ProfileFeatures, func(key string, f *schemas.ProfileFeatures) { latest[key] = f })
	cluster := map[string]string{}
	readAll(p, topology.SegmentChanges, func(key string, c *schemas.SegmentChange) {
		if c.Kind == segments.KindCluster {
			cluster[key] = c.To
		}
	})
	var model *schemas.SegmentModel
	readAll(p, topology.SegmentModel, func(_ string, m *schemas.SegmentModel) { model = m })
	if model == nil || len(model.Centroids) == 0 {
		t.Fatal("no seeded model on segment.model")
	}
	c := segments.DefaultClustering()
	sc := segments.Scaler{Means: model.Means, Variances: model.Variances, N: model.Observed}
	var groups, got []string
	var points [][]float64
	ids := slices.Sorted(maps.Keys(latest))
	for _, id := range ids {
		f := latest[id]
		if f == nil || cluster[id] == "" {
			continue
		}
		person := persons[id]
		if person == "" {
			continue
		}
		env := segments.EnvOf(f, f.LastSeen)
		x, err := c.Point(&env)
		if err != nil {
			t.Fatal(err)
		}
		std, err := sc.Standardize(x)
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, truth.Person(person).Group)
		got = append(got, cluster[id])
		points = append(points, std)
	}
	_, labels, err := segments.Lloyd(points, k, rand.New(rand.NewPCG(7, 7)), 100)
	if err != nil {
		t.Fatal(err)
	}
	if streaming, err = score.AdjustedRand(groups, got); err != nil {
		t.Fatal(err)
	}
	if batch, err = score.AdjustedRand(groups, labels); err != nil {
		t.Fatal(err)
	}
	return streaming, batch, len(groups)
}

// personsOf returns the person of each final profile: the truth's owner
// of most of its events' identifiers (those with a single owner).
func personsOf(p *pipeline, truth *gen.Truth) map[string]string {
	p.t.Helper()
	s := &score.Sessions{Survivor: map[string]string{}}
	readAll(p, topology.ProfileMerges, func(_ string, m *schemas.ProfileMerge) { s.Survivor[m.Absorbed] = m.Survivor })
	votes := map[string]map[string]int{}
	readAll(p, topology.EventsResolved, func(_ string, ev *schemas.ResolvedEvent) {
		ids := ev.Event.IDs
		for _, id := range []string{"customer:" + ids.Customer, "loyalty:" + ids.Loyalty, "device:" + ids.Device, "cookie:" + ids.Cookie} {
			if o := truth.IdentifierOwner[id]; len(o) == 1 {
				f := s.Final(ev.ProfileID)
				if votes[f] == nil {
					votes[f] = map[string]int{}
				}
				votes[f][o[0]]++
				break
			}
		}
	})
	out := map[string]string{}
	for id, vs := range votes {
		person, most := "", 0
		for who, v := range vs {
			if v > most || v == most && who < person {
				person, most = who, v
			}
		}
		out[id] = person
	}
	return out
}

// checkSegmentsCommand runs what `activa segments` prints and checks that
// it counts every profile of the table and lists the k clusters.
func checkSegmentsCommand(t *testing.T, p *pipeline, k int) {
	t.Helper()
	var out bytes.Buffer
	a := *p.a
	a.stdout = &out
	if err := a.printSegments(context.Background(), p.c, p.codecs); err != nil {
		t.Fatal(err)
	}
	states := map[string]*schemas.SegmentState{}
	if err := readTable(context.Background(), p.c, p.codecs, topology.SegmentsTable, states); err != nil {
		t.Fatal(err)
	}
	maps.DeleteFunc(states, func(_ string, s *schemas.SegmentState) bool { return s.Erased })
	text := out.String()
	rows := 0
	for line := range strings.Lines(text) {
		if f := strings.Fields(line); len(f) > 2 && f[0] != "cluster" && strings.Trim(f[0], "0123456789") == "" {
			rows++
		}
	}
	if !strings.HasPrefix(text, fmt.Sprintf("%d profiles\n", len(states))) || !strings.Contains(text, "model default: version") || rows != k {
		t.Errorf("activa segments printed, for %d profiles and k = %d (%d cluster rows):\n%s", len(states), k, rows, text)
	}
	t.Logf("activa segments:\n%s", text)
}

// clusterMoves counts, per day of event time, the profiles that changed
// cluster (a move between two clusters, not a first assignment or a
// removal) and the profiles that had a cluster by then, and returns the
// daily shares, in day order.
func clusterMoves(t *testing.T, p *pipeline) []string {
	t.Helper()
	type day struct{ moved, placed map[string]bool }
	days := map[string]*day{}
	readAll(p, topology.SegmentChanges, func(key string, c *schemas.SegmentChange) {
		if c.Kind != segments.KindCluster {
			return
		}
		d := c.TS.UTC().Format(time.DateOnly)
		if days[d] == nil {
			days[d] = &day{moved: map[string]bool{}, placed: map[string]bool{}}
		}
		if c.From != "" && c.To != "" {
			days[d].moved[key] = true
		}
		if c.From == "" && c.To != "" {
			days[d].placed[key] = true
		}
	})
	var out []string
	placed := 0
	for _, d := range slices.Sorted(maps.Keys(days)) {
		placed += len(days[d].placed)
		out = append(out, fmt.Sprintf("%s %.2f%% (%d of %d)", d, 100*float64(len(days[d].moved))/float64(max(placed, 1)), len(days[d].moved), placed))
	}
	return out
}
