package segments_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/activa-dev/activa/internal/harness/harnesstest"
	"github.com/activa-dev/activa/processors/segments"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/schemas/schematest"
)

type rig struct {
	t       *testing.T
	tt      *tester.Tester
	proc    *goka.Processor
	codecs  segments.Codecs
	changes *tester.QueueTracker
	dlq     *tester.QueueTracker
	points  *tester.QueueTracker
	erased  *tester.QueueTracker
	metrics *segments.Metrics
	day0    time.Time
}

func newRig(t *testing.T) *rig { return newRigWith(t, nil) }

func newRigWith(t *testing.T, tweak func(*segments.Config)) *rig {
	t.Helper()
	rc := schematest.Registry(t)
	c := segments.Codecs{
		Features: schematest.Register[schemas.ProfileFeatures](t, rc, "features-value", schemas.ProfileFeaturesRecord),
		Change:   schematest.Register[schemas.SegmentChange](t, rc, "changes-value", schemas.SegmentChangeRecord),
		State:    schematest.Register[schemas.SegmentState](t, rc, "segments-table-value", schemas.SegmentStateRecord),
		Points:   schematest.Register[schemas.SegmentPoints](t, rc, "points-value", schemas.SegmentPointsRecord),
		Model:    schematest.Register[schemas.SegmentModel](t, rc, "model-value", schemas.SegmentModelRecord),
		Erasure:  schematest.Register[schemas.ErasureConfirmation](t, rc, "erasures-value", schemas.ErasureConfirmationRecord),
	}
	cfg := segments.DefaultConfig()
	cfg.Group = "segments"
	cfg.Topics = segments.Topics{Features: "features", Changes: "changes", Points: "points", Model: "model", Erasures: "erasures"}
	if tweak != nil {
		tweak(&cfg)
	}
	cfg.Codecs = c
	cfg.Harness = harnesstest.Harness(t, rc, "segments")
	cfg.Metrics = segments.NewMetrics(nil)
	m := cfg.Metrics
	g, err := segments.Define(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tt, proc := harnesstest.Start(t, g)
	return &rig{
		t: t, tt: tt, proc: proc, codecs: c, metrics: m,
		changes: tt.NewQueueTracker("changes"), dlq: tt.NewQueueTracker(harnesstest.Deadletter), points: tt.NewQueueTracker("points"),
		erased: tt.NewQueueTracker("erasures"), day0: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC),
	}
}

// features publishes version v of a profile's features, last seen on day
// and first seen on day 0, with spend in the last 90 days.
func (r *rig) features(profile string, v int64, day int, spend float64, orders int64) {
	r.t.Helper()
	at := r.day0.AddDate(0, 0, day)
	f := &schemas.ProfileFeatures{
		ProfileID: profile, Version: v, Monetary90d: spend, Orders: orders, FirstSeen: r.day0, LastSeen: at,
		LastEventID: profile + "-e" + string(rune('0'+v)), UpdatedTS: at,
	}
	if orders > 0 {
		f.LastOrderTS = at
	}
	b, err := r.codecs.Features.Encode(f)
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume("features", profile, b)
}

func (r *rig) got() []*schemas.SegmentChange {
	return harnesstest.Drain(r.t, r.changes, func(c *schemas.SegmentChange) string { return c.ProfileID })
}

// moves lists changes as kind:from>to.
func moves(cs []*schemas.SegmentChange) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Kind+":"+c.From+">"+c.To)
	}
	return out
}

func TestAPurchaseOverAThresholdChangesTheTierAtOnce(t *testing.T) {
	r := newRig(t)
	r.features("p-1", 1, 0, 0, 0)
	if got := moves(r.got()); !slices.Equal(got, []string{"lifecycle:>new"}) {
		t.Fatalf("first features: %v", got)
	}
	r.features("p-1", 2, 1, 80, 1)
	if got := moves(r.got()); !slices.Equal(got, []string{"tier:>bronze"}) {
		t.Fatalf("first order: %v", got)
	}
	r.features("p-1", 3, 2, 540, 2)
	cs := r.got()
	if got := moves(cs); !slices.Equal(got, []string{"tier:bronze>gold", "lifecycle:new>active"}) {
		t.Fatalf("a purchase over 500: %v", got)
	}
	if c := cs[0]; c.CauseEventID != "p-1-e3" || c.Reason != "monetary_90d 540 >= 500 (gold)" || c.Values["monetary_90d"] != 540 || !c.TS.Equal(r.day0.AddDate(0, 0, 2)) {
		t.Errorf("tier change %+v", c)
	}
	// Spend falls back within the hysteresis: no flip.
	r.features("p-1", 4, 3, 470, 2)
	if got := r.got(); len(got) != 0 {
		t.Errorf("within the hysteresis: %v", moves(got))
	}
}

