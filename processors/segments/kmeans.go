package segments

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Limits and constants of the model. The last three are Spark's.
const (
	minK            = 2     // fewest clusters Params accepts
	maxK            = 1000  // most clusters Params accepts
	lloydIterations = 100   // most Lloyd iterations of a seeding run
	seedRuns        = 8     // seeding runs, the one of least inertia is kept
	dyingRatio      = 1e-8  // a cluster lighter than this times the heaviest is dying
	splitJitter     = 1e-14 // relative offset of the two halves of a split cluster
	minUpdateWeight = 1e-16 // floor of the weight lambda is divided by
)

// seedStream is the second word of the PCG state used for seeding; the first
// is Params.RandSeed. Changing it changes every seeded model.
const seedStream uint64 = 0x5eed5e9e47a1c0de

// Model is the state of a streaming k-means model; labels are indexes into Centers.
type Model struct {
	Centers [][]float64
	Weights []float64
	Seed    [][]float64 // points buffered before the model is seeded
}

// Params configure a model.
type Params struct {
	K          int     // clusters, 2 to 1000
	HalfLife   float64 // points; weights halve every HalfLife points; +Inf means no forgetting (decay 1)
	SeedPoints int     // points buffered before seeding; at least K
	RandSeed   uint64  // for the k-means++ seeding, so a replay seeds the same model
}

// Stats says what one call did with each of its points: every point is
// counted in exactly one of Applied, Buffered and Skipped.
type Stats struct {
	Applied  int  // points now in the centers: by seeding or by the update rule
	Buffered int  // points left waiting in the seed buffer
	Skipped  int  // points with a non-finite coordinate or the wrong dimension
	Seeded   bool // whether this call seeded the model
}

// Validate reports every field out of range.
func (p Params) Validate() error {
	var errs []error
	if p.K < minK || p.K > maxK {
		errs = append(errs, fmt.Errorf("segments: k %d, want %d to %d", p.K, minK, maxK))
	}
	if !(p.HalfLife > 0) {
		errs = append(errs, fmt.Errorf("segments: half-life %v points, want > 0 (+Inf for no forgetting)", p.HalfLife))
	}
	if p.SeedPoints < p.K {
		errs = append(errs, fmt.Errorf("segments: %d seed points, want at least k = %d", p.SeedPoints, p.K))
	}
	return errors.Join(errs...)
}

// Decay is the factor a weight is multiplied by per point,
// exp(ln(0.5)/HalfLife): 1 for an infinite half-life.
func (p Params) Decay() float64 {
	if math.IsInf(p.HalfLife, 1) {
		return 1
	}
	return math.Exp(math.Log(0.5) / p.HalfLife)
}

// Seeded reports whether the model has centers.
func (m *Model) Seeded() bool { return len(m.Centers) > 0 }

// Nearest returns the label of the nearest center and the squared distance.
// Ties go to the lowest label. It returns -1 and +Inf when the model is not
// seeded, or x has the wrong dimension or a non-finite coordinate.
func (m *Model) Nearest(x []float64) (int, float64) {
	if !m.Seeded() || !finiteOfDim(x, len(m.Centers[0])) {
		return -1, math.Inf(1)
	}
	return nearest(m.Centers, x)
}

// Update applies one mini-batch and returns how many of its points were
// applied to centers (Stats.Applied). It is Apply for callers whose params
// were validated at startup and whose model is consistent: it panics where
// Apply returns an error.
func (m *Model) Update(p Params, points [][]float64) int {
	st, err := m.Apply(p, points)
	if err != nil {
		panic(err)
	}
	return st.Applied
}

// Apply applies one mini-batch. Before the model is seeded, points are
// buffered in Seed (copied); once SeedPoints are buffered, Lloyd seeds K
// centers from the buffer with a PCG seeded from RandSeed, the weights are the
// counts of buffer points per center, and the buffer is cleared. If the buffer
// holds fewer than K distinct points, the missing centers are copies of the
// heaviest center with weight 0, so there are always K labels; Spark's dying
// cluster rule splits the heaviest into one of them on each following update.
// The points after the buffer filled, and every later batch, are one
// mini-batch for Step. Points with a non-finite coordinate or a dimension
// other than the model's (that of its first point) are skipped and counted.
func (m *Model) Apply(p Params, points [][]float64) (Stats, error) {
	if err := p.Validate(); err != nil {
		return Stats{}, fmt.Errorf("segments: params: %w", err)
	}
	if m.Seeded() {
		if len(m.Centers) != p.K {
			return Stats{}, fmt.Errorf("segments: model has %d centers, params k = %d", len(m.Centers), p.K)
		}
		return m.Step(p.Decay(), points)
	}
	dim := 0
	if len(m.Seed) > 0 {
		dim = len(m.Seed[0])
	}
	var st Stats
	i := 0
	for ; i < len(points) && len(m.Seed) < p.SeedPoints; i++ {
		if !finiteOfDim(points[i], dim) {
			st.Skipped++
			continue
		}
		dim = len(points[i])
		m.Seed = append(m.Seed, slices.Clone(points[i]))
		st.Buffered++
	}
	if len(m.Seed) < p.SeedPoints {
		return st, nil
	}
	if err := m.seed(p); err != nil {
		return st, err
	}
	st.Seeded, st.Applied, st.Buffered = true, st.Buffered, 0
	if i == len(points) {
		return st, nil
	}
	rest, err := m.Step(p.Decay(), points[i:])
	st.Applied += rest.Applied
	st.Skipped += rest.Skipped
	return st, err
}

