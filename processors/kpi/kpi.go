package kpi

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/erasure"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/internal/watermark"
	"github.com/activa-dev/activa/schemas"
)

// SweepVisitor is the name of the visitor edge that tells the clocks of
// input partitions gone idle; run it with goka's Processor.VisitAll on a
// wall-clock ticker.
const SweepVisitor = "kpi-sweep"

// Kinds of loopback messages (KpiMessage.kind).
const (
	kindAdd       = "add"
	kindPlan      = "plan"
	kindRegister  = "register"
	kindWatermark = "watermark"
	kindTick      = "tick"
)

// Dead-letter reasons of this stage.
const reasonTooLate = "too_late"

type proc struct {
	cfg     Config
	h       *harness.Harness
	started time.Time
	// purchases closes the revenue and orders buckets; sessions the
	// conversion buckets.
	purchases, sessions *clock
}

// Define builds the kpi processor's group graph. It does no I/O.
func Define(cfg Config) (*goka.GroupGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &proc{
		cfg: cfg, h: cfg.Harness, started: cfg.Now(),
		purchases: newClock(clockPrefix, cfg.Partitions, watermark.New(cfg.Partitions, cfg.Lateness, cfg.IdleTimeout), cfg.Grace),
		// One source: the summaries of a partition of sessions.closed come
		// from the sessions processor's same partition.
		sessions: newClock(sessionClockPrefix, cfg.Partitions, watermark.New(1, cfg.Lateness, cfg.IdleTimeout), cfg.SessionsGrace),
	}
	t := cfg.Topics
	edges := []goka.Edge{
		harness.RawInput(t.Input, harness.Handle(p.h, cfg.Codecs.Resolved, p.onEvent)),
		harness.RawInput(t.Plans, harness.Handle(p.h, cfg.Codecs.Plan, p.onPlan)),
		goka.Loop(new(codec.Bytes), harness.Handle(p.h, cfg.Codecs.Message, p.onLoop)),
		goka.Persist(cfg.Codecs.State),
		goka.Output(t.Actuals, cfg.Codecs.Actual),
		goka.Output(t.Alerts, cfg.Codecs.Alert),
		erasure.Output(t.Erasures),
		goka.Visitor(SweepVisitor, p.onVisit),
		p.h.Output(),
	}
	if t.Sessions != "" {
		edges = append(edges, harness.RawInput(t.Sessions, harness.Handle(p.h, cfg.Codecs.Session, p.onSession)))
	}
	g := goka.DefineGroup(cfg.Group, edges...)
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("kpi: %w", err)
	}
	return g, nil
}

func (p *proc) state(ctx goka.Context) *schemas.KpiState {
	if st, ok := ctx.Value().(*schemas.KpiState); ok && st != nil {
		return st
	}
	return &schemas.KpiState{}
}

func (p *proc) loop(ctx goka.Context, to string, m *schemas.KpiMessage) {
	b, err := p.cfg.Codecs.Message.Encode(m)
	if err != nil {
		ctx.Fail(fmt.Errorf("kpi: encoding a %s message of %s for %s: %w", m.Kind, ctx.Key(), to, err))
	}
	ctx.Loopback(to, b)
}

// onEvent sends what a purchase adds to each of its series, once per
// event id, and reports the partition's watermark when it moves on.
func (p *proc) onEvent(ctx goka.Context, m harness.Msg[schemas.ResolvedEvent]) {
	ev := &m.Value.Event
	now := p.cfg.Now()
	p.purchases.wm.Seen(ctx.Partition(), m.Value.SourcePartition, ev.TS, now)
	defer p.report(ctx, p.purchases, now)
	if ev.Type == erasure.RequestType {
		p.erase(ctx, ev.EventID)
		return
	}
	adds := Purchase(ev)
	if len(adds) == 0 {
		return
	}
	if ev.EventID == "" || ev.TS.IsZero() || math.IsNaN(ev.Value) || math.IsInf(ev.Value, 0) {
		p.h.Refuse(ctx, m.Raw, deadletter.Invalid, fmt.Errorf("purchase without an event id, a time or a finite value (%v)", ev.Value), ev.EventID)
		return
	}
	p.contribute(ctx, "r", ev.EventID, ev.EventID, ev.TS, adds)
}

