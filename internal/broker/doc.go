// Package broker runs the embedded Kafka-compatible broker: franz-go's kfake
// cluster with one broker on loopback, persisting topics, records, committed
// offsets and group state in a data directory so that a restart keeps them.
//
// It is the zero-install default of `activa demo` and `activa broker` and the
// fast path of the end-to-end tests; production and the integration suite
// use a real Apache Kafka cluster.
package broker
