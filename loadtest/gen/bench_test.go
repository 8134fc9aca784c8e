package gen

import (
	"fmt"
	"io"
	"testing"
)

// BenchmarkGenerate measures populations over 14 days written to
// io.Discard, without truth; lines/s is the generation rate.
func BenchmarkGenerate(b *testing.B) {
	for _, profiles := range []int{2000, 20000} {
		b.Run(fmt.Sprintf("profiles=%d/days=14", profiles), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Profiles = profiles
			var st Stats
			for b.Loop() {
				var err error
				if st, err = Generate(cfg, io.Discard, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(st.Lines), "lines/op")
			b.ReportMetric(float64(st.Lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
