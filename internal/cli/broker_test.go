package cli

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
)

// TestMain lets the test binary act as the activa command when
// ACTIVA_TEST_AS_COMMAND is set, so that tests can run it as a separate
// process and signal it.
func TestMain(m *testing.M) {
	if os.Getenv("ACTIVA_TEST_AS_COMMAND") == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startBrokerProcess runs `activa broker` as a child process and waits until
// it prints its addresses.
func startBrokerProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"broker", "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), "ACTIVA_TEST_AS_COMMAND=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ACTIVA_REGISTRY=") {
				ready <- nil
				for sc.Scan() {
				}
				return
			}
		}
		ready <- fmt.Errorf("broker exited before it was ready: %w", sc.Err())
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("broker not ready after 30s")
	}
	return cmd
}

type brokerState struct {
	topics    map[string]int
	ends      map[string]int64
	committed map[string]int64
	schemaIDs map[string]int
}

func readState(t *testing.T, brokers, reg string) brokerState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	st := brokerState{topics: map[string]int{}, ends: map[string]int64{}, committed: map[string]int64{}, schemaIDs: map[string]int{}}
	td, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range td {
		st.topics[name] = len(d.Partitions)
	}
	ends, err := adm.ListEndOffsets(ctx, td.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	ends.Each(func(o kadm.ListedOffset) { st.ends[fmt.Sprintf("%s/%d", o.Topic, o.Partition)] = o.Offset })
	offs, err := adm.FetchOffsets(ctx, "persist-check")
	if err != nil {
		t.Fatal(err)
	}
	offs.Each(func(o kadm.OffsetResponse) { st.committed[fmt.Sprintf("%s/%d", o.Topic, o.Partition)] = o.At })
	rc, err := sr.NewClient(sr.URLs(reg))
	if err != nil {
		t.Fatal(err)
	}
	subjects, err := rc.Subjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subjects {
		ss, err := rc.SchemaByVersion(ctx, s, -1)
		if err != nil {
			t.Fatal(err)
		}
		st.schemaIDs[s] = ss.ID
	}
	return st
}

// TestBrokerRestartKeepsState stops `activa broker --data-dir` with SIGTERM
// and starts it again: topics, records, committed offsets and schema ids
// must all be there.
func TestBrokerRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	kp, rp := freePort(t), freePort(t)
	args := []string{"--data-dir", filepath.Join(dir, "data"), "--kafka", fmt.Sprintf("127.0.0.1:%d", kp), "--registry", fmt.Sprintf("127.0.0.1:%d", rp)}
	brokers, reg := fmt.Sprintf("127.0.0.1:%d", kp), fmt.Sprintf("http://127.0.0.1:%d", rp)
	cmd := startBrokerProcess(t, args...)

	in := filepath.Join(dir, "pop.jsonl")
	if code, _, errs := run(t, "gen", "--profiles", "100", "--days", "2", "--out", in, "--no-progress"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := run(t, "replay", in, "--brokers", brokers, "--registry", reg, "--hash-key", "0123456789abcdef", "--no-progress"); code != 0 {
		t.Fatal(errs)
	}
	// Commit offsets for a consumer group after reading some records.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumerGroup("persist-check"),
		kgo.ConsumeTopics("activa.events.raw"), kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for read < 200 {
		fs := cons.PollRecords(ctx, 200-read)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		read += fs.NumRecords()
	}
	if err := cons.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatal(err)
	}
	cons.Close()

	before := readState(t, brokers, reg)
	if len(before.committed) == 0 || before.topics["activa.events.raw"] != 8 || len(before.schemaIDs) < 15 {
		t.Fatalf("state before restart is incomplete: %+v", before)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("broker did not exit cleanly on SIGTERM: %v", err)
	}

	cmd = startBrokerProcess(t, args...)
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	after := readState(t, brokers, reg)
	for _, c := range []struct {
		name string
		a, b any
	}{
		{"topics", before.topics, after.topics},
		{"end offsets", before.ends, after.ends},
		{"committed offsets", before.committed, after.committed},
		{"schema ids", before.schemaIDs, after.schemaIDs},
	} {
		if fmt.Sprint(c.a) != fmt.Sprint(c.b) {
			t.Errorf("%s changed across restart:\nbefore %v\nafter  %v", c.name, c.a, c.b)
		}
	}
}
