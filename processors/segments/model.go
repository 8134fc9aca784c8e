package segments

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/lovoo/goka"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/schemas"
)

// ModelConfig configures the segments-model processor: it keeps the
// clustering model under its name and updates it with the batches of
// points the segments processor sends.
type ModelConfig struct {
	// Group is the goka group; its table is Group-table. Required.
	Group goka.Group
	// Points is segment.points, Model is segment.model. Required.
	Points, Model goka.Stream
	// PointsCodec and ModelCodec encode them; the table holds the model
	// too. Required.
	PointsCodec *schemas.Codec[schemas.SegmentPoints]
	ModelCodec  *schemas.Codec[schemas.SegmentModel]
	// Harness dead-letters bad input. Required.
	Harness *harness.Harness
	// Clustering is the model's configuration; default
	// DefaultClustering.
	Clustering Clustering
	// Now is the wall clock (SegmentModel.updated_ts); default time.Now.
	Now func() time.Time
}

// DefaultModelConfig returns the defaults; Group, the topics, the codecs
// and Harness remain to be set.
func DefaultModelConfig() ModelConfig {
	return ModelConfig{Clustering: DefaultClustering(), Now: time.Now}
}

// Validate reports a configuration the processor cannot run with.
func (c ModelConfig) Validate() error {
	var errs []error
	if c.Group == "" || c.Points == "" || c.Model == "" || c.PointsCodec == nil || c.ModelCodec == nil || c.Harness == nil || c.Now == nil {
		errs = append(errs, errors.New("segments-model: group, topics, codecs, harness and clock must be set"))
	}
	if !c.Clustering.On() {
		errs = append(errs, errors.New("segments-model: clustering has no dimensions"))
	}
	if err := c.Clustering.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// DefineModel builds the segments-model processor's group graph. It does
// no I/O.
func DefineModel(cfg ModelConfig) (*goka.GroupGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := goka.DefineGroup(cfg.Group,
		harness.RawInput(cfg.Points, harness.Handle(cfg.Harness, cfg.PointsCodec, func(ctx goka.Context, m harness.Msg[schemas.SegmentPoints]) {
			onPoints(cfg, ctx, m)
		})),
		goka.Persist(cfg.ModelCodec),
		goka.Output(cfg.Model, cfg.ModelCodec),
		cfg.Harness.Output(),
	)
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("segments-model: %w", err)
	}
	return g, nil
}

// onPoints folds a batch of points into the model and publishes it.
func onPoints(cfg ModelConfig, ctx goka.Context, m harness.Msg[schemas.SegmentPoints]) {
	c := cfg.Clustering
	if m.Value.Model != ctx.Key() || m.Value.Model != c.Model {
		cfg.Harness.Refuse(ctx, m.Raw, deadletter.Invalid, fmt.Errorf("points for model %q keyed %q, this processor keeps %q", m.Value.Model, ctx.Key(), c.Model), "")
		return
	}
	st, _ := ctx.Value().(*schemas.SegmentModel)
	next, err := fold(c, st, m.Value)
	if err != nil {
		cfg.Harness.Refuse(ctx, m.Raw, deadletter.Invalid, err, "")
		return
	}
	next.UpdatedTS = cfg.Now().UTC().Truncate(time.Millisecond)
	ctx.SetValue(next)
	ctx.Emit(cfg.Model, ctx.Key(), next)
}

