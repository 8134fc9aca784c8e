package cli

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// span is a session as the comparison sees it: its profile (the survivor
// of every merge), first and last event time and number of events.
type span struct {
	profile    string
	start, end int64
	events     int64
}

// sessionsRun replays path through identity and sessions, waits until
// every session has closed (the idle timeout is short here), and returns
// the sessions both ways: as closed by the processor, and as a plain
// sort-and-split of the same resolved events gives them, with the events
// the processor refused as too late left out. Profiles are followed
// through profile.merges to their survivor.
func sessionsRun(t *testing.T, path string) (got, want []span, late int) {
	t.Helper()
	p := startPipelineB(t)
	p.c.s.SessionIdleTimeout, p.c.s.SweepEvery = 3*time.Second, 500*time.Millisecond
	p.start()
	defer p.stop()
	p.replay(path)
	groups := []string{p.c.cat.Name("identity"), p.c.cat.Name("sessions")}
	if err := waitCaughtUp(context.Background(), p.c, groups, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	// Nothing arrives any more: after the idle timeout the sweep closes
	// every open session.
	time.Sleep(3*time.Second + 2*time.Second)
	if err := waitCaughtUp(context.Background(), p.c, groups, 10*time.Minute); err != nil {
		t.Fatal(err)
	}

	survivor := map[string]string{}
	readAll(p, topology.ProfileMerges, func(_ string, m *schemas.ProfileMerge) { survivor[m.Absorbed] = m.Survivor })
	final := func(profile string) string {
		for range 64 {
			s, ok := survivor[profile]
			if !ok {
				return profile
			}
			profile = s
		}
		t.Fatalf("merge chain from %s does not end", profile)
		return ""
	}
	tooLate := map[string]bool{}
	readAll(p, topology.Deadletter, func(_ string, d *schemas.DeadLetter) {
		if d.Stage == "sessions" {
			if d.Reason != "too_late" {
				t.Errorf("sessions dead-lettered event %s: %s (%s)", d.EventID, d.Reason, d.Error)
			}
			tooLate[d.EventID] = true
		}
	})
	byProfile := map[string][]time.Time{}
	readAll(p, topology.EventsResolved, func(_ string, ev *schemas.ResolvedEvent) {
		if !tooLate[ev.Event.EventID] {
			f := final(ev.ProfileID)
			byProfile[f] = append(byProfile[f], ev.Event.TS)
		}
	})
	for profile, ts := range byProfile {
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		for i, x := range ts {
			if i == 0 || x.Sub(ts[i-1]) > 30*time.Minute {
				want = append(want, span{profile: profile, start: x.UnixMilli()})
			}
			s := &want[len(want)-1]
			s.end, s.events = x.UnixMilli(), s.events+1
		}
	}
	readAll(p, topology.SessionsClosed, func(key string, s *schemas.SessionSummary) {
		if key != s.ProfileID {
			t.Fatalf("session of %s keyed %s", s.ProfileID, key)
		}
		got = append(got, span{profile: final(s.ProfileID), start: s.Start.UnixMilli(), end: s.End.UnixMilli(), events: s.EventCount})
	})
	order := func(a, b span) int {
		if a.profile != b.profile {
			if a.profile < b.profile {
				return -1
			}
			return 1
		}
		return int(a.start - b.start)
	}
	slices.SortFunc(got, order)
	slices.SortFunc(want, order)
	return got, want, len(tooLate)
}

func compareSessions(t *testing.T, name string, got, want []span, late int) {
	t.Helper()
	if slices.Equal(got, want) {
		t.Logf("%s: %d sessions, identical to the reference; %d events too late", name, len(got), late)
		return
	}
	g, w := map[span]int{}, map[span]int{}
	for _, s := range got {
		g[s]++
	}
	for _, s := range want {
		w[s]++
	}
	shown := 0
	for s, n := range w {
		if g[s] != n && shown < 10 {
			t.Errorf("%s: reference session %+v: %d times, the processor closed it %d times", name, s, n, g[s])
			shown++
		}
	}
	for s, n := range g {
		if w[s] == 0 && shown < 20 {
			t.Errorf("%s: processor session %+v (%d times) is not in the reference", name, s, n)
			shown++
		}
	}
	t.Errorf("%s: %d sessions, the reference has %d", name, len(got), len(want))
}

// TestSessionsMatchTheReference: on a generated population replayed
// through identity and sessions, the closed sessions are exactly those of
// a plain sort-and-split of the resolved events, in order and shuffled
// within the lateness. ACTIVA_E2E_PROFILES and ACTIVA_E2E_DAYS size the
// population (default 1,000 persons over 3 days).
func TestSessionsMatchTheReference(t *testing.T) {
	profiles, days := envInt("ACTIVA_E2E_PROFILES", 1000), envInt("ACTIVA_E2E_DAYS", 3)
	path, _ := population(t, profiles, days)
	for _, c := range []struct {
		name string
		path string
	}{
		{"in order", path},
		{"shuffled within 5 minutes", shuffleWithin(t, path, 5*time.Minute)},
	} {
		got, want, late := sessionsRun(t, c.path)
		compareSessions(t, fmt.Sprintf("%s (%d persons, %d days)", c.name, profiles, days), got, want, late)
	}
}
