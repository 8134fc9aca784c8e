// Package watermark tracks event-time progress of a goka processor that
// reads events.resolved: per input partition, the slowest partition of
// events.raw the events came from, less an allowed lateness.
//
// Events of one profile come from every partition of events.raw (through
// identity), and both those and the processor's input partitions progress
// at their own pace. A Tracker is shared by the callbacks of all input
// partitions of one processor instance; it is safe for concurrent use.
package watermark

import (
	"sync"
	"time"
)

// Tracker is the event-time watermark of each input partition.
type Tracker struct {
	sources  int
	lateness time.Duration
	idle     time.Duration

	mu      sync.Mutex
	arrived map[int32]time.Time         // wall-clock time of the latest event, by input partition
	by      map[int32]map[int32]*source // by input partition, then partition of events.raw
}

// source is what the tracker knows of one partition of events.raw.
type source struct {
	maxTS   time.Time // latest event time seen
	arrived time.Time // wall-clock time of the latest event
}

// New returns a tracker for input from sources partitions of events.raw,
// with the allowed lateness, in which a source that sent nothing for idle
// (wall clock) no longer holds the watermark back.
func New(sources int, lateness, idle time.Duration) *Tracker {
	return &Tracker{sources: sources, lateness: lateness, idle: idle, arrived: map[int32]time.Time{}, by: map[int32]map[int32]*source{}}
}

// Seen records an event of time ts read at wall-clock time now from input
// partition part, which identity read from partition src of events.raw.
func (t *Tracker) Seen(part, src int32, ts, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.arrived[part] = now
	srcs := t.by[part]
	if srcs == nil {
		srcs = map[int32]*source{}
		t.by[part] = srcs
	}
	s := srcs[src]
	if s == nil {
		s = &source{}
		srcs[src] = s
	}
	if ts.After(s.maxTS) {
		s.maxTS = ts
	}
	s.arrived = now
}

// Arrived records that input partition part received something other
// than an event (a merge, a loopback message) at wall-clock time now: the
// partition is not idle, though its watermark does not move.
func (t *Tracker) Arrived(part int32, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.After(t.arrived[part]) {
		t.arrived[part] = now
	}
}

// Watermark is the event-time watermark of input partition part: the
// latest event time it received from the slowest partition of events.raw,
// less the lateness. Until part has received events of every partition of
// events.raw, its watermark is unknown (zero) and nothing may be decided
// by it. A source that sent nothing for the idle timeout does not count.
func (t *Tracker) Watermark(part int32, now time.Time) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	var low time.Time
	n := 0
	for _, s := range t.by[part] {
		n++
		if now.Sub(s.arrived) >= t.idle {
			continue
		}
		if low.IsZero() || s.maxTS.Before(low) {
			low = s.maxTS
		}
	}
	if n < t.sources || low.IsZero() {
		return time.Time{}
	}
	return low.Add(-t.lateness)
}

// Idle reports whether input partition part has received nothing (no
// event, nothing passed to Arrived) for the idle timeout (and received something before): nothing more is coming,
// and whatever waits for event time may be decided.
func (t *Tracker) Idle(part int32, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.arrived[part]
	return ok && now.Sub(at) >= t.idle
}

// Heard reports whether input partition part has received anything (an
// event, or something passed to Arrived).
func (t *Tracker) Heard(part int32) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.arrived[part]
	return ok
}
