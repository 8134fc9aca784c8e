// Package loadtest is the library behind `activa gen`, `activa replay` and
// `activa loadtest`: package gen writes deterministic synthetic populations
// with their ground truth, package replay produces JSON Lines into events.raw
// at a chosen rate, and the measurement and report of a load test build on
// both.
package loadtest
