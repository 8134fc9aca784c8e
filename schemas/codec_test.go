package schemas

import (
	"context"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

func newRegistry(t *testing.T) *sr.Client {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func sampleEvent() Event {
	return Event{
		EventID:   "e-000001",
		TS:        time.Date(2026, 11, 2, 10, 0, 0, 123e6, time.UTC),
		Type:      "add_to_cart",
		Channel:   "web",
		IDs:       IDs{Cookie: "c-81f2", Device: "d-77", Customer: "C1042", Loyalty: "L-55"},
		ProductID: "p-123", Category: "shoes", Value: 59.9, Currency: "EUR",
		Props: map[string]string{"url": "/p/123", "scroll_pct": "80"},
	}
}

func TestCodecRoundTripWireFormat(t *testing.T) {
	ctx := context.Background()
	cl := newRegistry(t)
	c, err := Register[Event](ctx, cl, "activa.events.raw-value", EventRecord)
	if err != nil {
		t.Fatal(err)
	}
	in := sampleEvent()
	b, err := c.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != 0 {
		t.Fatalf("magic byte = %d, want 0", b[0])
	}
	if id := int(binary.BigEndian.Uint32(b[1:5])); id != c.ID() {
		t.Fatalf("schema id in header = %d, want %d", id, c.ID())
	}
	out, err := c.DecodeTyped(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*out, in) {
		t.Fatalf("round trip changed the event:\n got %+v\nwant %+v", *out, in)
	}
	// Registering again is idempotent: same id.
	c2, err := Register[Event](ctx, cl, "activa.events.raw-value", EventRecord)
	if err != nil {
		t.Fatal(err)
	}
	if c2.ID() != c.ID() {
		t.Fatalf("second registration got id %d, want %d", c2.ID(), c.ID())
	}
}

func TestCodecUnknownSchemaID(t *testing.T) {
	ctx := context.Background()
	cl := newRegistry(t)
	c, err := Register[Event](ctx, cl, "activa.events.raw-value", EventRecord)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Encode(sampleEvent())
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint32(b[1:5], 4242)
	if _, err := c.Decode(b); !errors.Is(err, ErrUnknownSchema) {
		t.Fatalf("decode with unknown id: err = %v, want ErrUnknownSchema", err)
	}
	if _, err := c.Decode([]byte{1, 2}); err == nil {
		t.Fatal("decode of two bytes succeeded")
	}
}

func TestCodecReadsOtherRecordAsError(t *testing.T) {
	ctx := context.Background()
	cl := newRegistry(t)
	ev, err := Register[Event](ctx, cl, "t-value", EventRecord)
	if err != nil {
		t.Fatal(err)
	}
	dl, err := Register[DeadLetter](ctx, cl, "d-value", DeadLetterRecord)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dl.Encode(DeadLetter{Stage: "replay", Reason: "x", Original: []byte("{")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Decode(b); !errors.Is(err, ErrUnknownSchema) {
		t.Fatalf("decoding a DeadLetter as Event: err = %v, want ErrUnknownSchema", err)
	}
}

func TestResolvedEventInlinesEvent(t *testing.T) {
	ctx := context.Background()
	cl := newRegistry(t)
	c, err := Register[ResolvedEvent](ctx, cl, "r-value", ResolvedEventRecord)
	if err != nil {
		t.Fatal(err)
	}
	in := ResolvedEvent{ProfileID: "p-1", Event: sampleEvent(), ResolvedTS: time.UnixMilli(1_700_000_000_000).UTC()}
	b, err := c.Encode(&in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.DecodeTyped(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*out, in) {
		t.Fatalf("round trip changed the record:\n got %+v\nwant %+v", *out, in)
	}
}

// TestNativeFastPathMatchesReflection: the hand-written generic form of an
// event equals the one built by reflection, field by field.
func TestNativeFastPathMatchesReflection(t *testing.T) {
	ev := sampleEvent()
	ev.IngestTS = time.UnixMilli(1_763_000_000_123).UTC()
	fast, err := toNative(reflect.ValueOf(&ev))
	if err != nil {
		t.Fatal(err)
	}
	// A value that is not addressable takes the reflective path.
	slow, err := toNative(reflect.ValueOf(ev))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fast path differs from reflection:\nfast %#v\nslow %#v", fast, slow)
	}
	res := ResolvedEvent{ProfileID: "p", Event: ev}
	n, err := toNative(reflect.ValueOf(&res))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(n.(map[string]any)["event"], slow) {
		t.Fatal("nested event differs from reflection")
	}
}
