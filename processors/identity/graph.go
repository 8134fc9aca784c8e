package identity

import (
	"crypto/sha256"
	"encoding/binary"
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

// hasAll reports whether every one of ids is in set.
func hasAll(set, ids []string) bool {
	for _, id := range ids {
		if !slices.Contains(set, id) {
			return false
		}
	}
	return true
}

// addCompanions adds the ids node does not know yet to its companions, up
// to max in all, and reports whether it added any.
func addCompanions(node *schemas.IdentityNode, ids []string, max int) bool {
	added := false
	for _, id := range ids {
		if len(node.Companions) >= max {
			break
		}
		if !slices.Contains(node.Companions, id) {
			node.Companions = append(node.Companions, id)
			added = true
		}
	}
	return added
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

// seenEntry is the size of one packed entry of IdentityNode.Seen: event id
// hash (8), partition (4), offset (8), first seen in epoch ms (8).
const seenEntry = 28

// remember checks the event against node.Seen and records it when fresh.
// Entries older than horizon (wall clock) are forgotten, and at most max are
// kept, newest last. It reports whether node changed.
func remember(node *schemas.IdentityNode, id string, partition int32, offset int64, now time.Time, horizon time.Duration, max int) (dedup, bool) {
	h := uint64(hashID(id))
	seen := node.Seen[:len(node.Seen)/seenEntry*seenEntry]
	for i := 0; i < len(seen); i += seenEntry {
		if binary.BigEndian.Uint64(seen[i:]) != h {
			continue
		}
		if int32(binary.BigEndian.Uint32(seen[i+8:])) == partition && int64(binary.BigEndian.Uint64(seen[i+12:])) == offset {
			return again, false
		}
		return duplicate, false
	}
	cut := 0
	oldest := now.Add(-horizon).UnixMilli()
	for cut < len(seen) && int64(binary.BigEndian.Uint64(seen[cut+20:])) < oldest {
		cut += seenEntry
	}
	seen = seen[cut:]
	if over := len(seen)/seenEntry + 1 - max; over > 0 {
		seen = seen[over*seenEntry:]
	}
	out := make([]byte, len(seen), len(seen)+seenEntry)
	copy(out, seen)
	out = binary.BigEndian.AppendUint64(out, h)
	out = binary.BigEndian.AppendUint32(out, uint32(partition))
	out = binary.BigEndian.AppendUint64(out, uint64(offset))
	out = binary.BigEndian.AppendUint64(out, uint64(now.UnixMilli()))
	node.Seen = out
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
