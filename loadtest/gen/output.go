package gen

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// output numbers, encodes and writes events, and plants malformed lines.
type output struct {
	g       *generator
	w       io.Writer
	r       *source
	lines   []line
	bufs    [][]byte
	id      uint64
	stats   Stats
	byType  [numTypes]int
	revenue int64
}

// line is a line to write: an event, its number and its fault.
type line struct {
	e     *event
	id    uint64
	fault uint8
}

// plan numbers e, counts it and decides whether a malformed copy follows.
func (o *output) plan(e *event) {
	g := o.g
	o.id++
	o.lines = append(o.lines, line{e: e, id: o.id})
	o.stats.Lines++
	o.stats.Events++
	o.byType[e.typ]++
	if e.typ == tPurchase || e.typ == tStorePurchase {
		o.stats.Purchases++
		o.revenue += e.cents
	}
	if e.typ == tErasureRequest && g.truth != nil {
		g.truth.Erasures = append(g.truth.Erasures, Erasure{
			Person: g.persons[e.person].id, At: time.UnixMilli(e.ms).UTC(), EventID: eventID(o.id),
		})
	}
	if g.cfg.MalformedShare > 0 && o.r.Float64() < g.cfg.MalformedShare {
		fault := uint8(1 + o.r.IntN(int(numFaults)-1))
		o.id++
		o.lines = append(o.lines, line{e: e, id: o.id, fault: fault})
		o.stats.Lines++
		o.stats.Malformed++
		if g.truth != nil {
			g.truth.Malformed = append(g.truth.Malformed, Malformed{Line: o.stats.Lines, Kind: faultNames[fault], EventID: eventID(o.id)})
		}
	}
}

// writePlanned encodes the planned lines in n parts at once and writes
// them in order.
func (o *output) writePlanned(n int) error {
	n = max(1, min(n, len(o.lines)/4096))
	for len(o.bufs) < n {
		o.bufs = append(o.bufs, nil)
	}
	encode := func(part int) {
		lines := o.lines[part*len(o.lines)/n : (part+1)*len(o.lines)/n]
		b := o.bufs[part][:0]
		r := newSource()
		for _, l := range lines {
			if l.fault != faultNone {
				r.reseed(o.g.cfg.Seed, streamMalformed, l.id, 1)
			}
			b = o.g.appendLine(b, l.e, l.id, l.fault, r)
		}
		o.bufs[part] = b
	}
	if n == 1 {
		encode(0)
	} else {
		var wg sync.WaitGroup
		for part := range n {
			wg.Go(func() { encode(part) })
		}
		wg.Wait()
	}
	for _, b := range o.bufs[:n] {
		if _, err := o.w.Write(b); err != nil {
			return fmt.Errorf("writing events before line %d: %w", o.stats.Lines, err)
		}
	}
	return nil
}

func eventID(id uint64) string { return string(appendPadded([]byte("e-"), id, 9)) }
