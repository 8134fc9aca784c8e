package segments

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Lloyd is batch k-means: k-means++ seeding (D² sampling) followed by at most
// maxIter Lloyd iterations, stopping early when no assignment changes. It
// returns the centers and, for each point, the label of its nearest center
// (squared Euclidean distance, ties to the lowest label). The choices depend
// only on rng and the order of points, so a replay gives the same centers.
//
// When points holds fewer than k distinct points, Lloyd returns fewer than k
// centers, one per distinct point, rather than duplicates. A center that loses
// all its points keeps its position. The centers are fresh slices.
func Lloyd(points [][]float64, k int, rng *rand.Rand, maxIter int) ([][]float64, []int, error) {
	switch {
	case len(points) == 0:
		return nil, nil, errors.New("segments: lloyd of no points")
	case k < 1:
		return nil, nil, fmt.Errorf("segments: lloyd with k %d, want >= 1", k)
	case rng == nil:
		return nil, nil, errors.New("segments: lloyd without a random source")
	}
	for i, x := range points {
		if !finiteOfDim(x, len(points[0])) {
			return nil, nil, fmt.Errorf("segments: lloyd: %w", badPoint(fmt.Sprint("point ", i), x, len(points[0])))
		}
	}
	centers := kMeansPlusPlus(points, k, rng)
	labels := make([]int, len(points))
	for i, x := range points {
		labels[i], _ = nearest(centers, x)
	}
	for range maxIter {
		means(points, labels, centers)
		changed := false
		for i, x := range points {
			if j, _ := nearest(centers, x); j != labels[i] {
				labels[i], changed = j, true
			}
		}
		if !changed {
			break
		}
	}
	return centers, labels, nil
}

// inertia is the sum of the squared distances of points to the centers
// of their labels.
func inertia(points, centers [][]float64, labels []int) float64 {
	sum := 0.0
	for i, x := range points {
		sum += sqDist(centers[labels[i]], x)
	}
	return sum
}

// kMeansPlusPlus picks up to k of points as initial centers: the first
// uniformly, each next with probability proportional to its squared distance
// to the nearest center picked so far, found by walking the points in order
// until the running sum exceeds a uniform draw times the total. It stops
// early when every point coincides with a center.
func kMeansPlusPlus(points [][]float64, k int, rng *rand.Rand) [][]float64 {
	centers := [][]float64{slices.Clone(points[rng.IntN(len(points))])}
	d2 := make([]float64, len(points))
	for i, x := range points {
		d2[i] = sqDist(x, centers[0])
	}
	for len(centers) < k {
		total := 0.0
		for _, d := range d2 {
			total += d
		}
		if total == 0 {
			break
		}
		r := rng.Float64() * total
		pick, sum := -1, 0.0
		for i, d := range d2 {
			if d == 0 {
				continue
			}
			// The last point with a positive distance is the pick when
			// rounding keeps the running sum from passing r.
			pick, sum = i, sum+d
			if sum > r {
				break
			}
		}
		c := slices.Clone(points[pick])
		centers = append(centers, c)
		for i, x := range points {
			d2[i] = min(d2[i], sqDist(x, c))
		}
	}
	return centers
}

// means moves each center to the mean of the points labelled with it; a
// center without points stays where it is.
func means(points [][]float64, labels []int, centers [][]float64) {
	counts := make([]int, len(centers))
	sums := make([][]float64, len(centers))
	for i, x := range points {
		j := labels[i]
		if sums[j] == nil {
			sums[j] = make([]float64, len(x))
		}
		for d, v := range x {
			sums[j][d] += v
		}
		counts[j]++
	}
	for j, s := range sums {
		for d := range s {
			centers[j][d] = s[d] / float64(counts[j])
		}
	}
}

// nearest returns the index of the center nearest to x and the squared
// distance, ties to the lowest index. centers is not empty and every center
// has len(x) coordinates.
func nearest(centers [][]float64, x []float64) (int, float64) {
	best, bestD := 0, sqDist(x, centers[0])
	for j := 1; j < len(centers); j++ {
		if d := sqDist(x, centers[j]); d < bestD {
			best, bestD = j, d
		}
	}
	return best, bestD
}

// sqDist is the squared Euclidean distance of two points of equal dimension.
func sqDist(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		d := v - b[i]
		s += d * d
	}
	return s
}

// finiteOfDim reports whether x is not empty, has dim coordinates (any
// number when dim is 0) and every coordinate is finite.
func finiteOfDim(x []float64, dim int) bool {
	if len(x) == 0 || (dim != 0 && len(x) != dim) {
		return false
	}
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// badPoint says why finiteOfDim(x, dim) is false for the point called name.
func badPoint(name string, x []float64, dim int) error {
	switch {
	case len(x) == 0:
		return fmt.Errorf("%s is empty", name)
	case dim != 0 && len(x) != dim:
		return fmt.Errorf("%s has %d coordinates, want %d", name, len(x), dim)
	}
	return fmt.Errorf("%s has a non-finite coordinate", name)
}
