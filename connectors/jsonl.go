package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
)

// JSONL appends each message to a file as one JSON line: the idempotency
// key, the source record's place and kind, the profile and the record.
// A message delivered twice (a redelivery after a restart) appears twice
// with the same id. Every line is written whole and synced before Deliver
// returns.
type JSONL struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// jsonlLine is one line of a JSONL destination.
type jsonlLine struct {
	ID        string          `json:"id"`
	Topic     string          `json:"topic"`
	Partition int32           `json:"partition"`
	Offset    int64           `json:"offset"`
	Kind      string          `json:"kind"`
	ProfileID string          `json:"profile_id,omitempty"`
	Record    json.RawMessage `json:"record"`
}

// NewJSONL opens (creating or appending to) the file at path.
func NewJSONL(path string) (*JSONL, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("jsonl: opening %s: %w", path, err)
	}
	return &JSONL{path: path, f: f}, nil
}

// Deliver appends m as one line.
func (j *JSONL) Deliver(_ context.Context, m *Message) error {
	b, err := json.Marshal(jsonlLine{ID: m.ID, Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Kind: m.Kind, ProfileID: m.ProfileID, Record: m.Body})
	if err != nil {
		return Permanent(fmt.Errorf("jsonl: encoding %s: %w", m.ID, err))
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("jsonl: writing %s to %s: %w", m.ID, j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("jsonl: syncing %s: %w", j.path, err)
	}
	return nil
}

// Close closes the file.
func (j *JSONL) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("jsonl: closing %s: %w", j.path, err)
	}
	return nil
}
