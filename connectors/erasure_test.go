package connectors_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/connectors"
	"github.com/activa-dev/activa/schemas"
)

// keeper is a destination that keeps people, like the audience table: it
// records the people it was told to forget.
type keeper struct {
	connectors.Sink
	mu     sync.Mutex
	erased []string
}

func (k *keeper) Erase(_ context.Context, profile string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.erased = append(k.erased, profile)
	return nil
}

func (k *keeper) forgot() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.erased)
}

// confirm writes stage's confirmation that profile was erased.
func (r *rig) confirm(stage, profile string) {
	r.t.Helper()
	b, err := r.erasure.Encode(&schemas.ErasureConfirmation{ProfileID: profile, Stage: stage, RequestedEventID: "e-" + profile, TS: time.Now()})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.cl.ProduceSync(r.t.Context(), &kgo.Record{Topic: "erasures", Key: []byte(profile), Value: b}).FirstErr(); err != nil {
		r.t.Fatal(err)
	}
}

// confirmations reads the runner's own confirmations for two seconds, or
// until there are more than n.
func (r *rig) confirmations(n int) []*schemas.ErasureConfirmation {
	r.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.seeds...), kgo.ConsumeTopics("erasures"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		r.t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(r.t.Context(), 2*time.Second)
	defer cancel()
	var out []*schemas.ErasureConfirmation
	for ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(rec *kgo.Record) {
			c, err := r.erasure.DecodeTyped(rec.Value)
			if err != nil {
				r.t.Fatal(err)
			}
			if c.Stage == "connectors" {
				out = append(out, c)
			}
		})
		if len(out) > n {
			break
		}
	}
	return out
}

func TestNothingIsSentAboutAnErasedPersonAndTheDestinationsForgetThem(t *testing.T) {
	r := newRig(t)
	// p-old was erased before the runner started; p-new is erased while
	// it runs, before the trigger about them is written.
	r.confirm("identity", "p-old")
	r.produceCart("t-old", "p-old")
	r.produceCart("t-1", "p-1")
	h := newHook(t, 0, nil)
	k := &keeper{Sink: mustWebhook(t, h.srv.URL)}
	run := r.runner(k, connectors.Retry{}, func(c *connectors.Config) {
		c.Policies = map[string]connectors.Policy{"crm": {Cap: 5, CapPer: time.Hour}}
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run.Run(ctx) }()
	if got := r.outcomes(2); len(got) != 2 {
		t.Fatalf("%d outcomes before p-new's erasure, want 2", len(got))
	}
	r.confirm("features", "p-new")
	r.confirm("identity", "p-new")
	deadline := time.Now().Add(10 * time.Second)
	for len(k.forgot()) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	r.produceCart("t-new", "p-new")
	log := r.outcomes(3)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := k.forgot(); !slices.Equal(got, []string{"p-old", "p-new"}) {
		t.Fatalf("destination forgot %v, want p-old then p-new, once each", got)
	}
	if len(log) != 3 {
		t.Fatalf("%d outcomes, want 3: %+v", len(log), log)
	}
	for _, d := range log {
		switch d.ProfileID {
		case "p-1":
			if d.Status != connectors.Delivered {
				t.Errorf("p-1's cart: %+v, want delivered", d)
			}
		default:
			if d.Status != connectors.Suppressed || d.Reason != connectors.ReasonErased || d.ProfileID != "" {
				t.Errorf("outcome %+v, want suppressed as erased, naming no one", d)
			}
		}
	}
	cs := r.confirmations(2)
	if len(cs) != 2 || cs[0].ProfileID != "p-old" || cs[1].ProfileID != "p-new" || cs[1].RequestedEventID != "e-p-new" ||
		!slices.Equal(cs[0].Tables, []string{"frequency caps", "crm"}) {
		t.Fatalf("confirmations %+v, want p-old then p-new, naming the caps and crm", cs)
	}
	// Restarted, the runner knows both are confirmed: nothing is erased or
	// confirmed again, and p-new's new cart goes nowhere.
	r.produceCart("t-new-2", "p-new")
	k2 := &keeper{Sink: mustWebhook(t, h.srv.URL)}
	log = r.runFor(r.runner(k2, connectors.Retry{}), 4)
	if d := log[len(log)-1]; d.Status != connectors.Suppressed || d.Reason != connectors.ReasonErased {
		t.Errorf("after the restart: %+v, want suppressed as erased", d)
	}
	if got := k2.forgot(); len(got) != 0 {
		t.Errorf("erased again after the restart: %v", got)
	}
	if cs := r.confirmations(2); len(cs) != 2 {
		t.Errorf("%d confirmations after the restart, want still 2", len(cs))
	}
}
