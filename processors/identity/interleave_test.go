package identity

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lovoo/goka"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/schemas/schematest"
)

// sim runs the processor's handlers on a model of Kafka that delivers
// messages in any order the brokers allow: per partition in order, a
// producer's messages to one partition in the order sent, and nothing
// ordered between partitions or between a partition's input and loopback.
type sim struct {
	t      *testing.T
	p      *proc
	rng    *rand.Rand
	parts  int32
	table  map[string]*schemas.IdentityNode
	input  [][]*schemas.Event // per partition
	loop   [][][]byte         // per partition: arrived loopback records
	flight map[[2]int32][][]byte
	fkeys  map[[2]int32][]string
	lkeys  [][]string
	off    int64
	seq    int
	dlq    int
	steps  int
	// crash is the chance that a handler's process dies before all its
	// writes landed: then its table write lands or not, each destination
	// partition gets a prefix of its loopbacks, and the message is read
	// again, at the same offset, as after a restart.
	crash   float64
	redoIn  map[int32]redo
	redoLp  map[int32]redo
	crashes int
}

// redo is a message to be read again after a crash.
type redo struct {
	ev  *schemas.Event
	b   []byte
	key string
	off int64
}

func newSim(t *testing.T, seed uint64) *sim {
	t.Helper()
	rc := schematest.Registry(t)
	cfg := DefaultConfig()
	cfg.Group = "identity"
	cfg.Topics = Topics{Input: "raw", Resolved: "resolved", Merges: "merges", Audit: "audit", Erasures: "erasures"}
	cfg.Codecs.Command = schematest.Register[schemas.IdentityCommand](t, rc, "loop-value", schemas.IdentityCommandRecord)
	cfg.Codecs.Event = schematest.Register[schemas.Event](t, rc, "raw-value", schemas.EventRecord)
	cfg.Codecs.Resolved = schematest.Register[schemas.ResolvedEvent](t, rc, "resolved-value", schemas.ResolvedEventRecord)
	h := &harness.Harness{Stage: "identity", Deadletter: "dlq", Metrics: deadletter.NewMetrics(nil)}
	const parts = 8
	return &sim{
		t: t, p: &proc{cfg: cfg, ph: newPlaceholders(nil), h: h},
		rng: rand.New(rand.NewPCG(seed, 1)), parts: parts,
		table: map[string]*schemas.IdentityNode{}, input: make([][]*schemas.Event, parts), loop: make([][][]byte, parts),
		lkeys: make([][]string, parts), flight: map[[2]int32][][]byte{}, fkeys: map[[2]int32][]string{},
		redoIn: map[int32]redo{}, redoLp: map[int32]redo{},
	}
}

// add queues an event with the identifiers on the input partition of its
// strongest one; the n-th event is stamped n steps after 8:00.
func (s *sim) add(step time.Duration, typ string, ids ...string) {
	s.seq++
	x := idsOf(s.t, ids...)
	ts := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC).Add(time.Duration(s.seq) * step)
	pt := s.partition(identifiers(x, s.p.ph)[0])
	s.input[pt] = append(s.input[pt], &schemas.Event{EventID: fmt.Sprintf("e-%04d", s.seq), TS: ts, Type: typ, IDs: x})
}

func (s *sim) partition(key string) int32 {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int32(h.Sum32() % uint32(s.parts))
}

