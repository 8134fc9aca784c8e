package segments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// weighted is the exponentially weighted mean and variance of xs computed
// directly: with alpha = p.Alpha(), the first point has weight
// (1-alpha)^(n-1) and point i >= 2 (1-based) alpha*(1-alpha)^(n-i); with an
// infinite half-life every point has weight 1/n.
func weighted(p ScalerParams, xs []float64) (mean, variance float64) {
	n, alpha := len(xs), p.Alpha()
	w := make([]float64, n)
	for i := range w {
		switch {
		case alpha == 0:
			w[i] = 1 / float64(n)
		case i == 0:
			w[i] = math.Pow(1-alpha, float64(n-1))
		default:
			w[i] = alpha * math.Pow(1-alpha, float64(n-1-i))
		}
	}
	for i, x := range xs {
		mean += w[i] * x
	}
	for i, x := range xs {
		variance += w[i] * (x - mean) * (x - mean)
	}
	return mean, variance
}

func TestAlpha(t *testing.T) {
	for _, tc := range []struct{ halfLife, want float64 }{{1, 0.5}, {2, 1 - math.Sqrt(0.5)}, {math.Inf(1), 0}} {
		if got := (ScalerParams{HalfLife: tc.halfLife}).Alpha(); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("Alpha() with half-life %v = %v, want %v", tc.halfLife, got, tc.want)
		}
	}
	if got := math.Pow(1-(ScalerParams{HalfLife: 12.5}).Alpha(), 12.5); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("(1-alpha)^12.5 with half-life 12.5 = %v, want 0.5", got)
	}
	for _, h := range []float64{0, -1, math.NaN(), math.Inf(-1)} {
		if err := (ScalerParams{HalfLife: h}).Validate(); err == nil {
			t.Errorf("Validate() with half-life %v = nil, want an error", h)
		}
	}
}

// TestScalerAgainstWeights compares the incremental means and variances with
// the direct computation after every point, for dimensions of very different
// scales (one with a large offset, one constant).
func TestScalerAgainstWeights(t *testing.T) {
	for _, halfLife := range []float64{1, 7.5, 50, math.Inf(1)} {
		t.Run(fmt.Sprint("H=", halfLife), func(t *testing.T) {
			p := ScalerParams{HalfLife: halfLife}
			rng := rand.New(rand.NewPCG(17, 18))
			var s Scaler
			var cols [4][]float64
			worst := 0.0
			for n := 1; n <= 300; n++ {
				x := []float64{rng.NormFloat64(), 1e4 + 3*rng.NormFloat64(), 1e-3 * rng.ExpFloat64(), 42}
				if n > 150 {
					x[0] += 5 // a regime shift
				}
				if err := s.Observe(p, x); err != nil {
					t.Fatal(err)
				}
				for d := range x {
					cols[d] = append(cols[d], x[d])
					mean, variance := weighted(p, cols[d])
					for _, pair := range [][2]float64{{s.Means[d], mean}, {s.Variances[d], variance}} {
						e := math.Abs(pair[0]-pair[1]) / max(math.Abs(pair[1]), 1)
						worst = max(worst, e)
						if e > 1e-9 {
							t.Fatalf("point %d dimension %d: mean %v variance %v, want %v and %v", n, d, s.Means[d], s.Variances[d], mean, variance)
						}
					}
				}
			}
			t.Logf("worst relative error over 300 points: %.3g; N %d", worst, s.N)
			if s.N != 300 || s.Variances[3] != 0 {
				t.Errorf("N %d, variance of the constant dimension %v; want 300 and 0", s.N, s.Variances[3])
			}
		})
	}
}

func TestStandardize(t *testing.T) {
	p := ScalerParams{HalfLife: math.Inf(1)}
	var s Scaler
	if _, err := s.Standardize([]float64{1}); err == nil || !strings.Contains(err.Error(), "observed no point") {
		t.Errorf("Standardize before Observe: error %v", err)
	}
	for _, x := range [][]float64{{1, 10, 5}, {3, 10, 5}, {5, 10, 5}} {
		if err := s.Observe(p, x); err != nil {
			t.Fatal(err)
		}
	}
	// Dimension 0: mean 3, population variance 8/3. Dimensions 1 and 2 are
	// constant and map to 0 whatever the input.
	got, err := s.Standardize([]float64{7, 11, -5})
	if want := []float64{4 / math.Sqrt(8.0/3), 0, 0}; err != nil || !nearRel(got, want, 1e-15) {
		t.Errorf("Standardize = %v, %v; want %v", got, err, want)
	}
	before := Scaler{Means: append([]float64(nil), s.Means...), Variances: append([]float64(nil), s.Variances...), N: s.N}
	for _, tc := range []struct {
		x    []float64
		want string
	}{
		{[]float64{1, 2}, "point has 2 coordinates, want 3"},
		{[]float64{1, math.NaN(), 3}, "point has a non-finite coordinate"},
		{nil, "point is empty"},
	} {
		if _, err := s.Standardize(tc.x); err == nil || !strings.Contains(err.Error(), "standardizing: "+tc.want) {
			t.Errorf("Standardize(%v) error %v, want %q", tc.x, err, tc.want)
		}
		if err := s.Observe(p, tc.x); err == nil || !strings.Contains(err.Error(), "observing: "+tc.want) {
			t.Errorf("Observe(%v) error %v, want %q", tc.x, err, tc.want)
		}
	}
	if err := s.Observe(ScalerParams{}, []float64{1, 2, 3}); err == nil {
		t.Error("Observe with half-life 0: no error")
	}
	if !reflect.DeepEqual(s, before) {
		t.Errorf("refused points changed the scaler: %+v, was %+v", s, before)
	}
}

func TestLogScale(t *testing.T) {
	for _, tc := range []struct{ v, want float64 }{
		{0, 0},
		{1, math.Ln2},
		{-1, -math.Ln2},
		{math.E - 1, 1},
		{-(math.E*math.E - 1), -2},
		{1e-300, 1e-300},
		{1e6, math.Log(1e6 + 1)},
		{math.Inf(1), math.Inf(1)},
		{math.Inf(-1), math.Inf(-1)},
	} {
		if got := LogScale(tc.v); math.Abs(got-tc.want) > 1e-15*max(math.Abs(tc.want), 1) && got != tc.want {
			t.Errorf("LogScale(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
	if got := LogScale(math.NaN()); !math.IsNaN(got) {
		t.Errorf("LogScale(NaN) = %v, want NaN", got)
	}
}
