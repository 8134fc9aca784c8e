package features

import (
	"errors"
	"fmt"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/erasure"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/schemas"
)

type proc struct {
	cfg Config
	h   *harness.Harness
}

// Define builds the features processor's group graph. It does no I/O.
func Define(cfg Config) (*goka.GroupGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &proc{cfg: cfg, h: cfg.Harness}
	t := cfg.Topics
	g := goka.DefineGroup(cfg.Group,
		harness.RawInput(t.Input, harness.Handle(p.h, cfg.Codecs.Resolved, p.onEvent)),
		harness.RawInput(t.Sessions, harness.Handle(p.h, cfg.Codecs.Session, p.onSession)),
		harness.RawInput(t.Merges, harness.Handle(p.h, cfg.Codecs.Merge, p.onMerge)),
		goka.Loop(new(codec.Bytes), harness.Handle(p.h, cfg.Codecs.State, p.onFold)),
		goka.Persist(cfg.Codecs.State),
		goka.Output(t.Features, cfg.Codecs.Features),
		erasure.Output(t.Erasures),
		p.h.Output(),
	)
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	return g, nil
}

// state returns the key's state, and false when the current message was
// applied to it already (a redelivery after a crash: its offset is not
// past the last one applied from its topic).
func (p *proc) state(ctx goka.Context) (*schemas.FeatureState, bool) {
	st, ok := ctx.Value().(*schemas.FeatureState)
	if !ok || st == nil {
		st = &schemas.FeatureState{}
	}
	if last, ok := st.Offsets[string(ctx.Topic())]; ok && ctx.Offset() <= last {
		p.cfg.Metrics.inc(func(m *Metrics) prometheus.Counter { return m.Duplicates })
		return st, false
	}
	return st, true
}

// save stores st with the current message marked applied, and publishes
// the features when changed.
func (p *proc) save(ctx goka.Context, st *schemas.FeatureState, changed bool) {
	if st.Offsets == nil {
		st.Offsets = map[string]int64{}
	}
	st.Offsets[string(ctx.Topic())] = ctx.Offset()
	if changed && st.MergedInto == "" {
		st.Version++
		ctx.Emit(p.cfg.Topics.Features, ctx.Key(), p.cfg.Rules.publish(ctx.Key(), st, p.cfg.Now()))
		p.cfg.Metrics.inc(func(m *Metrics) prometheus.Counter { return m.Published })
	}
	ctx.SetValue(st)
}

// onEvent applies a resolved event.
func (p *proc) onEvent(ctx goka.Context, m harness.Msg[schemas.ResolvedEvent]) {
	ev := &m.Value.Event
	if ev.EventID == "" || ev.TS.IsZero() {
		p.h.Refuse(ctx, m.Raw, deadletter.Invalid, errors.New("resolved event without an event id or a time"), ev.EventID)
		return
	}
	if ev.Type == erasure.RequestType {
		p.erase(ctx, ev.EventID)
		return
	}
	p.apply(ctx, func(st *schemas.FeatureState) bool { return p.cfg.Rules.addEvent(st, ev) })
}

// erase forgets the profile of an erasure request: its state is cleared
// but for the mark, its features are tombstoned, and what arrives for it
// afterwards is dropped. An absorbed profile passes the request to its
// survivor. The stage confirms the erasure of the profile it forgot.
func (p *proc) erase(ctx goka.Context, requestID string) {
	st, fresh := p.state(ctx)
	if !fresh || st.Erased {
		return
	}
	if st.MergedInto != "" {
		p.forward(ctx, st, &schemas.FeatureState{Erased: true})
		return
	}
	ctx.Emit(p.cfg.Topics.Features, ctx.Key(), nil)
	p.cfg.Metrics.inc(func(m *Metrics) prometheus.Counter { return m.Erased })
	p.save(ctx, &schemas.FeatureState{Erased: true, Offsets: st.Offsets}, false)
	var tables []string
	if st.Events+st.Sessions > 0 {
		tables = []string{string(goka.GroupTable(p.cfg.Group)), string(p.cfg.Topics.Features)}
	}
	erasure.Confirm(ctx, p.cfg.Topics.Erasures, p.cfg.Codecs.Erasure, erasure.StageFeatures, ctx.Key(), requestID, tables, p.cfg.Now())
}

