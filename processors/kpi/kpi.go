package kpi

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/internal/kafka"
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

// clockPrefix starts the key of each partition's clock.
const clockPrefix = "clock:"

type proc struct {
	cfg     Config
	h       *harness.Harness
	wm      *watermark.Tracker
	clocks  []string // the clock key of each partition
	started time.Time

	mu   sync.Mutex
	sent map[int32]time.Time // by input partition: the watermark it last reported
	idle map[int32]bool      // by input partition: reported idle
}

// Define builds the kpi processor's group graph. It does no I/O.
func Define(cfg Config) (*goka.GroupGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &proc{
		cfg: cfg, h: cfg.Harness, wm: watermark.New(cfg.Partitions, cfg.Lateness, cfg.IdleTimeout),
		clocks: ClockKeys(cfg.Partitions), started: cfg.Now(),
		sent: map[int32]time.Time{}, idle: map[int32]bool{},
	}
	t := cfg.Topics
	g := goka.DefineGroup(cfg.Group,
		harness.RawInput(t.Input, harness.Handle(p.h, cfg.Codecs.Resolved, p.onEvent)),
		harness.RawInput(t.Plans, harness.Handle(p.h, cfg.Codecs.Plan, p.onPlan)),
		goka.Loop(new(codec.Bytes), harness.Handle(p.h, cfg.Codecs.Message, p.onLoop)),
		goka.Persist(cfg.Codecs.State),
		goka.Output(t.Actuals, cfg.Codecs.Actual),
		goka.Output(t.Alerts, cfg.Codecs.Alert),
		goka.Visitor(SweepVisitor, p.onVisit),
		p.h.Output(),
	)
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("kpi: %w", err)
	}
	return g, nil
}

// ClockKeys returns, for each of n partitions, a key goka places in that
// partition: the key of the partition's clock.
func ClockKeys(n int) []string {
	out := make([]string, n)
	found := 0
	for i := 0; found < n; i++ {
		k := clockPrefix + strconv.Itoa(i)
		if q := kafka.PartitionOf([]byte(k), n); out[q] == "" {
			out[q] = k
			found++
		}
	}
	return out
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
	p.wm.Seen(ctx.Partition(), m.Value.SourcePartition, ev.TS, now)
	defer p.report(ctx, now)
	adds := Purchase(ev)
	if len(adds) == 0 {
		return
	}
	if ev.EventID == "" || ev.TS.IsZero() || math.IsNaN(ev.Value) || math.IsInf(ev.Value, 0) {
		p.h.Refuse(ctx, m.Raw, deadletter.Invalid, fmt.Errorf("purchase without an event id, a time or a finite value (%v)", ev.Value), ev.EventID)
		return
	}
	source, offset := "r"+strconv.Itoa(int(ctx.Partition())), ctx.Offset()
	st := p.state(ctx)
	i := slices.IndexFunc(st.Recent, func(s schemas.KpiSeen) bool { return s.ID == ev.EventID })
	switch {
	case i >= 0 && (st.Recent[i].Source != source || st.Recent[i].Offset != offset):
		if mt := p.cfg.Metrics; mt != nil {
			mt.Duplicates.Inc()
		}
		return
	case i < 0:
		st.Recent = append(st.Recent, schemas.KpiSeen{ID: ev.EventID, Source: source, Offset: offset})
		if over := len(st.Recent) - p.cfg.Recent; over > 0 {
			st.Recent = slices.Delete(st.Recent, 0, over)
		}
		ctx.SetValue(st)
	}
	// Read for the first time, or again after a crash: the series know by
	// the offset whether they have applied it.
	for _, a := range adds {
		p.loop(ctx, a.Series.Key(), &schemas.KpiMessage{Kind: kindAdd, Source: source, Offset: offset, EventID: ev.EventID, TS: ev.TS, Amount: a.Amount})
	}
}

// report tells every clock the partition's watermark, to the bucket, when
// it has moved on a bucket since the last report, or when the partition
// was reported idle and has received events since.
func (p *proc) report(ctx goka.Context, now time.Time) {
	part := ctx.Partition()
	wm := p.wm.Watermark(part, now).Truncate(BucketSize)
	if wm.IsZero() {
		return
	}
	p.mu.Lock()
	moved := wm.After(p.sent[part]) || p.idle[part]
	if moved {
		p.sent[part], p.idle[part] = wm, false
	}
	p.mu.Unlock()
	if moved {
		p.tellClocks(ctx, &schemas.KpiMessage{Kind: kindWatermark, Source: strconv.Itoa(int(part)), TS: wm})
	}
}

