package connectors_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/connectors"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/schemas/schematest"
)

var secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("runner-test-secret-0123456789abcd"))

// hook is a webhook receiver that verifies every signature and fails the
// first attempts of each message as told.
type hook struct {
	t     *testing.T
	srv   *httptest.Server
	v     *standardwebhooks.Webhook
	fails int // transient failures of each message before it is taken

	mu       sync.Mutex
	attempts map[string]int             // by idempotency key
	taken    map[string]int             // accepted, by idempotency key
	keys     map[string]map[string]bool // the keys each trigger came under
}

func newHook(t *testing.T, fails int, status func(body []byte) int) *hook {
	t.Helper()
	v, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	h := &hook{t: t, v: v, fails: fails, attempts: map[string]int{}, taken: map[string]int{}, keys: map[string]map[string]bool{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := v.Verify(body, r.Header); err != nil {
			t.Errorf("signature of %s does not verify: %v", r.Header.Get("webhook-id"), err)
		}
		id := r.Header.Get("webhook-id")
		h.mu.Lock()
		defer h.mu.Unlock()
		h.attempts[id]++
		var tr struct {
			TriggerID string `json:"trigger_id"`
		}
		if err := json.Unmarshal(body, &tr); err != nil {
			t.Errorf("body %q: %v", body, err)
		}
		if h.keys[tr.TriggerID] == nil {
			h.keys[tr.TriggerID] = map[string]bool{}
		}
		h.keys[tr.TriggerID][id] = true
		code := http.StatusOK
		if h.attempts[id] <= h.fails {
			code = http.StatusServiceUnavailable
		} else if status != nil {
			code = status(body)
		}
		if code < 300 {
			h.taken[id]++
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

type rig struct {
	t        *testing.T
	seeds    []string
	triggers *schemas.Codec[schemas.Trigger]
	delivery *schemas.Codec[schemas.Delivery]
	dead     *schemas.Codec[schemas.DeadLetter]
	erasure  *schemas.Codec[schemas.ErasureConfirmation]
	cl       *kgo.Client
}

func newRig(t *testing.T) *rig {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "triggers", "erasures"), kfake.SeedTopics(1, "deliveries", "deadletter"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	rc := schematest.Registry(t)
	r := &rig{
		t: t, seeds: c.ListenAddrs(),
		triggers: schematest.Register[schemas.Trigger](t, rc, "triggers-value", schemas.TriggerRecord),
		delivery: schematest.Register[schemas.Delivery](t, rc, "deliveries-value", schemas.DeliveryRecord),
		dead:     schematest.Register[schemas.DeadLetter](t, rc, "deadletter-value", schemas.DeadLetterRecord),
		erasure:  schematest.Register[schemas.ErasureConfirmation](t, rc, "erasures-value", schemas.ErasureConfirmationRecord),
	}
	r.cl, err = kgo.NewClient(kgo.SeedBrokers(r.seeds...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.cl.Close)
	return r
}

// trigger produces n cart_abandoned triggers (and a form_abandoned one
// every fifth) of as many profiles.
func (r *rig) trigger(n int) {
	r.t.Helper()
	for i := range n {
		kind := "cart_abandoned"
		if i%5 == 4 {
			kind = "form_abandoned"
		}
		p := fmt.Sprintf("p-%03d", i)
		b, err := r.triggers.Encode(&schemas.Trigger{TriggerID: fmt.Sprintf("t-%03d", i), ProfileID: p, Kind: kind, TS: time.Unix(1_790_000_000, 0)})
		if err != nil {
			r.t.Fatal(err)
		}
		if err := r.cl.ProduceSync(r.t.Context(), &kgo.Record{Topic: "triggers", Key: []byte(p), Value: b}).FirstErr(); err != nil {
			r.t.Fatal(err)
		}
	}
}

// people grants every purpose to every profile but those it lists, which
// granted only the purposes listed.
type people map[string]schemas.Consent

func (p people) Person(_ context.Context, id string) (connectors.Person, error) {
	if c, ok := p[id]; ok {
		return connectors.Person{Known: true, Consent: c}, nil
	}
	return connectors.Person{Known: true, Consent: schemas.Consent{Email: true, SMS: true, Push: true, Ads: true, Analytics: true}}, nil
}

// runner returns a runner of cart triggers to dest under the email
// purpose; each option changes its configuration.
func (r *rig) runner(dest connectors.Sink, retry connectors.Retry, options ...func(*connectors.Config)) *connectors.Runner {
	r.t.Helper()
	cfg := connectors.Config{
		Group: "connect", Client: []kgo.Opt{kgo.SeedBrokers(r.seeds...)},
		Sources: map[string]connectors.Source{"triggers": connectors.Triggers(r.triggers)},
		Routes:  []connectors.Route{{Topic: "triggers", Filter: `kind == "cart_abandoned"`, Destination: "crm", Purpose: "email"}},
		Sinks:   map[string]connectors.Sink{"crm": dest}, Retry: retry, CommitEvery: 50 * time.Millisecond, People: people{},
		Deliveries: "deliveries", Deadletter: "deadletter", DeliveryCodec: r.delivery, DeadletterCodec: r.dead,
		Erasures: "erasures", ErasureCodec: r.erasure,
	}
	for _, o := range options {
		o(&cfg)
	}
	run, err := connectors.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	return run
}

// outcomes reads the delivery log until it holds n records or the time is
// up.
func (r *rig) outcomes(n int) []*schemas.Delivery {
	r.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.seeds...), kgo.ConsumeTopics("deliveries"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		r.t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(r.t.Context(), 20*time.Second)
	defer cancel()
	var out []*schemas.Delivery
	for len(out) < n && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(rec *kgo.Record) {
			d, err := r.delivery.DecodeTyped(rec.Value)
			if err != nil {
				r.t.Fatal(err)
			}
			out = append(out, d)
		})
	}
	return out
}

func TestEveryRoutedRecordIsDeliveredOnceSignedAfterRetries(t *testing.T) {
	r := newRig(t)
	r.trigger(20) // 16 carts, 4 forms
	h := newHook(t, 2, nil)
	w, err := connectors.NewWebhook("crm", connectors.WebhookConfig{URL: h.srv.URL, Secret: secret, BreakAfter: 1000})
	if err != nil {
		t.Fatal(err)
	}
	run := r.runner(w, connectors.Retry{Schedule: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run.Run(ctx) }()
	log := r.outcomes(16)
	// Running, and with nothing more to fetch, the runner commits what is
	// final.
	r.waitCommitted("connect", "triggers", 20)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(log) != 16 {
		t.Fatalf("%d outcomes logged, want one per cart trigger (16)", len(log))
	}
	for _, d := range log {
		if d.Status != connectors.Delivered || d.Attempts != 3 || d.Sink != "webhook" || d.Destination != "crm" {
			t.Errorf("outcome %+v, want delivered to crm at the third attempt", d)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.taken) != 16 {
		t.Errorf("%d messages taken, want 16", len(h.taken))
	}
	for id, n := range h.taken {
		if n != 1 {
			t.Errorf("%s taken %d times", id, n)
		}
	}
}

func TestRefusedAndUndeliverableRecordsAreDeadLetteredAndCommitted(t *testing.T) {
	r := newRig(t)
	r.trigger(10) // 8 carts
	// p-000 and p-001 are refused for good; the rest answer 503 forever.
	h := newHook(t, 0, func(body []byte) int {
		if string(body) != "" && (contains(body, `"p-000"`) || contains(body, `"p-001"`)) {
			return http.StatusBadRequest
		}
		return http.StatusServiceUnavailable
	})
	w, err := connectors.NewWebhook("crm", connectors.WebhookConfig{URL: h.srv.URL, Secret: secret, BreakAfter: 1000})
	if err != nil {
		t.Fatal(err)
	}
	run := r.runner(w, connectors.Retry{Schedule: []time.Duration{5 * time.Millisecond, 5 * time.Millisecond}})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run.Run(ctx) }()
	log := r.outcomes(8)
	time.Sleep(200 * time.Millisecond) // a commit period or two
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	reasons := map[string]int{}
	for _, d := range log {
		if d.Status != connectors.DeadLettered {
			t.Errorf("outcome %+v, want dead-lettered", d)
		}
		reason, _, _ := strings.Cut(d.Reason, ":")
		reasons[reason]++
		if want := map[bool]int32{true: 1, false: 3}[d.ProfileID <= "p-001"]; d.Attempts != want {
			t.Errorf("%s: %d attempts, want %d", d.ProfileID, d.Attempts, want)
		}
	}
	if reasons[connectors.ReasonPermanent] != 2 || reasons[connectors.ReasonRetryBudget] != 6 {
		t.Errorf("reasons %v, want 2 permanent and 6 past the budget", reasons)
	}
	// Final outcomes are committed: a new runner of the group finds nothing to do.
	h2 := newHook(t, 0, nil)
	w2, err := connectors.NewWebhook("crm", connectors.WebhookConfig{URL: h2.srv.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if err := r.runner(w2, connectors.Retry{}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if len(h2.attempts) != 0 {
		t.Errorf("%d messages delivered again after their outcomes were final and committed", len(h2.attempts))
	}
}

func TestAStoppedRunnerLosesNothingAndRedeliversUnderTheSameKey(t *testing.T) {
	r := newRig(t)
	r.trigger(50) // 40 carts
	h := newHook(t, 0, nil)
	slow := &slowSink{Sink: mustWebhook(t, h.srv.URL), delay: 20 * time.Millisecond}
	// The first runner stops half way.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	first := r.runner(slow, connectors.Retry{})
	go func() { done <- first.Run(ctx) }()
	r.outcomes(15)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The second one finishes.
	ctx, cancel = context.WithCancel(t.Context())
	second := r.runner(mustWebhook(t, h.srv.URL), connectors.Retry{})
	go func() { done <- second.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		n := len(h.taken)
		h.mu.Unlock()
		if n >= 40 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	twice := 0
	for _, n := range h.taken {
		if n > 1 {
			twice++
		}
	}
	t.Logf("40 carts: %d taken across the restart, %d of them twice", len(h.taken), twice)
	if len(h.taken) != 40 || len(h.keys) != 40 {
		t.Fatalf("%d messages of %d triggers taken across the restart, want all 40", len(h.taken), len(h.keys))
	}
	for id, keys := range h.keys {
		if len(keys) != 1 {
			t.Errorf("trigger %s came under %d idempotency keys, want one however often it came", id, len(keys))
		}
	}
}

// slowSink delays every delivery.
type slowSink struct {
	connectors.Sink
	delay time.Duration
}

func (s *slowSink) Deliver(ctx context.Context, m *connectors.Message) error {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Sink.Deliver(ctx, m)
}

func mustWebhook(t *testing.T, url string) *connectors.Webhook {
	t.Helper()
	w, err := connectors.NewWebhook("crm", connectors.WebhookConfig{URL: url, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// waitCommitted waits until group has committed n records of topic, or
// fails.
func (r *rig) waitCommitted(group, topic string, n int64) {
	r.t.Helper()
	adm := kadm.NewClient(r.cl)
	var got int64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		offs, err := adm.FetchOffsets(r.t.Context(), group)
		if err != nil {
			continue
		}
		got = 0
		offs.Each(func(o kadm.OffsetResponse) {
			if o.Topic == topic {
				got += o.At
			}
		})
		if got == n {
			return
		}
	}
	r.t.Fatalf("group %s committed %d records of %s, want %d", group, got, topic, n)
}

// orderSink records the offsets it delivers, by profile, after a delay
// that differs from message to message.
type orderSink struct {
	mu  sync.Mutex
	got map[string][]int64
}

func (o *orderSink) Deliver(ctx context.Context, m *connectors.Message) error {
	select {
	case <-time.After(time.Duration(m.Offset*7%5) * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got[m.ProfileID] = append(o.got[m.ProfileID], m.Offset)
	return nil
}

func (o *orderSink) Close() error { return nil }

func TestAPersonsMessagesGoInOrder(t *testing.T) {
	r := newRig(t)
	for i := range 60 { // ten carts each of six people, interleaved
		r.produceCart(fmt.Sprintf("t-%02d", i), fmt.Sprintf("p-%d", i%6))
	}
	s := &orderSink{got: map[string][]int64{}}
	r.runFor(r.runner(s, connectors.Retry{}), 60)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) != 6 {
		t.Fatalf("messages of %d people delivered, want 6", len(s.got))
	}
	for p, offs := range s.got {
		if len(offs) != 10 || !slices.IsSorted(offs) {
			t.Errorf("%s: offsets delivered in the order %v, want ten in the order of the partition", p, offs)
		}
	}
}
