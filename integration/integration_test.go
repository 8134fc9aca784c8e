//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/activa-dev/activa/internal/cli"
	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/internal/kafka/kafkatest"
	"github.com/activa-dev/activa/internal/registry"
)

func brokers(t *testing.T) string {
	t.Helper()
	return suiteEnv(t, "KAFKA_BROKERS")
}

// suiteEnv returns the environment variable name, which make test-kafka
// sets to tell the suite where its servers are.
func suiteEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run the suite with make test-kafka", name)
	}
	return v
}

// prefix returns a topic prefix unique to this test run.
func prefix(t *testing.T) string {
	return fmt.Sprintf("it%d.%s.", time.Now().UnixNano()%1e9, strings.ToLower(t.Name()))
}

func registryForTest(t *testing.T) string {
	t.Helper()
	r, err := registry.New(registry.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return r.URL()
}

func activa(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := cli.Main(args, &out, &errb); code != 0 {
		t.Fatalf("activa %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

func TestIntegrationPartitionerAgreesWithGoka(t *testing.T) {
	kafkatest.PartitionAgreement(t, &kafka.Config{Brokers: []string{brokers(t)}}, prefix(t))
}

func TestIntegrationGokaProcessorWithProductionOptions(t *testing.T) {
	kafkatest.GokaProcessor(t, &kafka.Config{Brokers: []string{brokers(t)}}, prefix(t))
}

func TestIntegrationLoopbackHopWaitsBehindLittleBacklog(t *testing.T) {
	kafkatest.LoopbackHop(t, &kafka.Config{Brokers: []string{brokers(t)}}, prefix(t))
}

func TestIntegrationTopicDrift(t *testing.T) {
	kafkatest.TopicDrift(t, &kafka.Config{Brokers: []string{brokers(t)}}, prefix(t)+"drift")
}

// TestIntegrationForeignClients replays a generated population into Apache
// Kafka and reads it back with tools that contain no activa code: kcat lists
// the topics and partitions, and confluent-kafka-python's AvroDeserializer
// decodes the events and dead letters through the registry.
func TestIntegrationForeignClients(t *testing.T) {
	b, reg, p := brokers(t), registryForTest(t), prefix(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "pop.jsonl")
	activa(t, "gen", "--profiles", "200", "--days", "3", "--malformed", "0.01", "--out", in, "--no-progress")
	conn := []string{"--brokers", b, "--registry", reg, "--prefix", p, "--partitions", "4"}
	out := activa(t, append([]string{"replay", in, "--hash-key", "0123456789abcdef", "--no-progress"}, conn...)...)
	t.Log(strings.TrimSpace(out))

	plan := filepath.Join(dir, "plan.csv")
	if err := os.WriteFile(plan, []byte("kpi,dimension,value,period_start,period_end,expected,lower,upper\n"+
		"revenue,store,S-01,2026-11-02,2026-11-03,12500,11000,14000\norders,total,,2026-11-02,2026-11-09,5800,,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out = activa(t, append([]string{"forecasts", "load", plan}, conn...)...)
	if !strings.Contains(out, "loaded 2 forecasts") {
		t.Fatalf("forecasts load: %q", out)
	}

	out = activa(t, append([]string{"tail", p + "events.raw", "--from-beginning", "--max", "3"}, conn...)...)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec struct {
			Value map[string]any `json:"value"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec.Value["event_id"] == nil {
			t.Fatalf("tail line %q: %v", l, err)
		}
	}

	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat is not installed (Debian package kcat): %v", err)
	}
	meta, err := exec.Command(kcat, "-L", "-b", b, "-J").Output()
	if err != nil {
		t.Fatalf("kcat -L: %v", err)
	}
	var md struct {
		Topics []struct {
			Topic      string `json:"topic"`
			Partitions []any  `json:"partitions"`
		} `json:"topics"`
	}
	if err := json.Unmarshal(meta, &md); err != nil {
		t.Fatalf("kcat metadata: %v", err)
	}
	found := map[string]int{}
	for _, tp := range md.Topics {
		if strings.HasPrefix(tp.Topic, p) {
			found[strings.TrimPrefix(tp.Topic, p)] = len(tp.Partitions)
		}
	}
	for _, name := range []string{"events.raw", "events.resolved", "deadletter", "profile.features", "segment.changes", "kpi.alerts"} {
		if found[name] != 4 {
			t.Errorf("kcat sees %s%s with %d partitions, want 4 (all: %v)", p, name, found[name], found)
		}
	}

	py := os.Getenv("ACTIVA_PYTHON")
	if py == "" {
		t.Fatal("ACTIVA_PYTHON is not set: run the suite with make test-kafka")
	}
	script := filepath.Join("python", "check_avro.py")
	for _, c := range []struct{ topic, field string }{{"events.raw", "ids.cookie"}, {"deadletter", "reason"}, {"kpi.forecasts", "expected"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, py, script, "--brokers", b, "--registry", reg, "--topic", p+c.topic, "--expect-field", c.field, "--min", "1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		if err != nil {
			t.Fatalf("confluent AvroDeserializer on %s: %v\n%s", c.topic, err, stderr.String())
		}
		first, _, _ := strings.Cut(stdout.String(), "\n")
		t.Logf("confluent-kafka-python decoded %s: %s", c.topic, first)
		if !strings.Contains(first, `"`+strings.Split(c.field, ".")[0]+`"`) {
			t.Fatalf("decoded %s record lacks %s: %s", c.topic, c.field, first)
		}
	}
}
