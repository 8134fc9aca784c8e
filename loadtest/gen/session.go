package gen

import (
	"cmp"
	"slices"
	"time"
)

const (
	minVisitGap  = 45 * minMs // least time between two visits of a person
	maxDwell     = 10 * minMs // longest time between two events of a visit
	maxCart      = 8          // most items in a cart
	unknownShare = 0.004      // chance per interaction of an unknown event type
	variantShare = 0.1        // events spelling e-mail or phone another way
	maxSteps     = 60         // most interactions per visit
	partnerLogin = 0.8        // login probability on a household tablet
)

// visit is a planned visit of a person.
type visit struct {
	ms int64
	ch uint8
}

// day generates the visits of p on day d.
func (w *worker) day(p *person, d int) {
	if p.erasedAt != 0 {
		return
	}
	g, r := w.g, w.r
	r.reseed(g.cfg.Seed, streamDay, uint64(p.idx), uint64(d))
	gr := &groups[p.group]
	dayStart := g.startMs + int64(d)*dayMs
	wd := time.UnixMilli(dayStart).UTC().Weekday()
	rate := gr.visits * p.activity
	online := gr.channels[chWeb] + gr.channels[chApp]
	app := p.hasApp()
	w.visits = w.visits[:0]
	for range r.poisson(rate * online * g.onlineDay[wd]) {
		ch := chWeb
		if app && r.Float64()*online >= gr.channels[chWeb] {
			ch = chApp
		}
		w.visits = append(w.visits, visit{ms: w.visitTime(dayStart, ch), ch: ch})
	}
	for range r.poisson(rate * gr.channels[chStore] * g.storeDay[wd]) {
		w.visits = append(w.visits, visit{ms: w.visitTime(dayStart, chStore), ch: chStore})
	}
	slices.SortFunc(w.visits, func(a, b visit) int { return cmp.Compare(a.ms, b.ms) })
	for _, v := range w.visits {
		start := v.ms
		if p.lastEnd != 0 && start < p.lastEnd+minVisitGap {
			start = p.lastEnd + minVisitGap + r.Int64N(20*minMs)
		}
		if start >= g.endMs {
			return
		}
		if v.ch == chStore {
			p.lastEnd = w.store(p, start)
		} else {
			p.lastEnd = w.online(p, v.ch, start)
		}
		if p.erasedAt != 0 {
			return
		}
	}
}

// visitTime draws when a visit on channel ch starts in the 24 hours from
// dayStart, following the hour-of-day weights of the channel (UTC).
func (w *worker) visitTime(dayStart int64, ch uint8) int64 {
	h := int64(w.r.pick(hourWeights[ch][:]))
	return dayStart + (h-int64(hourOf(dayStart))+24)%24*hourMs + w.r.Int64N(hourMs)
}

// session is the visit being generated.
type session struct {
	p             *person
	sl            *slot  // device of an online visit
	store         string // store of a store visit
	ch            uint8
	start, t      int64 // start, and time of the current event
	next          int64 // time left until the next interaction
	first, last   int64 // first and last event emitted
	cookie        uint64
	base          uint64 // identifiers on every event of the visit
	loggedIn      bool
	cart          [maxCart]int32
	ncart         int
	events        int
	purchased     bool
	lastLine      int64 // time of the latest add_to_cart still in the cart
	purchasedAt   int64
	formAbandoned bool
	value         int64
}

// emit stamps e with the visit and appends it, unless a planted shortfall
// suppresses it; it reports whether e was kept.
func (w *worker) emit(s *session, e event) bool {
	p := s.p
	e.person, e.seq, e.ms, e.channel = p.idx, p.seq, s.t, s.ch
	p.seq++
	if e.mask&(bit(bitEmail)|bit(bitPhone)) != 0 && w.r.chance(variantShare) {
		e.variant = true
	}
	if e.typ == tPurchase || e.typ == tStorePurchase {
		if i := w.g.shortfallOf(&e); i >= 0 {
			t := &w.tallies[i]
			if w.g.suppress(i, &e) {
				t.lostOrders++
				t.lostCents += e.cents
				return false
			}
			t.orders++
			t.cents += e.cents
		}
	}
	w.events = append(w.events, e)
	p.used |= e.mask
	p.link(e.mask &^ p.shared)
	p.events++
	if e.typ == tPurchase || e.typ == tStorePurchase {
		p.purchases++
		p.revenue += e.cents
	}
	if s.events == 0 {
		s.first = s.t
	}
	s.events++
	s.last = s.t
	return true
}

// record closes the visit and keeps it in the truth.
func (w *worker) record(s *session) {
	if s.events == 0 {
		return
	}
	w.sessions++
	t := w.g.truth
	if t == nil {
		return
	}
	ts := Session{
		Start: time.UnixMilli(s.first).UTC(), End: time.UnixMilli(s.last).UTC(),
		Channel: channelNames[s.ch], Events: s.events,
		Purchased: s.purchased, CartAbandoned: s.ncart > 0 && !s.purchased,
		FormAbandoned: s.formAbandoned, Value: float64(s.value) / 100,
	}
	if s.ncart > 0 {
		ts.CartAt = time.UnixMilli(s.lastLine).UTC()
	}
	if s.purchased {
		ts.PurchasedAt = time.UnixMilli(s.purchasedAt).UTC()
	}
	if s.sl != nil {
		ts.Device = s.sl.dev.id
	}
	ts.Store = s.store
	tp := &t.Persons[s.p.idx]
	tp.Sessions = append(tp.Sessions, ts)
}

// store generates a store purchase; it returns when the visit ended.
func (w *worker) store(p *person, start int64) int64 {
	g, r := w.g, w.r
	gr := &groups[p.group]
	var mask uint64
	if p.has(bitLoyalty) {
		mask |= bit(bitLoyalty)
	}
	if p.known && (mask == 0 || r.chance(0.3)) {
		mask |= bit(bitCustomer)
	}
	store := p.homeStore
	if r.chance(0.25) {
		store = int8(r.pick(g.cat.storeWeight[:]))
	}
	items := 1 + r.poisson(gr.storeItems-1)
	var total, top int64
	topCat := 0
	for range items {
		cat := r.pick(gr.categories[:])
		price := g.cat.prices[cat][w.rank(gr)]
		total += price
		if price > top {
			top, topCat = price, cat
		}
	}
	if mask == 0 {
		return start // paid cash without a card: nothing to observe
	}
	s := &w.sess
	*s = session{p: p, ch: chStore, start: start, t: start, store: g.cat.stores[store]}
	e := newEvent(tStorePurchase, mask)
	e.store, e.category, e.cents, e.hasValue = store, int8(topCat), total, true
	e.strNum(kReceipt, "R-", p.reference())
	e.num(kItems, int64(items))
	if w.emit(s, e) {
		s.purchased, s.value = true, total
	}
	w.record(s)
	return start
}

// rank draws a product rank at the group's price level.
func (w *worker) rank(gr *group) int {
	u := w.r.Float64()
	switch gr.price {
	case priceCheap:
		u *= u
	case priceDear:
		u = 1 - u*u
	}
	return min(int(u*productsPerCategory), productsPerCategory-1)
}

// dwell draws the time spent on a page.
func (w *worker) dwell(gr *group) int64 {
	return min(max(int64(w.r.logNormal(gr.dwell, 0.8)), 1000), maxDwell)
}

// scroll draws a scroll depth, a multiple of 5 percent.
func (w *worker) scroll(gr *group) int64 {
	v := gr.scroll + 20*w.r.NormFloat64()
	return min(max(int64(v/5+0.5)*5, 0), 100)
}
