package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// record is an input event as a consumer reads it.
type record struct {
	EventID   string            `json:"event_id"`
	TS        string            `json:"ts"`
	Type      string            `json:"type"`
	Channel   string            `json:"channel"`
	IDs       map[string]string `json:"ids"`
	ProductID string            `json:"product_id"`
	Category  string            `json:"category"`
	Value     *float64          `json:"value"`
	Currency  string            `json:"currency"`
	StoreID   string            `json:"store_id"`
	Props     map[string]string `json:"props"`

	at time.Time
}

var (
	eventIDPattern = regexp.MustCompile(`^e-[0-9]{9,}$`)
	knownTypes     = setOf(typeNames[:]...)
	knownKinds     = setOf(idKindNames[:]...)
	knownChannels  = map[string]bool{"web": true, "app": true, "store": true}
	knownPurposes  = map[string]bool{"email": true, "sms": true, "push": true, "ads": true, "analytics": true}
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// parseRecord decodes a line strictly and checks it against the input
// format: a line it refuses must be one the truth lists as malformed.
func parseRecord(line []byte, start, end time.Time) (record, error) {
	var r record
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("decoding: %w", err)
	}
	if dec.More() {
		return r, errors.New("trailing data")
	}
	if !eventIDPattern.MatchString(r.EventID) {
		return r, fmt.Errorf("event id %q", r.EventID)
	}
	at, err := time.Parse(time.RFC3339Nano, r.TS)
	if err != nil {
		return r, fmt.Errorf("ts: %w", err)
	}
	if at.Before(start) || !at.Before(end.Add(6*time.Hour)) {
		return r, fmt.Errorf("ts %s outside the period", r.TS)
	}
	r.at = at
	if !knownTypes[r.Type] {
		return r, fmt.Errorf("type %q", r.Type)
	}
	if !knownChannels[r.Channel] || (r.Channel == "store") != (r.Type == "store_purchase") {
		return r, fmt.Errorf("channel %q for %s", r.Channel, r.Type)
	}
	if len(r.IDs) == 0 {
		return r, errors.New("no ids")
	}
	for k, v := range r.IDs {
		if !knownKinds[k] || v == "" {
			return r, fmt.Errorf("id %q=%q", k, v)
		}
	}
	if (r.Value != nil) != (r.Currency == "EUR") || r.Value != nil && *r.Value < 0 {
		return r, fmt.Errorf("value %v %q", r.Value, r.Currency)
	}
	switch r.Type {
	case "purchase", "store_purchase":
		if r.Value == nil || *r.Value <= 0 || r.Category == "" {
			return r, errors.New("purchase without value or category")
		}
	case "consent":
		if !knownPurposes[r.Props["purpose"]] || r.Props["granted"] != "true" && r.Props["granted"] != "false" {
			return r, fmt.Errorf("consent props %v", r.Props)
		}
	case "form_start", "form_submit", "form_abandon":
		if r.Props["form_id"] == "" {
			return r, errors.New("form event without form_id")
		}
	}
	if r.Type == "store_purchase" && r.StoreID == "" {
		return r, errors.New("store purchase without store")
	}
	return r, nil
}

// identifierKey is how the truth keys an identifier of an event:
// e-mail and phone normalised as ingestion does.
func identifierKey(kind, v string) string {
	switch kind {
	case "email":
		v = strings.ToLower(strings.TrimSpace(v))
	case "phone":
		var b strings.Builder
		for i, r := range strings.TrimSpace(v) {
			if r >= '0' && r <= '9' || r == '+' && i == 0 {
				b.WriteRune(r)
			}
		}
		v = b.String()
	}
	return kind + ":" + v
}

// dataset is one generated run, split into lines and parsed.
type dataset struct {
	cfg     Config
	data    []byte
	lines   [][]byte
	recs    []*record // nil for a line parseRecord refused
	errs    []error
	truth   *Truth
	stats   Stats
	persons map[string]string // unshared identifier key -> person
}

func (d *dataset) personOf(r *record) string {
	for k, v := range r.IDs {
		if p, ok := d.persons[identifierKey(k, v)]; ok {
			return p
		}
	}
	return ""
}

func newDataset(cfg Config) (*dataset, error) {
	d := &dataset{cfg: cfg, truth: &Truth{}}
	var buf bytes.Buffer
	st, err := Generate(cfg, &buf, d.truth)
	if err != nil {
		return nil, err
	}
	d.stats, d.data = st, buf.Bytes()
	d.lines = bytes.SplitAfter(d.data, []byte("\n"))
	if n := len(d.lines); n > 0 && len(d.lines[n-1]) == 0 {
		d.lines = d.lines[:n-1]
	}
	d.recs = make([]*record, len(d.lines))
	d.errs = make([]error, len(d.lines))
	for i, l := range d.lines {
		r, err := parseRecord(l, d.truth.Start, d.truth.End)
		if err != nil {
			d.errs[i] = err
			continue
		}
		d.recs[i] = &r
	}
	d.persons = map[string]string{}
	for k, owners := range d.truth.IdentifierOwner {
		if len(owners) == 1 {
			d.persons[k] = owners[0]
		}
	}
	return d, nil
}

// fixtureConfig is the run most tests read: 3,000 persons over 14 days.
func fixtureConfig() Config {
	cfg := DefaultConfig()
	cfg.Profiles = 3000
	cfg.Seed = 7
	return cfg
}

var fixture = sync.OnceValues(func() (*dataset, error) { return newDataset(fixtureConfig()) })

func loadFixture(t *testing.T) *dataset {
	t.Helper()
	d, err := fixture()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
