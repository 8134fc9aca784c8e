package kpi

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// BucketSize is the length of a bucket of every series.
const BucketSize = time.Hour

// foreverMS is the watermark, in epoch milliseconds, of an input that
// holds no one back: an idle one, or all of them once nothing arrives any
// more.
const foreverMS = 1 << 50

// ParseSeries reads a series key kpi|dimension|value.
func ParseSeries(key string) (Series, error) {
	parts := strings.Split(key, "|")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return Series{}, fmt.Errorf("kpi: series key %q is not kpi|dimension|value", key)
	}
	return Series{KPI: parts[0], Dimension: parts[1], Value: parts[2]}, nil
}

// Verdict is what became of a contribution.
type Verdict int

// Verdicts of [Book.Add].
const (
	// Applied: added to its bucket.
	Applied Verdict = iota
	// Again: read again after a crash; applied before.
	Again
	// TooLate: its bucket is closed.
	TooLate
)

// Book keeps the books of one series: the state of its key and the
// settings that decide on it. Outputs go to the callbacks.
type Book struct {
	St       *schemas.KpiState
	Rules    Rules
	Forecast Forecasting
	// Actual receives each closed bucket; Alert each alert opened or
	// resolved.
	Actual func(*schemas.KpiActual)
	Alert  func(*schemas.KpiAlert)
}

func (b *Book) series() Series {
	return Series{KPI: b.St.KPI, Dimension: b.St.Dimension, Value: b.St.Value}
}

// Add applies what the event read at offset of source adds to its bucket.
func (b *Book) Add(source string, offset int64, ts time.Time, amount float64) Verdict {
	st := b.St
	if last, ok := st.Offsets[source]; ok && offset <= last {
		return Again
	}
	if st.Offsets == nil {
		st.Offsets = map[string]int64{}
	}
	st.Offsets[source] = offset
	start := ts.UTC().Truncate(BucketSize)
	if !st.ClosedUntil.IsZero() && start.Before(st.ClosedUntil) {
		return TooLate
	}
	i, found := slices.BinarySearchFunc(st.Open, start, func(k schemas.KpiBucket, t time.Time) int { return k.Start.Compare(t) })
	if !found {
		st.Open = slices.Insert(st.Open, i, schemas.KpiBucket{Start: start})
	}
	st.Open[i].Sum += amount
	st.Open[i].Count++
	return Applied
}

// Plan records the plan f for a period of the series; a plan for a period
// with the same start replaces it. A plan whose period has ended is
// ignored; one whose period has begun counts the buckets closed since its
// start, as far as the history reaches.
func (b *Book) Plan(f *schemas.KpiForecast) {
	st := b.St
	start, end := f.PeriodStart.UTC(), f.PeriodEnd.UTC()
	if !st.ClosedUntil.IsZero() && !end.After(st.ClosedUntil) {
		return
	}
	p := schemas.KpiPeriod{Start: start, End: end, Expected: f.Expected, Lower: f.Lower, Upper: f.Upper, HasBounds: f.HasBounds}
	i, found := slices.BinarySearchFunc(st.Plans, start, func(k schemas.KpiPeriod, t time.Time) int { return k.Start.Compare(t) })
	if found {
		old := st.Plans[i]
		p.Frozen, p.FrozenVar, p.FrozenFrom = old.Frozen, old.FrozenVar, old.FrozenFrom
		p.Actual, p.ElapsedForecast, p.ElapsedActual, p.ElapsedVar, p.Rule = old.Actual, old.ElapsedForecast, old.ElapsedActual, old.ElapsedVar, old.Rule
		st.Plans[i] = p
		return
	}
	if !st.ClosedUntil.IsZero() && st.ClosedUntil.After(start) {
		n := int(st.ClosedUntil.Sub(start) / BucketSize)
		for _, y := range st.History[max(len(st.History)-n, 0):] {
			p.Actual += y
		}
	}
	st.Plans = slices.Insert(st.Plans, i, p)
}

