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
// Before a message about a person goes out, the runner asks [People] for
// the person's consent to the route's purpose (deny by default: no
// consent recorded, nothing sent), holds it through the destination's
// quiet hours (and asks again then: consent is that at the time of
// sending), and counts it against the destination's frequency cap, which
// the delivery log restores on a restart. A message not sent is logged as
// suppressed with its reason. The SMTP and PostgreSQL sinks are to come.
package connectors