func (p *proc) tellClocks(ctx goka.Context, m *schemas.KpiMessage) {
	for _, c := range p.clocks {
		p.loop(ctx, c, m)
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
		if !strings.HasPrefix(ctx.Key(), clockPrefix) {
			break
		}
		p.onClock(ctx, msg)
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

// onClock keeps a partition's clock: the series to tell, and the lowest
// watermark of all input partitions, told to every series when it moves.
func (p *proc) onClock(ctx goka.Context, msg *schemas.KpiMessage) {
	st := p.state(ctx)
	if msg.Kind == kindRegister {
		if i, found := slices.BinarySearch(st.Members, msg.Series); !found {
			st.Members = slices.Insert(st.Members, i, msg.Series)
			ctx.SetValue(st)
		}
		return
	}
	if st.Sources == nil {
		st.Sources = map[string]int64{}
	}
	at := msg.TS.UnixMilli()
	if msg.Idle {
		at = foreverMS
	}
	st.Sources[msg.Source] = at
	low := int64(math.MaxInt64)
	for part := range p.cfg.Partitions {
		w, ok := st.Sources[strconv.Itoa(part)]
		if !ok {
			low = 0
			break
		}
		low = min(low, w)
	}
	reached := st.Watermark
	if n := len(st.Pending); n > 0 {
		reached = st.Pending[n-1].Watermark
	}
	if low > reached.UnixMilli() {
		st.Pending = append(st.Pending, schemas.KpiPending{Watermark: time.UnixMilli(low).UTC(), Since: p.cfg.Now()})
	}
	p.tell(ctx, st)
	ctx.SetValue(st)
}

// tell tells the clock's series the latest watermark it reached at least
// the grace ago, if it has not told it yet, and reports whether it did.
// Once every input is idle nothing is in flight any more: that watermark
// is told at once.
func (p *proc) tell(ctx goka.Context, st *schemas.KpiState) bool {
	now := p.cfg.Now()
	i := -1
	for j, w := range st.Pending {
		if now.Sub(w.Since) >= p.cfg.Grace || w.Watermark.UnixMilli() >= foreverMS {
			i = j
		}
	}
	if i < 0 {
		return false
	}
	st.Watermark = st.Pending[i].Watermark
	st.Pending = slices.Delete(st.Pending, 0, i+1)
	for _, s := range st.Members {
		p.loop(ctx, s, &schemas.KpiMessage{Kind: kindTick, TS: st.Watermark})
	}
	return true
}

// onSeries applies a contribution, a plan or a move of the watermark to a
// series.
func (p *proc) onSeries(ctx goka.Context, m harness.Msg[schemas.KpiMessage]) {
	msg := m.Value
	st := p.state(ctx)
	if st.KPI == "" {
		s, _ := ParseSeries(ctx.Key())
		st.KPI, st.Dimension, st.Value = s.KPI, s.Dimension, s.Value
		p.loop(ctx, p.clocks[ctx.Partition()], &schemas.KpiMessage{Kind: kindRegister, Series: ctx.Key()})
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

// onVisit, on the clock key of a partition, tells its series a watermark
// whose grace has passed, and reports the partition idle to every clock
// once it has received no event for the idle timeout.
func (p *proc) onVisit(ctx goka.Context, _ any) {
	part := ctx.Partition()
	if int(part) >= len(p.clocks) || ctx.Key() != p.clocks[part] {
		return
	}
	if st := p.state(ctx); p.tell(ctx, st) {
		ctx.SetValue(st)
	}
	now := p.cfg.Now()
	idle := p.wm.Idle(part, now) || (!p.wm.Heard(part) && now.Sub(p.started) >= p.cfg.IdleTimeout)
	p.mu.Lock()
	tell := idle && !p.idle[part]
	if tell {
		p.idle[part] = true
	}
	p.mu.Unlock()
	if tell {
		p.tellClocks(ctx, &schemas.KpiMessage{Kind: kindWatermark, Source: strconv.Itoa(int(part)), Idle: true})
	}
}
