package connectors

import "sync"

// offsets tracks, per partition, the source records fetched and not yet
// final (every delivery of theirs delivered or dead-lettered), and so the
// offset to commit: that of the oldest record not final, or past the last
// one fetched when all are. Records finish in any order: one slow
// destination or one person's retries hold the commit back, never the
// other deliveries.
type offsets struct {
	mu    sync.Mutex
	parts map[partition]*pending
}

type partition struct {
	topic string
	part  int32
}

type pending struct {
	open map[int64]bool // offsets fetched and not final
	next int64          // past the last offset fetched
}

func newOffsets() *offsets { return &offsets{parts: map[partition]*pending{}} }

// fetched records that offset of topic's partition is under way.
func (o *offsets) fetched(topic string, part int32, offset int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	p := o.parts[partition{topic, part}]
	if p == nil {
		p = &pending{open: map[int64]bool{}}
		o.parts[partition{topic, part}] = p
	}
	p.open[offset] = true
	p.next = max(p.next, offset+1)
}

// done records that offset of topic's partition is final.
func (o *offsets) done(topic string, part int32, offset int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if p := o.parts[partition{topic, part}]; p != nil {
		delete(p.open, offset)
	}
}

// committable returns, for each partition with a record fetched, the
// offset to commit: every record before it is final.
func (o *offsets) committable() map[string]map[int32]int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string]map[int32]int64{}
	for k, p := range o.parts {
		at := p.next
		for off := range p.open {
			at = min(at, off)
		}
		if out[k.topic] == nil {
			out[k.topic] = map[int32]int64{}
		}
		out[k.topic][k.part] = at
	}
	return out
}

// inFlight returns how many records of topic's partition are not final.
func (o *offsets) inFlight(topic string, part int32) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	if p := o.parts[partition{topic, part}]; p != nil {
		return len(p.open)
	}
	return 0
}

// forget drops a partition the consumer no longer owns.
func (o *offsets) forget(topic string, part int32) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.parts, partition{topic, part})
}
