package identity

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
	// Input is events.raw.
	Input goka.Stream
	// Resolved is events.resolved.
	Resolved goka.Stream
	// Merges is profile.merges.
	Merges goka.Stream
	// Audit is identity.audit.
	Audit goka.Stream
	// Erasures is privacy.erasures.
	Erasures goka.Stream
}

// Codecs are the registered codecs of the processor's topics.
type Codecs struct {
	Event    *schemas.Codec[schemas.Event]
	Resolved *schemas.Codec[schemas.ResolvedEvent]
	Merge    *schemas.Codec[schemas.ProfileMerge]
	Audit    *schemas.Codec[schemas.IdentityAudit]
	Erasure  *schemas.Codec[schemas.ErasureConfirmation]
	Node     *schemas.Codec[schemas.IdentityNode]
	Command  *schemas.Codec[schemas.IdentityCommand]
}

// Config configures the identity processor.
type Config struct {
	// Group is the goka group; its table is Group-table and its loopback
	// Group-loop. Required.
	Group goka.Group
	// Topics are the input and outputs. Required.
	Topics Topics
	// Codecs encode every topic. Required.
	Codecs Codecs
	// Harness dead-letters bad input. Required.
	Harness *harness.Harness
	// Limits bound a profile. Default: one customer id, 200 identifiers.
	Limits Limits
	// Placeholders are extra identifier values that identify nobody, on top
	// of the built-in list (empty, null, undefined, anonymous, -1, all zeros
	// or dashes, ...). Default none.
	Placeholders []string
	// DedupHorizon is how long (wall clock) an identifier remembers the
	// events routed through it, to drop redeliveries. Default 7 days.
	DedupHorizon time.Duration
	// DedupMax caps the events an identifier remembers. Default 2048.
	DedupMax int
	// Companions caps the other identifiers an identifier remembers having
	// gathered under its current owner; an event whose other identifiers
	// are all remembered resolves without a gather. 0 gathers every event.
	// Default 32.
	Companions int
	// MaxHops bounds how often a command is forwarded from a merged profile
	// to its survivor before it is dead-lettered. Default 32.
	MaxHops int
	// Metrics counts the processor's decisions; nil counts nothing.
	Metrics *Metrics
	// Now is the wall clock; default time.Now.
	Now func() time.Time
}

// DefaultConfig returns the defaults; Group, Topics, Codecs and Harness
// remain to be set.
func DefaultConfig() Config {
	return Config{
		Limits:       Limits{Kinds: map[string]int{"customer": 1}, Max: 200},
		DedupHorizon: 7 * 24 * time.Hour,
		DedupMax:     2048,
		Companions:   32,
		MaxHops:      32,
		Now:          time.Now,
	}
}

// Validate reports a configuration the processor cannot run with.
func (c Config) Validate() error {
	var errs []error
	if c.Group == "" {
		errs = append(errs, errors.New("identity: no group"))
	}
	t := c.Topics
	if t.Input == "" || t.Resolved == "" || t.Merges == "" || t.Audit == "" || t.Erasures == "" {
		errs = append(errs, errors.New("identity: every topic must be set"))
	}
	k := c.Codecs
	if k.Event == nil || k.Resolved == nil || k.Merge == nil || k.Audit == nil || k.Erasure == nil || k.Node == nil || k.Command == nil {
		errs = append(errs, errors.New("identity: every codec must be set"))
	}
	if c.Harness == nil {
		errs = append(errs, errors.New("identity: no dead-letter harness"))
	}
	for kind, n := range c.Limits.Kinds {
		if n < 1 {
			errs = append(errs, fmt.Errorf("identity: limit of %s is %d, want at least 1", kind, n))
		}
	}
	if c.Limits.Max < 1 {
		errs = append(errs, fmt.Errorf("identity: identifier cap %d, want at least 1", c.Limits.Max))
	}
	if c.DedupHorizon <= 0 || c.DedupMax < 1 || c.MaxHops < 1 {
		errs = append(errs, errors.New("identity: dedup horizon, dedup max and max hops must be positive"))
	}
	if c.Companions < 0 {
		errs = append(errs, fmt.Errorf("identity: companion cap %d, want at least 0", c.Companions))
	}
	if c.Now == nil {
		errs = append(errs, errors.New("identity: no clock"))
	}
	return errors.Join(errs...)
}

// Metrics count what the identity processor decides.
type Metrics struct {
	// Profiles counts profiles created.
	Profiles prometheus.Counter
	// Merges counts profiles merged into another.
	Merges prometheus.Counter
	// Refused counts links refused, by reason (kind_limit, identifier_cap)
	// and kind.
	Refused *prometheus.CounterVec
	// Duplicates counts events dropped as redeliveries.
	Duplicates prometheus.Counter
	// Erasures counts profiles erased.
	Erasures prometheus.Counter
	// AfterErasure counts commands dropped because their profile was
	// erased.
	AfterErasure prometheus.Counter
	// Shortcuts counts events resolved without a gather, their other
	// identifiers all known companions of the one that routed them.
	Shortcuts prometheus.Counter
}

// NewMetrics registers the identity metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Profiles:   prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_identity_profiles_created_total", Help: "Profiles created by identity."}),
		Merges:     prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_identity_merges_total", Help: "Profiles merged into an older profile."}),
		Refused:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "activa_identity_links_refused_total", Help: "Links refused by a limit, by reason and kind."}, []string{"reason", "kind"}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_identity_duplicates_total", Help: "Events dropped as redeliveries of an event already resolved."}),
		Erasures:   prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_identity_erasures_total", Help: "Profiles erased on request."}),
		AfterErasure: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "activa_identity_after_erasure_total", Help: "Commands dropped because their profile was erased.",
		}),
		Shortcuts: prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_identity_gathers_skipped_total", Help: "Events resolved without a gather: their identifiers were gathered together before."}),
	}
	if reg != nil {
		reg.MustRegister(m.Profiles, m.Merges, m.Refused, m.Duplicates, m.Erasures, m.Shortcuts, m.AfterErasure)
	}
	return m
}
