package kpi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/activa-dev/activa/internal/harness/harnesstest"
	"github.com/activa-dev/activa/processors/kpi"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/schemas/schematest"
)

type rig struct {
	t       *testing.T
	tt      *tester.Tester
	proc    *goka.Processor
	codecs  kpi.Codecs
	actuals *tester.QueueTracker
	alerts  *tester.QueueTracker
	dlq     *tester.QueueTracker
	erased  *tester.QueueTracker
	clock   *harnesstest.Clock
	base    time.Time
	seq     int
}

// newRig starts the processor on the tester with the defaults, changed by
// each option.
func newRig(t *testing.T, options ...func(*kpi.Config)) *rig {
	t.Helper()
	rc := schematest.Registry(t)
	c := kpi.Codecs{
		Resolved: schematest.Register[schemas.ResolvedEvent](t, rc, "resolved-value", schemas.ResolvedEventRecord),
		Plan:     schematest.Register[schemas.KpiForecast](t, rc, "plans-value", schemas.KpiForecastRecord),
		Actual:   schematest.Register[schemas.KpiActual](t, rc, "actuals-value", schemas.KpiActualRecord),
		Alert:    schematest.Register[schemas.KpiAlert](t, rc, "alerts-value", schemas.KpiAlertRecord),
		State:    schematest.Register[schemas.KpiState](t, rc, "kpi-table-value", schemas.KpiStateRecord),
		Message:  schematest.Register[schemas.KpiMessage](t, rc, "kpi-loop-value", schemas.KpiMessageRecord),
		Session:  schematest.Register[schemas.SessionSummary](t, rc, "sessions-value", schemas.SessionSummaryRecord),
		Erasure:  schematest.Register[schemas.ErasureConfirmation](t, rc, "erasures-value", schemas.ErasureConfirmationRecord),
	}
	clk := harnesstest.NewClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	cfg := kpi.DefaultConfig()
	cfg.Group = "kpi"
	cfg.Topics = kpi.Topics{Input: "resolved", Plans: "plans", Sessions: "sessions", Actuals: "actuals", Alerts: "alerts", Erasures: "erasures"}
	cfg.Codecs = c
	cfg.Partitions = 1
	cfg.Harness = harnesstest.Harness(t, rc, "kpi")
	cfg.Metrics = kpi.NewMetrics(nil)
	cfg.Now = clk.Now
	// Buckets close as the watermark passes them; TestBucketsWaitForTheGrace
	// and TestConversionBucketsWaitForTheSessionsGrace have a grace.
	cfg.Grace, cfg.SessionsGrace = 0, 0
	for _, o := range options {
		o(&cfg)
	}
	g, err := kpi.Define(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tt, proc := harnesstest.Start(t, g)
	return &rig{
		t: t, tt: tt, proc: proc, codecs: c, clock: clk,
		actuals: tt.NewQueueTracker("actuals"), alerts: tt.NewQueueTracker("alerts"), erased: tt.NewQueueTracker("erasures"), dlq: tt.NewQueueTracker(harnesstest.Deadletter),
		base: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC),
	}
}

// buy consumes a web purchase of profile at base+at and returns its id.
func (r *rig) buy(profile string, at time.Duration, value float64) string {
	r.t.Helper()
	r.seq++
	id := fmt.Sprintf("e-%04d", r.seq)
	r.send(profile, schemas.Event{EventID: id, TS: r.base.Add(at), Type: "purchase", Channel: "web", Category: "shoes", Value: value})
	return id
}

func (r *rig) send(profile string, ev schemas.Event) {
	r.t.Helper()
	b, err := r.codecs.Resolved.Encode(&schemas.ResolvedEvent{ProfileID: profile, Event: ev})
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume("resolved", profile, b)
}

// tick moves event time on with another profile's page view.
func (r *rig) tick(at time.Duration) {
	r.seq++
	r.send("p-clock", schemas.Event{EventID: fmt.Sprintf("e-%04d", r.seq), TS: r.base.Add(at), Type: "page_view", Channel: "web"})
}

// sweep runs the processor's sweep and what its loopback messages do.
func (r *rig) sweep() {
	r.t.Helper()
	if err := r.proc.VisitAll(r.t.Context(), kpi.SweepVisitor, nil); err != nil {
		r.t.Fatal(err)
	}
	r.tt.Catchup()
}

// closed returns the actuals published since the last call, by key.
func (r *rig) closed() map[string]*schemas.KpiActual {
	out := map[string]*schemas.KpiActual{}
	for {
		k, v, ok := r.actuals.Next()
		if !ok {
			return out
		}
		if _, dup := out[k]; dup {
			r.t.Fatalf("bucket %s published twice", k)
		}
		out[k] = v.(*schemas.KpiActual)
	}
}

// bucket is a closed bucket a test expects: its key on kpi.actuals, its
// actual and count.
type bucket struct {
	key    string
	actual float64
	count  int64
}

