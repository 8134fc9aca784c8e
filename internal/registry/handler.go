package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/sr"
)

// maxBody bounds the request bodies Embedded reads itself, as srfake does.
const maxBody = 1 << 20

// Confluent error codes Embedded answers with itself.
const (
	codeIncompatible    = 409
	codeSubjectNotFound = 40401
	codeVersionNotFound = 40402
	codeInvalidSchema   = 42201
	codeInvalidVersion  = 42202
	codeNotPermitted    = 42205
	codeStoreError      = 50001
)

// apiError is an error answered in Confluent's format.
type apiError struct {
	status, code int
	msg          string
}

// routes returns the mux of the requests Embedded handles itself: every
// change, to check and log it, and the compatibility checks. Everything else
// goes to srfake unchanged.
func (e *Embedded) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /subjects/{subject}/versions", e.register)
	mux.HandleFunc("POST /compatibility/subjects/{subject}/versions", e.checkCompatibility)
	mux.HandleFunc("POST /compatibility/subjects/{subject}/versions/{version}", e.checkCompatibility)
	mux.HandleFunc("PUT /config", e.logged(opConfig))
	mux.HandleFunc("PUT /config/{subject}", e.logged(opConfig))
	mux.HandleFunc("DELETE /config/{subject}", e.logged(opConfigDelete))
	mux.HandleFunc("PUT /mode", e.logged(opMode))
	mux.HandleFunc("PUT /mode/{subject}", e.logged(opMode))
	mux.HandleFunc("DELETE /mode", e.logged(opModeDelete))
	mux.HandleFunc("DELETE /mode/{subject}", e.logged(opModeDelete))
	mux.HandleFunc("DELETE /subjects/{subject}", e.logged(opDelete))
	mux.HandleFunc("DELETE /subjects/{subject}/versions/{version}", e.logged(opDelete))
	return mux
}

func (e *Embedded) serveHTTP(w http.ResponseWriter, r *http.Request) {
	// srfake accepts every path under a /contexts/{name} prefix, and
	// ignores the context when changing anything; route on the path without
	// it so that no change escapes the checks and the log.
	rr := withoutContext(r)
	if _, pattern := e.mux.Handler(rr); pattern != "" {
		e.mux.ServeHTTP(w, rr)
		return
	}
	e.fake.Handler().ServeHTTP(w, r)
}

// withoutContext returns r with a leading /contexts/{name} removed from its
// path, or r itself.
func withoutContext(r *http.Request) *http.Request {
	const prefix = "/contexts/"
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		return r
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return r
	}
	rr := r.Clone(r.Context())
	rr.URL.Path = rest[i:]
	if raw, ok := strings.CutPrefix(rr.URL.RawPath, prefix); ok {
		if j := strings.IndexByte(raw, '/'); j >= 0 {
			rr.URL.RawPath = raw[j:]
		}
	}
	return rr
}

