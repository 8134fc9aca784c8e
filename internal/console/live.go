package console

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// Change is a segment change and the time its record was written.
type Change struct {
	At time.Time `json:"at"`
	schemas.SegmentChange
}

// Point is one hourly bucket of a KPI series: its actual and, once the
// series has a model, the forecast made for it and its interval.
type Point struct {
	Start       time.Time `json:"start"`
	Actual      float64   `json:"actual"`
	HasForecast bool      `json:"has_forecast"`
	Expected    float64   `json:"expected"`
	Lower       float64   `json:"lower"`
	Upper       float64   `json:"upper"`
}

// Alert is an open KPI alert with the latest buckets of its series.
type Alert struct {
	schemas.KpiAlert
	Series []Point `json:"series"`
}

// Live keeps what the console shows as it happens: the latest segment
// changes, the open KPI alerts and the recent buckets of every KPI series.
// The caller feeds it from segment.changes, kpi.alerts and kpi.actuals; it
// is safe for concurrent use.
type Live struct {
	mu      sync.Mutex
	changes []Change // the newest, oldest first
	keep    int
	alerts  map[string]schemas.KpiAlert // open alerts by record key
	series  map[string][]Point          // by kpi|dimension|value, oldest first
	buckets int
}

// NewLive returns a Live that keeps the changes latest segment changes and
// the buckets latest buckets of each KPI series.
func NewLive(changes, buckets int) *Live {
	return &Live{keep: max(changes, 1), buckets: max(buckets, 1), alerts: map[string]schemas.KpiAlert{}, series: map[string][]Point{}}
}

// AddChange records a segment change written at at; only the newest are
// kept, whatever the order they come in.
func (l *Live) AddChange(at time.Time, c *schemas.SegmentChange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i, _ := slices.BinarySearchFunc(l.changes, at, func(x Change, t time.Time) int { return x.At.Compare(t) })
	if len(l.changes) == l.keep {
		if i == 0 {
			return // older than every change kept
		}
		l.changes = slices.Delete(l.changes, 0, 1)
		i--
	}
	l.changes = slices.Insert(l.changes, i, Change{At: at, SegmentChange: *c})
}

// Changes returns the changes kept, newest first.
func (l *Live) Changes() []Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := slices.Clone(l.changes)
	slices.Reverse(out)
	return out
}

// AddAlert records the latest record of an alert (key is its kpi.alerts
// key): an open alert is shown until its resolved record or a tombstone
// (nil) comes.
func (l *Live) AddAlert(key string, a *schemas.KpiAlert) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a == nil || a.State != "open" {
		delete(l.alerts, key)
		return
	}
	l.alerts[key] = *a
}

// AddActual records a bucket of a KPI series; a later record of the same
// bucket replaces it.
func (l *Live) AddActual(a *schemas.KpiActual) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := seriesKey(a.KPI, a.Dimension, a.Value)
	pts := l.series[key]
	p := Point{Start: a.BucketStart, Actual: a.Actual, HasForecast: a.HasForecast, Expected: a.Expected, Lower: a.Lower, Upper: a.Upper}
	i, found := slices.BinarySearchFunc(pts, p.Start, func(x Point, t time.Time) int { return x.Start.Compare(t) })
	switch {
	case found:
		pts[i] = p
	case len(pts) == l.buckets && i == 0:
		return // older than every bucket kept
	default:
		pts = slices.Insert(pts, i, p)
		if len(pts) > l.buckets {
			pts = slices.Delete(pts, 0, len(pts)-l.buckets)
		}
	}
	l.series[key] = pts
}

// Alerts returns the open alerts, the most severe first, then the newest,
// each with the latest buckets of its series.
func (l *Live) Alerts() []Alert {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Alert, 0, len(l.alerts))
	for _, a := range l.alerts {
		out = append(out, Alert{KpiAlert: a, Series: slices.Clone(l.series[seriesKey(a.KPI, a.Dimension, a.Value)])})
	}
	slices.SortFunc(out, func(x, y Alert) int {
		return cmp.Or(severity(y.Severity)-severity(x.Severity), y.TS.Compare(x.TS), cmp.Compare(x.AlertID, y.AlertID))
	})
	return out
}

// seriesKey names a KPI series as kpi.alerts and kpi.actuals keys do.
func seriesKey(kpi, dimension, value string) string {
	return kpi + "|" + dimension + "|" + value
}

// severity ranks an alert's severity; an unknown one ranks lowest.
func severity(s string) int {
	return slices.Index([]string{"low", "medium", "high", "critical"}, s)
}
