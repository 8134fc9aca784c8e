package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/ingest"
	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/internal/obs"
	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/loadtest/gen"
	"github.com/activa-dev/activa/loadtest/replay"
	"github.com/activa-dev/activa/loadtest/score"
	"github.com/activa-dev/activa/processors/identity"
	"github.com/activa-dev/activa/topology"
)

// demoHashKey keys PII hashing in the demo only; real deployments set their
// own secret with --hash-key.
const demoHashKey = "activa-demo-key-not-secret"

// demoIdle is the sessions idle timeout of the demo.
const demoIdle = 3 * time.Second

func (a *app) demoCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run everything embedded on a generated population and print what happens",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			o := demoOpts{}
			o.profiles, _ = f.GetInt("profiles")
			o.days, _ = f.GetInt("days")
			o.seed, _ = f.GetUint64("seed")
			o.http, _ = f.GetString("http")
			o.dataDir, _ = f.GetString("data-dir")
			o.progress = a.interactive()
			if q, _ := f.GetBool("no-progress"); q {
				o.progress = false
			}
			return a.demo(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.Int("profiles", 2000, "persons in the generated population")
	f.Int("days", 7, "days of activity, ending yesterday")
	f.Uint64("seed", 1, "population seed")
	f.String("http", "", "serve the console, the profile API, /metrics and /healthz on this address, and keep serving once the demo has finished")
	f.String("data-dir", "", "keep broker, registry and state here (default: a temporary directory, removed at the end)")
	f.Bool("no-progress", false, "do not draw progress bars")
	return cmd
}

type demoOpts struct {
	profiles, days int
	seed           uint64
	http, dataDir  string
	progress       bool
}

func (a *app) demo(ctx context.Context, o demoOpts) error {
	began := time.Now()
	dir := o.dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "activa-demo-")
		if err != nil {
			return fmt.Errorf("creating demo directory: %w", err)
		}
		defer func() {
			if err := os.RemoveAll(tmp); err != nil {
				a.log.Warn("removing demo directory", "dir", tmp, "err", err)
			}
		}()
		dir = tmp
	}
	e, err := a.startEmbedded(ctx, dir, "127.0.0.1:0", "127.0.0.1:0", 8)
	if err != nil {
		return err
	}
	defer e.close()
	fmt.Fprintf(a.stdout, "embedded broker %s, schema registry %s\n", e.brokers()[0], e.registry.URL())

	// A population whose last day is yesterday, so no event lies in the future.
	cfg := gen.DefaultConfig()
	cfg.Profiles, cfg.Days, cfg.Seed = o.profiles, o.days, o.seed
	cfg.Shortfalls = min(cfg.Shortfalls, cfg.Days/2)
	cfg.Start = time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -o.days)
	input := filepath.Join(dir, "population.jsonl")
	gst, err := a.generate(cfg, input, filepath.Join(dir, "truth.json"), o.progress)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "generated %d persons over %d days: %d events, %d malformed lines, %d purchases (%.0f EUR)\n",
		gst.Persons, cfg.Days, gst.Events, gst.Malformed, gst.Purchases, gst.Revenue)

	s := Settings{Brokers: e.brokers(), Registry: e.registry.URL(), HashKey: demoHashKey}
	d := topology.DefaultCatalog()
	s.Prefix, s.Partitions, s.Replication = d.Prefix, d.Partitions, d.Replication
	s.GCPercent = defaultGCPercent
	// The demo's input ends with the replay: sessions close a few seconds
	// after it instead of the production default of ten minutes.
	s.SessionIdleTimeout, s.SweepEvery = demoIdle, 500*time.Millisecond
	c, codecs, err := dialSetup(ctx, s, a.log)
	if err != nil {
		return err
	}
	reg := obs.NewRegistry()
	health := &obs.Health{}
	stateDir := filepath.Join(dir, "state")
	consoleAt := ""
	if o.http != "" {
		at, wait, err := a.serveConsole(ctx, c, codecs, o.http, stateDir, reg, health)
		if err != nil {
			return err
		}
		defer wait()
		consoleAt = at
		fmt.Fprintf(a.stdout, "console on http://%s/ (profile API at /api/profiles/{id}, /metrics, /healthz)\n", at)
	}
	// The processors run while the population is replayed.
	names := processorNames()
	pctx, stopProcs := context.WithCancel(ctx)
	procDone := make(chan error, 1)
	dl := deadletter.NewMetrics(reg)
	go func() { procDone <- a.runProcessors(pctx, c, codecs, names, stateDir, reg, dl, health) }()
	defer func() {
		stopProcs()
		if err := <-procDone; err != nil {
			a.log.Warn("processors stopped with an error", "err", err)
		}
	}()
	rst, err := a.replayFile(ctx, c, codecs, input, replay.Config{
		HashKey: []byte(demoHashKey), Ingest: ingest.DefaultConfig(),
	}, o.progress, dl)
	if err != nil {
		return err
	}
	a.printReplay(rst)
	replayed := time.Now()
	groups := make([]string, len(names))
	for i, n := range names {
		groups[i] = c.cat.Name(n)
	}
	caught := make(chan error, 1)
	go func() { caught <- waitCaughtUp(ctx, c, groups, 5*time.Minute) }()
	select {
	case err := <-caught:
		if err != nil {
			return err
		}
	case err := <-procDone:
		procDone <- err
		return fmt.Errorf("processors stopped: %w", err)
	}
	fmt.Fprintf(a.stdout, "processors %s caught up %s after the replay ended\n", strings.Join(names, ", "), time.Since(replayed).Round(time.Millisecond))
	// The input has ended: once the idle timeout has passed the sweep
	// closes the sessions still open.
	time.Sleep(demoIdle + time.Second)
	if err := waitCaughtUp(ctx, c, groups, 5*time.Minute); err != nil {
		return err
	}
	if err := a.printTopics(ctx, c); err != nil {
		return err
	}
	if err := a.printIdentity(ctx, c, codecs, stateDir, filepath.Join(dir, "truth.json")); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "demo finished in %s\n", time.Since(began).Round(100*time.Millisecond))
	if consoleAt != "" {
		fmt.Fprintf(a.stdout, "console on http://%s/ until interrupted (Ctrl-C)\n", consoleAt)
		<-ctx.Done()
	}
	return nil
}

