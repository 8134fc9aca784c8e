package schemas

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
)

// memoCase checks a Memo over record: what it hands out for bytes it
// encoded equals what the Codec decodes from them, and a caller changing
// it changes nothing the Memo hands out later.
func memoCase[T any](t *testing.T, record string, clone func(*T) *T, values []*T, mutate func(*T)) {
	t.Helper()
	c, err := Register[T](context.Background(), newRegistry(t), "m-value", record)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMemo(c, clone, 4)
	for i, v := range values {
		b, err := m.Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		want, err := c.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s %d: memo gave %+v, decoding gives %+v", record, i, got, want)
		}
		mutate(got.(*T))
		again, err := m.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, want) {
			t.Fatalf("%s %d: after a caller changed its copy, memo gave %+v, want %+v", record, i, again, want)
		}
	}
	// Bytes never encoded through the memo, and bytes forgotten, decode.
	b, err := c.Encode(values[0])
	if err != nil {
		t.Fatal(err)
	}
	m2 := NewMemo(c, clone, 1)
	if _, err := m2.Encode(values[1]); err != nil {
		t.Fatal(err)
	}
	got, err := m2.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := c.Decode(b)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: memo decoded %+v, want %+v", record, got, want)
	}
}

func TestMemoHandsOutWhatDecodingGives(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var sessions []*SessionState
	var features []*FeatureState
	for range 50 {
		for _, c := range randRecords(r) {
			switch v := c.v.(type) {
			case *SessionState:
				sessions = append(sessions, v)
			case *FeatureState:
				features = append(features, v)
			}
		}
	}
	sessions = append(sessions, &SessionState{}, sessionStateOf(3, 5))
	features = append(features, &FeatureState{})
	memoCase(t, SessionStateRecord, (*SessionState).Clone, sessions, func(s *SessionState) {
		s.MergedInto = "changed"
		for i := range s.Open {
			s.Open[i].Due = s.Open[i].Due.Add(1)
			for j := range s.Open[i].Hits {
				s.Open[i].Hits[j].EventID += "-changed"
			}
		}
		s.Open = append(s.Open, OpenSession{})
	})
	memoCase(t, FeatureStateRecord, (*FeatureState).Clone, features, func(s *FeatureState) {
		s.Events++
		for i := range s.Days {
			s.Days[i].Orders++
		}
		for i := range s.Categories {
			s.Categories[i].Score++
		}
		for i := range s.Devices {
			s.Devices[i] += "-changed"
		}
		for i := range s.Consent {
			s.Consent[i].Granted = !s.Consent[i].Granted
		}
		for i := range s.Recent {
			s.Recent[i] += "-changed"
		}
		s.Offsets["changed"] = 1
	})
}
