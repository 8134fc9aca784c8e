package gen

import "math/bits"

// Identifier kinds, in the order they are written.
const (
	idCookie uint8 = iota
	idDevice
	idCustomer
	idEmail
	idPhone
	idEmailSHA
	idPhoneSHA
	idLoyalty
	numIDKinds
)

var idKindNames = [numIDKinds]string{"cookie", "device", "customer", "email", "phone", "email_sha256", "phone_sha256", "loyalty"}

// Fixed positions in a person's identifier table; devices and their cookies
// follow from firstDeviceBit on.
const (
	bitCustomer = iota
	bitEmail
	bitPhone
	bitEmailSHA
	bitPhoneSHA
	bitLoyalty
	firstDeviceBit
	maxIdentifiers = 64
)

// ident is one identifier of a person; alt is another spelling of the same
// value (letter case, spaces) that ingestion normalises away.
type ident struct {
	kind  uint8
	value string
	alt   string
}

// Device form factors.
const (
	formDesktop uint8 = iota
	formPhone
	formTablet
)

// device is a physical device. It never changes once the population is
// built, so persons sharing it may read it from several goroutines.
type device struct {
	id        string
	form      uint8
	app       bool     // the app is installed
	showsID   bool     // web events carry the device id
	cookies   []string // browser cookies in order of use
	rotations []int64  // when cookie i+1 replaces cookie i, ms
	household bool     // shared by two persons
}

// cookieAt returns the index of the cookie in use at ms.
func (d *device) cookieAt(ms int64) int {
	n := 0
	for _, r := range d.rotations {
		if ms >= r {
			n++
		}
	}
	return n
}

// slot is a device as one person uses it: where its identifiers sit in the
// person's table and how often the person picks it.
type slot struct {
	dev       *device
	bit       uint8 // position of the device id
	cookieBit uint8 // position of the first cookie
	weight    float64
}

// person is one member of the population and its running state. Only the
// worker that owns a person touches it during a day.
type person struct {
	idx       int32
	id        string
	group     uint8
	activity  float64
	known     bool
	homeStore int8
	prehashed bool
	eraseAt   int64 // 0: never
	partner   int32 // household partner, -1: none
	ids       []ident
	slots     []slot
	shared    uint64 // identifiers of the household device

	// state
	lastEnd   int64
	seq       uint32
	consent   [numPurposes]int8 // 0 unknown, 1 granted, -1 withdrawn
	banner    uint64            // cookies that have seen the consent banner
	asked     bool              // marketing consent asked
	erasedAt  int64
	used      uint64
	parent    [maxIdentifiers]uint8
	events    int
	purchases int
	revenue   int64
}

func bit(i uint8) uint64 { return 1 << i }

// reference returns a number for an order, receipt or request id, unique
// in practice (mix is a bijection; one bit is dropped) and unrelated to
// the person id.
func (p *person) reference() int64 {
	return int64(mix(uint64(p.idx)<<32|uint64(p.seq)) >> 1)
}

func (p *person) has(b int) bool { return p.ids[b].value != "" }

// find returns the root of identifier i in the person's link forest.
func (p *person) find(i uint8) uint8 {
	for p.parent[i] != i {
		p.parent[i] = p.parent[p.parent[i]]
		i = p.parent[i]
	}
	return i
}

// link records that the identifiers in mask were seen together.
func (p *person) link(mask uint64) {
	if mask&(mask-1) == 0 {
		return
	}
	root := p.find(uint8(bits.TrailingZeros64(mask)))
	for m := mask & (mask - 1); m != 0; m &= m - 1 {
		if r := p.find(uint8(bits.TrailingZeros64(m))); r != root {
			p.parent[r] = root
		}
	}
}

// hasApp reports whether one of the person's devices has the app.
func (p *person) hasApp() bool {
	for i := range p.slots {
		if p.slots[i].dev.app {
			return true
		}
	}
	return false
}

// pickSlot draws a device for a visit; app visits draw among app devices.
func (p *person) pickSlot(r *source, app bool) *slot {
	var sum float64
	for i := range p.slots {
		if !app || p.slots[i].dev.app {
			sum += p.slots[i].weight
		}
	}
	u := r.Float64() * sum
	last := &p.slots[0]
	for i := range p.slots {
		s := &p.slots[i]
		if app && !s.dev.app {
			continue
		}
		last = s
		if u < s.weight {
			return s
		}
		u -= s.weight
	}
	return last
}

// emailBit returns the e-mail identifier the person sends: raw or pre-hashed.
func (p *person) emailBit() uint64 {
	if p.prehashed {
		return bit(bitEmailSHA)
	}
	return bit(bitEmail)
}

func (p *person) phoneBit() uint64 {
	switch {
	case !p.has(bitPhone):
		return 0
	case p.prehashed:
		return bit(bitPhoneSHA)
	default:
		return bit(bitPhone)
	}
}
