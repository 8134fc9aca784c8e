package segments

import (
	"math/rand/v2"
	"testing"

	"github.com/activa-dev/activa/schemas"
)

// stationary is a stream whose behaviour does not change: persons of fixed
// latent groups visit day after day, and each visit sends the person's
// point, which stays where it is. Every cluster change is then the model's
// doing, which is what the stability acceptance is about: a young profile
// whose features still move with each visit changes cluster for a reason.
type stationary struct {
	centres  [][]float64 // of the latent groups
	personSD float64     // spread of persons around their group's centre
	persons  int
	rate     [2]float64 // visits per day, drawn per person uniformly in the range
}

// person is one profile of the stream.
type person struct {
	group   int
	point   []float64
	rate    float64
	cluster int
}

// simulation feeds the stream day by day to the model, through fold in
// batches as the segments-model group gets them, and places each profile
// again on each visit with the published model, as segments does.
type simulation struct {
	t       *testing.T
	c       Clustering
	rng     *rand.Rand
	persons []*person
	st      *schemas.SegmentModel
	batch   *schemas.SegmentPoints
	moves   int // cluster changes of profiles already placed, all days
}

func newSimulation(t *testing.T, s stationary, c Clustering, rng *rand.Rand) *simulation {
	sim := &simulation{t: t, c: c, rng: rng, batch: &schemas.SegmentPoints{Model: c.Model}}
	dim := len(s.centres[0])
	for range s.persons {
		g := rng.IntN(len(s.centres))
		p := &person{group: g, point: make([]float64, dim), cluster: noCluster}
		for d := range p.point {
			p.point[d] = s.centres[g][d] + rng.NormFloat64()*s.personSD
		}
		p.rate = s.rate[0] + rng.Float64()*(s.rate[1]-s.rate[0])
		sim.persons = append(sim.persons, p)
	}
	return sim
}

// day runs one day of visits in a random order and returns how many
// profiles already placed changed cluster that day (once each) and how
// many are placed at its end.
func (sim *simulation) day() (moved, placed int) {
	var visits []*person
	for _, p := range sim.persons {
		for n := poisson(sim.rng, p.rate); n > 0; n-- {
			visits = append(visits, p)
		}
	}
	sim.rng.Shuffle(len(visits), func(i, j int) { visits[i], visits[j] = visits[j], visits[i] })
	changed := map[*person]bool{}
	for _, p := range visits {
		if to := sim.place(p.point, p.cluster); to != p.cluster {
			if p.cluster != noCluster {
				changed[p] = true
				sim.moves++
			}
			p.cluster = to
		}
		sim.send(p.point)
	}
	for _, p := range sim.persons {
		if p.cluster != noCluster {
			placed++
		}
	}
	return len(changed), placed
}

// place is the segments processor's placement with the published model.
func (sim *simulation) place(x []float64, current int) int {
	if sim.st == nil || len(sim.st.Centroids) == 0 {
		return current
	}
	m := &Model{}
	for _, ct := range sim.st.Centroids {
		m.Centers = append(m.Centers, ct.Center)
		m.Weights = append(m.Weights, ct.Weight)
	}
	to, _, err := cluster(m, &Scaler{Means: sim.st.Means, Variances: sim.st.Variances, N: sim.st.Observed}, x, current, sim.c.Margin)
	if err != nil {
		sim.t.Fatal(err)
	}
	return to
}

// send queues x and folds the batch into the model once it is full.
func (sim *simulation) send(x []float64) {
	sim.batch.Points = append(sim.batch.Points, x)
	if len(sim.batch.Points) < sim.c.Batch {
		return
	}
	next, err := fold(sim.c, sim.st, sim.batch)
	if err != nil {
		sim.t.Fatal(err)
	}
	sim.st, sim.batch = next, &schemas.SegmentPoints{Model: sim.c.Model}
}

// modal returns the cluster most profiles of each latent group are in.
func (sim *simulation) modal(groups int) []int {
	counts := make([]map[int]int, groups)
	for g := range counts {
		counts[g] = map[int]int{}
	}
	for _, p := range sim.persons {
		counts[p.group][p.cluster]++
	}
	out := make([]int, groups)
	for g, c := range counts {
		best := -1
		for cl, n := range c {
			if best < 0 || n > c[best] || n == c[best] && cl < best {
				best = cl
			}
		}
		out[g] = best
	}
	return out
}

func poisson(rng *rand.Rand, mean float64) int {
	n := 0
	for t := rng.ExpFloat64(); t < mean; t += rng.ExpFloat64() {
		n++
	}
	return n
}

// The stability acceptance: on a stationary stream, after a warm-up, fewer
// than 1% of the placed profiles change cluster per simulated day, and the
// clusters keep their labels from model version to model version.
func TestOnAStationaryStreamFewProfilesChangeClusterADay(t *testing.T) {
	const warmUp, days = 14, 40
	s := stationary{
		centres: [][]float64{
			{0, 0, 0, 0, 0},
			{4, 0, 0, 1, 0},
			{0, 4, 0, 0, 1},
			{0, 0, 4, 1, 1},
			{4, 4, 0, 0, 0},
			{0, 4, 4, 0, 0},
			{4, 0, 4, 0, 0},
		},
		personSD: 1, persons: 5000, rate: [2]float64{0.1, 1},
	}
	c := DefaultClustering()
	c.Dims, c.K = DefaultDims()[:5], len(s.centres)
	sim := newSimulation(t, s, c, rand.New(rand.NewPCG(7, 11)))

	var labels []int
	var version int64
	worst := 0.0
	for day := 1; day <= days; day++ {
		moved, placed := sim.day()
		share := float64(moved) / float64(max(placed, 1))
		t.Logf("day %2d: %5d placed, %4d changed cluster (%.2f%%), model version %d", day, placed, moved, 100*share, sim.st.Version)
		if day == warmUp {
			labels, version = sim.modal(len(s.centres)), sim.st.Version
		}
		if day > warmUp {
			worst = max(worst, share)
		}
	}
	if worst >= 0.01 {
		t.Errorf("after the warm-up, up to %.2f%% of the placed profiles changed cluster in a day; want under 1%%", 100*worst)
	}
	if got := sim.modal(len(s.centres)); !equalInts(got, labels) {
		t.Errorf("latent groups were mostly in clusters %v after the warm-up (version %d) and in %v at the end (version %d): labels did not persist", labels, version, got, sim.st.Version)
	}
	if sim.st.Version-version < 100 {
		t.Fatalf("only %d model versions after the warm-up: the labels were not put to the test", sim.st.Version-version)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