// printIdentity grades the identity tables against the population's truth.
func (a *app) printIdentity(ctx context.Context, c *conn, codecs *topology.Codecs, stateDir, truthPath string) error {
	f, err := os.Open(truthPath)
	if err != nil {
		return fmt.Errorf("opening truth: %w", err)
	}
	truth, err := gen.ReadTruth(f)
	f.Close() //nolint:errcheck,gosec // read only
	if err != nil {
		return fmt.Errorf("reading truth %s: %w", truthPath, err)
	}
	lookup, stop, err := identityLookup(ctx, c, codecs, stateDir)
	if err != nil {
		return err
	}
	defer stop()
	h, err := pii.New([]byte(demoHashKey))
	if err != nil {
		return err
	}
	grade, err := score.IdentityPairs(truth, h, resolver(lookup))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "identity: %s\n", grade)
	return nil
}

// resolver adapts a lookup to the scorer: an unknown identifier has no
// profile.
func resolver(l *identity.Lookup) func(string) (string, error) {
	return func(key string) (string, error) {
		p, err := l.Profile(key)
		if errors.Is(err, identity.ErrNotFound) {
			return "", nil
		}
		return p, err
	}
}

// printTopics prints the record count of every catalog topic and the schema
// id of its subject.
func (a *app) printTopics(ctx context.Context, c *conn) error {
	cl, err := c.kc.NewClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var names []string
	for _, t := range topology.Topics() {
		names = append(names, c.cat.Name(t.Name))
	}
	ends, err := adm.ListEndOffsets(ctx, names...)
	if err != nil {
		return fmt.Errorf("listing end offsets: %w", err)
	}
	starts, err := adm.ListStartOffsets(ctx, names...)
	if err != nil {
		return fmt.Errorf("listing start offsets: %w", err)
	}
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "topic\tpartitions\trecords\tschema id")
	sort.Strings(names)
	for _, n := range names {
		var recs int64
		parts := 0
		ends.Each(func(o kadm.ListedOffset) {
			if o.Topic == n {
				parts++
				if s, ok := starts.Lookup(n, o.Partition); ok {
					recs += o.Offset - s.Offset
				}
			}
		})
		id := "-"
		if ss, err := c.reg.SchemaByVersion(ctx, n+"-value", -1); err == nil {
			id = fmt.Sprint(ss.ID)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", n, parts, recs, id)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing summary: %w", err)
	}
	lags, err := kafka.Lag(ctx, cl)
	if err == nil && len(lags) > 0 {
		var gs []string
		for g := range lags {
			gs = append(gs, g)
		}
		sort.Strings(gs)
		fmt.Fprintf(a.stdout, "consumer groups: %s\n", strings.Join(gs, ", "))
	}
	return nil
}
