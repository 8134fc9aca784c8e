//go:build race

package kpi_test

// raceEnabled tells that the tests run under the race detector, which
// slows the replay of 100,000 persons over 28 days beyond use.
const raceEnabled = true
