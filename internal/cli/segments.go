package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/processors/segments"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

func (a *app) segmentsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "segments",
		Short: "Print how many profiles each tier, lifecycle stage and cluster holds, and the clusters' centres in the features' units",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, codecs, err := a.query(cmd)
			if err != nil {
				return err
			}
			return a.printSegments(cmd.Context(), c, codecs)
		},
	}
	addConnFlags(cmd.Flags())
	return cmd
}

// printSegments reads the segments table and segment.model whole and
// prints the size of every segment and the centres of every model.
func (a *app) printSegments(ctx context.Context, c *conn, codecs *topology.Codecs) error {
	states := map[string]*schemas.SegmentState{}
	if err := readTable(ctx, c, codecs, topology.SegmentsTable, states); err != nil {
		return err
	}
	// An erased profile's marker is in no segment and no longer a profile.
	maps.DeleteFunc(states, func(_ string, s *schemas.SegmentState) bool { return s.Erased })
	models := map[string]*schemas.SegmentModel{}
	if err := readTable(ctx, c, codecs, topology.SegmentModel, models); err != nil {
		return err
	}
	tiers, stages, clusters := map[string]int{}, map[string]int{}, map[string]int{}
	for _, st := range states {
		tiers[cmp.Or(st.Tier, "none")]++
		stages[cmp.Or(st.Lifecycle, "none")]++
		clusters[cmp.Or(st.Cluster, "none")]++
	}
	fmt.Fprintf(a.stdout, "%d profiles\n", len(states))
	printCounts(a.stdout, "tier", tiers)
	printCounts(a.stdout, "lifecycle", stages)
	printCounts(a.stdout, "cluster", clusters)
	for _, name := range slices.Sorted(maps.Keys(models)) {
		printModel(a.stdout, models[name])
	}
	return nil
}

// printCounts prints one line of segment sizes, largest first.
func printCounts(w io.Writer, kind string, counts map[string]int) {
	names := slices.Collect(maps.Keys(counts))
	slices.SortFunc(names, func(x, y string) int { return cmp.Or(counts[y]-counts[x], cmp.Compare(x, y)) })
	fmt.Fprintf(w, "%-10s", kind+":")
	for _, n := range names {
		fmt.Fprintf(w, " %s %d", n, counts[n])
	}
	fmt.Fprintln(w)
}

// printModel prints a model's clusters with their centres back in the
// features' units: standardization undone, and log scaling for the
// dimensions named log1p( ).
func printModel(w io.Writer, m *schemas.SegmentModel) {
	fmt.Fprintf(w, "model %s: version %d, k %d, %d points seen", m.Model, m.Version, m.K, m.Observed)
	if len(m.Centroids) == 0 {
		fmt.Fprintf(w, ", warming up (%d points buffered)\n", len(m.Seed))
		return
	}
	fmt.Fprintln(w)
	dims, err := segments.ParseDims(m.Dims)
	if err != nil || len(dims) != len(m.Dims) {
		dims = make([]segments.Dim, len(m.Dims))
		for i, n := range m.Dims {
			dims[i] = segments.Dim{Name: n}
		}
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "cluster\tsize\tweight\t")
	for _, d := range dims {
		fmt.Fprintf(tw, "%s\t", d.Name)
	}
	fmt.Fprintln(tw)
	for _, ct := range m.Centroids {
		fmt.Fprintf(tw, "%d\t%d\t%.0f\t", ct.Label, ct.Size, ct.Weight)
		for i, x := range ct.Center {
			if i >= len(m.Means) || i >= len(m.Variances) || i >= len(m.Dims) {
				break
			}
			v := x*math.Sqrt(m.Variances[i]) + m.Means[i]
			if dims[i].Log {
				v = math.Copysign(math.Expm1(math.Abs(v)), v)
			}
			if math.Abs(v) < 1e-9 {
				v = 0 // rounding left over from standardizing
			}
			fmt.Fprintf(tw, "%s\t", strconv.FormatFloat(v, 'g', 4, 64))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush() //nolint:errcheck // written to a terminal or a pipe
}

// readTable reads a compacted catalog topic from its start to its end
// offsets into table, the latest value of each key; a tombstone deletes.
func readTable[T any](ctx context.Context, c *conn, codecs *topology.Codecs, topic string, table map[string]*T) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	name := c.cat.Name(topic)
	codec, err := topology.Typed[T](codecs, topic)
	if err != nil {
		return err
	}
	cl, err := c.kc.NewClient(kgo.ConsumeTopics(name), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, name)
	if err != nil {
		return fmt.Errorf("listing the end offsets of %s: %w", name, err)
	}
	starts, err := adm.ListStartOffsets(ctx, name)
	if err != nil {
		return fmt.Errorf("listing the start offsets of %s: %w", name, err)
	}
	left := map[int32]int64{} // records still to read, by partition
	ends.Each(func(o kadm.ListedOffset) {
		if s, ok := starts.Lookup(name, o.Partition); ok && o.Offset > s.Offset {
			left[o.Partition] = o.Offset
		}
	})
	for len(left) > 0 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		var derr error
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset+1 >= left[r.Partition] {
				delete(left, r.Partition)
			}
			if r.Value == nil {
				delete(table, string(r.Key))
				return
			}
			v, err := codec.DecodeTyped(r.Value)
			if err != nil {
				derr = fmt.Errorf("decoding %s record at partition %d offset %d: %w", name, r.Partition, r.Offset, err)
				return
			}
			table[string(r.Key)] = v
		})
		if derr != nil {
			return derr
		}
	}
	return nil
}
