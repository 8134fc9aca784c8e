package segments_test

import (
	"fmt"
	"math"

	"github.com/activa-dev/activa/processors/segments"
)

// A model buffers its first SeedPoints points, seeds itself from them, then
// follows each mini-batch with Spark's update rule.
func ExampleModel_Update() {
	p := segments.Params{K: 2, HalfLife: math.Inf(1), SeedPoints: 4, RandSeed: 1}
	var m segments.Model
	fmt.Println(m.Update(p, [][]float64{{0, 0}, {0, 1}, {10, 10}}), m.Seeded())
	fmt.Println(m.Update(p, [][]float64{{10, 11}, {0, 2}}), m.Seeded())
	small, d2 := m.Nearest([]float64{1, 1})
	large, _ := m.Nearest([]float64{9, 9})
	fmt.Printf("%v weight %v, squared distance %.3f\n", m.Centers[small], m.Weights[small], d2)
	fmt.Printf("%v weight %v\n", m.Centers[large], m.Weights[large])
	// Output:
	// 0 false
	// 2 true
	// [0 1] weight 3, squared distance 1.000
	// [10 10.5] weight 2
}

// Labels of a re-seeded model follow the old centers they are nearest to.
func ExampleMatchLabels() {
	old := [][]float64{{0, 0}, {10, 0}, {0, 10}}
	reseeded := [][]float64{{0.2, 9.7}, {0.1, -0.3}, {10.4, 0.1}, {30, 30}}
	labels, err := segments.MatchLabels(old, reseeded)
	fmt.Println(labels, err)
	// Output: [2 0 1 3] <nil>
}
