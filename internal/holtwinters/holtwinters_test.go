package holtwinters_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/activa-dev/activa/internal/holtwinters"
)

// simulate draws n observations of the additive Holt-Winters state-space
// model (ETS(A,A,A)) with parameters p, period m and Gaussian errors of
// standard deviation sigma: the process for which the model's forecasts
// and intervals are exact.
func simulate(rng *rand.Rand, n, m int, p holtwinters.Params, sigma float64) []float64 {
	level, trend := 100.0, 0.05
	season := make([]float64, m)
	for i := range season {
		season[i] = 20 * math.Sin(2*math.Pi*float64(i)/float64(m))
	}
	ys := make([]float64, n)
	for t := range ys {
		e := sigma * rng.NormFloat64()
		i := t % m
		ys[t] = level + trend + season[i] + e
		level += trend + p.Alpha*e
		trend += p.Alpha * p.Beta * e
		season[i] += p.Gamma * (1 - p.Alpha) * e
	}
	return ys
}

var truth = holtwinters.Params{Alpha: 0.2, Beta: 0.02, Gamma: 0.15}

// TestIntervalsCoverTheirLevel: fitted to 14 days of an hourly series, the
// 95% intervals 1, 6 and 24 hours ahead cover 93 to 97% of the next 26
// days' observations, over five series.
func TestIntervalsCoverTheirLevel(t *testing.T) {
	const m, fit, n = 24, 14 * 24, 40 * 24
	horizons := []int{1, 6, 24}
	covered := map[int]int{}
	origins := 0
	for seed := range uint64(5) {
		ys := simulate(rand.New(rand.NewPCG(seed, 7)), n, m, truth, 3)
		model, err := holtwinters.Fit(ys[:fit], m)
		if err != nil {
			t.Fatal(err)
		}
		for o := fit; o+24 < n; o++ {
			for _, h := range horizons {
				f, err := model.Predict(h, 0.95)
				if err != nil {
					t.Fatal(err)
				}
				if y := ys[o+h-1]; f.Lower <= y && y <= f.Upper {
					covered[h]++
				}
			}
			model.Observe(ys[o])
			origins++
		}
		t.Logf("seed %d: fitted %+v", seed, model.Params)
	}
	for _, h := range horizons {
		share := float64(covered[h]) / float64(origins)
		t.Logf("%d steps ahead: %.2f%% of %d observations within the 95%% interval", h, 100*share, origins)
		if share < 0.93 || share > 0.97 {
			t.Errorf("%d steps ahead: the 95%% interval covers %.2f%%, want 93 to 97%%", h, 100*share)
		}
	}
}

// TestTheForecastBeatsSeasonalNaive: the one-step forecasts have a mean
// absolute scaled error below 1, scaled by the in-sample error of the
// seasonal naive forecast (the value one period earlier), and a smaller
// mean absolute error than seasonal naive on the same observations.
func TestTheForecastBeatsSeasonalNaive(t *testing.T) {
	const m, fit, n = 24, 14 * 24, 40 * 24
	ys := simulate(rand.New(rand.NewPCG(11, 7)), n, m, truth, 3)
	model, err := holtwinters.Fit(ys[:fit], m)
	if err != nil {
		t.Fatal(err)
	}
	var scale float64
	for i := m; i < fit; i++ {
		scale += math.Abs(ys[i] - ys[i-m])
	}
	scale /= float64(fit - m)
	var mae, naive float64
	for _, y := range ys[fit:] {
		mae += math.Abs(model.Observe(y))
	}
	for i := fit; i < n; i++ {
		naive += math.Abs(ys[i] - ys[i-m])
	}
	mae /= float64(n - fit)
	naive /= float64(n - fit)
	mase := mae / scale
	t.Logf("MASE %.3f; mean absolute error %.3f against %.3f for seasonal naive", mase, mae, naive)
	if mase >= 1 || mae >= naive {
		t.Errorf("MASE %.3f (want < 1), mean absolute error %.3f against %.3f for seasonal naive", mase, mae, naive)
	}
}

// TestFitFindsTheParameters: on a long series, the fitted parameters are
// near those that drew it.
func TestFitFindsTheParameters(t *testing.T) {
	ys := simulate(rand.New(rand.NewPCG(3, 7)), 24*120, 24, truth, 3)
	model, err := holtwinters.Fit(ys, 24)
	if err != nil {
		t.Fatal(err)
	}
	p := model.Params
	if math.Abs(p.Alpha-truth.Alpha) > 0.06 || math.Abs(p.Beta-truth.Beta) > 0.03 || math.Abs(p.Gamma-truth.Gamma) > 0.08 {
		t.Errorf("fitted %+v, drawn with %+v", p, truth)
	}
}

// TestTheVarianceFollowsPredictHoltWinters checks the h-step variance
// against the sum written out by hand for R's formula.
func TestTheVarianceFollowsPredictHoltWinters(t *testing.T) {
	m := &holtwinters.Model{
		Period: 3, Params: holtwinters.Params{Alpha: 0.5, Beta: 0.2, Gamma: 0.4},
		Season: make([]float64, 3), Errors: 5, ErrM2: 8,
	} // σ² = 8/4 = 2
	// ψ1 = 0.5·1.2 = 0.6, ψ2 = 0.5·1.4 = 0.7, ψ3 = 0.5·1.6 + 0.4·0.5 = 1.0
	for h, want := range map[int]float64{1: 2, 2: 2 * (1 + 0.36), 4: 2 * (1 + 0.36 + 0.49 + 1)} {
		if got := m.Variance(h); math.Abs(got-want) > 1e-12 {
			t.Errorf("variance %d steps ahead %v, want %v", h, got, want)
		}
	}
}

func TestBadInputIsRefused(t *testing.T) {
	ys := simulate(rand.New(rand.NewPCG(1, 1)), 47, 24, truth, 1)
	if _, err := holtwinters.Fit(ys, 24); err == nil || !strings.Contains(err.Error(), "at least 48") {
		t.Errorf("a history shorter than two periods: %v", err)
	}
	ys = append(ys, math.NaN())
	if _, err := holtwinters.Fit(ys, 24); err == nil || !strings.Contains(err.Error(), "observation 47 is NaN") {
		t.Errorf("a NaN observation: %v", err)
	}
	if _, err := holtwinters.Fit(ys, 1); err == nil {
		t.Error("period 1 accepted")
	}
	m := &holtwinters.Model{Period: 24, Season: make([]float64, 24), Errors: 1}
	if _, err := m.Predict(1, 0.95); !errors.Is(err, holtwinters.ErrNoVariance) {
		t.Errorf("predicting with one error: %v", err)
	}
	m.Errors = 3
	if _, err := m.Predict(0, 0.95); err == nil {
		t.Error("horizon 0 accepted")
	}
	if _, err := m.Predict(1, 1); err == nil {
		t.Error("level 1 accepted")
	}
}
