package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/ingest"
	"github.com/activa-dev/activa/internal/obs"
	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/loadtest/gen"
	"github.com/activa-dev/activa/loadtest/replay"
	"github.com/activa-dev/activa/loadtest/score"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// pipeline is the embedded broker and registry with the processors.
type pipeline struct {
	t       testing.TB
	a       *app
	c       *conn
	codecs  *topology.Codecs
	dl      *deadletter.Metrics
	state   string
	cancel  context.CancelFunc
	done    chan error
	started bool
	names   []string // processors to run; nil runs all
	rate    float64  // events per second replayed; 0 as fast as possible
	reg     *prometheus.Registry
}

// startPipeline starts the embedded broker and registry and the processors.
func startPipeline(t *testing.T) *pipeline {
	p := startPipelineB(t)
	p.start()
	return p
}

// startPipelineB starts the embedded broker and registry only.
func startPipelineB(t testing.TB) *pipeline {
	t.Helper()
	return startPipelineWith(t, topology.DefaultCatalog().Partitions)
}

// start runs the processors in the background.
func (p *pipeline) start() {
	reg := obs.NewRegistry()
	p.reg = reg
	p.dl = deadletter.NewMetrics(reg)
	pctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done, p.started = cancel, make(chan error, 1), true
	go func() {
		names := p.names
		if names == nil {
			names = processorNames()
		}
		p.done <- p.a.runProcessors(pctx, p.c, p.codecs, names, p.state, reg, p.dl, &obs.Health{})
	}()
}

// stop stops the processors, if running.
func (p *pipeline) stop() {
	if !p.started {
		return
	}
	p.started = false
	p.cancel()
	if err := <-p.done; err != nil {
		p.t.Errorf("processors: %v", err)
	}
}

// replayOnly replays a file without waiting for any processor.
func (p *pipeline) replayOnly(path string) replay.Stats {
	p.t.Helper()
	st, err := p.replayCtx(context.Background(), path)
	if err != nil {
		p.t.Fatal(err)
	}
	return st
}

// replayCtx replays a file into events.raw until it ends or ctx does.
func (p *pipeline) replayCtx(ctx context.Context, path string) (replay.Stats, error) {
	return p.a.replayFile(ctx, p.c, p.codecs, path, replay.Config{HashKey: []byte(demoHashKey), Ingest: ingest.DefaultConfig(), Rate: p.rate}, false, p.dl)
}

// replay replays a file and waits until the processors have caught up.
func (p *pipeline) replay(path string) replay.Stats {
	p.t.Helper()
	st := p.replayOnly(path)
	if err := waitCaughtUp(context.Background(), p.c, []string{p.c.cat.Name("identity")}, 30*time.Minute); err != nil {
		p.t.Fatal(err)
	}
	return st
}

// readAll reads a catalog topic whole, from its start to its end offsets
// when called, decoding each record with the topic's codec; a tombstone
// comes as a nil value.
func readAll[T any](p *pipeline, topic string, fn func(key string, v *T)) {
	p.t.Helper()
	readRecords(p, topic, func(r *kgo.Record, v *T) { fn(string(r.Key), v) })
}

// readRecords is readAll with the record each value came from.
func readRecords[T any](p *pipeline, topic string, fn func(r *kgo.Record, v *T)) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	name := p.c.cat.Name(topic)
	cl, err := p.c.kc.NewClient(kgo.ConsumeTopics(name), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		p.t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, name)
	if err != nil {
		p.t.Fatal(err)
	}
	var want int64
	ends.Each(func(o kadm.ListedOffset) { want += o.Offset })
	codec, err := topology.Typed[T](p.codecs, topic)
	if err != nil {
		p.t.Fatal(err)
	}
	for n := int64(0); n < want; {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			p.t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			n++
			if r.Value == nil {
				fn(r, nil) // a tombstone
				return
			}
			v, err := codec.DecodeTyped(r.Value)
			if err != nil {
				p.t.Fatalf("%s offset %d: %v", name, r.Offset, err)
			}
			fn(r, v)
		})
	}
}

