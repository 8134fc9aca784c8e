package triggers

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
	// Changes is segment.changes (lifecycle moves into Rules.ChurnStage).
	Changes goka.Stream
	// Triggers is the output.
	Triggers goka.Stream
	// Erasures is privacy.erasures: the processor reads identity's
	// confirmations (to forget the erased profile's devices) and writes its
	// own.
	Erasures goka.Stream
}

// Codecs are the registered codecs of the processor's topics.
type Codecs struct {
	Resolved *schemas.Codec[schemas.ResolvedEvent]
	Merge    *schemas.Codec[schemas.ProfileMerge]
	Change   *schemas.Codec[schemas.SegmentChange]
	Trigger  *schemas.Codec[schemas.Trigger]
	State    *schemas.Codec[schemas.TriggerState]
	Erasure  *schemas.Codec[schemas.ErasureConfirmation]
}

// Config configures the triggers processor.
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
	// Rules: see DefaultRules.
	Rules Rules
	// Lateness is how far behind the slowest partition of events.raw an
	// event may arrive and still count; default 5 minutes, as for
	// sessions.
	Lateness time.Duration
	// SourcePartitions is the number of partitions of events.raw. Required.
	SourcePartitions int
	// IdleTimeout is how long (wall clock) a partition may receive nothing
	// at all (no event, merge or loopback message) before the sweep decides
	// everything pending on it. Default 10 minutes.
	IdleTimeout time.Duration
	// Metrics counts the processor's decisions; nil counts nothing.
	Metrics *Metrics
	// Now is the wall clock; default time.Now.
	Now func() time.Time
}

// DefaultConfig returns the defaults; Group, Topics, Codecs, Harness and
// SourcePartitions remain to be set.
func DefaultConfig() Config {
	return Config{Rules: DefaultRules(), Lateness: 5 * time.Minute, IdleTimeout: 10 * time.Minute, Now: time.Now}
}

// Validate reports a configuration the processor cannot run with.
func (c Config) Validate() error {
	var errs []error
	if c.Group == "" {
		errs = append(errs, errors.New("triggers: no group"))
	}
	t := c.Topics
	if t.Input == "" || t.Merges == "" || t.Changes == "" || t.Triggers == "" || t.Erasures == "" {
		errs = append(errs, errors.New("triggers: every topic must be set"))
	}
	k := c.Codecs
	if k.Resolved == nil || k.Merge == nil || k.Change == nil || k.Trigger == nil || k.State == nil || k.Erasure == nil {
		errs = append(errs, errors.New("triggers: every codec must be set"))
	}
	if c.Harness == nil {
		errs = append(errs, errors.New("triggers: no dead-letter harness"))
	}
	r := c.Rules
	if r.CartDelay <= 0 || r.FormDelay <= 0 || r.Grace < 0 || r.MaxItems < 1 || r.Keep < 1 {
		errs = append(errs, fmt.Errorf("triggers: cart delay %v, form delay %v, grace %v, %d lines, keep %d: want positive delays and sizes",
			r.CartDelay, r.FormDelay, r.Grace, r.MaxItems, r.Keep))
	}
	if r.ChurnStage == "" {
		errs = append(errs, errors.New("triggers: no churn stage"))
	}
	if c.Lateness < 0 || c.IdleTimeout <= 0 || c.SourcePartitions < 1 {
		errs = append(errs, fmt.Errorf("triggers: lateness %v, idle timeout %v, %d source partitions", c.Lateness, c.IdleTimeout, c.SourcePartitions))
	}
	if c.Now == nil {
		errs = append(errs, errors.New("triggers: no clock"))
	}
	return errors.Join(errs...)
}

// Metrics count what the triggers processor decides.
type Metrics struct {
	// Fired counts triggers by kind.
	Fired *prometheus.CounterVec
	// Late counts cart lines dead-lettered as too late.
	Late prometheus.Counter
	// Duplicates counts redelivered events.
	Duplicates prometheus.Counter
	// Erased counts profiles erased on request.
	Erased prometheus.Counter
	// AfterErasure counts inputs dropped because their profile was erased.
	AfterErasure prometheus.Counter
}

// NewMetrics registers the triggers metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Fired:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "activa_triggers_fired_total", Help: "Triggers fired, by kind."}, []string{"kind"}),
		Late:       prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_triggers_late_events_total", Help: "Cart lines dead-lettered as later than the allowed lateness."}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_triggers_duplicates_total", Help: "Redelivered events that changed nothing."}),
		Erased:     prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_triggers_erased_total", Help: "Profiles erased on request: pending carts and forms dropped undecided."}),
		AfterErasure: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "activa_triggers_after_erasure_total", Help: "Events, segment changes and hand-overs dropped because their profile was erased.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Fired, m.Late, m.Duplicates, m.Erased, m.AfterErasure)
	}
	return m
}
