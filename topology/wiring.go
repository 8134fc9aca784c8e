package topology

import (
	"time"

	"github.com/lovoo/goka"

	"github.com/activa-dev/activa/processors/features"
	"github.com/activa-dev/activa/processors/identity"
	"github.com/activa-dev/activa/processors/kpi"
	"github.com/activa-dev/activa/processors/segments"
	"github.com/activa-dev/activa/processors/sessions"
	"github.com/activa-dev/activa/processors/triggers"
	"github.com/activa-dev/activa/schemas"
)

// defineIdentity binds the identity processor to the catalog.
func defineIdentity(env Env) (*goka.GroupGraph, error) {
	cat, c := env.Catalog, env.Codecs
	h, err := env.Harness("identity")
	if err != nil {
		return nil, err
	}
	cfg := identity.DefaultConfig()
	cfg.Group = goka.Group(cat.Name("identity"))
	cfg.Topics = identity.Topics{
		Input:    goka.Stream(cat.Name(EventsRaw)),
		Resolved: goka.Stream(cat.Name(EventsResolved)),
		Merges:   goka.Stream(cat.Name(ProfileMerges)),
		Audit:    goka.Stream(cat.Name(IdentityAudit)),
		Erasures: goka.Stream(cat.Name(Erasures)),
	}
	cfg.Harness = h
	if env.Registerer != nil {
		cfg.Metrics = identity.NewMetrics(env.Registerer)
	}
	var errs [7]error
	cfg.Codecs.Event, errs[0] = Typed[schemas.Event](c, EventsRaw)
	cfg.Codecs.Resolved, errs[1] = Typed[schemas.ResolvedEvent](c, EventsResolved)
	cfg.Codecs.Merge, errs[2] = Typed[schemas.ProfileMerge](c, ProfileMerges)
	cfg.Codecs.Audit, errs[3] = Typed[schemas.IdentityAudit](c, IdentityAudit)
	cfg.Codecs.Erasure, errs[4] = Typed[schemas.ErasureConfirmation](c, Erasures)
	cfg.Codecs.Node, errs[5] = Typed[schemas.IdentityNode](c, IdentityTable)
	cfg.Codecs.Command, errs[6] = Typed[schemas.IdentityCommand](c, IdentityLoop)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return identity.Define(cfg)
}

// defineSessions binds the sessions processor to the catalog.
func defineSessions(env Env) (*goka.GroupGraph, error) {
	cat, c := env.Catalog, env.Codecs
	h, err := env.Harness("sessions")
	if err != nil {
		return nil, err
	}
	cfg := sessions.DefaultConfig()
	cfg.Group = goka.Group(cat.Name("sessions"))
	cfg.Topics = sessions.Topics{
		Input:    goka.Stream(cat.Name(EventsResolved)),
		Merges:   goka.Stream(cat.Name(ProfileMerges)),
		Closed:   goka.Stream(cat.Name(SessionsClosed)),
		Erasures: goka.Stream(cat.Name(Erasures)),
	}
	cfg.Harness = h
	cfg.SourcePartitions = int(cat.Partitions)
	if env.Registerer != nil {
		cfg.Metrics = sessions.NewMetrics(env.Registerer)
	}
	t := env.Tuning
	override(
		setting{&cfg.Rules.Gap, t.SessionGap},
		setting{&cfg.Rules.Lateness, t.SessionLateness},
		setting{&cfg.Rules.Grace, t.SessionGrace},
		setting{&cfg.IdleTimeout, t.SessionIdleTimeout},
	)
	var errs [5]error
	cfg.Codecs.Resolved, errs[0] = Typed[schemas.ResolvedEvent](c, EventsResolved)
	cfg.Codecs.Merge, errs[1] = Typed[schemas.ProfileMerge](c, ProfileMerges)
	cfg.Codecs.Summary, errs[2] = Typed[schemas.SessionSummary](c, SessionsClosed)
	cfg.Codecs.State, errs[3] = Typed[schemas.SessionState](c, SessionsTable)
	cfg.Codecs.Erasure, errs[4] = Typed[schemas.ErasureConfirmation](c, Erasures)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return sessions.Define(cfg)
}

