package cli

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/activa-dev/activa/loadtest/gen"
)

func (a *app) genCmd() *cobra.Command {
	d := gen.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Write a deterministic synthetic population as JSON Lines, with its ground truth",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			cfg := gen.DefaultConfig()
			cfg.Profiles, _ = f.GetInt("profiles")
			cfg.Days, _ = f.GetInt("days")
			cfg.Seed, _ = f.GetUint64("seed")
			cfg.MalformedShare, _ = f.GetFloat64("malformed")
			cfg.ErasureShare, _ = f.GetFloat64("erasures")
			cfg.Shortfalls, _ = f.GetInt("shortfalls")
			if !f.Changed("shortfalls") {
				cfg.Shortfalls = min(cfg.Shortfalls, cfg.Days/2)
			}
			start, _ := f.GetString("start")
			out, _ := f.GetString("out")
			truthPath, _ := f.GetString("truth")
			quiet, _ := f.GetBool("no-progress")
			t, err := time.Parse(time.RFC3339, start)
			if err != nil {
				return fmt.Errorf("start %q: %w", start, err)
			}
			cfg.Start = t.UTC()
			if out == "" {
				return fmt.Errorf("gen: --out is required")
			}
			st, err := a.generate(cfg, out, truthPath, !quiet && a.interactive())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote %d lines (%d events, %d malformed) for %d persons over %d days to %s\n",
				st.Lines, st.Events, st.Malformed, st.Persons, cfg.Days, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.Int("profiles", d.Profiles, "number of persons")
	f.Int("days", d.Days, "length of the period in days")
	f.Uint64("seed", d.Seed, "seed; the same seed and settings give the same bytes")
	f.String("start", d.Start.Format(time.RFC3339), "first instant of the period (a whole hour, RFC 3339)")
	f.Float64("malformed", d.MalformedShare, "share of malformed lines")
	f.Float64("erasures", d.ErasureShare, "share of the known customers shopping online who ask for erasure (0 to 0.1)")
	f.Int("shortfalls", d.Shortfalls, "planted KPI shortfalls")
	f.String("out", "", "output file (.gz compresses)")
	f.String("truth", "", "ground-truth JSON file")
	f.Bool("no-progress", false, "do not draw a progress bar")
	return cmd
}

// generate writes the population to out (gzip when it ends in .gz) and the
// truth to truthPath when set.
func (a *app) generate(cfg gen.Config, out, truthPath string, progress bool) (gen.Stats, error) {
	fh, err := os.Create(out)
	if err != nil {
		return gen.Stats{}, fmt.Errorf("creating %s: %w", out, err)
	}
	defer fh.Close() //nolint:errcheck // closed and checked below; this only covers early returns
	bw := bufio.NewWriterSize(fh, 1<<20)
	var w io.Writer = bw
	var zw *gzip.Writer
	if strings.HasSuffix(out, ".gz") {
		zw = gzip.NewWriter(bw)
		w = zw
	}
	if progress {
		bar := progressbar.NewOptions(cfg.Days, progressbar.OptionSetWriter(a.stderr),
			progressbar.OptionSetDescription("gen days"), progressbar.OptionClearOnFinish())
		cfg.Progress = func(done, _ int) { _ = bar.Set(done) }
		defer bar.Finish() //nolint:errcheck // cosmetic
	}
	var truth *gen.Truth
	if truthPath != "" {
		truth = &gen.Truth{}
	}
	st, err := gen.Generate(cfg, w, truth)
	if err != nil {
		return st, fmt.Errorf("generating population: %w", err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return st, fmt.Errorf("writing %s: %w", out, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("writing %s: %w", out, err)
	}
	if err := fh.Close(); err != nil {
		return st, fmt.Errorf("writing %s: %w", out, err)
	}
	if truth != nil {
		tf, err := os.Create(truthPath)
		if err != nil {
			return st, fmt.Errorf("creating %s: %w", truthPath, err)
		}
		defer tf.Close() //nolint:errcheck // closed and checked below; this only covers early returns
		tw := bufio.NewWriter(tf)
		if err := truth.WriteJSON(tw); err != nil {
			return st, fmt.Errorf("writing truth %s: %w", truthPath, err)
		}
		if err := tw.Flush(); err != nil {
			return st, fmt.Errorf("writing truth %s: %w", truthPath, err)
		}
		if err := tf.Close(); err != nil {
			return st, fmt.Errorf("writing truth %s: %w", truthPath, err)
		}
	}
	return st, nil
}
