package gen

import (
	"math/bits"
	"strconv"
)

// Faults a line can be written with.
const (
	faultNone uint8 = iota
	faultBrokenJSON
	faultMissingIDs
	faultEmptyIDs
	faultValueType
	faultTSType
	faultTSUnparsable
	faultTSFuture
	numFaults
)

var faultNames = [numFaults]string{"", FaultBrokenJSON, FaultMissingIDs, FaultEmptyIDs, FaultValueType, FaultTSType, FaultTSUnparsable, FaultTSFuture}

var badTimes = [...]string{"2026-13-45T25:61:00Z", "yesterday", "02/11/2026 10:00", ""}

// appendLine appends e as one JSON line with the given event number and
// fault; r draws the details of a fault and may be nil when fault is none.
func (g *generator) appendLine(b []byte, e *event, id uint64, fault uint8, r *source) []byte {
	start := len(b)
	b = append(b, `{"event_id":"e-`...)
	b = appendPadded(b, id, 9)
	b = append(b, `","ts":`...)
	switch fault {
	case faultTSType:
		b = append(b, "true"...)
	case faultTSUnparsable:
		b = appendString(b, badTimes[r.IntN(len(badTimes))])
	default:
		ms := e.ms
		if fault == faultTSFuture {
			ms += futureMs
		}
		b = append(b, '"')
		b = appendTS(b, ms)
		b = append(b, '"')
	}
	b = append(b, `,"type":"`...)
	b = append(b, typeNames[e.typ]...)
	b = append(b, `","channel":"`...)
	b = append(b, channelNames[e.channel]...)
	b = append(b, '"')
	switch fault {
	case faultMissingIDs:
	case faultEmptyIDs:
		if r.IntN(2) == 0 {
			b = append(b, `,"ids":{}`...)
		} else {
			b = append(b, `,"ids":{"cookie":"","customer":""}`...)
		}
	default:
		b = g.appendIDs(b, e)
	}
	if e.product != 0 {
		b = append(b, `,"product_id":"p-`...)
		b = strconv.AppendInt(b, int64(e.product), 10)
		b = append(b, '"')
	}
	if e.category >= 0 {
		b = append(b, `,"category":"`...)
		b = append(b, categories[e.category].name...)
		b = append(b, '"')
	}
	switch {
	case fault == faultValueType:
		b = append(b, `,"value":"abc","currency":"EUR"`...)
	case e.hasValue:
		b = append(b, `,"value":`...)
		b = strconv.AppendFloat(b, float64(e.cents)/100, 'f', -1, 64)
		b = append(b, `,"currency":"EUR"`...)
	}
	if e.store >= 0 {
		b = append(b, `,"store_id":"`...)
		b = append(b, g.cat.stores[e.store]...)
		b = append(b, '"')
	}
	if e.nprops > 0 {
		b = append(b, `,"props":{`...)
		for i := range e.nprops {
			p := &e.props[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, keyNames[p.key]...)
			b = append(b, `":`...)
			switch p.kind {
			case pStr:
				b = appendString(b, p.s)
			case pNum:
				b = append(b, '"')
				b = strconv.AppendInt(b, p.n, 10)
				b = append(b, '"')
			default:
				b = append(b, '"')
				b = append(b, p.s...)
				b = strconv.AppendInt(b, p.n, 10)
				b = append(b, '"')
			}
		}
		b = append(b, '}')
	}
	b = append(b, '}')
	if fault == faultBrokenJSON {
		// Any proper prefix of a JSON object is invalid JSON.
		b = b[:start+1+r.IntN(len(b)-start-1)]
	}
	return append(b, '\n')
}

// appendIDs writes the identifiers of e in kind order.
func (g *generator) appendIDs(b []byte, e *event) []byte {
	p := &g.persons[e.person]
	b = append(b, `,"ids":{`...)
	first := true
	for kind := range numIDKinds {
		for m := e.mask; m != 0; m &= m - 1 {
			id := &p.ids[bits.TrailingZeros64(m)]
			if id.kind != kind {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, '"')
			b = append(b, idKindNames[kind]...)
			b = append(b, `":`...)
			v := id.value
			if e.variant && id.alt != "" {
				v = id.alt
			}
			b = appendString(b, v)
		}
	}
	return append(b, '}')
}

// appendPadded appends n with at least width digits.
func appendPadded(b []byte, n uint64, width int) []byte {
	var digits [20]byte
	i := len(digits)
	for n > 0 || i > len(digits)-width {
		i--
		digits[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, digits[i:]...)
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
