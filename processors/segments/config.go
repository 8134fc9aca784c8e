package segments

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
	// Features is profile.features (a tombstone: the profile was merged
	// into another or erased).
	Features goka.Stream
	// Changes is the output, segment.changes.
	Changes goka.Stream
	// Erasures is privacy.erasures: the processor reads the features
	// stage's confirmations (the profile leaves its segments at once) and
	// writes its own.
	Erasures goka.Stream
	// Points is segment.points, where profiles' points go to the model;
	// Model is segment.model, the model profiles are assigned with.
	// Required when clustering is on.
	Points goka.Stream
	Model  goka.Table
}

// Codecs are the registered codecs of the processor's topics.
type Codecs struct {
	Features *schemas.Codec[schemas.ProfileFeatures]
	Change   *schemas.Codec[schemas.SegmentChange]
	State    *schemas.Codec[schemas.SegmentState]
	Points   *schemas.Codec[schemas.SegmentPoints]
	Model    *schemas.Codec[schemas.SegmentModel]
	Erasure  *schemas.Codec[schemas.ErasureConfirmation]
}

// Config configures the segments processor.
type Config struct {
	// Group is the goka group; its table is Group-table. Required.
	Group goka.Group
	// Topics are the input and the output. Required.
	Topics Topics
	// Codecs encode every topic. Required.
	Codecs Codecs
	// Harness dead-letters bad input. Required.
	Harness *harness.Harness
	// Rules are the tier and lifecycle rules; default DefaultRules.
	Rules Rules
	// Clustering places profiles in online clusters; default
	// DefaultClustering. No dimensions: no clusters.
	Clustering Clustering
	// Metrics counts the processor's decisions; nil counts nothing.
	Metrics *Metrics
	// Now is the wall clock (ErasureConfirmation.ts); default time.Now.
	Now func() time.Time
}

// DefaultConfig returns the defaults; Group, Topics, Codecs and Harness
// remain to be set.
func DefaultConfig() Config {
	return Config{Rules: DefaultRules(), Clustering: DefaultClustering(), Now: time.Now}
}

// Validate reports a configuration the processor cannot run with.
func (c Config) Validate() error {
	var errs []error
	if c.Group == "" {
		errs = append(errs, errors.New("segments: no group"))
	}
	if c.Topics.Features == "" || c.Topics.Changes == "" || c.Topics.Erasures == "" {
		errs = append(errs, errors.New("segments: every topic must be set"))
	}
	if k := c.Codecs; k.Features == nil || k.Change == nil || k.State == nil || k.Erasure == nil {
		errs = append(errs, errors.New("segments: every codec must be set"))
	}
	if c.Harness == nil {
		errs = append(errs, errors.New("segments: no dead-letter harness"))
	}
	if c.Now == nil {
		errs = append(errs, errors.New("segments: no clock"))
	}
	if err := c.Rules.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Clustering.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Clustering.On() && (c.Topics.Points == "" || c.Topics.Model == "" || c.Codecs.Points == nil || c.Codecs.Model == nil) {
		errs = append(errs, errors.New("segments: clustering needs the points and model topics and codecs"))
	}
	return errors.Join(errs...)
}

// Metrics count what the segments processor decides.
type Metrics struct {
	// Changes counts segment changes by kind.
	Changes *prometheus.CounterVec
	// Duplicates counts feature versions received again or out of order.
	Duplicates prometheus.Counter
	// Erased counts profiles erased on request.
	Erased prometheus.Counter
}

// NewMetrics registers the segments metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Changes:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "activa_segments_changes_total", Help: "Segment changes written, by kind."}, []string{"kind"}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_segments_duplicates_total", Help: "Feature versions received again or after a newer one, which changed nothing."}),
		Erased:     prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_segments_erased_total", Help: "Profiles erased on request: taken out of every segment."}),
	}
	if reg != nil {
		reg.MustRegister(m.Changes, m.Duplicates, m.Erased)
	}
	return m
}