// register handles POST /subjects/{subject}/versions: an identical schema
// keeps its id; otherwise the schema must be compatible with the subject's
// earlier versions at the subject's level before srfake registers it, and
// the new version is logged before it is acknowledged.
func (e *Embedded) register(w http.ResponseWriter, r *http.Request) {
	subject := r.PathValue("subject")
	req, aerr := decodeSchema(w, r)
	if aerr != nil {
		writeError(w, *aerr)
		return
	}
	if req.ID > 0 || req.Version > 0 {
		writeError(w, apiError{
			http.StatusUnprocessableEntity, codeNotPermitted,
			fmt.Sprintf("registering subject %q with a given id or version needs IMPORT mode, which this registry does not support", subject),
		})
		return
	}
	s := req.Schema

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.broken != nil {
		writeError(w, e.brokenError())
		return
	}
	if id, ok := e.existing(r, subject, s); ok {
		respondJSON(w, http.StatusOK, map[string]int{"id": id})
		return
	}
	prev, aerr := e.activeVersions(r, subject)
	if aerr != nil {
		writeError(w, *aerr)
		return
	}
	msgs, aerr := e.check(r, subject, s, prev, true)
	if aerr != nil {
		writeError(w, *aerr)
		return
	}
	if len(msgs) > 0 {
		e.log.Info("schema registry refused an incompatible schema", "subject", subject, "reasons", msgs)
		writeError(w, apiError{
			http.StatusConflict, codeIncompatible,
			fmt.Sprintf("Schema being registered is incompatible with an earlier schema for subject %q, details: [%s]", subject, strings.Join(msgs, "; ")),
		})
		return
	}
	id, version, err := e.fake.RegisterSchema(subject, s)
	if err != nil {
		// srfake's error carries the status and code to answer with; ask
		// its handler for them. Under e.mu nothing changed in between, so
		// it fails the same way.
		e.answerFailure(w, r, subject, s)
		return
	}
	if aerr := e.append(entry{
		Op: opSchema, Subject: subject, Version: version, ID: id,
		Schema: s.Schema, SchemaType: s.Type, References: s.References,
		Metadata: s.SchemaMetadata, RuleSet: s.SchemaRuleSet,
	}); aerr != nil {
		writeError(w, *aerr)
		return
	}
	e.log.Debug("schema registered", "subject", subject, "version", version, "id", id, "type", s.Type.String())
	respondJSON(w, http.StatusOK, map[string]int{"id": id})
}

// answerFailure answers a registration srfake refused with srfake's own
// response.
func (e *Embedded) answerFailure(w http.ResponseWriter, r *http.Request, subject string, s sr.Schema) {
	body, err := json.Marshal(s)
	if err != nil {
		writeError(w, apiError{http.StatusInternalServerError, codeStoreError, fmt.Sprintf("encoding schema for subject %q: %v", subject, err)})
		return
	}
	c := e.call(r, http.MethodPost, "/subjects/"+url.PathEscape(subject)+"/versions", body)
	if c.status/100 == 2 {
		// Cannot happen under e.mu; if it did, a version exists that is
		// not logged, so stop accepting changes.
		e.broken = fmt.Errorf("registering subject %q: registry state changed during a registration", subject)
		e.log.Error("schema registry state is inconsistent", "err", e.broken)
		writeError(w, e.brokenError())
		return
	}
	c.copyTo(w)
}