// erase forgets the ids of the profile's latest purchases and sessions,
// the one thing the stage keeps per person, and confirms. What the person
// added to the series stays: sums over everyone, which name no one.
func (p *proc) erase(ctx goka.Context, requestID string) {
	var tables []string
	if ctx.Value() != nil {
		tables = []string{string(goka.GroupTable(p.cfg.Group))}
		ctx.Delete()
	}
	erasure.Confirm(ctx, p.cfg.Topics.Erasures, p.cfg.Codecs.Erasure, erasure.StageKpi, ctx.Key(), requestID, tables, p.cfg.Now())
}

// onSession sends what a closed session adds to the conversion series,
// once per session id, and reports the partition's watermark of
// sessions.closed when it moves on.
func (p *proc) onSession(ctx goka.Context, m harness.Msg[schemas.SessionSummary]) {
	s := m.Value
	now := p.cfg.Now()
	if s.SessionID == "" || s.End.IsZero() {
		p.sessions.wm.Arrived(ctx.Partition(), now)
		p.h.Refuse(ctx, m.Raw, deadletter.Invalid, fmt.Errorf("session summary of %q without a session id or an end", ctx.Key()), s.LastEventID)
		return
	}
	p.sessions.wm.Seen(ctx.Partition(), 0, s.End, now)
	defer p.report(ctx, p.sessions, now)
	p.contribute(ctx, "s", "session/"+s.SessionID, s.LastEventID, s.End, Session(s))
}

// contribute sends adds, of the input record id at ts read from the input
// named by prefix, to their series, unless the profile has seen id at
// another offset: a record written twice upstream. eventID names the
// record in dead letters.
func (p *proc) contribute(ctx goka.Context, prefix, id, eventID string, ts time.Time, adds []Contribution) {
	source, offset := prefix+strconv.Itoa(int(ctx.Partition())), ctx.Offset()
	st := p.state(ctx)
	i := slices.IndexFunc(st.Recent, func(s schemas.KpiSeen) bool { return s.ID == id })
	switch {
	case i >= 0 && (st.Recent[i].Source != source || st.Recent[i].Offset != offset):
		if mt := p.cfg.Metrics; mt != nil {
			mt.Duplicates.Inc()
		}
		return
	case i < 0:
		st.Recent = append(st.Recent, schemas.KpiSeen{ID: id, Source: source, Offset: offset})
		if over := len(st.Recent) - p.cfg.Recent; over > 0 {
			st.Recent = slices.Delete(st.Recent, 0, over)
		}
		ctx.SetValue(st)
	}
	// Read for the first time, or again after a crash: the series know by
	// the offset whether they have applied it.
	for _, a := range adds {
		p.loop(ctx, a.Series.Key(), &schemas.KpiMessage{Kind: kindAdd, Source: source, Offset: offset, EventID: eventID, TS: ts, Amount: a.Amount})
	}
}

// onPlan hands a plan to its series.
func (p *proc) onPlan(ctx goka.Context, m harness.Msg[schemas.KpiForecast]) {
	f := m.Value
	if f.Source != "" && f.Source != "plan" {
		return // a forecast of a model, not a plan
	}
	if err := checkPlan(f); err != nil {
		p.h.Refuse(ctx, m.Raw, deadletter.Invalid, fmt.Errorf("plan %s: %w", ctx.Key(), err), "")
		return
	}
	s := Series{KPI: f.KPI, Dimension: f.Dimension, Value: f.Value}
	p.loop(ctx, s.Key(), &schemas.KpiMessage{Kind: kindPlan, Plan: *f})
}

// checkPlan reports a plan the processor cannot follow.
func checkPlan(f *schemas.KpiForecast) error {
	switch {
	case f.KPI != Revenue && f.KPI != Orders:
		return fmt.Errorf("kpi %q: plans are followed for %s and %s", f.KPI, Revenue, Orders)
	case f.Dimension != Total && f.Dimension != Store && f.Dimension != Channel && f.Dimension != Category:
		return fmt.Errorf("unknown dimension %q", f.Dimension)
	case (f.Dimension == Total) != (f.Value == ""):
		return fmt.Errorf("dimension %q with value %q: only total has no value", f.Dimension, f.Value)
	case !f.PeriodEnd.After(f.PeriodStart):
		return fmt.Errorf("period from %s to %s is empty", f.PeriodStart.UTC().Format(time.RFC3339), f.PeriodEnd.UTC().Format(time.RFC3339))
	case !f.PeriodStart.Equal(f.PeriodStart.Truncate(BucketSize)) || !f.PeriodEnd.Equal(f.PeriodEnd.Truncate(BucketSize)):
		return errors.New("a period must start and end on whole hours")
	case math.IsNaN(f.Expected) || math.IsInf(f.Expected, 0) || f.Expected < 0:
		return fmt.Errorf("expected %v is not a finite amount from 0", f.Expected)
	}
	return nil
}

