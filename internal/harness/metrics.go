package harness

import (
	"time"

	"github.com/lovoo/goka"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the per-processor counters and latency histogram; errors are
// the dead-letter counter of package deadletter.
type Metrics struct {
	// Input counts records read, by stage and topic.
	Input *prometheus.CounterVec
	// Output counts records emitted, by stage and topic.
	Output *prometheus.CounterVec
	// Latency observes the callback time per record, by stage.
	Latency *prometheus.HistogramVec
	// Wait observes how long after its Kafka timestamp a record reaches its
	// callback, by stage and topic: for records the pipeline writes itself
	// (loopbacks, events.resolved, profile.merges) the time it spent in
	// Kafka and in the consumer's queues. For input stamped with event time
	// (a replay into events.raw) it includes the event's age.
	Wait *prometheus.HistogramVec
}

// NewMetrics registers the processor metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Input: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "activa_processor_input_total", Help: "Records read by a processor, by stage and topic.",
		}, []string{"stage", "topic"}),
		Output: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "activa_processor_output_total", Help: "Records emitted by a processor, by stage and topic.",
		}, []string{"stage", "topic"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "activa_processor_latency_seconds",
			Help:    "Time a processor callback takes per record, by stage.",
			Buckets: prometheus.ExponentialBuckets(10e-6, 4, 10),
		}, []string{"stage"}),
		Wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "activa_processor_record_wait_seconds",
			Help:    "Time from a record's Kafka timestamp to its processor callback, by stage and topic.",
			Buckets: prometheus.ExponentialBuckets(1e-3, 2, 18),
		}, []string{"stage", "topic"}),
	}
	if reg != nil {
		reg.MustRegister(m.Input, m.Output, m.Latency, m.Wait)
	}
	return m
}

// gokaContext names goka.Context so that embedding it does not shadow its
// Context method.
type gokaContext = goka.Context

// countingContext counts the records a callback emits.
type countingContext struct {
	gokaContext
	stage string
	m     *Metrics
}

func (c countingContext) Emit(topic goka.Stream, key string, value any, opts ...goka.ContextOption) {
	c.m.Output.WithLabelValues(c.stage, string(topic)).Inc()
	c.gokaContext.Emit(topic, key, value, opts...)
}

// observe wraps ctx for output counting and returns the function that
// records input and latency when the callback is done.
func (h *Harness) observe(ctx goka.Context) (goka.Context, func()) {
	if h.Stats == nil {
		return ctx, func() {}
	}
	start := time.Now()
	h.Stats.Input.WithLabelValues(h.Stage, string(ctx.Topic())).Inc()
	if ts := ctx.Timestamp(); !ts.IsZero() {
		h.Stats.Wait.WithLabelValues(h.Stage, string(ctx.Topic())).Observe(max(start.Sub(ts), 0).Seconds())
	}
	return countingContext{gokaContext: ctx, stage: h.Stage, m: h.Stats}, func() {
		h.Stats.Latency.WithLabelValues(h.Stage).Observe(time.Since(start).Seconds())
	}
}
