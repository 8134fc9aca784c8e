// Package ingest turns one line of input (JSON, as in activa's event model)
// into a validated [schemas.Event], or into a reason it cannot be accepted.
//
// It checks what every later stage relies on: the line is one JSON object
// within the size limit; event_id, ts and type are present; at least one
// identifier is non-empty; fields have their declared types; the timestamp
// parses (RFC 3339 or epoch milliseconds) and lies no further in the future
// than the allowed clock skew. Raw e-mail addresses and phone numbers
// (ids.email, ids.phone) are replaced by keyed digests (email_sha256,
// phone_sha256), so no plain value leaves ingestion. Identifier kinds activa
// does not know are kept in props as "id.<kind>".
package ingest
