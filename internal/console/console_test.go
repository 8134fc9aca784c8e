package console

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/activa-dev/activa/schemas"
)

func TestPageShowsSegmentsChangesAlertsAndTheTopology(t *testing.T) {
	f := newFixture(t, nil)
	f.live.AddChange(at(10, 0), &schemas.SegmentChange{ChangeID: "sc-1", ProfileID: "p-1", Kind: "tier", From: "silver", To: "gold", Reason: "monetary_90d 612.5 >= 500 (gold)"})
	f.live.AddAlert("revenue|store|S-07|interval", &schemas.KpiAlert{
		AlertID: "ka-1", KPI: "revenue", Dimension: "store", Value: "S-07", Rule: "interval", State: "open", Severity: "high",
		Message: "revenue of store S-07 <below> its interval", BucketStart: at(9, 0), TS: at(10, 5),
	})
	for h := range 10 {
		f.live.AddActual(&schemas.KpiActual{KPI: "revenue", Dimension: "store", Value: "S-07", BucketStart: at(h, 0), Actual: 100, HasForecast: true, Expected: 110, Lower: 90, Upper: 130})
	}
	code, page, h := f.get(t, "/")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("Content-Security-Policy") != "default-src 'self'" {
		t.Fatalf("GET /: %d %v", code, h)
	}
	for _, want := range []string{
		`id="profiles-total">2<`,                                  // two profiles in the segments table
		`<tr data-segment="gold"><td>gold</td><td class="num">1<`, // one of them gold
		`data-change="sc-1"`, `data-profile="p-1"`, "monetary_90d 612.5 &gt;= 500 (gold)",
		`data-alert="ka-1"`, "&lt;below&gt;", `<svg class="chart"`, `class="band" d="M`,
		`<svg class="diagram"`, "<title>activa.events.raw</title>", ">identity ↻</text>",
		`id="lookup-id"`, `id="lookup-go"`, `<script src="/console/console.js"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "<below>") {
		t.Error("an alert's message is not escaped")
	}
	code, live, _ := f.get(t, "/console/live")
	if code != http.StatusOK || !strings.Contains(live, `data-alert="ka-1"`) || strings.Contains(live, "<html") {
		t.Errorf("GET /console/live: %d, the live part alone expected", code)
	}
	for path, want := range map[string]string{"/console/console.js": "/api/profiles/", "/console/console.css": ".diagram"} {
		if code, body, _ := f.get(t, path); code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d", path, code)
		}
	}
	if code, _, _ := f.get(t, "/nothing-here"); code != http.StatusNotFound {
		t.Errorf("GET /nothing-here: %d", code)
	}
}

func TestJSONOfSegmentsChangesAndAlerts(t *testing.T) {
	f := newFixture(t, nil)
	f.live.AddChange(at(10, 0), &schemas.SegmentChange{ChangeID: "sc-1", ProfileID: "p-1", Kind: "tier", To: "gold"})
	f.live.AddAlert("orders|total||interval", &schemas.KpiAlert{AlertID: "ka-2", KPI: "orders", Dimension: "total", State: "open"})
	var sizes Sizes
	var changes []Change
	var alerts []Alert
	for path, v := range map[string]any{"/api/segments": &sizes, "/api/changes": &changes, "/api/alerts": &alerts} {
		code, body, _ := f.get(t, path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	if sizes.Profiles != 2 || len(sizes.Tier) != 2 || sizes.Tier[0].Profiles != 1 {
		t.Errorf("segments %+v", sizes)
	}
	if len(changes) != 1 || changes[0].ChangeID != "sc-1" || !changes[0].At.Equal(at(10, 0)) {
		t.Errorf("changes %+v", changes)
	}
	if len(alerts) != 1 || alerts[0].AlertID != "ka-2" || alerts[0].Series != nil {
		t.Errorf("alerts %+v", alerts)
	}
}
