// Package score grades a run of the pipeline against the ground truth of the
// generated population it replayed.
package score

import (
	"fmt"
	"strings"

	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/loadtest/gen"
)

// Pairs is the pairwise grade of an identifier clustering: every pair of
// identifiers put in one profile is a predicted pair, every pair that one
// person's events connect is a true pair.
type Pairs struct {
	// Identifiers graded: those of the truth that are not shared by two
	// persons and whose person did not ask for erasure.
	Identifiers int `json:"identifiers"`
	// Unresolved identifiers had no profile.
	Unresolved int `json:"unresolved"`
	// Predicted, True and Both count pairs: in one profile, of one person
	// and connected by that person's events, and both.
	Predicted, True, Both int64
	// Profiles is the number of distinct profiles among the identifiers.
	Profiles int `json:"profiles"`
}

// Precision is the share of predicted pairs that are true.
func (p Pairs) Precision() float64 {
	if p.Predicted == 0 {
		return 1
	}
	return float64(p.Both) / float64(p.Predicted)
}

// Recall is the share of true pairs that were predicted.
func (p Pairs) Recall() float64 {
	if p.True == 0 {
		return 1
	}
	return float64(p.Both) / float64(p.True)
}

func (p Pairs) String() string {
	return fmt.Sprintf("pairwise precision %.5f, recall %.5f (%d identifiers in %d profiles, %d unresolved; %d predicted, %d true pairs)",
		p.Precision(), p.Recall(), p.Identifiers, p.Profiles, p.Unresolved, p.Predicted, p.True)
}

// Key turns an identifier of the truth ("email:jane@example.com") into the
// key activa gives it after ingestion ("email_sha256:<keyed digest>").
func Key(h *pii.Hasher, identifier string) string {
	kind, v, _ := strings.Cut(identifier, ":")
	switch kind {
	case "email":
		return "email_sha256:" + h.Email(v)
	case "phone":
		return "phone_sha256:" + h.Phone(v)
	}
	return identifier
}

// IdentityPairs grades the profile each identifier resolves to (resolve
// returns "" for none) against truth: pairs through shared identifiers and
// identifiers of erased persons are left out, and the true pairs are those
// within one group of Person.Linked (what the person's events connect).
func IdentityPairs(truth *gen.Truth, h *pii.Hasher, resolve func(key string) (string, error)) (Pairs, error) {
	var out Pairs
	type cell struct{ profile, group string }
	cells := map[cell]int64{}
	profiles := map[string]int64{}
	groups := map[string]int64{}
	for _, person := range truth.Persons {
		if !person.ErasedAt.IsZero() {
			continue
		}
		for gi, linked := range person.Linked {
			group := fmt.Sprintf("%s/%d", person.ID, gi)
			for _, id := range linked {
				if len(truth.IdentifierOwner[id]) != 1 {
					continue
				}
				out.Identifiers++
				groups[group]++
				p, err := resolve(Key(h, id))
				if err != nil {
					return out, fmt.Errorf("resolving %s: %w", id, err)
				}
				if p == "" {
					out.Unresolved++
					p = "unresolved:" + id // a profile of its own
				}
				profiles[p]++
				cells[cell{p, group}]++
			}
		}
	}
	pairs := func(n int64) int64 { return n * (n - 1) / 2 }
	for _, n := range profiles {
		out.Predicted += pairs(n)
	}
	for _, n := range groups {
		out.True += pairs(n)
	}
	for _, n := range cells {
		out.Both += pairs(n)
	}
	out.Profiles = len(profiles)
	return out, nil
}
