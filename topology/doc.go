// Package topology is the map of activa: the catalog of every topic with its
// key, value schema, partitioning and cleanup policy, the explicit list of
// processors, the registration of their schemas, and the rendering of the
// whole graph as text, Mermaid or Graphviz.
//
// Adding a processor means adding its package under processors/, its
// schemas, its topics to [Topics] and one line to the processor list. The
// tests of this package walk every group graph and fail when an edge uses a
// topic that is not declared, a declared topic has no schema, or a schema has
// no topic.
package topology