// wantBuckets fails t for each bucket of want missing from got or unlike it.
func wantBuckets(t *testing.T, got map[string]*schemas.KpiActual, want []bucket) {
	t.Helper()
	for _, c := range want {
		if a := got[c.key]; a == nil || a.Actual != c.actual || a.Count != c.count {
			t.Errorf("%s: got %+v, want actual %v over %d", c.key, a, c.actual, c.count)
		}
	}
}

func TestBucketsCloseWhenTheWatermarkPassesThemAndAPurchaseCountsOnce(t *testing.T) {
	r := newRig(t)
	id := r.buy("p-1", 10*time.Minute, 20)
	r.buy("p-2", 50*time.Minute, 5.5)
	// The same purchase resolved again (identity emitting it twice after
	// a crash) at another offset.
	r.send("p-1", schemas.Event{EventID: id, TS: r.base.Add(10 * time.Minute), Type: "purchase", Channel: "web", Category: "shoes", Value: 20})
	r.tick(64 * time.Minute) // watermark 08:59: nothing closes
	if got := r.closed(); len(got) != 0 {
		t.Fatalf("closed before the watermark passed the bucket: %v", got)
	}
	r.tick(2*time.Hour + 6*time.Minute) // watermark 10:01: 08:00 and 09:00 close
	got := r.closed()
	wantBuckets(t, got, []bucket{
		{"revenue|total||2026-11-02T08:00:00Z", 25.5, 2},
		{"orders|total||2026-11-02T08:00:00Z", 2, 2},
		{"revenue|channel|web|2026-11-02T08:00:00Z", 25.5, 2},
		{"orders|category|shoes|2026-11-02T08:00:00Z", 2, 2},
		{"revenue|total||2026-11-02T09:00:00Z", 0, 0},
		{"orders|category|shoes|2026-11-02T09:00:00Z", 0, 0},
	})
	if len(got) != 12 { // revenue and orders of total, web and shoes, for two hours
		t.Errorf("%d buckets closed, want 12: %v", len(got), got)
	}
	if dl := harnesstest.DeadLetters(r.dlq); len(dl) != 0 {
		t.Fatalf("dead letters: %+v", dl)
	}

	// A purchase for a closed bucket is too late: dead-lettered, counted
	// nowhere.
	late := r.buy("p-3", 30*time.Minute, 7)
	dl := harnesstest.DeadLetters(r.dlq)
	if len(dl) != 6 {
		t.Fatalf("%d dead letters for a late purchase in 6 series, want 6: %+v", len(dl), dl)
	}
	for _, d := range dl {
		if d.Reason != "too_late" || d.EventID != late || d.Stage != "kpi" {
			t.Errorf("dead letter %+v, want too_late for %s", d, late)
		}
	}
	r.tick(3*time.Hour + 6*time.Minute)
	if a := r.closed()["revenue|total||2026-11-02T10:00:00Z"]; a == nil || a.Actual != 0 {
		t.Errorf("10:00 bucket %+v, want an empty one", a)
	}
}

func TestEveryOpenBucketClosesOnceTheInputIsIdle(t *testing.T) {
	// A grace of 5 minutes: once every input is idle nothing is in flight,
	// and the last buckets close without it.
	r := newRig(t, func(c *kpi.Config) { c.Grace = 5 * time.Minute })
	r.buy("p-1", 10*time.Minute, 20)
	r.tick(5 * time.Hour) // watermark 12:55: 08:00 to 11:00 close after the grace
	r.buy("p-2", 5*time.Hour+10*time.Minute, 3)
	r.clock.Advance(5 * time.Minute)
	r.sweep()
	before := r.closed()
	if a := before["revenue|total||2026-11-02T08:00:00Z"]; a == nil || a.Actual != 20 {
		t.Fatalf("08:00 bucket %+v", a)
	}
	if a := before["revenue|total||2026-11-02T13:00:00Z"]; a != nil {
		t.Fatalf("the 13:00 bucket closed with the watermark at 12:55: %+v", a)
	}
	r.sweep()
	if got := r.closed(); len(got) != 0 {
		t.Fatalf("closed before the idle timeout: %v", got)
	}
	r.clock.Advance(kpi.DefaultConfig().IdleTimeout)
	r.sweep()
	got := r.closed()
	if a := got["revenue|total||2026-11-02T13:00:00Z"]; a == nil || a.Actual != 3 {
		t.Fatalf("13:00 bucket %+v after the idle timeout, want 3", a)
	}
	if len(got) != 6 {
		t.Errorf("%d buckets closed when idle, want the 6 series' 13:00 bucket: %v", len(got), got)
	}
}

