package schemas

import "time"

// Record names of the processor and connector outputs, as the full Avro
// names of the records in this package. The key of each record on its topic
// is documented on its Go type and in its .avsc file.
const (
	ProfileMergeRecord        = "activa.ProfileMerge"
	IdentityAuditRecord       = "activa.IdentityAudit"
	SessionSummaryRecord      = "activa.SessionSummary"
	ProfileFeaturesRecord     = "activa.ProfileFeatures"
	SegmentChangeRecord       = "activa.SegmentChange"
	SegmentModelRecord        = "activa.SegmentModel"
	KpiActualRecord           = "activa.KpiActual"
	KpiForecastRecord         = "activa.KpiForecast"
	KpiAlertRecord            = "activa.KpiAlert"
	TriggerRecord             = "activa.Trigger"
	DeliveryRecord            = "activa.Delivery"
	ErasureConfirmationRecord = "activa.ErasureConfirmation"
)

// ProfileMerge is the activa.ProfileMerge record: profile Absorbed turned out
// to be the same person as Survivor. Key on profile.merges: Absorbed.
type ProfileMerge struct {
	Absorbed     string    `avro:"absorbed" json:"absorbed"`
	Survivor     string    `avro:"survivor" json:"survivor"`
	CauseEventID string    `avro:"cause_event_id" json:"cause_event_id,omitempty"`
	Reason       string    `avro:"reason" json:"reason,omitempty"`
	TS           time.Time `avro:"ts" json:"ts"`
	// Identifiers moved to Survivor, each as "kind:value".
	Identifiers []string `avro:"identifiers" json:"identifiers,omitempty"`
}

// IdentityAudit is the activa.IdentityAudit record: a link refused because
// it would break a per-kind limit or the per-profile identifier cap. Key on
// identity.audit: ProfileID.
type IdentityAudit struct {
	ProfileID string `avro:"profile_id" json:"profile_id"`
	// Identifier is "kind:value".
	Identifier string    `avro:"identifier" json:"identifier"`
	Kind       string    `avro:"kind" json:"kind"`
	Limit      int32     `avro:"limit" json:"limit"`
	Existing   int32     `avro:"existing" json:"existing"`
	EventID    string    `avro:"event_id" json:"event_id,omitempty"`
	Reason     string    `avro:"reason" json:"reason"` // kind_limit or identifier_cap
	TS         time.Time `avro:"ts" json:"ts"`
}

// SessionSummary is the activa.SessionSummary record: one closed session.
// Key on sessions.closed: ProfileID.
type SessionSummary struct {
	ProfileID     string           `avro:"profile_id" json:"profile_id"`
	SessionID     string           `avro:"session_id" json:"session_id"`
	Start         time.Time        `avro:"start" json:"start"`
	End           time.Time        `avro:"end" json:"end"`
	DurationMS    int64            `avro:"duration_ms" json:"duration_ms"`
	EventCount    int64            `avro:"event_count" json:"event_count"`
	CountsByType  map[string]int64 `avro:"counts_by_type" json:"counts_by_type,omitempty"`
	Pages         int32            `avro:"pages" json:"pages"`
	Products      int32            `avro:"products" json:"products"`
	MaxScrollPct  int32            `avro:"max_scroll_pct" json:"max_scroll_pct"`
	DwellMS       int64            `avro:"dwell_ms" json:"dwell_ms"`
	CartValue     float64          `avro:"cart_value" json:"cart_value"`
	Purchased     bool             `avro:"purchased" json:"purchased"`
	PurchaseValue float64          `avro:"purchase_value" json:"purchase_value"`
	CartAbandoned bool             `avro:"cart_abandoned" json:"cart_abandoned"`
	FormAbandoned bool             `avro:"form_abandoned" json:"form_abandoned"`
	Channel       string           `avro:"channel" json:"channel,omitempty"`
	Device        string           `avro:"device" json:"device,omitempty"`
	EntryPage     string           `avro:"entry_page" json:"entry_page,omitempty"`
	ExitPage      string           `avro:"exit_page" json:"exit_page,omitempty"`
	ClosedBy      string           `avro:"closed_by" json:"closed_by"` // gap, idle, merge, ...
	LastEventID   string           `avro:"last_event_id" json:"last_event_id,omitempty"`
}

