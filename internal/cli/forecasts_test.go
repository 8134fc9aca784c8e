package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestForecastsLoadWritesThePlanAndRefusesABadOne(t *testing.T) {
	brokers, reg := embeddedForTest(t)
	conn := []string{"--brokers", brokers, "--registry", reg, "--partitions", "4"}
	dir := t.TempDir()
	good := filepath.Join(dir, "plan.csv")
	if err := os.WriteFile(good, []byte(`kpi,dimension,value,period_start,period_end,expected,lower,upper
revenue,store,S12,2026-11-02,2026-11-03,12500,11000,14000
orders,total,,2026-11-02,2026-11-03,830,,
revenue,store,S12,2026-11-02,2026-11-03,13000,12000,14000
`), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte(`kpi,dimension,value,period_start,period_end,expected
revenue,store,S99,2026-11-02,2026-11-03,100
revenue,store,S99,2026-11-02,2026-11-03,lots
`), 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, errs := run(t, append([]string{"forecasts", "load", bad}, conn...)...)
	if code != 1 || !strings.Contains(errs, `line 3: expected "lots" is not a number`) || strings.Count(errs, "\n") != 1 {
		t.Fatalf("bad plan: code %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = run(t, append([]string{"forecasts", "load", good}, conn...)...)
	if code != 0 || !strings.Contains(out, "loaded 2 forecasts") {
		t.Fatalf("plan: code %d, stdout %q, stderr %q", code, out, errs)
	}

	code, out, errs = run(t, append([]string{"tail", "activa.kpi.forecasts", "--from-beginning", "--idle", "2s"}, conn...)...)
	if code != 0 {
		t.Fatalf("tail: %d %s", code, errs)
	}
	got := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var rec struct {
			Key   string         `json:"key"`
			Value map[string]any `json:"value"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		got[rec.Key] = rec.Value
	}
	if len(got) != 2 {
		t.Fatalf("kpi.forecasts holds %d keys, want the 2 of the good plan and none of the bad one:\n%s", len(got), out)
	}
	s12 := got["revenue|store|S12|2026-11-02T00:00:00Z"]
	if s12 == nil || s12["expected"] != 13000.0 || s12["lower"] != 12000.0 || s12["has_bounds"] != true || s12["source"] != "plan" {
		t.Errorf("store S12's plan reads %v, want the later row", s12)
	}
	if total := got["orders|total||2026-11-02T00:00:00Z"]; total == nil || total["expected"] != 830.0 || total["has_bounds"] != false {
		t.Errorf("total orders plan reads %v", total)
	}
}
