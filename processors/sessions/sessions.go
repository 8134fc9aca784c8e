package sessions

import (
	"fmt"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/schemas"
)

// IdleVisitor is the name of the visitor edge that closes the sessions of
// idle profiles; run it with goka's Processor.VisitAll on a wall-clock
// ticker.
const IdleVisitor = "close-idle"

// Dead-letter reasons of this stage.
const (
	reasonTooLate = "too_late"
	reasonFull    = "session_full"
)

// What closed a session (SessionSummary.closed_by).
const (
	closedByGap  = "gap"
	closedByIdle = "idle"
)

type proc struct {
	cfg Config
	h   *harness.Harness

	mu      sync.Mutex
	arrived map[int32]time.Time         // wall-clock time of the latest event, by input partition
	sources map[int32]map[int32]*source // by input partition, then partition of events.raw
}

// source is what the processor knows of one partition of events.raw.
type source struct {
	maxTS   time.Time // latest event time seen
	arrived time.Time // wall-clock time of the latest event
}

// Define builds the sessions processor's group graph. It does no I/O.
func Define(cfg Config) (*goka.GroupGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &proc{cfg: cfg, h: cfg.Harness, arrived: map[int32]time.Time{}, sources: map[int32]map[int32]*source{}}
	t := cfg.Topics
	g := goka.DefineGroup(cfg.Group,
		harness.RawInput(t.Input, harness.Handle(p.h, cfg.Codecs.Resolved, p.onEvent)),
		harness.RawInput(t.Merges, harness.Handle(p.h, cfg.Codecs.Merge, p.onMerge)),
		goka.Loop(new(codec.Bytes), harness.Handle(p.h, cfg.Codecs.State, p.onFold)),
		goka.Persist(cfg.Codecs.State),
		goka.Output(t.Closed, cfg.Codecs.Summary),
		goka.Visitor(IdleVisitor, p.onVisit),
		p.h.Output(),
	)
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	return g, nil
}

func (p *proc) state(ctx goka.Context) *schemas.SessionState {
	if st, ok := ctx.Value().(*schemas.SessionState); ok && st != nil {
		return st
	}
	return &schemas.SessionState{}
}

// onEvent adds a resolved event to its profile's sessions and closes those
// the profile's watermark has passed.
func (p *proc) onEvent(ctx goka.Context, m harness.Msg[schemas.ResolvedEvent]) {
	ev := &m.Value.Event
	now := p.cfg.Now()
	p.seen(ctx.Partition(), m.Value.SourcePartition, ev.TS, now)
	st := p.state(ctx)
	if st.MergedInto != "" {
		// Resolved before identity knew of the merge: the event is the
		// survivor's.
		p.handOver(ctx, st.MergedInto, &schemas.SessionState{MaxTS: ev.TS, Open: []schemas.OpenSession{{Hits: []schemas.SessionHit{hitOf(ev)}}}})
		return
	}
	switch p.cfg.Rules.add(st, hitOf(ev)) {
	case Duplicate:
		if mt := p.cfg.Metrics; mt != nil {
			mt.Duplicates.Inc()
		}
		return
	case TooLate:
		p.late(ctx, m.Raw, ev.EventID, ev.TS, st)
		return
	case Full:
		p.h.Refuse(ctx, m.Raw, reasonFull, fmt.Errorf("session already holds %d events", p.cfg.Rules.MaxEvents), ev.EventID)
		return
	}
	st.Arrived = now.UTC().Truncate(time.Millisecond)
	closed, _ := p.cfg.Rules.closeUpTo(st, p.watermark(ctx.Partition(), now), now)
	p.emit(ctx, closed, closedByGap)
	ctx.SetValue(st)
}

// late dead-letters an event whose session has closed.
func (p *proc) late(ctx goka.Context, raw []byte, eventID string, ts time.Time, st *schemas.SessionState) {
	if mt := p.cfg.Metrics; mt != nil {
		mt.Late.Inc()
	}
	p.h.Refuse(ctx, raw, reasonTooLate, fmt.Errorf("event at %s belongs to a session closed already (last closed session ended at %s, gap %v)",
		ts.UTC().Format(time.RFC3339Nano), st.ClosedUntil.Format(time.RFC3339Nano), p.cfg.Rules.Gap), eventID)
}

// emit writes the summaries of closed sessions of the current profile.
func (p *proc) emit(ctx goka.Context, closed []schemas.OpenSession, by string) {
	for _, s := range closed {
		ctx.Emit(p.cfg.Topics.Closed, ctx.Key(), summarize(ctx.Key(), s, by))
		if mt := p.cfg.Metrics; mt != nil {
			mt.Closed.WithLabelValues(by).Inc()
		}
	}
}

