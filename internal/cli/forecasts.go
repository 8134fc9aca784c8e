package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/internal/plan"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

func (a *app) forecastsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "forecasts",
		Short: "Manage the KPI plans on kpi.forecasts",
	}
	load := &cobra.Command{
		Use:   "load FILE",
		Short: "Load a CSV plan (kpi,dimension,value,period_start,period_end,expected[,lower,upper]) into kpi.forecasts",
		Long: "Load a CSV plan into kpi.forecasts, one record per row keyed kpi|dimension|value|period_start, " +
			"where a later record replaces an earlier one. The file is checked whole first: a file with " +
			"any bad row is refused with the line and the problem of every bad row, and nothing is loaded.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := load(cmd.Flags())
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("opening plan: %w", err)
			}
			fcs, err := plan.Read(f, time.Now())
			_ = f.Close() // read only: nothing to lose
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			c, codecs, err := dialSetup(cmd.Context(), s, a.log)
			if err != nil {
				return err
			}
			if err := loadForecasts(cmd.Context(), c, codecs, fcs); err != nil {
				return fmt.Errorf("loading %s: %w", args[0], err)
			}
			fmt.Fprintf(a.stdout, "loaded %d forecasts from %s into %s\n", len(fcs), args[0], c.cat.Name(topology.KpiForecasts))
			return nil
		},
	}
	addConnFlags(load.Flags())
	cmd.AddCommand(load)
	return cmd
}

// loadForecasts produces fcs to kpi.forecasts, keyed by [plan.Key], and
// waits until every record is acknowledged.
func loadForecasts(ctx context.Context, c *conn, codecs *topology.Codecs, fcs []schemas.KpiForecast) error {
	codec, err := topology.Typed[schemas.KpiForecast](codecs, topology.KpiForecasts)
	if err != nil {
		return err
	}
	cl, err := c.producer()
	if err != nil {
		return err
	}
	defer cl.Close()
	topic := c.cat.Name(topology.KpiForecasts)
	rs := make([]*kgo.Record, len(fcs))
	for i, f := range fcs {
		v, err := codec.Encode(f)
		if err != nil {
			return fmt.Errorf("encoding forecast %s: %w", plan.Key(f), err)
		}
		rs[i] = &kgo.Record{Topic: topic, Key: []byte(plan.Key(f)), Value: v}
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		return fmt.Errorf("producing to %s: %w", topic, err)
	}
	return nil
}
