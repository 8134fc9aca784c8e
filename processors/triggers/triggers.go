package triggers

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/erasure"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/internal/watermark"
	"github.com/activa-dev/activa/schemas"
)

// DueVisitor is the name of the visitor edge that takes the decisions
// event time has made due; run it with goka's Processor.VisitAll on a
// wall-clock ticker.
const DueVisitor = "fire-due"

// Dead-letter reasons of this stage.
const (
	reasonTooLate = "too_late"
	reasonFull    = "cart_full"
)

type proc struct {
	cfg Config
	h   *harness.Harness
	wm  *watermark.Tracker
}

// Define builds the triggers processor's group graph. It does no I/O.
func Define(cfg Config) (*goka.GroupGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &proc{cfg: cfg, h: cfg.Harness, wm: watermark.New(cfg.SourcePartitions, cfg.Lateness, cfg.IdleTimeout)}
	t := cfg.Topics
	g := goka.DefineGroup(cfg.Group,
		harness.RawInput(t.Input, harness.Handle(p.h, cfg.Codecs.Resolved, p.onEvent)),
		harness.RawInput(t.Merges, harness.Handle(p.h, cfg.Codecs.Merge, p.onMerge)),
		harness.RawInput(t.Changes, harness.Handle(p.h, cfg.Codecs.Change, p.onChange)),
		harness.RawInput(t.Erasures, harness.Handle(p.h, cfg.Codecs.Erasure, p.onErasure)),
		goka.Loop(new(codec.Bytes), harness.Handle(p.h, cfg.Codecs.State, p.onFold)),
		goka.Persist(cfg.Codecs.State),
		goka.Output(t.Triggers, cfg.Codecs.Trigger),
		erasure.Output(t.Erasures),
		goka.Visitor(DueVisitor, p.onVisit),
		p.h.Output(),
	)
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("triggers: %w", err)
	}
	return g, nil
}

func (p *proc) state(ctx goka.Context) *schemas.TriggerState {
	if st, ok := ctx.Value().(*schemas.TriggerState); ok && st != nil {
		return st
	}
	return &schemas.TriggerState{}
}

// emitter returns the callback that publishes the triggers of profile.
func (p *proc) emitter(ctx goka.Context, profile string) func(*schemas.Trigger) {
	return func(t *schemas.Trigger) {
		t.ProfileID = profile
		ctx.Emit(p.cfg.Topics.Triggers, profile, t)
		if m := p.cfg.Metrics; m != nil {
			m.Fired.WithLabelValues(t.Kind).Inc()
		}
	}
}

// onEvent applies a cart, purchase or form event and takes the decisions
// the watermark has made due; other events only move the watermark.
func (p *proc) onEvent(ctx goka.Context, m harness.Msg[schemas.ResolvedEvent]) {
	ev := &m.Value.Event
	now := p.cfg.Now()
	p.wm.Seen(ctx.Partition(), m.Value.SourcePartition, ev.TS, now)
	if ev.Type == erasure.RequestType {
		p.erase(ctx, ev.EventID)
		return
	}
	if !relevant(ev.Type) {
		return
	}
	if ev.EventID == "" || ev.TS.IsZero() {
		p.h.Refuse(ctx, m.Raw, deadletter.Invalid, errors.New("resolved event without an event id or a time"), ev.EventID)
		return
	}
	st := p.state(ctx)
	if st.Erased {
		p.afterErasure()
		return
	}
	if st.MergedInto != "" {
		// Resolved before identity knew of the merge: the survivor's.
		d := &schemas.TriggerState{}
		v := p.cfg.Rules.apply(d, ev, p.emitter(ctx, st.MergedInto))
		p.refuse(ctx, m.Raw, ev, v)
		if v == Applied {
			p.tellDevice(ctx, st.MergedInto, ev)
		}
		p.loop(ctx, st.MergedInto, d)
		return
	}
	v := p.cfg.Rules.apply(st, ev, p.emitter(ctx, ctx.Key()))
	if v == Applied {
		p.tellDevice(ctx, ctx.Key(), ev)
	}
	if v == Duplicate {
		if mt := p.cfg.Metrics; mt != nil {
			mt.Duplicates.Inc()
		}
		return
	}
	p.refuse(ctx, m.Raw, ev, v)
	p.cfg.Rules.decide(ctx.Key(), st, p.wm.Watermark(ctx.Partition(), now), now, p.emitter(ctx, ctx.Key()))
	ctx.SetValue(st)
}

