package kpi_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/activa-dev/activa/internal/harness/harnesstest"
	"github.com/activa-dev/activa/processors/kpi"
	"github.com/activa-dev/activa/schemas"
)

// session consumes the summary of profile's session id, of channel,
// ending at base+end, and returns it.
func (r *rig) session(profile, id, channel string, end time.Duration, purchased bool) *schemas.SessionSummary {
	r.t.Helper()
	s := &schemas.SessionSummary{
		ProfileID: profile, SessionID: id, Start: r.base.Add(end - 10*time.Minute), End: r.base.Add(end),
		EventCount: 3, Channel: channel, Purchased: purchased, ClosedBy: "gap", LastEventID: "e-" + id,
	}
	r.consumeSession(s)
	return s
}

func (r *rig) consumeSession(s *schemas.SessionSummary) {
	r.t.Helper()
	b, err := r.codecs.Session.Encode(s)
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume("sessions", s.ProfileID, b)
}

// TestConversionIsPurchasingSessionsOverSessions: the conversion of an
// hour is the share of the sessions ending in it that purchased, in total
// and per channel; a summary written twice counts once; the buckets close
// by the event time of sessions.closed, not of purchases; an hour with no
// session closes with a count of 0.
func TestConversionIsPurchasingSessionsOverSessions(t *testing.T) {
	r := newRig(t)
	r.session("p-1", "s-1", "web", 5*time.Minute, true)
	r.session("p-2", "s-2", "web", 20*time.Minute, false)
	twice := r.session("p-3", "s-3", "web", 30*time.Minute, false)
	r.session("p-4", "s-4", "web", 40*time.Minute, false)
	r.session("p-5", "s-5", "app", 50*time.Minute, true)
	r.consumeSession(twice) // written again by the sessions processor after a crash
	r.tick(5 * time.Hour)   // the purchases' watermark passes 08:00 and 09:00
	if got := r.closed(); len(got) != 0 {
		t.Fatalf("conversion closed by the purchases' event time: %v", got)
	}
	r.session("p-6", "s-6", "web", 2*time.Hour+6*time.Minute, false) // the sessions' watermark: 10:01
	got := r.closed()
	wantBuckets(t, got, []bucket{
		{"conversion|total||2026-11-02T08:00:00Z", 0.4, 5},
		{"conversion|channel|web|2026-11-02T08:00:00Z", 0.25, 4},
		{"conversion|channel|app|2026-11-02T08:00:00Z", 1, 1},
		{"conversion|total||2026-11-02T09:00:00Z", 0, 0},
		{"conversion|channel|web|2026-11-02T09:00:00Z", 0, 0},
	})
	if len(got) != 6 { // total, web and app for two hours
		t.Errorf("%d buckets closed, want 6: %v", len(got), got)
	}
	if dl := harnesstest.DeadLetters(r.dlq); len(dl) != 0 {
		t.Errorf("dead letters: %+v", dl)
	}
}

// TestALateOrInvalidSessionIsDeadLettered: a summary whose hour has closed
// is dead-lettered as too late, one without an id as invalid.
func TestALateOrInvalidSessionIsDeadLettered(t *testing.T) {
	r := newRig(t)
	r.session("p-1", "s-1", "web", 5*time.Minute, true)
	r.session("p-2", "s-2", "web", 2*time.Hour+6*time.Minute, false) // 08:00 and 09:00 close
	r.closed()
	r.session("p-3", "s-3", "web", 50*time.Minute, true)
	r.consumeSession(&schemas.SessionSummary{ProfileID: "p-4", End: r.base, Channel: "web"})
	dl := harnesstest.DeadLetters(r.dlq)
	reasons := map[string]int{}
	for _, d := range dl {
		reasons[d.Reason]++
	}
	// Too late for the total and for the channel.
	if len(dl) != 3 || reasons["too_late"] != 2 || reasons["invalid"] != 1 {
		t.Fatalf("dead letters %+v, want 2 too late and 1 invalid", dl)
	}
}

