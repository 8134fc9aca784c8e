package gen

// online generates a web or app visit; it returns when the visit ended.
func (w *worker) online(p *person, ch uint8, start int64) int64 {
	r := w.r
	gr := &groups[p.group]
	s := &w.sess
	*s = session{p: p, ch: ch, start: start, t: start}
	s.sl = p.pickSlot(r, ch == chApp)
	dev := s.sl.dev
	if ch == chWeb {
		s.cookie = bit(s.sl.cookieBit + uint8(dev.cookieAt(start)))
		s.base = s.cookie
		if dev.showsID {
			s.base |= bit(s.sl.bit)
		}
	} else {
		s.base = bit(s.sl.bit)
	}
	login := gr.login
	if dev.household {
		login = partnerLogin
	}
	erase := p.eraseAt != 0 && start >= p.eraseAt
	focus := r.pick(gr.categories[:])

	if r.chance(0.4) {
		w.page(s, gr, "/", -1)
	} else {
		w.page(s, gr, "/c/", focus)
	}
	if ch == chWeb && p.banner&s.cookie == 0 {
		p.banner |= s.cookie
		w.step(s, 1000, 8000)
		w.consent(s, purposeAnalytics, r.chance(0.75))
		w.step(s, 200, 2000)
		w.consent(s, purposeAds, r.chance(0.5))
	}
	if p.known && (erase || r.chance(login)) {
		w.step(s, 2000, 20000)
		w.login(s)
	}
	if s.loggedIn && !p.asked {
		p.asked = true
		w.step(s, 1000, 10000)
		w.consent(s, purposeEmail, r.chance(0.6))
		if p.has(bitPhone) {
			w.step(s, 500, 3000)
			w.consent(s, purposeSMS, r.chance(0.35))
		}
		if ch == chApp {
			w.step(s, 500, 3000)
			w.consent(s, purposePush, r.chance(0.5))
		}
	}

	adds := 0
	if r.chance(gr.cart) {
		adds = min(1+r.poisson(gr.items-1), maxCart)
	}
	steps := min(1+int(r.ExpFloat64()*(gr.steps-1)), maxSteps)
	formAt := -1
	if r.chance(gr.form) {
		formAt = r.IntN(steps)
	}
	actions := [...]float64{0.45, 0.2, gr.search, 0.15}
	for i := range steps {
		s.t += s.next
		s.next = r.Int64N(10000) + 2000
		if i == formAt {
			w.form(s, gr)
		}
		switch r.pick(actions[:]) {
		case 0:
			cat := focus
			if r.chance(0.2) {
				cat = r.pick(gr.categories[:])
			}
			num := productNum(cat, w.rank(gr))
			w.productView(s, gr, num)
			if adds > 0 && (r.chance(0.5) || i == steps-1) {
				adds--
				w.addToCart(s, num)
			}
		case 1:
			if r.chance(0.5) {
				w.page(s, gr, contentPages[r.IntN(len(contentPages))], -1)
			} else {
				w.page(s, gr, "/c/", r.pick(gr.categories[:]))
			}
		case 2:
			e := newEvent(tSearch, s.base)
			e.str(kQuery, categories[focus].query)
			e.num(kResults, r.Int64N(120))
			w.emit(s, e)
		default:
			e := newEvent(tClick, s.base)
			e.str(kTarget, clickTargets[r.IntN(len(clickTargets))])
			w.emit(s, e)
		}
		if r.chance(unknownShare) {
			w.step(s, 1000, 5000)
			e := newEvent(tVideoPlay, s.base)
			e.strNum(kURL, "/v/", r.Int64N(500)+1)
			e.num(kDuration, r.Int64N(120000)+5000)
			w.emit(s, e)
		}
	}
	s.t += s.next
	if s.ncart > 0 && r.chance(min(1, gr.checkout*conversion(hourOf(s.t)))) {
		w.checkout(s, gr)
	}
	if s.loggedIn && r.chance(0.03) {
		w.changeConsent(s)
	}
	if erase {
		w.step(s, 5000, 60000)
		e := newEvent(tErasureRequest, s.base|bit(bitCustomer)|p.emailBit())
		e.strNum(kRequest, "X-", p.reference())
		w.emit(s, e)
		p.erasedAt = s.t
	}
	w.record(s)
	return s.t
}

func hourOf(ms int64) int { return int(ms % dayMs / hourMs) }

// step moves the visit on by lo to hi milliseconds.
func (w *worker) step(s *session, lo, hi int64) { s.t += w.r.between(lo, hi) }

func (w *worker) page(s *session, gr *group, url string, cat int) {
	d := w.dwell(gr)
	e := newEvent(tPageView, s.base)
	if cat >= 0 {
		url += categories[cat].name
	}
	e.str(kURL, url)
	e.num(kDwell, d)
	e.num(kScroll, w.scroll(gr))
	w.emit(s, e)
	s.next = d
}

