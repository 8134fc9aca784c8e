package topology

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/activa-dev/activa/schemas"
)

var update = flag.Bool("update", false, "rewrite golden files and the README's topology block")

func testEnv(t *testing.T) Env {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	cat := DefaultCatalog()
	codecs, err := RegisterSchemas(context.Background(), cl, cat)
	if err != nil {
		t.Fatal(err)
	}
	return Env{Catalog: cat, Codecs: codecs}
}

func TestEveryTopicHasASchemaAndEverySchemaATopic(t *testing.T) {
	used := map[string]bool{}
	names := map[string]bool{}
	for _, tp := range Topics() {
		if names[tp.Name] {
			t.Errorf("topic %s declared twice", tp.Name)
		}
		names[tp.Name] = true
		if _, err := schemas.Schema(tp.Record); err != nil {
			t.Errorf("topic %s: %v", tp.Name, err)
		}
		if tp.Cleanup != Delete && tp.Cleanup != Compact {
			t.Errorf("topic %s: cleanup %q", tp.Name, tp.Cleanup)
		}
		if tp.Key == "" || tp.Doc == "" || tp.Writer == "" {
			t.Errorf("topic %s: key, doc and writer must be declared", tp.Name)
		}
		used[tp.Record] = true
	}
	recs, err := schemas.Records()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if !used[r] && r != schemas.EventRecord {
			t.Errorf("record %s has no topic", r)
		}
	}
	if !used[schemas.EventRecord] {
		t.Error("no topic carries activa.Event")
	}
}

func TestRegisterSchemasCoversCatalog(t *testing.T) {
	env := testEnv(t)
	for _, tp := range Topics() {
		if env.Codecs.Codec(tp.Name) == nil {
			t.Errorf("no codec for %s", tp.Name)
		}
	}
	if _, err := Typed[schemas.Event](env.Codecs, EventsRaw); err != nil {
		t.Error(err)
	}
	if _, err := Typed[schemas.Event](env.Codecs, Deadletter); err == nil {
		t.Error("Typed accepted the wrong type")
	}
}

// TestGraphsUseDeclaredTopics walks every group graph: every edge is a
// catalog topic or the group's own table or loop, and every topic declared
// as written by a processor is one of its outputs.
func TestGraphsUseDeclaredTopics(t *testing.T) {
	env := testEnv(t)
	graphs, err := Graphs(env)
	if err != nil {
		t.Fatal(err)
	}
	if len(graphs) != len(Processors()) {
		t.Fatalf("%d graphs for %d processors", len(graphs), len(Processors()))
	}
	cat := env.Catalog
	declared := map[string]bool{}
	for _, tp := range Topics() {
		declared[cat.Name(tp.Name)] = true
	}
	outputs := map[string]map[string]bool{}
	for _, gg := range graphs {
		if err := gg.Validate(); err != nil {
			t.Errorf("group %s: %v", gg.Group(), err)
		}
		group := string(gg.Group())
		stage := strings.TrimPrefix(group, cat.Prefix)
		outputs[stage] = map[string]bool{}
		for _, e := range gg.AllEdges() {
			switch {
			case strings.HasPrefix(e.String(), "visitor "): // goka's visitor edges name no topic
			case declared[e.Topic()]:
			case e.Topic() == group+"-table", e.Topic() == group+"-loop":
			default:
				t.Errorf("group %s uses undeclared topic %s", group, e.Topic())
			}
		}
		for _, e := range gg.OutputStreams() {
			outputs[stage][e.Topic()] = true
		}
	}
	for _, tp := range Topics() {
		name := cat.Name(tp.Name)
		own := name == cat.Name(tp.Writer)+"-table" || name == cat.Name(tp.Writer)+"-loop"
		if outs, ok := outputs[tp.Writer]; ok && !outs[name] && !own {
			t.Errorf("topic %s is declared as written by %s, which has no such output", tp.Name, tp.Writer)
		}
	}
}

func TestRenderGolden(t *testing.T) {
	env := testEnv(t)
	graphs, err := Graphs(env)
	if err != nil {
		t.Fatal(err)
	}
	g := Build(env.Catalog, graphs)
	for _, f := range Formats {
		var b bytes.Buffer
		if err := Render(&b, g, f); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "topology."+f)
		if *update {
			if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./topology -update)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s rendering differs from %s; run go test ./topology -update", f, golden)
		}
		if f == "mermaid" {
			checkReadme(t, "topology", "```mermaid\n", b.String())
		}
	}
	if err := Render(&bytes.Buffer{}, g, "svg"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestTopicTableInReadme(t *testing.T) {
	var b bytes.Buffer
	if err := RenderTable(&b, DefaultCatalog()); err != nil {
		t.Fatal(err)
	}
	checkReadme(t, "topics", "", b.String())
}

// checkReadme fails when the README's block between <!-- name:begin --> and
// <!-- name:end --> is not open + want + (a closing fence when open is one).
func checkReadme(t *testing.T, name, open, mermaid string) {
	t.Helper()
	readmeBegin := "<!-- " + name + ":begin -->\n" + open
	readmeEnd := "<!-- " + name + ":end -->"
	if open != "" {
		readmeEnd = "```\n" + readmeEnd
	}
	path := filepath.Join("..", "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, readmeBegin), strings.Index(s, readmeEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %s block (%q ... %q)", name, readmeBegin, readmeEnd)
	}
	cur := s[i+len(readmeBegin) : j]
	if cur == mermaid {
		return
	}
	if *update {
		s = s[:i+len(readmeBegin)] + mermaid + s[j:]
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's %s block is stale; run go test ./topology -update", name)
}
