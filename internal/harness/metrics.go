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
	}
	if reg != nil {
		reg.MustRegister(m.Input, m.Output, m.Latency)
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
	return countingContext{gokaContext: ctx, stage: h.Stage, m: h.Stats}, func() {
		h.Stats.Latency.WithLabelValues(h.Stage).Observe(time.Since(start).Seconds())
	}
}
