package kpi_test

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/activa-dev/activa/loadtest/gen"
	"github.com/activa-dev/activa/processors/kpi"
	"github.com/activa-dev/activa/schemas"
)

// genSessions generates cfg's population and cuts each person's events
// (known by the truth's owner of their identifiers) into sessions at
// inactivity gaps of more than gap: a plain sort-and-split, as the
// sessions processor would after identity. It returns the summaries in
// the order of their ends.
func genSessions(t *testing.T, cfg gen.Config, gap time.Duration) []*schemas.SessionSummary {
	t.Helper()
	type hit struct {
		ts        int64
		ids       []string
		channel   string
		purchased bool
	}
	var hits []hit
	truth := generate(t, cfg, func(line []byte) {
		var e struct {
			TS      time.Time         `json:"ts"`
			Type    string            `json:"type"`
			Channel string            `json:"channel"`
			IDs     map[string]string `json:"ids"`
		}
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		h := hit{ts: e.TS.UnixMilli(), channel: e.Channel, purchased: e.Type == "purchase" || e.Type == "store_purchase"}
		for k, v := range e.IDs {
			h.ids = append(h.ids, k+":"+v)
		}
		hits = append(hits, h)
	})
	byPerson := map[string][]hit{}
	for _, h := range hits {
		for _, id := range h.ids {
			if owners := truth.IdentifierOwner[id]; len(owners) == 1 {
				byPerson[owners[0]] = append(byPerson[owners[0]], h)
				break
			}
		}
	}
	var out []*schemas.SessionSummary
	for person, hs := range byPerson {
		slices.SortStableFunc(hs, func(a, b hit) int { return int(a.ts - b.ts) })
		var cur *schemas.SessionSummary
		for _, h := range hs {
			at := time.UnixMilli(h.ts).UTC()
			if cur == nil || at.Sub(cur.End) > gap {
				cur = &schemas.SessionSummary{ProfileID: person, SessionID: person + "/" + strconv.Itoa(len(out)), Start: at, Channel: h.channel}
				out = append(out, cur)
			}
			cur.End = at
			cur.EventCount++
			cur.Purchased = cur.Purchased || h.purchased
		}
	}
	slices.SortStableFunc(out, func(a, b *schemas.SessionSummary) int { return a.End.Compare(b.End) })
	return out
}

// TestConversionForecastIsCalibratedOnCleanSessions replays the sessions
// of 28 days of a gen population without shortfalls through the books of
// the conversion series, and reports and checks, over the hours with
// sessions after the first week, the 95% intervals' coverage (93% to
// 97%), the forecast against seasonal naive (MASE below 1), and alerts on
// these clean series (under 1 per series per 14 days of the rules).
// ACTIVA_KPI_CONVERSION_PROFILES (default 20,000) and ACTIVA_KPI_SEED
// change the population.
func TestConversionForecastIsCalibratedOnCleanSessions(t *testing.T) {
	if raceEnabled {
		t.Skip("the replay runs in make test's pass without the race detector")
	}
	cfg := population(t, "ACTIVA_KPI_CONVERSION_PROFILES", 20000)
	cfg.Shortfalls = 0
	sessions := genSessions(t, cfg, 30*time.Minute)
	feed := make([]fed, 0, len(sessions))
	for _, s := range sessions {
		feed = append(feed, fed{s.End, kpi.Session(s)})
	}
	end := cfg.Start.Add(time.Duration(cfg.Days) * 24 * time.Hour)
	out := replay(t, feed, nil, kpi.DefaultRules(), end.Add(time.Hour))
	if out.late != 0 {
		t.Fatalf("%d sessions refused as late in an ordered replay", out.late)
	}
	warmFrom := cfg.Start.Add(7 * 24 * time.Hour)
	var in, n int
	var mae, naive float64
	for s, acts := range out.actuals {
		var sIn, sN int
		for i, a := range acts {
			if !a.HasForecast || a.Count == 0 || a.BucketStart.Before(warmFrom) || !a.BucketEnd.Before(end) {
				continue
			}
			sN++
			if a.Actual >= a.Lower && a.Actual <= a.Upper {
				sIn++
			}
			if i >= 24 && acts[i-24].Count > 0 {
				mae += math.Abs(a.Actual - a.Expected)
				naive += math.Abs(a.Actual - acts[i-24].Actual)
			}
		}
		t.Logf("%s: %d buckets with sessions after the first week, %.2f%% inside the interval", s.Key(), sN, 100*float64(sIn)/float64(max(sN, 1)))
		in, n = in+sIn, n+sN
	}
	coverage := float64(in) / float64(n)
	t.Logf("%d sessions; 95%% intervals cover %d of %d buckets: %.2f%%; MASE against seasonal naive %.3f", len(sessions), in, n, 100*coverage, mae/naive)
	if coverage < 0.93 || coverage > 0.97 {
		t.Errorf("coverage %.4f, want 0.93 to 0.97", coverage)
	}
	if !(mae < naive) {
		t.Errorf("the forecast's absolute error %.3f is not below seasonal naive's %.3f", mae, naive)
	}
	for _, a := range out.alerts {
		if a.State == kpi.Open {
			t.Logf("alert: %s|%s|%s %s at %s", a.KPI, a.Dimension, a.Value, a.Rule, a.TS.Format("Mon 01-02 15:04"))
		}
	}
	days := float64(cfg.Days) - float64(kpi.DefaultForecasting().AlertAfter)/24
	opened := 0
	for _, a := range out.alerts {
		if a.State == kpi.Open {
			opened++
		}
	}
	if rate := float64(opened) / float64(len(out.actuals)) * 14 / days; rate >= 1 {
		t.Errorf("%d alerts on %d clean series: %.2f per series per 14 days, want under 1", opened, len(out.actuals), rate)
	}
}
