package connectors

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Statuses of a delivery, as in schemas.Delivery.Status.
const (
	Delivered    = "delivered"
	DeadLettered = "dead_lettered"
	Suppressed   = "suppressed"
)

// Reasons a delivery was dead-lettered.
const (
	ReasonPermanent   = "permanent"
	ReasonRetryBudget = "retry_budget"
)

// Retry is the retry policy after a transient failure.
type Retry struct {
	// Schedule holds the waits before each retry, in order; once spent,
	// the message is dead-lettered. Default DefaultSchedule.
	Schedule []time.Duration
	// Jitter moves each wait by up to this share either way; default 0.2.
	Jitter float64
}

func (r Retry) withDefaults() Retry {
	if r.Schedule == nil {
		r.Schedule = DefaultSchedule
	}
	if r.Jitter == 0 {
		r.Jitter = 0.2
	}
	return r
}

// Outcome is what became of one message at one destination.
type Outcome struct {
	// Status is Delivered or DeadLettered; empty when the delivery was
	// interrupted (ctx ended) before it was final.
	Status string
	// Reason says why a message was dead-lettered.
	Reason string
	// Attempts counts the calls of Deliver.
	Attempts int
	// First and Last are the times of the first and last attempts.
	First, Last time.Time
	// Err is the last attempt's error.
	Err error
}

// Final reports whether the outcome is final: delivered or dead-lettered.
func (o Outcome) Final() bool { return o.Status != "" }

// deliver hands m to sink, retrying transient failures on r's schedule,
// until it is delivered, fails permanently, spends the schedule, or ctx
// ends.
func deliver(ctx context.Context, sink Sink, m *Message, r Retry, now func() time.Time) Outcome {
	r = r.withDefaults()
	var o Outcome
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		o.Attempts++
		if o.Last = now(); o.First.IsZero() {
			o.First = o.Last
		}
		err := sink.Deliver(ctx, m)
		if IsPermanent(err) {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(newSchedule(r.Schedule, r.Jitter)), backoff.WithMaxElapsedTime(0))
	o.Err = err
	switch {
	case err == nil:
		o.Status = Delivered
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || !IsPermanent(err)):
		// Interrupted: not final; the record is read again.
	case IsPermanent(err):
		o.Status, o.Reason = DeadLettered, ReasonPermanent
	default:
		o.Status, o.Reason = DeadLettered, ReasonRetryBudget
	}
	return o
}
