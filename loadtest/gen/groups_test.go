package gen

import (
	"math"
	"strconv"
	"testing"
)

func TestGroupSharesSumToOne(t *testing.T) {
	var sum float64
	for _, g := range groups {
		sum += g.share
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Fatalf("group shares sum to %v", sum)
	}
}

func TestGroupProportions(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Profiles, cfg.Days, cfg.Shortfalls = 20000, 1, 0
	var truth Truth
	if _, err := Generate(cfg, discard{}, &truth); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range truth.Persons {
		count[p.Group]++
	}
	for _, g := range truth.Groups {
		share := float64(count[g.Name]) / float64(cfg.Profiles)
		if g.Persons != count[g.Name] || math.Abs(share-g.Share) > 0.015 {
			t.Errorf("%s: %d persons (%.3f), truth says %d, expected share %.3f", g.Name, count[g.Name], share, g.Persons, g.Share)
		}
	}
}

// groupStats summarises the behaviour of one group in the fixture.
type groupStats struct {
	persons, sessions, bought, cartAbandoned, formAbandoned int
	channel                                                 map[string]int
	revenue                                                 float64
	dwell, views                                            float64
}

func TestGroupsBehaveDifferently(t *testing.T) {
	d := loadFixture(t)
	stats := map[string]*groupStats{}
	group := map[string]string{}
	for _, p := range d.truth.Persons {
		s := stats[p.Group]
		if s == nil {
			s = &groupStats{channel: map[string]int{}}
			stats[p.Group] = s
		}
		group[p.ID] = p.Group
		s.persons++
		s.revenue += p.Revenue
		for _, v := range p.Sessions {
			s.sessions++
			s.channel[v.Channel]++
			if v.Purchased {
				s.bought++
			}
			if v.CartAbandoned {
				s.cartAbandoned++
			}
			if v.FormAbandoned {
				s.formAbandoned++
			}
		}
	}
	for _, r := range d.recs {
		if r == nil || r.Type != "product_view" {
			continue
		}
		if p := d.personOf(r); p != "" {
			ms, err := strconv.Atoi(r.Props["dwell_ms"])
			if err != nil {
				t.Fatal(err)
			}
			stats[group[p]].dwell += float64(ms)
			stats[group[p]].views++
		}
	}
	days := float64(d.cfg.Days)
	visits := func(g string) float64 { return float64(stats[g].sessions) / float64(stats[g].persons) / days }
	share := func(g string, n int) float64 { return float64(n) / float64(stats[g].sessions) }
	for g, s := range stats {
		t.Logf("%-18s %5d persons %.2f visits/day buy %.2f cart abandoned %.2f form abandoned %.3f %.0f EUR/person dwell %.0f ms channels %v",
			g, s.persons, visits(g), share(g, s.bought), share(g, s.cartAbandoned), share(g, s.formAbandoned), s.revenue/float64(s.persons), s.dwell/s.views, s.channel)
	}
	checks := []struct {
		what string
		ok   bool
	}{
		{"window browsers never buy", stats["window_browser"].bought == 0},
		{"store-only shoppers shop in store", share("store_only", stats["store_only"].channel["store"]) > 0.85},
		{"impulse buyers use the app", share("app_impulse", stats["app_impulse"].channel["app"]) > 0.75},
		{"lapsed customers hardly come", visits("lapsed") < 0.1 && visits("bargain_hunter") > 5*visits("lapsed")},
		{"big spenders spend", stats["loyal_big_spender"].revenue/float64(stats["loyal_big_spender"].persons) >
			3*stats["bargain_hunter"].revenue/float64(stats["bargain_hunter"].persons)},
		{"bargain hunters abandon carts", share("bargain_hunter", stats["bargain_hunter"].cartAbandoned) >
			3*share("loyal_big_spender", stats["loyal_big_spender"].cartAbandoned)},
		{"researchers abandon forms", share("researcher", stats["researcher"].formAbandoned) >
			2*share("window_browser", stats["window_browser"].formAbandoned)},
		{"browsers dwell, impulse buyers do not", stats["window_browser"].dwell/stats["window_browser"].views >
			4*stats["app_impulse"].dwell/stats["app_impulse"].views},
	}
	for _, c := range checks {
		if !c.ok {
			t.Error(c.what + ": not so")
		}
	}
}