// checkCompatibility handles POST /compatibility/subjects/{subject}/versions
// (against every version the subject's level considers) and
// .../versions/{version} (against that version, or the latest).
func (e *Embedded) checkCompatibility(w http.ResponseWriter, r *http.Request) {
	subject, vs := r.PathValue("subject"), r.PathValue("version")
	req, aerr := decodeSchema(w, r)
	if aerr != nil {
		writeError(w, *aerr)
		return
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	all, aerr := e.activeVersions(r, subject)
	if aerr != nil {
		writeError(w, *aerr)
		return
	}
	prev := all
	switch vs {
	case "":
	case "latest":
		if len(all) == 0 {
			writeError(w, apiError{http.StatusNotFound, codeSubjectNotFound, fmt.Sprintf("subject %q not found", subject)})
			return
		}
		prev = all[len(all)-1:]
	default:
		n, err := strconv.Atoi(vs)
		if err != nil || n <= 0 {
			writeError(w, apiError{
				http.StatusUnprocessableEntity, codeInvalidVersion,
				fmt.Sprintf("version %q of subject %q is not a positive integer or \"latest\"", vs, subject),
			})
			return
		}
		if len(all) == 0 {
			writeError(w, apiError{http.StatusNotFound, codeSubjectNotFound, fmt.Sprintf("subject %q not found", subject)})
			return
		}
		prev = nil
		for _, p := range all {
			if p.Version == n {
				prev = []sr.SubjectSchema{p}
			}
		}
		if prev == nil {
			writeError(w, apiError{http.StatusNotFound, codeVersionNotFound, fmt.Sprintf("version %d not found for subject %q", n, subject)})
			return
		}
	}
	msgs, aerr := e.check(r, subject, req.Schema, prev, vs == "")
	if aerr != nil {
		writeError(w, *aerr)
		return
	}
	if msgs == nil {
		msgs = []string{}
	}
	respondJSON(w, http.StatusOK, sr.CheckCompatibilityResult{Is: len(msgs) == 0, Messages: msgs})
}

// check checks s against prev at subject's compatibility level. Only Avro
// schemas are checked; other types are accepted as srfake accepts them.
func (e *Embedded) check(r *http.Request, subject string, s sr.Schema, prev []sr.SubjectSchema, all bool) ([]string, *apiError) {
	if s.Type != sr.TypeAvro {
		return nil, nil
	}
	candidate, err := parseAvro(s, e.fake.GetSchema)
	if err != nil {
		return nil, &apiError{http.StatusUnprocessableEntity, codeInvalidSchema, fmt.Sprintf("invalid Avro schema for subject %q: %v", subject, err)}
	}
	level, aerr := e.level(r, subject)
	if aerr != nil {
		return nil, aerr
	}
	if level == sr.CompatNone || len(prev) == 0 {
		return nil, nil
	}
	parsed := make([]earlier, 0, len(prev))
	for _, p := range prev {
		ear := earlier{version: p.Version, id: p.ID, typ: p.Type}
		if p.Type == sr.TypeAvro {
			ear.schema, err = parseAvro(p.Schema, e.fake.GetSchema)
			if err != nil {
				return nil, &apiError{
					http.StatusInternalServerError, codeStoreError,
					fmt.Sprintf("parsing version %d (id %d) of subject %q: %v", p.Version, p.ID, subject, err),
				}
			}
		}
		parsed = append(parsed, ear)
	}
	return incompatibilities(level, candidate, parsed, all), nil
}

// existing returns the id of a live version of subject identical to s, as
// srfake compares schemas.
func (e *Embedded) existing(r *http.Request, subject string, s sr.Schema) (int, bool) {
	body, err := json.Marshal(s)
	if err != nil {
		return 0, false
	}
	c := e.call(r, http.MethodPost, "/subjects/"+url.PathEscape(subject), body)
	if c.status != http.StatusOK {
		return 0, false
	}
	var got struct {
		ID int `json:"id"`
	}
	if err := json.Unmarshal(c.body.Bytes(), &got); err != nil || got.ID <= 0 {
		return 0, false
	}
	return got.ID, true
}

// activeVersions returns subject's versions that are not deleted, oldest
// first; none when the subject does not exist.
func (e *Embedded) activeVersions(r *http.Request, subject string) ([]sr.SubjectSchema, *apiError) {
	c := e.call(r, http.MethodGet, "/subjects/"+url.PathEscape(subject)+"/versions", nil)
	if c.status == http.StatusNotFound {
		return nil, nil
	}
	var versions []int
	if c.status != http.StatusOK {
		return nil, &apiError{http.StatusInternalServerError, codeStoreError, fmt.Sprintf("listing versions of subject %q: status %d: %s", subject, c.status, c.body.String())}
	}
	if err := json.Unmarshal(c.body.Bytes(), &versions); err != nil {
		return nil, &apiError{http.StatusInternalServerError, codeStoreError, fmt.Sprintf("listing versions of subject %q: %v", subject, err)}
	}
	sort.Ints(versions)
	out := make([]sr.SubjectSchema, 0, len(versions))
	for _, v := range versions {
		if ss, ok := e.fake.GetSchema(subject, v); ok {
			out = append(out, ss)
		}
	}
	return out, nil
}

// level returns subject's compatibility level, or the global one.
func (e *Embedded) level(r *http.Request, subject string) (sr.CompatibilityLevel, *apiError) {
	c := e.call(r, http.MethodGet, "/config/"+url.PathEscape(subject), nil)
	var got struct {
		Level sr.CompatibilityLevel `json:"compatibilityLevel"`
	}
	if c.status != http.StatusOK {
		return 0, &apiError{http.StatusInternalServerError, codeStoreError, fmt.Sprintf("reading compatibility level of subject %q: status %d: %s", subject, c.status, c.body.String())}
	}
	if err := json.Unmarshal(c.body.Bytes(), &got); err != nil {
		return 0, &apiError{http.StatusInternalServerError, codeStoreError, fmt.Sprintf("reading compatibility level of subject %q: %v", subject, err)}
	}
	return got.Level, nil
}

// logged returns a handler that lets srfake make the change op and logs it
// when srfake accepted it, before answering.
func (e *Embedded) logged(op string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		subject, version := r.PathValue("subject"), r.PathValue("version")
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.broken != nil {
			writeError(w, e.brokenError())
			return
		}
		c := newCapture()
		e.fake.Handler().ServeHTTP(c, r)
		if c.status/100 != 2 {
			c.copyTo(w)
			return
		}
		ent := entry{Op: op, Subject: subject}
		var err error
		switch op {
		case opConfig:
			var got struct {
				Level sr.CompatibilityLevel `json:"compatibility"`
			}
			err = json.Unmarshal(c.body.Bytes(), &got)
			ent.Compatibility = got.Level
		case opMode:
			var got struct {
				Mode string `json:"mode"`
			}
			err = json.Unmarshal(c.body.Bytes(), &got)
			ent.Mode = got.Mode
		case opDelete:
			if version != "" {
				ent.Version, err = strconv.Atoi(version)
			}
			ent.Permanent = r.URL.Query().Get("permanent") == "true"
		}
		if err == nil {
			err = ent.validate()
		}
		if err != nil {
			// srfake made a change that cannot be logged: keep disk and
			// memory from diverging further.
			e.broken = fmt.Errorf("logging %s %s: %w", r.Method, r.URL.Path, err)
			e.log.Error("schema registry cannot log a change", "err", e.broken)
			writeError(w, e.brokenError())
			return
		}
		if aerr := e.append(ent); aerr != nil {
			writeError(w, *aerr)
			return
		}
		e.log.Debug("schema registry changed", "op", op, "subject", subject)
		c.copyTo(w)
	}
}

