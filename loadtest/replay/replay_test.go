package replay_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/activa-dev/activa/internal/broker"
	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/ingest"
	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/loadtest/replay"
	"github.com/activa-dev/activa/schemas"
)

type env struct {
	kc     *kafka.Config
	codecs replay.Codecs
}

func setup(t testing.TB) env {
	t.Helper()
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	reg := srfake.New()
	t.Cleanup(reg.Close)
	rc, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ev, err := schemas.Register[schemas.Event](ctx, rc, "raw-value", schemas.EventRecord)
	if err != nil {
		t.Fatal(err)
	}
	dl, err := schemas.Register[schemas.DeadLetter](ctx, rc, "dlq-value", schemas.DeadLetterRecord)
	if err != nil {
		t.Fatal(err)
	}
	kc := &kafka.Config{Brokers: b.Addrs()}
	cl, err := kc.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kafka.EnsureTopics(ctx, cl, []kafka.TopicSpec{
		{Name: "raw", Partitions: 4, Replication: 1, Cleanup: "delete"},
		{Name: "dlq", Partitions: 4, Replication: 1, Cleanup: "delete"},
	}); err != nil {
		t.Fatal(err)
	}
	return env{kc: kc, codecs: replay.Codecs{Event: ev, DeadLetter: dl}}
}

func line(i int) string {
	return fmt.Sprintf(`{"event_id":"e-%06d","ts":"2026-11-02T10:%02d:%02d.000Z","type":"page_view","channel":"web","ids":{"cookie":"c-%d","email":"u%d@example.com"},"props":{"url":"/p/%d"}}`,
		i, (i/60)%60, i%60, i%97, i%97, i)
}

func TestReplayProducesAndDeadLetters(t *testing.T) {
	e := setup(t)
	var in strings.Builder
	bad := map[int]string{ // line number -> reason
		3:  deadletter.MalformedJSON,
		10: deadletter.MissingIDs,
		20: deadletter.WrongType,
		30: deadletter.BadTimestamp,
		40: deadletter.FutureTimestamp,
		50: deadletter.Oversized,
	}
	const n = 2000
	for i := 1; i <= n; i++ {
		switch bad[i] {
		case deadletter.MalformedJSON:
			in.WriteString(`{"event_id":"x","ts":` + "\n")
		case deadletter.MissingIDs:
			in.WriteString(`{"event_id":"x","ts":"2026-11-02T10:00:00Z","type":"click","ids":{}}` + "\n")
		case deadletter.WrongType:
			in.WriteString(`{"event_id":"x","ts":"2026-11-02T10:00:00Z","type":"click","ids":{"cookie":"c"},"value":"abc"}` + "\n")
		case deadletter.BadTimestamp:
			in.WriteString(`{"event_id":"x","ts":"soon","type":"click","ids":{"cookie":"c"}}` + "\n")
		case deadletter.FutureTimestamp:
			in.WriteString(`{"event_id":"x","ts":"2099-01-01T00:00:00Z","type":"click","ids":{"cookie":"c"}}` + "\n")
		case deadletter.Oversized:
			in.WriteString(`{"event_id":"x","props":{"a":"` + strings.Repeat("z", 200<<10) + `"}}` + "\n")
		default:
			in.WriteString(line(i) + "\n")
		}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(in.String()))
	zw.Close()

	cl, err := e.kc.NewClient(e.kc.ProducerOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := replay.Open(&gz)
	if err != nil {
		t.Fatal(err)
	}
	m := deadletter.NewMetrics(nil)
	st, err := replay.Run(ctx, replay.Config{Topic: "raw", Deadletter: "dlq", Source: "in.jsonl.gz", HashKey: []byte("0123456789abcdef"), Ingest: ingest.DefaultConfig()}, r, cl, e.codecs, m)
	if err != nil {
		t.Fatal(err)
	}
	if st.Lines != n || st.Produced != n-int64(len(bad)) || st.Refused() != int64(len(bad)) {
		t.Fatalf("stats = %+v", st)
	}

	cons, err := e.kc.NewClient(kgo.ConsumeTopics("raw", "dlq"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	seen := map[string]int{}
	lastByKey := map[string]string{}
	dls := map[int64]schemas.DeadLetter{}
	for got := 0; got < n; {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(rec *kgo.Record) {
			got++
			if rec.Topic == "dlq" {
				d, err := e.codecs.DeadLetter.DecodeTyped(rec.Value)
				if err != nil {
					t.Fatal(err)
				}
				dls[d.Offset] = *d
				return
			}
			ev, err := e.codecs.Event.DecodeTyped(rec.Value)
			if err != nil {
				t.Fatal(err)
			}
			seen[ev.EventID]++
			if want := kafka.PartitionOf(rec.Key, 4); rec.Partition != want {
				t.Errorf("key %s in partition %d, want %d", rec.Key, rec.Partition, want)
			}
			if prev := lastByKey[string(rec.Key)]; prev >= ev.EventID {
				t.Errorf("key %s: %s after %s, order lost", rec.Key, ev.EventID, prev)
			}
			lastByKey[string(rec.Key)] = ev.EventID
			if ev.IDs.EmailSHA256 == "" || strings.Contains(string(rec.Value), "@example.com") {
				t.Errorf("raw e-mail reached the topic in %s", ev.EventID)
			}
		})
	}
	if len(seen) != n-len(bad) {
		t.Fatalf("%d distinct events on raw, want %d", len(seen), n-len(bad))
	}
	for lineNo, reason := range bad {
		d, ok := dls[int64(lineNo)]
		if !ok {
			t.Errorf("line %d (%s) not dead-lettered", lineNo, reason)
			continue
		}
		if d.Reason != reason || d.Stage != "replay" || d.Source != "in.jsonl.gz" || len(d.Original) == 0 || d.Error == "" {
			t.Errorf("line %d: dead letter %+v, want reason %s", lineNo, d, reason)
		}
		if reason == deadletter.Oversized && len(d.Original) > deadletter.MaxOriginal {
			t.Errorf("oversized original kept whole: %d bytes", len(d.Original))
		}
	}
}

func TestReplayRate(t *testing.T) {
	e := setup(t)
	var in strings.Builder
	for i := 1; i <= 300; i++ {
		in.WriteString(line(i) + "\n")
	}
	cl, err := e.kc.NewClient(e.kc.ProducerOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	st, err := replay.Run(context.Background(), replay.Config{Topic: "raw", Deadletter: "dlq", Rate: 1000, HashKey: []byte("0123456789abcdef")}, strings.NewReader(in.String()), cl, e.codecs, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 300 events at 1000/s cannot take less than 0.29 s (burst 10).
	if st.Elapsed < 290*time.Millisecond || st.Produced != 300 {
		t.Fatalf("rate not applied: %+v", st)
	}
}

// TestReplayReadsEveryChunk replays many chunks' worth of lines: every line
// must be counted and produced (a chunk handed to a worker must not be read
// again by the reader).
func TestReplayReadsEveryChunk(t *testing.T) {
	e := setup(t)
	const n = 60_000
	var in strings.Builder
	for i := 1; i <= n; i++ {
		in.WriteString(line(i) + "\n")
	}
	cl, err := e.kc.NewClient(e.kc.ProducerOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for range 3 {
		st, err := replay.Run(context.Background(), replay.Config{Topic: "raw", Deadletter: "dlq", HashKey: []byte("0123456789abcdef")},
			strings.NewReader(in.String()), cl, e.codecs, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Lines != n || st.Produced != n {
			t.Fatalf("replayed %d lines, produced %d, want %d", st.Lines, st.Produced, n)
		}
	}
}
