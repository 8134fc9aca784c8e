package cli

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/loadtest/gen"
	"github.com/activa-dev/activa/loadtest/replay"
	"github.com/activa-dev/activa/loadtest/score"
	"github.com/activa-dev/activa/topology"
)

// runProcess starts `activa run` as a child process.
func runProcess(t *testing.T, brokers, reg, stateDir string) *exec.Cmd {
	t.Helper()
	// Identity alone: the test is about its tables. With every processor
	// in each process, eight consumer groups rebalance after the kill, and
	// under the race detector on a loaded 2-core machine they do not
	// settle within the test's time.
	cmd := exec.Command(os.Args[0], "run", "--brokers", brokers, "--registry", reg, "--partitions", "4",
		"--state-dir", stateDir, "--log-level", cmp.Or(os.Getenv("ACTIVA_TEST_LOG_LEVEL"), "error"), "--processors", "identity")
	cmd.Env = append(os.Environ(), "ACTIVA_TEST_AS_COMMAND=1")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if dir := os.Getenv("ACTIVA_TEST_CHILD_LOGS"); dir != "" {
		// One log file per process, for reading a stalled run.
		f, err := os.CreateTemp(dir, "activa-run-*.log")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Close() })
		cmd.Stdout, cmd.Stderr = f, f
		t.Logf("process log: %s", f.Name())
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// identityState is what a run leaves: the live profile of every identifier
// of the truth, and the ids of the resolved events.
type identityState struct {
	owner  map[string]string
	events []string
}

func readIdentityState(t *testing.T, p *pipeline, truth *gen.Truth) identityState {
	t.Helper()
	lookup, stop, err := identityLookup(context.Background(), p.c, p.codecs, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	h, err := pii.New([]byte(demoHashKey))
	if err != nil {
		t.Fatal(err)
	}
	st := identityState{owner: map[string]string{}}
	res := resolver(lookup)
	for id := range truth.IdentifierOwner {
		k := score.Key(h, id)
		prof, err := res(k)
		if err != nil {
			t.Fatal(err)
		}
		st.owner[k] = prof
	}
	_, ids, _ := p.resolved()
	for id := range ids {
		st.events = append(st.events, id)
	}
	slices.Sort(st.events)
	return st
}

// TestIdentitySurvivesKill9 runs identity in two `activa run` processes on
// 4 partitions, kills one with SIGKILL in the middle of the replay and
// restarts it: the final identity tables and the set of resolved events
// equal those of an uninterrupted run.
func TestIdentitySurvivesKill9(t *testing.T) {
	cfg := gen.DefaultConfig()
	cfg.Profiles, cfg.Days, cfg.Seed, cfg.Shortfalls = 600, 4, 11, 1
	cfg.SharedDeviceShare = 0 // no limit refusals, whose outcome may depend on timing
	var buf bytes.Buffer
	truth := &gen.Truth{}
	if _, err := gen.Generate(cfg, &buf, truth); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pop.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	// Reference: one in-process run without faults.
	ref := startPipelineWith(t, 4)
	ref.start()
	ref.replay(path)
	want := readIdentityState(t, ref, truth)
	ref.stop()

	// Two processes, one killed and restarted during the replay.
	p := startPipelineWith(t, 4)
	brokers, reg := p.c.kc.Brokers[0], p.c.s.Registry
	dirA, dirB := t.TempDir(), t.TempDir()
	a := runProcess(t, brokers, reg, dirA)
	b := runProcess(t, brokers, reg, dirB)
	defer func() {
		for _, c := range []*exec.Cmd{a, b} {
			_ = c.Process.Signal(syscall.SIGTERM)
			_ = c.Wait()
		}
	}()
	waitMembers(t, p.c, p.c.cat.Name("identity"), 2, 2*time.Minute)
	replayed := make(chan replay.Stats, 1)
	go func() {
		st, err := p.a.replayFile(context.Background(), p.c, p.codecs, path,
			replay.Config{HashKey: []byte(demoHashKey), Rate: 4000}, false, nil)
		if err != nil {
			t.Error(err)
		}
		replayed <- st
	}()
	time.Sleep(2 * time.Second)
	if err := a.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = a.Wait()
	t.Log("killed one process with SIGKILL in the middle of the replay")
	time.Sleep(time.Second)
	a = runProcess(t, brokers, reg, dirA)
	st := <-replayed
	groups := []string{p.c.cat.Name("identity")}
	if err := waitCaughtUp(context.Background(), p.c, groups, 5*time.Minute); err != nil {
		logGroups(t, p.c, groups)
		// Each process writes its goroutines to the test's output.
		for _, c := range []*exec.Cmd{a, b} {
			_ = c.Process.Signal(syscall.SIGQUIT)
		}
		time.Sleep(2 * time.Second)
		t.Fatal(err)
	}
	got := readIdentityState(t, p, truth)
	if len(got.events) != int(st.Produced) {
		t.Errorf("%d distinct events resolved, %d accepted", len(got.events), st.Produced)
	}
	if !slices.Equal(got.events, want.events) {
		t.Errorf("resolved event ids differ: %d after the crash, %d without", len(got.events), len(want.events))
	}
	diff := 0
	for k, w := range want.owner {
		if got.owner[k] != w {
			if diff < 5 {
				t.Errorf("%s: profile %q after the crash, %q without", k, got.owner[k], w)
			}
			diff++
		}
	}
	if diff > 0 {
		t.Errorf("%d of %d identifiers resolve differently", diff, len(want.owner))
	}
}

// startPipelineWith is startPipelineB with another partition count.
func startPipelineWith(t testing.TB, partitions int32) *pipeline {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	a := &app{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	e, err := a.startEmbedded(ctx, dir, "127.0.0.1:0", "127.0.0.1:0", int(partitions))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	d := topology.DefaultCatalog()
	// The processors run as `activa run` runs them, garbage collector
	// target included.
	c, err := dial(ctx, Settings{
		Brokers: e.brokers(), Registry: e.registry.URL(), Prefix: d.Prefix, Partitions: partitions, Replication: d.Replication,
		GCPercent: defaultGCPercent,
	}, a.log)
	if err != nil {
		t.Fatal(err)
	}
	codecs, err := c.setup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// ACTIVA_E2E_RATE paces replays (events per second) below what the
	// pipeline sustains; unset, they go as fast as possible, as a catch-up
	// after downtime would.
	p := &pipeline{t: t, a: a, c: c, codecs: codecs, state: filepath.Join(dir, "state"), rate: float64(envInt("ACTIVA_E2E_RATE", 0))}
	t.Cleanup(p.stop)
	return p
}
