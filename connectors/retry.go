package connectors

import (
	"math/rand/v2"
	"time"
)

// DefaultSchedule is the retry schedule after a transient failure, as the
// common webhook services keep it: seconds, then minutes, then hours (a
// day and a half in all). Each wait is jittered by up to a fifth either way.
var DefaultSchedule = []time.Duration{
	5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 14 * time.Hour,
}

// schedule is a retry schedule as a backoff.BackOff: the waits before the
// retries, in order, jittered; once spent, it stops the retries.
type schedule struct {
	waits  []time.Duration
	jitter float64
	rand   func() float64
	next   int
}

// newSchedule returns a fresh schedule of waits, each jittered by up to
// jitter (a share, 0 to 1) either way.
func newSchedule(waits []time.Duration, jitter float64) *schedule {
	return &schedule{waits: waits, jitter: jitter, rand: rand.Float64}
}

// NextBackOff returns the next wait, or -1 (backoff.Stop) once the
// schedule is spent.
func (s *schedule) NextBackOff() time.Duration {
	if s.next >= len(s.waits) {
		return -1
	}
	w := s.waits[s.next]
	s.next++
	return time.Duration(float64(w) * (1 + s.jitter*(2*s.rand()-1)))
}

// Reset starts the schedule again.
func (s *schedule) Reset() { s.next = 0 }
