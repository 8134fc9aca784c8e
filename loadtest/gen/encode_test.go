package gen

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

func TestAppendTS(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	cases := []int64{0, -1, 1, 951782400000 /* 2000-02-29 */, 4102444799999}
	for range 10000 {
		cases = append(cases, r.Int64N(8_000_000_000_000)-1_000_000_000_000)
	}
	for _, ms := range cases {
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
		if got := string(appendTS(nil, ms)); got != want {
			t.Fatalf("appendTS(%d) = %s, want %s", ms, got, want)
		}
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `quo"te`, `back\slash`, "tab\tnew\nline\x01", "<html> & ü"} {
		var back string
		if err := json.Unmarshal(appendString(nil, s), &back); err != nil || back != s {
			t.Errorf("appendString(%q) reads back as %q, %v", s, back, err)
		}
	}
}

func TestEventID(t *testing.T) {
	for id, want := range map[uint64]string{1: "e-000000001", 123456789: "e-123456789", 1234567890: "e-1234567890"} {
		if got := eventID(id); got != want {
			t.Errorf("eventID(%d) = %s, want %s", id, got, want)
		}
	}
}
