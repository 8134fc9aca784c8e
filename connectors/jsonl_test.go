package connectors

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestJSONLAppendsOneLinePerDeliveryWithItsKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	j, err := NewJSONL(path)
	if err != nil {
		t.Fatal(err)
	}
	m := &Message{ID: "k-1", Topic: "activa.triggers", Partition: 2, Offset: 40, Kind: "trigger", ProfileID: "p-1", Body: []byte(`{"kind":"cart_abandoned"}`)}
	for range 2 { // a redelivery appends again, with the same key
		if err := j.Deliver(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []jsonlLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l jsonlLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Bytes(), err)
		}
		lines = append(lines, l)
	}
	if len(lines) != 2 || lines[1].ID != "k-1" || lines[0].Offset != 40 || string(lines[0].Record) != `{"kind":"cart_abandoned"}` {
		t.Fatalf("lines %+v", lines)
	}
}
