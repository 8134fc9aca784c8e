package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/schemas"
)

// Config bounds what ingestion accepts.
type Config struct {
	// MaxBytes is the largest accepted line. Default 64 KiB.
	MaxBytes int
	// MaxSkew is how far in the future (against Now) a timestamp may lie.
	// Default 5 minutes.
	MaxSkew time.Duration
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

// DefaultConfig returns the default limits.
func DefaultConfig() Config {
	return Config{MaxBytes: 64 << 10, MaxSkew: 5 * time.Minute, Now: time.Now}
}

// Error is a refused line: the dead-letter reason and what went wrong.
type Error struct {
	// Reason is one of the deadletter reasons.
	Reason string
	// EventID is the event id when it could be read.
	EventID string
	// Err says what is wrong.
	Err error
}

func (e *Error) Error() string { return e.Reason + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

func refuse(reason, id string, format string, a ...any) *Error {
	return &Error{Reason: reason, EventID: id, Err: fmt.Errorf(format, a...)}
}

// Parser parses lines. It is not safe for concurrent use: give each
// goroutine its own.
type Parser struct {
	cfg  Config
	hash *pii.Hasher
}

// NewParser returns a parser hashing PII with h.
func NewParser(cfg Config, h *pii.Hasher) *Parser {
	d := DefaultConfig()
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = d.MaxBytes
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = d.MaxSkew
	}
	if cfg.Now == nil {
		cfg.Now = d.Now
	}
	return &Parser{cfg: cfg, hash: h}
}

// fields are the members of an input line other than props.
type fields struct {
	EventID   *string           `json:"event_id"`
	TS        json.RawMessage   `json:"ts"`
	Type      *string           `json:"type"`
	Channel   string            `json:"channel"`
	IDs       map[string]string `json:"ids"`
	ProductID string            `json:"product_id"`
	Category  string            `json:"category"`
	Value     float64           `json:"value"`
	Currency  string            `json:"currency"`
	StoreID   string            `json:"store_id"`
}

// line is decoded by the fast decoder: props must map strings to strings.
type line struct {
	fields
	Props map[string]string `json:"props"`
}

// lenientLine is decoded by encoding/json when the fast decoder refuses a
// line: props may also hold numbers and booleans.
type lenientLine struct {
	fields
	Props props `json:"props"`
}

// props accepts string values and, leniently, numbers and booleans, which
// it keeps in their JSON spelling.
type props map[string]string

func (p *props) UnmarshalJSON(b []byte) error {
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err == nil {
		*p = m
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for k, v := range raw {
		switch {
		case len(v) > 0 && v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			m[k] = s
		case len(v) > 0 && (v[0] == '{' || v[0] == '['):
			return fmt.Errorf("props.%s is not a scalar", k)
		case string(v) == "null":
		default:
			m[k] = string(v)
		}
	}
	*p = m
	return nil
}

// Parse validates one line and returns the event and its key on
// events.raw. A refused line yields an *Error.
func (p *Parser) Parse(b []byte) (schemas.Event, []byte, error) {
	var ev schemas.Event
	var err error
	if len(b) > p.cfg.MaxBytes {
		return ev, nil, refuse(deadletter.Oversized, "", "line of %d bytes exceeds the %d byte limit", len(b), p.cfg.MaxBytes)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return ev, nil, refuse(deadletter.MalformedJSON, "", "not a JSON object")
	}
	var l lenientLine
	// The fast decoder handles the common case; a line it refuses is decoded
	// again by encoding/json, which accepts scalar props and whose errors say
	// precisely what is wrong.
	var fast line
	if gojson.Unmarshal(b, &fast) == nil {
		l = lenientLine{fields: fast.fields, Props: fast.Props}
	} else {
		err = json.Unmarshal(b, &l)
	}
	if err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			id := ""
			if l.EventID != nil {
				id = *l.EventID // decoding goes on past a type error
			}
			return ev, nil, refuse(deadletter.WrongType, id, "field %s: JSON %s where %s expected", te.Field, te.Value, te.Type)
		}
		return ev, nil, refuse(deadletter.MalformedJSON, "", "%w", err)
	}
	if l.EventID == nil || *l.EventID == "" {
		return ev, nil, refuse(deadletter.MissingField, "", "event_id missing or empty")
	}
	id := *l.EventID
	if l.Type == nil || *l.Type == "" {
		return ev, nil, refuse(deadletter.MissingField, id, "type missing or empty")
	}
	if len(l.TS) == 0 || string(l.TS) == "null" {
		return ev, nil, refuse(deadletter.MissingField, id, "ts missing")
	}
	ts, err := ParseTime(l.TS)
	if err != nil {
		return ev, nil, refuse(deadletter.BadTimestamp, id, "ts %s: %w", l.TS, err)
	}
	now := p.cfg.Now()
	if ts.After(now.Add(p.cfg.MaxSkew)) {
		return ev, nil, refuse(deadletter.FutureTimestamp, id, "ts %s is %s ahead of the clock (allowed skew %s)", ts.Format(time.RFC3339Nano), ts.Sub(now).Round(time.Second), p.cfg.MaxSkew)
	}
	ev = schemas.Event{
		EventID: id, TS: ts, Type: *l.Type, Channel: l.Channel,
		ProductID: l.ProductID, Category: l.Category, Value: l.Value,
		Currency: l.Currency, StoreID: l.StoreID, Props: l.Props,
		IngestTS: now.UTC().Truncate(time.Millisecond),
	}
	if err := p.ids(&ev, l.IDs); err != nil {
		err.EventID = id
		return schemas.Event{}, nil, err
	}
	key := Key(ev.IDs)
	if key == nil {
		return schemas.Event{}, nil, refuse(deadletter.MissingIDs, id, "no non-empty identifier in ids")
	}
	return ev, key, nil
}

