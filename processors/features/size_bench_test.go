package features

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/activa-dev/activa/internal/ingest"
	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/loadtest/gen"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/schemas/schematest"
)

// BenchmarkStateBytes reports the size of the features table per person
// (the Avro value each key holds, as on features-table) for the same
// generated population over 7, 30, 90 and 180 days: the state is bounded,
// so the size per person grows only until the windows and caps fill
// (90 days of order buckets, the categories a person browses, the recent
// ids), and not with the days after. Each person's events
// are folded into one state, as after identity resolved them all.
// ACTIVA_BENCH_PROFILES sizes the population (default 2,000).
func BenchmarkStateBytes(b *testing.B) {
	profiles := 2000
	if v, err := strconv.Atoi(os.Getenv("ACTIVA_BENCH_PROFILES")); err == nil && v > 0 {
		profiles = v
	}
	rc := schematest.Registry(b)
	codec := schematest.Register[schemas.FeatureState](b, rc, "features-table-value", schemas.FeatureStateRecord)
	h, err := pii.New([]byte("a-secret-of-at-least-16-bytes"))
	if err != nil {
		b.Fatal(err)
	}
	r := DefaultRules()
	for _, days := range []int{7, 30, 90, 180} {
		b.Run(fmt.Sprintf("days=%d", days), func(b *testing.B) {
			for range b.N {
				cfg := gen.DefaultConfig()
				cfg.Profiles, cfg.Days, cfg.Seed = profiles, days, 7
				truth := &gen.Truth{}
				var buf bytes.Buffer
				if _, err := gen.Generate(cfg, &buf, truth); err != nil {
					b.Fatal(err)
				}
				parser := ingest.NewParser(ingest.Config{Now: func() time.Time { return truth.End.Add(24 * time.Hour) }, MaxBytes: 1 << 16, MaxSkew: time.Hour}, h)
				states := map[string]*schemas.FeatureState{}
				sc := bufio.NewScanner(&buf)
				sc.Buffer(make([]byte, 1<<20), 1<<20)
				for sc.Scan() {
					ev, _, err := parser.Parse(sc.Bytes())
					if err != nil {
						continue // a malformed line
					}
					who := ""
					for _, id := range []string{"customer:" + ev.IDs.Customer, "device:" + ev.IDs.Device, "cookie:" + ev.IDs.Cookie} {
						if os := truth.IdentifierOwner[id]; len(os) == 1 {
							who = os[0]
							break
						}
					}
					if who == "" {
						continue
					}
					st := states[who]
					if st == nil {
						st = &schemas.FeatureState{Offsets: map[string]int64{"activa.events.resolved": 1 << 40, "activa.sessions.closed": 1 << 30}, Version: 1 << 30}
						states[who] = st
					}
					r.addEvent(st, &ev)
					st.Version++
				}
				var total, biggest int
				for _, st := range states {
					v, err := codec.Encode(st)
					if err != nil {
						b.Fatal(err)
					}
					total += len(v)
					biggest = max(biggest, len(v))
				}
				b.ReportMetric(float64(total)/float64(len(states)), "bytes/person")
				b.ReportMetric(float64(biggest), "max-bytes")
				b.ReportMetric(float64(len(states)), "persons")
			}
		})
	}
}
