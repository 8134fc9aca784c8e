package identity

import (
	"testing"
	"time"

	"github.com/activa-dev/activa/schemas"
)

func TestIdentifiersStrongestFirstWithoutPlaceholders(t *testing.T) {
	got := identifiers(schemas.IDs{Cookie: "c1", Device: "undefined", Customer: "C9", Loyalty: "0000", EmailSHA256: "ab"}, newPlaceholders(nil))
	want := []string{"customer:C9", "email_sha256:ab", "cookie:c1"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestOlder(t *testing.T) {
	t0 := time.UnixMilli(1000)
	t1 := time.UnixMilli(2000)
	cases := []struct {
		ca   time.Time
		a    string
		cb   time.Time
		b    string
		want bool
	}{
		{t0, "p-b", t1, "p-a", true},
		{t1, "p-a", t0, "p-b", false},
		{t0, "p-a", t0, "p-b", true},
		{t0, "p-b", t0, "p-a", false},
		{time.Time{}, "p-a", t1, "p-b", false},
		{t1, "p-b", time.Time{}, "p-a", true},
	}
	for _, c := range cases {
		if got := older(c.ca, c.a, c.cb, c.b); got != c.want {
			t.Errorf("older(%v %s, %v %s) = %v", c.ca, c.a, c.cb, c.b, got)
		}
		if c.a != c.b && older(c.ca, c.a, c.cb, c.b) == older(c.cb, c.b, c.ca, c.a) {
			t.Errorf("older is not antisymmetric for %s and %s", c.a, c.b)
		}
	}
}

func TestRemember(t *testing.T) {
	var n schemas.IdentityNode
	now := time.UnixMilli(1_000_000)
	if d, ch := remember(&n, "e1", 0, 10, now, time.Hour, 3); d != fresh || !ch {
		t.Fatalf("first sight: %v %v", d, ch)
	}
	if d, _ := remember(&n, "e1", 0, 10, now, time.Hour, 3); d != again {
		t.Fatalf("same offset: %v, want again", d)
	}
	if d, _ := remember(&n, "e1", 0, 99, now, time.Hour, 3); d != duplicate {
		t.Fatalf("other offset: %v, want duplicate", d)
	}
	if d, _ := remember(&n, "e1", 1, 10, now, time.Hour, 3); d != duplicate {
		t.Fatalf("other partition: %v, want duplicate", d)
	}
	for i, id := range []string{"e2", "e3", "e4"} {
		remember(&n, id, 0, int64(11+i), now, time.Hour, 3)
	}
	if len(n.Seen) != 3*seenEntry {
		t.Fatalf("kept %d bytes, want 3 entries", len(n.Seen))
	}
	if d, _ := remember(&n, "e1", 0, 50, now, time.Hour, 3); d != fresh {
		t.Fatalf("evicted id: %v, want fresh", d)
	}
	later := now.Add(2 * time.Hour)
	remember(&n, "e9", 0, 60, later, time.Hour, 3)
	if len(n.Seen) != seenEntry {
		t.Fatalf("horizon not applied: %d bytes kept", len(n.Seen))
	}
	if d, _ := remember(&n, "e9", 0, 60, later, time.Hour, 3); d != again {
		t.Fatalf("entry kept is not e9: %v", d)
	}
}

func TestLimits(t *testing.T) {
	l := Limits{Kinds: map[string]int{"customer": 1}, Max: 3}
	if r := l.admit(map[string]int32{"customer": 1}, 1, "customer"); r == nil || r.reason != "kind_limit" || r.limit != 1 || r.existing != 1 {
		t.Fatalf("second customer admitted: %+v", r)
	}
	if r := l.admit(map[string]int32{"customer": 1}, 1, "cookie"); r != nil {
		t.Fatalf("cookie refused: %+v", r)
	}
	if r := l.admit(map[string]int32{"cookie": 3}, 3, "cookie"); r == nil || r.reason != "identifier_cap" {
		t.Fatalf("cap not applied: %+v", r)
	}
	if r := l.union(map[string]int32{"customer": 1, "cookie": 2}, map[string]int32{"customer": 1}); r == nil || r.kind != "customer" {
		t.Fatalf("union of two customers allowed: %+v", r)
	}
	if r := l.union(map[string]int32{"customer": 1, "cookie": 9}, map[string]int32{"cookie": 9}); r != nil {
		t.Fatalf("union refused: %+v", r)
	}
}

func TestNewProfileIDIsDeterministic(t *testing.T) {
	a, b := newProfileID("cookie:c1", "e1"), newProfileID("cookie:c1", "e1")
	if a != b || a == newProfileID("cookie:c1", "e2") || len(a) != 18 {
		t.Fatalf("ids %s %s", a, b)
	}
}
