package segments

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// generate is Spark's StreamingKMeansDataGenerator (StreamingKMeansSuite):
// numBatches batches of numPoints points, point idx of a batch drawn around
// centers[idx%k] with standard deviation r per coordinate. With nil centers,
// k centers are drawn from a standard normal first.
func generate(rng *rand.Rand, numPoints, numBatches, k, d int, r float64, centers [][]float64) ([][][]float64, [][]float64) {
	if centers == nil {
		centers = make([][]float64, k)
		for i := range centers {
			centers[i] = make([]float64, d)
			for j := range centers[i] {
				centers[i][j] = rng.NormFloat64()
			}
		}
	}
	batches := make([][][]float64, numBatches)
	for b := range batches {
		batches[b] = make([][]float64, numPoints)
		for idx := range batches[b] {
			c := centers[idx%len(centers)]
			x := make([]float64, d)
			for j := range x {
				x[j] = c[j] + rng.NormFloat64()*r
			}
			batches[b][idx] = x
		}
	}
	return batches, centers
}

// near reports whether a and b differ by at most tol in every coordinate.
func near(a, b []float64, tol float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return len(a) == len(b)
}

// nearRel reports whether a and b differ by at most tol*max(|b|, 1) in
// every coordinate.
func nearRel(a, b []float64, tol float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol*max(math.Abs(b[i]), 1) {
			return false
		}
	}
	return len(a) == len(b)
}

func TestParamsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Params
		want string // substring of the error, "" for none
	}{
		{"ok", Params{K: 2, HalfLife: 100, SeedPoints: 2}, ""},
		{"no forgetting", Params{K: 1000, HalfLife: math.Inf(1), SeedPoints: 5000}, ""},
		{"k 1", Params{K: 1, HalfLife: 1, SeedPoints: 5}, "k 1"},
		{"k 1001", Params{K: 1001, HalfLife: 1, SeedPoints: 5000}, "k 1001"},
		{"half-life 0", Params{K: 2, SeedPoints: 5}, "half-life 0"},
		{"half-life NaN", Params{K: 2, HalfLife: math.NaN(), SeedPoints: 5}, "half-life NaN"},
		{"half-life -Inf", Params{K: 2, HalfLife: math.Inf(-1), SeedPoints: 5}, "half-life -Inf"},
		{"seed points", Params{K: 3, HalfLife: 1, SeedPoints: 2}, "2 seed points"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDecay(t *testing.T) {
	for _, tc := range []struct{ halfLife, want float64 }{
		{0.5, 0.25}, {1, 0.5}, {2, math.Sqrt(0.5)}, {math.Inf(1), 1},
	} {
		if got := (Params{HalfLife: tc.halfLife}).Decay(); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("Decay() with half-life %v = %v, want %v", tc.halfLife, got, tc.want)
		}
	}
	// A weight halves over one half-life.
	if got := math.Pow((Params{HalfLife: 37}).Decay(), 37); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("decay^37 with half-life 37 = %v, want 0.5", got)
	}
}

// TestStepSparkRule checks the update rule on cases worked out by hand.
func TestStepSparkRule(t *testing.T) {
	for _, tc := range []struct {
		name        string
		centers     [][]float64
		weights     []float64
		decay       float64
		batch       [][]float64
		wantCenters [][]float64
		wantWeights []float64
	}{{
		// 1 and 3 go to 0, 9 to 10; m = 3, discount 0.5^3: weights 0.25, 0.5.
		// Cluster 0: w' = 2.25, lambda = 2/2.25, center = lambda/2*4 = 16/9.
		// Cluster 1: w' = 1.5, lambda = 2/3, center = 10/3 + 2/3*9 = 28/3.
		name: "two clusters", centers: [][]float64{{0}, {10}}, weights: []float64{2, 4}, decay: 0.5,
		batch:       [][]float64{{1}, {3}, {9}},
		wantCenters: [][]float64{{16.0 / 9}, {28.0 / 3}}, wantWeights: []float64{2.25, 1.5},
	}, {
		// 5 is as near to 0 as to 10: the lower label takes it. w' = 1 + 1,
		// lambda = 1/2. Cluster 1 only decays (no dying: 1 >= 1e-8*2).
		name: "tie to lowest label", centers: [][]float64{{0, 0}, {10, 0}}, weights: []float64{1, 1}, decay: 1,
		batch:       [][]float64{{5, 2}},
		wantCenters: [][]float64{{2.5, 1}, {10, 0}}, wantWeights: []float64{2, 1},
	}, {
		// Weight 0: lambda = 1, the center jumps to the batch mean.
		name: "empty history", centers: [][]float64{{7}, {100}}, weights: []float64{0, 3}, decay: 0.9,
		batch:       [][]float64{{1}, {2}, {3}},
		wantCenters: [][]float64{{2}, {100}}, wantWeights: []float64{3, 3 * 0.9 * 0.9 * 0.9},
	}, {
		// An empty batch changes nothing (discount decay^0 = 1).
		name: "empty batch", centers: [][]float64{{1}, {2}}, weights: []float64{5, 6}, decay: 0.5,
		wantCenters: [][]float64{{1}, {2}}, wantWeights: []float64{5, 6},
	}, {
		// The heaviest (first of equals) is split into the lightest:
		// weights (10+1e-9)/2, centers 5 ± 5e-14 and -0.5 ± 1e-14.
		name: "dying cluster split", centers: [][]float64{{5, -0.5}, {100, 100}, {5, 5}}, weights: []float64{10, 1e-9, 10}, decay: 1,
		wantCenters: [][]float64{{5 + 5e-14, -0.5 + 1e-14}, {5 - 5e-14, -0.5 - 1e-14}, {5, 5}},
		wantWeights: []float64{(10 + 1e-9) / 2, (10 + 1e-9) / 2, 10},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			m := Model{Centers: tc.centers, Weights: tc.weights}
			st, err := m.Step(tc.decay, tc.batch)
			if err != nil || st.Applied != len(tc.batch) {
				t.Fatalf("Step() = %+v, %v; want %d applied", st, err, len(tc.batch))
			}
			for j := range tc.wantCenters {
				if !nearRel(m.Centers[j], tc.wantCenters[j], 4e-16) || !nearRel(m.Weights[j:j+1], tc.wantWeights[j:j+1], 4e-16) {
					t.Errorf("cluster %d = %v weight %v, want %v weight %v", j, m.Centers[j], m.Weights[j], tc.wantCenters[j], tc.wantWeights[j])
				}
			}
		})
	}
}

