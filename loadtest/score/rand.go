package score

import "fmt"

// AdjustedRand is the adjusted Rand index of two labellings of the same
// items (Hubert and Arabie, 1985): 1 when they partition the items alike,
// about 0 for labellings as alike as chance makes them, negative below
// chance. Labels are compared only within a labelling: the same partition
// under other names scores 1.
func AdjustedRand[A, B comparable](a []A, b []B) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("adjusted Rand index: %d labels against %d", len(a), len(b))
	}
	type cell struct {
		a A
		b B
	}
	cells, rows, cols := map[cell]int{}, map[A]int{}, map[B]int{}
	for i := range a {
		cells[cell{a[i], b[i]}]++
		rows[a[i]]++
		cols[b[i]]++
	}
	pairs := func(n int) float64 { return float64(n) * float64(n-1) / 2 }
	var index, sumRows, sumCols float64
	for _, n := range cells {
		index += pairs(n)
	}
	for _, n := range rows {
		sumRows += pairs(n)
	}
	for _, n := range cols {
		sumCols += pairs(n)
	}
	expected := sumRows * sumCols / pairs(len(a))
	top := (sumRows + sumCols) / 2
	if top == expected {
		// Both labellings put every item alone or all in one: only an
		// identical partition is possible.
		return 1, nil
	}
	return (index - expected) / (top - expected), nil
}
