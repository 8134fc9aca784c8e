package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/internal/console"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// feedLive follows segment.changes (from its latest records) and kpi.alerts
// and kpi.actuals (whole) into live, in goroutines of wg until ctx ends.
func (a *app) feedLive(ctx context.Context, wg *sync.WaitGroup, c *conn, codecs *topology.Codecs, live *console.Live) error {
	changes, err := topology.Typed[schemas.SegmentChange](codecs, topology.SegmentChanges)
	if err != nil {
		return err
	}
	alerts, err := topology.Typed[schemas.KpiAlert](codecs, topology.KpiAlerts)
	if err != nil {
		return err
	}
	actuals, err := topology.Typed[schemas.KpiActual](codecs, topology.KpiActuals)
	if err != nil {
		return err
	}
	// The latest changes of each partition, enough for the newest of all.
	recent := kgo.NewOffset().AtEnd().Relative(-consoleChanges)
	if err := a.follow(ctx, wg, c, recent, func(r *kgo.Record) error {
		v, err := decode(changes, r)
		if err == nil && v != nil {
			live.AddChange(r.Timestamp, v)
		}
		return err
	}, topology.SegmentChanges); err != nil {
		return err
	}
	alertTopic := c.cat.Name(topology.KpiAlerts)
	return a.follow(ctx, wg, c, kgo.NewOffset().AtStart(), func(r *kgo.Record) error {
		if r.Topic == alertTopic {
			v, err := decode(alerts, r)
			if err == nil {
				live.AddAlert(string(r.Key), v)
			}
			return err
		}
		v, err := decode(actuals, r)
		if err == nil && v != nil {
			live.AddActual(v)
		}
		return err
	}, topology.KpiAlerts, topology.KpiActuals)
}

// decode decodes a record's value; a tombstone is nil.
func decode[T any](codec *schemas.Codec[T], r *kgo.Record) (*T, error) {
	if r.Value == nil {
		return nil, nil
	}
	v, err := codec.DecodeTyped(r.Value)
	if err != nil {
		return nil, fmt.Errorf("decoding %s partition %d offset %d: %w", r.Topic, r.Partition, r.Offset, err)
	}
	return v, nil
}

// follow consumes the catalog topics from off in a goroutine of wg until
// ctx ends, handing each record to fn; a record fn cannot take is logged
// and skipped.
func (a *app) follow(ctx context.Context, wg *sync.WaitGroup, c *conn, off kgo.Offset, fn func(*kgo.Record) error, topics ...string) error {
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = c.cat.Name(t)
	}
	cl, err := c.kc.NewClient(kgo.ConsumeTopics(names...), kgo.ConsumeResetOffset(off))
	if err != nil {
		return err
	}
	wg.Go(func() {
		defer cl.Close()
		for {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				return
			}
			fs.EachError(func(t string, p int32, err error) {
				if !errors.Is(err, context.Canceled) {
					a.log.Warn("console: fetching failed", "topic", t, "partition", p, "err", err)
				}
			})
			fs.EachRecord(func(r *kgo.Record) {
				if err := fn(r); err != nil {
					a.log.Warn("console: skipping a record", "err", err)
				}
			})
		}
	})
	return nil
}