// CategoryAffinity is the activa.CategoryAffinity record: the decayed
// affinity of a profile for one category.
type CategoryAffinity struct {
	Category string  `avro:"category" json:"category"`
	Score    float64 `avro:"score" json:"score"`
}

// ChannelMix is the activa.ChannelMix record: events of a profile per
// channel over its lifetime.
type ChannelMix struct {
	Web   int64 `avro:"web" json:"web"`
	App   int64 `avro:"app" json:"app"`
	Store int64 `avro:"store" json:"store"`
	Other int64 `avro:"other" json:"other"`
}

// Consent is the activa.Consent record: consent per purpose; a purpose never
// granted is false.
type Consent struct {
	Email     bool `avro:"email" json:"email"`
	SMS       bool `avro:"sms" json:"sms"`
	Push      bool `avro:"push" json:"push"`
	Ads       bool `avro:"ads" json:"ads"`
	Analytics bool `avro:"analytics" json:"analytics"`
	// Updated is the event time of the latest consent event per purpose.
	Updated map[string]time.Time `avro:"updated" json:"updated,omitempty"`
}

// ProfileFeatures is the activa.ProfileFeatures record: the current features
// of a profile, a compacted table. Key on profile.features: ProfileID.
type ProfileFeatures struct {
	ProfileID             string             `avro:"profile_id" json:"profile_id"`
	RecencyDays           float64            `avro:"recency_days" json:"recency_days"`
	LastOrderTS           time.Time          `avro:"last_order_ts" json:"last_order_ts"`
	Frequency7d           int64              `avro:"frequency_7d" json:"frequency_7d"`
	Frequency30d          int64              `avro:"frequency_30d" json:"frequency_30d"`
	Frequency90d          int64              `avro:"frequency_90d" json:"frequency_90d"`
	Monetary7d            float64            `avro:"monetary_7d" json:"monetary_7d"`
	Monetary30d           float64            `avro:"monetary_30d" json:"monetary_30d"`
	Monetary90d           float64            `avro:"monetary_90d" json:"monetary_90d"`
	AvgTicket             float64            `avro:"avg_ticket" json:"avg_ticket"`
	Orders                int64              `avro:"orders" json:"orders"`
	Sessions              int64              `avro:"sessions" json:"sessions"`
	MeanSessionDurationMS float64            `avro:"mean_session_duration_ms" json:"mean_session_duration_ms"`
	Categories            []CategoryAffinity `avro:"categories" json:"categories,omitempty"` // top-k, highest score first
	CartAbandonRate       float64            `avro:"cart_abandon_rate" json:"cart_abandon_rate"`
	FormAbandonRate       float64            `avro:"form_abandon_rate" json:"form_abandon_rate"`
	MeanScrollPct         float64            `avro:"mean_scroll_pct" json:"mean_scroll_pct"`
	MeanDwellMSPerPage    float64            `avro:"mean_dwell_ms_per_page" json:"mean_dwell_ms_per_page"`
	Channels              ChannelMix         `avro:"channels" json:"channels"`
	OnlineSpend           float64            `avro:"online_spend" json:"online_spend"`
	OfflineSpend          float64            `avro:"offline_spend" json:"offline_spend"`
	Devices               int32              `avro:"devices" json:"devices"`
	Consent               Consent            `avro:"consent" json:"consent"`
	FirstSeen             time.Time          `avro:"first_seen" json:"first_seen"`
	LastSeen              time.Time          `avro:"last_seen" json:"last_seen"`
	LastEventID           string             `avro:"last_event_id" json:"last_event_id,omitempty"`
	Version               int64              `avro:"version" json:"version"`
	UpdatedTS             time.Time          `avro:"updated_ts" json:"updated_ts"`
}

// SegmentChange is the activa.SegmentChange record: a profile moved from one
// tier, lifecycle stage or cluster to another. Key on segment.changes:
// ProfileID.
type SegmentChange struct {
	ChangeID     string             `avro:"change_id" json:"change_id"`
	ProfileID    string             `avro:"profile_id" json:"profile_id"`
	Kind         string             `avro:"kind" json:"kind"` // tier, lifecycle or cluster
	From         string             `avro:"from" json:"from"`
	To           string             `avro:"to" json:"to"`
	Reason       string             `avro:"reason" json:"reason,omitempty"`
	Rule         string             `avro:"rule" json:"rule,omitempty"`
	Values       map[string]float64 `avro:"values" json:"values,omitempty"`
	CauseEventID string             `avro:"cause_event_id" json:"cause_event_id,omitempty"`
	ModelVersion int64              `avro:"model_version" json:"model_version,omitempty"`
	TS           time.Time          `avro:"ts" json:"ts"`
}