// devicePrefix starts the keys of devices in the triggers table: a device
// key knows the profile that last filled a cart on the device, so that a
// purchase another profile makes on it (a shared device, which identity
// keeps in one profile only) reaches that cart.
const devicePrefix = "device:"

// tellDevice tells the device of an event applied for profile what it must
// know: a cart line added on it (every line: another profile may have
// filled a cart on the device since this profile's earlier lines), or a
// purchase made on it.
func (p *proc) tellDevice(ctx goka.Context, profile string, ev *schemas.Event) {
	d := ev.IDs.Device
	switch {
	case d == "":
	case ev.Type == "add_to_cart":
		p.loop(ctx, devicePrefix+d, &schemas.TriggerState{CartOf: profile})
	case ev.Type == "purchase" || ev.Type == "store_purchase":
		p.loop(ctx, devicePrefix+d, &schemas.TriggerState{PurchaseFrom: profile, Purchases: []time.Time{ev.TS.UTC()}})
	}
}

// onDevice keeps a device's cart profile and recent purchases, and hands
// each purchase made on it by another profile to the profile filling a
// cart there.
func (p *proc) onDevice(ctx goka.Context, m *schemas.TriggerState) {
	st := p.state(ctx)
	d := strings.TrimPrefix(ctx.Key(), devicePrefix)
	r := p.cfg.Rules
	var send []time.Time
	switch {
	case m.Erased:
		if st.CartOf == "" || st.CartOf == m.CartOf {
			ctx.Delete() // the erased person's device
		}
		return
	case m.CartOf != "":
		if st.CartOf == m.CartOf {
			return
		}
		st.CartOf = m.CartOf
		send = st.Purchases // purchases that came before the cart's news
	case m.PurchaseFrom != "":
		for _, t := range m.Purchases {
			i, ok := slices.BinarySearchFunc(st.Purchases, t, time.Time.Compare)
			if ok {
				continue
			}
			st.Purchases = keep(slices.Insert(st.Purchases, i, t), r.Keep)
			if st.CartOf != "" && st.CartOf != m.PurchaseFrom {
				send = append(send, t)
			}
		}
	default:
		return
	}
	if len(send) > 0 {
		out := &schemas.TriggerState{}
		for _, t := range send {
			out.DevicePurchases = append(out.DevicePurchases, schemas.DevicePurchase{TS: t, Device: d})
		}
		p.loop(ctx, st.CartOf, out)
	}
	ctx.SetValue(st)
}

// refuse dead-letters an event apply did not take.
func (p *proc) refuse(ctx goka.Context, raw []byte, ev *schemas.Event, v Verdict) {
	switch v {
	case TooLate:
		if m := p.cfg.Metrics; m != nil {
			m.Late.Inc()
		}
		p.h.Refuse(ctx, raw, reasonTooLate, fmt.Errorf("%s at %s belongs to a cart decided already", ev.Type, ev.TS.UTC().Format(time.RFC3339Nano)), ev.EventID)
	case Full:
		p.h.Refuse(ctx, raw, reasonFull, fmt.Errorf("the cart already holds %d pending lines", p.cfg.Rules.MaxItems), ev.EventID)
	}
}

// onChange fires a churn-risk trigger when a lifecycle change moves the
// profile into the churn stage.
func (p *proc) onChange(ctx goka.Context, m harness.Msg[schemas.SegmentChange]) {
	c := m.Value
	if c.Kind != "lifecycle" || c.To != p.cfg.Rules.ChurnStage {
		return
	}
	if c.ChangeID == "" {
		p.h.Refuse(ctx, m.Raw, deadletter.Invalid, errors.New("segment change without a change id"), c.CauseEventID)
		return
	}
	st := p.state(ctx)
	if st.Erased {
		p.afterErasure()
		return
	}
	profile := ctx.Key()
	if st.MergedInto != "" {
		profile = st.MergedInto
	}
	p.cfg.Rules.fire(st, &schemas.Trigger{
		TriggerID: TriggerID(KindChurn, c.ChangeID), Kind: KindChurn, CauseEventID: c.CauseEventID, TS: c.TS,
		Details: map[string]string{"from_lifecycle": c.From, "reason": c.Reason},
	}, p.emitter(ctx, profile))
	ctx.SetValue(st)
}

