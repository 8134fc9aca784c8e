package schemas_test

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/activa-dev/activa/schemas"
)

// Register a record's schema under a topic's subject and round-trip a value
// through the Confluent wire format.
func ExampleRegister() {
	reg := srfake.New()
	defer reg.Close()
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		panic(err)
	}
	codec, err := schemas.Register[schemas.Event](context.Background(), cl, "activa.events.raw-value", schemas.EventRecord)
	if err != nil {
		panic(err)
	}
	b, err := codec.Encode(schemas.Event{
		EventID: "e-1", TS: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), Type: "page_view",
		IDs: schemas.IDs{Cookie: "c-81f2"},
	})
	if err != nil {
		panic(err)
	}
	ev, err := codec.DecodeTyped(b)
	if err != nil {
		panic(err)
	}
	fmt.Printf("magic %d, schema id %d, %s %s by cookie %s\n", b[0], codec.ID(), ev.EventID, ev.Type, ev.IDs.Cookie)
	// Output: magic 0, schema id 1, e-1 page_view by cookie c-81f2
}
