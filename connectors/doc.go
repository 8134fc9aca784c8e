// Package connectors delivers activa's decisions to the outside world: a
// franz-go consumer group reads segment.changes, triggers and kpi.alerts
// and routes each record, through expr-lang filters over its fields, to
// sinks (HTTP webhooks signed as Standard Webhooks, JSON Lines files).
//
// One small interface, [Sink], is shared by every sink, one file per sink
// named after its destination. The [Runner] owns what all sinks need:
// consumption and offset commits once a record's deliveries are final,
// retries with backoff and jitter on a schedule of seconds, minutes and
// hours, dead letters after a permanent failure or the retry budget, a
// delivery log of every outcome, idempotency keys derived from the source
// record's id and the destination, and metrics. [Webhook] is the reference
// sink to copy.
//
// Consent per purpose, frequency caps and quiet hours are the runner's to
// enforce next; the SMTP and PostgreSQL sinks are to come.
package connectors
