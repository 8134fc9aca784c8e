package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// Kinds of identifiers, strongest first: an event on events.raw is keyed by
// its strongest identifier.
var kinds = []string{"customer", "loyalty", "email_sha256", "phone_sha256", "device", "cookie"}

const profilePrefix = "profile:"

// identifiers returns the event's identifiers as kind:value keys, strongest
// first, leaving out placeholders.
func identifiers(ids schemas.IDs, p placeholders) []string {
	vals := [...]string{ids.Customer, ids.Loyalty, ids.EmailSHA256, ids.PhoneSHA256, ids.Device, ids.Cookie}
	out := make([]string, 0, len(vals))
	for i, v := range vals {
		if !p.is(v) {
			out = append(out, kinds[i]+":"+v)
		}
	}
	return out
}

// kindOf returns the kind of an identifier key.
func kindOf(key string) string {
	k, _, _ := strings.Cut(key, ":")
	return k
}

// profileKey is the table key of a profile.
func profileKey(id string) string { return profilePrefix + id }

// isProfileKey reports whether key is a profile key.
func isProfileKey(key string) bool { return strings.HasPrefix(key, profilePrefix) }

// newProfileID derives the id of a profile created by eventID for the
// identifier key: the same event always creates the same profile.
func newProfileID(key, eventID string) string {
	h := sha256.Sum256([]byte(key + "|" + eventID))
	return "p-" + hex.EncodeToString(h[:8])
}

// older reports whether profile a (created at ca) survives a merge with b:
// the oldest survives, ties broken by the smaller id.
func older(ca time.Time, a string, cb time.Time, b string) bool {
	if !ca.Equal(cb) {
		if ca.IsZero() {
			return false
		}
		if cb.IsZero() {
			return true
		}
		return ca.Before(cb)
	}
	return a < b
}

// hashID is the 64-bit FNV-1a hash of an event id, kept to recognise
// redeliveries.
func hashID(id string) int64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return int64(h.Sum64())
}

// dedup decides what to do with an event routed through node.
type dedup int

const (
	fresh     dedup = iota // not seen: process
	duplicate              // seen at another offset: drop
	again                  // seen at this very offset: read again after a failure, process again
)

// remember checks the event against node.Seen and records it when fresh.
// Entries older than horizon (wall clock) are forgotten, and at most max are
// kept, newest last. It reports whether node changed.
func remember(node *schemas.IdentityNode, id string, partition int32, offset int64, now time.Time, horizon time.Duration, max int) (dedup, bool) {
	h := hashID(id)
	for _, s := range node.Seen {
		if s.IDHash == h {
			if s.Partition == partition && s.Offset == offset {
				return again, false
			}
			return duplicate, false
		}
	}
	cut := 0
	for cut < len(node.Seen) && now.Sub(node.Seen[cut].At) > horizon {
		cut++
	}
	seen := append(node.Seen[cut:], schemas.SeenEvent{IDHash: h, Partition: partition, Offset: offset, At: now.UTC().Truncate(time.Millisecond)})
	if len(seen) > max {
		seen = seen[len(seen)-max:]
	}
	node.Seen = slices.Clip(seen)
	return fresh, true
}

// Limits bound what one profile may hold.
type Limits struct {
	// Kinds caps identifiers per kind; a kind not listed is unlimited.
	Kinds map[string]int
	// Max caps identifiers per profile over all kinds.
	Max int
}

// refusal says which limit a link would break.
type refusal struct {
	reason   string // kind_limit or identifier_cap
	kind     string
	limit    int
	existing int
}

// admit checks that a profile holding counts (total identifiers) may take
// one more identifier of kind.
func (l Limits) admit(counts map[string]int32, total int, kind string) *refusal {
	if lim, ok := l.Kinds[kind]; ok && int(counts[kind]) >= lim {
		return &refusal{reason: "kind_limit", kind: kind, limit: lim, existing: int(counts[kind])}
	}
	if l.Max > 0 && total >= l.Max {
		return &refusal{reason: "identifier_cap", kind: kind, limit: l.Max, existing: total}
	}
	return nil
}

// union checks that two profiles holding a and b may become one. Only the
// per-kind limits apply: identifiers beyond the cap stay with the absorbed
// profile, which forwards to the survivor.
func (l Limits) union(a, b map[string]int32) *refusal {
	for _, k := range kinds {
		lim, ok := l.Kinds[k]
		if ok && int(a[k]+b[k]) > lim {
			return &refusal{reason: "kind_limit", kind: k, limit: lim, existing: int(a[k])}
		}
	}
	return nil
}