func TestRedeliveredFeaturesChangeNothing(t *testing.T) {
	r := newRig(t)
	r.features("p-1", 1, 0, 0, 0)
	r.features("p-1", 2, 1, 120, 1)
	first := r.got()
	r.features("p-1", 2, 1, 120, 1) // the same version again
	r.features("p-1", 1, 0, 0, 0)   // and an older one
	if got := r.got(); len(got) != 0 {
		t.Errorf("redelivery changed %v", moves(got))
	}
	if n := testutil.ToFloat64(r.metrics.Duplicates); n != 2 {
		t.Errorf("%v duplicates counted, want 2", n)
	}
	if len(first) != 2 || first[1].ChangeID == "" {
		t.Fatalf("first delivery: %v", moves(first))
	}
}

func TestPassingTimeMovesTheLifecycleOnTheSweep(t *testing.T) {
	r := newRig(t)
	r.features("p-quiet", 1, 0, 120, 1) // bought on day 0, then nothing
	r.got()
	sweep := func() []string {
		t.Helper()
		if err := r.proc.VisitAll(context.Background(), segments.SweepVisitor, nil); err != nil {
			t.Fatal(err)
		}
		r.tt.Catchup()
		return moves(r.got())
	}
	// Another person's features move the partition's clock on.
	for i, day := range []int{20, 45, 70} {
		r.features("p-busy", int64(i+1), day, 0, 0)
		r.got()
		want := map[int][]string{20: {"lifecycle:new>active"}, 45: {"lifecycle:active>at-risk"}, 70: {"lifecycle:at-risk>lapsed"}}[day]
		if got := sweep(); !slices.Equal(got, want) {
			t.Errorf("day %d: sweep moved %v, want %v", day, got, want)
		}
	}
}

func TestATombstoneTakesTheProfileOutOfItsSegments(t *testing.T) {
	r := newRig(t)
	r.features("p-gone", 1, 0, 700, 2)
	r.got()
	r.tt.Consume("features", "p-gone", nil)
	cs := r.got()
	if got := moves(cs); !slices.Equal(got, []string{"tier:gold>", "lifecycle:active>"}) {
		t.Fatalf("tombstone: %v", got)
	}
	if v := r.tt.TableValue(goka.GroupTable("segments"), "p-gone"); v != nil {
		t.Errorf("state left behind: %+v", v)
	}
	// A tombstone for a profile never placed says nothing.
	r.tt.Consume("features", "p-never", nil)
	if got := r.got(); len(got) != 0 {
		t.Errorf("unknown profile: %v", moves(got))
	}
	if dls := harnesstest.DeadLetters(r.dlq); len(dls) != 0 {
		t.Errorf("dead letters %+v", dls)
	}
}