// run processes everything, choosing at random what happens next.
func (s *sim) run() {
	for {
		var choices []func()
		for pt := range s.parts {
			if r, ok := s.redoIn[pt]; ok {
				choices = append(choices, func() {
					delete(s.redoIn, pt)
					s.deliverEvent(pt, r.ev, r.off)
				})
			} else if len(s.input[pt]) > 0 {
				choices = append(choices, func() {
					ev := s.input[pt][0]
					s.input[pt] = s.input[pt][1:]
					s.off++
					s.deliverEvent(pt, ev, s.off)
				})
			}
			if r, ok := s.redoLp[pt]; ok {
				choices = append(choices, func() {
					delete(s.redoLp, pt)
					s.deliverCommand(pt, r.key, r.b, r.off)
				})
			} else if len(s.loop[pt]) > 0 {
				choices = append(choices, func() {
					b, key := s.loop[pt][0], s.lkeys[pt][0]
					s.loop[pt], s.lkeys[pt] = s.loop[pt][1:], s.lkeys[pt][1:]
					s.off++
					s.deliverCommand(pt, key, b, s.off)
				})
			}
		}
		lanes := slices.Collect(maps.Keys(s.flight))
		slices.SortFunc(lanes, func(x, y [2]int32) int { return int(x[0]*s.parts+x[1]) - int(y[0]*s.parts+y[1]) })
		for _, lane := range lanes {
			if len(s.flight[lane]) > 0 {
				choices = append(choices, func() {
					to := lane[1]
					s.loop[to] = append(s.loop[to], s.flight[lane][0])
					s.lkeys[to] = append(s.lkeys[to], s.fkeys[lane][0])
					s.flight[lane], s.fkeys[lane] = s.flight[lane][1:], s.fkeys[lane][1:]
				})
			}
		}
		if len(choices) == 0 {
			return
		}
		s.steps++
		if s.steps > 200_000 {
			s.t.Fatal("no quiescence after 200000 steps")
		}
		choices[s.rng.IntN(len(choices))]()
	}
}

// deliverEvent runs the input handler on ev at offset off.
func (s *sim) deliverEvent(pt int32, ev *schemas.Event, off int64) {
	ids := identifiers(ev.IDs, s.p.ph)
	raw, err := s.p.cfg.Codecs.Event.Encode(ev)
	if err != nil {
		s.t.Fatal(err)
	}
	c := s.ctx(ids[0], pt, off, "raw")
	s.p.onEvent(c, harness.Msg[schemas.Event]{Value: ev, Raw: raw})
	if s.settle(c) {
		s.redoIn[pt] = redo{ev: ev, off: off}
	}
}

// deliverCommand runs the loopback handler on b, keyed by key, at offset off.
func (s *sim) deliverCommand(pt int32, key string, b []byte, off int64) {
	cmd, err := s.p.cfg.Codecs.Command.DecodeTyped(b)
	if err != nil {
		s.t.Fatal(err)
	}
	c := s.ctx(key, pt, off, "identity-loop")
	s.p.onCommand(c, harness.Msg[schemas.IdentityCommand]{Value: cmd, Raw: b})
	if s.settle(c) {
		s.redoLp[pt] = redo{b: b, key: key, off: off}
	}
}

// ctx is the context of one delivery; it crashes with the sim's chance.
func (s *sim) ctx(key string, pt int32, off int64, topic string) *simCtx {
	c := &simCtx{s: s, key: key, part: pt, off: off, topic: goka.Stream(topic)}
	c.crashed = s.crash > 0 && s.rng.Float64() < s.crash
	return c
}

// settle lands what a crashed delivery wrote, partly, and says whether the
// delivery crashed.
func (s *sim) settle(c *simCtx) bool {
	if !c.crashed {
		return false
	}
	s.crashes++
	if c.wrote && s.rng.IntN(2) == 0 {
		if c.value == nil {
			delete(s.table, c.key)
		} else {
			s.table[c.key] = c.value
		}
	}
	kept := map[int32]int{}
	for _, l := range c.sent {
		to := s.partition(l.key)
		if _, ok := kept[to]; !ok {
			kept[to] = s.rng.IntN(len(c.sent) + 1)
		}
		if kept[to] > 0 {
			kept[to]--
			s.enqueue(c.part, l.key, l.b)
		}
	}
	return true
}

// enqueue puts a loopback record in flight from partition from.
func (s *sim) enqueue(from int32, key string, b []byte) {
	lane := [2]int32{from, s.partition(key)}
	s.flight[lane] = append(s.flight[lane], b)
	s.fkeys[lane] = append(s.fkeys[lane], key)
}

// profileOf follows an identifier to its live profile.
func (s *sim) profileOf(id string) string {
	n := s.table[id]
	if n == nil {
		return ""
	}
	p := n.Owner
	for range 64 {
		pn := s.table[profileKey(p)]
		if pn == nil || pn.MergedInto == "" {
			return p
		}
		p = pn.MergedInto
	}
	return "loop"
}

