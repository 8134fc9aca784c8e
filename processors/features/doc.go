// Package features is the features processor: it folds every profile's
// resolved events and closed sessions into bounded per-profile state and
// publishes the profile's features (activa.ProfileFeatures) on
// profile.features, a compacted table keyed by profile id, on every change.
//
// State stays bounded however long a person lives: orders are kept in
// daily buckets over the longest window (90 days), category affinities are
// decayed in event time and capped in number, distinct devices are capped,
// and everything else is a count, a sum, a minimum or a maximum. Two states
// therefore fold into one exactly, which is what a profile merge does: the
// absorbed profile's state goes to its survivor through the loopback, the
// absorbed profile's features are tombstoned, and what still arrives for
// it is forwarded.
//
// Redelivered input changes nothing: each key remembers the offset of the
// last message applied per input topic, and the ids of its latest events
// and sessions.
package features
