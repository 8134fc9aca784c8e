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
//
// Clusters come from streaming k-means in a standardized space of the
// features (Dim, log-scaled counts and money): a Scaler keeps each
// dimension's mean and variance with exponential forgetting, and Model
// follows Apache Spark's StreamingKMeans update rule (weights decay per
// point by a half-life, a centre moves toward the batch mean by m/(w+m),
// a dying cluster is replaced by a split of the largest), seeded with
// k-means++ and Lloyd from the first points. MatchLabels keeps labels
// across a re-seeding (Hungarian method), so that cluster 7 today is
// cluster 7 tomorrow.
package segments
