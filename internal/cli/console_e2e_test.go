package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/internal/console"
	"github.com/activa-dev/activa/internal/obs"
	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/loadtest/gen"
	"github.com/activa-dev/activa/processors/segments"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// consoleRun is a generated population replayed through every processor
// until they are quiet, and the console served over the tables on
// loopback as `activa run --http` serves it.
type consoleRun struct {
	p      *pipeline
	truth  *gen.Truth
	base   string // http://127.0.0.1:port
	states map[string]*schemas.SegmentState
}

// startConsoleRun replays a population of profiles over days, waits for
// the processors to settle, serves the console and waits until it is
// ready.
func startConsoleRun(t testing.TB, profiles, days int) *consoleRun {
	t.Helper()
	path, truth := populationB(t, profiles, days)
	p := startPipelineB(t)
	const idle, sweep = 3 * time.Second, time.Second
	p.c.s.SessionIdleTimeout, p.c.s.SweepEvery = idle, sweep
	p.c.s.SegmentSeedPoints = min(2000, profiles/2) // a small population seeds the clusters
	p.c.s.HashKey = demoHashKey
	p.start()
	p.replay(path)
	p.settle(idle, sweep)
	// The server and the views stop when wait cancels their context.
	ctx := context.Background()
	at, wait, err := p.a.serveConsole(ctx, p.c, p.codecs, "127.0.0.1:0", p.state, obs.NewRegistry(), &obs.Health{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wait)
	r := &consoleRun{p: p, truth: truth, base: "http://" + at, states: map[string]*schemas.SegmentState{}}
	if err := readTable(ctx, p.c, p.codecs, topology.SegmentsTable, r.states); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		code, body := r.get(t, "/api/segments")
		if code == http.StatusOK {
			break
		}
		if code != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("the console is not ready: %d %s", code, body)
		}
	}
	return r
}

// get returns the status and body of a GET of path.
func (r *consoleRun) get(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(r.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// profile asks the API for an identifier.
func (r *consoleRun) profile(t testing.TB, id string) (int, console.Profile) {
	t.Helper()
	code, body := r.get(t, "/api/profiles/"+url.PathEscape(id))
	var p console.Profile
	if code == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("GET %s: %v: %s", id, err, body)
		}
	}
	return code, p
}

// TestConsoleAnswersFromTheTables replays a population through every
// processor, serves the console over the tables, and checks that the
// profile API answers every profile of the segments table, by its id and
// by each of its identifiers (raw e-mail addresses too), with the tier,
// lifecycle stage and cluster of the table, the tier of its last change
// on segment.changes and the consent of its latest features; that the
// segment sizes are the table's; that the latest changes are the topic's;
// and that a KPI alert shows, with its series, until it is resolved.
func TestConsoleAnswersFromTheTables(t *testing.T) {
	profiles, days := envInt("ACTIVA_E2E_PROFILES", 400), envInt("ACTIVA_E2E_DAYS", 3)
	r := startConsoleRun(t, profiles, days)
	t.Run("profiles", r.checkProfiles)
	t.Run("segments", r.checkSizes)
	t.Run("changes", r.checkChanges)
	t.Run("alerts", r.checkAlerts)
	t.Run("chromium", r.checkInChromium)
}

