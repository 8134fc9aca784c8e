package connectors

import (
	"reflect"
	"testing"
)

func TestTheCommitWaitsForTheOldestRecordNotFinal(t *testing.T) {
	o := newOffsets()
	for off := int64(10); off < 15; off++ {
		o.fetched("triggers", 0, off)
	}
	o.fetched("triggers", 1, 7)
	o.done("triggers", 0, 11) // finished out of order
	o.done("triggers", 0, 12)
	o.done("triggers", 1, 7)
	want := map[string]map[int32]int64{"triggers": {0: 10, 1: 8}}
	if got := o.committable(); !reflect.DeepEqual(got, want) {
		t.Fatalf("committable %v, want %v: 10 holds partition 0 back", got, want)
	}
	o.done("triggers", 0, 10)
	if got := o.committable()["triggers"][0]; got != 13 {
		t.Fatalf("partition 0 commits %d once 10 to 12 are final, want 13", got)
	}
	if n := o.inFlight("triggers", 0); n != 2 {
		t.Errorf("%d records in flight on partition 0, want 2 (13 and 14)", n)
	}
	o.forget("triggers", 0)
	if _, ok := o.committable()["triggers"][0]; ok {
		t.Error("a forgotten partition is still committed")
	}
}
