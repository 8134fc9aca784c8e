package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/linkedin/goavro/v2"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
)

func (a *app) tailCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tail TOPIC",
		Short: "Print an Avro topic as one JSON object per record, decoded with the writer schema from the registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := load(cmd.Flags())
			if err != nil {
				return err
			}
			f := cmd.Flags()
			fromStart, _ := f.GetBool("from-beginning")
			maxN, _ := f.GetInt("max")
			idle, _ := f.GetDuration("idle")
			c, err := dial(cmd.Context(), s, a.log)
			if err != nil {
				return err
			}
			_, err = a.tail(cmd.Context(), c, args[0], fromStart, maxN, idle)
			return err
		},
	}
	addConnFlags(cmd.Flags())
	cmd.Flags().Bool("from-beginning", false, "start at the oldest record instead of the newest")
	cmd.Flags().Int("max", 0, "stop after this many records (0: no limit)")
	cmd.Flags().Duration("idle", 0, "stop when no record arrives for this long (0: never)")
	return cmd
}

// tailRecord is one printed line.
type tailRecord struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Key       string `json:"key"`
	Timestamp string `json:"timestamp"`
	SchemaID  int    `json:"schema_id"`
	Value     any    `json:"value"`
}

// tail prints records of topic until ctx ends, max records or idle time.
func (a *app) tail(ctx context.Context, c *conn, topic string, fromStart bool, maxN int, idle time.Duration) (int, error) {
	off := kgo.NewOffset().AtEnd()
	if fromStart {
		off = kgo.NewOffset().AtStart()
	}
	cl, err := c.kc.NewClient(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(off))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	codecs := map[int]*goavro.Codec{}
	var serde sr.ConfluentHeader
	enc := json.NewEncoder(a.stdout)
	n := 0
	for maxN == 0 || n < maxN {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if idle > 0 {
			pctx, cancel = context.WithTimeout(ctx, idle)
		}
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return n, nil
		}
		if fs.Empty() && pctx.Err() != nil {
			return n, nil // idle
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				ferr = fmt.Errorf("fetching %s partition %d: %w", t, p, err)
			}
		})
		if ferr != nil {
			return n, ferr
		}
		for _, r := range fs.Records() {
			if maxN > 0 && n >= maxN {
				break
			}
			out := tailRecord{
				Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: string(r.Key),
				Timestamp: r.Timestamp.UTC().Format(time.RFC3339Nano),
			}
			id, body, err := serde.DecodeID(r.Value)
			if err != nil {
				out.Value = map[string]any{"error": "not Confluent wire format: " + err.Error(), "raw": string(r.Value)}
			} else {
				out.SchemaID = id
				codec, ok := codecs[id]
				if !ok {
					s, err := c.reg.SchemaByID(ctx, id)
					if err != nil {
						return n, fmt.Errorf("schema id %d of %s/%d@%d: %w", id, r.Topic, r.Partition, r.Offset, err)
					}
					if codec, err = goavro.NewCodec(s.Schema); err != nil {
						return n, fmt.Errorf("compiling schema id %d: %w", id, err)
					}
					codecs[id] = codec
				}
				native, _, err := codec.NativeFromBinary(body)
				if err != nil {
					out.Value = map[string]any{"error": "decoding: " + err.Error()}
				} else {
					out.Value = jsonable(native)
				}
			}
			if err := enc.Encode(out); err != nil {
				return n, fmt.Errorf("writing output: %w", err)
			}
			n++
		}
	}
	return n, nil
}

// jsonable turns goavro's native values into values that marshal readably:
// timestamps as RFC 3339, bytes as text when they are UTF-8.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
		return x
	case time.Time:
		if x.UnixMilli() == 0 {
			return nil
		}
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return x
	default:
		return v
	}
}
