package gen

// Property value kinds.
const (
	pStr    uint8 = iota // s
	pNum                 // n, written as a decimal string
	pStrNum              // s followed by the digits of n
)

// prop is one property of an event; values are always JSON strings.
type prop struct {
	s    string
	n    int64
	key  uint8
	kind uint8
}

const maxProps = 4

// event is one generated event before it is written. Identifiers are a
// mask over the person's identifier table.
type event struct {
	ms       int64
	mask     uint64
	cents    int64 // value in cents; written when hasValue
	person   int32
	seq      uint32
	product  int32 // 0: none
	typ      uint8
	channel  uint8
	category int8 // -1: none
	store    int8 // -1: none
	hasValue bool
	variant  bool // e-mail and phone in another spelling
	nprops   uint8
	props    [maxProps]prop
}

func newEvent(typ uint8, mask uint64) event {
	return event{typ: typ, mask: mask, category: -1, store: -1}
}

func (e *event) str(key uint8, s string) {
	e.props[e.nprops] = prop{key: key, kind: pStr, s: s}
	e.nprops++
}

func (e *event) num(key uint8, n int64) {
	e.props[e.nprops] = prop{key: key, kind: pNum, n: n}
	e.nprops++
}

func (e *event) strNum(key uint8, s string, n int64) {
	e.props[e.nprops] = prop{key: key, kind: pStrNum, s: s, n: n}
	e.nprops++
}

// futureMs is how far a ts_future line is moved: about ten years.
const futureMs = 3652 * dayMs

// appendTS appends ms (Unix milliseconds, 0001 to 9999) as RFC 3339 in
// UTC with milliseconds, like time.Time.AppendFormat with
// "2006-01-02T15:04:05.000Z" but without the allocations of a layout.
func appendTS(b []byte, ms int64) []byte {
	days := floorDiv(ms, dayMs)
	rem := ms - days*dayMs
	y, m, d := civil(days)
	b = appendPadded(b, uint64(y), 4)
	b = append(b, '-')
	b = appendPadded(b, uint64(m), 2)
	b = append(b, '-')
	b = appendPadded(b, uint64(d), 2)
	b = append(b, 'T')
	b = appendPadded(b, uint64(rem/hourMs), 2)
	b = append(b, ':')
	b = appendPadded(b, uint64(rem%hourMs/minMs), 2)
	b = append(b, ':')
	b = appendPadded(b, uint64(rem%minMs/1000), 2)
	b = append(b, '.')
	b = appendPadded(b, uint64(rem%1000), 3)
	return append(b, 'Z')
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (H. Hinnant's days_from_civil, inverted).
func civil(days int64) (year, month, day int64) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = doy - (153*mp+2)/5 + 1
	month = mp + 3
	if month > 12 {
		month -= 12
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}
