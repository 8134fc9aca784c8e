package triggers

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// Trigger kinds.
const (
	KindCart  = "cart_abandoned"
	KindForm  = "form_abandoned"
	KindChurn = "churn_risk"
)

// Rules are the trigger parameters.
type Rules struct {
	// CartDelay is how long (event time) after a cart's last line a
	// purchase still saves it.
	CartDelay time.Duration
	// FormDelay is how long (event time) after a form_start a form_submit
	// still completes it.
	FormDelay time.Duration
	// Grace is how long (wall clock) a decision waits after the watermark
	// passed its due time.
	Grace time.Duration
	// MaxItems is the number of pending cart lines kept; a line beyond it
	// is refused (dead-lettered).
	MaxItems int
	// Keep is the number of recent event ids, fired trigger ids, purchases
	// and form marks kept.
	Keep int
	// ChurnStage is the lifecycle stage whose entry fires churn_risk; it
	// must be a stage of the segments' lifecycle rules.
	ChurnStage string
}

// DefaultRules returns the defaults: 30-minute cart and form delays, a
// grace of one minute, 200 pending lines, 64 ids kept, churn risk on
// entering "at-risk" (the default lifecycle's stage).
func DefaultRules() Rules {
	return Rules{CartDelay: 30 * time.Minute, FormDelay: 30 * time.Minute, Grace: time.Minute, MaxItems: 200, Keep: 64, ChurnStage: "at-risk"}
}

// Verdict is what became of an event.
type Verdict int

// Verdicts of apply.
const (
	Applied Verdict = iota
	Ignored
	Duplicate
	TooLate
	Full
)

// relevant reports whether an event type can open, change or decide a
// cart or a form.
func relevant(typ string) bool {
	switch typ {
	case "add_to_cart", "remove_from_cart", "purchase", "store_purchase", "form_start", "form_submit", "form_abandon":
		return true
	}
	return false
}

// TriggerID is the deterministic id of a trigger of kind opened by the
// event (or segment change) with id cause.
func TriggerID(kind, cause string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + cause))
	return "t-" + hex.EncodeToString(h[:12])
}

func keep[T any](s []T, n int) []T {
	if over := len(s) - n; over > 0 {
		return append(s[:0], s[over:]...)
	}
	return s
}

// apply adds a relevant event to st; fired receives the triggers it
// decides at once (an explicit form_abandon).
func (r Rules) apply(st *schemas.TriggerState, ev *schemas.Event, fired func(*schemas.Trigger)) Verdict {
	if slices.Contains(st.Recent, ev.EventID) {
		return Duplicate
	}
	ts := ev.TS.UTC()
	v := Applied
	switch ev.Type {
	case "purchase", "store_purchase":
		i, ok := slices.BinarySearchFunc(st.Purchases, ts, time.Time.Compare)
		if !ok {
			st.Purchases = keep(slices.Insert(st.Purchases, i, ts), r.Keep)
		}
	case "add_to_cart", "remove_from_cart":
		if !ts.After(st.ClosedUntil) {
			return TooLate
		}
		if len(st.Pending) >= r.MaxItems {
			return Full
		}
		ce := schemas.CartEvent{EventID: ev.EventID, TS: ts, Type: ev.Type, ProductID: ev.ProductID, Channel: ev.Channel, Device: ev.IDs.Device}
		if ev.Type == "add_to_cart" {
			qty := int64(1)
			if q, err := strconv.ParseInt(ev.Props["qty"], 10, 64); err == nil && q > 0 {
				qty = q
			}
			ce.Value = ev.Value * float64(qty)
		}
		insert(st, ce)
	case "form_start":
		f := schemas.PendingForm{FormID: ev.Props["form_id"], EventID: ev.EventID, TS: ts, Channel: ev.Channel}
		if m := r.markFor(st, f); m != nil {
			break // submitted, or abandoned and fired already
		}
		i, _ := slices.BinarySearchFunc(st.Forms, f, func(a, b schemas.PendingForm) int { return a.TS.Compare(b.TS) })
		st.Forms = slices.Insert(st.Forms, i, f)
	case "form_submit", "form_abandon":
		m := schemas.FormMark{FormID: ev.Props["form_id"], Kind: ev.Type, EventID: ev.EventID, TS: ts}
		st.Marks = keep(append(st.Marks, m), r.Keep)
		for i, f := range st.Forms {
			if f.FormID == m.FormID && r.covers(f, m) {
				st.Forms = slices.Delete(st.Forms, i, i+1)
				if m.Kind == "form_abandon" {
					r.fire(st, r.formTrigger(m.EventID, f.FormID, f.Channel, time.Time{}, ts), fired)
				}
				return r.remember(st, ev.EventID, v)
			}
		}
		if m.Kind == "form_abandon" {
			r.fire(st, r.formTrigger(m.EventID, m.FormID, ev.Channel, time.Time{}, ts), fired)
		}
	default:
		v = Ignored
	}
	return r.remember(st, ev.EventID, v)
}

