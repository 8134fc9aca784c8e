package schemas

import (
	"bytes"
	"hash/maphash"
	"maps"
	"slices"
	"sync"
)

// Memo is a table codec that remembers the values it encoded lately: a
// value read back as it was written (the usual case for a processor's table,
// which reads each key it wrote) is copied instead of decoded again. It
// implements goka's codec.Codec over a Codec of the same record.
//
// Values are remembered by a deep copy and handed out as deep copies, so a
// callback may change what it reads without changing what is remembered;
// the bytes are compared in full, not only by hash. At most max values are
// remembered; beyond that, some are forgotten at random.
type Memo[T any] struct {
	codec *Codec[T]
	clone func(*T) *T
	max   int
	seed  maphash.Seed

	mu     sync.Mutex
	values map[uint64]memoEntry[T]
}

type memoEntry[T any] struct {
	b []byte
	v *T
}

// NewMemo returns a Memo over codec, which copies values with clone
// (a deep copy) and remembers at most max of them.
func NewMemo[T any](codec *Codec[T], clone func(*T) *T, max int) *Memo[T] {
	return &Memo[T]{codec: codec, clone: clone, max: max, seed: maphash.MakeSeed(), values: map[uint64]memoEntry[T]{}}
}

// Encode encodes v as the Codec does and remembers a copy of it.
func (m *Memo[T]) Encode(v any) ([]byte, error) {
	b, err := m.codec.Encode(v)
	if err != nil {
		return nil, err
	}
	var p *T
	switch x := v.(type) {
	case *T:
		p = x
	case T:
		p = &x
	default:
		return b, nil // already encoded
	}
	e := memoEntry[T]{b: b, v: m.clone(p)}
	h := maphash.Bytes(m.seed, b)
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.values) >= m.max {
		for k := range m.values { // map order: a random victim
			delete(m.values, k)
			break
		}
	}
	m.values[h] = e
	return b, nil
}

// Decode returns a copy of the value remembered for b, or decodes b.
func (m *Memo[T]) Decode(b []byte) (any, error) {
	h := maphash.Bytes(m.seed, b)
	m.mu.Lock()
	e, ok := m.values[h]
	m.mu.Unlock()
	if ok && bytes.Equal(e.b, b) {
		return m.clone(e.v), nil
	}
	return m.codec.Decode(b)
}

// Clone returns a deep copy of s. Empty slices and maps come out empty,
// not nil, as a decoded value's do.
func (s *SessionState) Clone() *SessionState {
	c := *s
	c.Open = cloneSlice(s.Open)
	for i := range c.Open {
		c.Open[i].Hits = cloneSlice(s.Open[i].Hits)
	}
	return &c
}

// Clone returns a deep copy of s. Empty slices and maps come out empty,
// not nil, as a decoded value's do.
func (s *FeatureState) Clone() *FeatureState {
	c := *s
	c.Days = cloneSlice(s.Days)
	c.Categories = cloneSlice(s.Categories)
	c.Devices = cloneSlice(s.Devices)
	c.Consent = cloneSlice(s.Consent)
	c.Recent = cloneSlice(s.Recent)
	c.Offsets = maps.Clone(s.Offsets)
	if c.Offsets == nil {
		c.Offsets = map[string]int64{}
	}
	return &c
}

func cloneSlice[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return S{}
	}
	return slices.Clone(s)
}