// Centroid is the activa.Centroid record: one cluster of a segment model.
type Centroid struct {
	Label  int32     `avro:"label" json:"label"`
	Weight float64   `avro:"weight" json:"weight"`
	Center []float64 `avro:"center" json:"center"`
	Size   int64     `avro:"size" json:"size"`
}

// SegmentModel is the activa.SegmentModel record: the state of an online
// k-means model, a compacted table. Key on segment.model: Model.
type SegmentModel struct {
	Model     string      `avro:"model" json:"model"`
	Version   int64       `avro:"version" json:"version"`
	K         int32       `avro:"k" json:"k"`
	Dims      []string    `avro:"dims" json:"dims"`
	Centroids []Centroid  `avro:"centroids" json:"centroids"`
	Means     []float64   `avro:"means" json:"means"`
	Variances []float64   `avro:"variances" json:"variances"`
	Observed  int64       `avro:"observed" json:"observed"`
	Seed      [][]float64 `avro:"seed" json:"seed,omitempty"`
	UpdatedTS time.Time   `avro:"updated_ts" json:"updated_ts"`
}

// KpiActual is the activa.KpiActual record: a KPI over one bucket. Key on
// kpi.actuals: "kpi|dimension|value|bucket", bucket being BucketStart in UTC
// RFC 3339.
type KpiActual struct {
	KPI         string    `avro:"kpi" json:"kpi"`             // revenue, orders or conversion
	Dimension   string    `avro:"dimension" json:"dimension"` // store, channel, category or total
	Value       string    `avro:"value" json:"value"`
	BucketStart time.Time `avro:"bucket_start" json:"bucket_start"`
	BucketEnd   time.Time `avro:"bucket_end" json:"bucket_end"`
	// Actual is the bucket's sum (revenue, orders) or, for conversion, the
	// share of its Count sessions that purchased (0 with no session).
	Actual    float64   `avro:"actual" json:"actual"`
	Count     int64     `avro:"count" json:"count"` // purchases, or sessions for conversion
	UpdatedTS time.Time `avro:"updated_ts" json:"updated_ts"`
	// HasForecast tells whether Expected, Lower and Upper hold the
	// built-in model's forecast of the bucket.
	HasForecast bool    `avro:"has_forecast" json:"has_forecast"`
	Expected    float64 `avro:"expected" json:"expected"`
	Lower       float64 `avro:"lower" json:"lower"`
	Upper       float64 `avro:"upper" json:"upper"`
}

// KpiForecast is the activa.KpiForecast record: a plan or a model forecast of
// a KPI over one period. Key on kpi.forecasts: "kpi|dimension|value|period_start",
// period_start in UTC RFC 3339.
type KpiForecast struct {
	KPI         string    `avro:"kpi" json:"kpi"`
	Dimension   string    `avro:"dimension" json:"dimension"`
	Value       string    `avro:"value" json:"value"`
	PeriodStart time.Time `avro:"period_start" json:"period_start"`
	PeriodEnd   time.Time `avro:"period_end" json:"period_end"`
	Expected    float64   `avro:"expected" json:"expected"`
	Lower       float64   `avro:"lower" json:"lower"`
	Upper       float64   `avro:"upper" json:"upper"`
	// HasBounds tells whether Lower and Upper hold an interval (zero bounds
	// are legal).
	HasBounds bool      `avro:"has_bounds" json:"has_bounds"`
	Source    string    `avro:"source" json:"source,omitempty"` // plan (also when empty) or holt-winters
	TS        time.Time `avro:"ts" json:"ts"`
}

