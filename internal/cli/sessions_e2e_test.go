package cli

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/loadtest/score"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// sessionsRun replays path through identity and sessions, waits until
// every session has closed (the idle timeout is short here), and compares
// the closed sessions with a plain sort-and-split of the same resolved
// events, the events the processor refused as too late left out and
// profiles followed through profile.merges to their survivor.
func sessionsRun(t *testing.T, path string) *score.Sessions {
	t.Helper()
	p := startPipelineB(t)
	// The idle timeout closes everything on a partition that receives
	// nothing for that long: under the load of a large replay, a few
	// seconds without input happen before the input ends.
	const idle = 20 * time.Second
	// The sweep visits every key; a sweep every 5 s stays a small part of
	// the load (production sweeps every 30 s).
	const sweep = 5 * time.Second
	p.c.s.SessionIdleTimeout, p.c.s.SweepEvery = idle, sweep
	if ms := envInt("ACTIVA_E2E_GRACE_MS", 0); ms > 0 {
		// A short grace makes sessions close on the watermark during the
		// replay rather than on the idle sweep after it.
		p.c.s.SessionGrace = time.Duration(ms) * time.Millisecond
	}
	p.start()
	defer p.stop()
	p.replayOnly(path)
	inputEnd := time.Now()
	groups := []string{p.c.cat.Name("identity"), p.c.cat.Name("sessions")}
	if err := waitCaughtUp(context.Background(), p.c, groups, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	// The input has stopped: after the idle timeout the sweep closes every
	// open session.
	time.Sleep(idle + sweep + 2*time.Second)
	if err := waitCaughtUp(context.Background(), p.c, groups, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	lateFrom := map[string]int{} // too late, by the topic of the refused record
	s := &score.Sessions{Survivor: map[string]string{}, Late: map[string]bool{}, Gap: 30 * time.Minute}
	lt := &lateTally{
		lateness: 5 * time.Minute, gap: s.Gap, inputEnd: inputEnd, maxTS: map[[2]int32]time.Time{},
		folded: map[string]bool{}, cause: map[string]string{}, causeTS: map[string]time.Time{},
	}
	mergedAt := map[string]time.Time{} // by cause event: when identity wrote the merge
	readRecords(p, topology.ProfileMerges, func(r *kgo.Record, m *schemas.ProfileMerge) {
		s.Survivor[m.Absorbed] = m.Survivor
		lt.cause[m.Absorbed] = m.CauseEventID
		lt.causeTS[m.CauseEventID] = time.Time{}
		if at, ok := mergedAt[m.CauseEventID]; !ok || r.Timestamp.Before(at) {
			mergedAt[m.CauseEventID] = r.Timestamp
		}
	})

	loop := p.c.cat.Name("sessions") + "-loop"
	readAll(p, topology.Deadletter, func(_ string, d *schemas.DeadLetter) {
		if d.Stage == "sessions" {
			if d.Reason != "too_late" {
				t.Errorf("sessions dead-lettered event %s: %s (%s)", d.EventID, d.Reason, d.Error)
			}
			if len(s.Late) < 3 {
				t.Logf("too late: %s: %s", d.EventID, d.Error)
			}
			s.Late[d.EventID] = true
			lateFrom[d.Source]++
			lt.folded[d.EventID] = d.Source == loop
		}
	})
	by := map[string]int{}
	var mergeTook []time.Duration // from the cause event resolved to its first merge written (wall clock)
	readRecords(p, topology.EventsResolved, func(r *kgo.Record, ev *schemas.ResolvedEvent) {
		if at, ok := mergedAt[ev.Event.EventID]; ok {
			mergeTook = append(mergeTook, at.Sub(r.Timestamp))
		}
		if s.Late[ev.Event.EventID] {
			lt.add(r, ev)
		}
		lt.seen(r, ev)
		s.Resolved(ev.Event.EventID, ev.ProfileID, ev.Event.TS)
	})
	t.Logf("record wait (Kafka timestamp to callback): %s", recordWaits(t, p.reg, "identity", "sessions"))
	if len(mergeTook) > 0 {
		slices.Sort(mergeTook)
		q := func(f float64) time.Duration {
			return mergeTook[int(f*float64(len(mergeTook)-1))].Round(time.Millisecond)
		}
		t.Logf("merges: %d causes; merge written after the cause event was resolved by: median %v, p90 %v, p99 %v, max %v",
			len(mergeTook), q(0.5), q(0.9), q(0.99), q(1))
	}
	if len(s.Late) > 0 {
		t.Logf("too late: %d events (by topic read: %v); %s", len(s.Late), lateFrom, lt)
	}
	readAll(p, topology.SessionsClosed, func(key string, c *schemas.SessionSummary) {
		if key != c.ProfileID {
			t.Fatalf("session of %s keyed %s", c.ProfileID, key)
		}
		s.Closed(c.ProfileID, c.Start, c.End, c.EventCount)
		by[c.ClosedBy]++
	})
	t.Logf("sessions closed by: %v", by)
	return s
}

// lateTally describes the events the sessions stage refused as too late by
// when and how identity resolved them: after the input had ended, and
// behind events of the same events.raw partition that identity resolved
// before them (in the same events.resolved partition) by more than the
// lateness.
type lateTally struct {
	lateness, gap time.Duration
	inputEnd      time.Time
	maxTS         map[[2]int32]time.Time // by events.resolved and events.raw partition
	// For the events refused when a merge handed them over (folded): the
	// event that caused the merge of each absorbed profile, and its time.
	folded  map[string]bool
	cause   map[string]string
	causeTS map[string]time.Time
	foldTS  []foldedAt

	n, afterEnd, held int
	maxHeld           time.Duration
}

// foldedAt is a refused event handed over by a merge: the profile identity
// resolved it to, and its time.
type foldedAt struct {
	profile string
	ts      time.Time
}

func (l *lateTally) seen(r *kgo.Record, ev *schemas.ResolvedEvent) {
	if _, ok := l.causeTS[ev.Event.EventID]; ok {
		l.causeTS[ev.Event.EventID] = ev.Event.TS
	}
	k := [2]int32{r.Partition, ev.SourcePartition}
	if ev.Event.TS.After(l.maxTS[k]) {
		l.maxTS[k] = ev.Event.TS
	}
}

func (l *lateTally) add(r *kgo.Record, ev *schemas.ResolvedEvent) {
	l.n++
	if l.folded[ev.Event.EventID] {
		l.foldTS = append(l.foldTS, foldedAt{ev.ProfileID, ev.Event.TS})
	}
	if r.Timestamp.After(l.inputEnd) {
		l.afterEnd++
	}
	if d := l.maxTS[[2]int32{r.Partition, ev.SourcePartition}].Sub(ev.Event.TS); d > l.lateness {
		l.held++
		l.maxHeld = max(l.maxHeld, d)
	}
}

// String says, besides, of the refused events a merge handed over, how
// many were linked to the survivor by an event more than the gap plus the
// lateness later in event time: no sessionizer without hindsight could
// have waited for that link.
func (l *lateTally) String() string {
	later := 0
	for _, f := range l.foldTS {
		if c, ok := l.causeTS[l.cause[f.profile]]; ok && c.Sub(f.ts) > l.gap+l.lateness {
			later++
		}
	}
	return fmt.Sprintf("of the %d found in events.resolved, %d resolved after the input ended, %d behind events of their events.raw partition resolved before them by more than the lateness (at most %v); of the %d a merge handed over, %d linked by an event more than the gap plus the lateness after them",
		l.n, l.afterEnd, l.held, l.maxHeld, len(l.foldTS), later)
}

// TestSessionsMatchTheReference: on a generated population replayed
// through identity and sessions, the closed sessions are exactly those of
// a plain sort-and-split of the resolved events, in order and shuffled
// within the lateness. ACTIVA_E2E_PROFILES and ACTIVA_E2E_DAYS size the
// population (default 1,000 persons over 3 days); ACTIVA_E2E_ONLY=shuffled
// (or "in order") runs one of the two.
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
		if only := os.Getenv("ACTIVA_E2E_ONLY"); only != "" && !strings.HasPrefix(c.name, only) {
			continue
		}
		name := fmt.Sprintf("%s (%d persons, %d days)", c.name, profiles, days)
		s := sessionsRun(t, c.path)
		t.Logf("%s: %s", name, s)
		missing, extra := s.Diff()
		for i, sp := range missing {
			if i < 10 {
				t.Errorf("%s: reference session %+v not closed as such", name, sp)
			}
		}
		for i, sp := range extra {
			if i < 10 {
				t.Errorf("%s: closed session %+v not in the reference", name, sp)
			}
		}
	}
}

// recordWaits reads the record wait histograms of stages from reg: for
// each stage and topic, the upper bounds of the buckets holding the
// median, the 90th and the 99th percentile.
func recordWaits(t *testing.T, reg *prometheus.Registry, stages ...string) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		if mf.GetName() != "activa_processor_record_wait_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if !slices.Contains(stages, labels["stage"]) {
				continue
			}
			h := m.GetHistogram()
			q := func(f float64) string {
				for _, b := range h.GetBucket() {
					if float64(b.GetCumulativeCount()) >= f*float64(h.GetSampleCount()) {
						return "≤" + time.Duration(b.GetUpperBound()*float64(time.Second)).String()
					}
				}
				return "more"
			}
			out = append(out, fmt.Sprintf("%s %s: p50 %s, p90 %s, p99 %s (%d records)", labels["stage"], labels["topic"], q(0.5), q(0.9), q(0.99), h.GetSampleCount()))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}
