package watermark_test

import (
	"testing"
	"time"

	"github.com/activa-dev/activa/internal/watermark"
)

func TestTheSlowestSourceHoldsTheWatermarkUntilItGoesIdle(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	ev := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	w := watermark.New(2, 5*time.Minute, time.Minute)
	w.Seen(0, 0, ev.Add(time.Hour), now)
	if got := w.Watermark(0, now); !got.IsZero() {
		t.Fatalf("watermark %v before every source was seen, want zero", got)
	}
	w.Seen(0, 1, ev, now)
	if got, want := w.Watermark(0, now), ev.Add(-5*time.Minute); !got.Equal(want) {
		t.Fatalf("watermark %v, want the slowest source less the lateness %v", got, want)
	}
	if got := w.Watermark(1, now); !got.IsZero() {
		t.Fatalf("partition 1 has a watermark %v without input", got)
	}
	// Source 1 falls silent; source 0 keeps sending.
	later := now.Add(90 * time.Second)
	w.Seen(0, 0, ev.Add(2*time.Hour), later)
	if got, want := w.Watermark(0, later), ev.Add(2*time.Hour-5*time.Minute); !got.Equal(want) {
		t.Fatalf("watermark %v with source 1 idle, want %v", got, want)
	}
	if w.Idle(0, later) || !w.Idle(0, later.Add(time.Minute)) || w.Idle(1, later.Add(time.Hour)) {
		t.Fatal("idle: want partition 0 idle only a minute after its last input, and partition 1 (never seen) never")
	}
}

func TestAnythingArrivingKeepsAPartitionFromGoingIdle(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	ev := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	w := watermark.New(1, 5*time.Minute, time.Minute)
	w.Seen(0, 0, ev, now)
	// A merge arrives 50 s after the last event, nothing after it.
	w.Arrived(0, now.Add(50*time.Second))
	if w.Idle(0, now.Add(90*time.Second)) {
		t.Fatal("idle 40 s after a merge arrived, want idle only a minute after it")
	}
	if !w.Idle(0, now.Add(110*time.Second)) {
		t.Fatal("not idle a minute after the last arrival")
	}
	if got, want := w.Watermark(0, now.Add(10*time.Second)), ev.Add(-5*time.Minute); !got.Equal(want) {
		t.Fatalf("watermark %v after a merge arrived, want it unmoved at %v", got, want)
	}
	// An arrival stamped earlier than the last one does not turn the clock back.
	w.Arrived(0, now)
	if !w.Idle(0, now.Add(110*time.Second)) {
		t.Fatal("an earlier arrival made the partition busy again")
	}
}