// KpiAlert is the activa.KpiAlert record: an alert on a KPI series, opened or
// resolved. Key on kpi.alerts: "kpi|dimension|value|rule".
type KpiAlert struct {
	AlertID     string    `avro:"alert_id" json:"alert_id"`
	KPI         string    `avro:"kpi" json:"kpi"`
	Dimension   string    `avro:"dimension" json:"dimension"`
	Value       string    `avro:"value" json:"value"`
	Rule        string    `avro:"rule" json:"rule"`         // interval or projection
	State       string    `avro:"state" json:"state"`       // open or resolved
	Severity    string    `avro:"severity" json:"severity"` // low, medium, high or critical
	Expected    float64   `avro:"expected" json:"expected"`
	Actual      float64   `avro:"actual" json:"actual"`
	Projection  float64   `avro:"projection" json:"projection"`
	Lower       float64   `avro:"lower" json:"lower"`
	Upper       float64   `avro:"upper" json:"upper"`
	Plan        float64   `avro:"plan" json:"plan"`
	GapPct      float64   `avro:"gap_pct" json:"gap_pct"`
	PeriodStart time.Time `avro:"period_start" json:"period_start"`
	PeriodEnd   time.Time `avro:"period_end" json:"period_end"`
	TimeLeftMS  int64     `avro:"time_left_ms" json:"time_left_ms"`
	BucketStart time.Time `avro:"bucket_start" json:"bucket_start"`
	Consecutive int32     `avro:"consecutive" json:"consecutive"`
	Message     string    `avro:"message" json:"message,omitempty"`
	TS          time.Time `avro:"ts" json:"ts"`
}

// Trigger is the activa.Trigger record: a moment to act for one person. Key
// on triggers: ProfileID.
type Trigger struct {
	TriggerID    string            `avro:"trigger_id" json:"trigger_id"`
	ProfileID    string            `avro:"profile_id" json:"profile_id"`
	Kind         string            `avro:"kind" json:"kind"` // cart_abandoned, form_abandoned or churn_risk
	CauseEventID string            `avro:"cause_event_id" json:"cause_event_id,omitempty"`
	SessionID    string            `avro:"session_id" json:"session_id,omitempty"`
	CartValue    float64           `avro:"cart_value" json:"cart_value,omitempty"`
	Products     []string          `avro:"products" json:"products,omitempty"`
	FormID       string            `avro:"form_id" json:"form_id,omitempty"`
	Channel      string            `avro:"channel" json:"channel,omitempty"`
	DueTS        time.Time         `avro:"due_ts" json:"due_ts"`
	TS           time.Time         `avro:"ts" json:"ts"`
	Details      map[string]string `avro:"details" json:"details,omitempty"`
}

// Delivery is the activa.Delivery record: the outcome of delivering a source
// record to one sink destination. Key on deliveries: IdempotencyKey.
type Delivery struct {
	DeliveryID      string    `avro:"delivery_id" json:"delivery_id"`
	IdempotencyKey  string    `avro:"idempotency_key" json:"idempotency_key"`
	SourceTopic     string    `avro:"source_topic" json:"source_topic,omitempty"`
	SourcePartition int32     `avro:"source_partition" json:"source_partition"`
	SourceOffset    int64     `avro:"source_offset" json:"source_offset"`
	ProfileID       string    `avro:"profile_id" json:"profile_id,omitempty"`
	Sink            string    `avro:"sink" json:"sink"` // webhook, smtp, postgres or jsonl
	Destination     string    `avro:"destination" json:"destination,omitempty"`
	Status          string    `avro:"status" json:"status"` // delivered, suppressed, failed or dead_lettered
	Reason          string    `avro:"reason" json:"reason,omitempty"`
	Attempts        int32     `avro:"attempts" json:"attempts"`
	FirstAttemptTS  time.Time `avro:"first_attempt_ts" json:"first_attempt_ts"`
	LastAttemptTS   time.Time `avro:"last_attempt_ts" json:"last_attempt_ts"`
	TS              time.Time `avro:"ts" json:"ts"`
}

// ErasureConfirmation is the activa.ErasureConfirmation record: one stage
// confirms it erased a person. Key on privacy.erasures: ProfileID.
type ErasureConfirmation struct {
	ProfileID string `avro:"profile_id" json:"profile_id"`
	// Identifiers forgotten, each as "kind:value".
	Identifiers      []string  `avro:"identifiers" json:"identifiers,omitempty"`
	RequestedEventID string    `avro:"requested_event_id" json:"requested_event_id,omitempty"`
	Stage            string    `avro:"stage" json:"stage"`
	Tables           []string  `avro:"tables" json:"tables,omitempty"`
	TS               time.Time `avro:"ts" json:"ts"`
}

