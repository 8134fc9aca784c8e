package gen

import (
	"math"
	"time"
)

// Dimensions a shortfall can hit.
const (
	DimensionStore    = "store"
	DimensionChannel  = "channel"
	DimensionCategory = "category"
)

// shortfall is a planned Shortfall in the generator's terms.
type shortfall struct {
	dim        string
	value      int // store, channel or category index
	start, end int64
	drop       float64
}

// Candidate series: busy enough for the drop to stand out of the noise.
var (
	shortfallStores     = []int{0} // S-01 only: smaller stores are too noisy for a 30% drop to stand out
	shortfallCategories = []int{catFashion, catElectronics, catHome, catShoes}
	shortfallChannels   = []int{int(chWeb), int(chApp), int(chStore)}
)

// planShortfalls places cfg.Shortfalls windows in the second half of the
// period (from day 1 on when the period allows), one per equal slot so that
// no two windows overlap. A window opens at a whole hour of the morning
// trade (9:00 to 12:00 UTC, when online traffic has picked up and stores
// open, Monday to Saturday for a store's series) so that the day it opens on can still
// miss its plan: a drop that begins as trade does is the one an early
// warning exists for. It lasts 24 to 72 hours when the slot is long
// enough, else to the slot's end, and removes 30% to 50% of the matching
// purchases. A slot with no morning hour to open in (a period of a few
// days) gets a window anywhere in it.
func (g *generator) planShortfalls() {
	n := g.cfg.Shortfalls
	if n == 0 {
		return
	}
	r := newSource()
	r.reseed(g.cfg.Seed, streamPlan, 0, 0)
	total := int64(g.cfg.Days) * 24
	first := total / 2
	if g.cfg.Days >= 2 {
		first = max(first, 24)
	}
	slotH := (total - first) / int64(n)
	dims := [...]string{DimensionStore, DimensionCategory, DimensionChannel}
	off := r.IntN(len(dims))
	seen := map[[2]int]bool{}
	for i := range n {
		dimIdx := (off + i) % len(dims)
		var value int
		for range 16 { // prefer a series not hit yet; windows never overlap, so a repeat is harmless
			switch dims[dimIdx] {
			case DimensionStore:
				value = shortfallStores[r.IntN(len(shortfallStores))]
			case DimensionCategory:
				value = shortfallCategories[r.IntN(len(shortfallCategories))]
			default:
				value = shortfallChannels[r.IntN(len(shortfallChannels))]
			}
			if !seen[[2]int{dimIdx, value}] {
				break
			}
		}
		seen[[2]int{dimIdx, value}] = true
		from, to := first+int64(i)*slotH, first+int64(i+1)*slotH
		stores := dims[dimIdx] == DimensionStore || dims[dimIdx] == DimensionChannel && value == int(chStore)
		startH, dur := g.window(r, from, to, stores)
		drop := math.Round((0.30+0.20*r.Float64())*100) / 100
		g.shortfalls = append(g.shortfalls, shortfall{
			dim: dims[dimIdx], value: value, drop: drop,
			start: g.startMs + startH*hourMs, end: g.startMs + (startH+dur)*hourMs,
		})
	}
}

// minMorningWindow is the shortest window, in hours, that opens in the
// morning trade: the rest of the trading day.
const minMorningWindow = 8

// window draws the start and the length, in hours from the period's start,
// of a window in the slot of hours [from, to); stores tells that the
// series trades in stores only, which close on Sunday.
func (g *generator) window(r *source, from, to int64, stores bool) (start, dur int64) {
	var mornings []int64
	for h := from; h+minMorningWindow <= to; h++ {
		t := time.UnixMilli(g.startMs + h*hourMs).UTC()
		if t.Hour() >= 9 && t.Hour() <= 12 && (!stores || t.Weekday() != time.Sunday) {
			mornings = append(mornings, h)
		}
	}
	if len(mornings) > 0 {
		start = mornings[r.IntN(len(mornings))]
		left := to - start
		return start, r.between(min(24, left), min(72, left))
	}
	slotH := to - from
	dur = r.between(24, 72)
	if dur > slotH {
		lo := int64(24)
		if slotH < lo {
			lo = (slotH + 1) / 2
		}
		dur = r.between(lo, slotH)
	}
	return from + r.Int64N(slotH-dur+1), dur
}

// shortfallOf returns the index of the planted shortfall whose window and
// series hold the purchase e, or -1.
func (g *generator) shortfallOf(e *event) int {
	for i := range g.shortfalls {
		s := &g.shortfalls[i]
		if e.ms < s.start || e.ms >= s.end {
			continue
		}
		var hit bool
		switch s.dim {
		case DimensionStore:
			hit = int(e.store) == s.value
		case DimensionChannel:
			hit = int(e.channel) == s.value
		default:
			hit = int(e.category) == s.value
		}
		if hit {
			return i
		}
	}
	return -1
}

// suppress decides whether shortfall i removes the purchase e. The
// decision hashes the person and its event sequence number, so it draws
// from no person's random stream: everything else is the same with or
// without shortfalls.
func (g *generator) suppress(i int, e *event) bool {
	return unit(g.cfg.Seed, streamSuppress, uint64(e.person), uint64(e.seq)) < g.shortfalls[i].drop
}

// tally counts the purchases of each shortfall's series in its window:
// those kept and those suppressed.
type tally struct {
	orders, lostOrders int
	cents, lostCents   int64
}

// truthShortfalls converts the plan for the truth.
func (g *generator) truthShortfalls() []Shortfall {
	out := make([]Shortfall, 0, len(g.shortfalls))
	for i, s := range g.shortfalls {
		var v string
		switch s.dim {
		case DimensionStore:
			v = g.cat.stores[s.value]
		case DimensionChannel:
			v = channelNames[s.value]
		default:
			v = categories[s.value].name
		}
		out = append(out, Shortfall{
			Dimension: s.dim, Value: v, Drop: s.drop,
			Start: time.UnixMilli(s.start).UTC(), End: time.UnixMilli(s.end).UTC(),
			Orders: g.tallies[i].orders, Revenue: float64(g.tallies[i].cents) / 100,
			LostOrders: g.tallies[i].lostOrders, LostRevenue: float64(g.tallies[i].lostCents) / 100,
		})
	}
	return out
}
