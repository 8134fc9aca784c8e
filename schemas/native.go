package schemas

import (
	"fmt"
	"reflect"
	"sync"
	"time"
)

// The Go side of a record is a struct whose fields carry `avro:"name"` tags.
// toNative and fromNative convert between such structs and the generic form
// goavro reads and writes (map[string]any for records, []any for arrays,
// map[string]any for maps). Supported field types: string, bool, int, int32,
// int64, float32, float64, []byte, time.Time (timestamp-millis, the zero time
// is 0), slices, map[string]T and nested structs.
//
// A field missing from a decoded record (written by an older schema) keeps
// its Go zero value, so every field added later must default to the zero
// value of its type.

var timeType = reflect.TypeFor[time.Time]()

type fieldPlan struct {
	name  string
	index int
}

// plans caches the tagged fields of each struct type; it is an immutable
// function of the type, filled lazily.
var plans sync.Map // reflect.Type -> []fieldPlan

func planOf(t reflect.Type) []fieldPlan {
	if p, ok := plans.Load(t); ok {
		return p.([]fieldPlan)
	}
	var out []fieldPlan
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("avro")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out = append(out, fieldPlan{name: name, index: i})
	}
	plans.Store(t, out)
	return out
}

func toNative(v reflect.Value) (any, error) {
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int64:
		return v.Int(), nil
	case reflect.Int32:
		return int32(v.Int()), nil
	case reflect.Float64:
		return v.Float(), nil
	case reflect.Float32:
		return float32(v.Float()), nil
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.IsNil() {
				return []byte{}, nil
			}
			return v.Bytes(), nil
		}
		out := make([]any, v.Len())
		for i := range out {
			x, err := toNative(v.Index(i))
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			out[i] = x
		}
		return out, nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map key type %s is not string", v.Type().Key())
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			x, err := toNative(it.Value())
			if err != nil {
				return nil, fmt.Errorf("map value %q: %w", it.Key().String(), err)
			}
			out[it.Key().String()] = x
		}
		return out, nil
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(time.Time)
			if t.IsZero() {
				return int64(0), nil
			}
			return t.UnixMilli(), nil
		}
		if v.CanAddr() {
			if ne, ok := v.Addr().Interface().(nativeEncoder); ok {
				return ne.avroNative(), nil
			}
		}
		plan := planOf(v.Type())
		out := make(map[string]any, len(plan))
		for _, f := range plan {
			x, err := toNative(v.Field(f.index))
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f.name, err)
			}
			out[f.name] = x
		}
		return out, nil
	case reflect.Pointer:
		if v.IsNil() {
			return nil, fmt.Errorf("nil %s", v.Type())
		}
		return toNative(v.Elem())
	default:
		return nil, fmt.Errorf("unsupported Go type %s", v.Type())
	}
}

func fromNative(n any, v reflect.Value) error {
	if n == nil {
		v.SetZero()
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		s, ok := n.(string)
		if !ok {
			return fmt.Errorf("want string, got %T", n)
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := n.(bool)
		if !ok {
			return fmt.Errorf("want boolean, got %T", n)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		switch x := n.(type) {
		case int32:
			v.SetInt(int64(x))
		case int64:
			v.SetInt(x)
		case int:
			v.SetInt(int64(x))
		default:
			return fmt.Errorf("want integer, got %T", n)
		}
	case reflect.Float64, reflect.Float32:
		switch x := n.(type) {
		case float64:
			v.SetFloat(x)
		case float32:
			v.SetFloat(float64(x))
		default:
			return fmt.Errorf("want floating point, got %T", n)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b, ok := n.([]byte)
			if !ok {
				return fmt.Errorf("want bytes, got %T", n)
			}
			v.SetBytes(b)
			return nil
		}
		items, ok := n.([]any)
		if !ok {
			return fmt.Errorf("want array, got %T", n)
		}
		s := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, it := range items {
			if err := fromNative(it, s.Index(i)); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
		v.Set(s)
	case reflect.Map:
		m, ok := n.(map[string]any)
		if !ok {
			return fmt.Errorf("want map, got %T", n)
		}
		out := reflect.MakeMapWithSize(v.Type(), len(m))
		et := v.Type().Elem()
		for k, x := range m {
			e := reflect.New(et).Elem()
			if err := fromNative(x, e); err != nil {
				return fmt.Errorf("map value %q: %w", k, err)
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
		}
		v.Set(out)
	case reflect.Struct:
		if v.Type() == timeType {
			var ms int64
			switch x := n.(type) {
			case time.Time:
				ms = x.UnixMilli()
			case int64:
				ms = x
			default:
				return fmt.Errorf("want timestamp, got %T", n)
			}
			if ms == 0 {
				v.SetZero()
			} else {
				v.Set(reflect.ValueOf(time.UnixMilli(ms).UTC()))
			}
			return nil
		}
		m, ok := n.(map[string]any)
		if !ok {
			return fmt.Errorf("want record, got %T", n)
		}
		for _, f := range planOf(v.Type()) {
			x, ok := m[f.name]
			if !ok {
				v.Field(f.index).SetZero()
				continue
			}
			if err := fromNative(x, v.Field(f.index)); err != nil {
				return fmt.Errorf("field %s: %w", f.name, err)
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return fromNative(n, v.Elem())
	default:
		return fmt.Errorf("unsupported Go type %s", v.Type())
	}
	return nil
}
