package score

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Span is a session as sessions are compared: its profile (followed
// through merges to the survivor), the event time of its first and last
// event (epoch milliseconds) and its number of events.
type Span struct {
	Profile    string
	Start, End int64
	Events     int64
}

// Sessions compares the sessions a run closed with a plain sort-and-split
// of the same resolved events.
type Sessions struct {
	// Survivor maps an absorbed profile to the profile it merged into.
	Survivor map[string]string
	// Late holds the event ids the sessions stage refused as too late; the
	// reference leaves them out.
	Late map[string]bool
	// Gap is the inactivity gap.
	Gap time.Duration

	events map[string][]int64 // by final profile: event times
	closed []Span
}

// Final follows profile through merges to its survivor.
func (s *Sessions) Final(profile string) string {
	for range 1024 {
		next, ok := s.Survivor[profile]
		if !ok || next == profile {
			return profile
		}
		profile = next
	}
	return profile
}

// Resolved records a resolved event of profile at ts.
func (s *Sessions) Resolved(eventID, profile string, ts time.Time) {
	if s.Late[eventID] {
		return
	}
	if s.events == nil {
		s.events = map[string][]int64{}
	}
	f := s.Final(profile)
	s.events[f] = append(s.events[f], ts.UnixMilli())
}

// Closed records a session the run closed.
func (s *Sessions) Closed(profile string, start, end time.Time, events int64) {
	s.closed = append(s.closed, Span{Profile: s.Final(profile), Start: start.UnixMilli(), End: end.UnixMilli(), Events: events})
}

// Reference splits the recorded events of each profile where two
// consecutive events are more than the gap apart.
func (s *Sessions) Reference() []Span {
	var out []Span
	for profile, ts := range s.events {
		ts = slices.Clone(ts)
		slices.Sort(ts)
		for i, x := range ts {
			if i == 0 || x-ts[i-1] > s.Gap.Milliseconds() {
				out = append(out, Span{Profile: profile, Start: x})
			}
			sp := &out[len(out)-1]
			sp.End, sp.Events = x, sp.Events+1
		}
	}
	sortSpans(out)
	return out
}

// Diff returns the reference sessions the run did not close as such, and
// the sessions it closed that the reference does not have; both empty
// when the run matches the reference exactly.
func (s *Sessions) Diff() (missing, extra []Span) {
	want, got := map[Span]int{}, map[Span]int{}
	for _, sp := range s.Reference() {
		want[sp]++
	}
	for _, sp := range s.closed {
		got[sp]++
	}
	for sp, n := range want {
		for range n - got[sp] {
			missing = append(missing, sp)
		}
	}
	for sp, n := range got {
		for range n - want[sp] {
			extra = append(extra, sp)
		}
	}
	sortSpans(missing)
	sortSpans(extra)
	return missing, extra
}

// String summarises the comparison.
func (s *Sessions) String() string {
	missing, extra := s.Diff()
	return fmt.Sprintf("%d sessions closed, %d in the reference, %d missing, %d extra, %d events too late",
		len(s.closed), len(s.Reference()), len(missing), len(extra), len(s.Late))
}

func sortSpans(ss []Span) {
	slices.SortFunc(ss, func(a, b Span) int {
		return cmp.Or(cmp.Compare(a.Profile, b.Profile), cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End))
	})
}
