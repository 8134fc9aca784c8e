package schemas

import "time"

// IDs are the identifiers seen on one event; an empty string means absent.
type IDs struct {
	Cookie      string `avro:"cookie" json:"cookie,omitempty"`
	Device      string `avro:"device" json:"device,omitempty"`
	Customer    string `avro:"customer" json:"customer,omitempty"`
	EmailSHA256 string `avro:"email_sha256" json:"email_sha256,omitempty"`
	PhoneSHA256 string `avro:"phone_sha256" json:"phone_sha256,omitempty"`
	Loyalty     string `avro:"loyalty" json:"loyalty,omitempty"`
}

// Event is the activa.Event record: one interaction of a person.
type Event struct {
	EventID   string            `avro:"event_id" json:"event_id"`
	TS        time.Time         `avro:"ts" json:"ts"`
	Type      string            `avro:"type" json:"type"`
	Channel   string            `avro:"channel" json:"channel,omitempty"`
	IDs       IDs               `avro:"ids" json:"ids"`
	ProductID string            `avro:"product_id" json:"product_id,omitempty"`
	Category  string            `avro:"category" json:"category,omitempty"`
	Value     float64           `avro:"value" json:"value,omitempty"`
	Currency  string            `avro:"currency" json:"currency,omitempty"`
	StoreID   string            `avro:"store_id" json:"store_id,omitempty"`
	Props     map[string]string `avro:"props" json:"props,omitempty"`
	IngestTS  time.Time         `avro:"ingest_ts" json:"ingest_ts"`
}

// ResolvedEvent is the activa.ResolvedEvent record: an event and the profile
// it was resolved to.
type ResolvedEvent struct {
	ProfileID  string    `avro:"profile_id" json:"profile_id"`
	Event      Event     `avro:"event" json:"event"`
	ResolvedTS time.Time `avro:"resolved_ts" json:"resolved_ts"`
	// SourcePartition is the partition of events.raw the event was read
	// from.
	SourcePartition int32 `avro:"source_partition" json:"source_partition"`
}

// DeadLetter is the activa.DeadLetter record: input a stage refused.
type DeadLetter struct {
	Stage     string    `avro:"stage" json:"stage"`
	Reason    string    `avro:"reason" json:"reason"`
	Error     string    `avro:"error" json:"error"`
	Source    string    `avro:"source" json:"source"`
	Partition int32     `avro:"partition" json:"partition"`
	Offset    int64     `avro:"offset" json:"offset"`
	EventID   string    `avro:"event_id" json:"event_id,omitempty"`
	Key       []byte    `avro:"key" json:"key,omitempty"`
	Original  []byte    `avro:"original" json:"original"`
	TS        time.Time `avro:"ts" json:"ts"`
}
