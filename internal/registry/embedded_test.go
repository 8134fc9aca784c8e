package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
)

// open returns a started registry on a free port of 127.0.0.1 and a client
// for it; the registry is closed when the test ends.
func open(t *testing.T, dir string) (*Embedded, *sr.Client) {
	t.Helper()
	e, err := New(Config{Addr: "127.0.0.1:0", DataDir: dir, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	cl, err := sr.NewClient(sr.URLs(e.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return e, cl
}

func closeNow(t *testing.T, e *Embedded) {
	t.Helper()
	if err := e.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// record returns an Avro record schema named name with the given fields,
// each a JSON field object.
func record(name string, fields ...string) sr.Schema {
	return sr.Schema{Schema: fmt.Sprintf(`{"type":"record","name":%q,"namespace":"test","fields":[%s]}`, name, strings.Join(fields, ","))}
}

const (
	fID      = `{"name":"id","type":"string"}`
	fName    = `{"name":"name","type":"string","default":""}`
	fAge     = `{"name":"age","type":"int"}`
	fAgeDef  = `{"name":"age","type":"int","default":0}`
	fAmount  = `{"name":"amount","type":"double"}`
	fIDLong  = `{"name":"id","type":"long"}`
	fCountry = `{"name":"country","type":"string","default":"FR"}`
)

func create(t *testing.T, cl *sr.Client, subject string, s sr.Schema) sr.SubjectSchema {
	t.Helper()
	ss, err := cl.CreateSchema(t.Context(), subject, s)
	if err != nil {
		t.Fatalf("registering under %s: %v", subject, err)
	}
	return ss
}

func setCompat(t *testing.T, cl *sr.Client, level sr.CompatibilityLevel, subjects ...string) {
	t.Helper()
	for _, r := range cl.SetCompatibility(t.Context(), sr.SetCompatibility{Level: level}, subjects...) {
		if r.Err != nil {
			t.Fatalf("setting %s on %q: %v", level, r.Subject, r.Err)
		}
	}
}

func compat(t *testing.T, cl *sr.Client, subject string) sr.CompatibilityLevel {
	t.Helper()
	r := cl.Compatibility(t.Context(), subject)[0]
	if r.Err != nil {
		t.Fatalf("reading compatibility of %q: %v", subject, r.Err)
	}
	return r.Level
}

// responseError asserts that err is an sr.ResponseError with the given HTTP
// status and Confluent error code.
func responseError(t *testing.T, err error, status, code int) *sr.ResponseError {
	t.Helper()
	var re *sr.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error = %v (%T), want *sr.ResponseError", err, err)
	}
	if re.StatusCode != status || re.ErrorCode != code {
		t.Fatalf("status %d error_code %d (%s), want %d and %d", re.StatusCode, re.ErrorCode, re.Message, status, code)
	}
	return re
}

func TestRestartKeepsIDsAndVersions(t *testing.T) {
	dir := t.TempDir()
	e, cl := open(t, dir)
	ctx := t.Context()

	if got := compat(t, cl, ""); got != sr.CompatBackward {
		t.Fatalf("default global compatibility = %s, want BACKWARD", got)
	}
	want := []sr.SubjectSchema{
		create(t, cl, "orders-value", record("Order", fID, fAmount)),
		create(t, cl, "orders-value", record("Order", fID, fAmount, fCountry)),
		create(t, cl, "customers-value", record("Customer", fID, fName)),
		create(t, cl, "payments-value", record("Payment", fID, fAmount)),
		// The same schema under a second subject shares its id.
		create(t, cl, "orders-archive-value", record("Order", fID, fAmount)),
	}
	if want[4].ID != want[0].ID {
		t.Fatalf("identical schema under a second subject got id %d, want %d", want[4].ID, want[0].ID)
	}
	// A subject registered then deleted: its id must not come back.
	gone := create(t, cl, "scratch-value", record("Scratch", fID))
	if _, err := cl.DeleteSubject(ctx, "scratch-value", sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteSubject(ctx, "scratch-value", sr.HardDelete); err != nil {
		t.Fatal(err)
	}
	setCompat(t, cl, sr.CompatFull, "customers-value")
	setCompat(t, cl, sr.CompatBackwardTransitive)
	closeNow(t, e)

	e, cl = open(t, dir)
	for _, w := range want {
		got, err := cl.SchemaByVersion(ctx, w.Subject, w.Version)
		if err != nil {
			t.Fatalf("after restart, %s version %d: %v", w.Subject, w.Version, err)
		}
		if got.ID != w.ID || got.Schema.Schema != w.Schema.Schema {
			t.Errorf("after restart, %s version %d has id %d schema %s, want id %d schema %s", w.Subject, w.Version, got.ID, got.Schema.Schema, w.ID, w.Schema.Schema)
		}
	}
	subjects, err := cl.Subjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if wantSubjects := []string{"customers-value", "orders-archive-value", "orders-value", "payments-value"}; !slices.Equal(subjects, wantSubjects) {
		t.Errorf("after restart, subjects = %v, want %v", subjects, wantSubjects)
	}
	if got := compat(t, cl, "customers-value"); got != sr.CompatFull {
		t.Errorf("after restart, customers-value compatibility = %s, want FULL", got)
	}
	if got := compat(t, cl, ""); got != sr.CompatBackwardTransitive {
		t.Errorf("after restart, global compatibility = %s, want BACKWARD_TRANSITIVE", got)
	}

	// Re-registering keeps the id; a new schema gets an id never used.
	if again := create(t, cl, "orders-value", record("Order", fID, fAmount, fCountry)); again.ID != want[1].ID || again.Version != want[1].Version {
		t.Errorf("re-registering after restart: id %d version %d, want id %d version %d", again.ID, again.Version, want[1].ID, want[1].Version)
	}
	fresh := create(t, cl, "refunds-value", record("Refund", fID, fAmount))
	for _, w := range append(want, gone) {
		if fresh.ID <= w.ID {
			t.Errorf("new schema after restart got id %d, not above id %d of %s version %d", fresh.ID, w.ID, w.Subject, w.Version)
		}
	}
	closeNow(t, e)

	// What was registered after the first restart survives the second.
	_, cl = open(t, dir)
	if got, err := cl.SchemaByVersion(ctx, "refunds-value", 1); err != nil || got.ID != fresh.ID {
		t.Errorf("after second restart, refunds-value version 1 = id %d (err %v), want id %d", got.ID, err, fresh.ID)
	}
}

func TestDeletesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	e, cl := open(t, dir)
	ctx := t.Context()
	create(t, cl, "a-value", record("A", fID))
	v2 := create(t, cl, "a-value", record("A", fID, fName))
	if err := cl.DeleteSchema(ctx, "a-value", v2.Version, sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	closeNow(t, e)

	_, cl = open(t, dir)
	versions, err := cl.SubjectVersions(ctx, "a-value")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(versions, []int{1}) {
		t.Errorf("after restart, versions of a-value = %v, want [1] (version 2 was deleted)", versions)
	}
}

func TestIncompatibleRegistrationRefused(t *testing.T) {
	_, cl := open(t, t.TempDir())
	ctx := t.Context()
	v1 := create(t, cl, "customers-value", record("Customer", fID, fName))

	// BACKWARD (the default): a new field without a default cannot be
	// read from data written with version 1.
	_, err := cl.CreateSchema(ctx, "customers-value", record("Customer", fID, fName, fAge))
	re := responseError(t, err, http.StatusConflict, 409)
	if !strings.Contains(re.Message, "age") || !strings.Contains(re.Message, "customers-value") {
		t.Errorf("409 message %q does not name the subject and the field", re.Message)
	}
	if versions, err := cl.SubjectVersions(ctx, "customers-value"); err != nil || !slices.Equal(versions, []int{v1.Version}) {
		t.Errorf("versions after a refused registration = %v (err %v), want [%d]", versions, err, v1.Version)
	}

	// A type change that does not promote is refused too.
	_, err = cl.CreateSchema(ctx, "customers-value", record("Customer", `{"name":"id","type":"int"}`, fName))
	responseError(t, err, http.StatusConflict, 409)

	// With a default, the same field is a compatible change.
	v2 := create(t, cl, "customers-value", record("Customer", fID, fName, fAgeDef))
	if v2.Version != 2 || v2.ID == v1.ID {
		t.Errorf("compatible change registered as version %d id %d, want version 2 and a new id", v2.Version, v2.ID)
	}
}

func TestNoneAcceptsAnything(t *testing.T) {
	_, cl := open(t, t.TempDir())
	create(t, cl, "x-value", record("X", fID, fName))
	setCompat(t, cl, sr.CompatNone, "x-value")
	// Everything changes: type of id, a new required field, a removed one.
	ss := create(t, cl, "x-value", record("X", fIDLong, fAge))
	if ss.Version != 2 {
		t.Errorf("version = %d, want 2", ss.Version)
	}
}

func TestIdempotentRegistration(t *testing.T) {
	_, cl := open(t, t.TempDir())
	v1 := create(t, cl, "x-value", record("X", fID))
	// Whitespace does not make a schema different.
	spaced := sr.Schema{Schema: " {\"type\": \"record\", \"name\": \"X\", \"namespace\": \"test\",\n \"fields\": [" + fID + "]} "}
	if again := create(t, cl, "x-value", spaced); again.ID != v1.ID || again.Version != v1.Version {
		t.Errorf("re-registering: id %d version %d, want id %d version %d", again.ID, again.Version, v1.ID, v1.Version)
	}

	// Version 1 is not compatible with version 2 (it lacks age), yet
	// registering it again returns its id rather than a 409.
	setCompat(t, cl, sr.CompatNone, "x-value")
	v2 := create(t, cl, "x-value", record("X", fAge))
	setCompat(t, cl, sr.CompatBackward, "x-value")
	if again := create(t, cl, "x-value", record("X", fID)); again.ID != v1.ID || again.Version != v1.Version {
		t.Errorf("re-registering version 1 after version 2: id %d version %d, want id %d version %d", again.ID, again.Version, v1.ID, v1.Version)
	}
	if again := create(t, cl, "x-value", record("X", fAge)); again.ID != v2.ID {
		t.Errorf("re-registering version 2: id %d, want %d", again.ID, v2.ID)
	}
}

func TestCompatibilityEndpoint(t *testing.T) {
	_, cl := open(t, t.TempDir())
	ctx := t.Context()
	create(t, cl, "x-value", record("X", fID))

	withDefault := record("X", fID, fAgeDef)
	without := record("X", fID, fAge)
	for _, version := range []int{-1, -2, 1} { // latest, all, version 1
		res, err := cl.CheckCompatibility(ctx, "x-value", version, withDefault)
		if err != nil || !res.Is {
			t.Errorf("version %d: field with default: is_compatible %v messages %v (err %v), want true", version, res.Is, res.Messages, err)
		}
		// The same check right after, differing only by the default,
		// must not reuse the verdict above.
		res, err = cl.CheckCompatibility(ctx, "x-value", version, without)
		if err != nil || res.Is {
			t.Errorf("version %d: field without default: is_compatible %v (err %v), want false", version, res.Is, err)
		}
		if len(res.Messages) == 0 || !strings.Contains(strings.Join(res.Messages, " "), "age") {
			t.Errorf("version %d: messages %q do not name the field", version, res.Messages)
		}
	}

	// Nothing was registered by the checks.
	if versions, err := cl.SubjectVersions(ctx, "x-value"); err != nil || !slices.Equal(versions, []int{1}) {
		t.Errorf("versions after checks = %v (err %v), want [1]", versions, err)
	}

	_, err := cl.CheckCompatibility(ctx, "nope-value", -1, withDefault)
	responseError(t, err, http.StatusNotFound, 40401)
	_, err = cl.CheckCompatibility(ctx, "x-value", 7, withDefault)
	responseError(t, err, http.StatusNotFound, 40402)
	_, err = cl.CheckCompatibility(ctx, "x-value", -1, sr.Schema{Schema: `{"type":"record","name":"X","fields":[{"name":"a","type":"nosuchtype"}]}`})
	responseError(t, err, http.StatusUnprocessableEntity, 42201)
	// Against every version of a subject that has none, anything goes.
	if res, err := cl.CheckCompatibility(ctx, "nope-value", -2, without); err != nil || !res.Is {
		t.Errorf("new subject: is_compatible %v (err %v), want true", res.Is, err)
	}
}

// TestLevels checks three candidates against two versions at every level,
// through the endpoint that checks against all versions.
func TestLevels(t *testing.T) {
	_, cl := open(t, t.TempDir())
	ctx := t.Context()
	fA := `{"name":"a","type":"string"}`
	fADef := `{"name":"a","type":"string","default":""}`
	fB := `{"name":"b","type":"string"}`
	fBDef := `{"name":"b","type":"string","default":""}`
	fC := `{"name":"c","type":"int"}`
	create(t, cl, "r-value", record("R", fA))           // version 1
	create(t, cl, "r-value", record("R", fADef, fBDef)) // version 2

	candidates := map[string]sr.Schema{
		// Reads version 2 (b present) but not version 1 (b missing, no
		// default); both versions read it.
		"b required": record("R", fA, fB),
		// Reads both; version 2 reads it (a has a default there),
		// version 1 does not (a missing).
		"a dropped": record("R", fB),
		// Cannot read version 2 (c missing, no default); both read it.
		"c added": record("R", fA, fBDef, fC),
	}
	tests := []struct {
		level sr.CompatibilityLevel
		want  map[string]bool
	}{
		{sr.CompatNone, map[string]bool{"b required": true, "a dropped": true, "c added": true}},
		{sr.CompatBackward, map[string]bool{"b required": true, "a dropped": true, "c added": false}},
		{sr.CompatBackwardTransitive, map[string]bool{"b required": false, "a dropped": false, "c added": false}},
		{sr.CompatForward, map[string]bool{"b required": true, "a dropped": true, "c added": true}},
		{sr.CompatForwardTransitive, map[string]bool{"b required": true, "a dropped": false, "c added": true}},
		{sr.CompatFull, map[string]bool{"b required": true, "a dropped": true, "c added": false}},
		{sr.CompatFullTransitive, map[string]bool{"b required": false, "a dropped": false, "c added": false}},
	}
	for _, tt := range tests {
		setCompat(t, cl, tt.level, "r-value")
		for name, s := range candidates {
			res, err := cl.CheckCompatibility(ctx, "r-value", -2, s)
			if err != nil {
				t.Fatalf("%s, %s: %v", tt.level, name, err)
			}
			if res.Is != tt.want[name] {
				t.Errorf("%s, %s: is_compatible %v, want %v (messages %q)", tt.level, name, res.Is, tt.want[name], res.Messages)
			}
		}
	}
}

func TestReferences(t *testing.T) {
	_, cl := open(t, t.TempDir())
	ctx := t.Context()
	addr := create(t, cl, "address", record("Address", `{"name":"city","type":"string"}`))
	ref := []sr.SchemaReference{{Name: "test.Address", Subject: "address", Version: addr.Version}}
	person := record("Person", fID, `{"name":"home","type":"test.Address"}`)
	person.References = ref
	create(t, cl, "person-value", person)

	next := record("Person", fID, `{"name":"home","type":"test.Address"}`, fAge)
	next.References = ref
	_, err := cl.CreateSchema(ctx, "person-value", next)
	responseError(t, err, http.StatusConflict, 409)
}

func TestConcurrentRegistrations(t *testing.T) {
	dir := t.TempDir()
	e, cl := open(t, dir)
	ctx := t.Context()
	const n = 16
	ids := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ss, err := cl.CreateSchema(ctx, fmt.Sprintf("s%d-value", i), record(fmt.Sprintf("S%d", i), fID))
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = ss.ID
		})
	}
	wg.Wait()
	closeNow(t, e)

	_, cl = open(t, dir)
	seen := map[int]bool{}
	for i, id := range ids {
		if seen[id] {
			t.Errorf("id %d handed out twice", id)
		}
		seen[id] = true
		got, err := cl.SchemaByVersion(ctx, fmt.Sprintf("s%d-value", i), 1)
		if err != nil || got.ID != id {
			t.Errorf("after restart, s%d-value version 1 = id %d (err %v), want %d", i, got.ID, err, id)
		}
	}
}

func TestMemoryOnly(t *testing.T) {
	_, cl := open(t, "")
	if ss := create(t, cl, "x-value", record("X", fID)); ss.ID != 1 {
		t.Errorf("first id = %d, want 1", ss.ID)
	}
}

func TestStartTwiceAndClose(t *testing.T) {
	e, _ := open(t, t.TempDir())
	if err := e.Start(t.Context()); err == nil {
		t.Error("second Start succeeded")
	}
	closeNow(t, e)
	closeNow(t, e) // Close is idempotent
	if err := e.Start(t.Context()); err == nil {
		t.Error("Start after Close succeeded")
	}
}

func TestTruncatedLastLineDropped(t *testing.T) {
	dir := t.TempDir()
	e, cl := open(t, dir)
	v1 := create(t, cl, "x-value", record("X", fID))
	closeNow(t, e)

	// A crash in the middle of writing the next line.
	path := filepath.Join(dir, logName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"op":"schema","subject":"x-value","vers`); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	e, cl = open(t, dir)
	if got, err := cl.SchemaByVersion(t.Context(), "x-value", 1); err != nil || got.ID != v1.ID {
		t.Fatalf("version 1 = id %d (err %v), want %d", got.ID, err, v1.ID)
	}
	v2 := create(t, cl, "x-value", record("X", fID, fName))
	closeNow(t, e)

	// The partial line is gone and the next one was written cleanly.
	_, cl = open(t, dir)
	if got, err := cl.SchemaByVersion(t.Context(), "x-value", 2); err != nil || got.ID != v2.ID {
		t.Errorf("after the repaired log, version 2 = id %d (err %v), want %d", got.ID, err, v2.ID)
	}
}

func TestCorruptLogRefused(t *testing.T) {
	good := `{"op":"schema","subject":"x-value","version":1,"id":1,"schema":"{\"type\":\"string\"}"}`
	tests := []struct {
		name, log, want string
	}{
		{"not JSON", good + "\n{oops\n" + good + "\n", "line 2"},
		{"unknown operation", good + "\n" + `{"op":"rename","subject":"x-value"}` + "\n", `line 2: unknown operation "rename"`},
		{"missing id", `{"op":"schema","subject":"x-value","version":1,"schema":"\"int\""}` + "\n", "line 1"},
		{"bad level", `{"op":"config","compatibility":"SIDEWAYS"}` + "\n", "line 1"},
		{"version taken twice", good + "\n" + strings.Replace(good, `"id":1`, `"id":2`, 1) + "\n", "line 2"},
		{"id reused for another schema", good + "\n" + `{"op":"schema","subject":"y-value","version":1,"id":1,"schema":"\"int\""}` + "\n", "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, logName), []byte(tt.log), 0o644); err != nil {
				t.Fatal(err)
			}
			e, err := New(Config{DataDir: dir, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
			if err == nil {
				_ = e.Close(t.Context())
				t.Fatal("New accepted a corrupt log")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), logName) {
				t.Errorf("error %q does not name the file and %q", err, tt.want)
			}
		})
	}
}

func TestContextPrefixIsChecked(t *testing.T) {
	e, cl := open(t, t.TempDir())
	create(t, cl, "x-value", record("X", fID))
	body := fmt.Sprintf(`{"schema":%q}`, record("X", fID, fAge).Schema)
	resp, err := http.Post(e.URL()+"/contexts/.other/subjects/x-value/versions", "application/vnd.schemaregistry.v1+json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("incompatible registration under a context prefix: status %d, want 409", resp.StatusCode)
	}
}

func TestLogFailureRefusesChanges(t *testing.T) {
	e, cl := open(t, t.TempDir())
	ctx := t.Context()
	v1 := create(t, cl, "x-value", record("X", fID))
	// The disk goes away under the registry.
	e.mu.Lock()
	if err := e.store.f.Close(); err != nil {
		t.Fatal(err)
	}
	e.mu.Unlock()

	_, err := cl.CreateSchema(ctx, "y-value", record("Y", fID))
	responseError(t, err, http.StatusInternalServerError, 50001)
	// Every later change is refused...
	for _, r := range cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatNone}, "x-value") {
		responseError(t, r.Err, http.StatusInternalServerError, 50001)
	}
	// ...while reads still work.
	if got, err := cl.SchemaByVersion(ctx, "x-value", 1); err != nil || got.ID != v1.ID {
		t.Errorf("reading after a log failure: id %d (err %v), want %d", got.ID, err, v1.ID)
	}
	e.mu.Lock()
	e.store = nil // already closed above
	e.mu.Unlock()
}
