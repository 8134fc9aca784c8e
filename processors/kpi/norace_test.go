//go:build !race

package kpi_test

// raceEnabled tells that the tests run under the race detector.
const raceEnabled = false
