package schemas

import (
	"fmt"
	"time"
)

// nativeDecoder is implemented by records on the hot path to read goavro's
// generic form without reflection. It must accept exactly what fromNative
// accepts for the type; a test compares the two.
type nativeDecoder interface {
	avroFromNative(m map[string]any) error
}

// Typed getters of goavro's generic form. A missing field (written by an
// older schema) reads as the zero value.

func nstr(m map[string]any, k string) (string, error) {
	v, ok := m[k]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("field %s: want string, got %T", k, v)
	}
	return s, nil
}

func nlong(m map[string]any, k string) (int64, error) {
	switch v := m[k].(type) {
	case nil:
		return 0, nil
	case int64:
		return v, nil
	case int32:
		return int64(v), nil
	default:
		return 0, fmt.Errorf("field %s: want integer, got %T", k, v)
	}
}

func ntime(m map[string]any, k string) (time.Time, error) {
	var ms int64
	switch v := m[k].(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		ms = v.UnixMilli()
	case int64:
		ms = v
	default:
		return time.Time{}, fmt.Errorf("field %s: want timestamp, got %T", k, v)
	}
	if ms == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(ms).UTC(), nil
}

func nbytes(m map[string]any, k string) ([]byte, error) {
	v, ok := m[k]
	if !ok || v == nil {
		return nil, nil
	}
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("field %s: want bytes, got %T", k, v)
	}
	return b, nil
}

// narray reads an array field whose items goavro gives as T (what names
// the Avro type in errors).
func narray[T any](m map[string]any, k, what string) ([]T, error) {
	v, ok := m[k]
	if !ok || v == nil {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("field %s: want array, got %T", k, v)
	}
	out := make([]T, len(items))
	for i, it := range items {
		x, ok := it.(T)
		if !ok {
			return nil, fmt.Errorf("field %s item %d: want %s, got %T", k, i, what, it)
		}
		out[i] = x
	}
	return out, nil
}

func nintmap(m map[string]any, k string) (map[string]int32, error) {
	v, ok := m[k]
	if !ok || v == nil {
		return map[string]int32{}, nil
	}
	mm, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("field %s: want map, got %T", k, v)
	}
	out := make(map[string]int32, len(mm))
	for key, it := range mm {
		n, ok := it.(int32)
		if !ok {
			return nil, fmt.Errorf("field %s[%q]: want int, got %T", k, key, it)
		}
		out[key] = n
	}
	return out, nil
}

// reader collects the first error of a sequence of typed reads.
type reader struct {
	m   map[string]any
	err error
}

func (r *reader) str(k string) string {
	s, err := nstr(r.m, k)
	r.keep(err)
	return s
}

func (r *reader) bool(k string) bool {
	v, _ := r.m[k].(bool)
	return v
}

func (r *reader) long(k string) int64 {
	n, err := nlong(r.m, k)
	r.keep(err)
	return n
}

func (r *reader) time(k string) time.Time {
	t, err := ntime(r.m, k)
	r.keep(err)
	return t
}

func (r *reader) bytes(k string) []byte {
	b, err := nbytes(r.m, k)
	r.keep(err)
	return b
}

func (r *reader) strings(k string) []string {
	s, err := narray[string](r.m, k, "string")
	r.keep(err)
	return s
}

func (r *reader) longs(k string) []int64 {
	s, err := narray[int64](r.m, k, "long")
	r.keep(err)
	return s
}

func (r *reader) intmap(k string) map[string]int32 {
	s, err := nintmap(r.m, k)
	r.keep(err)
	return s
}

func (r *reader) keep(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (n *IdentityNode) avroNative() map[string]any {
	counts := make(map[string]any, len(n.KindCounts))
	for k, v := range n.KindCounts {
		counts[k] = v
	}
	ids := make([]any, len(n.Identifiers))
	for i, s := range n.Identifiers {
		ids[i] = s
	}
	comp := make([]any, len(n.Companions))
	for i, s := range n.Companions {
		comp[i] = s
	}
	seen := n.Seen
	if seen == nil {
		seen = []byte{}
	}
	return map[string]any{
		"node": n.Node, "owner": n.Owner, "owner_created": millis(n.OwnerCreated), "seen": seen, "companions": comp,
		"created": millis(n.Created), "merged_into": n.MergedInto, "merging_into": n.MergingInto, "identifiers": ids,
		"kind_counts": counts, "refused": n.Refused, "applied_offset": n.AppliedOffset, "erased": n.Erased,
	}
}

func (n *IdentityNode) avroFromNative(m map[string]any) error {
	r := reader{m: m}
	*n = IdentityNode{
		Node: r.str("node"), Owner: r.str("owner"), OwnerCreated: r.time("owner_created"), Seen: r.bytes("seen"), Companions: r.strings("companions"),
		Created: r.time("created"), MergedInto: r.str("merged_into"), MergingInto: r.str("merging_into"), Identifiers: r.strings("identifiers"),
		KindCounts: r.intmap("kind_counts"), Refused: r.long("refused"), AppliedOffset: r.long("applied_offset"), Erased: r.bool("erased"),
	}
	return r.err
}

func (c *IdentityCommand) avroNative() map[string]any {
	counts := make(map[string]any, len(c.KindCounts))
	for k, v := range c.KindCounts {
		counts[k] = v
	}
	ids := make([]any, len(c.Identifiers))
	for i, s := range c.Identifiers {
		ids[i] = s
	}
	owners := make([]any, len(c.Owners))
	for i, s := range c.Owners {
		owners[i] = s
	}
	created := make([]any, len(c.OwnersCreated))
	for i, v := range c.OwnersCreated {
		created[i] = v
	}
	raw := c.EventRaw
	if raw == nil {
		raw = []byte{}
	}
	return map[string]any{
		"op": c.Op, "event_raw": raw, "event_id": c.EventID, "event_type": c.EventType, "event_ts": millis(c.EventTS),
		"partition": c.Partition, "offset": c.Offset, "profile": c.Profile, "profile_created": millis(c.ProfileCreated),
		"identifiers": ids, "owners": owners, "owners_created": created, "kind_counts": counts,
		"target_created": millis(c.TargetCreated), "hop": c.Hop,
	}
}

func (c *IdentityCommand) avroFromNative(m map[string]any) error {
	r := reader{m: m}
	*c = IdentityCommand{
		Op: r.str("op"), EventRaw: r.bytes("event_raw"), EventID: r.str("event_id"), EventType: r.str("event_type"),
		EventTS: r.time("event_ts"), Partition: int32(r.long("partition")), Offset: r.long("offset"),
		Profile: r.str("profile"), ProfileCreated: r.time("profile_created"), Identifiers: r.strings("identifiers"),
		Owners: r.strings("owners"), OwnersCreated: r.longs("owners_created"), KindCounts: r.intmap("kind_counts"),
		TargetCreated: r.time("target_created"), Hop: int32(r.long("hop")),
	}
	return r.err
}
