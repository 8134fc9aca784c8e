package kpi

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lovoo/goka"

	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/internal/watermark"
	"github.com/activa-dev/activa/schemas"
)

// Prefixes of the keys of each partition's clocks: one clock for the
// purchases of events.resolved, which close the revenue and orders
// buckets, and one for sessions.closed, which close the conversion
// buckets.
const (
	clockPrefix        = "clock:"
	sessionClockPrefix = "clock-sessions:"
)

// clock keeps the event time of one input. Each input partition reports
// its watermark to a clock key in every partition; a clock key keeps the
// lowest watermark of all input partitions and, once it has stood for the
// grace, tells the series registered with it.
type clock struct {
	prefix string
	keys   []string // the clock key of each partition
	wm     *watermark.Tracker
	grace  time.Duration

	mu   sync.Mutex
	sent map[int32]time.Time // by input partition: the watermark it last reported
	idle map[int32]bool      // by input partition: reported idle
}

func newClock(prefix string, partitions int, wm *watermark.Tracker, grace time.Duration) *clock {
	return &clock{
		prefix: prefix, keys: clockKeys(prefix, partitions), wm: wm, grace: grace,
		sent: map[int32]time.Time{}, idle: map[int32]bool{},
	}
}

// ClockKeys returns, for each of n partitions, a key goka places in that
// partition: the key of the partition's clock of purchases.
func ClockKeys(n int) []string { return clockKeys(clockPrefix, n) }

func clockKeys(prefix string, n int) []string {
	out := make([]string, n)
	found := 0
	for i := 0; found < n; i++ {
		k := prefix + strconv.Itoa(i)
		if q := kafka.PartitionOf([]byte(k), n); out[q] == "" {
			out[q] = k
			found++
		}
	}
	return out
}

// owns reports whether key is one of the clock's keys.
func (c *clock) owns(key string) bool {
	return strings.HasPrefix(key, c.prefix) && slices.Contains(c.keys, key)
}

// clockOf returns the clock whose buckets a series closes by.
func (p *proc) clockOf(s Series) *clock {
	if s.KPI == Conversion {
		return p.sessions
	}
	return p.purchases
}

// clockAt returns the clock whose key is key, or nil.
func (p *proc) clockAt(key string) *clock {
	for _, c := range [...]*clock{p.purchases, p.sessions} {
		if c.owns(key) {
			return c
		}
	}
	return nil
}

// report tells every key of c the watermark of the current partition, to
// the bucket, when it has moved on a bucket since the last report, or
// when the partition was reported idle and has received input since.
func (p *proc) report(ctx goka.Context, c *clock, now time.Time) {
	part := ctx.Partition()
	wm := c.wm.Watermark(part, now).Truncate(BucketSize)
	if wm.IsZero() {
		return
	}
	c.mu.Lock()
	moved := wm.After(c.sent[part]) || c.idle[part]
	if moved {
		c.sent[part], c.idle[part] = wm, false
	}
	c.mu.Unlock()
	if moved {
		p.tellClocks(ctx, c, &schemas.KpiMessage{Kind: kindWatermark, Source: strconv.Itoa(int(part)), TS: wm})
	}
}

func (p *proc) tellClocks(ctx goka.Context, c *clock, m *schemas.KpiMessage) {
	for _, k := range c.keys {
		p.loop(ctx, k, m)
	}
}

// onClock keeps a partition's clock: the series to tell, and the lowest
// watermark of all input partitions, told to every series once it has
// stood for the grace.
func (p *proc) onClock(ctx goka.Context, c *clock, msg *schemas.KpiMessage) {
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
	p.tell(ctx, c, st)
	ctx.SetValue(st)
}

// tell tells the clock's series the latest watermark it reached at least
// the grace ago, if it has not told it yet, and reports whether it did.
// Once every input is idle nothing is in flight any more: that watermark
// is told at once.
func (p *proc) tell(ctx goka.Context, c *clock, st *schemas.KpiState) bool {
	now := p.cfg.Now()
	i := -1
	for j, w := range st.Pending {
		if now.Sub(w.Since) >= c.grace || w.Watermark.UnixMilli() >= foreverMS {
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

// visitClock, on the key of c in the current partition, tells its series
// a watermark whose grace has passed, and reports the partition idle to
// every key of c once it has received no input for the idle timeout.
func (p *proc) visitClock(ctx goka.Context, c *clock) {
	part := ctx.Partition()
	if st := p.state(ctx); p.tell(ctx, c, st) {
		ctx.SetValue(st)
	}
	now := p.cfg.Now()
	idle := c.wm.Idle(part, now) || (!c.wm.Heard(part) && now.Sub(p.started) >= p.cfg.IdleTimeout)
	c.mu.Lock()
	tell := idle && !c.idle[part]
	if tell {
		c.idle[part] = true
	}
	c.mu.Unlock()
	if tell {
		p.tellClocks(ctx, c, &schemas.KpiMessage{Kind: kindWatermark, Source: strconv.Itoa(int(part)), Idle: true})
	}
}
