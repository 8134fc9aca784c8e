// Package harness wraps goka callbacks so that bad input is dead-lettered
// instead of stopping the processor.
//
// goka stops the whole processor when a codec fails to decode an input or a
// callback returns an error or panics. A processor built with this package
// reads its inputs as raw bytes, and [Handle] decodes them itself with the
// typed Avro codec: a record that does not decode (garbage, an unknown schema
// id, another record type) becomes a dead-letter record on the deadletter
// output with the stage, the reason and the original bytes, is counted, and
// processing goes on. A callback that finds its input invalid calls
// [Harness.Refuse] to the same effect. A panic in a callback is recovered,
// logged and dead-lettered as an internal error, so one poison record cannot
// crash-loop the processor; ctx.Fail remains for broken invariants.
package harness

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/schemas"
)

// Internal is the dead-letter reason of a recovered panic.
const Internal = "internal_error"

// Harness belongs to one processor (stage).
type Harness struct {
	// Stage names the processor in dead-letter records and metrics.
	Stage string
	// Deadletter is the dead-letter topic.
	Deadletter goka.Stream
	// Codec encodes dead-letter records.
	Codec *schemas.Codec[schemas.DeadLetter]
	// Metrics counts dead letters; nil counts nothing.
	Metrics *deadletter.Metrics
	// Stats counts input and output and times callbacks; nil counts nothing.
	Stats *Metrics
	// Log receives recovered panics; nil discards.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Output is the dead-letter output edge to add to the group graph.
func (h *Harness) Output() goka.Edge { return goka.Output(h.Deadletter, h.Codec) }

// RawInput is an input edge reading topic as raw bytes, for use with Handle.
func RawInput(topic goka.Stream, cb goka.ProcessCallback) goka.Edge {
	return goka.Input(topic, new(codec.Bytes), cb)
}

// Options are the processor options a processor built with this package
// runs with: nil values (tombstones) on input streams reach the callback, to
// be dead-lettered, instead of being skipped silently.
func Options() []goka.ProcessorOption {
	return []goka.ProcessorOption{goka.WithNilHandling(goka.NilProcess)}
}

// Msg is a decoded input record with its original bytes.
type Msg[T any] struct {
	// Value is the decoded record.
	Value *T
	// Raw is the record as read, for dead-lettering.
	Raw []byte
}

// Handle returns a callback for a RawInput edge that decodes each record
// with c and calls fn, dead-lettering records that do not decode and
// recovering panics of fn.
func Handle[T any](h *Harness, c *schemas.Codec[T], fn func(ctx goka.Context, m Msg[T])) goka.ProcessCallback {
	return func(ctx goka.Context, msg any) {
		raw, _ := msg.([]byte) // RawInput edges always deliver []byte
		ctx, done := h.observe(ctx)
		defer done()
		defer func() {
			if r := recover(); r != nil {
				err := fmt.Errorf("panic: %v", r)
				if h.Log != nil {
					h.Log.Error("callback panicked; record dead-lettered", "stage", h.Stage,
						"topic", ctx.Topic(), "partition", ctx.Partition(), "offset", ctx.Offset(), "err", err)
				}
				h.Refuse(ctx, raw, Internal, err, "")
			}
		}()
		if raw == nil {
			// A tombstone on an input stream carries nothing to process.
			h.Refuse(ctx, raw, deadletter.Invalid, errors.New("empty record value"), "")
			return
		}
		v, err := c.DecodeTyped(raw)
		if err != nil {
			reason := deadletter.Undecodable
			if errors.Is(err, schemas.ErrUnknownSchema) {
				reason = deadletter.UnknownSchema
			}
			h.Refuse(ctx, raw, reason, err, "")
			return
		}
		fn(ctx, Msg[T]{Value: v, Raw: raw})
	}
}

// Refuse writes the current input record to the dead-letter topic with
// reason and err, and counts it.
func (h *Harness) Refuse(ctx goka.Context, raw []byte, reason string, err error, eventID string) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	rec := deadletter.Record(h.Stage, reason, err, deadletter.Input{
		Source: string(ctx.Topic()), Partition: ctx.Partition(), Offset: ctx.Offset(),
		Key: []byte(ctx.Key()), Value: raw,
	}, eventID, now())
	ctx.Emit(h.Deadletter, ctx.Key(), &rec)
	h.Metrics.Count(h.Stage, reason)
}
