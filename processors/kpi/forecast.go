package kpi

import (
	"fmt"
	"math"

	"github.com/activa-dev/activa/internal/holtwinters"
	"github.com/activa-dev/activa/schemas"
)

// Forecasting configures the built-in forecast of every series: additive
// Holt-Winters on the square root of the hourly actuals (the root steadies
// the variance of counts and of sums of counts, so that a quiet night and
// a busy evening get intervals of their own size).
type Forecasting struct {
	// Daily and Weekly are the season lengths in buckets; a series is
	// fitted with Daily once it has two of them and with Weekly once it has
	// two of those. Defaults 24 and 168.
	Daily, Weekly int
	// Refit is how many buckets pass between two fits. Default 24.
	Refit int
	// Level is the coverage of the prediction intervals. Default 0.95.
	Level float64
	// AlertAfter is how many closed buckets of history a series needs
	// before either alert rule applies to it. Default two weekly seasons:
	// a series fitted with its daily season only does not know its week
	// yet (a store's closed Sunday would leave every interval, and a plan
	// phased by such a forecast would put Saturday's trade where Sunday has
	// none). The model forecasts, and kpi.actuals carries its intervals,
	// from two daily seasons on; lower it to two daily seasons for series
	// with no weekly pattern to wait for.
	AlertAfter int
}

// DefaultForecasting returns the forecast's defaults.
func DefaultForecasting() Forecasting {
	return Forecasting{Daily: 24, Weekly: 168, Refit: 24, Level: 0.95, AlertAfter: 2 * 168}
}

// Validate reports settings out of range.
func (f Forecasting) Validate() error {
	if f.Daily < 2 || f.Weekly < f.Daily || f.Refit < 1 || !(f.Level > 0 && f.Level < 1) {
		return fmt.Errorf("kpi: forecast seasons %d and %d, refit every %d, level %v: want 2 ≤ daily ≤ weekly, refit ≥ 1 and a level between 0 and 1",
			f.Daily, f.Weekly, f.Refit, f.Level)
	}
	if f.AlertAfter < 2*f.Daily || f.AlertAfter > f.keep() {
		return fmt.Errorf("kpi: interval alerts after %d buckets of history: want %d (two daily seasons) to %d (two weekly ones)",
			f.AlertAfter, 2*f.Daily, f.keep())
	}
	return nil
}

// keep is how many closed buckets a series holds for fitting.
func (f Forecasting) keep() int { return 2 * f.Weekly }

// warm tells whether m can forecast: fitted, with an error variance.
func warm(m *schemas.KpiModel) bool { return m.Period > 0 && m.Errors >= 2 }

// toModel and fromModel convert between the stored and the working model.
func toModel(m *schemas.KpiModel) *holtwinters.Model {
	return &holtwinters.Model{
		Period: int(m.Period), Params: holtwinters.Params{Alpha: m.Alpha, Beta: m.Beta, Gamma: m.Gamma},
		Level: m.Level, Trend: m.Trend, Season: m.Season, Steps: m.Steps,
		Errors: m.Errors, ErrMean: m.ErrMean, ErrM2: m.ErrM2,
	}
}

func fromModel(h *holtwinters.Model, fitted, since int64) schemas.KpiModel {
	return schemas.KpiModel{
		Period: int32(h.Period), Alpha: h.Params.Alpha, Beta: h.Params.Beta, Gamma: h.Params.Gamma,
		Level: h.Level, Trend: h.Trend, Season: h.Season, Steps: h.Steps,
		Errors: h.Errors, ErrMean: h.ErrMean, ErrM2: h.ErrM2, Fitted: fitted, Since: since,
	}
}

// prediction is a forecast of a bucket on the series' own scale; Var is
// its variance. Level and Noise are the bucket's mean and variance were
// the forecast's level the truth: the one-step noise at that level,
// without the forecast's own uncertainty, which grows with the horizon.
type prediction struct {
	Mean, Lower, Upper, Var float64
	Level, Noise            float64
}

// bands are the upper edges of the bands of forecast level (on the
// series' scale) whose one-step errors are kept apart in KpiState.Noise:
// the errors of a quiet night, of an average hour and of the busiest
// evening differ even on the root scale (a model's error grows with the
// level), and one variance for all would make every interval wrong.
var bands = [...]float64{0.25, 1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144}

// minNoise is how many errors a band needs before its own variance is
// used; until then the model's pooled variance is.
const minNoise = 20

// noiseMemory is how many errors of a band weigh in its mean and variance:
// past it, each new error takes a 1/noiseMemory share, so that the errors
// of earlier models (one without the weekly season) fade.
const noiseMemory = 120

func band(root float64) int {
	mu := root * root
	for i, e := range bands {
		if mu < e {
			return i
		}
	}
	return len(bands)
}

