package score_test

import (
	"math"
	"testing"

	"github.com/activa-dev/activa/loadtest/score"
)

func TestAdjustedRand(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    []int
		b    []string
		want float64
	}{
		{"same partition, other names", []int{0, 0, 1, 1, 2, 2}, []string{"x", "x", "y", "y", "z", "z"}, 1},
		// The example of scikit-learn's documentation:
		// adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.5714285714285714.
		{"one class split", []int{0, 0, 1, 1}, []string{"a", "a", "b", "c"}, 0.5714285714285714},
		// adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1]) = -0.5.
		{"crossed", []int{0, 0, 1, 1}, []string{"a", "b", "a", "b"}, -0.5},
		// Worked by hand: contingency [[2,1],[0,3]], index 1+3 = 4, rows
		// 3+3 = 6, columns 1+6 = 7, expected 6*7/15 = 2.8, top 6.5:
		// (4-2.8)/(6.5-2.8) = 1.2/3.7.
		{"by hand", []int{0, 0, 0, 1, 1, 1}, []string{"a", "a", "b", "b", "b", "b"}, 1.2 / 3.7},
	} {
		got, err := score.AdjustedRand(tc.a, tc.b)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, err := score.AdjustedRand([]int{1}, []int{1, 2}); err == nil {
		t.Error("labellings of different lengths compared")
	}
}
