package sessions

import (
	"fmt"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/activa-dev/activa/internal/erasure"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/internal/watermark"
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
	wm  *watermark.Tracker
}

// Define builds the sessions processor's group graph. It does no I/O.
func Define(cfg Config) (*goka.GroupGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &proc{cfg: cfg, h: cfg.Harness, wm: watermark.New(cfg.SourcePartitions, cfg.Rules.Lateness, cfg.IdleTimeout)}
	t := cfg.Topics
	g := goka.DefineGroup(cfg.Group,
		harness.RawInput(t.Input, harness.Handle(p.h, cfg.Codecs.Resolved, p.onEvent)),
		harness.RawInput(t.Merges, harness.Handle(p.h, cfg.Codecs.Merge, p.onMerge)),
		goka.Loop(new(codec.Bytes), harness.Handle(p.h, cfg.Codecs.State, p.onFold)),
		goka.Persist(cfg.Codecs.State),
		goka.Output(t.Closed, cfg.Codecs.Summary),
		erasure.Output(t.Erasures),
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
	p.wm.Seen(ctx.Partition(), m.Value.SourcePartition, ev.TS, now)
	st := p.state(ctx)
	switch {
	case st.Erased:
		p.afterErasure()
		return
	case ev.Type == erasure.RequestType && st.MergedInto != "":
		p.handOver(ctx, st.MergedInto, &schemas.SessionState{Erased: true})
		return
	case ev.Type == erasure.RequestType:
		p.erase(ctx, ev.EventID)
		return
	}
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
	closed, _ := p.cfg.Rules.closeUpTo(st, p.wm.Watermark(ctx.Partition(), now), now)
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
	p.wm.Arrived(ctx.Partition(), p.cfg.Now())
	mg := m.Value
	if mg.Survivor == "" || mg.Survivor == ctx.Key() {
		return
	}
	st := p.state(ctx)
	if st.MergedInto == mg.Survivor {
		return // a replayed merge
	}
	if st.Erased {
		// The erasure request came before the merge: the survivor is the
		// same person's, and is forgotten too.
		p.handOver(ctx, mg.Survivor, &schemas.SessionState{Erased: true})
		ctx.SetValue(&schemas.SessionState{Erased: true, MergedInto: mg.Survivor})
		return
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
	p.wm.Arrived(ctx.Partition(), p.cfg.Now())
	in := m.Value
	st := p.state(ctx)
	switch {
	case st.MergedInto != "":
		p.handOver(ctx, st.MergedInto, in) // merged on in turn
		return
	case st.Erased:
		p.afterErasure()
		return
	case in.Erased:
		p.erase(ctx, "") // an erasure request resolved to a profile absorbed since
		return
	}
	r := p.cfg.Rules
	for _, s := range in.Open {
		for _, h := range s.Hits {
			// Too late only if it would have joined a session the
			// survivor closed already.
			switch r.fold(st, h) {
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
	closed, _ := r.closeUpTo(st, p.wm.Watermark(ctx.Partition(), now), now)
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
	wm := p.wm.Watermark(ctx.Partition(), now)
	r := p.cfg.Rules
	if p.wm.Idle(ctx.Partition(), now) {
		wm, r.Grace = time.Unix(1<<40, 0), 0 // nothing arrives any more
	}
	closed, changed := r.closeUpTo(st, wm, now)
	if !changed {
		return
	}
	p.emit(ctx, closed, closedByIdle)
	ctx.SetValue(st)
}

// erase forgets the profile of an erasure request: its open sessions are
// dropped without a summary, and a marker keeps out what still arrives for
// it. The stage confirms, naming its table when it held anything.
func (p *proc) erase(ctx goka.Context, requestID string) {
	var tables []string
	if ctx.Value() != nil {
		tables = []string{string(goka.GroupTable(p.cfg.Group))}
	}
	ctx.SetValue(&schemas.SessionState{Erased: true})
	erasure.Confirm(ctx, p.cfg.Topics.Erasures, p.cfg.Codecs.Erasure, erasure.StageSessions, ctx.Key(), requestID, tables, p.cfg.Now())
	if mt := p.cfg.Metrics; mt != nil {
		mt.Erased.Inc()
	}
}

// afterErasure counts an input dropped because its profile was erased.
func (p *proc) afterErasure() {
	if mt := p.cfg.Metrics; mt != nil {
		mt.AfterErasure.Inc()
	}
}
