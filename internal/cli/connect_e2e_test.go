package cli

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// TestConnectDeliversTriggersAsItsConfigRoutesThem runs `activa connect`
// with a settings file that routes cart triggers to a signed webhook under
// the e-mail purpose and every trigger to a JSONL file, produces features
// (the first five profiles without e-mail consent, the last five none at
// all) and triggers, and checks that each trigger arrived where its route
// sends it, once, with a signature that verifies, that no message went to
// a person without consent, and that every outcome is on the deliveries
// topic.
func TestConnectDeliversTriggersAsItsConfigRoutesThem(t *testing.T) {
	brokers, reg := embeddedForTest(t)
	dir := t.TempDir()
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("connect-e2e-secret-0123456789abc"))
	verify, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	hooked := map[string]string{} // trigger id -> idempotency key
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := verify.Verify(body, r.Header); err != nil {
			t.Errorf("signature does not verify: %v", err)
		}
		var tr schemas.Trigger
		if err := json.Unmarshal(body, &tr); err != nil {
			t.Errorf("body %q: %v", body, err)
		}
		mu.Lock()
		if k, seen := hooked[tr.TriggerID]; seen && k != r.Header.Get("webhook-id") {
			t.Errorf("trigger %s came under two keys", tr.TriggerID)
		}
		hooked[tr.TriggerID] = r.Header.Get("webhook-id")
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	out := filepath.Join(dir, "all.jsonl")
	cfg := filepath.Join(dir, "activa.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `brokers: [%s]
registry: %s
partitions: 4
connect:
  retry: {schedule: [100ms, 100ms]}
  destinations:
    crm: {type: webhook, url: %q, secret: %q}
    archive: {type: jsonl, path: %q}
  routes:
    - {topic: triggers, filter: 'kind == "cart_abandoned"', destination: crm, purpose: email}
    - {topic: triggers, destination: archive}
`, brokers, reg, srv.URL, secret, out), 0o600); err != nil {
		t.Fatal(err)
	}

	// The topics and schemas, and 30 triggers (a form every third).
	fs := flags()
	if err := fs.Parse([]string{"--config", cfg}); err != nil {
		t.Fatal(err)
	}
	s, err := load(fs)
	if err != nil {
		t.Fatal(err)
	}
	c, codecs, err := dialSetup(t.Context(), s, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := topology.Typed[schemas.Trigger](codecs, topology.Triggers)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := c.producer()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	fc, err := topology.Typed[schemas.ProfileFeatures](codecs, topology.ProfileFeatures)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 { // p-25 to p-29 have no features
		p := fmt.Sprintf("p-%02d", i)
		b, err := fc.Encode(&schemas.ProfileFeatures{ProfileID: p, Consent: schemas.Consent{Email: i >= 5, SMS: true}})
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(t.Context(), &kgo.Record{Topic: c.cat.Name(topology.ProfileFeatures), Key: []byte(p), Value: b}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	carts, consented := 0, 0
	for i := range 30 {
		kind := "cart_abandoned"
		if i%3 == 2 {
			kind = "form_abandoned"
		} else {
			carts++
			if i >= 5 && i < 25 {
				consented++
			}
		}
		p := fmt.Sprintf("p-%02d", i)
		b, err := tc.Encode(&schemas.Trigger{TriggerID: fmt.Sprintf("tr-%02d", i), ProfileID: p, Kind: kind, TS: time.Now().UTC()})
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(t.Context(), &kgo.Record{Topic: c.cat.Name(topology.Triggers), Key: []byte(p), Value: b}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		done <- mainContext(ctx, []string{"connect", "--config", cfg, "--state-dir", filepath.Join(dir, "state")}, io.Discard, &stderr)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(hooked)
		mu.Unlock()
		if n == consented && lines(t, out) == 30 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("connect exited %d: %s", code, stderr.String())
	}
	mu.Lock()
	hookedN := len(hooked)
	mu.Unlock()
	if hookedN != consented {
		t.Errorf("%d cart triggers reached the webhook, want the %d of people who consent to e-mail", hookedN, consented)
	}
	for id := range hooked {
		var i int
		if _, err := fmt.Sscanf(id, "tr-%d", &i); err != nil || i < 5 || i >= 25 {
			t.Errorf("trigger %s reached a person without e-mail consent", id)
		}
	}
	if n := lines(t, out); n != 30 {
		t.Errorf("%d lines in the archive, want every one of the 30 triggers", n)
	}
	code, tail, errs := run(t, "tail", c.cat.Name(topology.Deliveries), "--from-beginning", "--idle", "2s", "--brokers", brokers, "--registry", reg)
	if code != 0 {
		t.Fatalf("tail: %s", errs)
	}
	delivered, suppressed := strings.Count(tail, `"status":"delivered"`), strings.Count(tail, `"reason":"no_consent"`)
	t.Logf("%d cart triggers on the webhook, %d lines in the archive; %d delivered and %d suppressed outcomes logged", hookedN, lines(t, out), delivered, suppressed)
	if delivered != consented+30 || suppressed != carts-consented {
		t.Errorf("%d delivered and %d suppressed outcomes on the deliveries topic, want %d and %d", delivered, suppressed, consented+30, carts-consented)
	}
}

// lines counts the lines of the file at path (0 when it does not exist).
func lines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		n++
	}
	return n
}