// onLoop takes a loopback message for a series or a clock.
func (p *proc) onLoop(ctx goka.Context, m harness.Msg[schemas.KpiMessage]) {
	msg := m.Value
	switch msg.Kind {
	case kindWatermark, kindRegister:
		c := p.clockAt(ctx.Key())
		if c == nil {
			break
		}
		p.onClock(ctx, c, msg)
		return
	case kindAdd, kindPlan, kindTick:
		if _, err := ParseSeries(ctx.Key()); err != nil {
			break
		}
		p.onSeries(ctx, m)
		return
	}
	p.h.Refuse(ctx, m.Raw, deadletter.Invalid, fmt.Errorf("%q message for key %q", msg.Kind, ctx.Key()), msg.EventID)
}

// onSeries applies a contribution, a plan or a move of the watermark to a
// series.
func (p *proc) onSeries(ctx goka.Context, m harness.Msg[schemas.KpiMessage]) {
	msg := m.Value
	st := p.state(ctx)
	if st.KPI == "" {
		s, _ := ParseSeries(ctx.Key())
		st.KPI, st.Dimension, st.Value = s.KPI, s.Dimension, s.Value
		p.loop(ctx, p.clockOf(s).keys[ctx.Partition()], &schemas.KpiMessage{Kind: kindRegister, Series: ctx.Key()})
	}
	b := p.book(ctx, st)
	switch msg.Kind {
	case kindAdd:
		switch b.Add(msg.Source, msg.Offset, msg.TS, msg.Amount) {
		case Again:
			return
		case TooLate:
			if mt := p.cfg.Metrics; mt != nil {
				mt.Late.Inc()
			}
			p.h.Refuse(ctx, m.Raw, reasonTooLate, fmt.Errorf("%s at %s: its bucket closed at %s",
				ctx.Key(), msg.TS.UTC().Format(time.RFC3339Nano), st.ClosedUntil.UTC().Format(time.RFC3339)), msg.EventID)
		}
	case kindPlan:
		b.Plan(&msg.Plan)
	case kindTick:
		if err := b.Advance(msg.TS); err != nil {
			ctx.Fail(err)
		}
	}
	ctx.SetValue(st)
}

// book returns the books of the series st, publishing through ctx.
func (p *proc) book(ctx goka.Context, st *schemas.KpiState) *Book {
	key := Series{KPI: st.KPI, Dimension: st.Dimension, Value: st.Value}.Key()
	return &Book{
		St: st, Rules: p.cfg.Rules, Forecast: p.cfg.Forecast,
		Actual: func(a *schemas.KpiActual) {
			a.UpdatedTS = p.cfg.Now()
			ctx.Emit(p.cfg.Topics.Actuals, key+"|"+a.BucketStart.UTC().Format(time.RFC3339), a)
			if mt := p.cfg.Metrics; mt != nil {
				mt.Buckets.Inc()
			}
		},
		Alert: func(a *schemas.KpiAlert) {
			ctx.Emit(p.cfg.Topics.Alerts, key+"|"+a.Rule, a)
			if mt := p.cfg.Metrics; mt != nil {
				mt.Alerts.WithLabelValues(a.Rule, a.State).Inc()
			}
		},
	}
}

// onVisit, on a clock key of a partition, tells its series a watermark
// whose grace has passed, and reports the partition idle to every key of
// that clock once it has received no input for the idle timeout.
func (p *proc) onVisit(ctx goka.Context, _ any) {
	part := ctx.Partition()
	for _, c := range [...]*clock{p.purchases, p.sessions} {
		if int(part) < len(c.keys) && ctx.Key() == c.keys[part] {
			p.visitClock(ctx, c)
		}
	}
}