func (r Rules) remember(st *schemas.TriggerState, id string, v Verdict) Verdict {
	st.Recent = keep(append(st.Recent, id), r.Keep)
	return v
}

func byTime(a, b schemas.CartEvent) int {
	if c := a.TS.Compare(b.TS); c != 0 {
		return c
	}
	return cmp.Compare(a.EventID, b.EventID)
}

// covers reports whether a submit or abandon decides a form started at f.
func (r Rules) covers(f schemas.PendingForm, m schemas.FormMark) bool {
	return !m.TS.Before(f.TS) && !m.TS.After(f.TS.Add(r.FormDelay))
}

// markFor returns the submit or abandon that decided a form start already.
func (r Rules) markFor(st *schemas.TriggerState, f schemas.PendingForm) *schemas.FormMark {
	for i := range st.Marks {
		if st.Marks[i].FormID == f.FormID && r.covers(f, st.Marks[i]) {
			return &st.Marks[i]
		}
	}
	return nil
}

// formTrigger is a form_abandoned trigger caused by an event: the
// form_abandon, or the form_start when the delay decided. Its id derives
// from that event, so that the same input yields the same id whatever
// order it arrived in.
func (r Rules) formTrigger(cause, form, channel string, due, ts time.Time) *schemas.Trigger {
	return &schemas.Trigger{
		TriggerID: TriggerID(KindForm, cause), Kind: KindForm, CauseEventID: cause,
		FormID: form, Channel: channel, DueTS: due, TS: ts,
	}
}

// fire hands t to fired unless a trigger of the same id fired already.
func (r Rules) fire(st *schemas.TriggerState, t *schemas.Trigger, fired func(*schemas.Trigger)) {
	if slices.Contains(st.Fired, t.TriggerID) {
		return
	}
	st.Fired = keep(append(st.Fired, t.TriggerID), r.Keep)
	fired(t)
}

// horizon returns the event time up to which st may be decided now: the
// watermark wm once it has been seen for the grace (wall clock), else the
// one seen before.
func (r Rules) horizon(st *schemas.TriggerState, wm, now time.Time) time.Time {
	if r.Grace <= 0 {
		return wm
	}
	if !st.HorizonSeen.IsZero() && now.Sub(st.HorizonSeen) >= r.Grace {
		h := st.Horizon
		st.Horizon, st.HorizonSeen = wm, now.UTC().Truncate(time.Millisecond)
		return h
	}
	if st.HorizonSeen.IsZero() {
		st.Horizon, st.HorizonSeen = wm, now.UTC().Truncate(time.Millisecond)
	}
	return time.Time{}
}

// decide takes every decision the watermark wm allows, once the grace has
// passed (now is the wall clock): carts and forms whose delay ended before
// the horizon. It walks the pending cart events up to the horizon in
// event-time order: a cart ends when the next event comes more than the
// delay after its last line, and is abandoned unless a purchase came
// first; a removal takes the product's latest line out.
func (r Rules) decide(profile string, st *schemas.TriggerState, wm, now time.Time, fired func(*schemas.Trigger)) {
	h := r.horizon(st, wm, now)
	if h.IsZero() {
		return
	}
	for len(st.Forms) > 0 && h.After(st.Forms[0].TS.Add(r.FormDelay)) {
		f := st.Forms[0]
		st.Forms = st.Forms[1:]
		due := f.TS.Add(r.FormDelay)
		t := r.formTrigger(f.EventID, f.FormID, f.Channel, due, due)
		t.ProfileID = profile
		r.fire(st, t, fired)
	}
	buys := r.buys(st)
	var cart []schemas.CartEvent
	n, pi := 0, 0
	for _, e := range st.Pending {
		if e.TS.After(h) {
			break
		}
		n++
		// The purchases up to this line empty the cart first.
		for ; pi < len(buys) && buys[pi].TS.Before(e.TS); pi++ {
			cart = r.purchase(profile, st, cart, buys[pi], fired)
		}
		if len(cart) > 0 && e.TS.After(cart[len(cart)-1].TS.Add(r.CartDelay)) {
			r.abandon(profile, st, cart, fired)
			cart = nil
		}
		if e.Type == "add_to_cart" {
			cart = append(cart, e)
		} else {
			for i := len(cart) - 1; i >= 0; i-- {
				if cart[i].ProductID == e.ProductID {
					cart = slices.Delete(cart, i, i+1)
					break
				}
			}
		}
		if e.TS.After(st.ClosedUntil) {
			st.ClosedUntil = e.TS
		}
	}
	for ; len(cart) > 0 && pi < len(buys) && !buys[pi].TS.After(h); pi++ {
		cart = r.purchase(profile, st, cart, buys[pi], fired)
	}
	if n == 0 {
		return
	}
	if len(cart) > 0 && h.After(cart[len(cart)-1].TS.Add(r.CartDelay)) {
		r.abandon(profile, st, cart, fired)
		cart = nil
	}
	st.Pending = append(cart, st.Pending[n:]...)
}

