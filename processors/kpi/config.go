package kpi

import (
	"errors"
	"fmt"
	"time"

	"github.com/lovoo/goka"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/schemas"
)

// Topics are the topics the processor reads and writes; package topology
// fills them in from the catalog.
type Topics struct {
	// Input is events.resolved.
	Input goka.Stream
	// Plans is kpi.forecasts.
	Plans goka.Stream
	// Sessions is sessions.closed, co-partitioned with Input; empty, the
	// processor keeps no conversion series.
	Sessions goka.Stream
	// Actuals and Alerts are the outputs.
	Actuals, Alerts goka.Stream
	// Erasures is privacy.erasures, where the processor confirms erasures.
	Erasures goka.Stream
}

// Codecs are the registered codecs of the processor's topics.
type Codecs struct {
	Resolved *schemas.Codec[schemas.ResolvedEvent]
	Plan     *schemas.Codec[schemas.KpiForecast]
	// Session is needed only with Topics.Sessions.
	Session *schemas.Codec[schemas.SessionSummary]
	Actual  *schemas.Codec[schemas.KpiActual]
	Alert   *schemas.Codec[schemas.KpiAlert]
	State   *schemas.Codec[schemas.KpiState]
	Message *schemas.Codec[schemas.KpiMessage]
	Erasure *schemas.Codec[schemas.ErasureConfirmation]
}

// Config configures the kpi processor.
type Config struct {
	// Group is the goka group; its table is Group-table and its loopback
	// Group-loop. Required.
	Group goka.Group
	// Topics are the inputs and the outputs. Required.
	Topics Topics
	// Codecs encode every topic. Required.
	Codecs Codecs
	// Harness dead-letters bad and late input. Required.
	Harness *harness.Harness
	// Rules are the alert rules: see DefaultRules.
	Rules Rules
	// Forecast is the built-in forecast: see DefaultForecasting.
	Forecast Forecasting
	// Lateness is how far behind the slowest partition of events.raw a
	// purchase may arrive and still count in its bucket; default 5
	// minutes, as for sessions.
	Lateness time.Duration
	// Partitions is the number of partitions of the processor's topics
	// (events.resolved, its table and loopback, all co-partitioned), and
	// of events.raw. Required.
	Partitions int
	// IdleTimeout is how long (wall clock) an input partition may receive
	// no event before it stops holding the watermark back; once every one
	// is idle, every open bucket closes. Default 10 minutes.
	IdleTimeout time.Duration
	// Grace is how long (wall clock) the watermark must have stood before
	// the buckets it passes close: a purchase reaches its series through
	// identity's hops and the loopback, and in a fast replay event time
	// runs hours ahead in the seconds that takes. Default 1 minute, as
	// sessions'.
	Grace time.Duration
	// SessionsGrace is the grace of the conversion buckets: how long
	// (wall clock) the watermark of sessions.closed must have stood before
	// the buckets it passes close. The sessions processor closes a
	// session its watermark has passed after its own grace, at one of its
	// sweeps, so that summaries arrive out of the order of their ends by
	// that much wall-clock time. Default 2 minutes: the sessions' default
	// grace of 1 minute and two of their sweeps, 30 seconds apart.
	SessionsGrace time.Duration
	// Recent is how many purchases of a profile are remembered to
	// recognise an event resolved twice. Default 64.
	Recent int
	// Metrics counts the processor's decisions; nil counts nothing.
	Metrics *Metrics
	// Now is the wall clock; default time.Now.
	Now func() time.Time
}

// DefaultConfig returns the defaults; Group, Topics, Codecs, Harness and
// Partitions remain to be set.
func DefaultConfig() Config {
	return Config{
		Rules: DefaultRules(), Forecast: DefaultForecasting(), Lateness: 5 * time.Minute,
		IdleTimeout: 10 * time.Minute, Grace: time.Minute, SessionsGrace: 2 * time.Minute, Recent: 64, Now: time.Now,
	}
}

// Validate reports a configuration the processor cannot run with.
func (c Config) Validate() error {
	var errs []error
	if c.Group == "" {
		errs = append(errs, errors.New("kpi: no group"))
	}
	t := c.Topics
	if t.Input == "" || t.Plans == "" || t.Actuals == "" || t.Alerts == "" || t.Erasures == "" {
		errs = append(errs, errors.New("kpi: every topic must be set"))
	}
	k := c.Codecs
	if k.Resolved == nil || k.Plan == nil || k.Actual == nil || k.Alert == nil || k.State == nil || k.Message == nil || k.Erasure == nil {
		errs = append(errs, errors.New("kpi: every codec must be set"))
	}
	if t.Sessions != "" && k.Session == nil {
		errs = append(errs, fmt.Errorf("kpi: no codec for the sessions of %s", t.Sessions))
	}
	if c.Harness == nil {
		errs = append(errs, errors.New("kpi: no dead-letter harness"))
	}
	if err := c.Rules.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Forecast.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Lateness < 0 || c.Grace < 0 || c.SessionsGrace < 0 || c.IdleTimeout <= 0 || c.Partitions < 1 || c.Recent < 1 {
		errs = append(errs, fmt.Errorf("kpi: lateness %v, grace %v, sessions' grace %v, idle timeout %v, %d partitions, %d recent purchases: want them positive",
			c.Lateness, c.Grace, c.SessionsGrace, c.IdleTimeout, c.Partitions, c.Recent))
	}
	if c.Now == nil {
		errs = append(errs, errors.New("kpi: no clock"))
	}
	return errors.Join(errs...)
}

// Metrics count what the kpi processor decides.
type Metrics struct {
	// Alerts counts alerts by rule and state.
	Alerts *prometheus.CounterVec
	// Late counts contributions dead-lettered as too late.
	Late prometheus.Counter
	// Duplicates counts purchases resolved twice that changed nothing.
	Duplicates prometheus.Counter
	// Buckets counts buckets closed.
	Buckets prometheus.Counter
}

// NewMetrics registers the kpi metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Alerts:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "activa_kpi_alerts_total", Help: "KPI alerts published, by rule and state."}, []string{"rule", "state"}),
		Late:       prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_kpi_late_contributions_total", Help: "Contributions to a bucket already closed, dead-lettered."}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_kpi_duplicates_total", Help: "Purchases resolved twice (the same event id at another offset) that changed nothing."}),
		Buckets:    prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_kpi_buckets_closed_total", Help: "Series buckets closed by event time."}),
	}
	if reg != nil {
		reg.MustRegister(m.Alerts, m.Late, m.Duplicates, m.Buckets)
	}
	return m
}
