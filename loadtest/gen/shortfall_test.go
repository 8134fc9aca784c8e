package gen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

// shortfallSeed selects the run of TestShortfallsAreVisible.
const shortfallSeed = 3

// purchase is what a KPI stage reads of a purchase line.
type purchase struct {
	TS       time.Time `json:"ts"`
	Type     string    `json:"type"`
	Channel  string    `json:"channel"`
	Category string    `json:"category"`
	StoreID  string    `json:"store_id"`
	Value    float64   `json:"value"`
}

func (p *purchase) in(s Shortfall) bool {
	switch s.Dimension {
	case DimensionStore:
		return p.StoreID == s.Value
	case DimensionChannel:
		return p.Channel == s.Value
	default:
		return p.Category == s.Value
	}
}

// purchases reads the purchase lines of a run, malformed ones left out.
func purchases(t *testing.T, data []byte, malformed []Malformed) []purchase {
	t.Helper()
	bad := map[int]bool{}
	for _, m := range malformed {
		bad[m.Line] = true
	}
	var out []purchase
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		l := sc.Bytes()
		if bad[n] || !bytes.Contains(l, []byte(`"type":"purchase"`)) && !bytes.Contains(l, []byte(`"type":"store_purchase"`)) {
			continue
		}
		var p purchase
		if err := json.Unmarshal(l, &p); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		out = append(out, p)
	}
	return out
}

// revenue sums the purchases of a series from start to end.
func revenue(ps []purchase, s Shortfall, start, end time.Time) float64 {
	var sum float64
	for i := range ps {
		p := &ps[i]
		if p.in(s) && !p.TS.Before(start) && p.TS.Before(end) {
			sum += p.Value
		}
	}
	return sum
}

func TestShortfallsAreVisible(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Profiles = 8000
	cfg.Seed = shortfallSeed
	var buf bytes.Buffer
	var truth Truth
	if _, err := Generate(cfg, &buf, &truth); err != nil {
		t.Fatal(err)
	}
	ps := purchases(t, buf.Bytes(), truth.Malformed)
	if len(truth.Shortfalls) != 4 {
		t.Fatalf("%d shortfalls planted", len(truth.Shortfalls))
	}
	week := 7 * 24 * time.Hour
	for i, s := range truth.Shortfalls {
		if s.Drop < 0.3 || s.Drop > 0.5 || s.End.Sub(s.Start) < 24*time.Hour || s.End.Sub(s.Start) > 72*time.Hour ||
			!s.Start.Equal(s.Start.Truncate(time.Hour)) || s.Start.Before(truth.Start.Add(week)) || s.End.After(truth.End) ||
			i > 0 && s.Start.Before(truth.Shortfalls[i-1].End) {
			t.Errorf("shortfall %+v out of its bounds", s)
		}
		got := revenue(ps, s, s.Start, s.End)
		if math.Abs(got-s.Revenue) > 0.01 {
			t.Errorf("%s=%s: %.2f EUR in the window, truth says %.2f", s.Dimension, s.Value, got, s.Revenue)
		}
		// Against what the series would have had: the drop planted.
		if drop := s.LostRevenue / (s.Revenue + s.LostRevenue); drop < s.Drop-0.12 || drop > s.Drop+0.12 {
			t.Errorf("%s=%s: %.0f EUR kept, %.0f lost, a drop of %.2f, planned %.2f", s.Dimension, s.Value, s.Revenue, s.LostRevenue, drop, s.Drop)
		}
		// Against the same hours of the week before, as a forecast sees it.
		// Series of 8,000 persons vary by up to about 25% from week to week
		// on their own, hence the margin.
		before := revenue(ps, s, s.Start.Add(-week), s.End.Add(-week))
		if ratio := got / before; ratio > 0.85 {
			t.Errorf("%s=%s: revenue %.0f against %.0f the week before (%.2f), planted drop %.2f", s.Dimension, s.Value, got, before, ratio, s.Drop)
		}
		t.Logf("%s=%s %s..%s drop %.2f: %.0f EUR, %.0f lost, %.0f a week before",
			s.Dimension, s.Value, s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339), s.Drop, got, s.LostRevenue, before)
	}
}

// TestShortfallsOnlySuppress checks that planting shortfalls removes
// purchases in their windows and changes nothing else.
func TestShortfallsOnlySuppress(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Profiles, cfg.Days, cfg.Shortfalls, cfg.MalformedShare = 2000, 4, 3, 0
	run := func(cfg Config) ([][]byte, Stats, *Truth) {
		var buf bytes.Buffer
		var truth Truth
		st, err := Generate(cfg, &buf, &truth)
		if err != nil {
			t.Fatal(err)
		}
		var lines [][]byte
		for _, l := range bytes.SplitAfter(buf.Bytes(), []byte("\n")) {
			if len(l) > 0 {
				lines = append(lines, l[bytes.IndexByte(l, ','):]) // without the event id
			}
		}
		return lines, st, &truth
	}
	with, st, truth := run(cfg)
	cfg.Shortfalls = 0
	without, _, _ := run(cfg)
	if st.Suppressed == 0 || len(without)-len(with) != st.Suppressed {
		t.Fatalf("%d lines with shortfalls, %d without, %d suppressed", len(with), len(without), st.Suppressed)
	}
	var lost int
	for _, s := range truth.Shortfalls {
		lost += s.LostOrders
	}
	if lost != st.Suppressed {
		t.Errorf("truth loses %d orders, stats %d", lost, st.Suppressed)
	}
	i := 0
	for _, l := range without {
		if i < len(with) && bytes.Equal(l, with[i]) {
			i++
			continue
		}
		var p purchase
		if err := json.Unmarshal(append([]byte(`{"x":0`), l...), &p); err != nil {
			t.Fatal(err)
		}
		in := false
		for _, s := range truth.Shortfalls {
			in = in || p.in(s) && !p.TS.Before(s.Start) && p.TS.Before(s.End)
		}
		if !in || p.Type != "purchase" && p.Type != "store_purchase" {
			t.Fatalf("line missing with shortfalls is no purchase of a shortfall: %s", l)
		}
	}
	if i != len(with) {
		t.Errorf("%d lines with shortfalls do not match", len(with)-i)
	}
}