// Advance closes every bucket that ends at or before the watermark wm, in
// order, empty ones included. At foreverMS it closes the buckets up to the
// last one open and no further.
func (b *Book) Advance(wm time.Time) error {
	st := b.St
	if wm.After(st.Watermark) {
		st.Watermark = wm
	}
	limit := wm
	if wm.UnixMilli() >= foreverMS {
		if len(st.Open) == 0 {
			return nil
		}
		limit = st.Open[len(st.Open)-1].Start.Add(BucketSize)
	}
	if st.ClosedUntil.IsZero() {
		if len(st.Open) == 0 {
			return nil
		}
		st.ClosedUntil = st.Open[0].Start
	}
	for !st.ClosedUntil.Add(BucketSize).After(limit) {
		start := st.ClosedUntil
		var sum float64
		var count int64
		if len(st.Open) > 0 && st.Open[0].Start.Equal(start) {
			sum, count = st.Open[0].Sum, st.Open[0].Count
			st.Open = st.Open[1:]
		}
		if err := b.close(start, sum, count); err != nil {
			return err
		}
		st.ClosedUntil = start.Add(BucketSize)
	}
	return nil
}

// close decides on the bucket from start, of sum and count: its forecast
// and the interval rule, the plans it belongs to and the projection rule,
// then folds it into the model. A rate's bucket with nothing to count
// (conversion with no session) has no value: it is published with count
// 0, no rule decides on it, and the model steps over it.
func (b *Book) close(start time.Time, sum float64, count int64) error {
	st, series := b.St, b.series()
	end := start.Add(BucketSize)
	y, known := sum, true
	if series.Rate() {
		y, known = 0, count > 0
		if known {
			y = sum / float64(count)
		}
	}
	actual := &schemas.KpiActual{
		KPI: st.KPI, Dimension: st.Dimension, Value: st.Value,
		BucketStart: start, BucketEnd: end, Actual: y, Count: count,
	}
	if warm(&st.Model) {
		m := toModel(&st.Model)
		predict := func() (prediction, error) { return b.Forecast.predict(st, m, 1) }
		if series.Rate() {
			predict = func() (prediction, error) { return b.Forecast.predictRate(st, m, count) }
		}
		if p, err := predict(); err == nil {
			actual.HasForecast, actual.Expected, actual.Lower, actual.Upper = true, p.Mean, p.Lower, p.Upper
			if known && len(st.History) >= b.Forecast.AlertAfter {
				rs := stateOf(st.Interval)
				if a := b.Rules.Interval(&rs, series, Bucket{Start: start, End: end, Actual: y, Expected: p.Mean, Lower: p.Lower, Upper: p.Upper}); a != nil {
					b.Alert(a)
				}
				st.Interval = rs.stored()
			}
		}
	}
	if !known {
		b.Actual(actual)
		return b.Forecast.skip(st)
	}
	b.Actual(actual)
	kept := st.Plans[:0]
	for i := range st.Plans {
		p := &st.Plans[i]
		if start.Before(p.Start) {
			kept = append(kept, *p)
			continue
		}
		b.plan(p, start, y)
		if end.Before(p.End) {
			kept = append(kept, *p)
		}
	}
	clear(st.Plans[len(kept):])
	st.Plans = kept
	if series.Rate() {
		return b.Forecast.observeRate(st, y, count)
	}
	return b.Forecast.observe(st, y)
}

