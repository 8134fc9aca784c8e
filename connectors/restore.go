package connectors

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// restoreCaps counts the deliveries of the delivery log within the
// longest cap window, so that a person's cap holds across restarts: the
// log is the caps' durable state.
func (r *Runner) restoreCaps(ctx context.Context, cl *kgo.Client) error {
	var window time.Duration
	for _, p := range r.cfg.Policies {
		if p.Cap > 0 {
			window = max(window, p.CapPer)
		}
	}
	if window == 0 {
		return nil
	}
	topic := r.cfg.Deliveries
	adm := kadm.NewClient(cl)
	starts, err := adm.ListOffsetsAfterMilli(ctx, r.cfg.Now().Add(-window).UnixMilli(), topic)
	if err != nil {
		return fmt.Errorf("connect: finding the deliveries of the last %v in %s: %w", window, topic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("connect: finding the end of %s: %w", topic, err)
	}
	from, until := map[int32]kgo.Offset{}, map[int32]int64{}
	starts.Each(func(o kadm.ListedOffset) {
		end, ok := ends.Lookup(topic, o.Partition)
		if ok && o.Err == nil && o.Offset >= 0 && o.Offset < end.Offset {
			from[o.Partition], until[o.Partition] = kgo.NewOffset().At(o.Offset), end.Offset
		}
	})
	if len(from) == 0 {
		return nil
	}
	n := 0
	err = r.readTo(ctx, topic, from, until, func(rec *kgo.Record) {
		d, err := r.cfg.DeliveryCodec.DecodeTyped(rec.Value)
		if err != nil || d.Status != Delivered || d.ProfileID == "" || r.cfg.Policies[d.Destination].Cap <= 0 || r.erasures.has(d.ProfileID) {
			return
		}
		at := d.FirstAttemptTS
		if at.IsZero() {
			at = d.TS
		}
		r.caps.seen(d.Destination, d.ProfileID, at)
		n++
	})
	if err != nil {
		return err
	}
	r.cfg.Log.Info("frequency caps restored from the delivery log", "deliveries", n, "window", window)
	return nil
}

// readTo reads topic from the offset from gives each partition until the
// end until gives it (the offset after the last record to read), calling
// fn with every record; it is how the runner restores what it keeps in
// memory from a topic.
func (r *Runner) readTo(ctx context.Context, topic string, from map[int32]kgo.Offset, until map[int32]int64, fn func(*kgo.Record)) error {
	rc, err := kgo.NewClient(append(slices.Clone(r.cfg.Client), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: from}))...)
	if err != nil {
		return fmt.Errorf("connect: reading %s: %w", topic, err)
	}
	defer rc.Close()
	for len(until) > 0 {
		fs := rc.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fs.EachError(func(_ string, p int32, err error) {
			ferr = fmt.Errorf("connect: reading %s partition %d: %w", topic, p, err)
		})
		if ferr != nil {
			return ferr
		}
		fs.EachRecord(func(rec *kgo.Record) {
			if end, ok := until[rec.Partition]; ok && rec.Offset+1 >= end {
				delete(until, rec.Partition)
			}
			fn(rec)
		})
	}
	return nil
}
