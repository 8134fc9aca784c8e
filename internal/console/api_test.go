package console

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/schemas"
)

// fakeIdentity resolves from a map of keys to profiles.
type fakeIdentity struct {
	owner map[string]string   // identifier or profile:<id> key -> profile
	ids   map[string][]string // profile -> identifiers
	err   error
	asked []string
}

func (f *fakeIdentity) Resolve(key string) (string, []string, error) {
	f.asked = append(f.asked, key)
	if f.err != nil {
		return "", nil, f.err
	}
	p := f.owner[key]
	return p, f.ids[p], nil
}

// fakeTable is a table in a map.
type fakeTable[T any] struct {
	rows  map[string]*T
	scans int
}

func (t *fakeTable[T]) Get(key string) (*T, error) { return t.rows[key], nil }

func (t *fakeTable[T]) Each(fn func(string, *T)) error {
	t.scans++
	for k, v := range t.rows {
		fn(k, v)
	}
	return nil
}

// fixture is a server over fakes: p-1 (gold, with features and consent)
// and p-2 (no segments, no features yet) in the identity table, p-1 and
// p-3 (silver) in the segments table.
type fixture struct {
	ident    *fakeIdentity
	features *fakeTable[schemas.ProfileFeatures]
	segments *fakeTable[schemas.SegmentState]
	live     *Live
	srv      *httptest.Server
	ready    error
}

