package connectors_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/connectors"
	"github.com/activa-dev/activa/schemas"
)

// produceCart writes a cart trigger id of profile.
func (r *rig) produceCart(id, profile string) {
	r.t.Helper()
	b, err := r.triggers.Encode(&schemas.Trigger{TriggerID: id, ProfileID: profile, Kind: "cart_abandoned", TS: time.Unix(1_790_000_000, 0)})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.cl.ProduceSync(r.t.Context(), &kgo.Record{Topic: "triggers", Key: []byte(profile), Value: b}).FirstErr(); err != nil {
		r.t.Fatal(err)
	}
}

// runFor runs run until the delivery log holds n outcomes, and returns
// them.
func (r *rig) runFor(run *connectors.Runner, n int) []*schemas.Delivery {
	r.t.Helper()
	ctx, cancel := context.WithCancel(r.t.Context())
	done := make(chan error, 1)
	go func() { done <- run.Run(ctx) }()
	log := r.outcomes(n)
	cancel()
	if err := <-done; err != nil {
		r.t.Fatal(err)
	}
	return log
}

func TestMessagesWithoutConsentOrOverTheCapAreSuppressed(t *testing.T) {
	r := newRig(t)
	for i := range 6 {
		r.produceCart(fmt.Sprintf("t-%d", i), fmt.Sprintf("p-%d", i))
	}
	for i := range 4 { // four carts of one person in a day
		r.produceCart(fmt.Sprintf("t-busy-%d", i), "p-busy")
	}
	h := newHook(t, 0, nil)
	run := r.runner(mustWebhook(t, h.srv.URL), connectors.Retry{}, func(c *connectors.Config) {
		c.People = people{
			"p-0": {SMS: true},                           // no e-mail
			"p-1": {Email: false, Ads: true, Push: true}, // withdrew e-mail
		}
		c.Policies = map[string]connectors.Policy{"crm": {Cap: 2, CapPer: 24 * time.Hour}}
	})
	log := r.runFor(run, 10)
	got := map[string]int{}
	for _, d := range log {
		got[d.ProfileID+" "+d.Status+" "+d.Reason]++
	}
	want := map[string]int{
		"p-0 suppressed no_consent": 1, "p-1 suppressed no_consent": 1,
		"p-2 delivered ": 1, "p-3 delivered ": 1, "p-4 delivered ": 1, "p-5 delivered ": 1,
		"p-busy delivered ": 2, "p-busy suppressed frequency_cap": 2,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.taken) != 6 {
		t.Errorf("%d messages reached the webhook, want the 6 delivered", len(h.taken))
	}
}

// lookups is a People that records its lookups and withdraws the e-mail
// consent of withdraw from its second lookup on.
type lookups struct {
	mu       sync.Mutex
	seen     map[string]int
	withdraw string
}

func (l *lookups) Person(_ context.Context, id string) (connectors.Person, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen[id]++
	return connectors.Person{Known: true, Consent: schemas.Consent{Email: id != l.withdraw || l.seen[id] == 1}}, nil
}

func (l *lookups) distinct() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.seen)
}

// quietAt returns a clock fixed at 02:59 and quiet hours from 21:00 that
// end after left (counted from that clock's 02:59).
func quietAt(left time.Duration) (func() time.Time, *connectors.Quiet) {
	now := time.Date(2026, 11, 25, 2, 59, 0, 0, time.UTC)
	end := now.Add(left).Truncate(time.Minute)
	return func() time.Time { return now }, &connectors.Quiet{From: 21 * time.Hour, To: time.Duration(end.Hour())*time.Hour + time.Duration(end.Minute())*time.Minute, Zone: time.UTC}
}

func TestQuietHoursHoldMessagesWithoutHoldingTheirSlots(t *testing.T) {
	r := newRig(t)
	for i := range 5 {
		r.produceCart(fmt.Sprintf("t-%d", i), fmt.Sprintf("p-%d", i))
	}
	now, quiet := quietAt(time.Hour) // until 03:59
	l := &lookups{seen: map[string]int{}}
	h := newHook(t, 0, nil)
	run := r.runner(mustWebhook(t, h.srv.URL), connectors.Retry{}, func(c *connectors.Config) {
		c.People, c.Now, c.MaxInFlight = l, now, 1
		c.Policies = map[string]connectors.Policy{"crm": {Quiet: quiet}}
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run.Run(ctx) }()
	// With one slot, the five carts all wait for the morning at once.
	for deadline := time.Now().Add(10 * time.Second); l.distinct() < 5 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := l.distinct(); n != 5 {
		t.Fatalf("%d of 5 carts reached their quiet-hours wait with one slot: a waiting message holds its slot", n)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.attempts) != 0 {
		t.Fatalf("%d messages sent during quiet hours", len(h.attempts))
	}
}

func TestConsentIsThatAtTheTimeOfSending(t *testing.T) {
	r := newRig(t)
	for i := range 3 {
		r.produceCart(fmt.Sprintf("t-%d", i), fmt.Sprintf("p-%d", i))
	}
	// The quiet hours end at 03:00, a second after the clock's 02:59:59.
	at := time.Date(2026, 11, 25, 2, 59, 59, 0, time.UTC)
	l := &lookups{seen: map[string]int{}, withdraw: "p-1"}
	h := newHook(t, 0, nil)
	run := r.runner(mustWebhook(t, h.srv.URL), connectors.Retry{}, func(c *connectors.Config) {
		c.People, c.Now = l, func() time.Time { return at }
		c.Policies = map[string]connectors.Policy{"crm": {Quiet: &connectors.Quiet{From: 21 * time.Hour, To: 3 * time.Hour}}}
	})
	log := r.runFor(run, 3)
	var sent, withdrawn []string
	for _, d := range log {
		switch {
		case d.Status == connectors.Delivered:
			sent = append(sent, d.ProfileID)
		case d.Status == connectors.Suppressed && strings.HasPrefix(d.Reason, connectors.ReasonNoConsent):
			withdrawn = append(withdrawn, d.ProfileID)
		}
	}
	if len(sent) != 2 || len(withdrawn) != 1 || withdrawn[0] != "p-1" {
		t.Fatalf("sent to %v, suppressed %v; want p-1, who withdrew during the quiet hours, suppressed", sent, withdrawn)
	}
}

func TestACapHoldsAcrossARestart(t *testing.T) {
	r := newRig(t)
	cap2 := func(c *connectors.Config) {
		c.Policies = map[string]connectors.Policy{"crm": {Cap: 2, CapPer: 24 * time.Hour}}
	}
	h := newHook(t, 0, nil)
	r.produceCart("t-1", "p-busy")
	r.produceCart("t-2", "p-busy")
	r.runFor(r.runner(mustWebhook(t, h.srv.URL), connectors.Retry{}, cap2), 2)
	r.produceCart("t-3", "p-busy")
	log := r.runFor(r.runner(mustWebhook(t, h.srv.URL), connectors.Retry{}, cap2), 3)
	if last := log[len(log)-1]; last.Status != connectors.Suppressed || last.Reason != connectors.ReasonFrequencyCap {
		t.Fatalf("the third cart in a day, after a restart: %+v, want suppressed by the cap", last)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.taken) != 2 {
		t.Errorf("%d messages taken, want 2", len(h.taken))
	}
}