func TestAPlanOfAnUnknownKPIOrAnUnalignedPeriodIsDeadLettered(t *testing.T) {
	r := newRig(t)
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for i, f := range []schemas.KpiForecast{
		{KPI: "margin", Dimension: kpi.Total, PeriodStart: day, PeriodEnd: day.Add(24 * time.Hour), Expected: 10},
		{KPI: kpi.Revenue, Dimension: kpi.Store, Value: "S-01", PeriodStart: day.Add(time.Minute), PeriodEnd: day.Add(24 * time.Hour), Expected: 10},
		{KPI: kpi.Revenue, Dimension: kpi.Total, Value: "x", PeriodStart: day, PeriodEnd: day.Add(24 * time.Hour), Expected: 10},
		{KPI: kpi.Orders, Dimension: kpi.Total, PeriodStart: day, PeriodEnd: day, Expected: 10},
	} {
		b, err := r.codecs.Plan.Encode(&f)
		if err != nil {
			t.Fatal(err)
		}
		r.tt.Consume("plans", fmt.Sprint("plan-", i), b)
	}
	if dl := harnesstest.DeadLetters(r.dlq); len(dl) != 4 {
		t.Fatalf("%d dead letters for 4 bad plans: %+v", len(dl), dl)
	}
}

// TestFiftySeriesFailingAtOnceRaiseOneAlertEachThroughTheProcessor runs
// 25 stores for two and a half days, then takes every one of them down
// for 5 hours and brings it back: each of the 50 series of the stores'
// revenue and orders opens one interval alert and resolves it once,
// however many buckets stay outside.
func TestFiftySeriesFailingAtOnceRaiseOneAlertEachThroughTheProcessor(t *testing.T) {
	r := newRig(t, func(c *kpi.Config) { c.Forecast.AlertAfter = 2 * c.Forecast.Daily })
	const stores, down, back, end = 25, 52, 57, 69 // hours from the start
	for h := range end {
		for s := range stores {
			n := 2 + int(uint32(h*2654435761+s*40503)>>7)%3 // 2 to 4 an hour, irregular
			if h >= down && h < back {
				n = 0
			}
			for i := range n {
				r.seq++
				at := time.Duration(h)*time.Hour + time.Duration(s*60+i)*time.Second
				r.send(fmt.Sprintf("p-%02d", s), schemas.Event{
					EventID: fmt.Sprintf("e-%06d", r.seq), TS: r.base.Add(at), Type: "store_purchase",
					Channel: "store", StoreID: fmt.Sprintf("S-%02d", s), Category: "shoes", Value: 10,
				})
			}
		}
	}
	r.tick(end*time.Hour + 6*time.Minute)
	opened, resolved := map[string]int{}, map[string]int{}
	var first, last time.Time
	for {
		_, v, ok := r.alerts.Next()
		if !ok {
			break
		}
		a := v.(*schemas.KpiAlert)
		if a.Dimension != kpi.Store {
			continue
		}
		k := kpi.Series{KPI: a.KPI, Dimension: a.Dimension, Value: a.Value}.Key() + "|" + a.Rule
		switch a.State {
		case kpi.Open:
			opened[k]++
			if first.IsZero() || a.TS.Before(first) {
				first = a.TS
			}
			if a.TS.After(last) {
				last = a.TS
			}
		case kpi.Resolved:
			resolved[k]++
		}
	}
	if len(opened) != 2*stores || len(resolved) != 2*stores {
		t.Fatalf("alerts opened on %d store series and resolved on %d, want %d each", len(opened), len(resolved), 2*stores)
	}
	for k, n := range opened {
		if n != 1 || resolved[k] != 1 || !strings.HasSuffix(k, "|"+kpi.RuleInterval) {
			t.Errorf("%s: opened %d times, resolved %d; want once each", k, n, resolved[k])
		}
	}
	// Within 3 buckets of the outage: sooner where the buckets before it
	// were already outside the interval.
	if from, to := r.base.Add((down+1)*time.Hour), r.base.Add((down+3)*time.Hour); first.Before(from) || last.After(to) {
		t.Errorf("alerts opened from %s to %s, want all from %s to %s", first, last, from, to)
	}
}

// TestBucketsWaitForTheGrace: with a grace, the buckets the watermark has
// passed close only once it has stood for the grace (wall clock), on the
// next sweep; a purchase still in flight until then counts.
func TestBucketsWaitForTheGrace(t *testing.T) {
	r := newRig(t, func(c *kpi.Config) { c.Grace = time.Minute })
	r.buy("p-1", 10*time.Minute, 20)
	r.tick(2*time.Hour + 6*time.Minute) // watermark 10:01
	r.buy("p-2", 20*time.Minute, 5)     // in flight through identity: event time ran ahead of it
	r.sweep()
	if got := r.closed(); len(got) != 0 {
		t.Fatalf("closed within the grace: %v", got)
	}
	r.clock.Advance(time.Minute)
	r.sweep()
	got := r.closed()
	if a := got["revenue|total||2026-11-02T08:00:00Z"]; a == nil || a.Actual != 25 || a.Count != 2 {
		t.Fatalf("08:00 bucket %+v after the grace, want both purchases", a)
	}
	if a := got["revenue|total||2026-11-02T09:00:00Z"]; a == nil || a.Actual != 0 {
		t.Errorf("09:00 bucket %+v after the grace, want an empty one", a)
	}
	if dl := harnesstest.DeadLetters(r.dlq); len(dl) != 0 {
		t.Errorf("dead letters: %+v", dl)
	}
}