// onMerge hands the absorbed profile's pending carts and forms to its
// survivor and remembers the survivor for what still arrives.
func (p *proc) onMerge(ctx goka.Context, m harness.Msg[schemas.ProfileMerge]) {
	p.wm.Arrived(ctx.Partition(), p.cfg.Now())
	mg := m.Value
	if mg.Survivor == "" || mg.Survivor == ctx.Key() {
		p.h.Refuse(ctx, m.Raw, deadletter.Invalid, fmt.Errorf("merge of %s into %q", ctx.Key(), mg.Survivor), mg.CauseEventID)
		return
	}
	st := p.state(ctx)
	if st.MergedInto == mg.Survivor {
		return // a replayed merge
	}
	if st.Erased {
		// The erasure request came before the merge: the survivor is the
		// same person's, and is forgotten too.
		p.loop(ctx, mg.Survivor, &schemas.TriggerState{Erased: true})
		ctx.SetValue(&schemas.TriggerState{Erased: true, MergedInto: mg.Survivor})
		return
	}
	if st.MergedInto == "" && (len(st.Pending) > 0 || len(st.Purchases) > 0 || len(st.Forms) > 0 || len(st.Marks) > 0 || len(st.Fired) > 0) {
		st.Horizon, st.HorizonSeen = time.Time{}, time.Time{}
		p.loop(ctx, mg.Survivor, st)
	}
	ctx.SetValue(&schemas.TriggerState{MergedInto: mg.Survivor, Recent: st.Recent})
}

func (p *proc) loop(ctx goka.Context, to string, st *schemas.TriggerState) {
	b, err := p.cfg.Codecs.State.Encode(st)
	if err != nil {
		ctx.Fail(fmt.Errorf("triggers: encoding the state of %s for %s: %w", ctx.Key(), to, err))
	}
	ctx.Loopback(to, b)
}

// onFold takes the pending state of a profile merged into this one.
func (p *proc) onFold(ctx goka.Context, m harness.Msg[schemas.TriggerState]) {
	p.wm.Arrived(ctx.Partition(), p.cfg.Now())
	if strings.HasPrefix(ctx.Key(), devicePrefix) {
		p.onDevice(ctx, m.Value)
		return
	}
	st := p.state(ctx)
	switch {
	case st.MergedInto != "":
		p.loop(ctx, st.MergedInto, m.Value) // merged on in turn
		return
	case st.Erased:
		p.afterErasure()
		return
	case m.Value.Erased:
		p.erase(ctx, "") // an erasure request resolved to a profile absorbed since
		return
	}
	p.cfg.Rules.fold(st, m.Value)
	now := p.cfg.Now()
	p.cfg.Rules.decide(ctx.Key(), st, p.wm.Watermark(ctx.Partition(), now), now, p.emitter(ctx, ctx.Key()))
	ctx.SetValue(st)
}

// onVisit takes the decisions the watermark has made due, or every
// pending decision once the partition has received nothing for the idle
// timeout.
func (p *proc) onVisit(ctx goka.Context, _ any) {
	st, ok := ctx.Value().(*schemas.TriggerState)
	if !ok || st == nil || (len(st.Pending) == 0 && len(st.Forms) == 0) {
		return
	}
	now := p.cfg.Now()
	wm, r := p.wm.Watermark(ctx.Partition(), now), p.cfg.Rules
	if p.wm.Idle(ctx.Partition(), now) {
		wm, r.Grace = time.Unix(1<<40, 0), 0 // nothing arrives any more
	}
	r.decide(ctx.Key(), st, wm, now, p.emitter(ctx, ctx.Key()))
	ctx.SetValue(st)
}