// seed replaces the buffer by K centers (see Apply).
func (m *Model) seed(p Params) error {
	rng := rand.New(rand.NewPCG(p.RandSeed, seedStream))
	var centers [][]float64
	var labels []int
	best := math.Inf(1)
	for range seedRuns {
		c, l, err := Lloyd(m.Seed, p.K, rng, lloydIterations)
		if err != nil {
			return fmt.Errorf("segments: seeding from %d buffered points: %w", len(m.Seed), err)
		}
		if in := inertia(m.Seed, c, l); in < best {
			centers, labels, best = c, l, in
		}
	}
	weights := make([]float64, p.K)
	for _, l := range labels {
		weights[l]++
	}
	heaviest := 0
	for j, w := range weights {
		if w > weights[heaviest] {
			heaviest = j
		}
	}
	for len(centers) < p.K {
		centers = append(centers, slices.Clone(centers[heaviest]))
	}
	m.Centers, m.Weights, m.Seed = centers, weights, nil
	return nil
}

// Step applies one mini-batch to a seeded model with Spark's
// StreamingKMeansModel.update rule, time unit "points": each point goes to its
// nearest center (before any center moves); all weights are multiplied by
// decay^m for the m points applied; a center with c points summing to s gets
// w' = w + c, lambda = c / max(w', 1e-16) and center = (1-lambda)*center +
// (lambda/c)*s; then if the lightest weight is below 1e-8 times the heaviest,
// the heaviest is split in two (see splitDying). An empty batch still runs the
// dying check, as in Spark. Invalid points are skipped and counted.
func (m *Model) Step(decay float64, points [][]float64) (Stats, error) {
	if !(decay >= 0 && decay <= 1) {
		return Stats{}, fmt.Errorf("segments: decay %v, want 0 to 1", decay)
	}
	if err := m.check(); err != nil {
		return Stats{}, err
	}
	dim := len(m.Centers[0])
	sums := make([][]float64, len(m.Centers))
	counts := make([]int, len(m.Centers))
	var st Stats
	for _, x := range points {
		if !finiteOfDim(x, dim) {
			st.Skipped++
			continue
		}
		j, _ := nearest(m.Centers, x)
		if sums[j] == nil {
			sums[j] = make([]float64, dim)
		}
		for d, v := range x {
			sums[j][d] += v
		}
		counts[j]++
		st.Applied++
	}
	discount := math.Pow(decay, float64(st.Applied))
	for j := range m.Weights {
		m.Weights[j] *= discount
	}
	for j, c := range counts {
		if c == 0 {
			continue
		}
		w := m.Weights[j] + float64(c)
		lambda := float64(c) / math.Max(w, minUpdateWeight)
		m.Weights[j] = w
		scale := lambda / float64(c)
		for d, x := range m.Centers[j] {
			// The conversions keep the compiler from fusing into an FMA, so
			// every architecture rounds as Spark's scal and axpy do.
			m.Centers[j][d] = float64(x*(1-lambda)) + float64(scale*sums[j][d])
		}
	}
	m.splitDying()
	return st, nil
}

// splitDying is Spark's dying cluster rule: if the lightest weight (first
// such label) is below 1e-8 times the heaviest (first such label), both get
// the mean of the two weights, and each coordinate x of the heaviest center
// becomes x+p in the heaviest and x-p in the lightest, p = 1e-14*max(|x|, 1).
func (m *Model) splitDying() {
	largest, smallest := 0, 0
	for j, w := range m.Weights {
		if w > m.Weights[largest] {
			largest = j
		}
		if w < m.Weights[smallest] {
			smallest = j
		}
	}
	maxW, minW := m.Weights[largest], m.Weights[smallest]
	if !(minW < dyingRatio*maxW) {
		return
	}
	m.Weights[largest] = (maxW + minW) / 2
	m.Weights[smallest] = m.Weights[largest]
	for d, x := range m.Centers[largest] {
		p := splitJitter * math.Max(math.Abs(x), 1)
		m.Centers[largest][d] = x + p
		m.Centers[smallest][d] = x - p
	}
}

// check reports a seeded model whose centers and weights do not fit together.
func (m *Model) check() error {
	if !m.Seeded() {
		return errors.New("segments: model is not seeded")
	}
	if len(m.Weights) != len(m.Centers) {
		return fmt.Errorf("segments: model has %d centers and %d weights", len(m.Centers), len(m.Weights))
	}
	for j, c := range m.Centers {
		if !finiteOfDim(c, len(m.Centers[0])) {
			return fmt.Errorf("segments: model: %w", badPoint(fmt.Sprint("center ", j), c, len(m.Centers[0])))
		}
		if w := m.Weights[j]; !(w >= 0) || math.IsInf(w, 1) {
			return fmt.Errorf("segments: center %d has weight %v, want finite >= 0", j, w)
		}
	}
	return nil
}
