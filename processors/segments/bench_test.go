package segments

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// BenchmarkPlace evaluates the default tier and lifecycle rules on one
// feature change, as the processor does for each.
func BenchmarkPlace(b *testing.B) {
	c, err := DefaultRules().compile()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	f := schemas.ProfileFeatures{ProfileID: "p-1", Monetary90d: 420, Orders: 3, FirstSeen: now.AddDate(0, -2, 0), LastSeen: now, LastOrderTS: now.AddDate(0, 0, -3)}
	cur := placement{Tier: "silver", Lifecycle: "active", Cluster: noCluster}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.Monetary90d = float64(400 + i%200) // crosses gold's threshold now and then
		env := EnvOf(&f, now)
		pl, _, err := c.place(&env, cur, cause{eventID: "e-1", ts: now})
		if err != nil {
			b.Fatal(err)
		}
		cur = pl
	}
}

// BenchmarkAssign places one profile's features in a cluster of a model
// with k = 200 over the default dimensions, as the processor does for each
// feature change: the point, its standardization, the nearest centre
// within the margin.
func BenchmarkAssign(b *testing.B) {
	dims := DefaultDims()
	sp, err := newSpace(dims)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	m := &Model{}
	for range 200 {
		c := make([]float64, len(dims))
		for d := range c {
			c[d] = rng.NormFloat64()
		}
		m.Centers = append(m.Centers, c)
		m.Weights = append(m.Weights, 1)
	}
	sc := &Scaler{Means: make([]float64, len(dims)), Variances: make([]float64, len(dims)), N: 100}
	for d := range sc.Variances {
		sc.Variances[d] = 1
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	f := schemas.ProfileFeatures{
		Monetary90d: 420, Orders: 3, Frequency90d: 3, AvgTicket: 140, Sessions: 9, MeanSessionDurationMS: 300000,
		Channels: schemas.ChannelMix{Web: 40, App: 12}, Devices: 2, FirstSeen: now.AddDate(0, -2, 0), LastSeen: now,
	}
	current := noCluster
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.Monetary90d = float64(i % 1000)
		env := EnvOf(&f, now)
		std, err := sc.Standardize(sp.point(&env))
		if err != nil {
			b.Fatal(err)
		}
		current = clusterOf(m, std, current, 0.1)
	}
}

// BenchmarkSeed seeds a model of k centres over the default dimensions
// from the default 2,000 buffered points (the best of seedRuns k-means++
// and Lloyd runs): the one pause of the model group when it starts or k
// changes.
func BenchmarkSeed(b *testing.B) {
	for _, k := range []int{8, 200} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			groups := blobs(rng, randomCentres(rng, 12, len(DefaultDims())), 2000/12+1, 1)[:2000]
			p := Params{K: k, HalfLife: 20000, SeedPoints: len(groups), RandSeed: 1}
			for b.Loop() {
				m := &Model{}
				if _, err := m.Apply(p, groups); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// randomCentres returns n centres of dim coordinates, each standard normal
// times 3.
func randomCentres(rng *rand.Rand, n, dim int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, dim)
		for d := range out[i] {
			out[i][d] = 3 * rng.NormFloat64()
		}
	}
	return out
}
