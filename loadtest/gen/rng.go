package gen

import (
	"math"
	"math/rand/v2"
)

// Random streams: every stream is seeded from the Config seed, its number
// and up to two coordinates (a person and a day, for example), so that no
// stream depends on how many draws another one made.
const (
	streamPopulation uint64 = iota + 1
	streamHousehold
	streamDay
	streamPlan
	streamMalformed
	streamSuppress
)

// mix is the splitmix64 finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unit returns a uniform number in [0, 1) that depends only on its inputs.
func unit(seed, stream, a, b uint64) float64 {
	h := mix(mix(seed^mix(stream)) ^ mix(a) ^ mix(b+0x632be59bd9b4e019))
	return float64(h>>11) / (1 << 53)
}

// source is a reseedable PCG generator with the distributions the
// generator draws from.
type source struct {
	pcg rand.PCG
	*rand.Rand
}

func newSource() *source {
	s := &source{}
	s.Rand = rand.New(&s.pcg)
	return s
}

// reseed starts the stream (stream, a, b) of seed.
func (s *source) reseed(seed, stream, a, b uint64) {
	s.pcg.Seed(mix(seed^mix(stream)), mix(mix(a)^(b+0x632be59bd9b4e019)))
}

// chance reports true with probability p.
func (s *source) chance(p float64) bool { return s.Float64() < p }

// poisson draws from a Poisson distribution with mean lambda (small lambda).
func (s *source) poisson(lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*s.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= s.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// logNormal draws around median with log-scale spread sigma.
func (s *source) logNormal(median, sigma float64) float64 {
	return median * math.Exp(sigma*s.NormFloat64())
}

// between returns a uniform integer in [lo, hi].
func (s *source) between(lo, hi int64) int64 { return lo + s.Int64N(hi-lo+1) }

// pick returns an index drawn with the given non-negative weights, which
// must not all be zero.
func (s *source) pick(w []float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	u := s.Float64() * sum
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	for i := len(w) - 1; i >= 0; i-- {
		if w[i] > 0 {
			return i
		}
	}
	return 0
}
