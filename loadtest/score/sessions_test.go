package score

import (
	"testing"
	"time"
)

func TestSessionsReferenceAndDiff(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	s := &Sessions{Survivor: map[string]string{"p-b": "p-a", "p-c": "p-b"}, Late: map[string]bool{"late": true}, Gap: 30 * time.Minute}
	if f := s.Final("p-c"); f != "p-a" {
		t.Fatalf("p-c follows to %s, want p-a", f)
	}
	s.Resolved("1", "p-a", t0)
	s.Resolved("2", "p-c", t0.Add(30*time.Minute)) // exactly the gap: same session
	s.Resolved("3", "p-b", t0.Add(61*time.Minute)) // beyond: a new one
	s.Resolved("late", "p-a", t0.Add(45*time.Minute))
	ref := s.Reference()
	if len(ref) != 2 || ref[0].Events != 2 || ref[1].Events != 1 || ref[0].Profile != "p-a" {
		t.Fatalf("reference %+v", ref)
	}
	s.Closed("p-a", t0, t0.Add(30*time.Minute), 2)
	if m, e := s.Diff(); len(m) != 1 || len(e) != 0 || m[0].Start != t0.Add(61*time.Minute).UnixMilli() {
		t.Fatalf("missing %+v extra %+v, want the second session missing", m, e)
	}
	s.Closed("p-b", t0.Add(61*time.Minute), t0.Add(61*time.Minute), 1)
	s.Closed("p-b", t0.Add(61*time.Minute), t0.Add(61*time.Minute), 1)
	if m, e := s.Diff(); len(m) != 0 || len(e) != 1 {
		t.Fatalf("missing %+v extra %+v, want one session closed twice", m, e)
	}
}
