package cli

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/internal/ingest"
	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// BenchmarkTierChangeLatency measures, with every processor running on
// the embedded broker under a background replay of a generated population
// at ACTIVA_BENCH_RATE events/s (default 5,000), how long a purchase that
// crosses a tier threshold takes from being produced to events.raw to its
// segment.changes record being read: every 100 ms a new person buys for
// 600 (from no tier to gold), ACTIVA_BENCH_PROBES times (default 300),
// after a 10 s warm-up. It reports the median, 90th and 99th percentile.
// ACTIVA_BENCH_PROFILES and ACTIVA_BENCH_DAYS size the background
// population (default 20,000 persons, 2 days).
func BenchmarkTierChangeLatency(b *testing.B) {
	profiles, days := envInt("ACTIVA_BENCH_PROFILES", 20_000), envInt("ACTIVA_BENCH_DAYS", 2)
	rate, probes := envInt("ACTIVA_BENCH_RATE", 5000), envInt("ACTIVA_BENCH_PROBES", 300)
	b.StopTimer()
	for range b.N {
		path, truth := populationB(b, profiles, days)
		p := startPipelineB(b)
		p.rate = float64(rate)
		p.start()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() {
			// The background load; it ends when its file does, or with the
			// benchmark (the replay returns on cancel).
			_, _ = p.replayCtx(ctx, path)
		})
		time.Sleep(10 * time.Second)
		lat := probeTierChanges(b, p, truth.Start, probes)
		cancel()
		wg.Wait()
		p.stop()
		slices.Sort(lat)
		q := func(f float64) float64 {
			return float64(lat[int(f*float64(len(lat)-1))]) / float64(time.Millisecond)
		}
		b.ReportMetric(q(0.5), "p50-ms")
		b.ReportMetric(q(0.9), "p90-ms")
		b.ReportMetric(q(0.99), "p99-ms")
		b.ReportMetric(float64(len(lat)), "probes")
	}
	b.ReportMetric(0, "ns/op")
}

// probeTierChanges produces n purchases of new persons, one every 100 ms,
// each to be read back as a tier change, and returns the latencies.
func probeTierChanges(b *testing.B, p *pipeline, at time.Time, n int) []time.Duration {
	b.Helper()
	ev, err := topology.Typed[schemas.Event](p.codecs, topology.EventsRaw)
	if err != nil {
		b.Fatal(err)
	}
	h, err := pii.New([]byte(demoHashKey))
	if err != nil {
		b.Fatal(err)
	}
	parser := ingest.NewParser(ingest.DefaultConfig(), h)
	prod, err := p.c.producer()
	if err != nil {
		b.Fatal(err)
	}
	defer prod.Close()
	changes, err := p.c.kc.NewClient(kgo.ConsumeTopics(p.c.cat.Name(topology.SegmentChanges)), kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	if err != nil {
		b.Fatal(err)
	}
	defer changes.Close()
	codec, err := topology.Typed[schemas.SegmentChange](p.codecs, topology.SegmentChanges)
	if err != nil {
		b.Fatal(err)
	}
	// Make sure the consumer has its end offsets before the first probe.
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n)*time.Second)
	defer cancel()
	changes.PollRecords(ctx, 1)

	var mu sync.Mutex
	sent := map[string]time.Time{}
	var lat []time.Duration
	done := make(chan struct{})
	go func() {
		defer close(done)
		for len(lat) < n && ctx.Err() == nil {
			changes.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				c, err := codec.DecodeTyped(r.Value)
				if err != nil || c.Kind != "tier" {
					return
				}
				mu.Lock()
				if t0, ok := sent[c.CauseEventID]; ok {
					lat = append(lat, time.Since(t0))
					delete(sent, c.CauseEventID)
				}
				mu.Unlock()
			})
		}
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := range n {
		<-tick.C
		id := fmt.Sprintf("probe-%06d", i)
		line := fmt.Sprintf(`{"event_id":%q,"ts":%q,"type":"purchase","channel":"web","ids":{"customer":"PROBE-%06d"},"category":"beauty","value":600,"currency":"EUR","props":{"order_id":"O-%s","items":"1"}}`,
			id, at.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), i, id)
		e, key, err := parser.Parse([]byte(line))
		if err != nil {
			b.Fatal(err)
		}
		val, err := ev.Encode(&e)
		if err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		sent[id] = time.Now()
		mu.Unlock()
		prod.Produce(ctx, &kgo.Record{Topic: p.c.cat.Name(topology.EventsRaw), Key: key, Value: val, Timestamp: e.TS}, nil)
	}
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(lat) < n {
		b.Fatalf("%d of %d probes came back as tier changes", len(lat), n)
	}
	return lat
}