func (p *Parser) ids(ev *schemas.Event, ids map[string]string) *Error {
	for k, v := range ids {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		switch k {
		case "cookie":
			ev.IDs.Cookie = v
		case "device":
			ev.IDs.Device = v
		case "customer":
			ev.IDs.Customer = v
		case "loyalty":
			ev.IDs.Loyalty = v
		case "email_sha256":
			ev.IDs.EmailSHA256 = strings.ToLower(v)
		case "phone_sha256":
			ev.IDs.PhoneSHA256 = strings.ToLower(v)
		case "email":
			if ev.IDs.EmailSHA256 = p.hash.Email(v); ev.IDs.EmailSHA256 == "" {
				return refuse(deadletter.Invalid, "", "ids.email is not an e-mail address")
			}
		case "phone":
			if ev.IDs.PhoneSHA256 = p.hash.Phone(v); ev.IDs.PhoneSHA256 == "" {
				return refuse(deadletter.Invalid, "", "ids.phone is not a phone number")
			}
		default:
			if ev.Props == nil {
				ev.Props = map[string]string{}
			}
			ev.Props["id."+k] = v
		}
	}
	return nil
}

// Key returns the key of an event on events.raw: "kind:value" of its
// strongest identifier (customer, loyalty, e-mail, phone, device, cookie),
// or nil when it has none.
func Key(ids schemas.IDs) []byte {
	for _, kv := range [...]struct{ k, v string }{
		{"customer", ids.Customer},
		{"loyalty", ids.Loyalty},
		{"email_sha256", ids.EmailSHA256},
		{"phone_sha256", ids.PhoneSHA256},
		{"device", ids.Device},
		{"cookie", ids.Cookie},
	} {
		if kv.v != "" {
			return []byte(kv.k + ":" + kv.v)
		}
	}
	return nil
}

// ParseTime reads a JSON timestamp: an RFC 3339 string or a number of epoch
// milliseconds.
func ParseTime(raw json.RawMessage) (time.Time, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, err
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("not RFC 3339: %w", err)
		}
		return t.UTC().Truncate(time.Millisecond), nil
	}
	ms, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(raw), 64)
		if ferr != nil {
			return time.Time{}, errors.New("neither an RFC 3339 string nor epoch milliseconds")
		}
		ms = int64(f)
	}
	if ms <= 0 {
		return time.Time{}, errors.New("epoch milliseconds must be positive")
	}
	return time.UnixMilli(ms).UTC(), nil
}
