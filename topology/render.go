package topology

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/lovoo/goka"
)

// Edge is one arrow of the rendered graph: From writes or feeds To.
type Edge struct {
	From, To string
	// Kind is input, join, lookup, loop, output, table or external.
	Kind string
}

// Graph is the rendered form of the topology: processors, topics and edges.
type Graph struct {
	Processors []string
	Topics     []string
	External   []string
	Edges      []Edge
}

// Build assembles the graph from the processors' group graphs and the
// catalog's non-processor writers.
func Build(cat Catalog, graphs []*goka.GroupGraph) Graph {
	var g Graph
	topics := map[string]bool{}
	procs := map[string]bool{}
	add := func(e Edge) {
		if !slices.Contains(g.Edges, e) {
			g.Edges = append(g.Edges, e)
		}
	}
	for _, gg := range graphs {
		p := string(gg.Group())
		g.Processors = append(g.Processors, p)
		procs[strings.TrimPrefix(p, cat.Prefix)] = true
		for _, e := range gg.InputStreams() {
			topics[e.Topic()] = true
			add(Edge{e.Topic(), p, "input"})
		}
		for _, e := range gg.JointTables() {
			topics[e.Topic()] = true
			add(Edge{e.Topic(), p, "join"})
		}
		for _, e := range gg.LookupTables() {
			topics[e.Topic()] = true
			add(Edge{e.Topic(), p, "lookup"})
		}
		if e := gg.LoopStream(); e != nil {
			add(Edge{p, p, "loop"})
		}
		if e := gg.GroupTable(); e != nil {
			topics[e.Topic()] = true
			add(Edge{p, e.Topic(), "table"})
		}
		for _, e := range gg.OutputStreams() {
			topics[e.Topic()] = true
			add(Edge{p, e.Topic(), "output"})
		}
	}
	ext := map[string]bool{}
	for _, t := range Topics() {
		if procs[t.Writer] || !isExternal(t.Writer) {
			// Topics of processors not in the list are declared ahead of
			// their processor and are not drawn.
			continue
		}
		name := cat.Name(t.Name)
		topics[name] = true
		ext[t.Writer] = true
		add(Edge{t.Writer, name, "external"})
	}
	for t := range topics {
		g.Topics = append(g.Topics, t)
	}
	for w := range ext {
		g.External = append(g.External, w)
	}
	slices.Sort(g.Topics)
	slices.Sort(g.External)
	return g
}

func isExternal(writer string) bool {
	switch writer {
	case WriterReplay, WriterPlan, WriterConnect, WriterAny:
		return true
	}
	return false
}

// Formats accepted by [Render].
var Formats = []string{"text", "mermaid", "dot"}

// Render writes g in format text, mermaid or dot.
func Render(w io.Writer, g Graph, format string) error {
	var b strings.Builder
	switch format {
	case "text":
		renderText(&b, g)
	case "mermaid":
		renderMermaid(&b, g)
	case "dot":
		renderDot(&b, g)
	default:
		return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func renderText(b *strings.Builder, g Graph) {
	fmt.Fprintf(b, "processors: %d, topics: %d\n", len(g.Processors), len(g.Topics))
	for _, p := range g.Processors {
		fmt.Fprintf(b, "\nprocessor %s\n", p)
		for _, e := range g.Edges {
			switch {
			case e.To == p && e.From != p:
				fmt.Fprintf(b, "  %-7s <- %s\n", e.Kind, e.From)
			case e.From == p && e.To != p:
				fmt.Fprintf(b, "  %-7s -> %s\n", e.Kind, e.To)
			case e.From == p && e.To == p:
				fmt.Fprintf(b, "  %-7s <> itself\n", e.Kind)
			}
		}
	}
	if len(g.External) > 0 {
		b.WriteString("\nwritten outside processors\n")
		for _, e := range g.Edges {
			if e.Kind == "external" {
				fmt.Fprintf(b, "  %-10s -> %s\n", e.From, e.To)
			}
		}
	}
}

func id(s string) string {
	r := strings.NewReplacer(".", "_", "-", "_", " ", "_", "|", "_")
	return r.Replace(s)
}

func renderMermaid(b *strings.Builder, g Graph) {
	b.WriteString("flowchart LR\n")
	for _, p := range g.Processors {
		fmt.Fprintf(b, "  %s[[%s]]\n", id("p "+p), p)
	}
	for _, x := range g.External {
		fmt.Fprintf(b, "  %s([%s])\n", id("x "+x), x)
	}
	for _, t := range g.Topics {
		fmt.Fprintf(b, "  %s[(%s)]\n", id("t "+t), t)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(b, "  %s -->|%s| %s\n", nodeID(g, e.From), e.Kind, nodeID(g, e.To))
	}
}

func renderDot(b *strings.Builder, g Graph) {
	b.WriteString("digraph activa {\n  rankdir=LR;\n")
	for _, p := range g.Processors {
		fmt.Fprintf(b, "  %q [shape=box, style=bold];\n", p)
	}
	for _, x := range g.External {
		fmt.Fprintf(b, "  %q [shape=ellipse, style=dashed];\n", x)
	}
	for _, t := range g.Topics {
		fmt.Fprintf(b, "  %q [shape=cylinder];\n", t)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(b, "  %q -> %q [label=%q];\n", e.From, e.To, e.Kind)
	}
	b.WriteString("}\n")
}

func nodeID(g Graph, n string) string {
	switch {
	case slices.Contains(g.Processors, n):
		return id("p " + n)
	case slices.Contains(g.External, n):
		return id("x " + n)
	default:
		return id("t " + n)
	}
}