func (w *worker) productView(s *session, gr *group, num int32) {
	d, sc := w.dwell(gr), w.scroll(gr)
	e := newEvent(tProductView, s.base)
	e.product, e.category = num, int8(productCategory(num))
	e.cents, e.hasValue = w.g.cat.price(num), true
	e.strNum(kURL, "/p/", int64(num))
	e.num(kDwell, d)
	e.num(kScroll, sc)
	w.emit(s, e)
	s.next = d
	if sc >= 50 && w.r.chance(0.5) {
		s.t += d / 3
		s.next -= d / 3
		e := newEvent(tScroll, s.base)
		e.strNum(kURL, "/p/", int64(num))
		e.num(kScroll, sc)
		w.emit(s, e)
	}
}

func (w *worker) addToCart(s *session, num int32) {
	r := w.r
	s.t += s.next / 2
	s.next -= s.next / 2
	qty := int64(1)
	if r.chance(0.15) {
		qty = 2
	}
	e := newEvent(tAddToCart, s.base)
	e.product, e.category = num, int8(productCategory(num))
	e.cents, e.hasValue = w.g.cat.price(num), true // the unit price; props.qty says how many
	e.strNum(kURL, "/p/", int64(num))
	e.num(kQty, qty)
	prev := s.lastLine
	if w.emit(s, e) {
		s.lastLine = s.t
	}
	if s.ncart < maxCart {
		s.cart[s.ncart] = num
		s.ncart++
	}
	if r.chance(0.1) {
		w.step(s, 3000, 20000)
		s.ncart--
		s.lastLine = prev
		e := newEvent(tRemoveFromCart, s.base)
		e.product, e.category = num, int8(productCategory(num))
		e.cents, e.hasValue = w.g.cat.price(num), true
		e.num(kQty, 1)
		w.emit(s, e)
	}
}

func (w *worker) form(s *session, gr *group) {
	r := w.r
	id := formNames[r.pick(gr.forms[:])]
	e := newEvent(tFormStart, s.base)
	e.str(kForm, id)
	w.emit(s, e)
	if !r.chance(gr.formAbandon) {
		w.step(s, 20000, 180000)
		e := newEvent(tFormSubmit, s.base)
		e.str(kForm, id)
		w.emit(s, e)
		return
	}
	s.formAbandoned = true
	if r.chance(0.5) {
		w.step(s, 30000, 300000)
		e := newEvent(tFormAbandon, s.base)
		e.str(kForm, id)
		e.num(kFields, r.Int64N(6))
		w.emit(s, e)
	}
}

// login links the visit's cookie and device to the customer.
func (w *worker) login(s *session) {
	p, r := s.p, w.r
	if s.ch == chApp {
		mask := s.base | bit(s.sl.bit) | bit(bitCustomer) | p.emailBit()
		if r.chance(0.5) {
			mask |= p.phoneBit()
		}
		if p.has(bitLoyalty) && r.chance(0.3) {
			mask |= bit(bitLoyalty)
		}
		w.emit(s, newEvent(tIdentify, mask))
	} else {
		mask := s.base | s.cookie | bit(s.sl.bit) | bit(bitCustomer)
		if r.chance(0.6) {
			mask |= p.emailBit()
		}
		e := newEvent(tLogin, mask)
		e.str(kMethod, [...]string{"password", "password", "magic_link", "social"}[r.IntN(4)])
		w.emit(s, e)
	}
	s.loggedIn = true
	s.base |= bit(bitCustomer)
}

func (w *worker) checkout(s *session, gr *group) {
	p, r := s.p, w.r
	if p.known && !s.loggedIn {
		w.login(s)
		w.step(s, 5000, 30000)
	}
	var total, top int64
	topCat := 0
	for _, num := range s.cart[:s.ncart] {
		price := w.g.cat.price(num)
		total += price
		if price > top {
			top, topCat = price, productCategory(num)
		}
	}
	e := newEvent(tCheckoutStart, s.base)
	e.cents, e.hasValue = total, true
	e.num(kItems, int64(s.ncart))
	w.emit(s, e)
	w.step(s, 30000, 300000)
	if !r.chance(gr.pay) {
		return
	}
	e = newEvent(tPurchase, s.base)
	e.category, e.cents, e.hasValue = int8(topCat), total, true
	e.strNum(kOrder, "O-", p.reference())
	e.num(kItems, int64(s.ncart))
	if w.emit(s, e) {
		s.purchased, s.value, s.purchasedAt = true, total, s.t
	}
}

func (w *worker) consent(s *session, purpose int, granted bool) {
	e := newEvent(tConsent, s.base)
	e.str(kPurpose, purposeNames[purpose])
	if granted {
		e.str(kGranted, "true")
		s.p.consent[purpose] = 1
	} else {
		e.str(kGranted, "false")
		s.p.consent[purpose] = -1
	}
	w.emit(s, e)
}

// changeConsent grants or withdraws one marketing purpose.
func (w *worker) changeConsent(s *session) {
	p := s.p
	purposes := []int{purposeEmail, purposeAds}
	if p.has(bitPhone) {
		purposes = append(purposes, purposeSMS)
	}
	if s.ch == chApp {
		purposes = append(purposes, purposePush)
	}
	purpose := purposes[w.r.IntN(len(purposes))]
	w.step(s, 5000, 60000)
	w.consent(s, purpose, p.consent[purpose] != 1)
}
