package schemas

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"
)

// TestAppendResolvedEqualsCodec: splicing a raw event into a ResolvedEvent
// gives the bytes the codec writes for the decoded event, and they decode
// back to the same record.
func TestAppendResolvedEqualsCodec(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	ev, err := Register[Event](ctx, reg, "raw-value", EventRecord)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Register[ResolvedEvent](ctx, reg, "resolved-value", ResolvedEventRecord)
	if err != nil {
		t.Fatal(err)
	}
	one := sampleEvent()
	one.Props = map[string]string{"url": "/p/1"}
	for _, e := range []Event{one, sampleEvent(), fullEvent(), {EventID: "e", TS: time.UnixMilli(5).UTC(), Type: "x"}} {
		raw, err := ev.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		when := time.UnixMilli(1_800_000_000_123).UTC()
		got, ok := AppendResolved(nil, res.ID(), ev.ID(), "p-0123456789abcdef", raw, when, 5)
		if !ok {
			t.Fatal("splice refused a raw event of the current schema")
		}
		want, err := res.Encode(ResolvedEvent{ProfileID: "p-0123456789abcdef", Event: e, ResolvedTS: when, SourcePartition: 5})
		if err != nil {
			t.Fatal(err)
		}
		// Map entries are written in Go's random map order, so bytes can be
		// compared only when props hold at most one entry.
		if len(e.Props) <= 1 && !bytes.Equal(got, want) {
			t.Fatalf("spliced bytes differ from the codec's:\n got %x\nwant %x", got, want)
		}
		if len(got) != len(want) {
			t.Fatalf("spliced %d bytes, codec %d", len(got), len(want))
		}
		back, err := res.DecodeTyped(got)
		if err != nil {
			t.Fatal(err)
		}
		if e.Props == nil {
			e.Props = map[string]string{} // an empty map decodes as empty, not nil
		}
		if !reflect.DeepEqual(back.Event, e) {
			t.Fatalf("decoded event %+v, want %+v", back.Event, e)
		}
		if enc, err := res.Encode(Encoded(got)); err != nil || !bytes.Equal(enc, got) {
			t.Fatalf("Encoded not passed through: %v", err)
		}
		other := append([]byte(nil), raw...)
		other[4]++
		if _, ok := AppendResolved(nil, res.ID(), ev.ID(), "p", other, when, 0); ok {
			t.Fatal("splice accepted a raw event of another schema id")
		}
	}
}
