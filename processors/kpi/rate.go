package kpi

import (
	"math"

	"github.com/activa-dev/activa/internal/holtwinters"
	"github.com/activa-dev/activa/schemas"
)

// A rate (conversion: the share of a bucket's n sessions that purchased)
// is forecast on the root scale like a sum, but its noise depends on n
// more than on its level: the rate of a dozen night sessions swings far
// more than that of two thousand evening ones. On the root scale a rate p
// of n trials has the sampling variance s = (1-p)/4n. The one-step errors
// are kept in bands of n (four times apart, as the bands of level of the
// sums) and in units of √s, so that each band's mean is the model's lean
// there and its variance φ the dispersion beyond the sampling noise that
// the model misses at that size (a quasi-binomial per band). The interval
// of a bucket of n trials has the variance φs of n's band.

// rateBand is the band of errors of a rate of n trials.
func rateBand(n int64) int { return band(math.Sqrt(float64(n))) }

// sampling is the variance, on the root scale, of the rate of n trials of
// probability root² (at least that of one trial in 2n either way, so that
// a rate of 0 or 1 still has some).
func sampling(root float64, n int64) float64 {
	q := min(max(1-root*root, 0.5/float64(n)), 1)
	return q / (4 * float64(n))
}

// predictRate forecasts the next bucket of a rate of n trials. Until the
// band of n has enough errors, the interval's variance is the model's own
// (as before a sum's band fills up); with no trial, the bucket has no
// value, and the model's own forecast is given for the record.
func (f Forecasting) predictRate(st *schemas.KpiState, m *holtwinters.Model, n int64) (prediction, error) {
	p, err := m.Predict(1, f.Level)
	if err != nil {
		return prediction{}, err
	}
	mu, v := max(p.Mean, 0), m.Variance(1)
	if b := rateBand(n); n > 0 && b < len(st.Noise) && st.Noise[b].N >= minNoise {
		u := st.Noise[b]
		s := sampling(mu, n)
		mu = max(mu+u.Mean*math.Sqrt(s), 0)
		v = u.M2 / float64(u.N-1) * s
	}
	half := math.Sqrt2 * math.Erfinv(f.Level) * math.Sqrt(v)
	sq := func(x float64) float64 { return min(max(x, 0), 1) * min(max(x, 0), 1) }
	return prediction{
		Mean: min(mu*mu+v, 1), Lower: sq(mu - half), Upper: sq(mu + half), Var: squaredVar(mu, v),
		Level: mu*mu + v, Noise: squaredVar(mu, v),
	}, nil
}

// ratePrior is how many trials a rate's forecast weighs as, against a
// bucket's n: the model folds in the forecast moved toward the bucket's
// rate by n/(n+ratePrior), so that it learns from a rate as much as its
// trials say (a dozen night sessions move it little, two thousand evening
// ones almost all the way), as a filter whose observation noise shrinks
// with n would. Without it the nights' noise, many times the evenings' on
// the root scale, would drive the level and the least-squares fits.
const ratePrior = 50

// observeRate folds the rate y of the next bucket, of n trials, into the
// series' model and history: its error against the forecast into the band
// of n, and the forecast moved toward it (see ratePrior) into the model
// and the history the model is fitted on.
func (f Forecasting) observeRate(st *schemas.KpiState, y float64, n int64) error {
	if st.Model.Period == 0 {
		return f.remember(st, y)
	}
	h := toModel(&st.Model)
	root := math.Sqrt(max(y, 0))
	pred := max(h.Level+h.Trend+h.Season[h.Steps%int64(h.Period)], 0)
	e := root - pred
	noise(st, rateBand(n), e/math.Sqrt(sampling(pred, n)))
	moved := pred + e*float64(n)/float64(n+ratePrior)
	h.Observe(moved)
	st.Model = fromModel(h, st.Model.Fitted, st.Model.Since+1)
	return f.remember(st, moved*moved)
}
