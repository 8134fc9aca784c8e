package ingest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/pii"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func parser(t testing.TB) *Parser {
	t.Helper()
	h, err := pii.New([]byte("test-key-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	return NewParser(Config{MaxBytes: 2048, MaxSkew: time.Minute, Now: func() time.Time { return now }}, h)
}

const good = `{"event_id":"e-000001","ts":"2026-11-02T10:00:00.123Z","type":"add_to_cart","channel":"web",` +
	`"ids":{"cookie":"c-81f2","device":"d-77","customer":"C1042","email":"Jane@Example.com","loyalty":"L-55","crm":"x9"},` +
	`"product_id":"p-123","category":"shoes","value":59.9,"currency":"EUR","store_id":"",` +
	`"props":{"url":"/p/123","scroll_pct":"80","dwell_ms":12000,"consent":true}}`

func TestParseGood(t *testing.T) {
	p := parser(t)
	ev, key, err := p.Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if string(key) != "customer:C1042" {
		t.Errorf("key = %q", key)
	}
	if want := time.Date(2026, 11, 2, 10, 0, 0, 123e6, time.UTC); !ev.TS.Equal(want) {
		t.Errorf("ts = %v, want %v", ev.TS, want)
	}
	if ev.IDs.EmailSHA256 == "" || strings.Contains(good, ev.IDs.EmailSHA256) {
		t.Errorf("e-mail not hashed: %q", ev.IDs.EmailSHA256)
	}
	h, _ := pii.New([]byte("test-key-0123456789"))
	if ev.IDs.EmailSHA256 != h.Email("jane@example.com") {
		t.Error("e-mail digest differs from the normalised address's")
	}
	if ev.Props["dwell_ms"] != "12000" || ev.Props["consent"] != "true" || ev.Props["id.crm"] != "x9" {
		t.Errorf("props = %v", ev.Props)
	}
	if ev.Value != 59.9 || ev.Type != "add_to_cart" || ev.IDs.Loyalty != "L-55" || !ev.IngestTS.Equal(now) {
		t.Errorf("event = %+v", ev)
	}
	// epoch millis
	ev, _, err = p.Parse([]byte(`{"event_id":"e2","ts":1762077600123,"type":"video_play","ids":{"cookie":"c"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.TS.UnixMilli() != 1762077600123 || ev.Type != "video_play" {
		t.Errorf("epoch ts event = %+v", ev)
	}
}

func TestParseRefusals(t *testing.T) {
	p := parser(t)
	cases := []struct {
		name, line, reason, id string
	}{
		{"broken json", `{"event_id":"e1","ts":`, deadletter.MalformedJSON, ""},
		{"not an object", `["e1"]`, deadletter.MalformedJSON, ""},
		{"empty line", ``, deadletter.MalformedJSON, ""},
		{"no event id", `{"ts":"2026-11-02T10:00:00Z","type":"click","ids":{"cookie":"c"}}`, deadletter.MissingField, ""},
		{"no type", `{"event_id":"e1","ts":"2026-11-02T10:00:00Z","ids":{"cookie":"c"}}`, deadletter.MissingField, "e1"},
		{"no ts", `{"event_id":"e1","type":"click","ids":{"cookie":"c"}}`, deadletter.MissingField, "e1"},
		{"missing ids", `{"event_id":"e1","ts":"2026-11-02T10:00:00Z","type":"click"}`, deadletter.MissingIDs, "e1"},
		{"empty ids", `{"event_id":"e1","ts":"2026-11-02T10:00:00Z","type":"click","ids":{"cookie":"","device":"  "}}`, deadletter.MissingIDs, "e1"},
		{"value as string", `{"event_id":"e1","ts":"2026-11-02T10:00:00Z","type":"purchase","value":"abc","ids":{"cookie":"c"}}`, deadletter.WrongType, "e1"},
		{"ts as bool", `{"event_id":"e1","ts":true,"type":"click","ids":{"cookie":"c"}}`, deadletter.BadTimestamp, "e1"},
		{"ids as list", `{"event_id":"e1","ts":"2026-11-02T10:00:00Z","type":"click","ids":["c"]}`, deadletter.WrongType, "e1"},
		{"bad ts", `{"event_id":"e1","ts":"yesterday","type":"click","ids":{"cookie":"c"}}`, deadletter.BadTimestamp, "e1"},
		{"future ts", `{"event_id":"e1","ts":"2026-11-20T12:05:00Z","type":"click","ids":{"cookie":"c"}}`, deadletter.FutureTimestamp, "e1"},
		{"bad email", `{"event_id":"e1","ts":"2026-11-02T10:00:00Z","type":"click","ids":{"email":"nobody"}}`, deadletter.Invalid, "e1"},
		{"oversized", `{"event_id":"e1","ts":"2026-11-02T10:00:00Z","type":"click","ids":{"cookie":"c"},"props":{"x":"` + strings.Repeat("a", 3000) + `"}}`, deadletter.Oversized, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := p.Parse([]byte(c.line))
			var ie *Error
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if ie.Reason != c.reason || ie.EventID != c.id {
				t.Fatalf("reason %q id %q (%v), want %q %q", ie.Reason, ie.EventID, ie.Err, c.reason, c.id)
			}
		})
	}
}

func TestKeyPrefersStrongIdentifiers(t *testing.T) {
	p := parser(t)
	ev, key, err := p.Parse([]byte(`{"event_id":"e1","ts":"2026-11-02T10:00:00Z","type":"page_view","ids":{"cookie":"c-1","device":"d-1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(key) != "device:d-1" || ev.IDs.Cookie != "c-1" {
		t.Fatalf("key %q, ids %+v", key, ev.IDs)
	}
}

func BenchmarkParse(b *testing.B) {
	p := parser(b)
	line := []byte(good)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, _, err := p.Parse(line); err != nil {
			b.Fatal(err)
		}
	}
}