// defineFeatures binds the features processor to the catalog.
func defineFeatures(env Env) (*goka.GroupGraph, error) {
	cat, c := env.Catalog, env.Codecs
	h, err := env.Harness("features")
	if err != nil {
		return nil, err
	}
	cfg := features.DefaultConfig()
	cfg.Group = goka.Group(cat.Name("features"))
	cfg.Topics = features.Topics{
		Input:    goka.Stream(cat.Name(EventsResolved)),
		Sessions: goka.Stream(cat.Name(SessionsClosed)),
		Merges:   goka.Stream(cat.Name(ProfileMerges)),
		Features: goka.Stream(cat.Name(ProfileFeatures)),
		Erasures: goka.Stream(cat.Name(Erasures)),
	}
	cfg.Harness = h
	if env.Registerer != nil {
		cfg.Metrics = features.NewMetrics(env.Registerer)
	}
	var errs [6]error
	cfg.Codecs.Resolved, errs[0] = Typed[schemas.ResolvedEvent](c, EventsResolved)
	cfg.Codecs.Session, errs[1] = Typed[schemas.SessionSummary](c, SessionsClosed)
	cfg.Codecs.Merge, errs[2] = Typed[schemas.ProfileMerge](c, ProfileMerges)
	cfg.Codecs.Features, errs[3] = Typed[schemas.ProfileFeatures](c, ProfileFeatures)
	cfg.Codecs.State, errs[4] = Typed[schemas.FeatureState](c, FeaturesTable)
	cfg.Codecs.Erasure, errs[5] = Typed[schemas.ErasureConfirmation](c, Erasures)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return features.Define(cfg)
}

// defineTriggers binds the triggers processor to the catalog; it shares
// the lateness, grace and idle timeout of sessions.
func defineTriggers(env Env) (*goka.GroupGraph, error) {
	cat, c := env.Catalog, env.Codecs
	h, err := env.Harness("triggers")
	if err != nil {
		return nil, err
	}
	cfg := triggers.DefaultConfig()
	cfg.Group = goka.Group(cat.Name("triggers"))
	cfg.Topics = triggers.Topics{
		Input:    goka.Stream(cat.Name(EventsResolved)),
		Merges:   goka.Stream(cat.Name(ProfileMerges)),
		Changes:  goka.Stream(cat.Name(SegmentChanges)),
		Triggers: goka.Stream(cat.Name(Triggers)),
		Erasures: goka.Stream(cat.Name(Erasures)),
	}
	cfg.Harness = h
	cfg.SourcePartitions = int(cat.Partitions)
	if env.Registerer != nil {
		cfg.Metrics = triggers.NewMetrics(env.Registerer)
	}
	t := env.Tuning
	override(
		setting{&cfg.Rules.CartDelay, t.CartDelay},
		setting{&cfg.Rules.FormDelay, t.FormDelay},
		setting{&cfg.Lateness, t.SessionLateness},
		setting{&cfg.Rules.Grace, t.SessionGrace},
		setting{&cfg.IdleTimeout, t.SessionIdleTimeout},
	)
	if t.ChurnStage != "" {
		cfg.Rules.ChurnStage = t.ChurnStage
	}
	var errs [6]error
	cfg.Codecs.Resolved, errs[0] = Typed[schemas.ResolvedEvent](c, EventsResolved)
	cfg.Codecs.Merge, errs[1] = Typed[schemas.ProfileMerge](c, ProfileMerges)
	cfg.Codecs.Change, errs[2] = Typed[schemas.SegmentChange](c, SegmentChanges)
	cfg.Codecs.Trigger, errs[3] = Typed[schemas.Trigger](c, Triggers)
	cfg.Codecs.State, errs[4] = Typed[schemas.TriggerState](c, TriggersTable)
	cfg.Codecs.Erasure, errs[5] = Typed[schemas.ErasureConfirmation](c, Erasures)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return triggers.Define(cfg)
}

// defineSegments binds the segments processor to the catalog.
func defineSegments(env Env) (*goka.GroupGraph, error) {
	cat, c := env.Catalog, env.Codecs
	h, err := env.Harness("segments")
	if err != nil {
		return nil, err
	}
	cfg := segments.DefaultConfig()
	cfg.Group = goka.Group(cat.Name("segments"))
	cfg.Topics = segments.Topics{
		Features: goka.Stream(cat.Name(ProfileFeatures)),
		Changes:  goka.Stream(cat.Name(SegmentChanges)),
		Points:   goka.Stream(cat.Name(SegmentPoints)),
		Model:    goka.Table(cat.Name(SegmentModel)),
		Erasures: goka.Stream(cat.Name(Erasures)),
	}
	cfg.Harness = h
	if r := env.Tuning.SegmentRules; r != nil {
		cfg.Rules = *r
	}
	if k := env.Tuning.SegmentClusters; k > 0 {
		cfg.Clustering.K = k
	}
	if n := env.Tuning.SegmentSeedPoints; n > 0 {
		cfg.Clustering.SeedPoints = n
	}
	if d := env.Tuning.SegmentDims; len(d) > 0 {
		cfg.Clustering.Dims = d
	}
	if env.Registerer != nil {
		cfg.Metrics = segments.NewMetrics(env.Registerer)
	}
	var errs [6]error
	cfg.Codecs.Erasure, errs[5] = Typed[schemas.ErasureConfirmation](c, Erasures)
	cfg.Codecs.Features, errs[0] = Typed[schemas.ProfileFeatures](c, ProfileFeatures)
	cfg.Codecs.Change, errs[1] = Typed[schemas.SegmentChange](c, SegmentChanges)
	cfg.Codecs.State, errs[2] = Typed[schemas.SegmentState](c, SegmentsTable)
	cfg.Codecs.Points, errs[3] = Typed[schemas.SegmentPoints](c, SegmentPoints)
	cfg.Codecs.Model, errs[4] = Typed[schemas.SegmentModel](c, SegmentModel)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return segments.Define(cfg)
}