// onSession applies a closed session.
func (p *proc) onSession(ctx goka.Context, m harness.Msg[schemas.SessionSummary]) {
	s := m.Value
	if s.SessionID == "" {
		p.h.Refuse(ctx, m.Raw, deadletter.Invalid, errors.New("session summary without a session id"), s.LastEventID)
		return
	}
	p.apply(ctx, func(st *schemas.FeatureState) bool { return p.cfg.Rules.addSession(st, s) })
}

// apply adds one input to the key's state, or forwards it to the survivor
// when the key was absorbed.
func (p *proc) apply(ctx goka.Context, add func(*schemas.FeatureState) bool) {
	st, fresh := p.state(ctx)
	if !fresh || st.Erased {
		return
	}
	if st.MergedInto != "" {
		// Resolved (or closed) before the merge was known: the survivor's.
		d := &schemas.FeatureState{}
		add(d)
		p.forward(ctx, st, d)
		return
	}
	changed := add(st)
	if !changed {
		p.cfg.Metrics.inc(func(m *Metrics) prometheus.Counter { return m.Duplicates })
	}
	p.save(ctx, st, changed)
}

// onMerge hands the absorbed profile's state (the key of profile.merges)
// to its survivor, tombstones its features, and remembers the survivor
// for what still arrives for it. An erased profile passes the erasure on.
func (p *proc) onMerge(ctx goka.Context, m harness.Msg[schemas.ProfileMerge]) {
	mg := m.Value
	if mg.Survivor == "" || mg.Survivor == ctx.Key() {
		p.h.Refuse(ctx, m.Raw, deadletter.Invalid, fmt.Errorf("merge of %s into %q", ctx.Key(), mg.Survivor), mg.CauseEventID)
		return
	}
	st, fresh := p.state(ctx)
	if !fresh || st.MergedInto == mg.Survivor {
		return // a replayed merge
	}
	if st.Erased {
		// The erasure request came before the merge: the survivor is the
		// same person's, and is forgotten too.
		p.forward(ctx, &schemas.FeatureState{Erased: true, MergedInto: mg.Survivor, Offsets: st.Offsets}, &schemas.FeatureState{Erased: true})
		return
	}
	if st.MergedInto == "" && st.Events+st.Sessions > 0 {
		st.Offsets, st.Version = nil, 0
		p.loop(ctx, mg.Survivor, st)
		ctx.Emit(p.cfg.Topics.Features, ctx.Key(), nil)
	}
	// What the key kept is now the survivor's; only the offsets stay, for
	// redeliveries.
	p.save(ctx, &schemas.FeatureState{MergedInto: mg.Survivor, Offsets: st.Offsets}, false)
}

// forward sends what arrived for an absorbed profile to its survivor.
func (p *proc) forward(ctx goka.Context, st, d *schemas.FeatureState) {
	p.loop(ctx, st.MergedInto, d)
	p.save(ctx, st, false)
}

func (p *proc) loop(ctx goka.Context, to string, d *schemas.FeatureState) {
	b, err := p.cfg.Codecs.State.Encode(d)
	if err != nil {
		ctx.Fail(fmt.Errorf("features: encoding the state of %s for %s: %w", ctx.Key(), to, err))
	}
	ctx.Loopback(to, b)
}

// onFold folds the state of an absorbed profile, or an input forwarded
// from it, into this profile.
func (p *proc) onFold(ctx goka.Context, m harness.Msg[schemas.FeatureState]) {
	st, fresh := p.state(ctx)
	if !fresh || st.Erased {
		return
	}
	if st.MergedInto != "" {
		p.forward(ctx, st, m.Value) // merged on in turn
		return
	}
	if m.Value.Erased {
		p.erase(ctx, "") // an erasure request resolved to a profile absorbed since
		return
	}
	changed := p.cfg.Rules.fold(st, m.Value)
	if changed {
		p.cfg.Metrics.inc(func(m *Metrics) prometheus.Counter { return m.Folded })
	}
	p.save(ctx, st, changed)
}
