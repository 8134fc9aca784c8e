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
	opts, err := c.kc.GokaViewOptions()
	if err != nil {
		return nil, nil, err
	}
	opts = append(opts, goka.WithViewStorageBuilder(storage.DefaultBuilder(filepath.Join(stateDir, "view-identity"))))
	v, err := goka.NewView(c.kc.Brokers, goka.Table(c.cat.Name(topology.IdentityTable)), node, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("opening identity view: %w", err)
	}
	vctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- v.Run(vctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			c.log.Warn("identity view stopped with an error", "err", err)
		}
	}
	for !v.Recovered() {
		select {
		case err := <-done:
			cancel()
			return nil, nil, fmt.Errorf("identity view stopped: %w", err)
		case <-ctx.Done():
			stop()
			return nil, nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return identity.NewLookup(identity.ViewGetter(v)), stop, nil
}
