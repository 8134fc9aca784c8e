package topology

import (
	"fmt"
	"time"

	"github.com/activa-dev/activa/internal/kafka"
)

// Cleanup policies of topics.
const (
	Delete  = "delete"
	Compact = "compact"
)

// Topic names, without the prefix.
const (
	EventsRaw       = "events.raw"
	EventsResolved  = "events.resolved"
	ProfileMerges   = "profile.merges"
	IdentityAudit   = "identity.audit"
	SessionsClosed  = "sessions.closed"
	ProfileFeatures = "profile.features"
	SegmentChanges  = "segment.changes"
	SegmentModel    = "segment.model"
	SegmentPoints   = "segment.points"
	KpiActuals      = "kpi.actuals"
	KpiForecasts    = "kpi.forecasts"
	KpiAlerts       = "kpi.alerts"
	Triggers        = "triggers"
	Deadletter      = "deadletter"
	Deliveries      = "deliveries"
	Erasures        = "privacy.erasures"
	IdentityTable   = "identity-table"
	IdentityLoop    = "identity-loop"
	SessionsTable   = "sessions-table"
	SessionsLoop    = "sessions-loop"
	FeaturesTable   = "features-table"
	FeaturesLoop    = "features-loop"
	SegmentsTable   = "segments-table"
	ModelTable      = "segments-model-table"
	TriggersTable   = "triggers-table"
	TriggersLoop    = "triggers-loop"
	KpiTable        = "kpi-table"
	KpiLoop         = "kpi-loop"
)

// Writers that are not goka processors.
const (
	WriterReplay  = "replay"
	WriterPlan    = "plan"
	WriterConnect = "connect"
	WriterAny     = "any stage"
)

// Topic declares one topic: its name, key, value record, cleanup and who
// writes it. Every topic activa touches is declared once, in [Topics].
type Topic struct {
	// Name without the prefix, e.g. "events.raw".
	Name string
	// Record is the full Avro name of the value record (subject <topic>-value).
	Record string
	// Key says what the record key is.
	Key string
	// Cleanup is Delete or Compact.
	Cleanup string
	// Retention of a Delete topic; 0 keeps the broker default, -1 forever.
	Retention time.Duration
	// Writer is the processor (group) or component that produces the topic.
	Writer string
	// Doc says what the topic carries.
	Doc string
}

// Topics is the catalog: every topic of the system, in data-flow order.
func Topics() []Topic {
	week := 7 * 24 * time.Hour
	return []Topic{
		{EventsRaw, "activa.Event", "routing identifier kind:value of the event's strongest identifier", Delete, week, WriterReplay, "accepted input events"},
		{EventsResolved, "activa.ResolvedEvent", "profile id", Delete, week, "identity", "every event, resolved to its profile"},
		{ProfileMerges, "activa.ProfileMerge", "absorbed profile id", Delete, -1, "identity", "two profiles found to be one person"},
		{IdentityAudit, "activa.IdentityAudit", "profile id", Delete, 30 * 24 * time.Hour, "identity", "links refused by identity limits"},
		{IdentityTable, "activa.IdentityNode", "identifier kind:value, or profile:<id>", Compact, 0, "identity", "identity graph: owner of each identifier, identifiers of each profile"},
		{IdentityLoop, "activa.IdentityCommand", "identifier kind:value, or profile:<id>, the command is for", Delete, kafka.LoopRetention, "identity", "identity's messages to itself"},
		{SessionsClosed, "activa.SessionSummary", "profile id", Delete, week, "sessions", "closed-session summaries"},
		{SessionsTable, "activa.SessionState", "profile id", Compact, 0, "sessions", "open sessions of every profile"},
		{SessionsLoop, "activa.SessionState", "survivor profile id", Delete, kafka.LoopRetention, "sessions", "open sessions an absorbed profile hands to its survivor"},
		{ProfileFeatures, "activa.ProfileFeatures", "profile id", Compact, 0, "features", "current features of every profile"},
		{FeaturesTable, "activa.FeatureState", "profile id", Compact, 0, "features", "bounded state behind every profile's features"},
		{FeaturesLoop, "activa.FeatureState", "survivor profile id", Delete, kafka.LoopRetention, "features", "state an absorbed profile hands to its survivor"},
		{SegmentChanges, "activa.SegmentChange", "profile id", Delete, week, "segments", "tier, lifecycle and cluster changes"},
		{SegmentsTable, "activa.SegmentState", "profile id", Compact, 0, "segments", "tier, lifecycle stage and cluster of every profile, with the features they were decided on"},
		{SegmentPoints, "activa.SegmentPoints", "model name", Delete, kafka.LoopRetention, "segments", "batches of profiles' points on their way to the clustering model"},
		{ModelTable, "activa.SegmentModel", "model name", Compact, 0, "segments-model", "the clustering model, with its seed buffer while it warms up"},
		{SegmentModel, "activa.SegmentModel", "model name", Compact, 0, "segments-model", "published clustering model with centroids"},
		{KpiActuals, "activa.KpiActual", "kpi|dimension|value|bucket start", Compact, 0, "kpi", "hourly actuals per KPI series"},
		{KpiForecasts, "activa.KpiForecast", "kpi|dimension|value|period start", Compact, 0, WriterPlan, "plan values from finance or BI"},
		{KpiTable, "activa.KpiState", "profile id, series kpi|dimension|value, or clock:<n>", Compact, 0, "kpi", "open buckets, history, model, plans and alert rules of every series; latest purchases of every profile; event-time clock of every partition"},
		{KpiLoop, "activa.KpiMessage", "series kpi|dimension|value, or clock:<n>", Delete, kafka.LoopRetention, "kpi", "contributions and plans on their way to their series, watermarks to the clocks, ticks to the series"},
		{KpiAlerts, "activa.KpiAlert", "kpi|dimension|value|rule", Delete, 30 * 24 * time.Hour, "kpi", "forecast-versus-actual alerts and resolves"},
		{Triggers, "activa.Trigger", "profile id", Delete, week, "triggers", "abandonment and churn-risk triggers"},
		{TriggersTable, "activa.TriggerState", "profile id", Compact, 0, "triggers", "carts and forms waiting for event time to decide a trigger"},
		{TriggersLoop, "activa.TriggerState", "survivor profile id", Delete, kafka.LoopRetention, "triggers", "pending carts and forms an absorbed profile hands to its survivor"},
		{Deadletter, "activa.DeadLetter", "original key, or source:line for file input", Delete, 30 * 24 * time.Hour, WriterAny, "input a stage refused, with the reason"},
		{Deliveries, "activa.Delivery", "idempotency key", Delete, 30 * 24 * time.Hour, WriterConnect, "outcome of every activation delivery"},
		{Erasures, "activa.ErasureConfirmation", "profile id", Delete, -1, WriterAny, "confirmations of executed erasure requests"},
	}
}

