package console

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Chart is an SVG line chart of a KPI series, ready for the page's
// template: the actual of every bucket, the forecast made for it and its
// prediction interval as a band, and a mark at the bucket that raised the
// alert. Coordinates are in a W by H view box; paths are SVG path data.
type Chart struct {
	W, H     int
	Actual   string
	Forecast string
	Band     string
	// MarkX is the x of the alert's bucket; Marked is false when that
	// bucket is outside the chart.
	MarkX  float64
	Marked bool
	// Labels of the axes: the lowest and highest value, the first and
	// last bucket.
	Low, High, From, To string
	// Left, Right, Top and Bottom bound the plotting area; LabelX and
	// LabelY place the axis labels.
	Left, Right, Top, Bottom, LabelX, LabelY float64
}

// Size of an alert's chart, in view box units.
const chartW, chartH = 640, 160

// alertChart is the chart of an open alert's series, or nil when there is
// no bucket to draw.
func alertChart(a Alert) *Chart {
	c, ok := chart(a.Series, a.BucketStart, chartW, chartH)
	if !ok {
		return nil
	}
	return &c
}

// chart lays out the points (oldest first) in a w by h view box, marking
// the bucket that starts at mark. It returns false when there is nothing
// to draw.
func chart(pts []Point, mark time.Time, w, h int) (Chart, bool) {
	if len(pts) == 0 {
		return Chart{}, false
	}
	c := Chart{W: w, H: h, Left: 48, Right: float64(w) - 8, Top: 8, Bottom: float64(h) - 18, LabelX: 44, LabelY: float64(h) - 4}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		lo, hi = math.Min(lo, p.Actual), math.Max(hi, p.Actual)
		if p.HasForecast {
			lo, hi = math.Min(lo, math.Min(p.Lower, p.Expected)), math.Max(hi, math.Max(p.Upper, p.Expected))
		}
	}
	if lo >= 0 {
		lo = 0 // sums and rates: the axis starts at nothing
	}
	if hi <= lo {
		hi = lo + 1
	}
	t0, t1 := pts[0].Start, pts[len(pts)-1].Start
	span := max(t1.Sub(t0), time.Hour)
	x := func(t time.Time) float64 { return c.Left + (c.Right-c.Left)*float64(t.Sub(t0))/float64(span) }
	y := func(v float64) float64 { return c.Bottom - (c.Bottom-c.Top)*(v-lo)/(hi-lo) }
	var actual, forecast, band strings.Builder
	var upper, lower []string // the band of the current run of forecasts
	flush := func() {
		if len(upper) > 0 {
			fmt.Fprintf(&band, "M%sL%sZ", strings.Join(upper, "L"), strings.Join(lower, "L"))
		}
		upper, lower = upper[:0], lower[:0]
	}
	for i, p := range pts {
		px := x(p.Start)
		fmt.Fprintf(&actual, "%s%.1f,%.1f", moveOrLine(i == 0), px, y(p.Actual))
		if !p.HasForecast {
			flush()
			continue
		}
		fmt.Fprintf(&forecast, "%s%.1f,%.1f", moveOrLine(len(upper) == 0), px, y(p.Expected))
		upper = append(upper, fmt.Sprintf("%.1f,%.1f", px, y(p.Upper)))
		lower = append([]string{fmt.Sprintf("%.1f,%.1f", px, y(p.Lower))}, lower...)
	}
	flush()
	c.Actual, c.Forecast, c.Band = actual.String(), forecast.String(), band.String()
	if !mark.Before(t0) && !mark.After(t1) {
		c.MarkX, c.Marked = x(mark), true
	}
	c.Low, c.High = number(lo), number(hi)
	c.From, c.To = t0.UTC().Format("Jan 2 15:04"), t1.UTC().Format("Jan 2 15:04")
	return c, true
}

// moveOrLine starts a new stroke of a path, or continues it.
func moveOrLine(start bool) string {
	if start {
		return "M"
	}
	return "L"
}

// number formats an axis label compactly.
func number(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}
