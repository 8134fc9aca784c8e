package cli

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// BenchmarkProfileAPI measures a warm lookup through the profile API over
// loopback HTTP: the console served as `activa run --http` serves it, its
// views over the tables of every processor after a replay of a generated
// population (ACTIVA_BENCH_PROFILES persons over ACTIVA_BENCH_DAYS days,
// default 2,000 over 3), each lookup by one of the identifiers of a
// profile in turn, every identifier looked up once before the timing
// starts. A lookup is a GET answered 200 and read whole, on a keep-alive
// connection. It reports the median and 99th percentile in milliseconds.
func BenchmarkProfileAPI(b *testing.B) {
	profiles, days := envInt("ACTIVA_BENCH_PROFILES", 2000), envInt("ACTIVA_BENCH_DAYS", 3)
	r := startConsoleRun(b, profiles, days)
	var paths []string
	for id := range r.states {
		code, p := r.profile(b, "profile:"+id)
		if code != http.StatusOK {
			_, body := r.get(b, "/api/profiles/profile:"+id)
			b.Fatalf("profile:%s: %d %s", id, code, body)
		}
		for _, k := range p.Identifiers {
			paths = append(paths, r.base+"/api/profiles/"+url.PathEscape(k))
		}
	}
	slices.Sort(paths)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	lookup := func(path string) {
		resp, err := client.Get(path)
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
	}
	for _, path := range paths { // warm: every key read once
		lookup(path)
	}
	lat := make([]time.Duration, 0, 1<<16)
	i := 0
	for b.Loop() {
		began := time.Now()
		lookup(paths[i%len(paths)])
		lat = append(lat, time.Since(began))
		i++
	}
	slices.Sort(lat)
	q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(len(paths)), "identifiers")
}