// predict forecasts the bucket h steps ahead of m, the model of st. On
// the root scale the forecast is normal with mean μ, the model's forecast
// plus the mean one-step error of its band (errors of one band can lean
// one way: the model's forecast of a closed store's night is a little
// above its nothing, always), and variance σ²: the model's own variance h
// steps ahead, scaled to the variance of the one-step errors in the band
// once it has enough of them. Squared, its mean is μ² + σ², its variance
// 4μ²σ² + 2σ⁴, and the interval's ends square (an end below 0 becomes 0).
func (f Forecasting) predict(st *schemas.KpiState, m *holtwinters.Model, h int) (prediction, error) {
	p, err := m.Predict(h, f.Level)
	if err != nil {
		return prediction{}, err
	}
	lean, noise := bandErr(st, m, max(p.Mean, 0))
	mu := max(p.Mean+lean, 0)
	v := m.Variance(h)
	if v1 := m.Variance(1); v1 > 0 {
		v *= noise / v1
	}
	half := math.Sqrt2 * math.Erfinv(f.Level) * math.Sqrt(v)
	sq := func(x float64) float64 { return max(x, 0) * max(x, 0) }
	return prediction{
		Mean: mu*mu + v, Lower: sq(mu - half), Upper: sq(mu + half), Var: squaredVar(mu, v),
		Level: mu*mu + noise, Noise: squaredVar(mu, noise),
	}, nil
}

// bandErr returns the mean and the variance of one-step errors of
// forecasts of root mean mu: those of mu's band once it has enough errors,
// else none and the model's variance.
func bandErr(st *schemas.KpiState, m *holtwinters.Model, mu float64) (mean, variance float64) {
	if b := band(mu); b < len(st.Noise) && st.Noise[b].N >= minNoise {
		n := st.Noise[b]
		return n.Mean, n.M2 / float64(n.N-1)
	}
	return 0, m.Variance(1)
}

// squaredVar is the variance of the square of a normal variable of mean mu
// and variance v.
func squaredVar(mu, v float64) float64 { return 4*mu*mu*v + 2*v*v }

// noise folds the one-step error e into band b.
func noise(st *schemas.KpiState, b int, e float64) {
	for len(st.Noise) <= b {
		st.Noise = append(st.Noise, schemas.KpiNoise{})
	}
	n := &st.Noise[b]
	if n.N < noiseMemory {
		n.N++
		d := e - n.Mean
		n.Mean += d / float64(n.N)
		n.M2 += d * (e - n.Mean)
		return
	}
	// Past noiseMemory errors, an exponentially weighted mean and variance
	// with that weight on the newest: older models' errors fade.
	w := 1 / float64(noiseMemory)
	d := e - n.Mean
	n.Mean += w * d
	v := (1 - w) * (n.M2/float64(n.N-1) + w*d*d)
	n.M2 = v * float64(n.N-1)
}

// observe folds the actual y of the next bucket of a sum into the series'
// model and history, fitting the model again when it is due.
func (f Forecasting) observe(st *schemas.KpiState, y float64) error {
	if st.Model.Period > 0 {
		h := toModel(&st.Model)
		root := math.Sqrt(max(y, 0))
		e := h.Observe(root)
		noise(st, band(max(root-e, 0)), e)
		st.Model = fromModel(h, st.Model.Fitted, st.Model.Since+1)
	}
	return f.remember(st, y)
}

// skip steps the series' model and history over a bucket with no value:
// the model takes its own forecast as the observation (its state moves on
// a step unchanged, and its errors learn nothing), the history keeps that
// forecast, or before there is a model the value a day earlier.
func (f Forecasting) skip(st *schemas.KpiState) error {
	var y float64
	switch n := len(st.History); {
	case st.Model.Period > 0:
		h := toModel(&st.Model)
		i := int(h.Steps % int64(h.Period))
		root := max(h.Level+h.Trend+h.Season[i], 0)
		h.Observe(root)
		st.Model = fromModel(h, st.Model.Fitted, st.Model.Since+1)
		y = root * root
	case n >= f.Daily:
		y = st.History[n-f.Daily]
	case n > 0:
		y = st.History[n-1]
	}
	return f.remember(st, y)
}

// remember appends y to the series' history and fits the model again
// when it is due.
func (f Forecasting) remember(st *schemas.KpiState, y float64) error {
	st.History = append(st.History, y)
	if over := len(st.History) - f.keep(); over > 0 {
		st.History = append(st.History[:0], st.History[over:]...)
	}
	n := len(st.History)
	period := f.Daily
	if n >= 2*f.Weekly {
		period = f.Weekly
	}
	due := st.Model.Period == 0 || st.Model.Since >= int64(f.Refit) || int(st.Model.Period) != period
	if n < 2*f.Daily || !due {
		return nil
	}
	roots := make([]float64, n)
	for i, y := range st.History {
		roots[i] = math.Sqrt(max(y, 0))
	}
	h, err := holtwinters.Fit(roots, period)
	if err != nil {
		return fmt.Errorf("kpi: fitting %s|%s|%s on %d buckets: %w", st.KPI, st.Dimension, st.Value, n, err)
	}

	st.Model = fromModel(h, int64(n), 0)
	return nil
}
