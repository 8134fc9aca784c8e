// Package console serves the profile API and the live web console of
// `activa run --http` and `activa demo --http`.
//
// The profile API (api.go) answers GET /api/profiles/{id}, id being any
// identifier of a person (kind:value, e.g. cookie:c-81f2), or profile:<id>,
// with the profile's identifiers, features, tier, lifecycle stage, cluster
// and consent as JSON. It reads the latest state from local copies of the
// compacted tables (the identity table, profile.features and the segments
// table) that the caller keeps current, goka views in `activa run`: a lookup
// never waits on Kafka.
//
// The console (console.go) is one server-rendered page: the profiles of each
// tier, lifecycle stage and cluster (counted over the segments table,
// segments.go), the latest segment changes and the open KPI alerts with a
// chart of their series' actuals against the forecast and its interval
// (live.go, chart.go), the topology (diagram.go) and a profile lookup box.
// A little JavaScript refreshes the live parts and runs lookups through the
// API; nothing is fetched from outside the server.
//
// The package reads nothing from Kafka itself: internal/cli opens the views,
// consumes segment.changes, kpi.alerts and kpi.actuals into a [Live], and
// hands them over in a [Config].
package console
