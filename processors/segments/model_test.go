package segments

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/activa-dev/activa/schemas"
)

func TestTheModelSeedsOnceItHasEnoughPointsThenMovesByBatches(t *testing.T) {
	c := Clustering{Model: "m", Dims: []Dim{{"monetary_90d", true}, {"web_share", false}}, K: 3, HalfLife: 1000, SeedPoints: 60, Margin: 0.1, Batch: 10, RandSeed: 1}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	centres := [][]float64{{0, 0}, {6, 0}, {3, 5}}
	var st *schemas.SegmentModel
	batch := func(points [][]float64, moves map[string]int64) {
		t.Helper()
		var err error
		if st, err = fold(c, st, &schemas.SegmentPoints{Model: "m", Points: points, Moves: moves}); err != nil {
			t.Fatal(err)
		}
	}
	pts := blobs(rng, centres, 40, 0.3)
	batch(pts[:30], nil)
	if len(st.Centroids) != 0 || len(st.Seed) != 30 || st.Observed != 30 || st.Version != 1 || len(st.Means) != 2 {
		t.Fatalf("after 30 points: %d centroids, %d buffered, %d observed, version %d", len(st.Centroids), len(st.Seed), st.Observed, st.Version)
	}
	batch(pts[30:70], map[string]int64{"1": 2})
	if len(st.Centroids) != 3 || len(st.Seed) != 0 || st.Observed != 70 || st.Version != 2 {
		t.Fatalf("after 70 points: %d centroids, %d buffered, %d observed, version %d", len(st.Centroids), len(st.Seed), st.Observed, st.Version)
	}
	if st.Centroids[1].Size != 2 || st.Centroids[0].Size != 0 {
		t.Errorf("sizes %+v, want the moves applied", st.Centroids)
	}
	// Every blob's points go to one cluster of their own.
	batch(pts[70:], map[string]int64{"1": -1})
	model := Model{}
	for _, ct := range st.Centroids {
		model.Centers = append(model.Centers, ct.Center)
	}
	sc := Scaler{Means: st.Means, Variances: st.Variances, N: st.Observed}
	label := map[int]int{}
	for i, x := range pts {
		std, err := sc.Standardize(x)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := model.Nearest(std)
		if prev, ok := label[i%3]; ok && prev != l {
			t.Fatalf("blob %d split between clusters %d and %d", i%3, prev, l)
		}
		label[i%3] = l
	}
	if label[0] == label[1] || label[1] == label[2] || label[0] == label[2] {
		t.Errorf("blobs share clusters: %v", label)
	}
	if st.Centroids[1].Size != 1 || st.Version != 3 {
		t.Errorf("size %d, version %d", st.Centroids[1].Size, st.Version)
	}
	// Another space starts over, keeping the version counting.
	c.Dims = []Dim{{"orders", true}}
	batch([][]float64{{1}}, nil)
	if len(st.Centroids) != 0 || len(st.Seed) != 1 || st.Version != 4 || st.Dims[0] != "log1p(orders)" {
		t.Errorf("after a change of dimensions: %+v", st)
	}
}

