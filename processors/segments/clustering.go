package segments

import (
	"errors"
	"fmt"
)

// Clustering configures the online clustering both groups share: the
// segments group assigns profiles with it and sends their points in
// batches, the segments-model group updates the model from them.
type Clustering struct {
	// Model names the model (key of segment.model); default "default".
	// An empty Dims turns clustering off.
	Model string
	// Dims are the dimensions of the space; default DefaultDims.
	Dims []Dim
	// K is the number of clusters, 2 to 1000; default 8.
	K int
	// HalfLife is the model's memory in points: centroid weights and the
	// standardization statistics halve every HalfLife points; default
	// 20,000.
	HalfLife float64
	// SeedPoints are buffered before the model is seeded (k-means++ and
	// Lloyd on them); default 2,000, at least K.
	SeedPoints int
	// Margin is how much closer (a share of the distance) another centre
	// must be for a profile to change cluster; default 0.1.
	Margin float64
	// Batch is how many points a partition sends to the model at once;
	// default 256. The sweep sends what is left.
	Batch int
	// RandSeed seeds the k-means++ seeding; default 1.
	RandSeed uint64
}

// DefaultClustering returns the defaults.
func DefaultClustering() Clustering {
	return Clustering{Model: "default", Dims: DefaultDims(), K: 8, HalfLife: 20000, SeedPoints: 2000, Margin: 0.1, Batch: 256, RandSeed: 1}
}

// On reports whether clustering is configured.
func (c Clustering) On() bool { return len(c.Dims) > 0 }

// Validate reports a clustering configuration that cannot work.
func (c Clustering) Validate() error {
	if !c.On() {
		return nil
	}
	var errs []error
	if _, err := newSpace(c.Dims); err != nil {
		errs = append(errs, err)
	}
	if c.Model == "" {
		errs = append(errs, errors.New("segments: clustering model without a name"))
	}
	if err := c.params().Validate(); err != nil {
		errs = append(errs, err)
	}
	if !(c.Margin >= 0 && c.Margin < 1) {
		errs = append(errs, fmt.Errorf("segments: cluster margin %v: want from 0 to below 1", c.Margin))
	}
	if c.Batch < 1 {
		errs = append(errs, fmt.Errorf("segments: batch of %d points: want at least 1", c.Batch))
	}
	return errors.Join(errs...)
}

// params are the model parameters.
func (c Clustering) params() Params {
	return Params{K: c.K, HalfLife: c.HalfLife, SeedPoints: c.SeedPoints, RandSeed: c.RandSeed}
}

// scalerParams are the standardization parameters: the model's memory.
func (c Clustering) scalerParams() ScalerParams { return ScalerParams{HalfLife: c.HalfLife} }

// Point returns the point of env in the clustering space, log-scaled where
// the dimensions say, not standardized: what segments sends to the model.
func (c Clustering) Point(env *Env) ([]float64, error) {
	s, err := newSpace(c.Dims)
	if err != nil {
		return nil, err
	}
	return s.point(env), nil
}