// Record names of the identity processor's table and loopback.
const (
	IdentityNodeRecord    = "activa.IdentityNode"
	IdentityCommandRecord = "activa.IdentityCommand"
)

// IdentityNode is the activa.IdentityNode record: the state of one key of
// the identity table, an identifier or a profile.
type IdentityNode struct {
	Node         string           `avro:"node" json:"node"`
	Owner        string           `avro:"owner" json:"owner"`
	OwnerCreated time.Time        `avro:"owner_created" json:"owner_created"`
	Seen         []byte           `avro:"seen" json:"seen"`
	Companions   []string         `avro:"companions" json:"companions"`
	Created      time.Time        `avro:"created" json:"created"`
	MergedInto   string           `avro:"merged_into" json:"merged_into"`
	MergingInto  string           `avro:"merging_into" json:"merging_into"`
	Identifiers  []string         `avro:"identifiers" json:"identifiers"`
	KindCounts   map[string]int32 `avro:"kind_counts" json:"kind_counts"`
	Refused      int64            `avro:"refused" json:"refused"`
	// AppliedOffset is the loopback offset of the last command that changed
	// a profile node.
	AppliedOffset int64 `avro:"applied_offset" json:"applied_offset"`
	// Erased marks an erased profile.
	Erased bool `avro:"erased" json:"erased,omitempty"`
}

// IdentityCommand is the activa.IdentityCommand record: a message of the
// identity processor to itself.
type IdentityCommand struct {
	Op             string           `avro:"op" json:"op"`
	EventRaw       []byte           `avro:"event_raw" json:"event_raw"`
	EventID        string           `avro:"event_id" json:"event_id"`
	EventType      string           `avro:"event_type" json:"event_type"`
	EventTS        time.Time        `avro:"event_ts" json:"event_ts"`
	Partition      int32            `avro:"partition" json:"partition"`
	Offset         int64            `avro:"offset" json:"offset"`
	Profile        string           `avro:"profile" json:"profile"`
	ProfileCreated time.Time        `avro:"profile_created" json:"profile_created"`
	Identifiers    []string         `avro:"identifiers" json:"identifiers"`
	Owners         []string         `avro:"owners" json:"owners"`
	OwnersCreated  []int64          `avro:"owners_created" json:"owners_created"`
	KindCounts     map[string]int32 `avro:"kind_counts" json:"kind_counts"`
	TargetCreated  time.Time        `avro:"target_created" json:"target_created"`
	Hop            int32            `avro:"hop" json:"hop"`
}

// SessionStateRecord is the record of the sessions processor's table and
// loopback.
const SessionStateRecord = "activa.SessionState"

// SessionState is the activa.SessionState record: the open sessions of one
// profile.
type SessionState struct {
	MaxTS       time.Time     `avro:"max_ts" json:"max_ts"`
	ClosedUntil time.Time     `avro:"closed_until" json:"closed_until"`
	Arrived     time.Time     `avro:"arrived" json:"arrived"`
	MergedInto  string        `avro:"merged_into" json:"merged_into"`
	Open        []OpenSession `avro:"open" json:"open"`
	Closed      []ClosedSpan  `avro:"closed" json:"closed"`
	ForgotUntil time.Time     `avro:"forgot_until" json:"forgot_until"`
	// Erased marks a profile whose person asked for erasure.
	Erased bool `avro:"erased" json:"erased,omitempty"`
}

// ClosedSpan is the activa.ClosedSpan record: the first and last event
// time of a closed session.
type ClosedSpan struct {
	Start time.Time `avro:"start" json:"start"`
	End   time.Time `avro:"end" json:"end"`
}

// OpenSession is the activa.OpenSession record: a session not closed yet.
type OpenSession struct {
	Due  time.Time    `avro:"due" json:"due"`
	Hits []SessionHit `avro:"hits" json:"hits"`
}

