// Package connectors delivers activa's decisions to the outside world:
// franz-go consumer groups read segment.changes, triggers and kpi.alerts and
// route them to sinks (HTTP webhooks, SMTP e-mail, a PostgreSQL audience
// table, JSON Lines files).
//
// One small interface is shared by every sink, one file per sink named after
// its destination, and a shared runner owns what all sinks need: consumption
// and offset commits after a final outcome, consent per purpose, frequency
// caps and quiet hours, retries with backoff and jitter, dead-lettering after
// the retry budget, idempotency keys and metrics. Every sink's test runs the
// shared conformance suite; the webhook sink is the reference implementation
// to copy.
package connectors
