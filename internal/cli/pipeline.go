package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"

	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/processors/identity"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// waitCaughtUp waits until every group has committed everything in its
// inputs, its loopback included: the pipeline is quiet.
func waitCaughtUp(ctx context.Context, c *conn, groups []string, timeout time.Duration) error {
	cl, err := c.kc.NewClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return kafka.WaitCaughtUp(ctx, cl, groups, time.Second)
}

// identityLookup opens a goka view of the identity table and returns a
// lookup on it once the view has caught up; stop closes it.
func identityLookup(ctx context.Context, c *conn, codecs *topology.Codecs, stateDir string) (*identity.Lookup, func(), error) {
	node, err := topology.Typed[schemas.IdentityNode](codecs, topology.IdentityTable)
	if err != nil {
		return nil, nil, err
	}
	v, stop, err := openView(ctx, c, topology.IdentityTable, node, filepath.Join(stateDir, "view-identity"))
	if err != nil {
		return nil, nil, err
	}
	return identity.NewLookup(identity.ViewGetter(v)), stop, nil
}

// openView opens a goka view of the compacted topic (a catalog name),
// keeping its local copy in dir, and returns it once it has caught up;
// stop closes it.
func openView(ctx context.Context, c *conn, topic string, codec goka.Codec, dir string) (*goka.View, func(), error) {
	v, err := newView(c, topic, codec, dir)
	if err != nil {
		return nil, nil, err
	}
	vctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- v.Run(vctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			c.log.Warn("view stopped with an error", "topic", topic, "err", err)
		}
	}
	for !v.Recovered() {
		select {
		case err := <-done:
			cancel()
			return nil, nil, fmt.Errorf("view of %s stopped: %w", topic, err)
		case <-ctx.Done():
			stop()
			return nil, nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return v, stop, nil
}

// newView creates a goka view of the compacted topic (a catalog name),
// keeping its local copy in dir; it is not running yet.
func newView(c *conn, topic string, codec goka.Codec, dir string) (*goka.View, error) {
	opts, err := c.kc.GokaViewOptions()
	if err != nil {
		return nil, err
	}
	opts = append(opts, goka.WithViewStorageBuilder(storage.DefaultBuilder(dir)))
	v, err := goka.NewView(c.kc.Brokers, goka.Table(c.cat.Name(topic)), codec, opts...)
	if err != nil {
		return nil, fmt.Errorf("opening a view of %s: %w", topic, err)
	}
	return v, nil
}