// fold returns the model st (nil: none yet) after a batch of points: the
// points update the standardization statistics, wait in the seed buffer
// until there are enough of them to seed the model, then move the centres
// by Spark's rule. A model of other dimensions starts over. A model of
// another k is seeded again, and keeps its centres and assigns with them
// until the new ones are seeded; the new centres then take the labels of
// the old ones they match (MatchLabels), so a profile's cluster keeps its
// meaning across the change.
func fold(c Clustering, st *schemas.SegmentModel, b *schemas.SegmentPoints) (*schemas.SegmentModel, error) {
	s, _ := newSpace(c.Dims) // validated with the configuration
	dims := s.names()
	if st == nil || !slices.Equal(st.Dims, dims) {
		var version int64
		if st != nil {
			version = st.Version
		}
		st = &schemas.SegmentModel{Model: c.Model, K: int32(c.K), Dims: dims, Version: version}
	}
	if st.K != int32(c.K) {
		st.K, st.Seed = int32(c.K), nil
	}
	sc := Scaler{Means: st.Means, Variances: st.Variances, N: st.Observed}
	before := Scaler{Means: slices.Clone(sc.Means), Variances: slices.Clone(sc.Variances), N: sc.N}
	var fresh [][]float64
	for i, x := range b.Points {
		if err := sc.Observe(c.scalerParams(), x); err != nil {
			return nil, fmt.Errorf("point %d of the batch: %w", i, err)
		}
		fresh = append(fresh, x)
	}
	var model, old Model
	for _, ct := range st.Centroids {
		old.Centers = append(old.Centers, restandardize(ct.Center, &before, &sc))
		old.Weights = append(old.Weights, ct.Weight)
	}
	if len(old.Centers) == c.K {
		model, old = old, Model{}
	}
	if !model.Seeded() {
		st.Seed = append(st.Seed, fresh...)
		fresh = nil
		if len(st.Seed) >= c.SeedPoints {
			fresh, st.Seed = st.Seed, nil
		}
	}
	if len(fresh) > 0 {
		std := make([][]float64, len(fresh))
		for i, x := range fresh {
			var err error
			if std[i], err = sc.Standardize(x); err != nil {
				return nil, err
			}
		}
		p := c.params()
		if !model.Seeded() {
			p.SeedPoints = len(std)
		}
		if _, err := model.Apply(p, std); err != nil {
			return nil, err
		}
		if old.Seeded() {
			if err := relabel(&model, old.Centers); err != nil {
				return nil, err
			}
			old = Model{}
		}
	}
	if !model.Seeded() {
		model = old // seeding again: the old centres serve meanwhile
	}
	sizes := map[int32]int64{}
	for _, ct := range st.Centroids {
		sizes[ct.Label] = ct.Size
	}
	for l, d := range b.Moves {
		if n, err := strconv.Atoi(l); err == nil {
			sizes[int32(n)] += d
		}
	}
	st.Centroids = st.Centroids[:0]
	for i, center := range model.Centers {
		st.Centroids = append(st.Centroids, schemas.Centroid{Label: int32(i), Weight: model.Weights[i], Center: center, Size: max(0, sizes[int32(i)])})
	}
	st.Means, st.Variances, st.Observed = sc.Means, sc.Variances, sc.N
	st.Version++
	return st, nil
}

// relabel orders the centres of a model seeded again so that each takes
// the label (index) of the old centre it matches (MatchLabels). With more
// new centres than old, the others take the labels after the old ones;
// with fewer, a new centre whose match is a label no longer in use takes
// the lowest free one.
func relabel(m *Model, old [][]float64) error {
	labels, err := MatchLabels(old, m.Centers)
	if err != nil {
		return err
	}
	k := len(m.Centers)
	taken := make([]bool, k)
	for _, l := range labels {
		if l < k {
			taken[l] = true
		}
	}
	free := 0
	for i, l := range labels {
		if l < k {
			continue
		}
		for taken[free] {
			free++
		}
		labels[i], taken[free] = free, true
	}
	centers, weights := make([][]float64, k), make([]float64, k)
	for i, l := range labels {
		centers[l], weights[l] = m.Centers[i], m.Weights[i]
	}
	m.Centers, m.Weights = centers, weights
	return nil
}

// restandardize re-expresses a centre standardized by the statistics of
// before in those of after, so that it stays where it was in the space of
// the features while the statistics move: otherwise every change of a
// mean or a variance would shift every centre that no point updates.
func restandardize(center []float64, before, after *Scaler) []float64 {
	out := make([]float64, len(center))
	for d, x := range center {
		if d >= len(before.Means) || d >= len(after.Means) {
			return center
		}
		raw := before.Means[d]
		if sd := math.Sqrt(before.Variances[d]); !zeroSpread(sd, before.Means[d]) {
			raw += x * sd
		}
		if sd := math.Sqrt(after.Variances[d]); !zeroSpread(sd, after.Means[d]) {
			out[d] = (raw - after.Means[d]) / sd
		}
	}
	return out
}
