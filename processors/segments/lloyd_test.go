package segments

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// blobs returns n points around each of centers, in turn, with standard
// deviation sd.
func blobs(rng *rand.Rand, centers [][]float64, n int, sd float64) [][]float64 {
	var pts [][]float64
	for range n {
		for _, c := range centers {
			x := make([]float64, len(c))
			for d := range x {
				x[d] = c[d] + rng.NormFloat64()*sd
			}
			pts = append(pts, x)
		}
	}
	return pts
}

// TestSeedingSpreads seeds k = 3 on three separated blobs for several
// RandSeeds: one center lands in each blob, with the blob's points as weight,
// and the same RandSeed seeds the same model.
func TestSeedingSpreads(t *testing.T) {
	truth := [][]float64{{0, 0}, {20, 0}, {0, 20}}
	pts := blobs(rand.New(rand.NewPCG(1, 2)), truth, 30, 1)
	for seed := range uint64(20) {
		p := Params{K: 3, HalfLife: 100, SeedPoints: len(pts), RandSeed: seed}
		var m, again Model
		if n := m.Update(p, pts); n != len(pts) || !m.Seeded() || m.Seed != nil {
			t.Fatalf("seed %d: applied %d of %d, seeded %v, buffer %d", seed, n, len(pts), m.Seeded(), len(m.Seed))
		}
		again.Update(p, pts)
		if !reflect.DeepEqual(m, again) {
			t.Errorf("seed %d: two seedings differ: %v and %v", seed, m.Centers, again.Centers)
		}
		used := map[int]bool{}
		for _, c := range truth {
			j, d2 := m.Nearest(c)
			if used[j] || d2 > 1 || m.Weights[j] != 30 {
				t.Errorf("seed %d: blob %v: center %d %v at squared distance %.3g, weight %v", seed, c, j, m.Centers[j], d2, m.Weights[j])
			}
			used[j] = true
		}
	}
}

func TestLloyd(t *testing.T) {
	truth := [][]float64{{-5}, {5}}
	pts := blobs(rand.New(rand.NewPCG(3, 4)), truth, 50, 1)
	centers, labels, err := Lloyd(pts, 2, rand.New(rand.NewPCG(5, 6)), 10)
	if err != nil || len(centers) != 2 || len(labels) != len(pts) {
		t.Fatalf("Lloyd() = %v, %d labels, %v", centers, len(labels), err)
	}
	// A converged Lloyd: labels are nearest centers, centers are label means.
	sums, counts := make([]float64, 2), make([]float64, 2)
	for i, x := range pts {
		if j, _ := nearest(centers, x); j != labels[i] {
			t.Errorf("point %v labelled %d, nearest %d", x, labels[i], j)
		}
		sums[labels[i]] += x[0]
		counts[labels[i]]++
	}
	for j := range centers {
		if math.Abs(centers[j][0]-sums[j]/counts[j]) > 1e-12 {
			t.Errorf("center %d = %v, mean of its points %v", j, centers[j][0], sums[j]/counts[j])
		}
	}
	t.Logf("centers %v, counts %v", centers, counts)
}

func TestLloydErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name   string
		points [][]float64
		k      int
		rng    *rand.Rand
		want   string
	}{
		{"no points", nil, 2, rng, "no points"},
		{"k 0", [][]float64{{1}}, 0, rng, "k 0"},
		{"no rng", [][]float64{{1}}, 1, nil, "random source"},
		{"ragged", [][]float64{{1}, {1, 2}}, 1, rng, "point 1 has 2 coordinates, want 1"},
		{"NaN", [][]float64{{1}, {math.NaN()}}, 1, rng, "point 1 has a non-finite"},
		{"empty", [][]float64{{}}, 1, rng, "point 0 is empty"},
	} {
		if _, _, err := Lloyd(tc.points, tc.k, tc.rng, 10); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Lloyd() error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestFewerDistinctSeedPoints: a buffer with 2 distinct points for k = 3.
// Lloyd returns 2 centers; the model adds a copy of the heaviest with weight
// 0, and the next update splits the heaviest into it (Spark's dying rule).
func TestFewerDistinctSeedPoints(t *testing.T) {
	pts := [][]float64{{1, 1}, {1, 1}, {4, 4}, {1, 1}, {4, 4}, {1, 1}}
	if c, _, _ := Lloyd(pts, 3, rand.New(rand.NewPCG(1, 1)), 10); len(c) != 2 {
		t.Fatalf("Lloyd() = %v, want the 2 distinct points", c)
	}
	p := Params{K: 3, HalfLife: math.Inf(1), SeedPoints: 6}
	var m Model
	m.Update(p, pts)
	heavy, _ := m.Nearest([]float64{1, 1})
	if len(m.Centers) != 3 || m.Weights[heavy] != 4 || m.Weights[2] != 0 || !reflect.DeepEqual(m.Centers[2], m.Centers[heavy]) {
		t.Fatalf("seeded %v weights %v, want a zero-weight copy of the center at (1, 1) as label 2", m.Centers, m.Weights)
	}
	m.Update(p, [][]float64{{4, 4}})
	t.Logf("after one update: centers %v weights %v", m.Centers, m.Weights)
	if m.Weights[heavy] != 2 || m.Weights[2] != 2 || m.Centers[heavy][0] != 1+1e-14 || m.Centers[2][0] != 1-1e-14 {
		t.Errorf("after one update: centers %v weights %v, want (1, 1) split in two of weight 2", m.Centers, m.Weights)
	}
}

// TestApplyCounts: every point is applied, buffered or skipped; the batch
// that fills the buffer seeds and its remaining points are one mini-batch.
func TestApplyCounts(t *testing.T) {
	p := Params{K: 2, HalfLife: 10, SeedPoints: 4, RandSeed: 9}
	var m Model
	for i, tc := range []struct {
		batch [][]float64
		want  Stats
	}{
		{[][]float64{{0, 0}, {math.NaN(), 1}, {10, 10}}, Stats{Buffered: 2, Skipped: 1}},
		{[][]float64{{0, 1, 2}, {math.Inf(1), 0}, {}}, Stats{Skipped: 3}},
		{[][]float64{{0, 1}, {10, 11}, {0, 2}, {1}, {10, 12}}, Stats{Applied: 4, Skipped: 1, Seeded: true}},
		{[][]float64{{0, 3}, {math.Inf(-1), 0}, {0, 0, 0}}, Stats{Applied: 1, Skipped: 2}},
	} {
		st, err := m.Apply(p, tc.batch)
		if err != nil || st != tc.want {
			t.Errorf("batch %d: Apply() = %+v, %v; want %+v", i, st, err, tc.want)
		}
	}
	// Seeded on (0,0), (10,10), (0,1), (10,11): weights 2 and 2. Then the
	// mini-batch (0,2), (10,12): 2a²+1 each, and the point (0,3): times a,
	// plus 1 for the center at 0.
	a, _ := m.Nearest([]float64{0, 0})
	b, _ := m.Nearest([]float64{10, 10})
	d := p.Decay()
	wantA, wantB := (2*d*d+1)*d+1, (2*d*d+1)*d
	if a == b || math.Abs(m.Weights[a]-wantA) > 1e-12 || math.Abs(m.Weights[b]-wantB) > 1e-12 ||
		math.Abs(m.Centers[a][0]) > 1e-12 || math.Abs(m.Centers[b][0]-10) > 1e-12 {
		t.Errorf("centers %v weights %v, want weights %v and %v", m.Centers, m.Weights, wantA, wantB)
	}
}

func TestApplyErrors(t *testing.T) {
	seeded := func() *Model { return &Model{Centers: [][]float64{{0}, {1}}, Weights: []float64{1, 1}} }
	for _, tc := range []struct {
		name string
		m    *Model
		p    Params
		want string
	}{
		{"params", &Model{}, Params{K: 1, HalfLife: 1, SeedPoints: 1}, "params: segments: k 1"},
		{"k mismatch", seeded(), Params{K: 3, HalfLife: 1, SeedPoints: 3}, "2 centers, params k = 3"},
		{"weights", &Model{Centers: [][]float64{{0}, {1}}, Weights: []float64{1}}, Params{K: 2, HalfLife: 1, SeedPoints: 2}, "2 centers and 1 weights"},
		{"ragged", &Model{Centers: [][]float64{{0}, {1, 2}}, Weights: []float64{1, 1}}, Params{K: 2, HalfLife: 1, SeedPoints: 2}, "center 1 has 2 coordinates, want 1"},
		{"NaN weight", &Model{Centers: [][]float64{{0}, {1}}, Weights: []float64{1, math.NaN()}}, Params{K: 2, HalfLife: 1, SeedPoints: 2}, "weight NaN"},
	} {
		if _, err := tc.m.Apply(tc.p, [][]float64{{0}}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Apply() error %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := seeded().Step(1.5, nil); err == nil || !strings.Contains(err.Error(), "decay 1.5") {
		t.Errorf("Step(1.5) error %v, want decay 1.5", err)
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("Update with invalid params did not panic")
		}
	}()
	seeded().Update(Params{K: 2}, nil)
}

func TestNearest(t *testing.T) {
	m := &Model{Centers: [][]float64{{0, 0}, {2, 0}, {0, 2}}, Weights: []float64{1, 1, 1}}
	for _, tc := range []struct {
		x     []float64
		label int
		d2    float64
	}{
		{[]float64{0.1, 0}, 0, 0.01},
		{[]float64{1, 0}, 0, 1}, // tie between 0 and 1: lowest label
		{[]float64{1, 1}, 0, 2}, // three-way tie
		{[]float64{2, 1}, 1, 1},
		{[]float64{1, 1, 1}, -1, math.Inf(1)},
		{[]float64{math.NaN(), 0}, -1, math.Inf(1)},
		{nil, -1, math.Inf(1)},
	} {
		if l, d2 := m.Nearest(tc.x); l != tc.label || math.Abs(d2-tc.d2) > 1e-15 && d2 != tc.d2 {
			t.Errorf("Nearest(%v) = %d, %v; want %d, %v", tc.x, l, d2, tc.label, tc.d2)
		}
	}
	if l, d2 := (&Model{}).Nearest([]float64{1}); l != -1 || !math.IsInf(d2, 1) {
		t.Errorf("Nearest on an unseeded model = %d, %v; want -1, +Inf", l, d2)
	}
}
