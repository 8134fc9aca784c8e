package ingest_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/activa-dev/activa/internal/ingest"
	"github.com/activa-dev/activa/internal/pii"
)

func ExampleParser_Parse() {
	h, err := pii.New([]byte("a-secret-of-at-least-16-bytes"))
	if err != nil {
		panic(err)
	}
	p := ingest.NewParser(ingest.Config{Now: func() time.Time { return time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC) }}, h)
	ev, key, err := p.Parse([]byte(`{"event_id":"e-1","ts":"2026-11-02T10:00:00Z","type":"login","ids":{"cookie":"c-1","customer":"C7","email":"Ann@Example.com"}}`))
	fmt.Println(string(key), ev.Type, len(ev.IDs.EmailSHA256), err)
	_, _, err = p.Parse([]byte(`{"event_id":"e-2","ts":"2026-11-02T10:00:00Z","type":"click","ids":{}}`))
	var refused *ingest.Error
	if errors.As(err, &refused) {
		fmt.Println(refused.Reason, refused.EventID)
	}
	// Output:
	// customer:C7 login 64 <nil>
	// missing_ids e-2
}
