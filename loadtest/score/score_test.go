package score

import (
	"testing"

	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/loadtest/gen"
)

func TestIdentityPairs(t *testing.T) {
	h, err := pii.New([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	truth := &gen.Truth{
		Persons: []gen.Person{
			{ID: "P1", Linked: [][]string{{"cookie:a", "device:a", "email:a@x.io"}, {"cookie:lonely"}}},
			{ID: "P2", Linked: [][]string{{"cookie:b", "device:b", "device:shared"}}},
			{ID: "P3", Linked: [][]string{{"cookie:c", "device:shared"}}},
		},
		IdentifierOwner: map[string][]string{
			"cookie:a": {"P1"}, "device:a": {"P1"}, "email:a@x.io": {"P1"}, "cookie:lonely": {"P1"},
			"cookie:b": {"P2"}, "device:b": {"P2"}, "cookie:c": {"P3"}, "device:shared": {"P2", "P3"},
		},
	}
	perfect := map[string]string{
		"cookie:a": "p1", "device:a": "p1", Key(h, "email:a@x.io"): "p1", "cookie:lonely": "p9",
		"cookie:b": "p2", "device:b": "p2", "cookie:c": "p3",
	}
	got, err := IdentityPairs(truth, h, func(k string) (string, error) { return perfect[k], nil })
	if err != nil {
		t.Fatal(err)
	}
	// Graded: 7 identifiers (the shared device left out); true pairs 3 + 1.
	if got.Identifiers != 7 || got.True != 4 || got.Predicted != 4 || got.Precision() != 1 || got.Recall() != 1 {
		t.Fatalf("perfect clustering graded %+v", got)
	}
	// Everything in one profile: every true pair found, most predicted
	// pairs wrong.
	got, _ = IdentityPairs(truth, h, func(string) (string, error) { return "p", nil })
	if got.Recall() != 1 || got.Predicted != 21 || got.Precision() != 4.0/21 {
		t.Fatalf("single profile graded %+v", got)
	}
	// Nothing resolved: no predicted pair, no true pair found.
	got, _ = IdentityPairs(truth, h, func(string) (string, error) { return "", nil })
	if got.Recall() != 0 || got.Precision() != 1 || got.Unresolved != 7 {
		t.Fatalf("nothing resolved graded %+v", got)
	}
	// The raw e-mail is looked up under its keyed digest.
	if k := Key(h, "email:a@x.io"); k == "email:a@x.io" || len(k) != len("email_sha256:")+64 {
		t.Fatalf("key %s", k)
	}
}
