package segments

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/erasure"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/schemas"
)

// SweepVisitor is the name of the visitor edge that moves profiles to the
// lifecycle stage the passing of event time puts them in; run it with
// goka's Processor.VisitAll on a wall-clock ticker.
const SweepVisitor = "lifecycle"

// Reasons of the changes of a profile leaving every segment: its features
// were tombstoned, or it was erased.
const (
	removedReason = "profile removed (merged into another or erased)"
	erasedReason  = "profile erased on request"
)

type proc struct {
	cfg   Config
	h     *harness.Harness
	rules *compiled
	clus  *assigner // nil without clustering

	mu    sync.Mutex
	clock map[int32]time.Time // by input partition: the latest last_seen read, event time
}

// Define builds the segments processor's group graph. It does no I/O.
func Define(cfg Config) (*goka.GroupGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rules, err := cfg.Rules.compile()
	if err != nil {
		return nil, err
	}
	p := &proc{cfg: cfg, h: cfg.Harness, rules: rules, clock: map[int32]time.Time{}}
	onFeatures := harness.Handle(p.h, cfg.Codecs.Features, p.onFeatures)
	edges := []goka.Edge{
		harness.RawInput(cfg.Topics.Features, func(ctx goka.Context, msg any) {
			if raw, _ := msg.([]byte); raw == nil {
				p.onRemoved(ctx)
				return
			}
			onFeatures(ctx, msg)
		}),
		harness.RawInput(cfg.Topics.Erasures, harness.Handle(p.h, cfg.Codecs.Erasure, p.onErasure)),
		goka.Persist(cfg.Codecs.State),
		goka.Output(cfg.Topics.Changes, cfg.Codecs.Change),
		erasure.Output(cfg.Topics.Erasures),
		goka.Visitor(SweepVisitor, p.onSweep),
		p.h.Output(),
	}
	if c := cfg.Clustering; c.On() {
		sp, _ := newSpace(c.Dims) // validated
		p.clus = &assigner{cfg: c, space: sp, table: cfg.Topics.Model, codec: cfg.Codecs.Model, out: cfg.Topics.Points, batches: map[int32]*schemas.SegmentPoints{}}
		edges = append(edges, goka.Output(cfg.Topics.Points, cfg.Codecs.Points), goka.Lookup(cfg.Topics.Model, new(codec.Bytes)))
	}
	g := goka.DefineGroup(cfg.Group, edges...)
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	return g, nil
}

// now is the event-time clock of partition part, moved on to at least ts.
func (p *proc) now(part int32, ts time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ts.After(p.clock[part]) {
		p.clock[part] = ts
	}
	return p.clock[part]
}

func (p *proc) state(ctx goka.Context) *schemas.SegmentState {
	if st, ok := ctx.Value().(*schemas.SegmentState); ok && st != nil {
		return st
	}
	return &schemas.SegmentState{}
}

// placementOf reads the placement a state records.
func placementOf(st *schemas.SegmentState) placement {
	pl := placement{Tier: st.Tier, Lifecycle: st.Lifecycle, Cluster: noCluster, ModelVersion: st.ModelVersion}
	if c, err := strconv.Atoi(st.Cluster); err == nil && c >= 0 {
		pl.Cluster = c
	}
	return pl
}

// record writes pl into st.
func record(st *schemas.SegmentState, pl placement) {
	st.Tier, st.Lifecycle, st.Cluster, st.ModelVersion = pl.Tier, pl.Lifecycle, label(pl.Cluster), pl.ModelVersion
}

// onFeatures places a profile on a change of its features.
func (p *proc) onFeatures(ctx goka.Context, m harness.Msg[schemas.ProfileFeatures]) {
	f := m.Value
	st := p.state(ctx)
	if st.Erased {
		return // published before the erasure, read after it
	}
	if f.ProfileID != ctx.Key() {
		p.h.Refuse(ctx, m.Raw, deadletter.Invalid, fmt.Errorf("features of %s keyed %s", f.ProfileID, ctx.Key()), f.LastEventID)
		return
	}
	if f.Version <= st.FeaturesVersion {
		if mt := p.cfg.Metrics; mt != nil {
			mt.Duplicates.Inc()
		}
		return
	}
	env := EnvOf(f, p.now(ctx.Partition(), f.LastSeen))
	why := cause{eventID: f.LastEventID, ts: f.LastSeen, version: f.Version}
	pl, changes, err := p.rules.place(&env, placementOf(st), why)
	if err != nil {
		p.h.Refuse(ctx, m.Raw, deadletter.Invalid, err, f.LastEventID)
		return
	}
	if p.clus != nil {
		learn, err := p.learns(st, f)
		if err != nil {
			ctx.Fail(err)
			return
		}
		var moved []schemas.SegmentChange
		if pl, moved, err = p.clus.assign(ctx, &env, pl, why, learn); err != nil {
			p.h.Refuse(ctx, m.Raw, deadletter.Invalid, err, f.LastEventID)
			return
		}
		changes = append(changes, moved...)
	}
	p.emit(ctx, changes)
	record(st, pl)
	st.FeaturesVersion, st.Features = f.Version, slices.Clone(m.Raw)
	ctx.SetValue(st)
}

