// Package holtwinters is additive Holt-Winters exponential smoothing of a
// series with one seasonal period: a level, a trend and a seasonal index
// per position in the period, fitted to a history by least squares and then
// updated online one observation at a time, with prediction intervals.
//
// The recursions and the interval are those of R's HoltWinters and
// predict.HoltWinters (additive seasonality): with one-step error e,
//
//	level  = α(y − season) + (1 − α)(level + trend)
//	trend  = β(level − previous level) + (1 − β)trend
//	season = γ(y − level) + (1 − γ)season
//
// and the forecast h steps ahead has the variance
// σ²(1 + Σ_{j=1}^{h−1} ψ_j²), ψ_j = α(1 + jβ) + [j mod period = 0]γ(1 − α),
// σ² being the variance of the one-step errors.
//
// For an hourly series with a daily and a weekly cycle, fit period 24
// until two weeks of history exist and period 168 from then on: the weekly
// season holds the daily one.
package holtwinters

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// Params are the smoothing parameters, each from 0 to 1: α for the level,
// β for the trend and γ for the season.
type Params struct {
	Alpha, Beta, Gamma float64
}

// Model is an additive Holt-Winters model. Its fields are its whole state,
// so that a model can be stored and restored.
type Model struct {
	// Period is the length of the season in observations.
	Period int
	// Params are the smoothing parameters.
	Params Params
	// Level and Trend are the current level and trend.
	Level, Trend float64
	// Season holds the seasonal indices; Season[Steps % Period] is the
	// index of the next observation.
	Season []float64
	// Steps counts the observations folded in since the start of the
	// history the model was fitted to.
	Steps int64
	// Errors counts the one-step errors; ErrMean and ErrM2 are their mean
	// and sum of squared deviations (Welford's method).
	Errors  int64
	ErrMean float64
	ErrM2   float64
}

// Fit fits a model of period to history, which must hold at least two
// periods: the level, trend and season start from the first two periods,
// and the parameters minimize the sum of squared one-step errors over the
// history from its second period on (as R's HoltWinters does). The model
// returned has folded in the whole history.
func Fit(history []float64, period int) (*Model, error) {
	if period < 2 {
		return nil, fmt.Errorf("holtwinters: period %d < 2", period)
	}
	if len(history) < 2*period {
		return nil, fmt.Errorf("holtwinters: %d observations, a period of %d needs at least %d", len(history), period, 2*period)
	}
	for i, y := range history {
		if math.IsNaN(y) || math.IsInf(y, 0) {
			return nil, fmt.Errorf("holtwinters: observation %d is %v", i, y)
		}
	}
	sse := func(x []float64) float64 {
		m := start(history, period, params(x))
		var s float64
		for _, y := range history[period:] {
			e := m.Observe(y)
			s += e * e
		}
		return s
	}
	res, err := optimize.Minimize(optimize.Problem{Func: sse}, []float64{logit(0.3), logit(0.1), logit(0.1)},
		&optimize.Settings{MajorIterations: 400}, &optimize.NelderMead{})
	if err != nil && res == nil {
		return nil, fmt.Errorf("holtwinters: fitting %d observations of period %d: %w", len(history), period, err)
	}
	m := start(history, period, params(res.X))
	for _, y := range history[period:] {
		m.Observe(y)
	}
	return m, nil
}

// start returns a model with parameters p whose level, trend and season
// come from the first two periods of history, positioned after the first.
func start(history []float64, period int, p Params) *Model {
	var first, second float64
	for i := range period {
		first += history[i]
		second += history[period+i]
	}
	first /= float64(period)
	second /= float64(period)
	m := &Model{Period: period, Params: p, Season: make([]float64, period), Steps: int64(period)}
	m.Trend = (second - first) / float64(period)
	// The level at the end of the first period: its mean is centred half
	// a period (less half a step) earlier.
	m.Level = first + m.Trend*float64(period-1)/2
	for i := range period {
		m.Season[i] = (history[i] - first + history[period+i] - second) / 2
	}
	return m
}

// Observe folds in the next observation and returns its one-step error
// (observation minus forecast).
func (m *Model) Observe(y float64) float64 {
	p := m.Params
	i := int(m.Steps % int64(m.Period))
	s := m.Season[i]
	e := y - (m.Level + m.Trend + s)
	level := p.Alpha*(y-s) + (1-p.Alpha)*(m.Level+m.Trend)
	m.Trend = p.Beta*(level-m.Level) + (1-p.Beta)*m.Trend
	m.Level = level
	m.Season[i] = p.Gamma*(y-level) + (1-p.Gamma)*s
	m.Steps++
	m.Errors++
	d := e - m.ErrMean
	m.ErrMean += d / float64(m.Errors)
	m.ErrM2 += d * (e - m.ErrMean)
	return e
}

// Forecast is a point forecast with its prediction interval.
type Forecast struct {
	Mean, Lower, Upper float64
}

// ErrNoVariance is returned by [Model.Predict] while the model has seen
// fewer than two one-step errors.
var ErrNoVariance = errors.New("holtwinters: fewer than two one-step errors, no variance")

// Predict forecasts the observation h steps ahead (h = 1 is the next one)
// with its prediction interval at level (for example 0.95).
func (m *Model) Predict(h int, level float64) (Forecast, error) {
	if h < 1 {
		return Forecast{}, fmt.Errorf("holtwinters: horizon %d < 1", h)
	}
	if level <= 0 || level >= 1 {
		return Forecast{}, fmt.Errorf("holtwinters: interval level %v is not between 0 and 1", level)
	}
	if m.Errors < 2 {
		return Forecast{}, ErrNoVariance
	}
	i := int((m.Steps + int64(h) - 1) % int64(m.Period))
	mean := m.Level + float64(h)*m.Trend + m.Season[i]
	half := math.Sqrt2 * math.Erfinv(level) * math.Sqrt(m.Variance(h))
	return Forecast{Mean: mean, Lower: mean - half, Upper: mean + half}, nil
}

// Variance is the variance of the forecast error h steps ahead.
func (m *Model) Variance(h int) float64 {
	p := m.Params
	sum := 1.0
	for j := 1; j < h; j++ {
		psi := p.Alpha * (1 + float64(j)*p.Beta)
		if j%m.Period == 0 {
			psi += p.Gamma * (1 - p.Alpha)
		}
		sum += psi * psi
	}
	return m.ErrM2 / float64(m.Errors-1) * sum
}

// params maps the optimizer's unbounded coordinates onto (0, 1).
func params(x []float64) Params {
	return Params{Alpha: sigmoid(x[0]), Beta: sigmoid(x[1]), Gamma: sigmoid(x[2])}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func logit(p float64) float64 { return math.Log(p / (1 - p)) }
