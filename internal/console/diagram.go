package console

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Diagram is the topology to draw: processors (goka groups), topics, the
// writers outside processors, and edges as package topology builds them.
type Diagram struct {
	// Prefix is left out of the labels (the full name is the tooltip).
	Prefix     string
	Processors []string
	Topics     []string
	External   []string
	Edges      []Edge
}

// Edge is one arrow of a Diagram. Its Kind says which ends are which:
// input, join and lookup go from a topic to a processor, table and output
// from a processor to a topic, loop from a processor to itself, external
// from a writer outside the processors to a topic.
type Edge struct {
	From, To, Kind string
}

// Layout is a Diagram placed in a W by H view box, ready for the page's
// template.
type Layout struct {
	W, H  float64
	Nodes []Node
	Links []Link
}

// Node is a box of a Layout.
type Node struct {
	Name, Label, Kind string // Kind is processor, topic or external
	X, Y, W, H        float64
	// TextX and TextY place the label.
	TextX, TextY float64
	Loop         bool // a processor with a loopback topic
}

// Link is an arrow of a Layout: SVG path data and the edge's kind.
type Link struct {
	Path, Kind, Title string
}

// Sizes of the layout, in view box units.
const (
	boxW, boxH = 168.0, 26.0
	colGap     = 14.0
	rowGap     = 40.0
	margin     = 10.0
)

// graph is a Diagram as numbered nodes and arcs.
type graph struct {
	nodes []*Node
	arcs  []arc
	out   [][]int // arcs leaving each node
}

// arc is an edge between numbered nodes; back when it closes a cycle.
type arc struct {
	from, to int
	kind     string
	back     bool
}

// layout places the diagram's nodes in rows, top down, by the longest path
// that reaches them from a writer (the edges that close a cycle left
// out). An edge that spans rows passes through a narrow slot in each row
// between, shared by every edge to the same target (a topic many stages
// write becomes one line), so that edges run between boxes rather than
// under them. Rows are ordered by where their neighbours above and below
// are (sweeps down, up and down again) and centred in the widest.
func layout(d Diagram) Layout {
	g := newGraph(d)
	g.findBack()
	rank := g.rank()
	rows := make([][]*slot, slices.Max(append(rank, 0))+1)
	slots := make([]*slot, len(g.nodes))
	for n, r := range rank {
		slots[n] = &slot{node: n, w: boxW}
		rows[r] = append(rows[r], slots[n])
	}
	passes := map[[2]int]*slot{} // by target node and row
	chains := make([][]*slot, len(g.arcs))
	for ai, a := range g.arcs {
		if a.back {
			continue
		}
		prev := slots[a.from]
		for r := rank[a.from] + 1; r < rank[a.to]; r++ {
			s := passes[[2]int{a.to, r}]
			if s == nil {
				s = &slot{node: -1, w: passW}
				passes[[2]int{a.to, r}] = s
				rows[r] = append(rows[r], s)
			}
			join(prev, s)
			chains[ai] = append(chains[ai], s)
			prev = s
		}
		join(prev, slots[a.to])
	}
	var l Layout
	for _, row := range rows {
		l.W = max(l.W, rowWidth(row))
	}
	l.W += 4 * rowGap // room on either side for the arcs that close a cycle
	for r := range rows {
		place(rows[r], r, l.W)
	}
	for r := 1; r < len(rows); r++ {
		order(rows[r], r, l.W, func(s *slot) []*slot { return s.feeds })
	}
	for r := len(rows) - 2; r >= 0; r-- {
		order(rows[r], r, l.W, func(s *slot) []*slot { return s.leads })
	}
	for r := 1; r < len(rows); r++ {
		order(rows[r], r, l.W, func(s *slot) []*slot { return s.feeds })
	}
	l.H = float64(len(rows))*(boxH+rowGap) - rowGap + 2*margin
	for _, s := range slots {
		n := g.nodes[s.node]
		n.X, n.Y = s.x-s.w/2, s.y
		n.TextX, n.TextY = n.X+8, n.Y+boxH/2+4
		l.Nodes = append(l.Nodes, *n)
	}
	for ai, a := range g.arcs {
		l.Links = append(l.Links, link(g.nodes[a.from], g.nodes[a.to], a, chains[ai]))
	}
	return l
}

// slot is a place in a row: a node's box, or the narrow pass of the edges
// to one target through the row. x is its centre, y its top.
type slot struct {
	node         int // -1 for a pass
	w, x, y      float64
	feeds, leads []*slot // neighbours in the rows above and below
}

// passW is the width of a pass through a row.
const passW = 8.0

// join links slot a to slot b of a row below, once.
func join(a, b *slot) {
	if !slices.Contains(b.feeds, a) {
		b.feeds = append(b.feeds, a)
		a.leads = append(a.leads, b)
	}
}

