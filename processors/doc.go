// Package processors is the home of activa's goka processors, one package per
// stage (identity, sessions, features, triggers, segments, kpi).
//
// Every stage package exports Config (each field documented with its
// default), DefaultConfig, Config.Validate and Define(cfg) (*goka.GroupGraph,
// error): a pure function that builds and validates the group graph and does
// no I/O. Topic names and codecs come in through Config from package topology,
// so a processor never names a topic itself and never imports another
// processor.
//
// Inputs are read as raw bytes and decoded through internal/harness, which
// turns undecodable input, unknown schema ids and callback panics into
// dead-letter records instead of stopping the processor. Processors are
// at-least-once like goka itself and must be idempotent: the last applied
// event id or offset lives in the table value, and outputs carry
// deterministic ids.
//
// Adding a stage: a package here, its .avsc files under schemas/, its topics
// in topology.Topics and one line in topology.Processors. The tests of package
// topology then check its edges against the catalog. The first stage,
// identity, is the reference implementation to copy.
package processors
