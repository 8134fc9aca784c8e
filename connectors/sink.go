package connectors

import (
	"context"
	"errors"
	"time"
)

// Sink delivers messages to one destination.
//
// Deliver may be called from many goroutines at once, for different
// messages; the runner never delivers the same message twice at once. A
// message may be delivered more than once over time (a retry after a
// timeout whose request did arrive, a redelivery after a restart): it
// carries the same ID every time, and a sink passes it on (a header, a
// column, a field) so that the destination can recognise it.
//
// Deliver returns nil once the destination has accepted the message. An
// error wrapped by [Permanent] means no retry can succeed (a rejected
// request, a malformed address): the runner dead-letters the message at
// once. Any other error is transient, and the runner retries it on its
// schedule until the retry budget is spent. Deliver must honour ctx.
//
// Close releases the sink's resources once no Deliver is running.
type Sink interface {
	Deliver(ctx context.Context, m *Message) error
	Close() error
}

// Message is one source record on its way to one destination.
type Message struct {
	// ID is the idempotency key: derived from the source record's own id
	// and the destination, the same on every delivery of that record there.
	ID string
	// Topic, Partition and Offset locate the source record.
	Topic     string
	Partition int32
	Offset    int64
	// Kind is the kind of the source record: segment_change, trigger or
	// kpi_alert.
	Kind string
	// ProfileID is the person the record is about; empty for a KPI alert.
	ProfileID string
	// Purpose is the consent purpose the route sends under (email, sms,
	// push, ads; empty: operational, needing no consent).
	Purpose string
	// Time is the source record's time.
	Time time.Time
	// Record is the decoded source record (*schemas.SegmentChange,
	// *schemas.Trigger or *schemas.KpiAlert), for templates.
	Record any
	// Body is the source record as a JSON object.
	Body []byte
}

// permanent marks an error that no retry can fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err to say that retrying the delivery cannot succeed.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked by
// [Permanent].
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}
