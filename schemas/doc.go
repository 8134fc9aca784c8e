// Package schemas holds activa's Avro schemas and the codec that reads and
// writes them in the Confluent wire format.
//
// The .avsc files in this directory are the source of truth: one record per
// file, every field documented. A record may name a record of another file
// (for example ResolvedEvent names activa.Event); [Schema] inlines such
// references so that every subject registered in a Schema Registry is
// self-contained and any Confluent-compatible client can read it.
//
// Go types mirror the records field by field through `avro` struct tags. The
// [Codec] encodes a value as the magic byte 0, the 4-byte big-endian schema
// id assigned by the registry and the Avro binary body, and decodes records
// written with any schema id it can resolve, so that older writers keep
// being readable after a backward-compatible change.
package schemas
