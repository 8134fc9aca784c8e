//go:build integration

package integration

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/loadtest/gen"
	"github.com/activa-dev/activa/loadtest/score"
	"github.com/activa-dev/activa/processors/features"
	"github.com/activa-dev/activa/processors/identity"
	"github.com/activa-dev/activa/processors/segments"
	"github.com/activa-dev/activa/processors/triggers"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

const hashKey = "0123456789abcdef-integration"

// buildActiva builds the activa binary for tests that run it as a process.
func buildActiva(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "activa")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/activa")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building activa: %v\n%s", err, out)
	}
	return bin
}

// waitQuiet waits until group has committed everything of its inputs.
func waitQuiet(t *testing.T, cfg *kafka.Config, group string) {
	t.Helper()
	waitQuietFor(t, cfg, group, 10*time.Minute)
}

// waitQuietFor is waitQuiet giving up after d.
func waitQuietFor(t *testing.T, cfg *kafka.Config, group string, d time.Duration) {
	t.Helper()
	cl, err := cfg.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := kafka.WaitCaughtUp(ctx, cl, []string{group}, time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationIdentity runs `activa run` against Apache Kafka, replays a
// generated population, grades the identity tables against its truth, and
// compares the closed sessions with a plain sort-and-split of the resolved
// events.
func TestIntegrationIdentity(t *testing.T) {
	b, regURL, p := brokers(t), registryForTest(t), prefix(t)
	bin := buildActiva(t)
	dir := t.TempDir()
	in, truthPath := filepath.Join(dir, "pop.jsonl"), filepath.Join(dir, "truth.json")
	activa(t, "gen", "--profiles", "500", "--days", "3", "--seed", "7", "--out", in, "--truth", truthPath, "--no-progress")
	// A short compaction lag, to see erased profiles leave the logs of
	// the compacted topics within the test.
	const lag = 15 * time.Second
	conn := []string{"--brokers", b, "--registry", regURL, "--prefix", p, "--partitions", "4", "--compaction-lag", lag.String()}

	// A plan of twice the third day's revenue: the kpi processor, whose
	// rules apply from two days of history on here, must see the day go
	// short.
	plan := filepath.Join(dir, "plan.csv")
	third := gen.DefaultConfig().Start.Add(48 * time.Hour)
	twice := math.Round(200*purchaseRevenue(t, in, third, third.Add(24*time.Hour))) / 100
	csv := fmt.Sprintf("kpi,dimension,value,period_start,period_end,expected\nrevenue,total,,%s,%s,%.2f\n",
		third.Format(time.RFC3339), third.Add(24*time.Hour).Format(time.RFC3339), twice)
	if err := os.WriteFile(plan, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	activa(t, append([]string{"forecasts", "load", plan}, conn...)...)

	run := exec.Command(bin, append([]string{
		"run", "--state-dir", filepath.Join(dir, "state"), "--log-level", "warn",
		"--session-idle-timeout", "10s", "--sweep-every", "500ms",
		"--segment-clusters", "7", "--segment-seed-points", "200", "--kpi-alert-after", "48h",
	}, conn...)...)
	run.Stdout, run.Stderr = os.Stderr, os.Stderr
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = run.Process.Signal(syscall.SIGTERM)
		if err := run.Wait(); err != nil {
			t.Errorf("activa run did not stop cleanly: %v", err)
		}
	}()
	out := activa(t, append([]string{"replay", in, "--hash-key", hashKey, "--no-progress"}, conn...)...)
	m := regexp.MustCompile(`(\d+) events produced`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("replay output %q", out)
	}
	produced, _ := strconv.Atoi(m[1])
	kc := &kafka.Config{Brokers: []string{b}}
	waitQuiet(t, kc, p+"identity")

	// Read the identity table through a view, as the profile API will.
	ctx := context.Background()
	rc, err := sr.NewClient(sr.URLs(regURL))
	if err != nil {
		t.Fatal(err)
	}
	cat := topology.DefaultCatalog()
	cat.Prefix, cat.Partitions = p, 4
	codecs, err := topology.RegisterSchemas(ctx, rc, cat)
	if err != nil {
		t.Fatal(err)
	}
	node, err := topology.Typed[schemas.IdentityNode](codecs, topology.IdentityTable)
	if err != nil {
		t.Fatal(err)
	}
	vopts, err := kc.GokaViewOptions()
	if err != nil {
		t.Fatal(err)
	}
	view, err := goka.NewView(kc.Brokers, goka.Table(cat.Name(topology.IdentityTable)), node, append(vopts, goka.WithViewStorageBuilder(storage.MemoryBuilder()))...)
	if err != nil {
		t.Fatal(err)
	}
	vctx, stop := context.WithCancel(ctx)
	vdone := make(chan error, 1)
	go func() { vdone <- view.Run(vctx) }()
	defer func() { stop(); <-vdone }()
	for !view.Recovered() {
		time.Sleep(100 * time.Millisecond)
	}
	lookup := identity.NewLookup(identity.ViewGetter(view))
	f, err := os.Open(truthPath)
	if err != nil {
		t.Fatal(err)
	}
	truth, err := gen.ReadTruth(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	h, err := pii.New([]byte(hashKey))
	if err != nil {
		t.Fatal(err)
	}
	grade, err := score.IdentityPairs(truth, h, func(k string) (string, error) {
		prof, err := lookup.Profile(k)
		if err != nil {
			return "", nil //nolint:nilerr // an unknown identifier has no profile
		}
		return prof, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("identity on Apache Kafka: %s", grade)
	if grade.Precision() < 0.999 || grade.Recall() < 0.99 {
		t.Errorf("precision %.5f (want >= 0.999), recall %.5f (want >= 0.99)", grade.Precision(), grade.Recall())
	}

	// Every accepted event was resolved, once; every session closed after
	// the input stopped, as the reference cuts them.
	waitQuiet(t, kc, p+"sessions")
	time.Sleep(12 * time.Second) // the idle timeout and a sweep
	waitQuiet(t, kc, p+"sessions")
	sess := &score.Sessions{Survivor: map[string]string{}, Late: map[string]bool{}, Gap: 30 * time.Minute}
	consume(t, kc, codecs, cat, topology.ProfileMerges, func(_ string, m *schemas.ProfileMerge) { sess.Survivor[m.Absorbed] = m.Survivor })
	consume(t, kc, codecs, cat, topology.Deadletter, func(_ string, d *schemas.DeadLetter) {
		if d.Stage == "sessions" {
			sess.Late[d.EventID] = true
		}
	})
	ids := map[string]int{}
	consume(t, kc, codecs, cat, topology.EventsResolved, func(_ string, ev *schemas.ResolvedEvent) {
		ids[ev.Event.EventID]++
		sess.Resolved(ev.Event.EventID, ev.ProfileID, ev.Event.TS)
	})
	if len(ids) != produced {
		t.Errorf("%d distinct events resolved, %d produced", len(ids), produced)
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("event %s resolved %d times", id, n)
		}
	}
	consume(t, kc, codecs, cat, topology.SessionsClosed, func(_ string, c *schemas.SessionSummary) {
		sess.Closed(c.ProfileID, c.Start, c.End, c.EventCount)
	})
	t.Logf("sessions on Apache Kafka: %s", sess)
	if missing, extra := sess.Diff(); len(missing)+len(extra) > 0 {
		t.Errorf("sessions differ from the reference: %d missing (first %+v), %d extra", len(missing), missing[:min(len(missing), 3)], len(extra))
	}
	checkFeaturesAndTriggers(t, kc, codecs, cat, sess, truth)
	checkSegments(t, kc, codecs, cat)
	checkClusters(t, kc, codecs, cat, 7)
	checkKpi(t, kc, codecs, cat, third, twice)
	checkConversion(t, kc, codecs, cat)
	cfg, dsn, table := checkAudience(t, bin, kc, codecs, cat, conn, dir)

	// Erasure: a second population, a day after the first, in which one
	// known customer in ten asks for erasure.
	second := filepath.Join(dir, "second.jsonl")
	activa(t, "gen", "--profiles", "300", "--days", "3", "--seed", "8", "--erasures", "0.1", "--start", third.Add(48*time.Hour).Format(time.RFC3339), "--out", second, "--no-progress")
	activa(t, append([]string{"replay", second, "--hash-key", hashKey, "--no-progress"}, conn...)...)
	waitQuiet(t, kc, p+"identity")
	stopConnect := startConnect(t, bin, cfg, conn, dir)
	erased := waitErasures(t, kc, codecs, cat, 3*time.Minute)
	waitQuietFor(t, kc, cat.Name("connect"), 3*time.Minute)
	stopConnect()
	checkErasure(t, kc, codecs, cat, erased, dsn, table)
	checkCompaction(t, kc, codecs, cat, erased, lag, func() {
		// New persons' events: every table takes appends again.
		more := filepath.Join(dir, "more.jsonl")
		activa(t, "gen", "--profiles", "100", "--days", "1", "--seed", "9", "--start", third.Add(120*time.Hour).Format(time.RFC3339), "--out", more, "--no-progress")
		activa(t, append([]string{"replay", more, "--hash-key", hashKey, "--no-progress"}, conn...)...)
	})
}

// checkClusters checks that the model on segment.model is seeded with k
// centres and that every profile whose latest features describe
// behaviour (a closed session or an order) is in one of its clusters.
func checkClusters(t *testing.T, kc *kafka.Config, codecs *topology.Codecs, cat topology.Catalog, k int) {
	t.Helper()
	time.Sleep(2 * time.Second) // sweeps place the profiles that came before the model
	waitQuiet(t, kc, cat.Prefix+"segments")
	var model *schemas.SegmentModel
	consume(t, kc, codecs, cat, topology.SegmentModel, func(_ string, m *schemas.SegmentModel) { model = m })
	if model == nil || len(model.Centroids) != k {
		t.Fatalf("segment.model: %+v, want a model seeded with %d centres", model, k)
	}
	latest := map[string]*schemas.ProfileFeatures{}
	consume(t, kc, codecs, cat, topology.ProfileFeatures, func(key string, f *schemas.ProfileFeatures) { latest[key] = f })
	cluster := map[string]string{}
	consume(t, kc, codecs, cat, topology.SegmentChanges, func(key string, c *schemas.SegmentChange) {
		if c.Kind == segments.KindCluster {
			cluster[key] = c.To
		}
	})
	sizes := map[string]int{}
	var unplaced []string
	for id, f := range latest {
		if f == nil || f.Sessions == 0 && f.Orders == 0 {
			continue
		}
		c := cluster[id]
		if n, err := strconv.Atoi(c); err != nil || n < 0 || n >= k {
			unplaced = append(unplaced, id+" in "+strconv.Quote(c))
			continue
		}
		sizes[c]++
	}
	t.Logf("clusters on Apache Kafka: model version %d from %d points, profiles per cluster %v", model.Version, model.Observed, sizes)
	if len(unplaced) > 0 {
		t.Errorf("%d described profiles in no cluster of the model, first %v", len(unplaced), unplaced[:min(len(unplaced), 3)])
	}
}

// checkSegments compares every profile's last tier on segment.changes
// with the default ladder applied to the history of its features.
func checkSegments(t *testing.T, kc *kafka.Config, codecs *topology.Codecs, cat topology.Catalog) {
	t.Helper()
	waitQuiet(t, kc, cat.Prefix+"segments")
	s := score.TiersOf(segments.DefaultRules().Tiers)
	consume(t, kc, codecs, cat, topology.ProfileFeatures, s.Features)
	consume(t, kc, codecs, cat, topology.SegmentChanges, func(key string, c *schemas.SegmentChange) { s.Change(key, c) })
	d := s.Diff()
	t.Logf("segments on Apache Kafka: %d profiles, %d problems", s.Profiles(), len(d))
	for i, problem := range d {
		if i < 5 {
			t.Errorf("segments: %s", problem)
		}
	}
}

// checkFeaturesAndTriggers compares every profile's latest features with a
// batch recomputation from its events and sessions, and counts the cart
// and form triggers against the abandoned carts and forms of the truth.
func checkFeaturesAndTriggers(t *testing.T, kc *kafka.Config, codecs *topology.Codecs, cat topology.Catalog, sess *score.Sessions, truth *gen.Truth) {
	t.Helper()
	p := cat.Prefix
	waitQuiet(t, kc, p+"features")
	waitQuiet(t, kc, p+"triggers")
	events := map[string][]schemas.Event{}
	consume(t, kc, codecs, cat, topology.EventsResolved, func(_ string, ev *schemas.ResolvedEvent) {
		f := sess.Final(ev.ProfileID)
		events[f] = append(events[f], ev.Event)
	})
	closed := map[string][]schemas.SessionSummary{}
	consume(t, kc, codecs, cat, topology.SessionsClosed, func(_ string, c *schemas.SessionSummary) {
		f := sess.Final(c.ProfileID)
		closed[f] = append(closed[f], *c)
	})
	latest := map[string]*schemas.ProfileFeatures{}
	consume(t, kc, codecs, cat, topology.ProfileFeatures, func(key string, f *schemas.ProfileFeatures) { latest[key] = f })
	r := features.DefaultRules()
	rules := score.FeatureRules{HalfLife: r.HalfLife, TopK: r.TopK, Weight: r.Weight, MaxDevices: r.MaxDevices}
	bad := 0
	for id, evs := range events {
		got := latest[id]
		if got == nil {
			bad++
			continue
		}
		if d := score.DiffFeatures(*got, score.BatchFeatures(rules, id, evs, closed[id])); len(d) > 0 {
			if bad++; bad <= 5 {
				t.Errorf("features of %s: %v", id, d)
			}
		}
	}
	t.Logf("features on Apache Kafka: %d profiles, %d differ from the batch recomputation", len(events), bad)
	if bad > 0 {
		t.Errorf("%d of %d profiles' features differ from the batch recomputation", bad, len(events))
	}

	delay := triggers.DefaultRules().CartDelay
	var carts, forms int
	for _, ps := range truth.Persons {
		for _, v := range ps.Sessions {
			if v.CartAbandoned || (v.Purchased && !v.CartAt.IsZero() && v.PurchasedAt.Sub(v.CartAt) > delay) {
				carts++
			}
			if v.FormAbandoned {
				forms++
			}
		}
	}
	fired := map[string]int{}
	ids := map[string]bool{}
	consume(t, kc, codecs, cat, topology.Triggers, func(_ string, tr *schemas.Trigger) {
		if ids[tr.TriggerID] {
			t.Errorf("trigger %s fired twice", tr.TriggerID)
		}
		ids[tr.TriggerID] = true
		fired[tr.Kind]++
	})
	t.Logf("triggers on Apache Kafka: %v; the truth has %d abandoned carts and %d abandoned forms", fired, carts, forms)
	if fired[triggers.KindCart] != carts || fired[triggers.KindForm] != forms {
		t.Errorf("%d cart and %d form triggers, want %d and %d", fired[triggers.KindCart], fired[triggers.KindForm], carts, forms)
	}
}

// consume reads a catalog topic from its start to its end offsets.
// A tombstone comes as a nil value.
func consume[T any](t *testing.T, kc *kafka.Config, codecs *topology.Codecs, cat topology.Catalog, topic string, fn func(key string, v *T)) {
	t.Helper()
	consumeRecords(t, kc, codecs, cat, topic, func(r *kgo.Record, v *T) { fn(string(r.Key), v) })
}

// consumeRecords is consume with the record each value came from. It
// reads what the topic holds up to its end at the time of the call (a
// compacted topic holds fewer records than its end offset).
func consumeRecords[T any](t *testing.T, kc *kafka.Config, codecs *topology.Codecs, cat topology.Catalog, topic string, fn func(r *kgo.Record, v *T)) {
	t.Helper()
	name := cat.Name(topic)
	codec, err := topology.Typed[T](codecs, topic)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range readLog(t, kc, name) {
		if r.Value == nil {
			fn(r, nil)
			continue
		}
		v, err := codec.DecodeTyped(r.Value)
		if err != nil {
			t.Fatalf("%s offset %d: %v", name, r.Offset, err)
		}
		fn(r, v)
	}
}
