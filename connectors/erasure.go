package connectors

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/schemas"
)

// ReasonErased is the reason of a message suppressed because the person
// it is about was erased. Its delivery log record names no profile.
const ReasonErased = "erased"

// stageConnectors is the stage the runner confirms erasures as.
const stageConnectors = "connectors"

// Eraser is a destination that keeps state about people, such as the
// audience table: Erase forgets a person, and makes sure no delivery
// after it (one under way, or a change read again after a restart)
// brings the person back. It is idempotent, and safe for concurrent use
// with Deliver.
type Eraser interface {
	Erase(ctx context.Context, profileID string) error
}

// erasures is the set of people erased, read from privacy.erasures (any
// stage's confirmation makes a person erased here), and of those the
// runner has confirmed.
type erasures struct {
	mu        sync.Mutex
	erased    map[string]bool
	confirmed map[string]bool
}

func newErasures() *erasures {
	return &erasures{erased: map[string]bool{}, confirmed: map[string]bool{}}
}

// has reports whether profile was erased.
func (e *erasures) has(profile string) bool {
	if profile == "" {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.erased[profile]
}

// read notes a confirmation and reports whether the runner still has to
// erase its profile.
func (e *erasures) read(c *schemas.ErasureConfirmation) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.erased[c.ProfileID] = true
	if c.Stage == stageConnectors {
		e.confirmed[c.ProfileID] = true
	}
	return !e.confirmed[c.ProfileID]
}

// pending returns the people erased and not confirmed by the runner.
func (e *erasures) pending() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for p := range e.erased {
		if !e.confirmed[p] {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// restoreErasures reads privacy.erasures up to its current end, so that
// no one erased is sent anything or counted in a cap after a restart, and
// returns where the reading stopped, for followErasures to go on from.
func (r *Runner) restoreErasures(ctx context.Context, cl *kgo.Client) (map[int32]kgo.Offset, error) {
	topic := r.cfg.Erasures
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("connect: finding the end of %s: %w", topic, err)
	}
	from, until := map[int32]kgo.Offset{}, map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		from[o.Partition] = kgo.NewOffset().AtStart()
		if o.Err == nil && o.Offset > 0 {
			until[o.Partition] = o.Offset
		}
	})
	if len(from) == 0 {
		return nil, fmt.Errorf("connect: %s has no partitions", topic)
	}
	next := maps.Clone(from)
	if len(until) == 0 {
		return next, nil
	}
	n := 0
	err = r.readTo(ctx, topic, from, until, func(rec *kgo.Record) {
		next[rec.Partition] = kgo.NewOffset().At(rec.Offset + 1)
		if c := r.confirmation(rec); c != nil {
			r.erasures.read(c)
			n++
		}
	})
	if err != nil {
		return nil, err
	}
	r.cfg.Log.Info("erasures restored", "confirmations", n, "pending", len(r.erasures.pending()))
	return next, nil
}

// confirmation decodes an erasure confirmation, or logs why it cannot.
func (r *Runner) confirmation(rec *kgo.Record) *schemas.ErasureConfirmation {
	c, err := r.cfg.ErasureCodec.DecodeTyped(rec.Value)
	if err != nil || c.ProfileID == "" {
		r.cfg.Log.Warn("skipping an unreadable erasure confirmation", "partition", rec.Partition, "offset", rec.Offset, "err", err)
		return nil
	}
	return c
}

// followErasures erases the people restoreErasures left unconfirmed, then
// follows privacy.erasures from next until ctx ends: each person newly
// erased is suppressed from then on, forgotten by every destination that
// keeps people and by the caps, and confirmed.
func (r *Runner) followErasures(ctx context.Context, next map[int32]kgo.Offset) {
	for _, p := range r.erasures.pending() {
		r.erase(ctx, p, "")
	}
	cl, err := kgo.NewClient(append(slices.Clone(r.cfg.Client), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{r.cfg.Erasures: next}))...)
	if err != nil {
		r.cfg.Log.Error("following erasures failed", "topic", r.cfg.Erasures, "err", err)
		return
	}
	defer cl.Close()
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachError(func(_ string, p int32, err error) {
			if ctx.Err() == nil {
				r.cfg.Log.Warn("reading erasures failed", "partition", p, "err", err)
			}
		})
		fs.EachRecord(func(rec *kgo.Record) {
			if c := r.confirmation(rec); c != nil && r.erasures.read(c) {
				r.erase(ctx, c.ProfileID, c.RequestedEventID)
			}
		})
	}
}

// erase makes every destination that keeps people forget profile, and the
// caps, retrying a failing destination until it succeeds or ctx ends, and
// confirms.
func (r *Runner) erase(ctx context.Context, profile, requestID string) {
	r.caps.forget(profile)
	tables := []string{"frequency caps"}
	for _, name := range slices.Sorted(maps.Keys(r.cfg.Sinks)) {
		e, ok := r.cfg.Sinks[name].(Eraser)
		if !ok {
			continue
		}
		_, err := backoff.Retry(ctx, func() (struct{}, error) {
			err := e.Erase(ctx, profile)
			if err != nil {
				r.cfg.Log.Warn("erasing a person failed; retrying", "destination", name, "profile", profile, "err", err)
			}
			return struct{}{}, err
		}, backoff.WithBackOff(backoff.NewExponentialBackOff()), backoff.WithMaxElapsedTime(0))
		if err != nil {
			return // ctx ended: done again after a restart
		}
		tables = append(tables, name)
	}
	c := &schemas.ErasureConfirmation{ProfileID: profile, RequestedEventID: requestID, Stage: stageConnectors, Tables: tables, TS: r.cfg.Now().UTC().Truncate(time.Millisecond)}
	if err := produce(ctx, r.cl, r.cfg.Erasures, profile, r.cfg.ErasureCodec, c); err != nil {
		r.cfg.Log.Warn("confirming an erasure failed", "profile", profile, "err", err)
		return
	}
	r.erasures.read(c)
	if m := r.cfg.Metrics; m != nil {
		m.Erased.Inc()
	}
}
