package console

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// coords returns the points of SVG path data, in order.
func coords(t *testing.T, d string) [][2]float64 {
	t.Helper()
	var out [][2]float64
	for _, m := range regexp.MustCompile(`(-?[\d.]+),(-?[\d.]+)`).FindAllStringSubmatch(d, -1) {
		x, err1 := strconv.ParseFloat(m[1], 64)
		y, err2 := strconv.ParseFloat(m[2], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("path %q", d)
		}
		out = append(out, [2]float64{x, y})
	}
	return out
}

func TestChartDrawsActualsForecastAndInterval(t *testing.T) {
	pts := []Point{
		{Start: at(0, 0), Actual: 10},
		{Start: at(1, 0), Actual: 20, HasForecast: true, Expected: 18, Lower: 12, Upper: 24},
		{Start: at(2, 0), Actual: 5, HasForecast: true, Expected: 19, Lower: 13, Upper: 25},
		{Start: at(4, 0), Actual: 40}, // an hour missing, and no forecast
		{Start: at(5, 0), Actual: 30, HasForecast: true, Expected: 30, Lower: 20, Upper: 50},
	}
	c, ok := chart(pts, at(2, 0), 600, 150)
	if !ok {
		t.Fatal("no chart of five points")
	}
	actual := coords(t, c.Actual)
	if len(actual) != 5 || !strings.HasPrefix(c.Actual, "M") || strings.Count(c.Actual, "M") != 1 {
		t.Fatalf("actual path %q", c.Actual)
	}
	// x by time: the missing hour leaves a gap twice as wide.
	step := actual[1][0] - actual[0][0]
	if actual[0][0] != c.Left || actual[4][0] != c.Right || abs(actual[3][0]-actual[2][0]-2*step) > 0.2 {
		t.Errorf("x of the buckets %v between %v and %v", actual, c.Left, c.Right)
	}
	// y grows down from 0 at the bottom to the top value (upper 50) at the top.
	if actual[3][1] >= actual[4][1] || actual[2][1] <= actual[0][1] || c.Low != "0" || c.High != "50.0" {
		t.Errorf("y of the actuals %v, axis %s to %s", actual, c.Low, c.High)
	}
	if top := coords(t, c.Band); len(top) != 6 || strings.Count(c.Band, "M") != 2 || strings.Count(c.Band, "Z") != 2 {
		t.Errorf("band %q: want one run of two buckets and one of one", c.Band)
	}
	if strings.Count(c.Forecast, "M") != 2 || len(coords(t, c.Forecast)) != 3 {
		t.Errorf("forecast %q: want two runs", c.Forecast)
	}
	if !c.Marked || c.MarkX != actual[2][0] {
		t.Errorf("mark at %v (%v), want the third bucket at %v", c.MarkX, c.Marked, actual[2][0])
	}
	if c, _ := chart(pts, at(7, 0), 600, 150); c.Marked {
		t.Error("a bucket after the chart was marked")
	}
	if _, ok := chart(nil, at(0, 0), 600, 150); ok {
		t.Error("a chart of nothing")
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
