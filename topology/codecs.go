package topology

import (
	"context"
	"fmt"

	"github.com/lovoo/goka"

	"github.com/activa-dev/activa/schemas"
)

// Codecs holds the registered codec of every catalog topic.
type Codecs struct {
	byTopic map[string]goka.Codec // unprefixed topic -> codec
}

// register registers record under subject with its Go type.
func register(ctx context.Context, reg schemas.Registrar, subject, record string) (goka.Codec, error) {
	switch record {
	case schemas.EventRecord:
		return schemas.Register[schemas.Event](ctx, reg, subject, record)
	case schemas.ResolvedEventRecord:
		return schemas.Register[schemas.ResolvedEvent](ctx, reg, subject, record)
	case schemas.DeadLetterRecord:
		return schemas.Register[schemas.DeadLetter](ctx, reg, subject, record)
	case schemas.ProfileMergeRecord:
		return schemas.Register[schemas.ProfileMerge](ctx, reg, subject, record)
	case schemas.IdentityAuditRecord:
		return schemas.Register[schemas.IdentityAudit](ctx, reg, subject, record)
	case schemas.SessionSummaryRecord:
		return schemas.Register[schemas.SessionSummary](ctx, reg, subject, record)
	case schemas.ProfileFeaturesRecord:
		return schemas.Register[schemas.ProfileFeatures](ctx, reg, subject, record)
	case schemas.SegmentChangeRecord:
		return schemas.Register[schemas.SegmentChange](ctx, reg, subject, record)
	case schemas.SegmentModelRecord:
		return schemas.Register[schemas.SegmentModel](ctx, reg, subject, record)
	case schemas.KpiActualRecord:
		return schemas.Register[schemas.KpiActual](ctx, reg, subject, record)
	case schemas.KpiForecastRecord:
		return schemas.Register[schemas.KpiForecast](ctx, reg, subject, record)
	case schemas.KpiAlertRecord:
		return schemas.Register[schemas.KpiAlert](ctx, reg, subject, record)
	case schemas.TriggerRecord:
		return schemas.Register[schemas.Trigger](ctx, reg, subject, record)
	case schemas.DeliveryRecord:
		return schemas.Register[schemas.Delivery](ctx, reg, subject, record)
	case schemas.IdentityNodeRecord:
		return schemas.Register[schemas.IdentityNode](ctx, reg, subject, record)
	case schemas.IdentityCommandRecord:
		return schemas.Register[schemas.IdentityCommand](ctx, reg, subject, record)
	case schemas.ErasureConfirmationRecord:
		return schemas.Register[schemas.ErasureConfirmation](ctx, reg, subject, record)
	case schemas.TriggerStateRecord:
		return schemas.Register[schemas.TriggerState](ctx, reg, subject, record)
	case schemas.FeatureStateRecord:
		return schemas.Register[schemas.FeatureState](ctx, reg, subject, record)
	case schemas.SegmentPointsRecord:
		return schemas.Register[schemas.SegmentPoints](ctx, reg, subject, record)
	case schemas.SegmentStateRecord:
		return schemas.Register[schemas.SegmentState](ctx, reg, subject, record)
	case schemas.KpiStateRecord:
		return schemas.Register[schemas.KpiState](ctx, reg, subject, record)
	case schemas.KpiMessageRecord:
		return schemas.Register[schemas.KpiMessage](ctx, reg, subject, record)
	case schemas.SessionStateRecord:
		return schemas.Register[schemas.SessionState](ctx, reg, subject, record)
	default:
		return nil, fmt.Errorf("no Go type for record %s", record)
	}
}

// RegisterSchemas registers the value schema of every catalog topic under
// <topic>-value with BACKWARD compatibility (idempotent) and returns the
// codecs. An incompatible change is refused by the registry and reported.
func RegisterSchemas(ctx context.Context, reg schemas.Registrar, cat Catalog) (*Codecs, error) {
	c := &Codecs{byTopic: map[string]goka.Codec{}}
	for _, t := range Topics() {
		codec, err := register(ctx, reg, cat.Subject(t.Name), t.Record)
		if err != nil {
			return nil, fmt.Errorf("topic %s: %w", cat.Name(t.Name), err)
		}
		c.byTopic[t.Name] = codec
	}
	return c, nil
}

// Codec returns the codec of an unprefixed catalog topic, or nil.
func (c *Codecs) Codec(topic string) goka.Codec { return c.byTopic[topic] }

// Typed returns the typed codec of a catalog topic, or an error when the
// topic is unknown or carries another record type.
func Typed[T any](c *Codecs, topic string) (*schemas.Codec[T], error) {
	codec, ok := c.byTopic[topic]
	if !ok {
		return nil, fmt.Errorf("no codec for topic %s", topic)
	}
	t, ok := codec.(*schemas.Codec[T])
	if !ok {
		return nil, fmt.Errorf("topic %s carries %T, not the requested type", topic, codec)
	}
	return t, nil
}
