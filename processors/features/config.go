package features

import (
	"errors"
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
	// Sessions is sessions.closed.
	Sessions goka.Stream
	// Merges is profile.merges.
	Merges goka.Stream
	// Features is profile.features.
	Features goka.Stream
	// Erasures is privacy.erasures, where the processor confirms erasures.
	Erasures goka.Stream
}

// Codecs are the registered codecs of the processor's topics.
type Codecs struct {
	Resolved *schemas.Codec[schemas.ResolvedEvent]
	Session  *schemas.Codec[schemas.SessionSummary]
	Merge    *schemas.Codec[schemas.ProfileMerge]
	Features *schemas.Codec[schemas.ProfileFeatures]
	State    *schemas.Codec[schemas.FeatureState]
	Erasure  *schemas.Codec[schemas.ErasureConfirmation]
}

// Config configures the features processor.
type Config struct {
	// Group is the goka group; its table is Group-table and its loopback
	// Group-loop. Required.
	Group goka.Group
	// Topics are the inputs and the output. Required.
	Topics Topics
	// Codecs encode every topic. Required.
	Codecs Codecs
	// Harness dead-letters bad input. Required.
	Harness *harness.Harness
	// Rules are the feature parameters; see DefaultRules.
	Rules Rules
	// Metrics counts the processor's decisions; nil counts nothing.
	Metrics *Metrics
	// Now is the wall clock (ProfileFeatures.updated_ts); default time.Now.
	Now func() time.Time
}

// DefaultConfig returns the defaults; Group, Topics, Codecs and Harness
// remain to be set.
func DefaultConfig() Config {
	return Config{Rules: DefaultRules(), Now: time.Now}
}

// Validate reports a configuration the processor cannot run with.
func (c Config) Validate() error {
	var errs []error
	if c.Group == "" {
		errs = append(errs, errors.New("features: no group"))
	}
	t := c.Topics
	if t.Input == "" || t.Sessions == "" || t.Merges == "" || t.Features == "" || t.Erasures == "" {
		errs = append(errs, errors.New("features: every topic must be set"))
	}
	k := c.Codecs
	if k.Resolved == nil || k.Session == nil || k.Merge == nil || k.Features == nil || k.State == nil || k.Erasure == nil {
		errs = append(errs, errors.New("features: every codec must be set"))
	}
	if c.Harness == nil {
		errs = append(errs, errors.New("features: no dead-letter harness"))
	}
	if c.Now == nil {
		errs = append(errs, errors.New("features: no clock"))
	}
	return errors.Join(append(errs, c.Rules.Validate())...)
}

// Metrics count what the features processor does.
type Metrics struct {
	// Published counts feature records published.
	Published prometheus.Counter
	// Duplicates counts redelivered input that changed nothing.
	Duplicates prometheus.Counter
	// Folded counts absorbed profiles (and inputs forwarded from them)
	// folded into their survivor.
	Folded prometheus.Counter
	// Erased counts profiles forgotten on an erasure request.
	Erased prometheus.Counter
}

// NewMetrics registers the features metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Published:  prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_features_published_total", Help: "Profile feature records published."}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_features_duplicates_total", Help: "Redelivered input that changed nothing."}),
		Folded:     prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_features_folded_total", Help: "States of absorbed profiles folded into their survivor."}),
		Erased:     prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_features_erased_total", Help: "Profiles forgotten on an erasure request."}),
	}
	if reg != nil {
		reg.MustRegister(m.Published, m.Duplicates, m.Folded, m.Erased)
	}
	return m
}

func (m *Metrics) inc(c func(*Metrics) prometheus.Counter) {
	if m != nil {
		c(m).Inc()
	}
}