func clone(n *schemas.IdentityNode) *schemas.IdentityNode {
	c := *n
	c.Seen = slices.Clone(n.Seen)
	c.Companions = slices.Clone(n.Companions)
	c.Identifiers = slices.Clone(n.Identifiers)
	c.KindCounts = maps.Clone(n.KindCounts)
	return &c
}

type simCtx struct {
	s     *sim
	key   string
	part  int32
	off   int64
	topic goka.Stream
	// A crashing delivery keeps its writes here; the sim lands them partly.
	crashed bool
	wrote   bool
	value   *schemas.IdentityNode
	sent    []sent
}

type sent struct {
	key string
	b   []byte
}

func (c *simCtx) Group() goka.Group                     { return "identity" }
func (c *simCtx) Headers() goka.Headers                 { return nil }
func (c *simCtx) Join(goka.Table) interface{}           { return nil }
func (c *simCtx) Lookup(goka.Table, string) interface{} { return nil }
func (c *simCtx) DeferCommit() func(error)              { return func(error) {} }
func (c *simCtx) Key() string                           { return c.key }
func (c *simCtx) Partition() int32                      { return c.part }
func (c *simCtx) Offset() int64                         { return c.off }
func (c *simCtx) Topic() goka.Stream                    { return c.topic }
func (c *simCtx) Timestamp() time.Time                  { return time.Time{} }
func (c *simCtx) Context() context.Context              { return context.Background() }
func (c *simCtx) Fail(err error)                        { c.s.t.Fatal(err) }
func (c *simCtx) Delete(...goka.ContextOption) {
	if c.crashed {
		c.wrote, c.value = true, nil
		return
	}
	delete(c.s.table, c.key)
}

func (c *simCtx) Value() interface{} {
	if c.wrote {
		if c.value == nil {
			return nil
		}
		return clone(c.value)
	}
	if n, ok := c.s.table[c.key]; ok {
		return clone(n)
	}
	return nil
}

func (c *simCtx) SetValue(v interface{}, _ ...goka.ContextOption) {
	if c.crashed {
		c.wrote, c.value = true, clone(v.(*schemas.IdentityNode))
		return
	}
	c.s.table[c.key] = clone(v.(*schemas.IdentityNode))
}

func (c *simCtx) Emit(topic goka.Stream, _ string, _ interface{}, _ ...goka.ContextOption) {
	if topic == "dlq" {
		c.s.dlq++
	}
}

func (c *simCtx) Loopback(key string, v interface{}, _ ...goka.ContextOption) {
	if c.crashed {
		c.sent = append(c.sent, sent{key: key, b: v.([]byte)})
		return
	}
	c.s.enqueue(c.part, key, v.([]byte))
}

// TestHouseholdNeverMixesWhateverTheInterleaving replays the sequence that
// mixed two persons sharing a tablet (events.raw replayed fast, so that
// events of different days race through the loopback): the tablet's own
// profile (first seen anonymously) takes person A's customer id, person B
// logs in on the tablet, and B's own device and cookie, first seen
// anonymously, join B's profile. Whatever the interleaving, no profile may
// hold unshared identifiers of both persons.
//
// With crashes, a delivery now and then dies with part of its writes landed
// and is read again: the outcome is the same.
func TestHouseholdNeverMixesWhateverTheInterleaving(t *testing.T) {
	t.Run("no crash", func(t *testing.T) { householdNeverMixes(t, 0) })
	t.Run("crashes", func(t *testing.T) { householdNeverMixes(t, 0.05) })
}

