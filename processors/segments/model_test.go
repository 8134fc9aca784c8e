package segments

import (
	"math"
	"math/rand/v2"
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
	if len(st.Centroids) != 0 || len(st.Seed) != 1 || st.Version != 4 || st.Dims[0] != "orders" {
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