// order sorts row r by the mean centre of each slot's neighbours (a slot
// without any keeps its place) and places it again.
func order(row []*slot, r int, width float64, neighbours func(*slot) []*slot) {
	key := map[*slot]float64{}
	for _, s := range row {
		key[s] = s.x
		if ns := neighbours(s); len(ns) > 0 {
			sum := 0.0
			for _, n := range ns {
				sum += n.x
			}
			key[s] = sum / float64(len(ns))
		}
	}
	slices.SortStableFunc(row, func(a, b *slot) int { return cmp.Compare(key[a], key[b]) })
	place(row, r, width)
}

// place sets the slots' positions in row r, left to right, the row centred
// in width.
func place(row []*slot, r int, width float64) {
	x := (width-rowWidth(row))/2 + margin
	for _, s := range row {
		s.x, s.y = x+s.w/2, margin+float64(r)*(boxH+rowGap)
		x += s.w + colGap
	}
}

// rowWidth is the width a row takes, margins included.
func rowWidth(row []*slot) float64 {
	w := 2*margin - colGap
	for _, s := range row {
		w += s.w + colGap
	}
	return w
}

// newGraph numbers the diagram's nodes (writers outside processors, then
// processors, then topics) and arcs. A processor and a topic may share a
// name: an edge's kind says which end is which.
func newGraph(d Diagram) *graph {
	g := &graph{}
	index := map[string]int{}
	add := func(kind, name string) int {
		key := kind + " " + name
		if i, ok := index[key]; ok {
			return i
		}
		index[key] = len(g.nodes)
		g.nodes = append(g.nodes, &Node{Name: name, Label: strings.TrimPrefix(name, d.Prefix), Kind: kind, W: boxW, H: boxH})
		return len(g.nodes) - 1
	}
	for _, x := range d.External {
		add("external", x)
	}
	for _, p := range d.Processors {
		add("processor", p)
	}
	for _, t := range d.Topics {
		add("topic", t)
	}
	for _, e := range d.Edges {
		from, to := "topic", "processor"
		switch e.Kind {
		case "loop":
			g.nodes[add("processor", e.From)].Loop = true
			continue
		case "table", "output":
			from, to = "processor", "topic"
		case "external":
			from, to = "external", "topic"
		}
		g.arcs = append(g.arcs, arc{from: add(from, e.From), to: add(to, e.To), kind: e.Kind})
	}
	g.out = make([][]int, len(g.nodes))
	for i, a := range g.arcs {
		g.out[a.from] = append(g.out[a.from], i)
	}
	return g
}

// findBack marks the arcs that close a cycle: depth first from every node
// in order, an arc to a node still on the stack.
func (g *graph) findBack() {
	state := make([]int, len(g.nodes)) // 0 new, 1 on the stack, 2 done
	var visit func(int)
	visit = func(n int) {
		state[n] = 1
		for _, ai := range g.out[n] {
			switch to := g.arcs[ai].to; state[to] {
			case 0:
				visit(to)
			case 1:
				g.arcs[ai].back = true
			}
		}
		state[n] = 2
	}
	for n := range g.nodes {
		if state[n] == 0 {
			visit(n)
		}
	}
}

// rank returns the rank of every node: the longest path of forward arcs
// that reaches it.
func (g *graph) rank() []int {
	indeg := make([]int, len(g.nodes))
	for _, a := range g.arcs {
		if !a.back {
			indeg[a.to]++
		}
	}
	rank := make([]int, len(g.nodes))
	var queue []int
	for n := range g.nodes {
		if indeg[n] == 0 {
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, ai := range g.out[n] {
			if a := g.arcs[ai]; !a.back {
				rank[a.to] = max(rank[a.to], rank[n]+1)
				if indeg[a.to]--; indeg[a.to] == 0 {
					queue = append(queue, a.to)
				}
			}
		}
	}
	return rank
}

// link draws an arc: down from the bottom of its source through the
// passes of the rows between to the top of its target, or, closing a
// cycle, up around their left sides.
func link(f, t *Node, a arc, passes []*slot) Link {
	l := Link{Kind: a.kind, Title: fmt.Sprintf("%s %s %s", f.Label, a.kind, t.Label)}
	if a.back {
		x1, y1, x2, y2 := f.X, f.Y+f.H/2, t.X, t.Y+t.H/2
		out := min(x1, x2) - 2*rowGap
		l.Path = fmt.Sprintf("M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f", x1, y1, out, y1, out, y2, x2, y2)
		return l
	}
	var b strings.Builder
	x, y := f.X+f.W/2, f.Y+f.H
	fmt.Fprintf(&b, "M%.1f,%.1f", x, y)
	curve := func(x2, y2 float64) {
		bend := (y2 - y) / 2
		fmt.Fprintf(&b, " C%.1f,%.1f %.1f,%.1f %.1f,%.1f", x, y+bend, x2, y2-bend, x2, y2)
		x, y = x2, y2
	}
	for _, p := range passes {
		curve(p.x, p.y)
		y = p.y + boxH
		fmt.Fprintf(&b, " L%.1f,%.1f", x, y)
	}
	curve(t.X+t.W/2, t.Y)
	l.Path = b.String()
	return l
}