func (r *consoleRun) checkProfiles(t *testing.T) {
	lastTier := map[string]string{}
	readAll(r.p, topology.SegmentChanges, func(key string, c *schemas.SegmentChange) {
		if c.Kind == segments.KindTier {
			lastTier[key] = c.To
		}
	})
	consent := map[string]*schemas.Consent{}
	readAll(r.p, topology.ProfileFeatures, func(key string, f *schemas.ProfileFeatures) {
		consent[key] = nil
		if f != nil {
			consent[key] = &f.Consent
		}
	})
	owner := map[string]string{} // identifier -> profile, as the API says
	tiers := map[string]int{}
	for id, st := range r.states {
		code, p := r.profile(t, "profile:"+id)
		if code != http.StatusOK || p.Profile != id {
			t.Errorf("profile:%s: %d, profile %q", id, code, p.Profile)
			continue
		}
		if p.Tier != st.Tier || p.Lifecycle != st.Lifecycle || p.Cluster != st.Cluster {
			t.Errorf("profile %s: API %q/%q/%q, table %q/%q/%q", id, p.Tier, p.Lifecycle, p.Cluster, st.Tier, st.Lifecycle, st.Cluster)
		}
		if p.Tier != lastTier[id] {
			t.Errorf("profile %s: tier %q, its last change on segment.changes %q", id, p.Tier, lastTier[id])
		}
		if want := consent[id]; !sameConsent(want, p.Consent) {
			t.Errorf("profile %s: consent %+v, latest features %+v", id, p.Consent, want)
		}
		if p.Features != nil && p.Features.ProfileID != id {
			t.Errorf("profile %s: features of %s", id, p.Features.ProfileID)
		}
		for _, k := range p.Identifiers {
			owner[k] = id
		}
		tiers[p.Tier]++
	}
	t.Logf("%d profiles by tier %v, %d identifiers", len(r.states), tiers, len(owner))
	if len(r.states) < len(r.truth.Persons)/2 || tiers[""] == len(r.states) {
		t.Fatalf("%d profiles, tiers %v: too few to check", len(r.states), tiers)
	}
	for k, id := range owner {
		if code, p := r.profile(t, k); code != http.StatusOK || p.Profile != id || !slices.Contains(p.Identifiers, k) {
			t.Errorf("%s: %d, profile %q, want %s", k, code, p.Profile, id)
		}
	}
	h, err := pii.New([]byte(demoHashKey))
	if err != nil {
		t.Fatal(err)
	}
	emails := 0
	for k := range r.truth.IdentifierOwner {
		raw, ok := strings.CutPrefix(k, "email:")
		if id, held := owner["email_sha256:"+h.Email(raw)]; ok && held {
			if code, p := r.profile(t, k); code != http.StatusOK || p.Profile != id {
				t.Errorf("%s: %d, profile %q, want %s", k, code, p.Profile, id)
			}
			emails++
		}
	}
	if emails == 0 {
		t.Error("no raw e-mail address looked up")
	}
	for id, want := range map[string]int{"cookie:never-seen": http.StatusNotFound, "profile:p-0": http.StatusNotFound, "cookie": http.StatusBadRequest, "shoe:42": http.StatusBadRequest} {
		if code, _ := r.profile(t, id); code != want {
			t.Errorf("%s: %d, want %d", id, code, want)
		}
	}
}

// sameConsent reports whether a and b grant the same purposes, or are both
// missing.
func sameConsent(a, b *schemas.Consent) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Email == b.Email && a.SMS == b.SMS && a.Push == b.Push && a.Ads == b.Ads && a.Analytics == b.Analytics
}

func (r *consoleRun) checkSizes(t *testing.T) {
	code, body := r.get(t, "/api/segments")
	var sz console.Sizes
	if err := json.Unmarshal([]byte(body), &sz); code != http.StatusOK || err != nil {
		t.Fatalf("GET /api/segments: %d %v", code, err)
	}
	want := map[string]int{}
	for _, st := range r.states {
		want["tier "+or(st.Tier)]++
		want["lifecycle "+or(st.Lifecycle)]++
		want["cluster "+or(st.Cluster)]++
	}
	got := map[string]int{}
	for _, k := range sz.Kinds() {
		for _, c := range k.Counts {
			got[k.Name+" "+c.Name] = c.Profiles
		}
	}
	if sz.Profiles != len(r.states) || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sizes of %d profiles %v, the table's %d: %v", sz.Profiles, got, len(r.states), want)
	}
	if code, page := r.get(t, "/"); code != http.StatusOK || !strings.Contains(page, fmt.Sprintf(`id="profiles-total">%d<`, len(r.states))) {
		t.Errorf("GET /: %d, without the %d profiles", code, len(r.states))
	}
}

