// Package deadletter builds the one dead-letter record every stage writes
// when it refuses input, and counts it.
//
// A stage never drops bad input and never fails on it: it writes a
// [schemas.DeadLetter] with the original bytes, its stage and a reason to the
// deadletter topic, increments activa_deadletter_total{stage,reason} and
// goes on.
package deadletter

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/activa-dev/activa/schemas"
)

// Reasons shared by the stages.
const (
	MalformedJSON   = "malformed_json"
	MissingField    = "missing_field"
	MissingIDs      = "missing_ids"
	WrongType       = "wrong_type"
	BadTimestamp    = "bad_timestamp"
	FutureTimestamp = "future_timestamp"
	Oversized       = "oversized"
	UnknownSchema   = "unknown_schema"
	Undecodable     = "undecodable"
	TooLate         = "too_late"
	Invalid         = "invalid"
)

// MaxOriginal is the most bytes of the original input a record keeps;
// oversized input is truncated to it (the record says so in its error).
const MaxOriginal = 64 << 10

// Input locates refused input.
type Input struct {
	// Source is the topic, or the file name for file input.
	Source string
	// Partition of the record, -1 for file input.
	Partition int32
	// Offset of the record, or the 1-based line number for file input.
	Offset int64
	// Key is the record key, if any.
	Key []byte
	// Value is the original bytes.
	Value []byte
}

// Record returns the dead-letter record for in, refused by stage for reason
// with err. eventID may be empty when it could not be read.
func Record(stage, reason string, err error, in Input, eventID string, now time.Time) schemas.DeadLetter {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	orig := in.Value
	if len(orig) > MaxOriginal {
		orig = orig[:MaxOriginal]
	}
	return schemas.DeadLetter{
		Stage:     stage,
		Reason:    reason,
		Error:     msg,
		Source:    in.Source,
		Partition: in.Partition,
		Offset:    in.Offset,
		EventID:   eventID,
		Key:       append([]byte(nil), in.Key...),
		Original:  append([]byte(nil), orig...),
		TS:        now.UTC().Truncate(time.Millisecond),
	}
}

// Metrics counts dead-lettered input.
type Metrics struct {
	// Total counts records by stage and reason.
	Total *prometheus.CounterVec
}

// NewMetrics registers the dead-letter counter with reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{Total: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "activa_deadletter_total",
		Help: "Input refused and written to the dead-letter topic, by stage and reason.",
	}, []string{"stage", "reason"})}
	if reg != nil {
		reg.MustRegister(m.Total)
	}
	return m
}

// Count records one dead-lettered input.
func (m *Metrics) Count(stage, reason string) {
	if m != nil {
		m.Total.WithLabelValues(stage, reason).Inc()
	}
}
