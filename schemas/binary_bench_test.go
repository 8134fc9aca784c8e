package schemas

import (
	"fmt"
	"testing"
	"time"
)

// sessionStateOf is a profile with open sessions of hits events each, the
// state the sessions processor decodes and encodes on every event.
func sessionStateOf(sessions, hits int) *SessionState {
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	st := &SessionState{MaxTS: t0, Arrived: t0}
	for s := range sessions {
		var o OpenSession
		for i := range hits {
			o.Hits = append(o.Hits, SessionHit{
				EventID: fmt.Sprintf("e-%08d-%04d", s, i), TS: t0.Add(time.Duration(s*hits+i) * time.Second), Type: "page_view",
				Channel: "web", Device: "device:8c1f0d2e", URL: fmt.Sprintf("https://shop.example/p/%d", i%7), ProductID: "sku-1234",
				Value: 19.9, Qty: 1, ScrollPct: 60, DwellMS: 4200,
			})
		}
		st.Open = append(st.Open, o)
	}
	return st
}

// BenchmarkSessionState measures the hand-written Avro body of a session
// state with 2 open sessions of 20 events, both ways.
func BenchmarkSessionState(b *testing.B) {
	st := sessionStateOf(2, 20)
	body := st.avroAppend(nil)
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			st.avroAppend(nil)
		}
	})
	b.Run("read", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		var out SessionState
		for b.Loop() {
			if err := out.avroRead(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
