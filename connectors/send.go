package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/schemas"
)

// Reasons a message was suppressed.
const (
	ReasonNoConsent    = "no_consent"
	ReasonFrequencyCap = "frequency_cap"
)

// handle starts the deliveries of one source record; free is called once
// they are all over, or once all of them wait for quiet hours to end
// (waiting, they hold no slot). It is called in the order records are
// fetched: the messages of one key to one destination go out in that
// order, each after the one before it is final, while other keys and
// destinations go on.
func (r *Runner) handle(rec *kgo.Record, free func()) {
	r.offsets.fetched(rec.Topic, rec.Partition, rec.Offset)
	l := r.laneOf(rec.Topic, rec.Partition)
	once := sync.OnceFunc(free)
	msgs, routes, err := r.route(rec)
	l.wg.Add(1)
	if err != nil {
		go func() {
			defer l.wg.Done()
			defer once()
			if r.deadletter(l.ctx, rec, "", "invalid", err) {
				r.offsets.done(rec.Topic, rec.Partition, rec.Offset)
			}
		}()
		return
	}
	turns := make([]turn, len(msgs))
	for i := range msgs {
		turns[i] = r.takeTurn(string(rec.Key), routes[i].Destination)
	}
	go func() {
		defer l.wg.Done()
		defer once()
		if r.deliverRecord(l.ctx, rec, msgs, routes, turns, once) {
			r.offsets.done(rec.Topic, rec.Partition, rec.Offset)
		}
	}()
}

// route decodes rec and returns a message for the destination of every
// route it passes, with the route.
func (r *Runner) route(rec *kgo.Record) ([]*Message, []route, error) {
	src := r.cfg.Sources[rec.Topic]
	v, err := src.Decode(rec.Value)
	if err != nil {
		return nil, nil, err
	}
	body, err := json.Marshal(v.Value)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding %s as JSON: %w", v.ID, err)
	}
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, nil, fmt.Errorf("reading %s as a JSON object: %w", v.ID, err)
	}
	var (
		msgs   []*Message
		routes []route
		sent   = map[string]bool{}
	)
	for _, rt := range r.routes {
		if rt.Topic != rec.Topic || sent[rt.Destination] {
			continue
		}
		ok, err := rt.matches(fields)
		if err != nil {
			r.cfg.Log.Warn("route filter failed", "route", rt.Name, "record", v.ID, "err", err)
			continue
		}
		if !ok {
			continue
		}
		sent[rt.Destination] = true
		msgs = append(msgs, &Message{
			ID: idempotencyKey(rec.Topic, v.ID, rt.Destination), Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset,
			Kind: src.Kind, ProfileID: v.ProfileID, Purpose: rt.Purpose, Time: v.Time, Record: v.Value, Body: body,
		})
		routes = append(routes, rt)
	}
	return msgs, routes, nil
}

// turn is a message's place in the order of its key and destination: it
// goes once after is closed, and closes done when it is final or given up.
type turn struct {
	after <-chan struct{}
	done  chan struct{}
	key   chainKey
}

type chainKey struct{ key, destination string }

// takeTurn queues a message of key to destination behind the last one.
func (r *Runner) takeTurn(key, destination string) turn {
	r.chainMu.Lock()
	defer r.chainMu.Unlock()
	k := chainKey{key, destination}
	t := turn{after: r.chains[k], done: make(chan struct{}), key: k}
	r.chains[k] = t.done
	return t
}

// endTurn lets the next message of t's key and destination go.
func (r *Runner) endTurn(t turn) {
	close(t.done)
	r.chainMu.Lock()
	defer r.chainMu.Unlock()
	if r.chains[t.key] == t.done {
		delete(r.chains, t.key)
	}
}

// deliverRecord sends the messages of rec, each in its turn, and reports
// whether every delivery is final.
func (r *Runner) deliverRecord(ctx context.Context, rec *kgo.Record, msgs []*Message, routes []route, turns []turn, free func()) bool {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		final   = true
		waiting int // deliveries waiting for quiet hours to end
	)
	// Once every delivery of the record waits for quiet hours, its slot
	// goes to another record.
	wait := func() {
		mu.Lock()
		waiting++
		all := waiting == len(msgs)
		mu.Unlock()
		if all {
			free()
		}
	}
	for i, m := range msgs {
		wg.Go(func() {
			t := turns[i]
			defer r.endTurn(t)
			ok := false
			if t.after != nil {
				select {
				case <-t.after:
				case <-ctx.Done():
				}
			}
			if ctx.Err() == nil {
				ok = r.send(ctx, routes[i], m, rec, wait)
			}
			mu.Lock()
			final = final && ok
			mu.Unlock()
		})
	}
	wg.Wait()
	return final
}