func TestFeaturesUnderAnotherKeyAreDeadLettered(t *testing.T) {
	r := newRig(t)
	b, err := r.codecs.Features.Encode(&schemas.ProfileFeatures{ProfileID: "p-1", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	r.tt.Consume("features", "p-2", b)
	r.tt.Consume("features", "p-3", []byte("not avro"))
	dls := harnesstest.DeadLetters(r.dlq)
	if len(dls) != 2 || dls[0].Reason != "invalid" || dls[1].Reason != "undecodable" {
		t.Fatalf("dead letters %+v", dls)
	}
	if got := r.got(); len(got) != 0 {
		t.Errorf("changes %v", moves(got))
	}
}

func TestAProfileJoinsTheNearestClusterAndStaysWithinTheMargin(t *testing.T) {
	r := newRigWith(t, func(c *segments.Config) {
		c.Clustering = segments.Clustering{Model: "default", Dims: []segments.Dim{{Name: "monetary_90d", Log: true}}, K: 2, HalfLife: 100, SeedPoints: 2, Margin: 0.1, Batch: 2, RandSeed: 1}
	})
	// Standardized, a spend s lies at log1p(s) - log1p(100); the centres
	// are at -1 and +1.
	model, err := r.codecs.Model.Encode(&schemas.SegmentModel{
		Model: "default", Version: 5, K: 2, Dims: []string{"log1p(monetary_90d)"},
		Centroids: []schemas.Centroid{{Label: 0, Weight: 10, Center: []float64{-1}}, {Label: 1, Weight: 10, Center: []float64{1}}},
		Means:     []float64{math.Log1p(100)}, Variances: []float64{1}, Observed: 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	r.tt.SetTableValue("model", "default", model)
	r.features("p-1", 1, 0, 300, 1) // at 1.09: cluster 1
	var cluster []*schemas.SegmentChange
	for _, c := range r.got() {
		if c.Kind == "cluster" {
			cluster = append(cluster, c)
		}
	}
	if len(cluster) != 1 || cluster[0].From != "" || cluster[0].To != "1" || cluster[0].ModelVersion != 5 || cluster[0].CauseEventID != "p-1-e1" {
		t.Fatalf("cluster changes %+v, want one into cluster 1 under model version 5", cluster)
	}
	// At -0.05 centre 0 is nearer (0.95 against 1.05) but not by 10%.
	r.features("p-1", 2, 1, 95, 2)
	for _, c := range r.got() {
		if c.Kind == "cluster" {
			t.Errorf("moved within the margin: %+v", c)
		}
	}
	// The two points went to the model as one batch, with the move.
	_, v, ok := r.points.Next()
	if !ok {
		t.Fatal("no batch of points sent")
	}
	b := v.(*schemas.SegmentPoints)
	if len(b.Points) != 2 || math.Abs(b.Points[0][0]-math.Log1p(300)) > 1e-12 || b.Moves["1"] != 1 || b.Model != "default" {
		t.Errorf("batch %+v", b)
	}
	// Leaving for good takes the profile out of its cluster.
	r.tt.Consume("features", "p-1", nil)
	var left bool
	for _, c := range r.got() {
		left = left || c.Kind == "cluster" && c.From == "1" && c.To == ""
	}
	if !left {
		t.Error("the tombstoned profile did not leave its cluster")
	}
}

// scrollRig is a rig clustering by mean scroll depth alone, whose model
// (setModel) has two centres: 30% and 70%.
type scrollRig struct {
	*rig
}

func newScrollRig(t *testing.T) scrollRig {
	return scrollRig{newRigWith(t, func(c *segments.Config) {
		c.Clustering = segments.Clustering{Model: "default", Dims: []segments.Dim{{Name: "mean_scroll_pct"}}, K: 2, HalfLife: 100, SeedPoints: 2, Margin: 0.1, Batch: 1, RandSeed: 1}
	})}
}

func (r scrollRig) setModel() {
	r.t.Helper()
	model, err := r.codecs.Model.Encode(&schemas.SegmentModel{
		Model: "default", Version: 1, K: 2, Dims: []string{"mean_scroll_pct"},
		Centroids: []schemas.Centroid{{Label: 0, Weight: 10, Center: []float64{-1}}, {Label: 1, Weight: 10, Center: []float64{1}}},
		Means:     []float64{50}, Variances: []float64{400}, Observed: 20,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.SetTableValue("model", "default", model)
}

// send publishes version v of p-1's features.
func (r scrollRig) send(v, sessions int64, scroll float64) {
	r.t.Helper()
	f := &schemas.ProfileFeatures{ProfileID: "p-1", Version: v, Sessions: sessions, MeanScrollPct: scroll, FirstSeen: r.day0, LastSeen: r.day0, LastEventID: fmt.Sprint("e", v)}
	b, err := r.codecs.Features.Encode(f)
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume("features", "p-1", b)
}

// clusterMoves drains the changes and lists the cluster ones as from>to.
func (r scrollRig) clusterMoves() []string {
	var out []string
	for _, c := range r.got() {
		if c.Kind == segments.KindCluster {
			out = append(out, c.From+">"+c.To)
		}
	}
	return out
}

func TestAProfileIsPlacedOnceDescribedAndTeachesTheModelPerSessionOrOrder(t *testing.T) {
	r := newScrollRig(t)
	r.setModel()
	// The first session is open: nothing to place, nothing for the model.
	r.send(1, 0, 0)
	r.send(2, 0, 0)
	if got := r.clusterMoves(); len(got) != 0 {
		t.Errorf("placed before any closed session or order: %v", got)
	}
	if n := r.points.NextOffset() - r.points.Hwm(); n != 0 {
		t.Errorf("%d batches of points sent before any closed session or order", -n)
	}
	// It closed with a deep scroll: cluster 1, and its point goes out.
	r.send(3, 1, 90)
	if got := r.clusterMoves(); !slices.Equal(got, []string{">1"}) {
		t.Errorf("after the first closed session: cluster moves %v, want >1", got)
	}
	if _, v, ok := r.points.Next(); !ok || len(v.(*schemas.SegmentPoints).Points) != 1 {
		t.Errorf("after the first closed session: batch %v, want one point", v)
	}
	// An event of the next session, still open: the model learns nothing.
	r.send(4, 1, 90)
	if _, v, ok := r.points.Next(); ok {
		t.Errorf("features with the same sessions and orders sent %+v to the model", v)
	}
	// The second session closed shallow: cluster 0, and the point goes out.
	r.send(5, 2, 10)
	if got := r.clusterMoves(); !slices.Equal(got, []string{"1>0"}) {
		t.Errorf("after the second closed session: cluster moves %v, want 1>0", got)
	}
	if _, v, ok := r.points.Next(); !ok || len(v.(*schemas.SegmentPoints).Points) != 1 {
		t.Errorf("after the second closed session: batch %v, want one point", v)
	}
}

func TestTheSweepPlacesAProfileWhoseFeaturesCameBeforeTheModel(t *testing.T) {
	r := newScrollRig(t)
	r.send(1, 1, 90)
	if got := r.clusterMoves(); len(got) != 0 {
		t.Fatalf("placed without a model: %v", got)
	}
	if _, _, ok := r.points.Next(); !ok {
		t.Fatal("the first closed session sent no point")
	}
	r.setModel()
	if err := r.proc.VisitAll(context.Background(), segments.SweepVisitor, nil); err != nil {
		t.Fatal(err)
	}
	r.tt.Catchup()
	if got := r.clusterMoves(); !slices.Equal(got, []string{">1"}) {
		t.Errorf("the sweep moved %v, want >1", got)
	}
	if _, v, ok := r.points.Next(); ok {
		t.Errorf("the sweep sent %+v to the model: it sees each session once", v)
	}
}

func TestTheModelGroupPublishesEveryBatch(t *testing.T) {
	rc := schematest.Registry(t)
	cfg := segments.DefaultModelConfig()
	cfg.Group, cfg.Points, cfg.Model = "segments-model", "points", "model"
	cfg.PointsCodec = schematest.Register[schemas.SegmentPoints](t, rc, "points-value", schemas.SegmentPointsRecord)
	cfg.ModelCodec = schematest.Register[schemas.SegmentModel](t, rc, "model-value", schemas.SegmentModelRecord)
	cfg.Harness = harnesstest.Harness(t, rc, "segments-model")
	cfg.Clustering.Dims = []segments.Dim{{Name: "orders", Log: true}}
	cfg.Clustering.K, cfg.Clustering.SeedPoints = 2, 4
	g, err := segments.DefineModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tt, _ := harnesstest.Start(t, g)
	out, dlq := tt.NewQueueTracker("model"), tt.NewQueueTracker(harnesstest.Deadletter)
	send := func(key string, b *schemas.SegmentPoints) {
		t.Helper()
		raw, err := cfg.PointsCodec.Encode(b)
		if err != nil {
			t.Fatal(err)
		}
		tt.Consume("points", key, raw)
	}
	send("default", &schemas.SegmentPoints{Model: "default", Points: [][]float64{{0}, {0.1}}})
	send("default", &schemas.SegmentPoints{Model: "default", Points: [][]float64{{5}, {5.2}}})
	models := harnesstest.Drain(t, out, func(m *schemas.SegmentModel) string { return m.Model })
	if len(models) != 2 || models[0].Version != 1 || len(models[0].Centroids) != 0 || models[1].Version != 2 || len(models[1].Centroids) != 2 || models[1].Observed != 4 {
		t.Fatalf("published %+v, want a warming model then a seeded one", models)
	}
	send("other", &schemas.SegmentPoints{Model: "other", Points: [][]float64{{1}}})
	if dls := harnesstest.DeadLetters(dlq); len(dls) != 1 || dls[0].Reason != "invalid" {
		t.Errorf("points of another model: dead letters %+v", dls)
	}
}
