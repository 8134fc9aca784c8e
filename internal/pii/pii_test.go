package pii

import "testing"

func TestEmailNormalisedAndKeyed(t *testing.T) {
	a, err := New([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := New([]byte("fedcba9876543210"))
	if err != nil {
		t.Fatal(err)
	}
	x := a.Email("  Jane.Doe@Example.COM ")
	if x == "" || len(x) != 64 {
		t.Fatalf("digest %q is not 64 hex chars", x)
	}
	if y := a.Email("jane.doe@example.com"); y != x {
		t.Fatalf("normalisation: %s != %s", y, x)
	}
	if z := b.Email("jane.doe@example.com"); z == x {
		t.Fatal("different keys gave the same digest")
	}
	if a.Phone("jane.doe@example.com") == x {
		t.Fatal("phone and e-mail domains collide")
	}
	for _, bad := range []string{"", "   ", "no-at-sign", "@example.com", "jane@"} {
		if got := a.Email(bad); got != "" {
			t.Errorf("Email(%q) = %q, want empty", bad, got)
		}
	}
}

func TestPhone(t *testing.T) {
	h, err := New([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Phone("+49 (30) 1234-567") != h.Phone("+49301234567") {
		t.Fatal("formatting changed the digest")
	}
	if h.Phone("+49301234567") == h.Phone("49301234567") {
		t.Fatal("leading + ignored")
	}
	if h.Phone("12-3") != "" {
		t.Fatal("too short number hashed")
	}
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}
