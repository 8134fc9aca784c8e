// Package pii hashes personal identifiers at ingestion: e-mail addresses and
// phone numbers are normalised and replaced by a keyed HMAC-SHA256 digest, so
// that no plain value reaches a topic while the same person still yields the
// same identifier.
package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"strings"
)

// Hasher computes keyed digests. It is not safe for concurrent use; give each
// goroutine its own (they are cheap).
type Hasher struct {
	mac hash.Hash
	buf []byte
}

// New returns a Hasher keyed with key, which must hold at least 16 bytes.
func New(key []byte) (*Hasher, error) {
	if len(key) < 16 {
		return nil, errors.New("pii: hashing key shorter than 16 bytes")
	}
	return &Hasher{mac: hmac.New(sha256.New, key)}, nil
}

// Email returns the hex digest of a normalised e-mail address (trimmed,
// lower-cased), or "" when the address is empty or has no '@'.
func (h *Hasher) Email(raw string) string {
	e := strings.ToLower(strings.TrimSpace(raw))
	if at := strings.IndexByte(e, '@'); at <= 0 || at == len(e)-1 {
		return ""
	}
	return h.sum("email:", e)
}

// Phone returns the hex digest of a normalised phone number (digits only,
// with a leading '+' kept), or "" when fewer than 6 digits remain.
func (h *Hasher) Phone(raw string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(raw) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		}
	}
	p := b.String()
	if len(strings.TrimPrefix(p, "+")) < 6 {
		return ""
	}
	return h.sum("phone:", p)
}

func (h *Hasher) sum(domain, v string) string {
	h.mac.Reset()
	h.mac.Write([]byte(domain))
	h.mac.Write([]byte(v))
	h.buf = h.mac.Sum(h.buf[:0])
	return hex.EncodeToString(h.buf)
}
