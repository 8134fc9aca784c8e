// Package replay reads events from JSON Lines (plain or gzip), validates
// them, hashes raw PII, encodes them as Avro in the Confluent wire format and
// produces them to events.raw, at a fixed rate, at event-time speed times a
// factor, or as fast as the cluster takes them. Lines that cannot be accepted
// go to the dead-letter topic with their line number and reason.
//
// Parsing and encoding run on several goroutines; records are produced in
// input order, so events of one key keep their order.
package replay
