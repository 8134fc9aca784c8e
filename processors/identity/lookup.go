package identity

import (
	"errors"
	"fmt"

	"github.com/lovoo/goka"

	"github.com/activa-dev/activa/schemas"
)

// ErrNotFound is returned by a Lookup for an identifier or profile the
// identity table does not hold.
var ErrNotFound = errors.New("not found")

// Getter reads a key of the identity table; *goka.View is one through
// ViewGetter.
type Getter func(key string) (*schemas.IdentityNode, error)

// ViewGetter reads the identity table through a goka view of it.
func ViewGetter(v *goka.View) Getter {
	return func(key string) (*schemas.IdentityNode, error) {
		x, err := v.Get(key)
		if err != nil {
			return nil, fmt.Errorf("reading %s from the identity table: %w", key, err)
		}
		n, _ := x.(*schemas.IdentityNode) // the view's codec decodes IdentityNode
		return n, nil
	}
}

// Lookup answers which profile an identifier belongs to and which
// identifiers a profile holds, from the identity table.
type Lookup struct {
	get     Getter
	maxHops int
}

// NewLookup returns a lookup reading through get.
func NewLookup(get Getter) *Lookup { return &Lookup{get: get, maxHops: 32} }

// Profile returns the live profile that owns identifier (kind:value),
// following merges to their survivor.
func (l *Lookup) Profile(identifier string) (string, error) {
	n, err := l.get(identifier)
	if err != nil {
		return "", err
	}
	if n == nil || n.Owner == "" {
		return "", fmt.Errorf("identifier %s: %w", identifier, ErrNotFound)
	}
	p, _, err := l.live(n.Owner)
	return p, err
}

// Identifiers returns the live profile that profile is or was merged into,
// and the identifiers it holds.
func (l *Lookup) Identifiers(profile string) (string, []string, error) {
	p, n, err := l.live(profile)
	if err != nil {
		return "", nil, err
	}
	return p, n.Identifiers, nil
}

func (l *Lookup) live(profile string) (string, *schemas.IdentityNode, error) {
	for range l.maxHops {
		n, err := l.get(profileKey(profile))
		if err != nil {
			return "", nil, err
		}
		if n == nil || n.Erased {
			return "", nil, fmt.Errorf("profile %s: %w", profile, ErrNotFound)
		}
		if n.MergedInto == "" {
			return profile, n, nil
		}
		profile = n.MergedInto
	}
	return "", nil, fmt.Errorf("profile %s: more than %d merges to follow", profile, l.maxHops)
}