// append logs ent, if there is a log. A failure leaves memory ahead of the
// disk, so the registry then refuses every change. The caller holds e.mu.
func (e *Embedded) append(ent entry) *apiError {
	if e.store == nil {
		return nil
	}
	if err := e.store.append(ent); err != nil {
		e.broken = err
		e.log.Error("schema registry cannot persist a change; refusing further changes", "err", err)
		aerr := e.brokenError()
		return &aerr
	}
	return nil
}

func (e *Embedded) brokenError() apiError {
	return apiError{http.StatusInternalServerError, codeStoreError, fmt.Sprintf("schema registry refuses changes: %v", e.broken)}
}

// replay rebuilds srfake's state from the log lines: schema versions are
// seeded with their ids and versions, other changes go through srfake's
// handler as they did when they were made. srfake hands out ids above the
// highest id seeded, so no id is reused.
func (e *Embedded) replay(lines []line) error {
	seeded := map[int]bool{}
	for _, l := range lines {
		if err := e.apply(l.e, seeded); err != nil {
			return fmt.Errorf("line %d: %w", l.n, err)
		}
	}
	return nil
}

func (e *Embedded) apply(ent entry, seeded map[int]bool) error {
	var (
		method, path string
		body         any
	)
	switch ent.Op {
	case opSchema:
		return e.applySchema(ent, seeded)
	case opConfig:
		method, path = http.MethodPut, configPath("/config", ent.Subject)
		body = sr.SetCompatibility{Level: ent.Compatibility}
	case opConfigDelete:
		method, path = http.MethodDelete, configPath("/config", ent.Subject)
	case opMode:
		method, path = http.MethodPut, configPath("/mode", ent.Subject)
		body = map[string]string{"mode": ent.Mode}
	case opModeDelete:
		method, path = http.MethodDelete, configPath("/mode", ent.Subject)
	case opDelete:
		method, path = http.MethodDelete, "/subjects/"+url.PathEscape(ent.Subject)
		if ent.Version > 0 {
			path += "/versions/" + strconv.Itoa(ent.Version)
		}
		if ent.Permanent {
			path += "?permanent=true"
		}
	default:
		return fmt.Errorf("unknown operation %q", ent.Op)
	}
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encoding %s %s: %w", method, path, err)
		}
	}
	c := e.call(nil, method, path, b)
	if c.status/100 != 2 {
		return fmt.Errorf("%s %s: status %d: %s", method, path, c.status, strings.TrimSpace(c.body.String()))
	}
	return nil
}