// resolved reads events.resolved whole: records, records per event id, and
// the events resolved more than once.
func (p *pipeline) resolved() (int, map[string]int, []schemas.Event) {
	p.t.Helper()
	ids := map[string]int{}
	var dups []schemas.Event
	n := 0
	readAll(p, topology.EventsResolved, func(key string, ev *schemas.ResolvedEvent) {
		n++
		if key != ev.ProfileID {
			p.t.Fatalf("resolved event %s keyed %s, profile %s", ev.Event.EventID, key, ev.ProfileID)
		}
		ids[ev.Event.EventID]++
		if ids[ev.Event.EventID] == 2 {
			dups = append(dups, ev.Event)
		}
	})
	return n, ids, dups
}

func (p *pipeline) grade(truth *gen.Truth) score.Pairs {
	p.t.Helper()
	lookup, stop, err := identityLookup(context.Background(), p.c, p.codecs, p.state)
	if err != nil {
		p.t.Fatal(err)
	}
	defer stop()
	h, err := pii.New([]byte(demoHashKey))
	if err != nil {
		p.t.Fatal(err)
	}
	g, err := score.IdentityPairs(truth, h, resolver(lookup))
	if err != nil {
		p.t.Fatal(err)
	}
	return g
}

func population(t *testing.T, profiles, days int) (string, *gen.Truth) {
	return populationB(t, profiles, days)
}

func populationB(t testing.TB, profiles, days int) (string, *gen.Truth) {
	t.Helper()
	dir := t.TempDir()
	cfg := gen.DefaultConfig()
	cfg.Profiles, cfg.Days, cfg.Seed, cfg.Shortfalls = profiles, days, 7, 1
	if today := time.Now().UTC().Truncate(24 * time.Hour); cfg.Start.AddDate(0, 0, days).After(today) {
		// The replay refuses events ahead of the clock: a long population
		// ends yesterday instead.
		cfg.Start = today.AddDate(0, 0, -days-1)
	}
	path := filepath.Join(dir, "pop.jsonl")
	truth := &gen.Truth{}
	var buf bytes.Buffer
	if _, err := gen.Generate(cfg, &buf, truth); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, truth
}

// shuffleWithin writes a copy of the file whose lines are shuffled within
// windows of event time.
func shuffleWithin(t *testing.T, path string, window time.Duration) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	var out bytes.Buffer
	var batch []string
	var start time.Time
	flush := func() {
		rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		for _, l := range batch {
			out.WriteString(l + "\n")
		}
		batch = batch[:0]
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var probe struct {
			TS string `json:"ts"`
		}
		if json.Unmarshal(sc.Bytes(), &probe) == nil {
			if ts, err := time.Parse(time.RFC3339Nano, probe.TS); err == nil {
				// A window ends at the first line of another window, before
				// or after it: a planted line from the far future (or
				// past) must not hold a window open.
				if w := ts.Truncate(window); !w.Equal(start) {
					flush()
					start = w
				}
			}
		}
		batch = append(batch, sc.Text())
	}
	flush()
	shuffled := path + ".shuffled"
	if err := os.WriteFile(shuffled, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return shuffled
}

// erasedIdentifiers returns the activa keys of the identifiers of every
// person who asked for erasure.
func erasedIdentifiers(t *testing.T, truth *gen.Truth) map[string]bool {
	t.Helper()
	h, err := pii.New([]byte(demoHashKey))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range truth.Erasures {
		for _, id := range truth.Person(e.Person).Identifiers {
			out[score.Key(h, id)] = true
		}
	}
	return out
}

func anyOf(ids schemas.IDs, set map[string]bool) bool {
	for _, k := range []string{
		"customer:" + ids.Customer, "loyalty:" + ids.Loyalty, "email_sha256:" + ids.EmailSHA256,
		"phone_sha256:" + ids.PhoneSHA256, "device:" + ids.Device, "cookie:" + ids.Cookie,
	} {
		if set[k] {
			return true
		}
	}
	return false
}