// send takes m along rt: it suppresses m without the person's consent to
// the route's purpose or over the destination's cap, holds it through
// quiet hours (calling wait), delivers it, logs its final outcome, and
// reports whether it is final.
func (r *Runner) send(ctx context.Context, rt route, m *Message, rec *kgo.Record, wait func()) bool {
	if r.erasures.has(m.ProfileID) {
		return r.suppressErased(ctx, rt, m)
	}
	pol := r.cfg.Policies[rt.Destination]
	person, ok := r.person(ctx, m, rt, pol)
	if !ok {
		return false
	}
	if m.Purpose != "" && (!person.Known || !consents(person.Consent, m.Purpose)) {
		return r.suppress(ctx, rt, m, ReasonNoConsent)
	}
	if q := pol.Quiet; q != nil && m.ProfileID != "" {
		if end := q.until(r.cfg.Now(), person.Zone); !end.IsZero() {
			wait()
			t := time.NewTimer(end.Sub(r.cfg.Now()))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return false
			}
			// Consent is that at the time of sending.
			if r.erasures.has(m.ProfileID) {
				return r.suppressErased(ctx, rt, m)
			}
			if person, ok = r.person(ctx, m, rt, pol); !ok {
				return false
			}
			if m.Purpose != "" && (!person.Known || !consents(person.Consent, m.Purpose)) {
				return r.suppress(ctx, rt, m, ReasonNoConsent)
			}
		}
	}
	at := r.cfg.Now()
	if !r.caps.take(rt.Destination, m.ProfileID, pol, at) {
		return r.suppress(ctx, rt, m, ReasonFrequencyCap)
	}
	sink := r.cfg.Sinks[rt.Destination]
	o := deliver(ctx, countingSink{Sink: sink, m: r.cfg.Metrics, dest: rt.Destination}, m, r.cfg.Retry, r.cfg.Now)
	if o.Status != Delivered {
		r.caps.give(rt.Destination, m.ProfileID, at)
	}
	if !o.Final() {
		return false
	}
	d := r.outcome(rt, m, o.Status, o.Reason)
	d.Attempts, d.FirstAttemptTS, d.LastAttemptTS = int32(o.Attempts), o.First, o.Last
	if o.Err != nil {
		d.Reason = o.Reason + ": " + o.Err.Error()
	}
	if !r.log(ctx, d) {
		return false
	}
	if o.Status == DeadLettered {
		return r.deadletter(ctx, rec, m.ID, o.Reason, fmt.Errorf("delivering %s to %s: %w", m.ID, rt.Destination, o.Err))
	}
	return true
}

// person looks up the person m is about when the route or the policy
// needs them, until it has an answer or ctx ends (reported as false).
func (r *Runner) person(ctx context.Context, m *Message, rt route, pol Policy) (Person, bool) {
	if m.ProfileID == "" || r.cfg.People == nil || (rt.Purpose == "" && pol.Quiet == nil) {
		return Person{}, true
	}
	for {
		p, err := r.cfg.People.Person(ctx, m.ProfileID)
		if err == nil {
			return p, true
		}
		r.cfg.Log.Warn("looking up a person failed", "profile", m.ProfileID, "err", err)
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return Person{}, false
		}
	}
}

// suppress logs that m was not sent, for reason: a final outcome.
func (r *Runner) suppress(ctx context.Context, rt route, m *Message, reason string) bool {
	return r.log(ctx, r.outcome(rt, m, Suppressed, reason))
}

// suppressErased logs that m, about a person erased, was not sent; the
// record names no one.
func (r *Runner) suppressErased(ctx context.Context, rt route, m *Message) bool {
	d := r.outcome(rt, m, Suppressed, ReasonErased)
	d.ProfileID = ""
	return r.log(ctx, d)
}

// outcome is the delivery log record of m along rt.
func (r *Runner) outcome(rt route, m *Message, status, reason string) *schemas.Delivery {
	now := r.cfg.Now()
	return &schemas.Delivery{
		DeliveryID: m.ID + "-" + strconv.FormatInt(now.UnixNano(), 36), IdempotencyKey: m.ID,
		SourceTopic: m.Topic, SourcePartition: m.Partition, SourceOffset: m.Offset, ProfileID: m.ProfileID,
		Sink: sinkType(r.cfg.Sinks[rt.Destination]), Destination: rt.Destination, Status: status, Reason: reason, TS: now,
	}
}

// log writes d to the delivery log and counts it; it reports whether it
// did: only then is the outcome final.
func (r *Runner) log(ctx context.Context, d *schemas.Delivery) bool {
	if err := produce(ctx, r.cl, r.cfg.Deliveries, d.IdempotencyKey, r.cfg.DeliveryCodec, d); err != nil {
		r.cfg.Log.Warn("writing the delivery log failed", "key", d.IdempotencyKey, "err", err)
		return false
	}
	if mt := r.cfg.Metrics; mt != nil {
		mt.Deliveries.WithLabelValues(d.Destination, d.Status).Inc()
	}
	return true
}

// deadletter writes rec to the dead-letter topic and reports whether it
// did: only then is the record final.
func (r *Runner) deadletter(ctx context.Context, rec *kgo.Record, id, reason string, cause error) bool {
	d := &schemas.DeadLetter{
		Stage: "connect", Reason: reason, Error: cause.Error(), Source: rec.Topic, Partition: rec.Partition, Offset: rec.Offset,
		EventID: id, Key: rec.Key, Original: rec.Value, TS: r.cfg.Now(),
	}
	if err := produce(ctx, r.cl, r.cfg.Deadletter, string(rec.Key), r.cfg.DeadletterCodec, d); err != nil {
		r.cfg.Log.Warn("writing a dead letter failed", "topic", rec.Topic, "offset", rec.Offset, "err", err)
		return false
	}
	r.cfg.Log.Warn("dead-lettered", "topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "reason", reason, "err", cause)
	return true
}

// produce writes v, keyed by key, to topic, synchronously. An outcome is
// written even when its delivery's partition is being given up (ctx
// ended): the delivery happened.
func produce[T any](ctx context.Context, cl *kgo.Client, topic, key string, c *schemas.Codec[T], v *T) error {
	b, err := c.Encode(v)
	if err != nil {
		return fmt.Errorf("encoding a record for %s: %w", topic, err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(key), Value: b}).FirstErr(); err != nil {
		return fmt.Errorf("producing to %s: %w", topic, err)
	}
	return nil
}
