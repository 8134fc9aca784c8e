package gen

import (
	"math/bits"
	"slices"
	"strings"
	"time"
)

// initTruth fills what is known before any event: the run, the groups, the
// persons and the plan.
func (g *generator) initTruth() {
	t := g.truth
	*t = Truth{
		Seed:  g.cfg.Seed,
		Start: time.UnixMilli(g.startMs).UTC(),
		End:   time.UnixMilli(g.endMs).UTC(),
	}
	counts := make([]int, len(groups))
	for i := range g.persons {
		counts[g.persons[i].group]++
	}
	for i, gr := range groups {
		t.Groups = append(t.Groups, Group{Name: gr.name, Description: gr.description, Share: gr.share, Persons: counts[i]})
	}
	t.Persons = make([]Person, len(g.persons))
	for i := range g.persons {
		p := &g.persons[i]
		tp := &t.Persons[i]
		tp.ID, tp.Group = p.id, groups[p.group].name
		tp.Customer = p.ids[bitCustomer].value
		tp.Email = p.ids[bitEmail].value
		tp.Phone = p.ids[bitPhone].value
		tp.Loyalty = p.ids[bitLoyalty].value
		tp.Prehashed = p.prehashed
		tp.HomeStore = g.cat.stores[p.homeStore]
		for _, s := range p.slots {
			tp.Devices = append(tp.Devices, s.dev.id)
		}
		if p.partner >= 0 {
			tp.SharedWith = g.persons[p.partner].id
		}
	}
	t.Malformed = []Malformed{}
	t.Erasures = []Erasure{}
}

// identKey writes an identifier the way the truth keys it.
func identKey(id *ident) string { return idKindNames[id.kind] + ":" + id.value }

// finishTruth fills what the events decided: identifiers seen, links,
// consent, erasure and counts.
func (g *generator) finishTruth() {
	t := g.truth
	t.Shortfalls = g.truthShortfalls()
	t.IdentifierOwner = make(map[string][]string)
	for i := range g.persons {
		p := &g.persons[i]
		tp := &t.Persons[i]
		components := map[uint8][]string{}
		for m := p.used; m != 0; m &= m - 1 {
			b := uint8(bits.TrailingZeros64(m))
			k := identKey(&p.ids[b])
			tp.Identifiers = append(tp.Identifiers, k)
			t.IdentifierOwner[k] = append(t.IdentifierOwner[k], p.id)
			if p.shared&bit(b) == 0 {
				root := p.find(b)
				components[root] = append(components[root], k)
			}
		}
		slices.Sort(tp.Identifiers)
		for _, c := range components {
			slices.Sort(c)
			tp.Linked = append(tp.Linked, c)
		}
		slices.SortFunc(tp.Linked, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
		for purpose, c := range p.consent {
			if c != 0 {
				if tp.Consent == nil {
					tp.Consent = map[string]bool{}
				}
				tp.Consent[purposeNames[purpose]] = c > 0
			}
		}
		if p.erasedAt != 0 {
			tp.ErasedAt = time.UnixMilli(p.erasedAt).UTC()
		}
		tp.Events, tp.Purchases, tp.Revenue = p.events, p.purchases, float64(p.revenue)/100
	}
	// A household device belongs to both partners, whoever used it.
	for _, h := range g.households {
		a, b := &g.persons[h.a], &g.persons[h.b]
		owners := []string{a.id, b.id}
		slices.Sort(owners)
		keys := []string{idKindNames[idDevice] + ":" + h.dev.id}
		for _, c := range h.dev.cookies {
			keys = append(keys, idKindNames[idCookie]+":"+c)
		}
		for _, k := range keys {
			if _, seen := t.IdentifierOwner[k]; !seen {
				continue
			}
			t.IdentifierOwner[k] = slices.Clone(owners)
			for _, tp := range []*Person{&t.Persons[h.a], &t.Persons[h.b]} {
				if _, found := slices.BinarySearch(tp.Identifiers, k); !found {
					tp.Identifiers = append(tp.Identifiers, k)
					slices.Sort(tp.Identifiers)
				}
			}
		}
	}
}