// TestConversionBucketsWaitForTheSessionsGrace: the sessions processor
// holds a session it may close for its grace and until its next sweep,
// so summaries arrive out of the order of their ends; the conversion
// buckets wait for the sessions' grace, wall clock, after the watermark of
// sessions.closed has passed them.
func TestConversionBucketsWaitForTheSessionsGrace(t *testing.T) {
	r := newRig(t, func(c *kpi.Config) { c.SessionsGrace = 2 * time.Minute })
	r.session("p-1", "s-1", "web", 5*time.Minute, true)
	r.session("p-2", "s-2", "web", 2*time.Hour+6*time.Minute, false) // watermark 10:01
	r.clock.Advance(time.Minute)
	r.session("p-3", "s-3", "web", 40*time.Minute, false) // held by the sessions' sweep
	r.sweep()
	if got := r.closed(); len(got) != 0 {
		t.Fatalf("closed within the grace: %v", got)
	}
	r.clock.Advance(time.Minute)
	r.sweep()
	got := r.closed()
	if a := got["conversion|total||2026-11-02T08:00:00Z"]; a == nil || a.Actual != 0.5 || a.Count != 2 {
		t.Fatalf("08:00 bucket %+v after the grace, want 1 of 2 sessions", a)
	}
	if dl := harnesstest.DeadLetters(r.dlq); len(dl) != 0 {
		t.Errorf("dead letters: %+v", dl)
	}
}

// TestAConversionPlanIsDeadLettered: plans are followed for sums; a plan of
// a rate is refused, with the reason, rather than ignored.
func TestAConversionPlanIsDeadLettered(t *testing.T) {
	r := newRig(t)
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	b, err := r.codecs.Plan.Encode(&schemas.KpiForecast{KPI: kpi.Conversion, Dimension: kpi.Total, PeriodStart: day, PeriodEnd: day.Add(24 * time.Hour), Expected: 0.03})
	if err != nil {
		t.Fatal(err)
	}
	r.tt.Consume("plans", "conversion|total||"+day.Format(time.RFC3339), b)
	dl := harnesstest.DeadLetters(r.dlq)
	if len(dl) != 1 || dl[0].Reason != "invalid" {
		t.Fatalf("dead letters %+v, want the plan as invalid", dl)
	}
	if !strings.Contains(dl[0].Error, "plans are followed for revenue and orders") {
		t.Errorf("dead letter says %q, not which plans are followed", dl[0].Error)
	}
}

// TestARateIntervalIsAsWideAsItsSessionsMakeIt feeds a conversion series
// for three weeks with hours of very different numbers of sessions (60 at
// night, two thousand in the day) converting at a steady daily pattern:
// the 95% intervals cover about 95% of the quiet hours and of the busy
// ones alike (within three standard deviations of a coverage measured on
// that many buckets), because a rate's sampling noise shrinks with its
// sessions; with one variance for all hours the quiet ones would leave
// their interval far more often than the busy ones.
func TestARateIntervalIsAsWideAsItsSessionsMakeIt(t *testing.T) {
	f := kpi.DefaultForecasting()
	var actuals []*schemas.KpiActual
	b := &kpi.Book{
		St: &schemas.KpiState{KPI: kpi.Conversion, Dimension: kpi.Total}, Rules: kpi.DefaultRules(), Forecast: f,
		Actual: func(a *schemas.KpiActual) { actuals = append(actuals, a) },
		Alert:  func(*schemas.KpiAlert) {},
	}
	rng := rand.New(rand.NewPCG(7, 11))
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	const hours = 21 * 24
	var offset int64
	for h := range hours {
		at := start.Add(time.Duration(h) * time.Hour)
		hour := at.Hour()
		n := 60
		if hour >= 9 && hour < 23 {
			n = 2000
		}
		p := 0.03 + 0.01*math.Sin(2*math.Pi*float64(hour)/24)
		for range n {
			offset++
			won := 0.0
			if rng.Float64() < p {
				won = 1
			}
			b.Add("s0", offset, at.Add(time.Minute), won)
		}
		if err := b.Advance(at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	var in, all [2]int // quiet, busy
	for _, a := range actuals[7*24:] {
		if !a.HasForecast {
			t.Fatalf("no forecast for %s after a week", a.BucketStart)
		}
		k := 0
		if a.Count > 100 {
			k = 1
		}
		all[k]++
		if a.Actual >= a.Lower && a.Actual <= a.Upper {
			in[k]++
		}
	}
	for k, name := range []string{"quiet", "busy"} {
		c := float64(in[k]) / float64(all[k])
		sd := math.Sqrt(0.95 * 0.05 / float64(all[k]))
		t.Logf("%s hours: %d of %d inside the interval (%.1f%%)", name, in[k], all[k], 100*c)
		if math.Abs(c-0.95) > 3*sd {
			t.Errorf("%s hours: coverage %.3f, want 0.95 within %.3f", name, c, 3*sd)
		}
	}
}
