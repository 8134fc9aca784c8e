// Package harnesstest runs processors built with package harness on goka's
// tester.
package harnesstest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/schemas/schematest"
)

// Deadletter is the dead-letter topic of the harnesses made here.
const Deadletter = "dlq"

// Harness returns a harness for stage that dead-letters to Deadletter with
// a codec registered in rc.
func Harness(t testing.TB, rc *sr.Client, stage string) *harness.Harness {
	t.Helper()
	dl := schematest.Register[schemas.DeadLetter](t, rc, Deadletter+"-value", schemas.DeadLetterRecord)
	return &harness.Harness{Stage: stage, Deadletter: Deadletter, Codec: dl, Metrics: deadletter.NewMetrics(nil)}
}

// Start runs the group graph on a new tester with the harness options
// until the test ends, and fails the test if the processor stops with an
// error.
func Start(t testing.TB, g *goka.GroupGraph) (*tester.Tester, *goka.Processor) {
	t.Helper()
	tt := tester.New(t)
	proc, err := goka.NewProcessor(nil, g, append(harness.Options(), goka.WithTester(tt))...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- proc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("processor stopped with %v", err)
		}
	})
	return tt, proc
}

// Clock is a settable wall clock for processors that take a Now function.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// DeadLetters returns the dead letters written since the tracker's last
// read; track the Deadletter topic with the tester's NewQueueTracker.
func DeadLetters(dlq *tester.QueueTracker) []*schemas.DeadLetter {
	var out []*schemas.DeadLetter
	for {
		_, v, ok := dlq.Next()
		if !ok {
			return out
		}
		out = append(out, v.(*schemas.DeadLetter))
	}
}

// Drain returns the records written to q since its last read, and fails
// the test when one is not keyed by keyOf of its value (profile outputs
// are keyed by the profile id they carry).
func Drain[T any](t testing.TB, q *tester.QueueTracker, keyOf func(*T) string) []*T {
	t.Helper()
	var out []*T
	for {
		k, v, ok := q.Next()
		if !ok {
			return out
		}
		r := v.(*T)
		if want := keyOf(r); k != want {
			t.Fatalf("record of %s keyed %s", want, k)
		}
		out = append(out, r)
	}
}

// Confirmations returns the erasure confirmations written to q since its
// last read (written as bytes, decoded with c), and fails the test when
// one is not keyed by the profile it confirms.
func Confirmations(t testing.TB, q *tester.QueueTracker, c *schemas.Codec[schemas.ErasureConfirmation]) []*schemas.ErasureConfirmation {
	t.Helper()
	var out []*schemas.ErasureConfirmation
	for {
		k, v, ok := q.Next()
		if !ok {
			return out
		}
		r, err := c.DecodeTyped(v.([]byte))
		if err != nil {
			t.Fatalf("decoding the confirmation keyed %s: %v", k, err)
		}
		if k != r.ProfileID {
			t.Fatalf("confirmation of %s keyed %s", r.ProfileID, k)
		}
		out = append(out, r)
	}
}
