package identity

import (
	"strings"
	"testing"

	"github.com/activa-dev/activa/schemas"
)

// idsOf builds the identifiers of an event from kind:value keys, the inverse
// of identifiers; an unknown kind fails t.
func idsOf(t testing.TB, keys ...string) schemas.IDs {
	t.Helper()
	var out schemas.IDs
	fields := map[string]*string{
		"customer": &out.Customer, "loyalty": &out.Loyalty, "email_sha256": &out.EmailSHA256,
		"phone_sha256": &out.PhoneSHA256, "device": &out.Device, "cookie": &out.Cookie,
	}
	for _, key := range keys {
		k, v, _ := strings.Cut(key, ":")
		f, ok := fields[k]
		if !ok {
			t.Fatalf("unknown identifier kind in %s", key)
		}
		*f = v
	}
	return out
}

// IDsOf is idsOf for the tests of package identity_test.
var IDsOf = idsOf
