package gen

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGenerateIsDeterministic(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Profiles = 1600
	cfg.Days = 4
	cfg.Shortfalls = 2
	cfg.MalformedShare = 0.01
	run := func(cfg Config, workers int) ([]byte, []byte) {
		t.Helper()
		var out, tj bytes.Buffer
		var truth Truth
		if _, err := generate(cfg, &out, &truth, workers); err != nil {
			t.Fatal(err)
		}
		if err := truth.WriteJSON(&tj); err != nil {
			t.Fatal(err)
		}
		return out.Bytes(), tj.Bytes()
	}
	events1, truth1 := run(cfg, 1)
	events3, truth3 := run(cfg, 3)
	if !bytes.Equal(events1, events3) {
		t.Error("events differ between 1 and 3 workers")
	}
	if !bytes.Equal(truth1, truth3) {
		t.Error("truth differs between 1 and 3 workers")
	}
	again, _ := run(cfg, 3)
	if !bytes.Equal(events3, again) {
		t.Error("events differ between two runs")
	}
	cfg.Seed++
	other, _ := run(cfg, 3)
	if bytes.Equal(events1, other) {
		t.Error("another seed gave the same events")
	}
}

func TestLinesFollowTheFormat(t *testing.T) {
	d := loadFixture(t)
	if len(d.lines) != d.stats.Lines {
		t.Fatalf("%d lines, stats say %d", len(d.lines), d.stats.Lines)
	}
	malformed := map[int]string{}
	for _, m := range d.truth.Malformed {
		malformed[m.Line] = m.Kind
	}
	if len(malformed) != d.stats.Malformed || len(malformed) == 0 {
		t.Fatalf("%d malformed lines in the truth, stats say %d", len(malformed), d.stats.Malformed)
	}
	ids := map[string]bool{}
	byType := map[string]int{}
	var last time.Time
	for i, r := range d.recs {
		n := i + 1
		if kind, bad := malformed[n]; bad {
			if r != nil {
				t.Errorf("line %d (%s) parses: %s", n, kind, d.lines[i])
			}
			continue
		}
		if r == nil {
			t.Errorf("line %d: %v: %s", n, d.errs[i], d.lines[i])
			continue
		}
		if r.at.Before(last) {
			t.Errorf("line %d: ts %s before %s", n, r.TS, last.Format(time.RFC3339Nano))
		}
		last = r.at
		if ids[r.EventID] {
			t.Errorf("line %d: event id %s repeated", n, r.EventID)
		}
		ids[r.EventID] = true
		byType[r.Type]++
	}
	if !mapsEqual(byType, d.stats.ByType) {
		t.Errorf("types in the file %v, stats say %v", byType, d.stats.ByType)
	}
	if byType["video_play"] == 0 || byType["erasure_request"] == 0 || byType["form_abandon"] == 0 {
		t.Errorf("missing rare types: %v", byType)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestMalformedLinesAreRecordedExactly(t *testing.T) {
	d := loadFixture(t)
	kinds := map[string]int{}
	for _, m := range d.truth.Malformed {
		line := d.lines[m.Line-1]
		kinds[m.Kind]++
		if m.Kind == FaultBrokenJSON {
			if json.Valid(line) {
				t.Errorf("line %d: broken_json is valid JSON", m.Line)
			}
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal(line, &obj); err != nil {
			t.Errorf("line %d (%s): %v", m.Line, m.Kind, err)
			continue
		}
		if obj["event_id"] != m.EventID {
			t.Errorf("line %d: event id %v, truth says %s", m.Line, obj["event_id"], m.EventID)
		}
		ids, hasIDs := obj["ids"].(map[string]any)
		var ok bool
		switch m.Kind {
		case FaultMissingIDs:
			_, present := obj["ids"]
			ok = !present
		case FaultEmptyIDs:
			ok = hasIDs
			for _, v := range ids {
				ok = ok && v == ""
			}
		case FaultValueType:
			_, ok = obj["value"].(string)
		case FaultTSType:
			_, ok = obj["ts"].(bool)
		case FaultTSUnparsable:
			s, isString := obj["ts"].(string)
			_, err := time.Parse(time.RFC3339Nano, s)
			ok = isString && err != nil
		case FaultTSFuture:
			s, _ := obj["ts"].(string)
			at, err := time.Parse(time.RFC3339Nano, s)
			ok = err == nil && at.After(d.truth.End.AddDate(5, 0, 0))
		}
		if !ok {
			t.Errorf("line %d is not %s: %s", m.Line, m.Kind, line)
		}
	}
	if len(kinds) != int(numFaults)-1 {
		t.Errorf("fault kinds planted: %v", kinds)
	}
}

func TestTruthCoversEveryIdentifier(t *testing.T) {
	d := loadFixture(t)
	seen := map[string]bool{}
	for i, r := range d.recs {
		if r == nil {
			continue
		}
		for k, v := range r.IDs {
			key := identifierKey(k, v)
			seen[key] = true
			if len(d.truth.IdentifierOwner[key]) == 0 {
				t.Fatalf("line %d: identifier %s has no owner", i+1, key)
			}
		}
	}
	for key := range d.truth.IdentifierOwner {
		if !seen[key] {
			t.Errorf("identifier %s is in the truth but in no event", key)
		}
	}
	for _, p := range d.truth.Persons {
		for _, key := range p.Identifiers {
			if !slices.Contains(d.truth.IdentifierOwner[key], p.ID) {
				t.Errorf("%s lists %s, which it does not own", p.ID, key)
			}
		}
		var linked int
		for _, c := range p.Linked {
			linked += len(c)
		}
		if linked > len(p.Identifiers) {
			t.Errorf("%s: %d linked identifiers, %d identifiers", p.ID, linked, len(p.Identifiers))
		}
	}
}

func TestSharedDevicesAreRecorded(t *testing.T) {
	d := loadFixture(t)
	shared := d.truth.Shared()
	if len(shared) == 0 {
		t.Fatal("no shared identifiers")
	}
	for _, key := range shared {
		owners := d.truth.IdentifierOwner[key]
		a, b := d.truth.Person(owners[0]), d.truth.Person(owners[1])
		if len(owners) != 2 || a == nil || b == nil || a.SharedWith != b.ID || b.SharedWith != a.ID {
			t.Errorf("%s: owners %v are not household partners", key, owners)
		}
	}
	// A device seen with two customers must be a shared one: those are the
	// links identity resolution has to refuse.
	customers := map[string]map[string]bool{}
	for _, r := range d.recs {
		if r == nil || r.IDs["device"] == "" || r.IDs["customer"] == "" {
			continue
		}
		dev := "device:" + r.IDs["device"]
		if customers[dev] == nil {
			customers[dev] = map[string]bool{}
		}
		customers[dev][r.IDs["customer"]] = true
	}
	var twice int
	for dev, cs := range customers {
		if len(cs) > 1 {
			twice++
			if len(d.truth.IdentifierOwner[dev]) < 2 {
				t.Errorf("%s is seen with customers %v but not shared in the truth", dev, cs)
			}
		}
	}
	if twice == 0 {
		t.Error("no device is seen with two customers")
	}
}

func TestSessionsMatchTheTruth(t *testing.T) {
	d := loadFixture(t)
	times := map[string][]time.Time{}
	for _, r := range d.recs {
		if r == nil {
			continue
		}
		if p := d.personOf(r); p != "" {
			times[p] = append(times[p], r.at)
		}
	}
	var checked int
	for _, p := range d.truth.Persons {
		if p.SharedWith != "" {
			continue // events on the shared tablet name no single person
		}
		ts := times[p.ID]
		if len(ts) != p.Events {
			t.Errorf("%s: %d events in the file, truth says %d", p.ID, len(ts), p.Events)
			continue
		}
		var sessions []Session
		for i, at := range ts {
			if i == 0 || at.Sub(ts[i-1]) > 30*time.Minute {
				sessions = append(sessions, Session{Start: at})
			} else if gap := at.Sub(ts[i-1]); gap >= 15*time.Minute {
				t.Errorf("%s: %v between two events of a visit", p.ID, gap)
			}
			s := &sessions[len(sessions)-1]
			s.End = at
			s.Events++
		}
		if len(sessions) != len(p.Sessions) {
			t.Errorf("%s: a 30 min gap finds %d sessions, truth has %d", p.ID, len(sessions), len(p.Sessions))
			continue
		}
		for i, s := range sessions {
			want := p.Sessions[i]
			if !s.Start.Equal(want.Start) || !s.End.Equal(want.End) || s.Events != want.Events {
				t.Errorf("%s session %d: %v-%v %d events, truth %v-%v %d", p.ID, i, s.Start, s.End, s.Events, want.Start, want.End, want.Events)
			}
			if i > 0 && want.Start.Sub(p.Sessions[i-1].End) < 45*time.Minute {
				t.Errorf("%s session %d starts %v after the previous one", p.ID, i, want.Start.Sub(p.Sessions[i-1].End))
			}
		}
		checked++
	}
	if checked < len(d.truth.Persons)*9/10 {
		t.Errorf("only %d persons checked", checked)
	}
}

func TestErasuresAndConsent(t *testing.T) {
	d := loadFixture(t)
	var requests []Erasure
	last := map[string]time.Time{}
	consent := map[string]map[string]bool{}
	for _, r := range d.recs {
		if r == nil {
			continue
		}
		p := d.personOf(r)
		if r.Type == "erasure_request" {
			requests = append(requests, Erasure{Person: p, At: r.at, EventID: r.EventID})
		}
		if p == "" {
			continue
		}
		last[p] = r.at
		if r.Type == "consent" {
			if consent[p] == nil {
				consent[p] = map[string]bool{}
			}
			consent[p][r.Props["purpose"]] = r.Props["granted"] == "true"
		}
	}
	if len(requests) == 0 || len(requests) != len(d.truth.Erasures) {
		t.Fatalf("%d erasure requests in the file, %d in the truth", len(requests), len(d.truth.Erasures))
	}
	for i, e := range d.truth.Erasures {
		if requests[i] != e {
			t.Errorf("erasure %d: file %+v, truth %+v", i, requests[i], e)
		}
		if p := d.truth.Person(e.Person); p == nil || !p.ErasedAt.Equal(e.At) {
			t.Errorf("%s: erased at %v in the person's truth", e.Person, e.At)
		}
		if !last[e.Person].Equal(e.At) {
			t.Errorf("%s: events after the erasure request (last %v, erased %v)", e.Person, last[e.Person], e.At)
		}
	}
	var withdrawn int
	for _, p := range d.truth.Persons {
		if p.SharedWith != "" {
			continue
		}
		if len(p.Consent) != len(consent[p.ID]) {
			t.Errorf("%s: consent %v, events say %v", p.ID, p.Consent, consent[p.ID])
			continue
		}
		for k, v := range p.Consent {
			if consent[p.ID][k] != v {
				t.Errorf("%s: consent %v, events say %v", p.ID, p.Consent, consent[p.ID])
			}
			if !v {
				withdrawn++
			}
		}
	}
	if withdrawn == 0 {
		t.Error("no consent is withdrawn")
	}
}

func TestVolume(t *testing.T) {
	d := loadFixture(t)
	rate := float64(d.stats.Events) / float64(d.cfg.Profiles*d.cfg.Days)
	if rate < 4 || rate > 12 {
		t.Errorf("%.1f events per person and day, want 4 to 12", rate)
	}
	t.Logf("%d events, %.2f per person and day, %d sessions, %d purchases, %.0f EUR",
		d.stats.Events, rate, d.stats.Sessions, d.stats.Purchases, d.stats.Revenue)
}

func TestTruthRoundTrip(t *testing.T) {
	d := loadFixture(t)
	var buf bytes.Buffer
	if err := d.truth.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadTruth(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := back.WriteJSON(&again); err != nil {
		t.Fatal(err)
	}
	var first bytes.Buffer
	_ = d.truth.WriteJSON(&first)
	if !bytes.Equal(first.Bytes(), again.Bytes()) {
		t.Error("truth changes through WriteJSON and ReadTruth")
	}
	if _, err := ReadTruth(strings.NewReader("{")); err == nil || !strings.Contains(err.Error(), "reading truth") {
		t.Errorf("reading a broken truth: %v", err)
	}
}
