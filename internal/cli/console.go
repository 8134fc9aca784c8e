package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lovoo/goka"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/activa-dev/activa/internal/console"
	"github.com/activa-dev/activa/internal/obs"
	"github.com/activa-dev/activa/processors/identity"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// Bounds of what the console keeps in memory: the latest segment changes,
// and the latest hourly buckets of each KPI series (three days).
const (
	consoleChanges = 25
	consoleBuckets = 72
)

// serveConsole serves on addr /metrics of reg and /healthz of health, the
// profile API and the console, until ctx ends; it returns the bound
// address, and a function that waits for what the console reads (views
// of the identity table, profile.features and the segments table, kept
// under stateDir/console, and consumers of segment.changes, kpi.alerts and
// kpi.actuals) to close once ctx has ended. The server answers at once;
// the API says it is not ready until the views have caught up.
func (a *app) serveConsole(ctx context.Context, c *conn, codecs *topology.Codecs, addr, stateDir string, reg *prometheus.Registry, health *obs.Health) (string, func(), error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wait := func() { cancel(); wg.Wait() }
	cfg, err := a.consoleConfig(ctx, &wg, c, codecs, filepath.Join(stateDir, "console"), health)
	if err != nil {
		wait()
		return "", nil, err
	}
	srv, err := console.New(cfg)
	if err != nil {
		wait()
		return "", nil, err
	}
	mux := obs.Handler(reg, health)
	srv.Register(mux)
	at, err := obs.Serve(ctx, addr, mux, a.log)
	if err != nil {
		wait()
		return "", nil, err
	}
	a.log.Info("serving the console, the profile API, /metrics and /healthz", "addr", at)
	return at, wait, nil
}

// consoleConfig starts what the console reads, each in a goroutine of wg
// until ctx ends.
func (a *app) consoleConfig(ctx context.Context, wg *sync.WaitGroup, c *conn, codecs *topology.Codecs, dir string, health *obs.Health) (console.Config, error) {
	cfg := console.Config{Live: console.NewLive(consoleChanges, consoleBuckets), Log: a.log}
	if c.s.HashKey != "" {
		cfg.HashKey = []byte(c.s.HashKey)
	}
	var views []*goka.View
	start := func(topic string, codec goka.Codec) (*goka.View, error) {
		v, err := newView(c, topic, codec, filepath.Join(dir, topic))
		if err != nil {
			return nil, err
		}
		views = append(views, v)
		wg.Go(func() {
			if err := v.Run(ctx); err != nil {
				a.log.Error("console view stopped", "topic", topic, "err", err)
			}
		})
		return v, nil
	}
	var errs []error
	for _, t := range []string{topology.IdentityTable, topology.ProfileFeatures, topology.SegmentsTable} {
		v, err := start(t, codecs.Codec(t))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch t {
		case topology.IdentityTable:
			cfg.Identity = identityResolver{identity.NewLookup(identity.ViewGetter(v))}
		case topology.ProfileFeatures:
			cfg.Features = viewTable[schemas.ProfileFeatures]{v}
		case topology.SegmentsTable:
			cfg.Segments = viewTable[schemas.SegmentState]{v}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, err
	}
	// A view is ready once it has caught up: it says it is not while it
	// connects again (goka does so right after its recovery, and after a
	// broker error), but what it holds stays good to read meanwhile.
	caughtUp := make([]atomic.Bool, len(views))
	cfg.Ready = func() error {
		var waiting []string
		for i, v := range views {
			if !caughtUp[i].Load() && !v.Recovered() {
				waiting = append(waiting, v.Topic())
				continue
			}
			caughtUp[i].Store(true)
		}
		if len(waiting) > 0 {
			return fmt.Errorf("recovering %s", strings.Join(waiting, ", "))
		}
		return nil
	}
	health.Set("console views", cfg.Ready)
	d, err := diagram(c, codecs)
	if err != nil {
		return cfg, err
	}
	cfg.Diagram = d
	return cfg, a.feedLive(ctx, wg, c, codecs, cfg.Live)
}

// diagram is the topology the console draws: every processor, whichever
// this process runs.
func diagram(c *conn, codecs *topology.Codecs) (console.Diagram, error) {
	graphs, err := topology.Graphs(topology.Env{Catalog: c.cat, Codecs: codecs})
	if err != nil {
		return console.Diagram{}, err
	}
	g := topology.Build(c.cat, graphs)
	d := console.Diagram{Prefix: c.cat.Prefix, Processors: g.Processors, Topics: g.Topics, External: g.External}
	for _, e := range g.Edges {
		d.Edges = append(d.Edges, console.Edge(e))
	}
	return d, nil
}

// identityResolver answers the console from the identity table.
type identityResolver struct{ l *identity.Lookup }

// Resolve implements console.Identity.
func (r identityResolver) Resolve(key string) (string, []string, error) {
	p, ids, err := resolve(r.l, key)
	if errors.Is(err, identity.ErrNotFound) {
		return "", nil, nil
	}
	return p, ids, err
}

// resolve returns the live profile that key (an identifier kind:value, or
// profile:<id>) names, and the identifiers it holds.
func resolve(l *identity.Lookup, key string) (string, []string, error) {
	prof, isProfile := strings.CutPrefix(key, "profile:")
	if !isProfile {
		var err error
		if prof, err = l.Profile(key); err != nil {
			return "", nil, err
		}
	}
	return l.Identifiers(prof)
}

// viewTable reads a goka view whose codec decodes *T.
type viewTable[T any] struct{ v *goka.View }

// Get implements console.Table.
func (t viewTable[T]) Get(key string) (*T, error) {
	x, err := t.v.Get(key)
	if err != nil {
		return nil, fmt.Errorf("reading %s from %s: %w", key, t.v.Topic(), err)
	}
	v, _ := x.(*T) // nil when the table holds no value
	return v, nil
}

// Each calls fn with every value of the view's local copy.
func (t viewTable[T]) Each(fn func(key string, v *T)) error {
	it, err := t.v.Iterator()
	if err != nil {
		return fmt.Errorf("iterating over %s: %w", t.v.Topic(), err)
	}
	defer it.Release()
	for it.Next() {
		x, err := it.Value()
		if err != nil {
			return fmt.Errorf("decoding %s of %s: %w", it.Key(), t.v.Topic(), err)
		}
		if v, ok := x.(*T); ok && v != nil {
			fn(it.Key(), v)
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("iterating over %s: %w", t.v.Topic(), err)
	}
	return nil
}
