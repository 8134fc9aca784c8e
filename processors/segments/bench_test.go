package segments

import (
	"testing"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// BenchmarkPlace evaluates the default tier and lifecycle rules on one
// feature change, as the processor does for each.
func BenchmarkPlace(b *testing.B) {
	c, err := DefaultRules().compile()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	f := schemas.ProfileFeatures{ProfileID: "p-1", Monetary90d: 420, Orders: 3, FirstSeen: now.AddDate(0, -2, 0), LastSeen: now, LastOrderTS: now.AddDate(0, 0, -3)}
	cur := placement{Tier: "silver", Lifecycle: "active", Cluster: noCluster}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.Monetary90d = float64(400 + i%200) // crosses gold's threshold now and then
		env := EnvOf(&f, now)
		pl, _, err := c.place(&env, cur, cause{eventID: "e-1", ts: now})
		if err != nil {
			b.Fatal(err)
		}
		cur = pl
	}
}