func newFixture(t *testing.T, hashKey []byte) *fixture {
	t.Helper()
	f := &fixture{
		ident: &fakeIdentity{
			owner: map[string]string{"cookie:c-1": "p-1", "customer:C1": "p-1", "profile:p-1": "p-1", "cookie:a/b": "p-2", "profile:p-2": "p-2"},
			ids:   map[string][]string{"p-1": {"cookie:c-1", "customer:C1"}, "p-2": {"cookie:a/b"}},
		},
		features: &fakeTable[schemas.ProfileFeatures]{rows: map[string]*schemas.ProfileFeatures{
			"p-1": {ProfileID: "p-1", Orders: 3, Monetary90d: 612.5, Consent: schemas.Consent{Email: true, Ads: true}},
		}},
		segments: &fakeTable[schemas.SegmentState]{rows: map[string]*schemas.SegmentState{
			"p-1": {Tier: "gold", Lifecycle: "active", Cluster: "4"},
			"p-3": {Tier: "silver", Lifecycle: "new"},
		}},
		live: NewLive(10, 24),
	}
	s, err := New(Config{
		Identity: f.ident, Features: f.features, Segments: f.segments, Live: f.live, HashKey: hashKey,
		Ready: func() error { return f.ready },
		Diagram: Diagram{
			Prefix: "activa.", Processors: []string{"activa.identity"}, Topics: []string{"activa.events.raw"}, External: []string{"replay"},
			Edges: []Edge{{"replay", "activa.events.raw", "external"}, {"activa.events.raw", "activa.identity", "input"}, {"activa.identity", "activa.identity", "loop"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// get returns the status, body and headers of a GET of path.
func (f *fixture) get(t *testing.T, path string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// profile asks the API for id and decodes a profile answer.
func (f *fixture) profile(t *testing.T, id string) (int, Profile, string) {
	t.Helper()
	code, body, h := f.get(t, "/api/profiles/"+url.PathEscape(id))
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("GET %s: content type %q", id, ct)
	}
	var p Profile
	if code == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("GET %s: %v in %s", id, err, body)
		}
	}
	return code, p, body
}

func TestProfileAPIAnswersAnyIdentifierOfAProfile(t *testing.T) {
	f := newFixture(t, nil)
	for _, id := range []string{"cookie:c-1", "customer:C1", "profile:p-1", "  Cookie:c-1 "} {
		code, p, body := f.profile(t, id)
		if code != http.StatusOK {
			t.Fatalf("GET %q: %d %s", id, code, body)
		}
		if p.Profile != "p-1" || p.Tier != "gold" || p.Lifecycle != "active" || p.Cluster != "4" {
			t.Errorf("GET %q: profile %q tier %q lifecycle %q cluster %q", id, p.Profile, p.Tier, p.Lifecycle, p.Cluster)
		}
		if strings.Join(p.Identifiers, " ") != "cookie:c-1 customer:C1" {
			t.Errorf("GET %q: identifiers %v", id, p.Identifiers)
		}
		if p.Consent == nil || !p.Consent.Email || p.Consent.SMS || !p.Consent.Ads {
			t.Errorf("GET %q: consent %+v", id, p.Consent)
		}
		if p.Features == nil || p.Features.Orders != 3 || p.Features.Monetary90d != 612.5 {
			t.Errorf("GET %q: features %+v", id, p.Features)
		}
		if p.Query != id {
			t.Errorf("GET %q: query %q", id, p.Query)
		}
	}
	// A profile without segments or features yet is still found; a slash
	// in an identifier is part of it.
	code, p, body := f.profile(t, "cookie:a/b")
	if code != http.StatusOK || p.Profile != "p-2" || p.Tier != "" || p.Features != nil || p.Consent != nil {
		t.Errorf("GET cookie:a/b: %d %s", code, body)
	}
	if !strings.Contains(body, `"consent":null`) || !strings.Contains(body, `"tier":""`) {
		t.Errorf("a profile without features should say so: %s", body)
	}
}

func TestProfileAPIRefusesWhatItCannotAnswer(t *testing.T) {
	f := newFixture(t, nil)
	for id, want := range map[string]int{
		"cookie:unknown":    http.StatusNotFound,
		"profile:p-9":       http.StatusNotFound,
		"nokind":            http.StatusBadRequest,
		"cookie:":           http.StatusBadRequest,
		"shoe:42":           http.StatusBadRequest,
		"email:a@b.example": http.StatusBadRequest, // no hash key
	} {
		code, _, body := f.profile(t, id)
		var e apiError
		if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
			t.Errorf("GET %q: body %q is not a JSON error", id, body)
		}
		if code != want {
			t.Errorf("GET %q: %d, want %d (%s)", id, code, want, body)
		}
	}
	f.ident.err = errors.New("view closed")
	if code, _, body := f.profile(t, "cookie:c-1"); code != http.StatusInternalServerError || !strings.Contains(body, "view closed") {
		t.Errorf("a failing identity table: %d %s", code, body)
	}
	f.ident.err = nil
	f.ready = errors.New("recovering activa.identity-table")
	if code, _, body := f.profile(t, "cookie:c-1"); code != http.StatusServiceUnavailable || !strings.Contains(body, "recovering") {
		t.Errorf("tables not ready: %d %s", code, body)
	}
}

func TestProfileAPIHashesRawContactsWithTheKey(t *testing.T) {
	key := []byte("0123456789abcdef-test")
	f := newFixture(t, key)
	h, err := pii.New(key)
	if err != nil {
		t.Fatal(err)
	}
	email, phone := h.Email("Ann@Example.com"), h.Phone("+49 170 1234567")
	f.ident.owner["email_sha256:"+email] = "p-1"
	f.ident.owner["phone_sha256:"+phone] = "p-1"
	for _, id := range []string{"email: Ann@Example.com", "phone:+49 170 1234567", "email_sha256:" + strings.ToUpper(email)} {
		if code, p, body := f.profile(t, id); code != http.StatusOK || p.Profile != "p-1" {
			t.Errorf("GET %q: %d %s", id, code, body)
		}
	}
	if code, _, body := f.profile(t, "phone:12"); code != http.StatusBadRequest {
		t.Errorf("a phone number too short: %d %s", code, body)
	}
	want := []string{"email_sha256:" + email, "phone_sha256:" + phone, "email_sha256:" + email}
	if got := strings.Join(f.ident.asked, " "); got != strings.Join(want, " ") {
		t.Errorf("identity asked %s, want %s", got, want)
	}
}

func TestNewRefusesAnIncompleteConfig(t *testing.T) {
	if _, err := New(Config{Live: NewLive(1, 1)}); err == nil {
		t.Error("a config without tables was accepted")
	}
	f := &fakeTable[schemas.SegmentState]{}
	_, err := New(Config{Identity: &fakeIdentity{}, Features: &fakeTable[schemas.ProfileFeatures]{}, Segments: f, Live: NewLive(1, 1), HashKey: []byte("short")})
	if err == nil {
		t.Error("a hash key shorter than 16 bytes was accepted")
	}
}

// at is a time of the tests' day.
func at(hour, minute int) time.Time { return time.Date(2026, 11, 2, hour, minute, 0, 0, time.UTC) }
