package schemas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

// ErrUnknownSchema is returned by Decode for a record whose schema id the
// registry does not know, or that names a different record.
var ErrUnknownSchema = errors.New("unknown schema id")

// Codec encodes and decodes one record type in the Confluent wire format. It
// implements goka.Codec: Encode takes a T or *T, Decode returns a *T. A Codec
// is safe for concurrent use.
type Codec[T any] struct {
	subject string
	record  string
	id      int
	serde   *sr.Serde
	lookup  func(ctx context.Context, id int) (sr.Schema, error)
	// size is the length of the latest encoding, the capacity Encode
	// starts from, so that a record is encoded without growing its buffer.
	size atomic.Int64
}

// Registrar is the part of a Schema Registry client that codecs need;
// *sr.Client implements it.
type Registrar interface {
	CreateSchema(ctx context.Context, subject string, s sr.Schema) (sr.SubjectSchema, error)
	SchemaByID(ctx context.Context, id int) (sr.Schema, error)
	SetCompatibility(ctx context.Context, compat sr.SetCompatibility, subjects ...string) []sr.CompatibilityResult
}

// Register registers record's schema under subject (idempotent: an identical
// schema keeps its id), sets the subject's compatibility to BACKWARD and
// returns a codec that writes with the registered id. T must mirror the
// record through `avro` struct tags.
func Register[T any](ctx context.Context, reg Registrar, subject, record string) (*Codec[T], error) {
	text, err := Schema(record)
	if err != nil {
		return nil, err
	}
	for _, res := range reg.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatBackward}, subject) {
		if res.Err != nil {
			return nil, fmt.Errorf("setting BACKWARD compatibility on %s: %w", subject, res.Err)
		}
	}
	ss, err := reg.CreateSchema(ctx, subject, sr.Schema{Schema: text, Type: sr.TypeAvro})
	if err != nil {
		return nil, fmt.Errorf("registering %s under %s: %w", record, subject, err)
	}
	return NewCodec[T](subject, record, ss.ID, reg.SchemaByID)
}

// NewCodec returns a codec for record that writes with schema id id, already
// registered under subject. lookup fetches writer schemas of ids it has not
// seen; it may be nil, in which case only id is readable.
func NewCodec[T any](subject, record string, id int, lookup func(ctx context.Context, id int) (sr.Schema, error)) (*Codec[T], error) {
	text, err := Schema(record)
	if err != nil {
		return nil, err
	}
	c := &Codec[T]{subject: subject, record: record, id: id, serde: sr.NewSerde()}
	c.lookup = lookup
	if err := c.add(id, text, true); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Codec[T]) add(id int, text string, writer bool) error {
	ac, err := goavro.NewCodec(text)
	if err != nil {
		return fmt.Errorf("compiling schema id %d of %s: %w", id, c.subject, err)
	}
	opts := []sr.EncodingOpt{
		sr.DecodeFn(func(b []byte, v any) error {
			if bc, ok := v.(binaryCodec); ok && writer {
				return bc.avroRead(b)
			}
			n, rest, err := ac.NativeFromBinary(b)
			if err != nil {
				return err
			}
			if len(rest) != 0 {
				return fmt.Errorf("%d trailing bytes after the record", len(rest))
			}
			if nd, ok := v.(nativeDecoder); ok {
				m, ok := n.(map[string]any)
				if !ok {
					return fmt.Errorf("want record, got %T", n)
				}
				return nd.avroFromNative(m)
			}
			return fromNative(n, reflect.ValueOf(v).Elem())
		}),
	}
	if writer {
		opts = append(opts, sr.AppendEncodeFn(func(b []byte, v any) ([]byte, error) {
			if bc, ok := v.(binaryCodec); ok {
				return bc.avroAppend(b), nil
			}
			n, err := toNative(reflect.ValueOf(v))
			if err != nil {
				return nil, err
			}
			return ac.BinaryFromNative(b, n)
		}))
	}
	c.serde.Register(id, new(T), opts...)
	return nil
}

// ID is the schema id this codec writes with.
func (c *Codec[T]) ID() int { return c.id }

// Subject is the registry subject of this codec.
func (c *Codec[T]) Subject() string { return c.subject }

// Encode encodes v, a T or *T, with the Confluent header; an Encoded value
// is returned as it is.
func (c *Codec[T]) Encode(v any) ([]byte, error) {
	b, err := c.AppendEncode(make([]byte, 0, c.size.Load()+64), v)
	if err == nil {
		c.size.Store(int64(len(b)))
	}
	return b, err
}

// AppendEncode appends the encoding of v, a T or *T, to b.
func (c *Codec[T]) AppendEncode(b []byte, v any) ([]byte, error) {
	var p *T
	switch x := v.(type) {
	case Encoded:
		return append(b, x...), nil
	case *T:
		p = x
	case T:
		p = &x
	default:
		return nil, fmt.Errorf("encoding %s: got %T, want %T", c.record, v, p)
	}
	if p == nil {
		return nil, fmt.Errorf("encoding %s: nil value", c.record)
	}
	out, err := c.serde.AppendEncode(b, p)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", c.record, err)
	}
	return out, nil
}

// Decode decodes a record in the Confluent wire format into a new *T.
func (c *Codec[T]) Decode(b []byte) (any, error) {
	return c.DecodeTyped(b)
}

// DecodeTyped is Decode with a typed result.
func (c *Codec[T]) DecodeTyped(b []byte) (*T, error) {
	v := new(T)
	err := c.serde.Decode(b, v)
	if errors.Is(err, sr.ErrNotRegistered) {
		id, _, herr := c.serde.DecodeID(b)
		if herr != nil {
			return nil, fmt.Errorf("decoding %s: %w", c.record, herr)
		}
		if lerr := c.learn(id); lerr != nil {
			return nil, fmt.Errorf("decoding %s with schema id %d: %w", c.record, id, lerr)
		}
		err = c.serde.Decode(b, v)
	}
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", c.record, err)
	}
	return v, nil
}

// learn fetches the writer schema of id and makes it readable, if it is a
// version of this codec's record.
func (c *Codec[T]) learn(id int) error {
	if c.lookup == nil {
		return ErrUnknownSchema
	}
	s, err := c.lookup(context.Background(), id)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnknownSchema, err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s.Schema), &m); err != nil {
		return fmt.Errorf("%w: writer schema is not JSON: %w", ErrUnknownSchema, err)
	}
	if got := fullName(m); got != c.record {
		return fmt.Errorf("%w: writer schema is %s, not %s", ErrUnknownSchema, got, c.record)
	}
	return c.add(id, s.Schema, false)
}
