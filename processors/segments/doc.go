// Package segments is the segments stage: it clusters standardized profile
// features into customer segments with streaming k-means (Apache Spark's
// StreamingKMeansModel update rule, forgetting measured in points), seeds a
// model with k-means++ and a few Lloyd iterations, keeps segment labels stable
// across re-seeding by minimum-cost matching of old and new centers, and
// standardizes features with exponentially forgetting means and variances. The
// code here is pure and deterministic: no goka, no Kafka, no clocks.
package segments