func TestABatchWithABadPointChangesNothing(t *testing.T) {
	c := DefaultClustering()
	c.Dims = []Dim{{"orders", true}, {"web_share", false}}
	st, err := fold(c, nil, &schemas.SegmentPoints{Model: c.Model, Points: [][]float64{{1, 0.5}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fold(c, st, &schemas.SegmentPoints{Model: c.Model, Points: [][]float64{{1, 0.5}, {2}}}); err == nil {
		t.Error("a point of the wrong dimension was folded")
	}
}

// A centre no point moves stays where it was in the features' space while
// the standardization statistics move under it.
func TestACentreStaysPutWhenTheStatisticsMove(t *testing.T) {
	c := Clustering{Model: "m", Dims: []Dim{{"orders", false}}, K: 2, HalfLife: 50, SeedPoints: 40, Margin: 0.1, Batch: 10, RandSeed: 1}
	rng := rand.New(rand.NewPCG(3, 4))
	st, err := fold(c, nil, &schemas.SegmentPoints{Model: "m", Points: blobs(rng, [][]float64{{0}, {10}}, 20, 0.2)})
	if err != nil {
		t.Fatal(err)
	}
	raw := func(st *schemas.SegmentModel, label int) float64 {
		return st.Centroids[label].Center[0]*math.Sqrt(st.Variances[0]) + st.Means[0]
	}
	low := 0
	if raw(st, 1) < raw(st, 0) {
		low = 1
	}
	before := raw(st, low)
	// Many points near 10 only: the mean and variance move a lot.
	if st, err = fold(c, st, &schemas.SegmentPoints{Model: "m", Points: blobs(rng, [][]float64{{10}}, 60, 0.2)}); err != nil {
		t.Fatal(err)
	}
	if after := raw(st, low); math.Abs(after-before) > 1e-9 {
		t.Errorf("the centre no point reached moved from %v to %v in the features' space", before, after)
	}
	if hi := raw(st, 1-low); math.Abs(hi-10) > 0.2 {
		t.Errorf("the other centre is at %v, want near 10", hi)
	}
}

// labelsOf returns the cluster each blob's centre falls in under the
// model st publishes.
func labelsOf(t *testing.T, st *schemas.SegmentModel, centres [][]float64) []int {
	t.Helper()
	m := &Model{}
	for _, ct := range st.Centroids {
		m.Centers = append(m.Centers, ct.Center)
		m.Weights = append(m.Weights, ct.Weight)
	}
	out := make([]int, len(centres))
	for i, x := range centres {
		l, _, err := cluster(m, &Scaler{Means: st.Means, Variances: st.Variances, N: st.Observed}, x, noCluster, 0)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = l
	}
	return out
}

func TestSeedingAgainForAnotherKKeepsTheLabels(t *testing.T) {
	c := Clustering{Model: "m", Dims: []Dim{{"monetary_90d", true}, {"web_share", false}}, K: 3, HalfLife: 1000, SeedPoints: 60, Margin: 0.1, Batch: 10, RandSeed: 1}
	rng := rand.New(rand.NewPCG(3, 4))
	centres := [][]float64{{0, 0}, {6, 0}, {3, 5}, {9, 6}}
	var st *schemas.SegmentModel
	feed := func(points [][]float64) {
		t.Helper()
		var err error
		if st, err = fold(c, st, &schemas.SegmentPoints{Model: "m", Points: points}); err != nil {
			t.Fatal(err)
		}
	}
	feed(blobs(rng, centres[:3], 30, 0.3))
	three := labelsOf(t, st, centres[:3])
	if len(st.Centroids) != 3 || three[0] == three[1] || three[1] == three[2] || three[0] == three[2] {
		t.Fatalf("k = 3: %d centroids, blobs in clusters %v", len(st.Centroids), three)
	}

	// k = 4: the old centres serve until the new ones are seeded, then the
	// three blobs keep their labels and the new one takes label 3.
	c.K = 4
	feed(blobs(rng, centres, 10, 0.3))
	if len(st.Centroids) != 3 || len(st.Seed) != 40 || st.K != 4 {
		t.Fatalf("while seeding again: %d centroids, %d buffered, k %d", len(st.Centroids), len(st.Seed), st.K)
	}
	if got := labelsOf(t, st, centres[:3]); !equalInts(got, three) {
		t.Fatalf("while seeding again the blobs are in %v, were in %v", got, three)
	}
	feed(blobs(rng, centres, 10, 0.3))
	if len(st.Centroids) != 4 || len(st.Seed) != 0 {
		t.Fatalf("after seeding again: %d centroids, %d buffered", len(st.Centroids), len(st.Seed))
	}
	four := labelsOf(t, st, centres)
	if !equalInts(four, append(slices.Clone(three), 3)) {
		t.Fatalf("k = 4: blobs in clusters %v, want %v then 3", four, three)
	}

	// k = 2 on two of the blobs: a blob whose label is still in use keeps
	// it, the other takes the free one.
	c.K = 2
	feed(blobs(rng, [][]float64{centres[1], centres[3]}, 40, 0.3))
	two := labelsOf(t, st, [][]float64{centres[1], centres[3]})
	kept := true
	for i, was := range []int{four[1], four[3]} {
		kept = kept && (was >= 2 || two[i] == was)
	}
	if len(st.Centroids) != 2 || two[0] == two[1] || max(two[0], two[1]) >= 2 || !kept {
		t.Errorf("k = 2: %d centroids, blobs in clusters %v; they were in %d and %d", len(st.Centroids), two, four[1], four[3])
	}
}
