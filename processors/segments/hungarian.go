package segments

import (
	"fmt"
	"math"
)

// Assign solves the minimum-cost assignment problem on a rectangular cost
// matrix (Hungarian algorithm with potentials, O(n²m) for n <= m): it assigns
// rows to distinct columns so that the total cost is least, and returns for
// each row its column. When there are more rows than columns, every column is
// used and the rows left over get -1. Costs must be finite and the rows of
// equal length. The result depends only on the matrix.
func Assign(cost [][]float64) ([]int, error) {
	if len(cost) == 0 {
		return []int{}, nil
	}
	cols := len(cost[0])
	for i, row := range cost {
		if len(row) != cols {
			return nil, fmt.Errorf("segments: cost row %d has %d columns, want %d", i, len(row), cols)
		}
		for j, c := range row {
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return nil, fmt.Errorf("segments: cost[%d][%d] is %v, want finite", i, j, c)
			}
		}
	}
	out := make([]int, len(cost))
	for i := range out {
		out[i] = -1
	}
	if cols == 0 {
		return out, nil
	}
	if len(cost) <= cols {
		rowCol, _, _ := hungarian(cost)
		return rowCol, nil
	}
	// More rows than columns: assign columns to rows on the transpose.
	t := make([][]float64, cols)
	for j := range t {
		t[j] = make([]float64, len(cost))
		for i := range cost {
			t[j][i] = cost[i][j]
		}
	}
	colRow, _, _ := hungarian(t)
	for j, i := range colRow {
		out[i] = j
	}
	return out, nil
}

// hungarian assigns each of the n rows of cost to a distinct one of its m >=
// n columns at least total cost, by shortest augmenting paths with row
// potentials u and column potentials v. It returns the column of each row and
// the potentials, which certify optimality: u[i]+v[j] <= cost[i][j] for every
// pair, with equality on the assignment. Costs are finite.
func hungarian(cost [][]float64) (rowCol []int, u, v []float64) {
	n, m := len(cost), len(cost[0])
	// 1-based as in the textbook: index 0 is the virtual root column/row.
	u, v = make([]float64, n+1), make([]float64, m+1)
	colRow := make([]int, m+1) // row matched to each column, 0 for none
	way := make([]int, m+1)    // previous column on the shortest path
	minv := make([]float64, m+1)
	used := make([]bool, m+1)
	for i := 1; i <= n; i++ {
		colRow[0] = i
		j0 := 0
		for j := range minv {
			minv[j], used[j] = math.Inf(1), false
		}
		for colRow[j0] != 0 {
			used[j0] = true
			i0, delta, j1 := colRow[j0], math.Inf(1), 0
			for j := 1; j <= m; j++ {
				if used[j] {
					continue
				}
				if cur := cost[i0-1][j-1] - u[i0] - v[j]; cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= m; j++ {
				if used[j] {
					u[colRow[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
		}
		for j0 != 0 {
			j1 := way[j0]
			colRow[j0] = colRow[j1]
			j0 = j1
		}
	}
	rowCol = make([]int, n)
	for j := 1; j <= m; j++ {
		if colRow[j] != 0 {
			rowCol[colRow[j]-1] = j - 1
		}
	}
	return rowCol, u[1:], v[1:]
}

// MatchLabels maps each new center to a label of the old centers so that
// labels persist when a model is re-seeded (cluster 7 today is cluster 7
// tomorrow): new centers take distinct old labels at least total squared
// distance. When there are more new centers than old, the old labels all go
// to the best-matching new centers, and the others get the unused labels
// len(old), len(old)+1, ... in their order. All centers have one dimension.
func MatchLabels(old, new [][]float64) ([]int, error) {
	dim := 0
	for _, set := range []struct {
		name    string
		centers [][]float64
	}{{"old", old}, {"new", new}} {
		for i, c := range set.centers {
			if !finiteOfDim(c, dim) {
				return nil, fmt.Errorf("segments: matching labels: %w", badPoint(fmt.Sprint(set.name, " center ", i), c, dim))
			}
			dim = len(c)
		}
	}
	cost := make([][]float64, len(new))
	for i, c := range new {
		cost[i] = make([]float64, len(old))
		for j, o := range old {
			cost[i][j] = sqDist(c, o)
		}
	}
	labels, err := Assign(cost)
	if err != nil {
		return nil, fmt.Errorf("segments: matching %d new centers to %d old: %w", len(new), len(old), err)
	}
	next := len(old)
	for i, l := range labels {
		if l < 0 {
			labels[i], next = next, next+1
		}
	}
	return labels, nil
}
