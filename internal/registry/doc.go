// Package registry provides the embedded Confluent-compatible Schema
// Registry that `activa demo` and `activa broker` run.
//
// [Embedded] serves franz-go's srfake registry over HTTP, so that any
// Confluent client (franz-go's sr, the Java and librdkafka serializers,
// Kafka Connect) can use it, and adds the two things srfake lacks:
//
//   - Persistence. Given a data directory, every change the registry
//     accepts is appended to registry.jsonl there, one JSON object per line,
//     and the file is synced before the change is acknowledged: new schema
//     versions (subject, version, id, schema text, type, references),
//     compatibility levels and modes set or removed, and deleted subjects
//     and versions. On start the file is replayed, so subjects keep their
//     versions and schemas their ids across restarts, and new schemas get
//     ids above every id ever handed out. A last line cut short by a crash
//     is dropped with a warning (its change was never acknowledged); any
//     other line that does not decode is an error naming the file and line,
//     and the registry does not start.
//
//   - Compatibility. srfake calls every schema compatible. Embedded checks
//     Avro schemas for real with hamba/avro, at the subject's level or the
//     global one (BACKWARD unless set): BACKWARD means the new schema reads
//     data written with the latest version, FORWARD the latest version reads
//     data written with the new one, FULL both; the _TRANSITIVE levels check
//     every live version instead of the latest, and NONE checks nothing.
//     An incompatible registration is answered with HTTP 409 and
//     {"error_code":409,"message":...} naming each failed check; POST
//     /compatibility/subjects/{subject}/versions[/{version}] answers
//     {"is_compatible":...,"messages":[...]}. Registering a schema identical
//     to a live version returns that version's id without any check.
//     Protobuf and JSON schemas are stored but not checked.
//
// Everything else (reads, lookups, references, soft and hard deletes) is
// srfake's behaviour unchanged.
package registry
