package segments

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// bruteForce is the least total cost of assigning min(rows, cols) rows to
// distinct columns, over every injective assignment.
func bruteForce(cost [][]float64) float64 {
	n, m := len(cost), len(cost[0])
	used := make([]bool, m)
	var best func(i, left int) float64
	best = func(i, left int) float64 { // rows from i on; left rows still to place
		if left == 0 {
			return 0
		}
		out := math.Inf(1)
		if n-i > left { // row i may stay unassigned
			out = best(i+1, left)
		}
		for j := range m {
			if !used[j] {
				used[j] = true
				out = min(out, cost[i][j]+best(i+1, left-1))
				used[j] = false
			}
		}
		return out
	}
	return best(0, min(n, m))
}

// total checks that cols is a valid assignment of cost and returns its cost.
func total(t *testing.T, cost [][]float64, cols []int) float64 {
	t.Helper()
	seen, unassigned, sum := map[int]bool{}, 0, 0.0
	for i, j := range cols {
		if j < 0 {
			unassigned++
			continue
		}
		if seen[j] || j >= len(cost[i]) {
			t.Fatalf("assignment %v: column %d reused or out of range", cols, j)
		}
		seen[j] = true
		sum += cost[i][j]
	}
	if want := max(0, len(cost)-len(cost[0])); unassigned != want || len(cols) != len(cost) {
		t.Fatalf("assignment %v of %d rows: %d unassigned, want %d", cols, len(cost), unassigned, want)
	}
	return sum
}

func randomCost(rng *rand.Rand, n, m int, ties bool) [][]float64 {
	cost := make([][]float64, n)
	for i := range cost {
		cost[i] = make([]float64, m)
		for j := range cost[i] {
			if ties {
				cost[i][j] = float64(rng.IntN(4)) // many equal costs
			} else {
				cost[i][j] = rng.Float64()*200 - 100
			}
		}
	}
	return cost
}

func TestAssignBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	cases := 0
	for n := 1; n <= 7; n++ {
		for m := 1; m <= 7; m++ {
			for trial := range 6 {
				cost := randomCost(rng, n, m, trial%2 == 1)
				cols, err := Assign(cost)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := total(t, cost, cols), bruteForce(cost); math.Abs(got-want) > 1e-9 {
					t.Errorf("%dx%d %v: Assign total %v, brute force %v", n, m, cost, got, want)
				}
				cases++
			}
		}
	}
	t.Logf("%d matrices from 1x1 to 7x7 agree with brute force", cases)
}

// TestAssignLarge checks k = 300 by the certificate of optimality the
// potentials give: u[i]+v[j] <= cost[i][j] everywhere, equality on the
// assignment, v[j] <= 0 (0 on unused columns), so no assignment costs less
// than sum(u)+sum(v), which is the assignment's cost.
func TestAssignLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, m := range []int{300, 310} {
		cost := randomCost(rng, 300, m, false)
		cols, u, v := hungarian(cost)
		sum, dual, slack := total(t, cost, cols), 0.0, 0.0
		for i := range cost {
			dual += u[i]
			for j := range cost[i] {
				slack = min(slack, cost[i][j]-u[i]-v[j])
			}
			if d := math.Abs(cost[i][cols[i]] - u[i] - v[cols[i]]); d > 1e-9 {
				t.Errorf("row %d: assigned reduced cost %v, want 0", i, d)
			}
		}
		for j := range v {
			dual += v[j]
			if v[j] > 1e-9 {
				t.Errorf("column %d: potential %v, want <= 0", j, v[j])
			}
		}
		t.Logf("300x%d: total %.6f, dual %.6f, most negative reduced cost %.3g", m, sum, dual, slack)
		if slack < -1e-9 || math.Abs(sum-dual) > 1e-6 {
			t.Errorf("300x%d: total %v, dual %v, reduced cost down to %v", m, sum, dual, slack)
		}
		if got, _ := Assign(cost); !reflect.DeepEqual(got, cols) {
			t.Errorf("300x%d: Assign differs from hungarian", m)
		}
	}
}

func TestAssignEdges(t *testing.T) {
	if got, err := Assign(nil); err != nil || len(got) != 0 {
		t.Errorf("Assign(nil) = %v, %v", got, err)
	}
	if got, err := Assign([][]float64{{}, {}}); err != nil || !reflect.DeepEqual(got, []int{-1, -1}) {
		t.Errorf("Assign of 2x0 = %v, %v; want [-1 -1]", got, err)
	}
	for _, tc := range []struct {
		cost [][]float64
		want string
	}{
		{[][]float64{{1, 2}, {3}}, "cost row 1 has 1 columns, want 2"},
		{[][]float64{{1, math.NaN()}}, "cost[0][1] is NaN"},
		{[][]float64{{1}, {math.Inf(-1)}}, "cost[1][0] is -Inf"},
	} {
		if _, err := Assign(tc.cost); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Assign(%v) error %v, want %q", tc.cost, err, tc.want)
		}
	}
}

// moved returns the centers in the order perm, each moved by up to jitter
// per coordinate.
func moved(rng *rand.Rand, centers [][]float64, perm []int, jitter float64) [][]float64 {
	out := make([][]float64, len(perm))
	for i, j := range perm {
		out[i] = make([]float64, len(centers[j]))
		for d, x := range centers[j] {
			out[i][d] = x + (rng.Float64()*2-1)*jitter
		}
	}
	return out
}

func TestMatchLabels(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, k := range []int{2, 8, 300} {
		old := blobs(rng, [][]float64{{0, 0, 0}}, k, 10)
		perm := rng.Perm(k)
		labels, err := MatchLabels(old, moved(rng, old, perm, 0.01))
		if err != nil || !reflect.DeepEqual(labels, perm) {
			t.Errorf("k %d: MatchLabels = %v, %v; want %v", k, labels, err, perm)
		}
	}
	old := [][]float64{{0, 0}, {10, 0}, {0, 10}, {10, 10}}
	// More new centers: the two far ones get the unused labels 4 and 5.
	grown := [][]float64{{50, 50}, {0.1, 10}, {10, 9.9}, {-50, 0}, {0, 0.2}, {10.1, 0}}
	if got, err := MatchLabels(old, grown); err != nil || !reflect.DeepEqual(got, []int{4, 2, 3, 5, 0, 1}) {
		t.Errorf("grown: MatchLabels = %v, %v; want [4 2 3 5 0 1]", got, err)
	}
	// Fewer new centers keep the labels of the old centers they match.
	if got, err := MatchLabels(old, [][]float64{{9, 9}, {1, 1}}); err != nil || !reflect.DeepEqual(got, []int{3, 0}) {
		t.Errorf("shrunk: MatchLabels = %v, %v; want [3 0]", got, err)
	}
	if got, err := MatchLabels(nil, [][]float64{{1}, {2}}); err != nil || !reflect.DeepEqual(got, []int{0, 1}) {
		t.Errorf("no old centers: MatchLabels = %v, %v; want [0 1]", got, err)
	}
	for _, tc := range []struct {
		old, new [][]float64
		want     string
	}{
		{[][]float64{{1, 2}}, [][]float64{{1}}, "new center 0 has 1 coordinates, want 2"},
		{[][]float64{{1}, {math.NaN()}}, [][]float64{{1}}, "old center 1 has a non-finite"},
		{[][]float64{{1e300}}, [][]float64{{-1e300}}, "cost[0][0] is +Inf"},
	} {
		if _, err := MatchLabels(tc.old, tc.new); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("MatchLabels(%v, %v) error %v, want %q", tc.old, tc.new, err, tc.want)
		}
	}
}
