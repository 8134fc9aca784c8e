//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// audienceConfig writes the settings of `activa connect` with a fresh
// PostgreSQL audience table fed by every segment change, and returns the
// file, the DSN and the table.
func audienceConfig(t *testing.T, dir string) (cfg, dsn, table string) {
	t.Helper()
	dsn = suiteEnv(t, "ACTIVA_POSTGRES_DSN")
	table = fmt.Sprintf("audience_%d", time.Now().UnixNano()%1e9)
	cfg = filepath.Join(dir, "connect.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `connect:
  destinations:
    audience: {type: postgres, dsn: %q, table: %s}
  routes:
    - {topic: segment.changes, destination: audience}
`, dsn, table), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, dsn, table
}

// startConnect starts `activa connect` with the settings file cfg; stop
// stops it (once) and fails the test unless it stops cleanly.
func startConnect(t *testing.T, bin, cfg string, conn []string, dir string) (stop func()) {
	t.Helper()
	run := exec.Command(bin, append([]string{"connect", "--config", cfg, "--state-dir", filepath.Join(dir, "connect-state"), "--log-level", "warn"}, conn...)...)
	run.Stdout, run.Stderr = os.Stderr, os.Stderr
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	return func() {
		if !stopped {
			stopped = true
			_ = run.Process.Signal(syscall.SIGTERM)
			if err := run.Wait(); err != nil {
				t.Errorf("activa connect did not stop cleanly: %v", err)
			}
		}
	}
}

// checkAudience runs `activa connect` with a PostgreSQL audience table fed
// by every segment change, waits until its group has committed everything,
// and checks that the table holds, for every profile, exactly the latest
// tier, lifecycle stage and cluster on segment.changes. It returns the
// settings file, the DSN and the table.
func checkAudience(t *testing.T, bin string, kc *kafka.Config, codecs *topology.Codecs, cat topology.Catalog, conn []string, dir string) (cfg, dsn, table string) {
	t.Helper()
	cfg, dsn, table = audienceConfig(t, dir)
	stop := startConnect(t, bin, cfg, conn, dir)
	defer stop()
	waitQuietFor(t, kc, cat.Name("connect"), 3*time.Minute)
	stop()
	// The segments processor's sweeps may move a lifecycle stage on at any
	// time: the table is compared with the changes connect consumed.
	cl, err := kc.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	offs, err := kadm.NewClient(cl).FetchOffsets(t.Context(), cat.Name("connect"))
	if err != nil {
		t.Fatal(err)
	}
	consumed := map[int32]int64{}
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == cat.Name(topology.SegmentChanges) {
			consumed[o.Partition] = o.At
		}
	})

	want := map[string]audienceRow{}
	later := 0
	consumeRecords(t, kc, codecs, cat, topology.SegmentChanges, func(rec *kgo.Record, c *schemas.SegmentChange) {
		if rec.Offset >= consumed[rec.Partition] {
			later++
			return
		}
		r := want[c.ProfileID]
		switch c.Kind {
		case "tier":
			r.tier = c.To
		case "lifecycle":
			r.lifecycle = c.To
		case "cluster":
			r.cluster = c.To
		}
		want[c.ProfileID] = r
	})
	for p, r := range want {
		if r == (audienceRow{}) {
			delete(want, p)
		}
	}
	got := audience(t, dsn, table)
	differ := 0
	for p, w := range want {
		if g, ok := got[p]; !ok || g != w {
			if differ++; differ <= 3 {
				t.Errorf("audience row of %s: %+v (present %v), want %+v", p, g, ok, w)
			}
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			differ++
			t.Errorf("audience row of %s, which is in no segment", p)
		}
	}
	t.Logf("audience table on PostgreSQL: %d rows, %d profiles with segments on segment.changes, %d differ (%d changes came after connect had caught up)", len(got), len(want), differ, later)
	if len(want) == 0 {
		t.Error("no segment change to check the audience table against")
	}
	return cfg, dsn, table
}
