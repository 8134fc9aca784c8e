package segments

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// minRelStdDev is the floor of Standardize: a dimension whose standard
// deviation is at most this times max(|mean|, 1), zero up to rounding, is
// constant and maps to 0.
const minRelStdDev = 1e-12

// ScalerParams configure a Scaler.
type ScalerParams struct {
	// HalfLife is in points: a point's weight halves every HalfLife points.
	// +Inf weighs all points equally (the ordinary running mean and
	// population variance).
	HalfLife float64
}

// Validate reports a half-life out of range.
func (p ScalerParams) Validate() error {
	if !(p.HalfLife > 0) {
		return fmt.Errorf("segments: scaler half-life %v points, want > 0 (+Inf for no forgetting)", p.HalfLife)
	}
	return nil
}

// Alpha is the forgetting factor per point, 1 - exp(ln(0.5)/HalfLife): the
// weight of the newest point. It is 0 for an infinite half-life, where
// Observe uses 1/N instead.
func (p ScalerParams) Alpha() float64 {
	if math.IsInf(p.HalfLife, 1) {
		return 0
	}
	return 1 - math.Exp(math.Log(0.5)/p.HalfLife)
}

// Scaler standardizes points with exponentially weighted per-dimension means
// and variances (Finch, "Incremental calculation of weighted mean and
// variance", 2009). After N points x_1..x_N with alpha = Alpha(), the
// weights are alpha*(1-alpha)^(N-i) for i >= 2 and (1-alpha)^(N-1) for the
// first point, which initialises the mean with variance 0; they sum to 1.
type Scaler struct {
	Means     []float64
	Variances []float64
	N         int64 // points observed
}

// Observe folds point x into the means and variances: per dimension, diff =
// x - mean, incr = alpha*diff, mean += incr, var = (1-alpha)*(var +
// diff*incr). A point with a non-finite coordinate or a dimension other than
// that of the first point is refused with an error and changes nothing.
func (s *Scaler) Observe(p ScalerParams, x []float64) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := s.check(x); err != nil {
		return fmt.Errorf("segments: observing: %w", err)
	}
	if s.N == 0 {
		s.Means, s.Variances, s.N = slices.Clone(x), make([]float64, len(x)), 1
		return nil
	}
	s.N++
	alpha := p.Alpha()
	if alpha == 0 {
		alpha = 1 / float64(s.N)
	}
	for d, v := range x {
		diff := v - s.Means[d]
		incr := alpha * diff
		s.Means[d] += incr
		s.Variances[d] = (1 - alpha) * (s.Variances[d] + diff*incr)
	}
	return nil
}

// Standardize returns (x - mean) / sqrt(variance) per dimension; a dimension
// whose standard deviation is zero up to rounding maps to 0. It refuses a
// scaler that has observed nothing, and x of another dimension or with a
// non-finite coordinate.
func (s *Scaler) Standardize(x []float64) ([]float64, error) {
	if s.N == 0 {
		return nil, errors.New("segments: standardizing with a scaler that has observed no point")
	}
	if err := s.check(x); err != nil {
		return nil, fmt.Errorf("segments: standardizing: %w", err)
	}
	out := make([]float64, len(x))
	for d, v := range x {
		sd := math.Sqrt(s.Variances[d])
		if zeroSpread(sd, s.Means[d]) {
			continue
		}
		out[d] = (v - s.Means[d]) / sd
	}
	return out, nil
}

// check reports x that does not fit the scaler, or a scaler whose state does
// not fit together.
func (s *Scaler) check(x []float64) error {
	if s.N < 0 || (s.N > 0 && (len(s.Means) == 0 || len(s.Variances) != len(s.Means))) {
		return fmt.Errorf("scaler has %d points, %d means and %d variances", s.N, len(s.Means), len(s.Variances))
	}
	if !finiteOfDim(x, len(s.Means)) {
		return badPoint("point", x, len(s.Means))
	}
	return nil
}

// zeroSpread reports a standard deviation that is zero up to rounding
// against its mean: the dimension maps to 0.
func zeroSpread(sd, mean float64) bool { return sd <= minRelStdDev*max(math.Abs(mean), 1) }

// LogScale is sign(v)*log1p(|v|), a scale for monetary amounts and counts:
// 0 stays 0, it is odd and monotonic, and it grows like log|v| for large |v|.
func LogScale(v float64) float64 {
	if v < 0 {
		return -math.Log1p(-v)
	}
	return math.Log1p(v)
}
