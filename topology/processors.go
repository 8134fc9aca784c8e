package topology

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/lovoo/goka"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/processors/kpi"
	"github.com/activa-dev/activa/processors/segments"
	"github.com/activa-dev/activa/processors/sessions"
	"github.com/activa-dev/activa/processors/triggers"
	"github.com/activa-dev/activa/schemas"
)

// Env is what a processor's definition receives: the catalog for topic
// names and the registered codecs.
type Env struct {
	// Catalog names topics and groups.
	Catalog Catalog
	// Codecs are the registered codecs of every catalog topic.
	Codecs *Codecs
	// DeadLetters counts dead-lettered input; nil counts nothing.
	DeadLetters *deadletter.Metrics
	// Stats counts processor input and output; nil counts nothing.
	Stats *harness.Metrics
	// Log receives processor logs; nil discards them.
	Log *slog.Logger
	// Registerer registers processor-specific metrics; nil registers none.
	// Define each processor at most once per registerer.
	Registerer prometheus.Registerer
	// Tuning overrides processor defaults.
	Tuning Tuning
}

// Tuning are the processor settings a deployment may change; a zero value
// keeps the processor's default.
type Tuning struct {
	// SessionGap is the inactivity gap that ends a session (event time).
	SessionGap time.Duration
	// SessionLateness is how far behind its profile's latest event an
	// event may arrive and still join its session.
	SessionLateness time.Duration
	// SessionGrace is how long (wall clock) a session stays open after the
	// watermark passed it.
	SessionGrace time.Duration
	// SessionIdleTimeout is how long (wall clock) without any input closes
	// every open session.
	SessionIdleTimeout time.Duration
	// SweepEvery is the period of the sweeps of idle keys.
	SweepEvery time.Duration
	// CartDelay is how long (event time) after a cart's last line a
	// purchase saves it from a cart_abandoned trigger.
	CartDelay time.Duration
	// FormDelay is how long (event time) after a form_start a form_submit
	// saves it from a form_abandoned trigger.
	FormDelay time.Duration
	// SegmentRules replace the segments' default tier and lifecycle rules
	// when not nil.
	SegmentRules *segments.Rules
	// SegmentClusters is k of the segments' online clustering.
	SegmentClusters int
	// ChurnStage is the lifecycle stage whose entry fires churn_risk.
	ChurnStage string
	// SegmentDims are the dimensions of the segments' online clustering;
	// nil keeps segments.DefaultDims.
	SegmentDims []segments.Dim
	// SegmentSeedPoints is how many points the clustering model buffers
	// before it seeds.
	SegmentSeedPoints int
	// KpiRules replace the kpi alert rules' defaults when not nil.
	KpiRules *kpi.Rules
	// KpiAlertAfter is how much history (whole hours) a kpi series needs
	// before the alert rules apply to it.
	KpiAlertAfter time.Duration
}

// Every returns the sweep period of p under t.
func (t Tuning) Every(p Processor) time.Duration {
	if t.SweepEvery > 0 {
		return t.SweepEvery
	}
	return p.SweepEvery
}

// Harness returns the dead-letter harness of a stage.
func (e Env) Harness(stage string) (*harness.Harness, error) {
	dl, err := Typed[schemas.DeadLetter](e.Codecs, Deadletter)
	if err != nil {
		return nil, err
	}
	return &harness.Harness{
		Stage: stage, Deadletter: goka.Stream(e.Catalog.Name(Deadletter)), Codec: dl,
		Metrics: e.DeadLetters, Stats: e.Stats, Log: e.Log,
	}, nil
}

// Processor is one goka processor of the topology.
type Processor struct {
	// Name is the stage name; its goka group is Catalog.Name(Name).
	Name string
	// Doc says what the processor does, in one line.
	Doc string
	// Define builds the processor's group graph; it does no I/O.
	Define func(Env) (*goka.GroupGraph, error)
	// Sweep, when not empty, names a visitor edge of the graph that the
	// runner visits on every key at each SweepEvery (goka has no timers).
	Sweep string
	// SweepEvery is the period of the sweep.
	SweepEvery time.Duration
}

// sessionsSweep is the default period of the sessions' sweep.
const sessionsSweep = 30 * time.Second

// Processors is the explicit list of processors, in data-flow order.
// Adding a processor adds one line here.
func Processors() []Processor {
	return []Processor{
		{Name: "identity", Doc: "resolves every event to one profile across identifiers", Define: defineIdentity},
		{
			Name: "sessions", Doc: "cuts each profile's events into sessions and summarises the closed ones", Define: defineSessions,
			Sweep: sessions.IdleVisitor, SweepEvery: sessionsSweep,
		},
		{
			Name: "triggers", Doc: "fires cart and form abandonment and churn-risk triggers, once each", Define: defineTriggers,
			Sweep: triggers.DueVisitor, SweepEvery: 30 * time.Second,
		},
		{Name: "features", Doc: "folds each profile's events and sessions into bounded features, published on every change", Define: defineFeatures},
		{
			Name: "segments", Doc: "places each profile in a value tier, a lifecycle stage and an online cluster on every feature change", Define: defineSegments,
			Sweep: segments.SweepVisitor, SweepEvery: 5 * time.Minute,
		},
		{Name: "segments-model", Doc: "updates the online clustering model with batches of profiles' points and publishes it", Define: defineSegmentsModel},
		{
			Name: "kpi", Doc: "sums purchases and sessions into hourly KPI series, forecasts them and alerts when they leave the forecast or fall short of the plan", Define: defineKpi,
			Sweep: kpi.SweepVisitor, SweepEvery: 30 * time.Second,
		},
	}
}

// Graphs defines the group graph of every processor.
func Graphs(env Env) ([]*goka.GroupGraph, error) {
	var out []*goka.GroupGraph
	for _, p := range Processors() {
		g, err := p.Define(env)
		if err != nil {
			return nil, fmt.Errorf("defining processor %s: %w", p.Name, err)
		}
		out = append(out, g)
	}
	return out, nil
}
