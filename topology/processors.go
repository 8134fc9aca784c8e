package topology

import (
	"github.com/lovoo/goka"
)

// Env is what a processor's definition receives: the catalog for topic
// names and the registered codecs.
type Env struct {
	// Catalog names topics and groups.
	Catalog Catalog
	// Codecs are the registered codecs of every catalog topic.
	Codecs *Codecs
}

// Processor is one goka processor of the topology.
type Processor struct {
	// Name is the stage name; its goka group is Catalog.Name(Name).
	Name string
	// Doc says what the processor does, in one line.
	Doc string
	// Define builds the processor's group graph; it does no I/O.
	Define func(Env) (*goka.GroupGraph, error)
}

// Processors is the explicit list of processors, in data-flow order.
// Adding a processor adds one line here.
func Processors() []Processor {
	return []Processor{}
}

// Graphs defines the group graph of every processor.
func Graphs(env Env) ([]*goka.GroupGraph, error) {
	var out []*goka.GroupGraph
	for _, p := range Processors() {
		g, err := p.Define(env)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}
