package statestore_test

import (
	"slices"
	"testing"
	"time"

	"github.com/lovoo/goka/storage"

	"github.com/activa-dev/activa/internal/statestore"
)

func open(t *testing.T, dir string, o statestore.Options) storage.Storage {
	t.Helper()
	st, err := statestore.Builder(dir, o)("table", 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Open(); err != nil {
		t.Fatal(err)
	}
	return st
}

func get(t *testing.T, st storage.Storage, key string) string {
	t.Helper()
	v, err := st.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

func TestPendingWritesReadBackAndSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	st := open(t, dir, statestore.Options{MaxPending: 1000, Interval: time.Hour})
	for _, kv := range [][2]string{{"a", "1"}, {"b", "2"}, {"a", "3"}, {"c", "4"}} {
		if err := st.Set(kv[0], []byte(kv[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Delete("c"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetOffset(41); err != nil {
		t.Fatal(err)
	}
	if a, b, c := get(t, st, "a"), get(t, st, "b"), get(t, st, "c"); a != "3" || b != "2" || c != "" {
		t.Fatalf("before the write: a=%q b=%q c=%q, want 3 2 and none", a, b, c)
	}
	if ok, _ := st.Has("c"); ok {
		t.Fatal("deleted key c reported present")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = open(t, dir, statestore.Options{})
	defer st.Close()
	if a, b, c := get(t, st, "a"), get(t, st, "b"), get(t, st, "c"); a != "3" || b != "2" || c != "" {
		t.Fatalf("after reopening: a=%q b=%q c=%q, want 3 2 and none", a, b, c)
	}
	if o, err := st.GetOffset(-2); err != nil || o != 41 {
		t.Fatalf("offset after reopening %d (%v), want 41", o, err)
	}
}

func TestWritesWhenFullAndOnTheInterval(t *testing.T) {
	dir := t.TempDir()
	st := open(t, dir, statestore.Options{MaxPending: 3, Interval: 20 * time.Millisecond})
	defer st.Close()
	for _, k := range []string{"k1", "k2", "k3"} {
		if err := st.Set(k, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if n := st.(*statestore.Store).Pending(); n != 0 {
		t.Fatalf("%d keys pending after the third filled the batch", n)
	}
	if err := st.Set("k4", []byte("v")); err != nil {
		t.Fatal(err)
	}
	// The fourth waits for the interval.
	deadline := time.Now().Add(5 * time.Second)
	for st.(*statestore.Store).Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d keys still pending after 5s with a 20ms interval", st.(*statestore.Store).Pending())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIteratorSeesPendingWritesAndSkipsTheOffset(t *testing.T) {
	st := open(t, t.TempDir(), statestore.Options{Interval: time.Hour})
	defer st.Close()
	for _, k := range []string{"p:2", "p:1", "q:1"} {
		if err := st.Set(k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetOffset(7); err != nil {
		t.Fatal(err)
	}
	keys := func(it storage.Iterator, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer it.Release()
		var out []string
		for it.Next() {
			v, _ := it.Value()
			if string(v) != string(it.Key()) {
				t.Fatalf("key %s holds %s", it.Key(), v)
			}
			out = append(out, string(it.Key()))
		}
		return out
	}
	if got := keys(st.Iterator()); !slices.Equal(got, []string{"p:1", "p:2", "q:1"}) {
		t.Fatalf("all keys %v", got)
	}
	if got := keys(st.IteratorWithRange([]byte("p:"), nil)); !slices.Equal(got, []string{"p:1", "p:2"}) {
		t.Fatalf("prefix p: %v", got)
	}
	if got := keys(st.IteratorWithRange([]byte("p:2"), []byte("q:2"))); !slices.Equal(got, []string{"p:2", "q:1"}) {
		t.Fatalf("range [p:2, q:2) %v", got)
	}
}

func TestOffsetDefaultsWhenNoneStored(t *testing.T) {
	st := open(t, t.TempDir(), statestore.Options{})
	defer st.Close()
	if o, err := st.GetOffset(-2); err != nil || o != -2 {
		t.Fatalf("offset of an empty store %d (%v), want the default -2", o, err)
	}
}

func TestReadsFollowWritesAcrossBatches(t *testing.T) {
	st := open(t, t.TempDir(), statestore.Options{MaxPending: 2, Interval: time.Hour})
	defer st.Close()
	set := func(k, v string) {
		t.Helper()
		if err := st.Set(k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	set("a", "1")
	set("b", "1") // batch written; a and b are the last batch
	if err := st.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if v := get(t, st, "a"); v != "" {
		t.Fatalf("a deleted after its batch was written reads %q", v)
	}
	set("b", "2") // the deletion of a and b=2 are written
	set("c", "1")
	set("d", "1") // c and d written: a and b only in LevelDB now
	for k, want := range map[string]string{"a": "", "b": "2", "c": "1", "d": "1"} {
		if v := get(t, st, k); v != want {
			t.Fatalf("%s reads %q, want %q", k, v, want)
		}
	}
}
