package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/ingest"
	"github.com/activa-dev/activa/loadtest/replay"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

func (a *app) replayCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Validate, hash, encode and produce a JSON Lines file (plain or gzip) to events.raw",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := load(cmd.Flags())
			if err != nil {
				return err
			}
			f := cmd.Flags()
			rateS, _ := f.GetString("rate")
			speedup, _ := f.GetFloat64("speedup")
			workers, _ := f.GetInt("workers")
			quiet, _ := f.GetBool("no-progress")
			rate, err := parseRate(rateS)
			if err != nil {
				return err
			}
			if len(s.HashKey) < 16 {
				return errors.New("replay: --hash-key (or ACTIVA_HASH_KEY) of at least 16 bytes is required to hash raw e-mail and phone")
			}
			c, codecs, err := dialSetup(cmd.Context(), s, a.log)
			if err != nil {
				return err
			}
			st, err := a.replayFile(cmd.Context(), c, codecs, args[0], replay.Config{
				Rate: rate, Speedup: speedup, Workers: workers, HashKey: []byte(s.HashKey),
				Ingest: ingest.Config{MaxBytes: s.MaxBytes, MaxSkew: s.MaxSkew},
			}, !quiet && a.interactive(), nil)
			if err != nil {
				return err
			}
			a.printReplay(st)
			return nil
		},
	}
	addConnFlags(cmd.Flags())
	addIngestFlags(cmd.Flags())
	cmd.Flags().String("rate", "max", "events per second, or max")
	cmd.Flags().Float64("speedup", 0, "pace by event time divided by this factor (0: off; exclusive with --rate)")
	cmd.Flags().Int("workers", 0, "parsing goroutines (0: one per CPU)")
	cmd.Flags().Bool("no-progress", false, "do not draw a progress bar")
	return cmd
}

func parseRate(s string) (float64, error) {
	if s == "" || s == "max" {
		return 0, nil
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || r <= 0 {
		return 0, fmt.Errorf("rate %q: want a positive number of events per second or max", s)
	}
	return r, nil
}

// replayFile replays path with cfg, filling in topics and codecs.
func (a *app) replayFile(ctx context.Context, c *conn, codecs *topology.Codecs, path string, cfg replay.Config, progress bool, m *deadletter.Metrics) (replay.Stats, error) {
	fh, err := os.Open(path)
	if err != nil {
		return replay.Stats{}, fmt.Errorf("opening replay input: %w", err)
	}
	defer fh.Close() //nolint:errcheck // read only
	var r io.Reader = fh
	if progress {
		info, err := fh.Stat()
		if err != nil {
			return replay.Stats{}, fmt.Errorf("reading %s: %w", path, err)
		}
		bar := progressbar.NewOptions64(info.Size(),
			progressbar.OptionSetWriter(a.stderr),
			progressbar.OptionSetDescription("replay "+filepath.Base(path)),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(250*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		pr := progressbar.NewReader(fh, bar)
		r = &pr
		defer bar.Finish() //nolint:errcheck // cosmetic
	}
	in, err := replay.Open(r)
	if err != nil {
		return replay.Stats{}, fmt.Errorf("%s: %w", path, err)
	}
	ev, err := topology.Typed[schemas.Event](codecs, topology.EventsRaw)
	if err != nil {
		return replay.Stats{}, err
	}
	dl, err := topology.Typed[schemas.DeadLetter](codecs, topology.Deadletter)
	if err != nil {
		return replay.Stats{}, err
	}
	cl, err := c.producer()
	if err != nil {
		return replay.Stats{}, err
	}
	defer cl.Close()
	cfg.Topic = c.cat.Name(topology.EventsRaw)
	cfg.Deadletter = c.cat.Name(topology.Deadletter)
	cfg.Source = filepath.Base(path)
	st, err := replay.Run(ctx, cfg, in, cl, replay.Codecs{Event: ev, DeadLetter: dl}, m)
	if err != nil {
		return st, fmt.Errorf("replaying %s: %w", path, err)
	}
	return st, nil
}

func (a *app) printReplay(st replay.Stats) {
	fmt.Fprintf(a.stdout, "replayed %d lines in %s: %d events produced (%.0f events/s), %d dead-lettered\n",
		st.Lines, st.Elapsed.Round(time.Millisecond), st.Produced, st.Rate(), st.Refused())
	for _, reason := range slices.Sorted(maps.Keys(st.DeadLettered)) {
		fmt.Fprintf(a.stdout, "  dead-lettered %-18s %d\n", reason, st.DeadLettered[reason])
	}
}
