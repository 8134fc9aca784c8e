package schemas

import "time"

// Records of the kpi processor's table and loopback.
const (
	KpiStateRecord   = "activa.KpiState"
	KpiMessageRecord = "activa.KpiMessage"
)

// KpiState is the activa.KpiState record: the value of a profile, series
// or clock key in the kpi processor's table (see kpi_state.avsc).
type KpiState struct {
	// Recent are, for a profile key, the latest purchases applied.
	Recent []KpiSeen `avro:"recent" json:"recent,omitempty"`

	// KPI, Dimension and Value name a series key's series.
	KPI       string `avro:"kpi" json:"kpi,omitempty"`
	Dimension string `avro:"dimension" json:"dimension,omitempty"`
	Value     string `avro:"value" json:"value,omitempty"`
	// ClosedUntil is the end of the latest closed bucket.
	ClosedUntil time.Time `avro:"closed_until" json:"closed_until"`
	// Open are the buckets not closed yet, in time order.
	Open []KpiBucket `avro:"open" json:"open,omitempty"`
	// Offsets are the offsets of the latest contribution applied, by input.
	Offsets map[string]int64 `avro:"offsets" json:"offsets,omitempty"`
	// History holds the actuals of the latest closed buckets, oldest first.
	History []float64 `avro:"history" json:"history,omitempty"`
	Model   KpiModel  `avro:"model" json:"model"`
	// Noise are the model's one-step errors by band of forecast level.
	Noise    []KpiNoise   `avro:"noise" json:"noise,omitempty"`
	Interval KpiRuleState `avro:"interval" json:"interval"`
	Plans    []KpiPeriod  `avro:"plans" json:"plans,omitempty"`

	// Sources are, for a clock key, the watermark of each input partition
	// in epoch milliseconds.
	Sources map[string]int64 `avro:"sources" json:"sources,omitempty"`
	// Members are, for a clock key, the series keys of its partition.
	Members []string `avro:"members" json:"members,omitempty"`
	// Watermark is, for a clock key, the lowest watermark of all input
	// partitions told to the series; for a series key, the latest it was
	// told.
	Watermark time.Time `avro:"watermark" json:"watermark"`
	// Pending are, for a clock key, the watermarks reached and not yet
	// told, in order.
	Pending []KpiPending `avro:"pending" json:"pending,omitempty"`
}

// KpiPending is the activa.KpiPending record: a watermark a clock has
// reached, and when (wall clock).
type KpiPending struct {
	Watermark time.Time `avro:"watermark" json:"watermark"`
	Since     time.Time `avro:"since" json:"since"`
}

// KpiSeen is the activa.KpiSeen record: an event applied, with where it was
// read.
type KpiSeen struct {
	ID     string `avro:"id" json:"id"`
	Source string `avro:"source" json:"source"`
	Offset int64  `avro:"offset" json:"offset"`
}

// KpiBucket is the activa.KpiBucket record: an open hourly bucket.
type KpiBucket struct {
	Start time.Time `avro:"start" json:"start"`
	Sum   float64   `avro:"sum" json:"sum"`
	Count int64     `avro:"count" json:"count"`
}

// KpiModel is the activa.KpiModel record: a Holt-Winters model of the
// square root of a series; Period 0 means no model yet.
type KpiModel struct {
	Period  int32     `avro:"period" json:"period"`
	Alpha   float64   `avro:"alpha" json:"alpha"`
	Beta    float64   `avro:"beta" json:"beta"`
	Gamma   float64   `avro:"gamma" json:"gamma"`
	Level   float64   `avro:"level" json:"level"`
	Trend   float64   `avro:"trend" json:"trend"`
	Season  []float64 `avro:"season" json:"season,omitempty"`
	Steps   int64     `avro:"steps" json:"steps"`
	Errors  int64     `avro:"errors" json:"errors"`
	ErrMean float64   `avro:"err_mean" json:"err_mean"`
	ErrM2   float64   `avro:"err_m2" json:"err_m2"`
	// Fitted is the length of the history when the model was last fitted,
	// Since the buckets observed from then on.
	Fitted int64 `avro:"fitted" json:"fitted"`
	Since  int64 `avro:"since" json:"since"`
}

// KpiNoise is the activa.KpiNoise record: running statistics of one-step
// errors.
type KpiNoise struct {
	N    int64   `avro:"n" json:"n"`
	Mean float64 `avro:"mean" json:"mean"`
	M2   float64 `avro:"m2" json:"m2"`
}

// KpiRuleState is the activa.KpiRuleState record: what an alert rule keeps
// between buckets.
type KpiRuleState struct {
	Open     bool      `avro:"open" json:"open"`
	OpenedAt time.Time `avro:"opened_at" json:"opened_at"`
	Abnormal int32     `avro:"abnormal" json:"abnormal"`
	Normal   int32     `avro:"normal" json:"normal"`
}

// KpiPeriod is the activa.KpiPeriod record: a plan for one period of a
// series, and how the period stands.
type KpiPeriod struct {
	Start     time.Time `avro:"start" json:"start"`
	End       time.Time `avro:"end" json:"end"`
	Expected  float64   `avro:"expected" json:"expected"`
	Lower     float64   `avro:"lower" json:"lower"`
	Upper     float64   `avro:"upper" json:"upper"`
	HasBounds bool      `avro:"has_bounds" json:"has_bounds"`
	// Frozen and FrozenVar are the forecast of each bucket from FrozenFrom
	// on, and its variance, made once.
	Frozen     []float64 `avro:"frozen" json:"frozen,omitempty"`
	FrozenVar  []float64 `avro:"frozen_var" json:"frozen_var,omitempty"`
	FrozenFrom time.Time `avro:"frozen_from" json:"frozen_from"`
	// Actual is the total of the period's closed buckets.
	Actual float64 `avro:"actual" json:"actual"`
	// ElapsedForecast, ElapsedActual and ElapsedVar sum the frozen
	// forecast, the actual and the variance over the closed buckets
	// frozen.
	ElapsedForecast float64      `avro:"elapsed_forecast" json:"elapsed_forecast"`
	ElapsedActual   float64      `avro:"elapsed_actual" json:"elapsed_actual"`
	ElapsedVar      float64      `avro:"elapsed_var" json:"elapsed_var"`
	Rule            KpiRuleState `avro:"rule" json:"rule"`
}

// KpiMessage is the activa.KpiMessage record: what the kpi processor sends
// itself on its loopback; Kind says which fields hold.
type KpiMessage struct {
	Kind    string      `avro:"kind" json:"kind"`
	Source  string      `avro:"source" json:"source,omitempty"`
	Offset  int64       `avro:"offset" json:"offset"`
	EventID string      `avro:"event_id" json:"event_id,omitempty"`
	TS      time.Time   `avro:"ts" json:"ts"`
	Amount  float64     `avro:"amount" json:"amount"`
	Idle    bool        `avro:"idle" json:"idle"`
	Series  string      `avro:"series" json:"series,omitempty"`
	Plan    KpiForecast `avro:"plan" json:"plan"`
}
