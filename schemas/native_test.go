package schemas

import (
	"reflect"
	"testing"
)

// TestNativeFastPathsMatchReflection: for every record with hand-written
// generic forms, building and reading the form by hand gives what
// reflection gives, for a full and for an empty value.
func TestNativeFastPathsMatchReflection(t *testing.T) {
	cases := []struct {
		name       string
		full, zero any // pointers
		fresh      func() any
	}{
		{"IdentityNode", ptr(fullIdentityNode()), &IdentityNode{}, func() any { return new(IdentityNode) }},
		{"IdentityCommand", ptr(fullIdentityCommand()), &IdentityCommand{}, func() any { return new(IdentityCommand) }},
	}
	for _, c := range cases {
		for _, v := range []any{c.full, c.zero} {
			fast := v.(nativeEncoder).avroNative()
			// A copy of the value is not addressable: toNative reflects.
			slow, err := toNative(reflect.ValueOf(reflect.ValueOf(v).Elem().Interface()))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Errorf("%s: hand-built form differs:\nfast %#v\nslow %#v", c.name, fast, slow)
			}
			a, b := c.fresh(), c.fresh()
			if err := a.(nativeDecoder).avroFromNative(slow.(map[string]any)); err != nil {
				t.Fatal(err)
			}
			if err := fromNative(slow, reflect.ValueOf(b).Elem()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s: hand-read value differs:\nfast %+v\nslow %+v", c.name, a, b)
			}
		}
		// A field of the wrong type is an error, not a silent zero.
		bad := c.full.(nativeEncoder).avroNative()
		for k, v := range bad {
			if _, ok := v.(string); ok {
				bad[k] = 42.0
				break
			}
		}
		if err := c.fresh().(nativeDecoder).avroFromNative(bad); err == nil {
			t.Errorf("%s: wrong field type accepted", c.name)
		}
	}
}

func ptr[T any](v T) *T { return &v }