func householdNeverMixes(t *testing.T, crash float64) {
	const rounds = 300
	a := []string{"customer:A", "email_sha256:ea", "device:dA", "cookie:cA"}
	b := []string{"customer:B", "email_sha256:eb", "loyalty:LB", "device:dB", "cookie:cB", "device:dB2"}
	mixed, split := 0, 0
	for round := range rounds {
		s := newSim(t, uint64(round))
		s.crash = crash
		ev := func(typ string, ids ...string) { s.add(time.Minute, typ, ids...) }
		for range 3 {
			ev("page_view", "device:dT", "cookie:cT")
		}
		ev("login", "customer:A", "email_sha256:ea", "device:dT", "cookie:cT")
		for range 3 {
			ev("page_view", "customer:A", "device:dT", "cookie:cT")
		}
		ev("page_view", "device:dB2")
		ev("store_purchase", "loyalty:LB")
		ev("identify", "customer:B", "device:dB2", "loyalty:LB")
		ev("page_view", "cookie:cB")
		ev("page_view", "device:dB")
		for range 4 {
			ev("identify", "customer:B", "email_sha256:eb", "device:dT")
		}
		ev("login", "customer:B", "email_sha256:eb", "device:dB", "cookie:cB")
		for range 4 {
			ev("page_view", "customer:B", "cookie:cB")
		}
		ev("login", "customer:A", "device:dA", "cookie:cA")
		for range 4 {
			ev("page_view", "customer:B", "email_sha256:eb", "device:dT")
		}
		s.run()
		pa := map[string]bool{}
		for _, id := range a {
			pa[s.profileOf(id)] = true
		}
		for _, id := range b {
			if p := s.profileOf(id); pa[p] {
				mixed++
				t.Logf("round %d: %s of B in profile %s with A's identifiers", round, id, p)
				break
			}
		}
		for _, person := range [][]string{a, b} {
			p0 := s.profileOf(person[0])
			for _, id := range person[1:] {
				if p := s.profileOf(id); p != p0 {
					split++
					t.Logf("round %d: %s in profile %s, %s in %s", round, person[0], p0, id, p)
					break
				}
			}
		}
		for k, n := range s.table {
			if n.MergingInto != "" {
				t.Errorf("round %d: %s still awaits the answer of %s", round, k, n.MergingInto)
			}
		}
		if s.dlq > 0 {
			t.Errorf("round %d: %d records dead-lettered", round, s.dlq)
		}
	}
	if mixed > 0 {
		t.Errorf("%d of %d interleavings put identifiers of B with those of A", mixed, rounds)
	}
	if split > 0 {
		t.Errorf("%d times a person's identifiers were left in two profiles", split)
	}
}

// TestOldestSurvivesWhateverTheInterleaving: a person first seen on a
// device alone, then identifying with a customer id, e-mail and phone, is
// one profile in the end, and it is the profile of the device's first
// event (the oldest): also when the merge request reaches that profile
// before the command that creates it, and when the identify event's claim
// reaches the device before the device's first event does.
//
// With crashes as above, the outcome is the same.
func TestOldestSurvivesWhateverTheInterleaving(t *testing.T) {
	t.Run("no crash", func(t *testing.T) { oldestSurvives(t, 0) })
	t.Run("crashes", func(t *testing.T) { oldestSurvives(t, 0.05) })
}

func oldestSurvives(t *testing.T, crash float64) {
	const rounds = 300
	person := []string{"device:d1", "customer:C1", "email_sha256:e1", "phone_sha256:ph1", "cookie:c1"}
	for round := range rounds {
		s := newSim(t, uint64(round))
		s.crash = crash
		ev := func(typ string, ids ...string) { s.add(time.Second, typ, ids...) }
		// Other persons' events queue before the device's first event on
		// its partition, so that the identify event's gather and claims
		// may overtake it.
		for i := 0; len(s.input[s.partition("device:d1")]) < 20; i++ {
			if id := fmt.Sprintf("cookie:f%d", i); s.partition(id) == s.partition("device:d1") {
				ev("page_view", id)
			}
		}
		first := fmt.Sprintf("e-%04d", s.seq+1)
		ev("page_view", "device:d1")
		ev("identify", "device:d1", "customer:C1", "email_sha256:e1", "phone_sha256:ph1")
		for range 5 {
			ev("product_view", "device:d1", "customer:C1")
		}
		ev("page_view", "cookie:c1")
		ev("login", "customer:C1", "cookie:c1")
		s.run()
		want := newProfileID("device:d1", first)
		for _, id := range person {
			if p := s.profileOf(id); p != want {
				t.Fatalf("round %d: %s in profile %q, want the oldest %s", round, id, p, want)
			}
		}
		if s.dlq > 0 {
			t.Errorf("round %d: %d records dead-lettered", round, s.dlq)
		}
	}
}
