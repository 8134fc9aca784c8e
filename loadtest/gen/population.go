package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

const (
	dayMs  = int64(24 * 60 * 60 * 1000)
	hourMs = int64(60 * 60 * 1000)
	minMs  = int64(60 * 1000)

	prehashedShare = 0.04 // known customers whose sender pre-hashes e-mail and phone
	showsIDShare   = 0.7  // web devices whose events carry the device id
	maxCookies     = 6
)

// scramble maps n < 2^width to a distinct number < 2^width, so that
// sequential identifiers do not look sequential.
func scramble(n uint64, width uint) uint64 {
	mask := uint64(1)<<width - 1
	x := (n * 0x9e3779b1) & mask
	x ^= x >> (width / 2)
	return (x * 0x85ebca6b) & mask
}

func hexID(prefix string, n uint64, width uint) string {
	s := strconv.FormatUint(scramble(n, width), 16)
	return prefix + strings.Repeat("0", int(width/4)-len(s)) + s
}

// affine maps n < mod to a distinct number < mod (mul is prime to mod).
func affine(n, mul, add, mod uint64) uint64 { return (n*mul + add) % mod }

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// population builds the persons and their devices; it draws from the
// population stream of each person and from the household stream.
type population struct {
	g       *generator
	r       *source
	devices uint64 // devices numbered so far
	cookies uint64 // cookies numbered so far
}

func (g *generator) buildPopulation() {
	b := &population{g: g, r: newSource()}
	g.persons = make([]person, g.cfg.Profiles)
	shares := make([]float64, len(groups))
	for i := range groups {
		shares[i] = groups[i].share
	}
	for i := range g.persons {
		b.person(&g.persons[i], i, shares)
	}
	b.households()
}

func (b *population) person(p *person, i int, shares []float64) {
	g, r := b.g, b.r
	r.reseed(g.cfg.Seed, streamPopulation, uint64(i), 0)
	p.idx = int32(i)
	p.id = fmt.Sprintf("P-%06d", i+1)
	p.group = uint8(r.pick(shares))
	gr := &groups[p.group]
	p.activity = r.logNormal(1, 0.45)
	p.partner = -1
	for j := range p.parent {
		p.parent[j] = uint8(j)
	}
	p.ids = make([]ident, firstDeviceBit, firstDeviceBit+8)
	p.known = r.chance(gr.known)
	if p.known {
		n := uint64(i)
		p.ids[bitCustomer] = ident{kind: idCustomer, value: "C" + pad(affine(n, 7919, 4242, 1e7), 7)}
		first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		domain := mailDomains[r.IntN(len(mailDomains))]
		num := strconv.FormatUint(affine(n, 7927, 1234, 1e6), 10) // unique, unrelated to the person id
		email := first + "." + last + num + "@" + domain
		p.ids[bitEmail] = ident{
			kind: idEmail, value: email,
			alt: strings.ToUpper(first[:1]) + first[1:] + "." + strings.ToUpper(last[:1]) + last[1:] + num + "@" + strings.ToUpper(domain),
		}
		p.prehashed = r.chance(prehashedShare)
		p.ids[bitEmailSHA] = ident{kind: idEmailSHA, value: sha256Hex(email)}
		if r.chance(gr.phone) {
			digits := pad(affine(n, 15485863, 99, 1e8), 8)
			phone := "+4917" + digits
			p.ids[bitPhone] = ident{kind: idPhone, value: phone, alt: "+49 17" + digits[:1] + " " + digits[1:]}
			p.ids[bitPhoneSHA] = ident{kind: idPhoneSHA, value: sha256Hex(phone)}
		}
	}
	if r.chance(gr.loyalty) {
		p.ids[bitLoyalty] = ident{kind: idLoyalty, value: "L-" + pad(affine(uint64(i), 104729, 777, 1e8), 8)}
	}
	p.homeStore = int8(r.pick(g.cat.storeWeight[:]))
	n := 1 + r.pick(gr.devices[:])
	for j := range n {
		form := formDesktop
		switch {
		case j == 0 && gr.mobile:
			form = formPhone
		case j > 0 || r.chance(0.5):
			form = [...]uint8{formDesktop, formPhone, formPhone, formTablet}[r.IntN(4)]
		}
		d := b.device(form, gr.mobile && j == 0 || form != formDesktop && r.chance(gr.app))
		weight := 1.0
		if j == 0 {
			weight = 3
		}
		b.attach(p, d, weight)
	}
	if p.known && gr.online() && r.chance(g.cfg.ErasureShare) {
		p.eraseAt = g.startMs + r.Int64N(g.endMs-g.startMs)
	}
}

func pad(n uint64, width int) string {
	s := strconv.FormatUint(n, 10)
	if len(s) >= width {
		return s
	}
	return strings.Repeat("0", width-len(s)) + s
}

// device numbers a new device with its cookie rotation schedule.
func (b *population) device(form uint8, app bool) *device {
	r := b.r
	d := &device{id: hexID("d-", b.devices, 24), form: form, app: app, showsID: r.chance(showsIDShare)}
	b.devices++
	rate := 0.02 // cookie clearing per day
	if form != formDesktop {
		rate = 0.06 // mobile browsers expire cookies sooner
	}
	span := b.g.endMs - b.g.startMs
	rotations := min(r.poisson(rate*float64(b.g.cfg.Days)), maxCookies-1)
	for range rotations {
		d.rotations = append(d.rotations, b.g.startMs+r.Int64N(span))
	}
	slices.Sort(d.rotations)
	for range rotations + 1 {
		d.cookies = append(d.cookies, hexID("c-", b.cookies, 28))
		b.cookies++
	}
	return d
}

// attach adds a device and its cookies to the person's identifier table.
func (b *population) attach(p *person, d *device, weight float64) {
	s := slot{dev: d, bit: uint8(len(p.ids)), weight: weight}
	p.ids = append(p.ids, ident{kind: idDevice, value: d.id})
	s.cookieBit = uint8(len(p.ids))
	for _, c := range d.cookies {
		p.ids = append(p.ids, ident{kind: idCookie, value: c})
	}
	p.slots = append(p.slots, s)
	if d.household {
		for i := s.bit; i < uint8(len(p.ids)); i++ {
			p.shared |= bit(i)
		}
	}
}

// households pairs known online customers who share a family tablet on
// which both log in.
func (b *population) households() {
	g, r := b.g, b.r
	pairs := int(math.Round(g.cfg.SharedDeviceShare * float64(len(g.persons)) / 2))
	if pairs == 0 {
		return
	}
	r.reseed(g.cfg.Seed, streamHousehold, 0, 0)
	var cand []int32
	for i := range g.persons {
		p := &g.persons[i]
		if gr := &groups[p.group]; p.known && gr.online() && gr.visits >= 0.2 && len(p.ids) < maxIdentifiers-maxCookies-1 {
			cand = append(cand, p.idx)
		}
	}
	r.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
	for k := 0; k < pairs && 2*k+1 < len(cand); k++ {
		a, c := &g.persons[cand[2*k]], &g.persons[cand[2*k+1]]
		d := b.device(formTablet, r.chance(0.5))
		d.household = true
		d.showsID = true
		for _, p := range []*person{a, c} {
			var sum float64
			for _, s := range p.slots {
				sum += s.weight
			}
			b.attach(p, d, sum) // about half of the person's visits
		}
		a.partner, c.partner = c.idx, a.idx
		g.households = append(g.households, household{a: a.idx, b: c.idx, dev: d})
	}
}

// household is a device shared by two persons.
type household struct {
	a, b int32
	dev  *device
}
