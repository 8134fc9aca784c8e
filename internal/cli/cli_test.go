package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/activa-dev/activa/internal/broker"
	"github.com/activa-dev/activa/internal/registry"
	"github.com/activa-dev/activa/loadtest/gen"
)

// run calls Main in process and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func embeddedForTest(t *testing.T) (brokers, registryURL string) {
	t.Helper()
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	r, err := registry.New(registry.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return b.Addrs()[0], r.URL()
}

// TestReplayAndTail generates a population, replays it through the
// command line into the embedded broker and reads it back with tail.
func TestReplayAndTail(t *testing.T) {
	brokers, reg := embeddedForTest(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "pop.jsonl.gz")
	truth := filepath.Join(dir, "truth.json")
	code, out, errs := run(t, "gen", "--profiles", "300", "--days", "3", "--seed", "5", "--malformed", "0.01", "--out", in, "--truth", truth, "--no-progress")
	if code != 0 {
		t.Fatalf("gen: %d %s %s", code, out, errs)
	}
	tf, err := os.Open(truth)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := gen.ReadTruth(tf)
	tf.Close()
	if err != nil {
		t.Fatal(err)
	}
	conn := []string{"--brokers", brokers, "--registry", reg, "--partitions", "4"}

	code, _, errs = run(t, append([]string{"replay", in, "--no-progress"}, conn...)...)
	if code != 1 || !strings.Contains(errs, "--hash-key") || strings.Count(errs, "\n") != 1 {
		t.Fatalf("replay without hash key: code %d, stderr %q", code, errs)
	}
	code, out, errs = run(t, append([]string{"replay", in, "--no-progress", "--hash-key", "0123456789abcdef0123"}, conn...)...)
	if code != 0 {
		t.Fatalf("replay: %d %s %s", code, out, errs)
	}
	if !strings.Contains(out, fmt.Sprintf("%d dead-lettered", len(tr.Malformed))) {
		t.Fatalf("replay output %q does not report the %d malformed lines", out, len(tr.Malformed))
	}

	code, out, errs = run(t, append([]string{"tail", "activa.events.raw", "--from-beginning", "--max", "5"}, conn...)...)
	if code != 0 {
		t.Fatalf("tail: %d %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("tail printed %d lines, want 5:\n%s", len(lines), out)
	}
	for _, l := range lines {
		var rec struct {
			Topic    string         `json:"topic"`
			SchemaID int            `json:"schema_id"`
			Value    map[string]any `json:"value"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("tail line %q: %v", l, err)
		}
		if rec.Topic != "activa.events.raw" || rec.SchemaID <= 0 || rec.Value["event_id"] == nil || rec.Value["ids"] == nil {
			t.Fatalf("tail line %q lacks fields", l)
		}
		if _, err := time.Parse(time.RFC3339Nano, rec.Value["ts"].(string)); err != nil {
			t.Fatalf("ts not RFC 3339 in %q", l)
		}
	}

	code, out, errs = run(t, append([]string{"tail", "activa.deadletter", "--from-beginning", "--idle", "2s"}, conn...)...)
	if code != 0 {
		t.Fatalf("tail deadletter: %d %s", code, errs)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	n := 0
	for sc.Scan() {
		var rec struct {
			Value struct {
				Stage, Reason, Source string
				Offset                int64
			} `json:"value"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Value.Stage != "replay" || rec.Value.Reason == "" || rec.Value.Source != "pop.jsonl.gz" || rec.Value.Offset < 1 {
			t.Fatalf("dead letter %s", sc.Text())
		}
		n++
	}
	if n != len(tr.Malformed) {
		t.Fatalf("%d dead letters, truth has %d malformed lines", n, len(tr.Malformed))
	}
}

func TestCommandErrors(t *testing.T) {
	code, _, errs := run(t, "run", "--brokers", "127.0.0.1:1", "--registry", "http://127.0.0.1:1", "--processors", "nope")
	if code != 1 || !strings.Contains(errs, `unknown processor "nope"`) {
		t.Fatalf("run with unknown processor: %d %q", code, errs)
	}
	code, _, errs = run(t, "tail", "x")
	if code != 1 || !strings.Contains(errs, "no brokers given") {
		t.Fatalf("tail without brokers: %d %q", code, errs)
	}
	code, _, errs = run(t, "topology", "--format", "svg")
	if code != 1 || !strings.Contains(errs, "unknown format") {
		t.Fatalf("topology svg: %d %q", code, errs)
	}
	code, out, _ := run(t, "topology", "--format", "dot")
	if code != 0 || !strings.Contains(out, "digraph activa") || !strings.Contains(out, "activa.events.raw") {
		t.Fatalf("topology dot: %d %q", code, out)
	}
}