// Catalog is the catalog bound to a deployment: a prefix and sizes.
type Catalog struct {
	// Prefix is prepended to every topic and group name. Default "activa.".
	Prefix string
	// Partitions of every topic; all topics are co-partitioned. Default 8.
	Partitions int32
	// Replication factor of every topic. Default 1.
	Replication int16
	// CompactionLag bounds how long a deleted (tombstoned) or replaced
	// value may survive in a compacted topic, for example a profile's
	// state after its erasure; TombstoneRetention is how long the
	// tombstone itself stays. Default 24 hours each (kafka's defaults).
	CompactionLag, TombstoneRetention time.Duration
}

// DefaultCatalog returns the catalog with default prefix and sizes.
func DefaultCatalog() Catalog {
	return Catalog{Prefix: "activa.", Partitions: 8, Replication: 1, CompactionLag: kafka.DefaultCompactionLag, TombstoneRetention: kafka.DefaultTombstoneRetention}
}

// Validate reports a catalog that cannot be deployed.
func (c Catalog) Validate() error {
	if c.Partitions < 1 {
		return fmt.Errorf("topology: partitions %d < 1", c.Partitions)
	}
	if c.Replication < 1 {
		return fmt.Errorf("topology: replication %d < 1", c.Replication)
	}
	if c.CompactionLag < 0 || c.TombstoneRetention < 0 {
		return fmt.Errorf("topology: compaction lag %v, tombstone retention %v: want neither negative", c.CompactionLag, c.TombstoneRetention)
	}
	return nil
}

// Name returns the full name of a topic or group.
func (c Catalog) Name(topic string) string { return c.Prefix + topic }

// Subject returns the Schema Registry subject of a topic's values.
func (c Catalog) Subject(topic string) string { return c.Name(topic) + "-value" }

// Lookup returns the declared topic with the given unprefixed name.
func Lookup(name string) (Topic, bool) {
	for _, t := range Topics() {
		if t.Name == name {
			return t, true
		}
	}
	return Topic{}, false
}

// Specs returns every catalog topic as it must exist on the cluster.
func (c Catalog) Specs() []kafka.TopicSpec {
	var out []kafka.TopicSpec
	for _, t := range Topics() {
		out = append(out, kafka.TopicSpec{
			Name: c.Name(t.Name), Partitions: c.Partitions, Replication: c.Replication,
			Cleanup: t.Cleanup, Retention: t.Retention, CompactionLag: c.CompactionLag, TombstoneRetention: c.TombstoneRetention,
		})
	}
	return out
}
