package identity

import "testing"

func TestPlaceholders(t *testing.T) {
	p := newPlaceholders([]string{"guest-user", "XXXX"})
	for _, v := range []string{
		"", " ", "null", "NULL", "undefined", "Anonymous", "-1", "0", "0000", "00000000-0000-0000-0000-000000000000",
		"---", "guest-user", "xxxx", " n/a ",
	} {
		if !p.is(v) {
			t.Errorf("%q is not recognised as a placeholder", v)
		}
	}
	for _, v := range []string{"c-81f2", "C1042", "d-0", "0a", "L-55", "anonymous1", "10"} {
		if p.is(v) {
			t.Errorf("%q taken for a placeholder", v)
		}
	}
}
