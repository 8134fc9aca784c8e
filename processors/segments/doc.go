// Package segments is the segments stage: it places every profile, on each
// change of its features (profile.features), in a value tier, a lifecycle
// stage and an online cluster, and writes every move to segment.changes.
//
// Tiers and lifecycle stages come from rules written in YAML without code
// (Rules): a value ladder with hysteresis on one metric, so that a person
// on a threshold does not flip back and forth, and lifecycle stages taken
// in order, the first whose condition holds. Conditions and the metric are
// expressions (github.com/expr-lang/expr) over the features and the days
// since the first visit, the last visit and the last order (Env).
package segments