func checkGrade(t *testing.T, what string, g score.Pairs) {
	t.Helper()
	t.Logf("%s: %s", what, g)
	if g.Precision() < 0.999 || g.Recall() < 0.99 {
		t.Errorf("%s: precision %.5f (want >= 0.999), recall %.5f (want >= 0.99)", what, g.Precision(), g.Recall())
	}
}

// TestIdentityEndToEnd replays a generated population through the embedded
// broker into the identity processor, then replays it a second time: every
// accepted event is resolved exactly once, and the clustering of
// identifiers matches the truth.
//
// ACTIVA_E2E_PROFILES and ACTIVA_E2E_DAYS size the population (default 1000
// persons over 5 days; the acceptance figures use 20000 over 14).
func TestIdentityEndToEnd(t *testing.T) {
	path, truth := population(t, envInt("ACTIVA_E2E_PROFILES", 1000), envInt("ACTIVA_E2E_DAYS", 5))
	p := startPipeline(t)
	st := p.replay(path)
	n, ids, _ := p.resolved()
	if len(ids) != int(st.Produced) || n != int(st.Produced) {
		t.Fatalf("%d events accepted, %d resolved records for %d distinct events", st.Produced, n, len(ids))
	}
	first := p.grade(truth)
	checkGrade(t, "in order", first)

	// The lookup command answers from the same tables.
	var someone string
	for _, person := range truth.Persons {
		if person.Customer != "" && person.ErasedAt.IsZero() && len(person.Linked) == 1 && len(person.Linked[0]) > 2 {
			someone = "customer:" + person.Customer
			break
		}
	}
	code, out, errs := run(t, "lookup", someone, "cookie:nobody", "--brokers", p.c.kc.Brokers[0], "--registry", p.c.s.Registry)
	if code != 0 {
		t.Fatalf("lookup: %d %s", code, errs)
	}
	type answer struct {
		Query, Profile, Error string
		Identifiers           []string
	}
	var answers []answer
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var a answer
		if err := dec.Decode(&a); err != nil {
			t.Fatal(err)
		}
		answers = append(answers, a)
	}
	if len(answers) != 2 || answers[0].Profile == "" || !slices.Contains(answers[0].Identifiers, someone) || answers[1].Error == "" {
		t.Fatalf("lookup answered %+v", answers)
	}

	// Replayed again, every event is a redelivery and is dropped, except
	// those of persons who asked for erasure: their identifiers and
	// everything remembered under them were forgotten, so their old events
	// make a new profile (tested by TestErasure in processors/identity).
	p.replay(path)
	n2, ids2, dups := p.resolved()
	if len(ids2) != len(ids) {
		t.Fatalf("replaying again resolved %d distinct events, %d before", len(ids2), len(ids))
	}
	erased := erasedIdentifiers(t, truth)
	for _, ev := range dups {
		if !anyOf(ev.IDs, erased) {
			t.Fatalf("event %s resolved twice and not of an erased person: %+v", ev.EventID, ev.IDs)
		}
	}
	t.Logf("replayed twice: %d records resolved again, all %d of them events of the %d persons erased", n2-n, len(dups), len(truth.Erasures))
	if n2-n != len(dups) {
		t.Fatalf("%d records resolved again for %d events", n2-n, len(dups))
	}
	if again := p.grade(truth); again != first {
		t.Fatalf("replaying again changed the profiles:\n%s\n%s", first, again)
	}
}

// TestIdentityShuffled replays the population shuffled within 10-minute
// windows of event time.
func TestIdentityShuffled(t *testing.T) {
	path, truth := population(t, envInt("ACTIVA_E2E_PROFILES", 1000), envInt("ACTIVA_E2E_DAYS", 5))
	p := startPipeline(t)
	st := p.replay(shuffleWithin(t, path, 10*time.Minute))
	if _, ids, _ := p.resolved(); len(ids) != int(st.Produced) {
		t.Fatalf("%d events accepted, %d resolved", st.Produced, len(ids))
	}
	checkGrade(t, "shuffled within 10 minutes", p.grade(truth))
}
