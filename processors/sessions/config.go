package sessions

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
	// Merges is profile.merges.
	Merges goka.Stream
	// Closed is sessions.closed.
	Closed goka.Stream
	// Erasures is privacy.erasures, where the processor confirms erasures.
	Erasures goka.Stream
}

// Codecs are the registered codecs of the processor's topics.
type Codecs struct {
	Resolved *schemas.Codec[schemas.ResolvedEvent]
	Merge    *schemas.Codec[schemas.ProfileMerge]
	Summary  *schemas.Codec[schemas.SessionSummary]
	State    *schemas.Codec[schemas.SessionState]
	Erasure  *schemas.Codec[schemas.ErasureConfirmation]
}

// Config configures the sessions processor.
type Config struct {
	// Group is the goka group; its table is Group-table and its loopback
	// Group-loop. Required.
	Group goka.Group
	// Topics are the inputs and the output. Required.
	Topics Topics
	// Codecs encode every topic. Required.
	Codecs Codecs
	// Harness dead-letters bad and late input. Required.
	Harness *harness.Harness
	// Rules: default gap 30 minutes, lateness 5 minutes, 1000 events per
	// session, a grace of one minute.
	Rules Rules
	// SourcePartitions is the number of partitions of events.raw: the
	// event-time watermark is the slowest of them (a source partition that
	// sent nothing for the idle timeout does not hold it back). Required.
	SourcePartitions int
	// IdleTimeout is how long (wall clock) a partition may receive nothing
	// at all (no event, merge or loopback message) before the idle sweep
	// closes every open session on it. Default 10 minutes.
	IdleTimeout time.Duration
	// Metrics counts the processor's decisions; nil counts nothing.
	Metrics *Metrics
	// Now is the wall clock; default time.Now.
	Now func() time.Time
}

// DefaultConfig returns the defaults; Group, Topics, Codecs and Harness
// remain to be set.
func DefaultConfig() Config {
	return Config{
		Rules:       Rules{Gap: 30 * time.Minute, Lateness: 5 * time.Minute, MaxEvents: 1000, Grace: time.Minute, KeepClosed: 8},
		IdleTimeout: 10 * time.Minute,
		Now:         time.Now,
	}
}

// Validate reports a configuration the processor cannot run with.
func (c Config) Validate() error {
	var errs []error
	if c.Group == "" {
		errs = append(errs, errors.New("sessions: no group"))
	}
	if c.Topics.Input == "" || c.Topics.Merges == "" || c.Topics.Closed == "" || c.Topics.Erasures == "" {
		errs = append(errs, errors.New("sessions: every topic must be set"))
	}
	k := c.Codecs
	if k.Resolved == nil || k.Merge == nil || k.Summary == nil || k.State == nil || k.Erasure == nil {
		errs = append(errs, errors.New("sessions: every codec must be set"))
	}
	if c.Harness == nil {
		errs = append(errs, errors.New("sessions: no dead-letter harness"))
	}
	r := c.Rules
	if r.Gap <= 0 || r.Lateness < 0 || r.MaxEvents < 1 || r.Grace < 0 || r.KeepClosed < 0 {
		errs = append(errs, fmt.Errorf("sessions: gap %v, lateness %v, grace %v, max events %d, closed sessions kept %d: want a positive gap and event cap, nothing negative",
			r.Gap, r.Lateness, r.Grace, r.MaxEvents, r.KeepClosed))
	}
	if c.SourcePartitions < 1 {
		errs = append(errs, errors.New("sessions: the number of source partitions must be set"))
	}
	if c.IdleTimeout <= 0 {
		errs = append(errs, errors.New("sessions: idle timeout must be positive"))
	}
	if c.Now == nil {
		errs = append(errs, errors.New("sessions: no clock"))
	}
	return errors.Join(errs...)
}

// Metrics count what the sessions processor decides.
type Metrics struct {
	// Closed counts closed sessions by what closed them (gap, idle).
	Closed *prometheus.CounterVec
	// Late counts events dead-lettered as too late.
	Late prometheus.Counter
	// Duplicates counts redelivered events.
	Duplicates prometheus.Counter
	// Folded counts open sessions handed from an absorbed profile.
	Folded prometheus.Counter
	// Erased counts profiles erased on request.
	Erased prometheus.Counter
	// AfterErasure counts inputs dropped because their profile was erased.
	AfterErasure prometheus.Counter
}

// NewMetrics registers the sessions metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Closed:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "activa_sessions_closed_total", Help: "Sessions closed, by what closed them."}, []string{"by"}),
		Late:       prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_sessions_late_events_total", Help: "Events dead-lettered as later than the allowed lateness."}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_sessions_duplicates_total", Help: "Redelivered events that changed nothing."}),
		Folded:     prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_sessions_folded_total", Help: "Open sessions folded from an absorbed profile into its survivor."}),
		Erased:     prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_sessions_erased_total", Help: "Profiles erased on request: open sessions dropped without a summary."}),
		AfterErasure: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "activa_sessions_after_erasure_total", Help: "Events and hand-overs dropped because their profile was erased.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Closed, m.Late, m.Duplicates, m.Folded, m.Erased, m.AfterErasure)
	}
	return m
}
