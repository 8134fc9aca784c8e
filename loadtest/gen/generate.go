package gen

import (
	"cmp"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Stats counts what Generate wrote.
type Stats struct {
	Lines      int            // lines written, malformed ones included
	Events     int            // well-formed events
	Malformed  int            // malformed lines
	Persons    int            // persons in the population
	Sessions   int            // visits with at least one event
	Purchases  int            // purchase and store_purchase events
	Revenue    float64        // EUR of those purchases
	Suppressed int            // purchases removed by planted shortfalls
	ByType     map[string]int // well-formed events per type
}

// Generate writes the events of the population selected by cfg to w as
// JSON Lines in event-time order, one day of events per call to w.Write
// at most, and fills truth unless it is nil. The same cfg writes the same
// bytes and the same truth, whatever the number of CPUs. After an error
// the truth is incomplete.
func Generate(cfg Config, w io.Writer, truth *Truth) (Stats, error) {
	return generate(cfg, w, truth, runtime.GOMAXPROCS(0))
}

// generator holds what a run shares: the population, the plan and the
// tables. Workers change persons only, each its own.
type generator struct {
	cfg                 Config
	truth               *Truth
	cat                 *catalog
	startMs, endMs      int64
	onlineDay, storeDay [7]float64
	persons             []person
	households          []household
	shortfalls          []shortfall
	tallies             []tally // per shortfall, summed over workers
}

// worker generates the days of a contiguous range of persons.
type worker struct {
	g        *generator
	r        *source
	lo, hi   int
	events   []event
	visits   []visit
	sess     session
	sessions int
	tallies  []tally // per shortfall
}

// key orders events: by time, then person, then the person's sequence.
type key struct {
	ms  int64
	tie uint64
	e   *event
}

func appendKeys(keys []key, events []event) []key {
	for i := range events {
		e := &events[i]
		keys = append(keys, key{ms: e.ms, tie: uint64(e.person)<<32 | uint64(e.seq), e: e})
	}
	return keys
}

func generate(cfg Config, w io.Writer, truth *Truth, workers int) (Stats, error) {
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	start := cfg.Start.UTC()
	g := &generator{
		cfg: cfg, truth: truth, cat: newCatalog(),
		startMs: start.UnixMilli(), endMs: start.Add(time.Duration(cfg.Days) * 24 * time.Hour).UnixMilli(),
	}
	for d := range time.Weekday(7) {
		g.onlineDay[d] = weekdayFactor(onlineDays, d)
		g.storeDay[d] = weekdayFactor(storeDays, d)
	}
	g.buildPopulation()
	g.planShortfalls()
	if truth != nil {
		g.initTruth()
	}

	workers = max(1, min(workers, cfg.Profiles/500, 16))
	ws := make([]*worker, workers)
	for i := range ws {
		ws[i] = &worker{
			g: g, r: newSource(), lo: i * cfg.Profiles / workers, hi: (i + 1) * cfg.Profiles / workers,
			tallies: make([]tally, len(g.shortfalls)),
		}
	}
	out := &output{g: g, w: w, r: newSource()}
	out.r.reseed(cfg.Seed, streamMalformed, 0, 0)
	// Events of visits that run past midnight wait in carry for the next
	// day; next is the carry being filled while carry is written.
	var carry, next []event
	var keys []key
	for d := range cfg.Days {
		runDay(ws, d)
		keys = appendKeys(keys[:0], carry)
		for _, wk := range ws {
			keys = appendKeys(keys, wk.events)
		}
		slices.SortFunc(keys, func(a, b key) int {
			if c := cmp.Compare(a.ms, b.ms); c != 0 {
				return c
			}
			return cmp.Compare(a.tie, b.tie)
		})
		// Later days only hold visits that start after this day ends.
		cut := g.startMs + int64(d+1)*dayMs
		if d == cfg.Days-1 {
			cut = math.MaxInt64
		}
		next = next[:0]
		out.lines = out.lines[:0]
		for _, k := range keys {
			if k.ms >= cut {
				next = append(next, *k.e)
				continue
			}
			out.plan(k.e)
		}
		if err := out.writePlanned(workers); err != nil {
			return out.stats, err
		}
		carry, next = next, carry
		if cfg.Progress != nil {
			cfg.Progress(d+1, cfg.Days)
		}
	}
	st := &out.stats
	st.Persons = len(g.persons)
	st.ByType = make(map[string]int)
	for t, n := range out.byType {
		if n > 0 {
			st.ByType[typeNames[t]] = n
		}
	}
	g.tallies = make([]tally, len(g.shortfalls))
	for _, wk := range ws {
		st.Sessions += wk.sessions
		for i, t := range wk.tallies {
			st.Suppressed += t.lostOrders
			g.tallies[i].orders += t.orders
			g.tallies[i].lostOrders += t.lostOrders
			g.tallies[i].cents += t.cents
			g.tallies[i].lostCents += t.lostCents
		}
	}
	st.Revenue = float64(out.revenue) / 100
	if truth != nil {
		g.finishTruth()
	}
	return out.stats, nil
}

// runDay lets every worker generate day d of its persons.
func runDay(ws []*worker, d int) {
	run := func(wk *worker) {
		wk.events = wk.events[:0]
		for i := wk.lo; i < wk.hi; i++ {
			wk.day(&wk.g.persons[i], d)
		}
	}
	if len(ws) == 1 {
		run(ws[0])
		return
	}
	var wg sync.WaitGroup
	for _, wk := range ws {
		wg.Go(func() { run(wk) })
	}
	wg.Wait()
}
