package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/lovoo/goka"

	"github.com/activa-dev/activa/connectors"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// people answers the connectors who a profile is from a view of
// profile.features: its consent per purpose as of its latest features. A
// profile with no features (not seen yet, or erased) is unknown, and
// nothing that needs consent is sent to it.
type people struct{ view *goka.View }

// featuresPeople opens the view of profile.features under stateDir once it
// has caught up; stop closes it.
func featuresPeople(ctx context.Context, c *conn, codecs *topology.Codecs, stateDir string) (people, func(), error) {
	codec, err := topology.Typed[schemas.ProfileFeatures](codecs, topology.ProfileFeatures)
	if err != nil {
		return people{}, nil, err
	}
	v, stop, err := openView(ctx, c, topology.ProfileFeatures, codec, filepath.Join(stateDir, "view-features"))
	if err != nil {
		return people{}, nil, err
	}
	return people{view: v}, stop, nil
}

// Person looks the profile id up.
func (p people) Person(_ context.Context, id string) (connectors.Person, error) {
	v, err := p.view.Get(id)
	if err != nil {
		return connectors.Person{}, fmt.Errorf("looking up %s in profile.features: %w", id, err)
	}
	f, _ := v.(*schemas.ProfileFeatures)
	if f == nil {
		return connectors.Person{}, nil
	}
	return connectors.Person{Known: true, Consent: f.Consent}, nil
}