// TestGrandAverage is Spark's "accuracy for single center and equivalence to
// grand average": without forgetting, one center from weight 0 is the mean
// of every point seen.
func TestGrandAverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 0))
	truth := [][]float64{{3, -4, 5, 6, -7}} // away from 0 so a relative error means something
	batches, _ := generate(rng, 50, 10, 1, 5, 0.1, truth)
	m := Model{Centers: [][]float64{make([]float64, 5)}, Weights: []float64{0}}
	sum, n := make([]float64, 5), 0
	for _, b := range batches {
		if _, err := m.Step(1, b); err != nil {
			t.Fatal(err)
		}
		for _, x := range b {
			for d, v := range x {
				sum[d] += v
			}
			n++
		}
	}
	worst := 0.0
	for d := range sum {
		mean := sum[d] / float64(n)
		worst = max(worst, math.Abs(m.Centers[0][d]-mean)/math.Abs(mean))
	}
	t.Logf("worst relative error against the mean of %d points: %.3g; weight %v", n, worst, m.Weights[0])
	if worst > 1e-9 || m.Weights[0] != float64(n) {
		t.Errorf("center %v weight %v: relative error %g, want <= 1e-9 and weight %d", m.Centers[0], m.Weights[0], worst, n)
	}
	if !near(m.Centers[0], truth[0], 0.1) {
		t.Errorf("center %v, want within 0.1 of %v", m.Centers[0], truth[0])
	}
}

// TestTwoCenters is Spark's "accuracy for two centers", through Update: the
// model seeds itself from the stream, then tracks two Gaussian blobs.
func TestTwoCenters(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 0))
	batches, truth := generate(rng, 5, 40, 2, 5, 0.1, nil)
	p := Params{K: 2, HalfLife: 10, SeedPoints: 10, RandSeed: 42}
	var m Model
	for _, b := range batches {
		m.Update(p, b)
	}
	for i, c := range truth {
		j, d2 := m.Nearest(c)
		t.Logf("true center %d: nearest model center %d at distance %.3g, weight %.3g", i, j, math.Sqrt(d2), m.Weights[j])
		if !near(m.Centers[j], c, 0.1) {
			t.Errorf("center %d = %v, want within 0.1 of %v", j, m.Centers[j], c)
		}
	}
	if a, _ := m.Nearest(truth[0]); a == func() int { b, _ := m.Nearest(truth[1]); return b }() {
		t.Errorf("both true centers nearest to model center %d", a)
	}
}

// TestDyingClusters is Spark's "detecting dying clusters": centers 0 and 1000
// with weight 1, half-life 0.5 points, 10 batches of 5 points around 0. The
// center at 1000 gets nothing, its weight falls by 0.25^5 a batch until it is
// below 1e-8 of the other, which is then split in two; the halves take the
// negative and the positive points.
func TestDyingClusters(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 0))
	batches, _ := generate(rng, 5, 10, 1, 1, 1, [][]float64{{0}})
	p := Params{K: 2, HalfLife: 0.5, SeedPoints: 2}
	m := Model{Centers: [][]float64{{0}, {1000}}, Weights: []float64{1, 1}}
	for i, b := range batches {
		if n := m.Update(p, b); n != 5 {
			t.Fatalf("batch %d: applied %d, want 5", i, n)
		}
		t.Logf("after batch %d: centers %v weights %.3g", i, m.Centers, m.Weights)
	}
	c0, c1 := m.Centers[0][0], m.Centers[1][0]
	if c0*c1 >= 0 {
		t.Errorf("centers %v and %v, want one positive and one negative", c0, c1)
	}
	// 0.8 is the mean of the half-normal distribution.
	for _, c := range []float64{c0, c1} {
		if math.Abs(math.Abs(c)-0.8) > 0.6 {
			t.Errorf("|center| = %v, want 0.8 ± 0.6", math.Abs(c))
		}
	}
}
