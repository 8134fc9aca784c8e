// Package schematest gives tests an embedded Schema Registry and typed
// codecs registered in it.
package schematest

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/activa-dev/activa/schemas"
)

// Registry starts an embedded registry for the test and returns a client
// of it; both end with the test.
func Registry(t testing.TB) *sr.Client {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	rc, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// Register registers record under subject and returns its codec, failing
// the test on error.
func Register[T any](t testing.TB, rc *sr.Client, subject, record string) *schemas.Codec[T] {
	t.Helper()
	c, err := schemas.Register[T](context.Background(), rc, subject, record)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