// onMerge hands the open sessions of an absorbed profile (the key of
// profile.merges) to its survivor through the loopback, and remembers the
// survivor for the absorbed profile's events still to come.
func (p *proc) onMerge(ctx goka.Context, m harness.Msg[schemas.ProfileMerge]) {
	mg := m.Value
	if mg.Survivor == "" || mg.Survivor == ctx.Key() {
		return
	}
	st := p.state(ctx)
	if st.MergedInto == mg.Survivor {
		return // a replayed merge
	}
	if len(st.Open) > 0 {
		p.handOver(ctx, mg.Survivor, &schemas.SessionState{MaxTS: st.MaxTS, Open: st.Open})
	}
	ctx.SetValue(&schemas.SessionState{MergedInto: mg.Survivor})
}

// handOver sends open sessions to the profile that absorbed this one.
func (p *proc) handOver(ctx goka.Context, survivor string, st *schemas.SessionState) {
	b, err := p.cfg.Codecs.State.Encode(st)
	if err != nil {
		ctx.Fail(fmt.Errorf("sessions: encoding the open sessions of %s for %s: %w", ctx.Key(), survivor, err))
	}
	ctx.Loopback(survivor, b)
}

// onFold takes the open sessions of a profile merged into this one: their
// events join this profile's sessions as if they had been its own, late
// or not, and what the merged watermark passes closes.
func (p *proc) onFold(ctx goka.Context, m harness.Msg[schemas.SessionState]) {
	in := m.Value
	st := p.state(ctx)
	if st.MergedInto != "" {
		p.handOver(ctx, st.MergedInto, in) // merged on in turn
		return
	}
	r := p.cfg.Rules
	for _, s := range in.Open {
		for _, h := range s.Hits {
			// An event of a session the survivor closed already is too
			// late here as it would be on its own.
			switch r.add(st, h) {
			case TooLate:
				p.late(ctx, m.Raw, h.EventID, h.TS, st)
			case Full:
				p.h.Refuse(ctx, m.Raw, reasonFull, fmt.Errorf("session already holds %d events", r.MaxEvents), h.EventID)
			}
		}
		if mt := p.cfg.Metrics; mt != nil {
			mt.Folded.Inc()
		}
	}
	if in.MaxTS.After(st.MaxTS) {
		st.MaxTS = in.MaxTS
	}
	now := p.cfg.Now()
	closed, _ := r.closeUpTo(st, p.watermark(ctx.Partition(), now), now)
	p.emit(ctx, closed, closedByGap)
	ctx.SetValue(st)
}

// onVisit closes the sessions of a profile gone idle: the watermark has
// passed them by the gap (and the grace has passed), or the partition has
// received nothing at all for the idle timeout.
func (p *proc) onVisit(ctx goka.Context, _ any) {
	st, ok := ctx.Value().(*schemas.SessionState)
	if !ok || st == nil || len(st.Open) == 0 {
		return
	}
	now := p.cfg.Now()
	wm := p.watermark(ctx.Partition(), now)
	r := p.cfg.Rules
	if p.idle(ctx.Partition(), now) {
		wm, r.Grace = time.Unix(1<<40, 0), 0 // nothing arrives any more
	}
	closed, changed := r.closeUpTo(st, wm, now)
	if !changed {
		return
	}
	p.emit(ctx, closed, closedByIdle)
	ctx.SetValue(st)
}

// seen records an event read from input partition part, which identity
// read from partition src of events.raw.
func (p *proc) seen(part, src int32, ts, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.arrived[part] = now
	srcs := p.sources[part]
	if srcs == nil {
		srcs = map[int32]*source{}
		p.sources[part] = srcs
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

// watermark is the event-time watermark of input partition part: the
// latest event time it received from the slowest partition of events.raw,
// less the lateness. Events of one profile come from every partition of
// events.raw, through identity, and both those and the input partitions
// progress at their own pace; until part has received events of every
// partition of events.raw, its watermark is unknown (zero) and nothing
// closes by it. A source that sent nothing for the idle timeout does not
// count.
func (p *proc) watermark(part int32, now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	var low time.Time
	n := 0
	for _, s := range p.sources[part] {
		n++
		if now.Sub(s.arrived) >= p.cfg.IdleTimeout {
			continue
		}
		if low.IsZero() || s.maxTS.Before(low) {
			low = s.maxTS
		}
	}
	if n < p.cfg.SourcePartitions || low.IsZero() {
		return time.Time{}
	}
	return low.Add(-p.cfg.Rules.Lateness)
}

// idle reports whether input partition part has received nothing for the
// idle timeout: then every open session on it may close.
func (p *proc) idle(part int32, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok := p.arrived[part]
	return ok && now.Sub(at) >= p.cfg.IdleTimeout
}
