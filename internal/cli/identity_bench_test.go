package cli

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// BenchmarkIdentity measures the identity stage alone on the embedded
// broker: a generated population is replayed into events.raw first, then
// the processor starts and the time until it has caught up (its input and
// loopback fully committed) is measured. ACTIVA_BENCH_PROFILES and
// ACTIVA_BENCH_DAYS size the population (default 100,000 persons, 1 day),
// ACTIVA_BENCH_PARTITIONS the topics (default the catalog's 8). It
// reports events/s and the local state per person.
func BenchmarkIdentity(b *testing.B) { benchmarkStages(b, []string{"identity"}) }

// BenchmarkPipeline is BenchmarkIdentity for every processor of the
// topology together, until all have caught up.
func BenchmarkPipeline(b *testing.B) { benchmarkStages(b, processorNames()) }

// BenchmarkEventStages is BenchmarkPipeline for the processors that read
// events: identity, sessions, triggers and features, without segments.
func BenchmarkEventStages(b *testing.B) {
	benchmarkStages(b, []string{"identity", "sessions", "triggers", "features"})
}

func benchmarkStages(b *testing.B, names []string) {
	profiles, days := envInt("ACTIVA_BENCH_PROFILES", 100_000), envInt("ACTIVA_BENCH_DAYS", 1)
	b.StopTimer()
	for range b.N {
		path, _ := populationB(b, profiles, days)
		p := startPipelineWith(b, int32(envInt("ACTIVA_BENCH_PARTITIONS", int(topology.DefaultCatalog().Partitions))))
		p.names = names
		groups := groupsOf(p, names)
		st := p.replayOnly(path)
		b.StartTimer()
		began := time.Now()
		p.start()
		if err := waitCaughtUp(context.Background(), p.c, groups, 30*time.Minute); err != nil {
			b.Fatal(err)
		}
		took := time.Since(began)
		b.StopTimer()
		b.ReportMetric(float64(st.Produced)/took.Seconds(), "events/s")
		b.ReportMetric(float64(dirSize(p.state))/float64(profiles), "state-bytes/person")
		p.stop()
	}
	b.ReportMetric(0, "ns/op")
}

// BenchmarkSegments measures segments and segments-model alone, with
// k = ACTIVA_BENCH_CLUSTERS (default 200): the event processors first turn
// the population into profile.features, then the two start and the time
// until they have caught up is measured. It reports feature updates/s, and
// how many points segments sent the model in full batches (one per
// profile's closed session or order).
func BenchmarkSegments(b *testing.B) {
	profiles, days := envInt("ACTIVA_BENCH_PROFILES", 100_000), envInt("ACTIVA_BENCH_DAYS", 1)
	measured := []string{"segments", "segments-model"}
	b.StopTimer()
	for range b.N {
		path, _ := populationB(b, profiles, days)
		p := startPipelineB(b)
		p.c.s.SegmentClusters = envInt("ACTIVA_BENCH_CLUSTERS", 200)
		p.names = []string{"identity", "sessions", "triggers", "features"}
		p.replayOnly(path)
		p.start()
		if err := waitCaughtUp(context.Background(), p.c, groupsOf(p, p.names), 30*time.Minute); err != nil {
			b.Fatal(err)
		}
		p.stop()
		updates := endOffsets(b, p, topology.ProfileFeatures)
		p.names = measured
		b.StartTimer()
		began := time.Now()
		p.start()
		if err := waitCaughtUp(context.Background(), p.c, groupsOf(p, measured), 30*time.Minute); err != nil {
			b.Fatal(err)
		}
		took := time.Since(began)
		b.StopTimer()
		b.ReportMetric(float64(updates)/took.Seconds(), "updates/s")
		b.ReportMetric(float64(updates), "updates")
		p.stop()
		var points int
		readAll(p, topology.SegmentPoints, func(_ string, v *schemas.SegmentPoints) { points += len(v.Points) })
		b.ReportMetric(float64(points), "model-points")
	}
	b.ReportMetric(0, "ns/op")
}

// groupsOf returns the group names of processors.
func groupsOf(p *pipeline, names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, p.c.cat.Name(n))
	}
	return out
}

// endOffsets is the number of records a catalog topic holds.
func endOffsets(b *testing.B, p *pipeline, topic string) int64 {
	b.Helper()
	cl, err := p.c.kc.NewClient()
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), p.c.cat.Name(topic))
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
