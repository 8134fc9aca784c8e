package kpi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// Rule names, as in KpiAlert.rule.
const (
	RuleInterval   = "interval"
	RuleProjection = "projection"
)

// Alert states, as in KpiAlert.state.
const (
	Open     = "open"
	Resolved = "resolved"
)

// Severities, from the least to the most severe.
const (
	Low      = "low"
	Medium   = "medium"
	High     = "high"
	Critical = "critical"
)

// Rules are the thresholds of the alert rules.
type Rules struct {
	// Consecutive is how many buckets in a row outside the interval open an
	// interval alert. Default 3.
	Consecutive int
	// ResolveAfter is how many buckets in a row back to normal resolve an
	// open alert. Default 2.
	ResolveAfter int
	// Shortfall is the share of the plan by which the projection must fall
	// short to open a projection alert. Default 0.10.
	Shortfall float64
	// MinRemaining is the share of the period that must be left for a
	// projection alert to open. Default 0.25.
	MinRemaining float64
	// Confidence is how many standard deviations of their noise the
	// elapsed buckets of a period must be behind their plan, and the period
	// short at a pace that much better, before the projection rule believes
	// the period short (see [Rules.Project]). Default 2.5.
	Confidence float64
}

// DefaultRules are the rules' defaults.
func DefaultRules() Rules {
	return Rules{Consecutive: 3, ResolveAfter: 2, Shortfall: 0.10, MinRemaining: 0.25, Confidence: 2.5}
}

// Validate reports the first threshold out of range.
func (r Rules) Validate() error {
	switch {
	case r.Consecutive < 1:
		return fmt.Errorf("kpi: consecutive buckets %d < 1", r.Consecutive)
	case r.ResolveAfter < 1:
		return fmt.Errorf("kpi: resolve-after buckets %d < 1", r.ResolveAfter)
	case !(r.Shortfall > 0 && r.Shortfall < 1):
		return fmt.Errorf("kpi: shortfall %v is not between 0 and 1", r.Shortfall)
	case !(r.MinRemaining >= 0 && r.MinRemaining < 1):
		return fmt.Errorf("kpi: minimum remaining share %v is not from 0 to below 1", r.MinRemaining)
	case !(r.Confidence >= 0) || math.IsInf(r.Confidence, 0):
		return fmt.Errorf("kpi: confidence %v is not a finite number of standard deviations", r.Confidence)
	}
	return nil
}

// Series names a KPI series.
type Series struct {
	KPI, Dimension, Value string
}

// Key is the series' part of the keys of kpi.actuals and kpi.alerts:
// kpi|dimension|value.
func (s Series) Key() string { return s.KPI + "|" + s.Dimension + "|" + s.Value }

// Rate reports whether the series is a rate (conversion: the share of the
// bucket's sessions that purchased) rather than a sum over its bucket.
func (s Series) Rate() bool { return s.KPI == Conversion }

// Bucket is a closed bucket of a series with the forecast the model made
// for it before it saw the bucket.
type Bucket struct {
	Start, End   time.Time
	Actual       float64
	Expected     float64
	Lower, Upper float64
}

// State is what the rules keep per series and rule between buckets.
type State struct {
	// Open tells whether an alert is open; OpenedAt is the start of the
	// bucket that opened it, which names the alert.
	Open     bool
	OpenedAt time.Time
	// Abnormal counts the buckets in a row that broke the rule, Normal
	// those in a row that did not.
	Abnormal, Normal int
}

// Interval applies the interval rule to the next closed bucket b of
// series and returns the alert to publish, or nil.
func (r Rules) Interval(st *State, series Series, b Bucket) *schemas.KpiAlert {
	if b.Actual < b.Lower || b.Actual > b.Upper {
		st.Abnormal++
		st.Normal = 0
	} else {
		st.Normal++
		st.Abnormal = 0
	}
	alert := func(state string) *schemas.KpiAlert {
		a := r.alert(st, series, RuleInterval, state, b.End)
		a.Expected, a.Actual, a.Lower, a.Upper = b.Expected, b.Actual, b.Lower, b.Upper
		a.BucketStart = b.Start
		a.Consecutive = int32(st.Abnormal)
		a.Severity = intervalSeverity(b)
		a.GapPct = gapPct(b.Actual, b.Expected)
		return a
	}
	switch {
	case !st.Open && st.Abnormal >= r.Consecutive:
		st.Open, st.OpenedAt = true, b.Start.Add(-time.Duration(st.Abnormal-1)*b.End.Sub(b.Start))
		a := alert(Open)
		a.Message = fmt.Sprintf("%s %s: actual %.4g %s the %.4g to %.4g interval for %d buckets in a row",
			series.Key(), b.Start.UTC().Format(time.RFC3339), b.Actual, side(b), b.Lower, b.Upper, st.Abnormal)
		return a
	case st.Open && st.Normal >= r.ResolveAfter:
		a := alert(Resolved)
		a.Message = fmt.Sprintf("%s: back within the interval for %d buckets", series.Key(), st.Normal)
		st.Open = false
		return a
	}
	return nil
}

// Progress is where a plan's period stands after a closed bucket.
type Progress struct {
	// Start and End bound the period; Bucket is the start of the last
	// closed bucket and Now its end.
	Start, End, Bucket, Now time.Time
	// Plan is the plan's expected total over the period.
	Plan float64
	// Actual is the total of the closed buckets so far.
	Actual float64
	// Rest is the plan for the buckets left, phased by the forecast frozen
	// at the start of the period.
	Rest float64
	// Elapsed is the plan, phased likewise, for the closed buckets since
	// the forecast was frozen, ElapsedActual their actual and ElapsedVar
	// the variance of that actual (the buckets' noise) were the plan met.
	// All zero while nothing is known of the period's pace.
	Elapsed, ElapsedActual, ElapsedVar float64
}