// SessionHit is the activa.SessionHit record: what one event contributes
// to its session.
type SessionHit struct {
	EventID   string    `avro:"event_id" json:"event_id"`
	TS        time.Time `avro:"ts" json:"ts"`
	Type      string    `avro:"type" json:"type"`
	Channel   string    `avro:"channel" json:"channel"`
	Device    string    `avro:"device" json:"device"`
	URL       string    `avro:"url" json:"url"`
	ProductID string    `avro:"product_id" json:"product_id"`
	Value     float64   `avro:"value" json:"value"`
	Qty       int32     `avro:"qty" json:"qty"`
	ScrollPct int32     `avro:"scroll_pct" json:"scroll_pct"`
	DwellMS   int64     `avro:"dwell_ms" json:"dwell_ms"`
}

// FeatureStateRecord is the record of the features processor's table and
// loopback.
const FeatureStateRecord = "activa.FeatureState"

// FeatureState is the activa.FeatureState record: the bounded state behind
// one profile's features.
type FeatureState struct {
	FirstSeen      time.Time        `avro:"first_seen" json:"first_seen"`
	LastSeen       time.Time        `avro:"last_seen" json:"last_seen"`
	Events         int64            `avro:"events" json:"events"`
	LastOrderTS    time.Time        `avro:"last_order_ts" json:"last_order_ts"`
	Orders         int64            `avro:"orders" json:"orders"`
	OnlineMicros   int64            `avro:"online_micros" json:"online_micros"`
	OfflineMicros  int64            `avro:"offline_micros" json:"offline_micros"`
	Days           []DayBucket      `avro:"days" json:"days,omitempty"`
	Sessions       int64            `avro:"sessions" json:"sessions"`
	SessionMS      int64            `avro:"session_ms" json:"session_ms"`
	CartSessions   int64            `avro:"cart_sessions" json:"cart_sessions"`
	CartAbandoned  int64            `avro:"cart_abandoned" json:"cart_abandoned"`
	FormSessions   int64            `avro:"form_sessions" json:"form_sessions"`
	FormAbandoned  int64            `avro:"form_abandoned" json:"form_abandoned"`
	ScrollSessions int64            `avro:"scroll_sessions" json:"scroll_sessions"`
	ScrollSum      int64            `avro:"scroll_sum" json:"scroll_sum"`
	DwellPages     int64            `avro:"dwell_pages" json:"dwell_pages"`
	DwellMS        int64            `avro:"dwell_ms" json:"dwell_ms"`
	Web            int64            `avro:"web" json:"web"`
	App            int64            `avro:"app" json:"app"`
	Store          int64            `avro:"store" json:"store"`
	Other          int64            `avro:"other" json:"other"`
	Categories     []CategoryScore  `avro:"categories" json:"categories,omitempty"`
	Devices        []string         `avro:"devices" json:"devices,omitempty"`
	Consent        []ConsentMark    `avro:"consent" json:"consent,omitempty"`
	Recent         []string         `avro:"recent" json:"recent,omitempty"`
	Offsets        map[string]int64 `avro:"offsets" json:"offsets,omitempty"`
	MergedInto     string           `avro:"merged_into" json:"merged_into,omitempty"`
	Version        int64            `avro:"version" json:"version"`
	LastEventID    string           `avro:"last_event_id" json:"last_event_id,omitempty"`
	Erased         bool             `avro:"erased" json:"erased,omitempty"`
}

// DayBucket is the activa.DayBucket record: the orders of one UTC day.
type DayBucket struct {
	Day    int32 `avro:"day" json:"day"`
	Orders int64 `avro:"orders" json:"orders"`
	Micros int64 `avro:"micros" json:"micros"`
}

// CategoryScore is the activa.CategoryScore record: a decayed category
// score as of the state's last_seen.
type CategoryScore struct {
	Category string  `avro:"category" json:"category"`
	Score    float64 `avro:"score" json:"score"`
}

// ConsentMark is the activa.ConsentMark record: the latest consent event of
// one purpose.
type ConsentMark struct {
	Purpose string    `avro:"purpose" json:"purpose"`
	Granted bool      `avro:"granted" json:"granted"`
	TS      time.Time `avro:"ts" json:"ts"`
	EventID string    `avro:"event_id" json:"event_id"`
}

// TriggerStateRecord is the record of the triggers processor's table and
// loopback.
const TriggerStateRecord = "activa.TriggerState"