func (e *Embedded) applySchema(ent entry, seeded map[int]bool) error {
	s := ent.schema()
	if seeded[ent.ID] {
		// The id is shared with another subject (or an earlier life of
		// this one); srfake cannot seed an id twice but reuses the id of
		// an identical schema on registration.
		id, version, err := e.fake.RegisterSchema(ent.Subject, s)
		if err != nil {
			return fmt.Errorf("registering subject %q version %d with id %d: %w", ent.Subject, ent.Version, ent.ID, err)
		}
		if id != ent.ID || version != ent.Version {
			return fmt.Errorf("subject %q: registry assigned id %d version %d, the log says id %d version %d", ent.Subject, id, version, ent.ID, ent.Version)
		}
		return nil
	}
	if err := e.seed(ent.Subject, ent.Version, ent.ID, s); err != nil {
		return fmt.Errorf("seeding subject %q version %d id %d: %w", ent.Subject, ent.Version, ent.ID, err)
	}
	seeded[ent.ID] = true
	return nil
}

// seed calls srfake's SeedSchema, which panics on a duplicate or invalid
// schema, and turns the panic into an error.
func (e *Embedded) seed(subject string, version, id int, s sr.Schema) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	e.fake.SeedSchema(subject, version, id, s)
	return nil
}

func configPath(base, subject string) string {
	if subject == "" {
		return base
	}
	return base + "/" + url.PathEscape(subject)
}

// call runs a request through srfake's handler, in process.
func (e *Embedded) call(parent *http.Request, method, path string, body []byte) *capture {
	req, err := http.NewRequest(method, path, bytes.NewReader(body))
	c := newCapture()
	if err != nil {
		c.status = http.StatusInternalServerError
		fmt.Fprintf(c.body, "building %s %s: %v", method, path, err)
		return c
	}
	if parent != nil {
		req = req.WithContext(parent.Context())
	}
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	e.fake.Handler().ServeHTTP(c, req)
	return c
}

// decodeSchema reads a schema request body. Unknown fields are ignored, as
// Confluent's registry does, so that any Confluent client can register.
func decodeSchema(w http.ResponseWriter, r *http.Request) (sr.SubjectSchema, *apiError) {
	var s sr.SubjectSchema
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return s, &apiError{http.StatusUnprocessableEntity, codeInvalidSchema, fmt.Sprintf("reading request body: %v", err)}
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, &apiError{http.StatusUnprocessableEntity, codeInvalidSchema, fmt.Sprintf("decoding request body: %v", err)}
	}
	return s, nil
}

func respondJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the status is sent; a broken connection has no one to tell
}

func writeError(w http.ResponseWriter, a apiError) {
	respondJSON(w, a.status, map[string]any{"error_code": a.code, "message": a.msg})
}

// capture is a ResponseWriter that keeps the response.
type capture struct {
	header http.Header
	status int
	body   *bytes.Buffer
}

func newCapture() *capture {
	return &capture{header: http.Header{}, body: &bytes.Buffer{}}
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}

// copyTo sends the captured response to w.
func (c *capture) copyTo(w http.ResponseWriter) {
	for k, v := range c.header {
		w.Header()[k] = v
	}
	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(c.body.Bytes()) // the status is sent; a broken connection has no one to tell
}