// Project returns the projected total of the period: the actual so far
// plus the plan for the buckets left at the pace of the elapsed buckets
// (their actual over their plan). Sure tells whether the period is short
// beyond its noise: the elapsed buckets are behind their plan by more than
// Confidence standard deviations of their noise, and even at a pace that
// much better the period would fall short of the plan by more than the
// threshold. Without elapsed buckets (Elapsed 0) the projection is the
// actual plus the rest, and sure: nothing is known of the pace to doubt
// it with.
func (r Rules) Project(p Progress) (projection float64, sure bool) {
	if !(p.Elapsed > 0) {
		return p.Actual + p.Rest, true
	}
	sd := r.Confidence * math.Sqrt(max(p.ElapsedVar, 0))
	projection = p.Actual + p.Rest*p.ElapsedActual/p.Elapsed
	optimistic := p.Actual + p.Rest*(p.ElapsedActual+sd)/p.Elapsed
	sure = p.Elapsed-p.ElapsedActual > sd && optimistic < (1-r.Shortfall)*p.Plan
	return projection, sure
}

// Projection applies the projection rule after a closed bucket of series
// and returns the alert to publish, or nil. A bucket breaks the rule when
// the projection of [Rules.Project] falls short of the plan by more than
// the threshold, surely: a shortfall that a series' noise could hide is
// not taken for one.
func (r Rules) Projection(st *State, series Series, p Progress) *schemas.KpiAlert {
	projection, sure := r.Project(p)
	gap, short := 0.0, 0.0
	if p.Plan > 0 {
		gap = (p.Plan - projection) / p.Plan
	}
	if sure {
		short = gap
	}
	left := p.End.Sub(p.Now)
	share := float64(left) / float64(p.End.Sub(p.Start))
	ended := !p.Now.Before(p.End)
	// Between half the threshold and the threshold a bucket counts neither
	// way, so that a projection on the threshold does not open and resolve
	// in turn.
	switch {
	case short > r.Shortfall:
		st.Abnormal++
		st.Normal = 0
	case short <= r.Shortfall/2:
		st.Normal++
		st.Abnormal = 0
	default:
		st.Abnormal, st.Normal = 0, 0
	}
	alert := func(state string) *schemas.KpiAlert {
		a := r.alert(st, series, RuleProjection, state, p.Now)
		a.Actual, a.Projection, a.Plan = p.Actual, projection, p.Plan
		a.GapPct = 100 * gap
		a.PeriodStart, a.PeriodEnd, a.BucketStart = p.Start, p.End, p.Bucket
		a.TimeLeftMS = max(left, 0).Milliseconds()
		a.Severity = r.projectionSeverity(short, share)
		return a
	}
	switch {
	case !st.Open && short > r.Shortfall && share >= r.MinRemaining && !ended:
		st.Open, st.OpenedAt = true, p.Now
		a := alert(Open)
		a.Message = fmt.Sprintf("%s: projected %.4g for the period to %s, %.1f%% short of the plan of %.4g, with %.0f%% of the period left",
			series.Key(), projection, p.End.UTC().Format(time.RFC3339), 100*gap, p.Plan, 100*share)
		return a
	case st.Open && ended:
		a := alert(Resolved)
		a.Message = fmt.Sprintf("%s: the period ended at %.4g against the plan of %.4g (%+.1f%%)",
			series.Key(), p.Actual, p.Plan, -100*gap)
		*st = State{}
		return a
	case ended:
		*st = State{}
		return nil
	case st.Open && st.Normal >= r.ResolveAfter:
		a := alert(Resolved)
		a.Message = fmt.Sprintf("%s: projected %.4g, back within %.1f%% of the plan for %d buckets",
			series.Key(), projection, 50*r.Shortfall, st.Normal)
		st.Open = false
		return a
	}
	return nil
}

// alert returns the common fields of an alert of series and rule, at event
// time at; the id names the alert by the bucket that opened it, so that
// its open and its resolve records, and the same decision taken again,
// share it.
func (r Rules) alert(st *State, series Series, rule, state string, at time.Time) *schemas.KpiAlert {
	sum := sha256.Sum256([]byte(series.Key() + "|" + rule + "|" + st.OpenedAt.UTC().Format(time.RFC3339)))
	return &schemas.KpiAlert{
		AlertID: hex.EncodeToString(sum[:12]), KPI: series.KPI, Dimension: series.Dimension, Value: series.Value,
		Rule: rule, State: state, TS: at,
	}
}

// projectionSeverity grades a shortfall in multiples of the threshold,
// counted half as large again once less than half the period is left.
func (r Rules) projectionSeverity(short, left float64) string {
	x := short / r.Shortfall
	if left < 0.5 {
		x *= 1.5
	}
	return grade(x)
}

// intervalSeverity grades the distance of the actual outside the interval
// in multiples of the interval's half width.
func intervalSeverity(b Bucket) string {
	half := (b.Upper - b.Lower) / 2
	if half <= 0 {
		return Critical
	}
	return grade(1 + math.Max(b.Lower-b.Actual, b.Actual-b.Upper)/half)
}

// grade maps a size in multiples of its threshold onto a severity.
func grade(x float64) string {
	switch {
	case x >= 4:
		return Critical
	case x >= 2.5:
		return High
	case x >= 1.5:
		return Medium
	}
	return Low
}

func side(b Bucket) string {
	if b.Actual < b.Lower {
		return "below"
	}
	return "above"
}

// gapPct is the actual's shortfall against the expected value in percent
// of it, positive when behind.
func gapPct(actual, expected float64) float64 {
	if expected == 0 {
		return 0
	}
	return 100 * (expected - actual) / expected
}
