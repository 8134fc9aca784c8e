package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/internal/obs"
	"github.com/activa-dev/activa/internal/statestore"
	"github.com/activa-dev/activa/topology"
)

func (a *app) runCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the processors against a Kafka cluster and Schema Registry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := load(cmd.Flags())
			if err != nil {
				return err
			}
			f := cmd.Flags()
			list, _ := f.GetStringSlice("processors")
			stateDir, _ := f.GetString("state-dir")
			names, err := selectProcessors(list)
			if err != nil {
				return err
			}
			c, codecs, err := dialSetup(cmd.Context(), s, a.log)
			if err != nil {
				return err
			}
			reg := obs.NewRegistry()
			health := &obs.Health{}
			if s.HTTP != "" {
				_, wait, err := a.serveConsole(cmd.Context(), c, codecs, s.HTTP, stateDir, reg, health)
				if err != nil {
					return err
				}
				defer wait()
			}
			return a.runProcessors(cmd.Context(), c, codecs, names, stateDir, reg, deadletter.NewMetrics(reg), health)
		},
	}
	addConnFlags(cmd.Flags())
	addProcessorFlags(cmd.Flags())
	cmd.Flags().StringSlice("processors", nil, "processors to run (default: all): "+strings.Join(processorNames(), ", "))
	cmd.Flags().String("state-dir", "state", "directory of the processors' local state tables")
	cmd.Flags().String("http", "", "serve the console, the profile API, /metrics and /healthz on this address, e.g. 127.0.0.1:8080")
	return cmd
}

func processorNames() []string {
	var out []string
	for _, p := range topology.Processors() {
		out = append(out, p.Name)
	}
	return out
}

// selectProcessors validates a --processors list; empty selects all.
func selectProcessors(list []string) ([]string, error) {
	all := processorNames()
	if len(list) == 0 {
		return all, nil
	}
	for _, n := range list {
		if !slices.Contains(all, n) {
			return nil, fmt.Errorf("unknown processor %q (known: %s)", n, strings.Join(all, ", "))
		}
	}
	return list, nil
}

// runProcessors runs the named processors until ctx ends or one fails.
// Metrics of the processors register with reg; dead letters are counted in
// dl, which the caller shares with other stages of the process.
func (a *app) runProcessors(ctx context.Context, c *conn, codecs *topology.Codecs, names []string, stateDir string, reg *prometheus.Registry, dl *deadletter.Metrics, health *obs.Health) error {
	if n := c.s.GCPercent; n > 0 && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(n)
	}
	tuning, err := c.s.loadTuning()
	if err != nil {
		return err
	}
	env := topology.Env{
		Catalog: c.cat, Codecs: codecs, Log: a.log,
		DeadLetters: dl, Stats: harness.NewMetrics(reg), Registerer: reg, Tuning: tuning,
	}
	var procs []*goka.Processor
	var groups []string
	var sweeps []topology.Processor
	for _, p := range topology.Processors() {
		if !slices.Contains(names, p.Name) {
			continue
		}
		g, err := p.Define(env)
		if err != nil {
			return fmt.Errorf("defining processor %s: %w", p.Name, err)
		}
		// Each processor gets a sarama configuration of its own: goka's
		// builders write to it, and processors run concurrently.
		opts, err := c.kc.GokaOptions()
		if err != nil {
			return err
		}
		dir := filepath.Join(stateDir, string(g.Group()))
		opts = append(opts, harness.Options()...)
		opts = append(opts, goka.WithLogger(gokaLogger{a.log}), goka.WithStorageBuilder(stateStorage(dir)))
		proc, err := goka.NewProcessor(c.kc.Brokers, g, opts...)
		if err != nil {
			return fmt.Errorf("creating processor %s: %w", p.Name, err)
		}
		procs = append(procs, proc)
		groups = append(groups, string(g.Group()))
		sweeps = append(sweeps, p)
		health.Set("processor "+p.Name, func() error {
			if !proc.Recovered() {
				return errors.New("recovering state")
			}
			return nil
		})
	}
	if len(procs) == 0 {
		a.log.Warn("no processors to run; serving until stopped")
		<-ctx.Done()
		return nil
	}
	cl, err := c.kc.NewClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	lctx, stopLag := context.WithCancel(ctx)
	defer stopLag()
	go kafka.NewLagGauge(reg).SampleLag(lctx, cl, groups, 5*time.Second, func(err error) {
		a.log.Debug("lag sample failed", "err", err)
	})

	// The processors stop once the sweeps have: a visit aborted by a
	// stopping processor leaves goka (v1.1.16) counting its visits after
	// VisitAll has returned the count, a data race; a sweep under way when
	// ctx ends finishes first.
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	errs := make([]error, len(procs))
	var wg, sweeping sync.WaitGroup
	for i, proc := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := proc.Run(rctx); err != nil {
				errs[i] = fmt.Errorf("processor %s: %w", groups[i], err)
				cancel()
			}
		}()
		if sw := sweeps[i]; sw.Sweep != "" {
			sweeping.Go(func() { a.sweep(ctx, rctx, c, proc, sw) })
		}
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-rctx.Done():
		}
		sweeping.Wait()
		cancel()
	}()
	a.log.Info("processors running", "groups", groups, "state_dir", stateDir)
	wg.Wait()
	sweeping.Wait()
	return errors.Join(errs...)
}

// serveObs serves /metrics of reg and /healthz of health on addr, when
// one is given, until ctx ends.
func (a *app) serveObs(ctx context.Context, addr string, reg *prometheus.Registry, health *obs.Health) error {
	if addr == "" {
		return nil
	}
	at, err := obs.Serve(ctx, addr, obs.Handler(reg, health), a.log)
	if err != nil {
		return err
	}
	a.log.Info("serving /metrics and /healthz", "addr", at)
	return nil
}

// sweep visits every key of a processor's table through its sweep visitor
// at each period, once the processor runs, until ctx ends or the
// processors stop (run, the processors' context, ends).
func (a *app) sweep(ctx, run context.Context, c *conn, proc *goka.Processor, p topology.Processor) {
	t := time.NewTicker(c.s.Tuning().Every(p))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-run.Done():
			return
		case <-t.C:
		}
		if !proc.Recovered() {
			continue
		}
		if err := proc.VisitAll(run, p.Sweep, nil); err != nil && run.Err() == nil {
			a.log.Warn("sweep failed", "processor", p.Name, "visitor", p.Sweep, "err", err)
		}
	}
}

// stateStorage is the local store of a processor's table partitions:
// LevelDB with bloom filters, since many lookups of an identity graph are
// for keys that do not exist yet, written in batches.
func stateStorage(dir string) storage.Builder {
	return statestore.Builder(dir, statestore.Options{LevelDB: &opt.Options{Filter: filter.NewBloomFilter(10)}})
}

// gokaLogger sends goka's log lines to slog at debug level.
type gokaLogger struct {
	l interface{ Debug(string, ...any) }
}

func (g gokaLogger) Print(v ...any)   { g.l.Debug(fmt.Sprint(v...), "component", "goka") }
func (g gokaLogger) Println(v ...any) { g.l.Debug(fmt.Sprint(v...), "component", "goka") }
func (g gokaLogger) Printf(format string, v ...any) {
	g.l.Debug(fmt.Sprintf(format, v...), "component", "goka")
}
