package connectors

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// flaky fails its first n deliveries with err, then delivers.
type flaky struct {
	mu    sync.Mutex
	n     int
	err   error
	calls []time.Time
}

func (f *flaky) Deliver(context.Context, *Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, time.Now())
	if len(f.calls) <= f.n {
		return f.err
	}
	return nil
}

func (f *flaky) Close() error { return nil }

func TestDeliverRetriesOnScheduleAndDeadLettersAfterTheBudget(t *testing.T) {
	waits := []time.Duration{10 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond}
	for _, c := range []struct {
		name     string
		fails    int
		err      error
		status   string
		reason   string
		attempts int
	}{
		{"at once", 0, nil, Delivered, "", 1},
		{"after two transient failures", 2, errors.New("503"), Delivered, "", 3},
		{"never: budget spent", 10, errors.New("503"), DeadLettered, ReasonRetryBudget, 4},
		{"permanent", 10, Permanent(errors.New("400")), DeadLettered, ReasonPermanent, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &flaky{n: c.fails, err: c.err}
			o := deliver(t.Context(), s, &Message{ID: "m-1"}, Retry{Schedule: waits, Jitter: 0.01}, time.Now)
			if o.Status != c.status || o.Reason != c.reason || o.Attempts != c.attempts {
				t.Fatalf("outcome %+v, want %s (%s) after %d attempts", o, c.status, c.reason, c.attempts)
			}
			// Each retry waited its turn of the schedule.
			for i := 1; i < len(s.calls); i++ {
				if gap := s.calls[i].Sub(s.calls[i-1]); gap < waits[i-1]*99/100 {
					t.Errorf("retry %d after %v, want at least %v", i, gap, waits[i-1])
				}
			}
		})
	}
}

func TestAnInterruptedDeliveryIsNotFinal(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	o := deliver(ctx, &flaky{n: 100, err: errors.New("timeout")}, &Message{ID: "m-1"}, Retry{Schedule: []time.Duration{time.Hour}}, time.Now)
	if o.Final() || o.Attempts != 1 {
		t.Fatalf("outcome %+v, want an interrupted, not final, delivery after 1 attempt", o)
	}
}
