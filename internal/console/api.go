package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/schemas"
)

// Identity resolves what a request names to a live profile.
type Identity interface {
	// Resolve returns the live profile that key, an identifier kind:value
	// or a profile as profile:<id>, belongs to (following merges to their
	// survivor) and the identifiers that profile holds. profile is empty
	// when the identity table does not know key.
	Resolve(key string) (profile string, identifiers []string, err error)
}

// Table reads the latest value of a key of a compacted table: nil when the
// table holds none (never written, or deleted by a tombstone).
type Table[T any] interface {
	Get(key string) (*T, error)
}

// kinds are the identifier kinds of the identity table, and profile.
var kinds = []string{"customer", "loyalty", "email_sha256", "phone_sha256", "device", "cookie", "profile"}

// Profile is the answer of GET /api/profiles/{id}.
type Profile struct {
	// Query is the identifier as asked, Key its canonical form.
	Query string `json:"query"`
	Key   string `json:"key"`
	// Profile is the live profile id; Identifiers are all it holds.
	Profile     string   `json:"profile"`
	Identifiers []string `json:"identifiers"`
	// Tier, Lifecycle and Cluster are the profile's segments; empty when
	// it is in none yet.
	Tier      string `json:"tier"`
	Lifecycle string `json:"lifecycle"`
	Cluster   string `json:"cluster"`
	// Consent per purpose and Features are those of the latest
	// profile.features record; null before the profile's first features.
	Consent  *schemas.Consent         `json:"consent"`
	Features *schemas.ProfileFeatures `json:"features"`
}

// apiError is the body of every answer that is not a profile.
type apiError struct {
	Error string `json:"error"`
}

// errBadRequest marks an identifier the API cannot read.
var errBadRequest = errors.New("bad identifier")

// profile serves GET /api/profiles/{id}.
func (s *Server) profile(w http.ResponseWriter, r *http.Request) {
	if err := s.ready(); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, apiError{"not ready: " + err.Error()})
		return
	}
	query := r.PathValue("id")
	p, err := s.lookup(query)
	switch {
	case errors.Is(err, errBadRequest):
		writeJSON(w, http.StatusBadRequest, apiError{err.Error()})
	case err != nil:
		s.log.Warn("profile lookup failed", "query", query, "err", err)
		writeJSON(w, http.StatusInternalServerError, apiError{err.Error()})
	case p.Profile == "":
		writeJSON(w, http.StatusNotFound, apiError{"no profile holds " + p.Key})
	default:
		writeJSON(w, http.StatusOK, p)
	}
}

// lookup reads the profile that query names; its Profile is empty when no
// profile holds the identifier.
func (s *Server) lookup(query string) (Profile, error) {
	key, err := s.canonical(query)
	if err != nil {
		return Profile{}, err
	}
	p := Profile{Query: query, Key: key}
	p.Profile, p.Identifiers, err = s.cfg.Identity.Resolve(key)
	if err != nil || p.Profile == "" {
		return p, err
	}
	f, err := s.cfg.Features.Get(p.Profile)
	if err != nil {
		return p, fmt.Errorf("reading the features of %s: %w", p.Profile, err)
	}
	if f != nil {
		p.Features, p.Consent = f, &f.Consent
	}
	st, err := s.cfg.Segments.Get(p.Profile)
	if err != nil {
		return p, fmt.Errorf("reading the segments of %s: %w", p.Profile, err)
	}
	if st != nil {
		p.Tier, p.Lifecycle, p.Cluster = st.Tier, st.Lifecycle, st.Cluster
	}
	return p, nil
}

// canonical returns the identity table's key for an identifier as asked:
// kind:value with a known kind (case-insensitive) and a value, digests in
// lower case. A raw e-mail address or phone number (email:..., phone:...)
// is hashed as ingestion hashes it, when the server has the key.
func (s *Server) canonical(query string) (string, error) {
	kind, value, ok := strings.Cut(strings.TrimSpace(query), ":")
	kind, value = strings.ToLower(kind), strings.TrimSpace(value)
	if !ok || value == "" {
		return "", fmt.Errorf("%w %q: want kind:value, kind one of %s, email or phone", errBadRequest, query, strings.Join(kinds, ", "))
	}
	switch kind {
	case "email", "phone":
		if s.cfg.HashKey == nil {
			return "", fmt.Errorf("%w %q: a raw %s needs the server's hash key; ask by %s_sha256", errBadRequest, query, kind, kind)
		}
		h, err := pii.New(s.cfg.HashKey)
		if err != nil {
			return "", fmt.Errorf("hashing %s: %w", kind, err)
		}
		digest := h.Email(value)
		if kind == "phone" {
			digest = h.Phone(value)
		}
		if digest == "" {
			return "", fmt.Errorf("%w %q: not a valid %s", errBadRequest, query, kind)
		}
		return kind + "_sha256:" + digest, nil
	case "email_sha256", "phone_sha256":
		return kind + ":" + strings.ToLower(value), nil
	}
	for _, k := range kinds {
		if k == kind {
			return kind + ":" + value, nil
		}
	}
	return "", fmt.Errorf("%w %q: unknown kind %q, want one of %s, or email, phone", errBadRequest, query, kind, strings.Join(kinds, ", "))
}

// writeJSON writes v as the JSON body of a response with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client may have gone; nothing to tell
}
