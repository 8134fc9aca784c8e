package connectors

import (
	"fmt"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// Kinds of source records, as in Message.Kind.
const (
	KindSegmentChange = "segment_change"
	KindTrigger       = "trigger"
	KindKpiAlert      = "kpi_alert"
)

// Source decodes the records of one source topic.
type Source struct {
	// Kind names what the topic carries.
	Kind string
	// Decode reads one record's value.
	Decode func(value []byte) (Record, error)
}

// Record is a decoded source record and what the runner needs of it.
type Record struct {
	// ID is the record's own id, stable when the record is written again
	// upstream: the root of every idempotency key derived from it.
	ID string
	// ProfileID is the person the record is about; empty for a KPI alert.
	ProfileID string
	// Time is the record's time.
	Time time.Time
	// Value is the decoded record, a pointer to a schemas type.
	Value any
}

// sourceOf is the Source of kind whose records c decodes and describe
// names, refusing a record it cannot describe; what names the record in
// errors.
func sourceOf[T any](kind, what string, c *schemas.Codec[T], describe func(*T) (Record, error)) Source {
	return Source{Kind: kind, Decode: func(b []byte) (Record, error) {
		v, err := c.DecodeTyped(b)
		if err != nil {
			return Record{}, fmt.Errorf("decoding a %s: %w", what, err)
		}
		return describe(v)
	}}
}

// SegmentChanges reads segment.changes; a change is known by its
// change_id.
func SegmentChanges(c *schemas.Codec[schemas.SegmentChange]) Source {
	return sourceOf(KindSegmentChange, "segment change", c, func(v *schemas.SegmentChange) (Record, error) {
		if v.ChangeID == "" {
			return Record{}, fmt.Errorf("segment change of %q without a change_id", v.ProfileID)
		}
		return Record{ID: v.ChangeID, ProfileID: v.ProfileID, Time: v.TS, Value: v}, nil
	})
}

// Triggers reads triggers; a trigger is known by its trigger_id.
func Triggers(c *schemas.Codec[schemas.Trigger]) Source {
	return sourceOf(KindTrigger, "trigger", c, func(v *schemas.Trigger) (Record, error) {
		if v.TriggerID == "" {
			return Record{}, fmt.Errorf("trigger of %q without a trigger_id", v.ProfileID)
		}
		return Record{ID: v.TriggerID, ProfileID: v.ProfileID, Time: v.TS, Value: v}, nil
	})
}

// KpiAlerts reads kpi.alerts; an alert's open and resolve records share
// its alert_id, so a record is known by both.
func KpiAlerts(c *schemas.Codec[schemas.KpiAlert]) Source {
	return sourceOf(KindKpiAlert, "kpi alert", c, func(v *schemas.KpiAlert) (Record, error) {
		if v.AlertID == "" || v.State == "" {
			return Record{}, fmt.Errorf("kpi alert of %s|%s|%s without an alert_id or a state", v.KPI, v.Dimension, v.Value)
		}
		return Record{ID: v.AlertID + "/" + v.State, Time: v.TS, Value: v}, nil
	})
}