// learns reports whether the model learns from features f of the profile
// whose state is st: when they count another closed session or order than
// the features applied before. The model then sees a profile once per
// session and per order, rather than once per event: the events of an
// open session change little but the channel counts, and a chatty
// profile, or the first minutes every profile goes through, would weigh
// on the centres in proportion to its clicks.
func (p *proc) learns(st *schemas.SegmentState, f *schemas.ProfileFeatures) (bool, error) {
	if len(st.Features) == 0 {
		return true, nil
	}
	prev, err := p.cfg.Codecs.Features.DecodeTyped(st.Features)
	if err != nil {
		return false, fmt.Errorf("segments: decoding the features kept for %s: %w", f.ProfileID, err)
	}
	return prev.Sessions != f.Sessions || prev.Orders != f.Orders, nil
}

// onRemoved takes a profile out of every segment when its features are
// tombstoned, and forgets it.
func (p *proc) onRemoved(ctx goka.Context) {
	st, ok := ctx.Value().(*schemas.SegmentState)
	if !ok || st == nil {
		return
	}
	p.leave(ctx, st, removedReason)
	ctx.Delete()
}

// leave takes the profile whose state is st out of every segment it is
// in.
func (p *proc) leave(ctx goka.Context, st *schemas.SegmentState, reason string) {
	pl := placementOf(st)
	p.emit(ctx, removal(ctx.Key(), pl, reason, p.now(ctx.Partition(), time.Time{})))
	if p.clus != nil && pl.Cluster >= 0 {
		p.clus.move(ctx, pl.Cluster, noCluster)
	}
}

// onErasure reads the features stage's confirmation of an erasure: the
// profile leaves every segment at once, and a marker keeps out features
// published for it before the erasure and read after it, until the
// tombstone of its features deletes the key. Other stages' confirmations
// are not for it.
func (p *proc) onErasure(ctx goka.Context, m harness.Msg[schemas.ErasureConfirmation]) {
	c := m.Value
	if c.Stage != erasure.StageFeatures || c.ProfileID != ctx.Key() {
		return
	}
	st, _ := ctx.Value().(*schemas.SegmentState)
	if st != nil && st.Erased {
		return // confirmed already
	}
	var tables []string
	if st != nil {
		p.leave(ctx, st, erasedReason)
		tables = []string{string(goka.GroupTable(p.cfg.Group))}
	}
	ctx.SetValue(&schemas.SegmentState{Erased: true})
	erasure.Confirm(ctx, p.cfg.Topics.Erasures, p.cfg.Codecs.Erasure, erasure.StageSegments, ctx.Key(), c.RequestedEventID, tables, p.cfg.Now())
	if mt := p.cfg.Metrics; mt != nil {
		mt.Erased.Inc()
	}
}

// onSweep evaluates a profile's rules again at the partition's event-time
// clock: a lifecycle stage may change with the passing of time alone. A
// profile in no cluster is placed with the current model.
func (p *proc) onSweep(ctx goka.Context, _ any) {
	if p.clus != nil {
		p.clus.flush(ctx) // the points of a partition whose batch did not fill
	}
	st, ok := ctx.Value().(*schemas.SegmentState)
	if !ok || st == nil || len(st.Features) == 0 {
		return
	}
	f, err := p.cfg.Codecs.Features.DecodeTyped(st.Features)
	if err != nil {
		ctx.Fail(fmt.Errorf("segments: decoding the features kept for %s: %w", ctx.Key(), err))
		return
	}
	now := p.now(ctx.Partition(), f.LastSeen)
	env := EnvOf(f, now)
	why := cause{ts: now, version: f.Version}
	pl, changes, err := p.rules.place(&env, placementOf(st), why)
	if err != nil {
		return // an expression that fails on these features failed when they arrived, and was dead-lettered
	}
	if p.clus != nil && pl.Cluster == noCluster {
		// A profile whose last features came before the model was
		// seeded joins a cluster now rather than at its next visit.
		var moved []schemas.SegmentChange
		if pl, moved, err = p.clus.assign(ctx, &env, pl, why, false); err != nil {
			return // its point was standardized when the features arrived
		}
		changes = append(changes, moved...)
	}
	if len(changes) == 0 {
		return
	}
	p.emit(ctx, changes)
	record(st, pl)
	ctx.SetValue(st)
}

// emit writes changes of the current profile.
func (p *proc) emit(ctx goka.Context, changes []schemas.SegmentChange) {
	for i := range changes {
		ctx.Emit(p.cfg.Topics.Changes, ctx.Key(), &changes[i])
		if mt := p.cfg.Metrics; mt != nil {
			mt.Changes.WithLabelValues(changes[i].Kind).Inc()
		}
	}
}
