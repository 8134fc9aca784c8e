package segments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The regime shift tests check the acceptance of the decay: after the stream
// moves from centre A to centre B, after n points the centroid has moved
// 1 - 0.5^(n/H) of the way, within 0.02.
//
// On paper, for one cluster fed batches of b points at B, with a = decay:
// the update is w' = a^b*w + b and c' = c + lambda*(B̄ - c) with lambda =
// b/w', B̄ the batch mean. If w is at its steady state w* = b/(1-a^b), then
// w' = w* and lambda = 1 - a^b, so E[B - c'] = a^b*(B - c) and after n = j*b
// points E[B - c] = a^n*(B - A): the fraction moved is 1 - a^n = 1 -
// 0.5^(n/H), whatever b. The seed weight matters when it is not w*: then
// w_j = w* + a^(j*b)*(w_0 - w*) and the centroid moves by prod(1 - b/w_j),
// slower for a heavier seed (TestRegimeShiftHeavySeed). A model seeded from a
// buffer gets weights equal to buffer counts, but the difference decays by
// a^n, so after a warm-up of 40 half-lives it is 2^-40 of itself
// (TestRegimeShiftAfterSeeding). A cluster that gets a fixed share of every
// batch behaves the same with n counting all points, since its weight decays
// per point of the stream.

// shift feeds n points around b (standard deviation sd), in batches of size
// batch, and returns the fraction of the way from the start of center label
// to b that the center moved, measured along b - start. other, when not nil,
// is a second blob whose points alternate with those around b.
func shift(t *testing.T, step func([][]float64), m *Model, label int, rng *rand.Rand, b, other []float64, sd float64, n, batch int) float64 {
	t.Helper()
	start := append([]float64(nil), m.Centers[label]...)
	var pending [][]float64
	for i := range n {
		c := b
		if other != nil && i%2 == 1 {
			c = other
		}
		x := make([]float64, len(c))
		for d := range x {
			x[d] = c[d] + rng.NormFloat64()*sd
		}
		if pending = append(pending, x); len(pending) == batch {
			step(pending)
			pending = nil
		}
	}
	if pending != nil {
		t.Fatalf("%d points do not make whole batches of %d", n, batch)
	}
	num, den := 0.0, 0.0
	for d := range b {
		num += (m.Centers[label][d] - start[d]) * (b[d] - start[d])
		den += (b[d] - start[d]) * (b[d] - start[d])
	}
	return num / den
}

func TestRegimeShift(t *testing.T) {
	a, b := []float64{0, 0}, []float64{10, -10}
	for _, halfLife := range []float64{8, 30, 100} {
		for _, batch := range []int{1, 4} {
			for _, halves := range []float64{0.5, 1, 2, 3} {
				n := int(math.Ceil(halves*halfLife/float64(batch))) * batch
				t.Run(fmt.Sprintf("H=%v/b=%d/n=%d", halfLife, batch, n), func(t *testing.T) {
					decay := (Params{HalfLife: halfLife}).Decay()
					steady := float64(batch) / (1 - math.Pow(decay, float64(batch)))
					m := &Model{Centers: [][]float64{append([]float64(nil), a...)}, Weights: []float64{steady}}
					rng := rand.New(rand.NewPCG(uint64(n), uint64(batch)))
					step := func(pts [][]float64) {
						if _, err := m.Step(decay, pts); err != nil {
							t.Fatal(err)
						}
					}
					got := shift(t, step, m, 0, rng, b, nil, 0.2, n, batch)
					want := 1 - math.Pow(0.5, float64(n)/halfLife)
					t.Logf("moved %.4f of the way, want %.4f (diff %+.4f); weight %.4g, steady %.4g", got, want, got-want, m.Weights[0], steady)
					if math.Abs(got-want) > 0.02 || math.Abs(m.Weights[0]-steady) > 1e-9*steady {
						t.Errorf("moved %.4f of the way, want %.4f ± 0.02; weight %v, want it steady at %v", got, want, m.Weights[0], steady)
					}
				})
			}
		}
	}
}

// TestRegimeShiftAfterSeeding goes through Update: two blobs, the model seeds
// itself, runs 40 half-lives so the weights reach their steady state, then the
// blob at A moves to B while the other stays.
func TestRegimeShiftAfterSeeding(t *testing.T) {
	a, b, f := []float64{0, 0}, []float64{10, 0}, []float64{0, 60}
	for _, halfLife := range []float64{10, 40} {
		for _, batch := range []int{1, 2, 6} {
			for _, halves := range []float64{1, 2} {
				n := int(math.Ceil(halves*halfLife/6)) * 6 // whole batches, even
				t.Run(fmt.Sprintf("H=%v/b=%d/n=%d", halfLife, batch, n), func(t *testing.T) {
					p := Params{K: 2, HalfLife: halfLife, SeedPoints: 20, RandSeed: 3}
					m := &Model{}
					rng := rand.New(rand.NewPCG(7, uint64(batch)))
					step := func(pts [][]float64) { m.Update(p, pts) }
					warm := int(math.Ceil(40*halfLife/6)) * 6
					shift(t, step, m.seedOn(t, p, rng, a, f), 0, rng, a, f, 0.2, warm, batch)
					label, _ := m.Nearest(a)
					got := shift(t, step, m, label, rng, b, f, 0.2, n, batch)
					want := 1 - math.Pow(0.5, float64(n)/halfLife)
					t.Logf("moved %.4f of the way, want %.4f (diff %+.4f); weights %.4g", got, want, got-want, m.Weights)
					if math.Abs(got-want) > 0.02 {
						t.Errorf("moved %.4f of the way, want %.4f ± 0.02", got, want)
					}
				})
			}
		}
	}
}

// seedOn seeds m from 20 points alternating between blobs a and f, and
// returns it.
func (m *Model) seedOn(t *testing.T, p Params, rng *rand.Rand, a, f []float64) *Model {
	t.Helper()
	var pts [][]float64
	for i := range p.SeedPoints {
		c := a
		if i%2 == 1 {
			c = f
		}
		pts = append(pts, []float64{c[0] + rng.NormFloat64()*0.5, c[1] + rng.NormFloat64()*0.5})
	}
	if st, err := m.Apply(p, pts); err != nil || !st.Seeded {
		t.Fatalf("seeding: %+v, %v", st, err)
	}
	return m
}

// TestRegimeShiftHeavySeed shows when the seed weight matters: a model seeded
// with weight 1000 (say from a large buffer, which does not decay) at A lags
// the formula, and follows the product of (1 - 1/w_j) derived above exactly.
func TestRegimeShiftHeavySeed(t *testing.T) {
	const halfLife, n, w0 = 30.0, 30, 1000.0
	decay := (Params{HalfLife: halfLife}).Decay()
	m := &Model{Centers: [][]float64{{0}}, Weights: []float64{w0}}
	rest, w := 1.0, w0 // fraction of the way left, weight
	for range n {
		if _, err := m.Step(decay, [][]float64{{1}}); err != nil {
			t.Fatal(err)
		}
		w = decay*w + 1
		rest *= 1 - 1/w
	}
	formula := 1 - math.Pow(0.5, n/halfLife)
	t.Logf("moved %.4f, product %.4f, steady-state formula %.4f", m.Centers[0][0], 1-rest, formula)
	if math.Abs(m.Centers[0][0]-(1-rest)) > 1e-12 || m.Centers[0][0] > formula-0.3 {
		t.Errorf("moved %.6f, want %.6f exactly and far below the formula's %.4f", m.Centers[0][0], 1-rest, formula)
	}
}