// or names an empty segment as the console does.
func or(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (r *consoleRun) checkChanges(t *testing.T) {
	written := map[string]time.Time{}
	var latest time.Time
	readRecords(r.p, topology.SegmentChanges, func(rec *kgo.Record, c *schemas.SegmentChange) {
		written[c.ChangeID] = rec.Timestamp
		if rec.Timestamp.After(latest) {
			latest = rec.Timestamp
		}
	})
	var changes []console.Change
	code, body := r.get(t, "/api/changes")
	if err := json.Unmarshal([]byte(body), &changes); code != http.StatusOK || err != nil {
		t.Fatalf("GET /api/changes: %d %v", code, err)
	}
	if len(changes) != min(consoleChanges, len(written)) || len(changes) == 0 || !changes[0].At.Equal(latest) {
		t.Fatalf("%d changes, the newest written %v; %d on the topic, the newest %v", len(changes), changes[0].At, len(written), latest)
	}
	for i, c := range changes {
		if at, ok := written[c.ChangeID]; !ok || !at.Equal(c.At) || i > 0 && c.At.After(changes[i-1].At) {
			t.Errorf("change %s written %v: on the topic %v (%v), or out of order", c.ChangeID, c.At, ok, at)
		}
	}
}

// checkAlerts writes an alert and the actuals of its series, then resolves
// the alert, and follows them on the console.
func (r *consoleRun) checkAlerts(t *testing.T) {
	alerts, err := topology.Typed[schemas.KpiAlert](r.p.codecs, topology.KpiAlerts)
	if err != nil {
		t.Fatal(err)
	}
	actuals, err := topology.Typed[schemas.KpiActual](r.p.codecs, topology.KpiActuals)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := r.p.c.producer()
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	produce := func(topic, key string, v any) {
		b, err := alerts.Encode(v)
		if topic == topology.KpiActuals {
			b, err = actuals.Encode(v)
		}
		if err != nil {
			t.Fatal(err)
		}
		rec := &kgo.Record{Topic: r.p.c.cat.Name(topic), Key: []byte(key), Value: b}
		if err := prod.ProduceSync(context.Background(), rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for h := range 30 {
		bucket := start.Add(time.Duration(h) * time.Hour)
		produce(topology.KpiActuals, "revenue|store|S-test|"+bucket.Format(time.RFC3339), schemas.KpiActual{
			KPI: "revenue", Dimension: "store", Value: "S-test", BucketStart: bucket, BucketEnd: bucket.Add(time.Hour),
			Actual: float64(100 - 2*h), HasForecast: h >= 5, Expected: 100, Lower: 80, Upper: 120,
		})
	}
	alert := schemas.KpiAlert{
		AlertID: "ka-test", KPI: "revenue", Dimension: "store", Value: "S-test", Rule: "interval", State: "open",
		Severity: "high", Expected: 100, Actual: 42, Lower: 80, Upper: 120, BucketStart: start.Add(29 * time.Hour), TS: start.Add(30 * time.Hour),
	}
	produce(topology.KpiAlerts, "revenue|store|S-test|interval", alert)
	shown := func() *console.Alert {
		var as []console.Alert
		code, body := r.get(t, "/api/alerts")
		if err := json.Unmarshal([]byte(body), &as); code != http.StatusOK || err != nil {
			t.Fatalf("GET /api/alerts: %d %v", code, err)
		}
		for i := range as {
			if as[i].AlertID == "ka-test" {
				return &as[i]
			}
		}
		return nil
	}
	a := eventually(t, "the open alert with its series", func() *console.Alert {
		if a := shown(); a != nil && len(a.Series) == 30 && a.Series[29].Actual == 42 && a.Series[29].HasForecast {
			return a
		}
		return nil
	}, 30)
	if a == nil {
		t.Fatal("the alert never showed with its 30 buckets")
	}
	if code, page := r.get(t, "/"); code != http.StatusOK || !strings.Contains(page, `data-alert="ka-test"`) || !strings.Contains(page, `<svg class="chart"`) {
		t.Errorf("GET /: %d, without the alert's chart", code)
	}
	alert.State = "resolved"
	produce(topology.KpiAlerts, "revenue|store|S-test|interval", alert)
	if eventually(t, "the resolved alert gone", func() *console.Alert {
		if shown() == nil {
			return &console.Alert{}
		}
		return nil
	}, 30) == nil {
		t.Error("a resolved alert is still shown")
	}
}

// eventually polls fn every 100 ms for up to seconds until it answers.
func eventually[T any](t *testing.T, what string, fn func() *T, seconds int) *T {
	t.Helper()
	for deadline := time.Now().Add(time.Duration(seconds) * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if v := fn(); v != nil {
			return v
		}
	}
	t.Logf("waited %ds for %s", seconds, what)
	return nil
}
