package console

import (
	"testing"
)

// loopDiagram is a small topology with what the real one has: a writer
// outside the processors, a processor and a topic of the same name, a
// loopback, an edge that spans rows, and a cycle through a lookup.
func loopDiagram() Diagram {
	return Diagram{
		Prefix:     "x.",
		Processors: []string{"x.a", "x.b", "x.triggers"},
		Topics:     []string{"x.in", "x.mid", "x.triggers", "x.model", "x.dead"},
		External:   []string{"replay"},
		Edges: []Edge{
			{"replay", "x.in", "external"},
			{"x.in", "x.a", "input"},
			{"x.a", "x.a", "loop"},
			{"x.a", "x.mid", "output"},
			{"x.a", "x.dead", "output"},
			{"x.mid", "x.b", "input"},
			{"x.b", "x.model", "output"},
			{"x.model", "x.b", "lookup"},
			{"x.mid", "x.triggers", "input"},
			{"x.triggers", "x.triggers", "output"},
			{"x.b", "x.dead", "output"},
		},
	}
}

func TestLayoutPlacesEveryNodeOnceWithoutOverlap(t *testing.T) {
	l := layout(loopDiagram())
	kinds := map[string]int{}
	byKey := map[string]Node{}
	for _, n := range l.Nodes {
		kinds[n.Kind]++
		byKey[n.Kind+" "+n.Name] = n
		if n.X < 0 || n.Y < 0 || n.X+n.W > l.W || n.Y+n.H > l.H {
			t.Errorf("%s %s at (%v,%v) outside %vx%v", n.Kind, n.Name, n.X, n.Y, l.W, l.H)
		}
	}
	if kinds["processor"] != 3 || kinds["topic"] != 5 || kinds["external"] != 1 {
		t.Fatalf("nodes by kind %v", kinds)
	}
	for i, a := range l.Nodes {
		for _, b := range l.Nodes[i+1:] {
			if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
				t.Errorf("%s and %s overlap", a.Name, b.Name)
			}
		}
	}
	if !byKey["processor x.a"].Loop || byKey["processor x.b"].Loop {
		t.Error("the loopback is not shown on its processor alone")
	}
	if byKey["topic x.triggers"].Label != "triggers" || byKey["topic x.triggers"].Y <= byKey["processor x.triggers"].Y {
		t.Error("the topic triggers should sit below the processor of the same name")
	}
	// Data flows down; x.dead is below both its writers, in its own row.
	down := [][2]string{
		{"external replay", "topic x.in"},
		{"topic x.in", "processor x.a"},
		{"processor x.a", "topic x.mid"},
		{"topic x.mid", "processor x.b"},
		{"processor x.b", "topic x.model"},
		{"processor x.b", "topic x.dead"},
	}
	for _, e := range down {
		if byKey[e[0]].Y >= byKey[e[1]].Y {
			t.Errorf("%s is not above %s", e[0], e[1])
		}
	}
	if len(l.Links) != 10 { // every edge but the loopback
		t.Errorf("%d links", len(l.Links))
	}
}

func TestLayoutRoutesLongEdgesBetweenBoxes(t *testing.T) {
	l := layout(loopDiagram())
	for _, k := range l.Links {
		if k.Title != "a output dead" {
			continue
		}
		pts := coords(t, k.Path)
		// a's row, then mid's and b's rows passed, then dead: the path
		// goes through no box it does not start or end at.
		for _, p := range pts[1 : len(pts)-1] {
			for _, n := range l.Nodes {
				if p[0] > n.X && p[0] < n.X+n.W && p[1] > n.Y && p[1] < n.Y+n.H {
					t.Errorf("the edge a -> dead runs through %s at %v", n.Name, p)
				}
			}
		}
		if len(pts) < 6 {
			t.Errorf("the edge a -> dead does not pass the rows between: %s", k.Path)
		}
		return
	}
	t.Fatal("no link a output dead")
}