// plan adds the bucket from start, of actual y, to the period p and
// applies the projection rule. The period's forecast is frozen at its
// first bucket the model can forecast; the plan is phased over the
// buckets as that forecast spreads its total (the forecast gives the
// shape of the period, the plan its size), so that the projection
// measures the period against the plan and not the model against it.
func (b *Book) plan(p *schemas.KpiPeriod, start time.Time, y float64) {
	st := b.St
	end := start.Add(BucketSize)
	if len(p.Frozen) == 0 && warm(&st.Model) {
		m := toModel(&st.Model)
		n := int(p.End.Sub(start) / BucketSize)
		for h := 1; h <= n; h++ {
			f, err := b.Forecast.predict(st, m, h)
			if err != nil {
				break
			}
			p.Frozen, p.FrozenVar = append(p.Frozen, f.Level), append(p.FrozenVar, f.Noise)
		}
		p.FrozenFrom = start
	}
	p.Actual += y
	var rest, k float64
	var run pace
	if len(p.Frozen) > 0 {
		i := int(start.Sub(p.FrozenFrom) / BucketSize)
		if i < len(p.Frozen) {
			p.ElapsedForecast += p.Frozen[i]
			p.ElapsedActual += y
			p.ElapsedVar += p.FrozenVar[i]
		}
		var all float64
		for _, f := range p.Frozen {
			all += f
		}
		for _, f := range p.Frozen[min(i+1, len(p.Frozen)):] {
			rest += f
		}
		// The plan, less what came before the forecast was frozen, spread
		// over the frozen buckets as the forecast spreads its own total.
		if all > 0 {
			k = max(p.Expected-(p.Actual-p.ElapsedActual), 0) / all
		}
		run = pace{k * p.ElapsedForecast, p.ElapsedActual, k * p.ElapsedVar}
		if i < len(p.Frozen) {
			run = b.behind(p, i, y, k)
		}
	} else if end.Before(p.End) {
		return // nothing to project the buckets left with yet
	}
	if len(st.History) < b.Forecast.AlertAfter {
		return // the frozen forecast may not know the week the plan is phased over
	}
	rs := stateOf(p.Rule)
	a := b.Rules.Projection(&rs, b.series(), Progress{
		Start: p.Start, End: p.End, Bucket: start, Now: end, Plan: p.Expected, Actual: p.Actual, Rest: k * rest,
		Elapsed: run.forecast, ElapsedActual: run.actual, ElapsedVar: run.variance,
	})
	p.Rule = rs.stored()
	if a != nil {
		b.Alert(a)
	}
}

// pace is a run of a period's frozen buckets: the sums of their plans (the
// frozen forecasts scaled to the plan), actuals and noise variances.
type pace struct {
	forecast, actual, variance float64
}

// behind returns the run of the period's frozen buckets that ends with the
// bucket at index last, of actual y, and whose actual falls furthest
// behind its plan (the frozen forecast times k) in standard deviations of
// its noise: the buckets since a shortfall began, when one has. Runs start
// no earlier than the history reaches; with no run behind it is every
// bucket since the forecast was frozen. The earlier buckets' actuals are
// the last of the history, which does not hold y yet.
func (b *Book) behind(p *schemas.KpiPeriod, last int, y, k float64) pace {
	h := b.St.History
	whole := pace{k * p.ElapsedForecast, p.ElapsedActual, k * p.ElapsedVar}
	best, bestZ := whole, z(whole)
	var run pace
	for j := last; j >= 0 && last-j <= len(h); j-- {
		a := y
		if j < last {
			a = h[len(h)-(last-j)]
		}
		run.forecast += k * p.Frozen[j]
		run.actual += a
		run.variance += k * p.FrozenVar[j]
		if z := z(run); z > bestZ {
			best, bestZ = run, z
		}
	}
	return best
}

// z is how many standard deviations of its noise the actual of run falls
// behind its plan.
func z(run pace) float64 {
	if !(run.variance > 0) {
		return math.Inf(-1)
	}
	return (run.forecast - run.actual) / math.Sqrt(run.variance)
}

func stateOf(s schemas.KpiRuleState) State {
	return State{Open: s.Open, OpenedAt: s.OpenedAt, Abnormal: int(s.Abnormal), Normal: int(s.Normal)}
}

func (s State) stored() schemas.KpiRuleState {
	return schemas.KpiRuleState{Open: s.Open, OpenedAt: s.OpenedAt, Abnormal: int32(s.Abnormal), Normal: int32(s.Normal)}
}