// TriggerState is the activa.TriggerState record: cart lines, purchases
// and forms of one profile that wait for event time.
type TriggerState struct {
	Pending     []CartEvent   `avro:"pending" json:"pending,omitempty"`
	Purchases   []time.Time   `avro:"purchases" json:"purchases,omitempty"`
	ClosedUntil time.Time     `avro:"closed_until" json:"closed_until"`
	Horizon     time.Time     `avro:"horizon" json:"horizon"`
	HorizonSeen time.Time     `avro:"horizon_seen" json:"horizon_seen"`
	Forms       []PendingForm `avro:"forms" json:"forms,omitempty"`
	Marks       []FormMark    `avro:"marks" json:"marks,omitempty"`
	Fired       []string      `avro:"fired" json:"fired,omitempty"`
	Recent      []string      `avro:"recent" json:"recent,omitempty"`
	MergedInto  string        `avro:"merged_into" json:"merged_into,omitempty"`
	// DevicePurchases are purchases other profiles made on devices this
	// profile filled carts on (a shared device).
	DevicePurchases []DevicePurchase `avro:"device_purchases" json:"device_purchases,omitempty"`
	// CartOf is, for a device key, the profile that last filled a cart on
	// the device.
	CartOf string `avro:"cart_of" json:"cart_of,omitempty"`
	// PurchaseFrom is, on the loopback to a device key, the profile whose
	// purchases these are.
	PurchaseFrom string `avro:"purchase_from" json:"purchase_from,omitempty"`
	// Erased marks a profile whose person asked for erasure; on the
	// loopback to a device key, that CartOf was erased.
	Erased bool `avro:"erased" json:"erased,omitempty"`
}

// DevicePurchase is the activa.DevicePurchase record: a purchase made on a
// device by another profile.
type DevicePurchase struct {
	TS     time.Time `avro:"ts" json:"ts"`
	Device string    `avro:"device" json:"device"`
}

// CartEvent is the activa.CartEvent record: a cart event not decided yet.
type CartEvent struct {
	EventID   string    `avro:"event_id" json:"event_id"`
	TS        time.Time `avro:"ts" json:"ts"`
	Type      string    `avro:"type" json:"type"`
	ProductID string    `avro:"product_id" json:"product_id"`
	Value     float64   `avro:"value" json:"value"`
	Channel   string    `avro:"channel" json:"channel"`
	Device    string    `avro:"device" json:"device"`
}

// PendingForm is the activa.PendingForm record: a started form not decided
// yet.
type PendingForm struct {
	FormID  string    `avro:"form_id" json:"form_id"`
	EventID string    `avro:"event_id" json:"event_id"`
	TS      time.Time `avro:"ts" json:"ts"`
	Channel string    `avro:"channel" json:"channel"`
}

// FormMark is the activa.FormMark record: a form submit or abandon.
type FormMark struct {
	FormID  string    `avro:"form_id" json:"form_id"`
	Kind    string    `avro:"kind" json:"kind"`
	EventID string    `avro:"event_id" json:"event_id"`
	TS      time.Time `avro:"ts" json:"ts"`
}

// SegmentStateRecord is the record of the segments processor's table.
const SegmentStateRecord = "activa.SegmentState"

// SegmentState is the activa.SegmentState record: the segments one profile
// is in and the features they were decided on.
type SegmentState struct {
	Tier            string `avro:"tier" json:"tier,omitempty"`
	Lifecycle       string `avro:"lifecycle" json:"lifecycle,omitempty"`
	Cluster         string `avro:"cluster" json:"cluster,omitempty"`
	ModelVersion    int64  `avro:"model_version" json:"model_version,omitempty"`
	FeaturesVersion int64  `avro:"features_version" json:"features_version,omitempty"`
	Features        []byte `avro:"features" json:"features,omitempty"`
	// Erased marks a profile whose person asked for erasure.
	Erased bool `avro:"erased" json:"erased,omitempty"`
}

// SegmentPointsRecord is the record of segment.points.
const SegmentPointsRecord = "activa.SegmentPoints"

// SegmentPoints is the activa.SegmentPoints record: a batch of profiles'
// points for a clustering model, and the moves of profiles between its
// clusters. Key on segment.points: Model.
type SegmentPoints struct {
	Model  string           `avro:"model" json:"model"`
	Points [][]float64      `avro:"points" json:"points"`
	Moves  map[string]int64 `avro:"moves" json:"moves,omitempty"`
}