// buys returns the profile's own purchases (no device) and the purchases
// other profiles made on its carts' devices, in event-time order.
func (r Rules) buys(st *schemas.TriggerState) []schemas.DevicePurchase {
	out := make([]schemas.DevicePurchase, 0, len(st.Purchases)+len(st.DevicePurchases))
	for _, p := range st.Purchases {
		out = append(out, schemas.DevicePurchase{TS: p})
	}
	out = append(out, st.DevicePurchases...)
	if len(st.DevicePurchases) > 0 {
		slices.SortStableFunc(out, func(a, b schemas.DevicePurchase) int { return a.TS.Compare(b.TS) })
	}
	return out
}

// purchase applies a purchase to the cart being walked: a cart whose
// delay ended before it was abandoned; any other is bought. A purchase
// another profile made on a device concerns only a cart holding a line
// from that device.
func (r Rules) purchase(profile string, st *schemas.TriggerState, cart []schemas.CartEvent, p schemas.DevicePurchase, fired func(*schemas.Trigger)) []schemas.CartEvent {
	if p.Device != "" && !slices.ContainsFunc(cart, func(e schemas.CartEvent) bool { return e.Device == p.Device }) {
		return cart
	}
	if len(cart) > 0 && p.TS.After(cart[len(cart)-1].TS.Add(r.CartDelay)) {
		r.abandon(profile, st, cart, fired)
	}
	return nil
}

// addDevicePurchase remembers a purchase another profile made on a device.
func (r Rules) addDevicePurchase(st *schemas.TriggerState, p schemas.DevicePurchase) {
	i, ok := slices.BinarySearchFunc(st.DevicePurchases, p, func(a, b schemas.DevicePurchase) int {
		if c := a.TS.Compare(b.TS); c != 0 {
			return c
		}
		return cmp.Compare(a.Device, b.Device)
	})
	if !ok {
		st.DevicePurchases = keep(slices.Insert(st.DevicePurchases, i, p), r.Keep)
	}
}

// abandon fires the trigger of an abandoned cart.
func (r Rules) abandon(profile string, st *schemas.TriggerState, cart []schemas.CartEvent, fired func(*schemas.Trigger)) {
	last := cart[len(cart)-1]
	due := last.TS.Add(r.CartDelay)
	t := &schemas.Trigger{
		TriggerID: TriggerID(KindCart, cart[0].EventID), ProfileID: profile, Kind: KindCart, CauseEventID: last.EventID,
		Channel: last.Channel, DueTS: due, TS: due,
	}
	for _, it := range cart {
		t.CartValue += it.Value
		t.Products = append(t.Products, it.ProductID)
	}
	r.fire(st, t, fired)
}

// insert puts a cart event in its place in event-time order, unless it is
// there already.
func insert(st *schemas.TriggerState, e schemas.CartEvent) {
	i, ok := slices.BinarySearchFunc(st.Pending, e, byTime)
	if !ok {
		st.Pending = slices.Insert(st.Pending, i, e)
	}
}

// fold adds the pending state of an absorbed profile (or an event
// forwarded from it) to st.
func (r Rules) fold(st, src *schemas.TriggerState) {
	if src.ClosedUntil.After(st.ClosedUntil) {
		st.ClosedUntil = src.ClosedUntil
	}
	for _, e := range src.Pending {
		insert(st, e)
	}
	for _, p := range src.Purchases {
		if i, ok := slices.BinarySearchFunc(st.Purchases, p, time.Time.Compare); !ok {
			st.Purchases = keep(slices.Insert(st.Purchases, i, p), r.Keep)
		}
	}
	for _, f := range src.Forms {
		if r.markFor(st, f) == nil && !slices.ContainsFunc(st.Forms, func(x schemas.PendingForm) bool { return x.EventID == f.EventID }) {
			i, _ := slices.BinarySearchFunc(st.Forms, f, func(a, b schemas.PendingForm) int { return a.TS.Compare(b.TS) })
			st.Forms = slices.Insert(st.Forms, i, f)
		}
	}
	for _, m := range src.Marks {
		st.Marks = keep(append(st.Marks, m), r.Keep)
		st.Forms = slices.DeleteFunc(st.Forms, func(f schemas.PendingForm) bool { return f.FormID == m.FormID && r.covers(f, m) })
	}
	for _, p := range src.DevicePurchases {
		r.addDevicePurchase(st, p)
	}
	for _, id := range src.Fired {
		if !slices.Contains(st.Fired, id) {
			st.Fired = keep(append(st.Fired, id), r.Keep)
		}
	}
	for _, id := range src.Recent {
		if !slices.Contains(st.Recent, id) {
			st.Recent = keep(append(st.Recent, id), r.Keep)
		}
	}
}
