//go:build integration

package integration

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// receiver is a slow webhook receiver that verifies every signature and
// records the idempotency keys each trigger arrived under.
type receiver struct {
	mu   sync.Mutex
	keys map[string]map[string]int // by trigger id: arrivals by webhook-id
	bad  int
}

func (r *receiver) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.keys)
}

// TestIntegrationConnectLosesNothingWhenKilled delivers cart triggers to a
// slow signed webhook with `activa connect`, kills the connector with
// SIGKILL a third of the way through, starts it again, and checks that
// every trigger arrived, and that a trigger that arrived twice carried the
// same idempotency key both times.
func TestIntegrationConnectLosesNothingWhenKilled(t *testing.T) {
	b, regURL, p := brokers(t), registryForTest(t), prefix(t)
	bin := buildActiva(t)
	dir := t.TempDir()
	const n = 400
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("connect-kill-secret-0123456789ab"))
	verify, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	rec := &receiver{keys: map[string]map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		time.Sleep(15 * time.Millisecond)
		var tr schemas.Trigger
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if verify.Verify(body, req.Header) != nil || json.Unmarshal(body, &tr) != nil {
			rec.bad++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if rec.keys[tr.TriggerID] == nil {
			rec.keys[tr.TriggerID] = map[string]int{}
		}
		rec.keys[tr.TriggerID][req.Header.Get("webhook-id")]++
	}))
	defer srv.Close()

	cat := topology.DefaultCatalog()
	cat.Prefix, cat.Partitions = p, 4
	kc := &kafka.Config{Brokers: []string{b}}
	rc, err := sr.NewClient(sr.URLs(regURL))
	if err != nil {
		t.Fatal(err)
	}
	codecs, err := topology.RegisterSchemas(t.Context(), rc, cat)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kc.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kafka.EnsureTopics(t.Context(), cl, cat.Specs()); err != nil {
		t.Fatal(err)
	}
	tc, err := topology.Typed[schemas.Trigger](codecs, topology.Triggers)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		profile := fmt.Sprintf("p-%04d", i)
		v, err := tc.Encode(&schemas.Trigger{TriggerID: fmt.Sprintf("t-%04d", i), ProfileID: profile, Kind: "cart_abandoned", TS: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		cl.Produce(t.Context(), &kgo.Record{Topic: cat.Name(topology.Triggers), Key: []byte(profile), Value: v}, nil)
	}
	if err := cl.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}

	cfg := filepath.Join(dir, "connect.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `connect:
  max-in-flight: 64
  destinations:
    crm: {type: webhook, url: %q, secret: %q}
  routes:
    - {topic: triggers, filter: 'kind == "cart_abandoned"', destination: crm}
`, srv.URL, secret), 0o600); err != nil {
		t.Fatal(err)
	}
	conn := []string{"--brokers", b, "--registry", regURL, "--prefix", p, "--partitions", "4"}
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, append([]string{"connect", "--config", cfg, "--state-dir", filepath.Join(dir, "state"), "--log-level", "warn"}, conn...)...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (%d of %d triggers arrived)", what, rec.distinct(), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	first := start()
	waitFor("a third of the triggers", func() bool { return rec.distinct() >= n/3 })
	atKill := rec.distinct()
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait() // killed: its exit status says so
	second := start()
	waitFor("every trigger", func() bool { return rec.distinct() == n })
	waitQuietFor(t, kc, cat.Name("connect"), 3*time.Minute)
	_ = second.Process.Signal(syscall.SIGTERM)
	if err := second.Wait(); err != nil {
		t.Errorf("activa connect did not stop cleanly: %v", err)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	twice, arrivals, twoKeys := 0, 0, 0
	for id, keys := range rec.keys {
		if len(keys) != 1 {
			twoKeys++
			t.Errorf("trigger %s arrived under %d idempotency keys: %v", id, len(keys), keys)
		}
		for _, c := range keys {
			arrivals += c
			if c > 1 {
				twice++
			}
		}
	}
	if rec.bad > 0 {
		t.Errorf("%d requests without a valid signature or body", rec.bad)
	}
	outcomes := map[string]bool{}
	consume(t, kc, codecs, cat, topology.Deliveries, func(_ string, d *schemas.Delivery) {
		if d.Status == "delivered" {
			outcomes[d.IdempotencyKey] = true
		}
	})
	if len(outcomes) != n {
		t.Errorf("%d delivered outcomes on the delivery log, want %d", len(outcomes), n)
	}
	t.Logf("connect killed with SIGKILL after %d of %d triggers arrived, then restarted: %d of %d arrived (none lost), %d arrivals, %d triggers arrived more than once, each under one idempotency key (%d under two)",
		atKill, n, len(rec.keys), n, arrivals, twice, twoKeys)
}
