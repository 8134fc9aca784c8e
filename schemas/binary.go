package schemas

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// binaryCodec is implemented by records on the hot path that read and write
// their Avro binary body (without the wire-format header) directly, for the
// current schema only: a record written with another schema goes through
// goavro, which resolves it. Both must produce exactly what goavro does for
// the current schema; tests compare them on random and fuzzed records.
type binaryCodec interface {
	avroAppend(b []byte) []byte
	avroRead(b []byte) error
}

var errShort = errors.New("record ends early")

// Avro's binary primitives. Longs and ints are zig-zag varints, which is
// encoding/binary's Varint; strings and bytes are a length and the bytes;
// arrays and maps are blocks of items ended by an empty block.

func appendLong(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }

func appendString(b []byte, s string) []byte {
	return append(binary.AppendVarint(b, int64(len(s))), s...)
}

func appendBytes(b, v []byte) []byte {
	return append(binary.AppendVarint(b, int64(len(v))), v...)
}

func appendTime(b []byte, t time.Time) []byte { return appendLong(b, millis(t)) }

func appendDouble(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendArray writes items as one block.
func appendArray[T any](b []byte, items []T, item func([]byte, T) []byte) []byte {
	if len(items) > 0 {
		b = appendLong(b, int64(len(items)))
		for _, it := range items {
			b = item(b, it)
		}
	}
	return append(b, 0)
}

func appendStrings(b []byte, ss []string) []byte { return appendArray(b, ss, appendString) }

func appendLongs(b []byte, vs []int64) []byte { return appendArray(b, vs, appendLong) }

// appendMap writes a map in key order, so that equal maps encode alike.
func appendMap[V any](b []byte, m map[string]V, value func([]byte, V) []byte) []byte {
	if len(m) > 0 {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = appendLong(b, int64(len(keys)))
		for _, k := range keys {
			b = value(appendString(b, k), m[k])
		}
	}
	return append(b, 0)
}

func appendIntMap(b []byte, m map[string]int32) []byte {
	return appendMap(b, m, func(b []byte, v int32) []byte { return appendLong(b, int64(v)) })
}

func appendStringMap(b []byte, m map[string]string) []byte {
	return appendMap(b, m, appendString)
}

// bin reads Avro binary values, keeping the first error; reads after an
// error return zero values.
type bin struct {
	b   []byte
	s   string // the whole body, which the strings read share
	n   int    // length of the whole body
	err error
}

// newBin reads body. The strings it reads are substrings of one copy of
// body, made once: a record's strings cost one allocation, not one each.
func newBin(body []byte) bin { return bin{b: body, s: string(body), n: len(body)} }

func (r *bin) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *bin) long() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(fmt.Errorf("bad long: %w", errShort))
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *bin) int() int32 {
	v := r.long()
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.fail(fmt.Errorf("int %d out of range", v))
		return 0
	}
	return int32(v)
}

func (r *bin) raw() []byte {
	n := r.long()
	if r.err != nil {
		return nil
	}
	if n < 0 || n > int64(len(r.b)) {
		r.fail(fmt.Errorf("length %d with %d bytes left: %w", n, len(r.b), errShort))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *bin) str() string {
	v := r.raw()
	if len(v) == 0 {
		return ""
	}
	if r.s == "" {
		return string(v)
	}
	off := r.n - len(r.b) - len(v)
	return r.s[off : off+len(v)]
}

func (r *bin) bytes() []byte {
	v := r.raw()
	if v == nil && r.err == nil {
		return []byte{}
	}
	return slices.Clone(v)
}

func (r *bin) bool() bool {
	if r.err != nil {
		return false
	}
	if len(r.b) < 1 {
		r.fail(fmt.Errorf("bad boolean: %w", errShort))
		return false
	}
	v := r.b[0]
	r.b = r.b[1:]
	if v > 1 {
		r.fail(fmt.Errorf("boolean byte %d", v))
	}
	return v == 1
}

func (r *bin) time() time.Time {
	ms := r.long()
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func (r *bin) double() float64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.fail(fmt.Errorf("bad double: %w", errShort))
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

// blocks reads the blocks of an array or map, calling item for each item.
// A negative count is followed by the block's size in bytes.
func (r *bin) blocks(item func()) { r.sizedBlocks(nil, item) }

// sizedBlocks is blocks that tells grow the item count of each block
// before its items.
func (r *bin) sizedBlocks(grow func(n int), item func()) {
	for r.err == nil {
		n := r.long()
		if n == 0 || r.err != nil {
			return
		}
		if n < 0 {
			n = -n
			r.long()
		}
		if n > int64(len(r.b)) { // every item takes a byte at least
			r.fail(fmt.Errorf("block of %d items with %d bytes left: %w", n, len(r.b), errShort))
			return
		}
		if grow != nil {
			grow(int(n))
		}
		for range n {
			item()
		}
	}
}

// maxGrow caps the items readArray makes room for ahead of reading them.
const maxGrow = 1024

// readArray reads an array whose items item reads; an empty array reads
// as an empty, not nil, slice.
func readArray[T any](r *bin, item func() T) []T {
	out := []T{}
	// A block's count is checked against the bytes left, one per item, but
	// an item in memory is larger than a byte: the room made ahead is
	// capped, so that a hostile count costs no more than growing would.
	r.sizedBlocks(func(n int) { out = slices.Grow(out, min(n, maxGrow)) }, func() { out = append(out, item()) })
	if r.err != nil {
		return nil
	}
	return out
}

// readMap reads a map whose values value reads.
func readMap[V any](r *bin, value func() V) map[string]V {
	out := map[string]V{}
	r.blocks(func() {
		k := r.str()
		out[k] = value()
	})
	return out
}

func (r *bin) strings() []string { return readArray(r, r.str) }

func (r *bin) longs() []int64 { return readArray(r, r.long) }

func (r *bin) intMap() map[string]int32 { return readMap(r, r.int) }

func (r *bin) longMap() map[string]int64 { return readMap(r, r.long) }

func (r *bin) stringMap() map[string]string { return readMap(r, r.str) }

// end reports the first error, or trailing bytes.
func (r *bin) end() error {
	if r.err == nil && len(r.b) != 0 {
		return fmt.Errorf("%d trailing bytes after the record", len(r.b))
	}
	return r.err
}
