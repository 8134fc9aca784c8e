package replay_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/activa-dev/activa/internal/ingest"
	"github.com/activa-dev/activa/loadtest/gen"
	"github.com/activa-dev/activa/loadtest/replay"
)

// BenchmarkReplay replays a generated population into the embedded broker
// at maximum rate: JSON parsing, validation, PII hashing, Avro encoding and
// producing. It reports accepted events per second.
func BenchmarkReplay(b *testing.B) {
	cfg := gen.DefaultConfig()
	cfg.Profiles, cfg.Days = 2000, 7
	var input bytes.Buffer
	if _, err := gen.Generate(cfg, &input, nil); err != nil {
		b.Fatal(err)
	}
	e := setup(b)
	cl, err := e.kc.NewClient(e.kc.ProducerOpts()...)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ing := ingest.DefaultConfig()
	ing.Now = func() time.Time { return cfg.Start.AddDate(0, 0, cfg.Days+1) }
	var events int64
	var elapsed time.Duration
	b.ResetTimer()
	for b.Loop() {
		st, err := replay.Run(context.Background(), replay.Config{Topic: "raw", Deadletter: "dlq", HashKey: []byte("0123456789abcdef"), Ingest: ing},
			bytes.NewReader(input.Bytes()), cl, e.codecs, nil)
		if err != nil {
			b.Fatal(err)
		}
		events += st.Produced
		elapsed += st.Elapsed
	}
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}
