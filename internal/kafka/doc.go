// Package kafka turns activa's connection settings into clients: franz-go
// options for producers, consumers and admin, the sarama configuration goka
// runs on (with production settings instead of goka's defaults), and the
// creation and verification of topics from the topology catalog.
//
// Every franz-go producer that writes into a topic a goka processor reads
// must partition like sarama does, so that a key lands in the partition goka
// expects; [Partitioner] is that partitioner and [Hasher] the matching goka
// hasher.
package kafka
