// Package erasure holds what every stage shares in carrying out a
// person's erasure_request: the event type that asks for it, the stage
// names, and the confirmation a stage writes to privacy.erasures once the
// profile is gone from its tables.
//
// Identity resolves the request to a profile like any event, then forgets
// the profile and every identifier it owns. Each stage downstream that keeps
// per-profile state forgets it when the request (or, for stages that do not
// read events, another stage's confirmation) reaches it. A stage that must
// keep refusing what still arrives for the profile (a record resolved before
// identity forgot it, a merge hand-over on its way) keeps a marker under the
// profile id that holds no data about the person but the fact of the
// erasure: the suppression list Segment and its peers keep for deleted users.
package erasure

import (
	"fmt"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/activa-dev/activa/schemas"
)

// RequestType is the event type by which a person asks for erasure.
const RequestType = "erasure_request"

// Stages that confirm an erasure (ErasureConfirmation.stage).
const (
	StageIdentity   = "identity"
	StageSessions   = "sessions"
	StageFeatures   = "features"
	StageTriggers   = "triggers"
	StageSegments   = "segments"
	StageKpi        = "kpi"
	StageConnectors = "connectors"
)

// Output declares topic (privacy.erasures) as an output of a group that
// confirms with [Confirm]. Confirmations are encoded by Confirm, so that a
// group may also read the topic (as raw bytes, like every input).
func Output(topic goka.Stream) goka.Edge { return goka.Output(topic, new(codec.Bytes)) }

// Confirm writes stage's confirmation that it erased profile, at the
// request of the event requestID, to topic, declared with [Output]. tables
// names the tables and stores the profile was removed from; empty when
// the stage held nothing for it.
func Confirm(ctx goka.Context, topic goka.Stream, c *schemas.Codec[schemas.ErasureConfirmation], stage, profile, requestID string, tables []string, now time.Time) {
	b, err := c.Encode(&schemas.ErasureConfirmation{
		ProfileID: profile, RequestedEventID: requestID, Stage: stage,
		Tables: tables, TS: now.UTC().Truncate(time.Millisecond),
	})
	if err != nil {
		ctx.Fail(fmt.Errorf("%s: encoding the erasure confirmation of %s: %w", stage, profile, err))
	}
	ctx.Emit(topic, profile, b)
}