// defineSegmentsModel binds the clustering model's processor to the
// catalog.
func defineSegmentsModel(env Env) (*goka.GroupGraph, error) {
	cat, c := env.Catalog, env.Codecs
	h, err := env.Harness("segments-model")
	if err != nil {
		return nil, err
	}
	cfg := segments.DefaultModelConfig()
	cfg.Group = goka.Group(cat.Name("segments-model"))
	cfg.Points, cfg.Model = goka.Stream(cat.Name(SegmentPoints)), goka.Stream(cat.Name(SegmentModel))
	cfg.Harness = h
	if k := env.Tuning.SegmentClusters; k > 0 {
		cfg.Clustering.K = k
	}
	if n := env.Tuning.SegmentSeedPoints; n > 0 {
		cfg.Clustering.SeedPoints = n
	}
	if d := env.Tuning.SegmentDims; len(d) > 0 {
		cfg.Clustering.Dims = d
	}
	var errs [2]error
	cfg.PointsCodec, errs[0] = Typed[schemas.SegmentPoints](c, SegmentPoints)
	cfg.ModelCodec, errs[1] = Typed[schemas.SegmentModel](c, ModelTable)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return segments.DefineModel(cfg)
}

// defineKpi binds the kpi processor to the catalog.
func defineKpi(env Env) (*goka.GroupGraph, error) {
	cat, c := env.Catalog, env.Codecs
	h, err := env.Harness("kpi")
	if err != nil {
		return nil, err
	}
	cfg := kpi.DefaultConfig()
	cfg.Group = goka.Group(cat.Name("kpi"))
	cfg.Topics = kpi.Topics{
		Input:    goka.Stream(cat.Name(EventsResolved)),
		Plans:    goka.Stream(cat.Name(KpiForecasts)),
		Sessions: goka.Stream(cat.Name(SessionsClosed)),
		Actuals:  goka.Stream(cat.Name(KpiActuals)),
		Alerts:   goka.Stream(cat.Name(KpiAlerts)),
		Erasures: goka.Stream(cat.Name(Erasures)),
	}
	cfg.Harness = h
	cfg.Partitions = int(cat.Partitions)
	if env.Registerer != nil {
		cfg.Metrics = kpi.NewMetrics(env.Registerer)
	}
	t := env.Tuning
	override(
		setting{&cfg.Lateness, t.SessionLateness},
		setting{&cfg.Grace, t.SessionGrace},
		setting{&cfg.IdleTimeout, t.SessionIdleTimeout},
	)
	// The sessions processor holds a session it may close for its grace
	// and until its next sweep: the conversion buckets wait for that
	// grace and two sweeps.
	grace, every := sessions.DefaultConfig().Rules.Grace, sessionsSweep
	override(setting{&grace, t.SessionGrace}, setting{&every, t.SweepEvery})
	cfg.SessionsGrace = grace + 2*every
	if t.KpiRules != nil {
		cfg.Rules = *t.KpiRules
	}
	if t.KpiAlertAfter > 0 {
		cfg.Forecast.AlertAfter = int(t.KpiAlertAfter / kpi.BucketSize)
	}
	var errs [8]error
	cfg.Codecs.Erasure, errs[7] = Typed[schemas.ErasureConfirmation](c, Erasures)
	cfg.Codecs.Resolved, errs[0] = Typed[schemas.ResolvedEvent](c, EventsResolved)
	cfg.Codecs.Session, errs[6] = Typed[schemas.SessionSummary](c, SessionsClosed)
	cfg.Codecs.Plan, errs[1] = Typed[schemas.KpiForecast](c, KpiForecasts)
	cfg.Codecs.Actual, errs[2] = Typed[schemas.KpiActual](c, KpiActuals)
	cfg.Codecs.Alert, errs[3] = Typed[schemas.KpiAlert](c, KpiAlerts)
	cfg.Codecs.State, errs[4] = Typed[schemas.KpiState](c, KpiTable)
	cfg.Codecs.Message, errs[5] = Typed[schemas.KpiMessage](c, KpiLoop)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return kpi.Define(cfg)
}

// setting is a processor default and the tuning that may replace it.
type setting struct {
	set *time.Duration
	to  time.Duration
}

// override applies each setting whose tuning is positive: a zero tuning
// keeps the processor's default.
func override(settings ...setting) {
	for _, o := range settings {
		if o.to > 0 {
			*o.set = o.to
		}
	}
}
