package identity_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/activa-dev/activa/internal/harness/harnesstest"
	"github.com/activa-dev/activa/internal/ingest"
	"github.com/activa-dev/activa/processors/identity"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/schemas/schematest"
)

const group = "identity"

// rig runs the real Define on goka's tester.
type rig struct {
	t         *testing.T
	tt        *tester.Tester
	codecs    identity.Codecs
	resolved  *tester.QueueTracker
	merges    *tester.QueueTracker
	audit     *tester.QueueTracker
	erasures  *tester.QueueTracker
	dlq       *tester.QueueTracker
	loop      *tester.QueueTracker
	loopTopic string
	metrics   *identity.Metrics
	lookup    *identity.Lookup
	seq       int
	base      time.Time
}

func newRig(t *testing.T, tweak func(*identity.Config)) *rig {
	t.Helper()
	rc := schematest.Registry(t)
	c := identity.Codecs{
		Event:    schematest.Register[schemas.Event](t, rc, "raw-value", schemas.EventRecord),
		Resolved: schematest.Register[schemas.ResolvedEvent](t, rc, "resolved-value", schemas.ResolvedEventRecord),
		Merge:    schematest.Register[schemas.ProfileMerge](t, rc, "merges-value", schemas.ProfileMergeRecord),
		Audit:    schematest.Register[schemas.IdentityAudit](t, rc, "audit-value", schemas.IdentityAuditRecord),
		Erasure:  schematest.Register[schemas.ErasureConfirmation](t, rc, "erasures-value", schemas.ErasureConfirmationRecord),
		Node:     schematest.Register[schemas.IdentityNode](t, rc, "identity-table-value", schemas.IdentityNodeRecord),
		Command:  schematest.Register[schemas.IdentityCommand](t, rc, "identity-loop-value", schemas.IdentityCommandRecord),
	}
	cfg := identity.DefaultConfig()
	cfg.Group = group
	cfg.Topics = identity.Topics{Input: "raw", Resolved: "resolved", Merges: "merges", Audit: "audit", Erasures: "erasures"}
	cfg.Codecs = c
	cfg.Harness = harnesstest.Harness(t, rc, "identity")
	cfg.Metrics = identity.NewMetrics(nil)
	if tweak != nil {
		tweak(&cfg)
	}
	g, err := identity.Define(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tt, _ := harnesstest.Start(t, g)
	r := &rig{
		t: t, tt: tt, codecs: c,
		resolved: tt.NewQueueTracker("resolved"), merges: tt.NewQueueTracker("merges"),
		audit: tt.NewQueueTracker("audit"), erasures: tt.NewQueueTracker("erasures"), dlq: tt.NewQueueTracker(harnesstest.Deadletter),
		loop: tt.NewQueueTracker(g.LoopStream().Topic()), loopTopic: g.LoopStream().Topic(), metrics: cfg.Metrics,
		base: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC),
	}
	r.lookup = identity.NewLookup(func(key string) (*schemas.IdentityNode, error) {
		v := tt.TableValue(goka.GroupTable(group), key)
		n, _ := v.(*schemas.IdentityNode)
		return n, nil
	})
	return r
}

// ids parses "kind:value" pairs into schemas.IDs.
func ids(t *testing.T, pairs ...string) schemas.IDs { return identity.IDsOf(t, pairs...) }

// send consumes an event carrying the identifiers, keyed as ingestion keys
// it, and returns its id.
func (r *rig) send(typ string, pairs ...string) string {
	r.seq++
	id := fmt.Sprintf("e-%05d", r.seq)
	r.sendEvent(schemas.Event{EventID: id, TS: r.base.Add(time.Duration(r.seq) * time.Second), Type: typ, IDs: ids(r.t, pairs...)})
	return id
}

func (r *rig) sendEvent(ev schemas.Event) {
	r.t.Helper()
	b, err := r.codecs.Event.Encode(&ev)
	if err != nil {
		r.t.Fatal(err)
	}
	key := string(ingest.Key(ev.IDs))
	r.tt.Consume("raw", key, b)
}

func (r *rig) profileOf(identifier string) string {
	r.t.Helper()
	p, err := r.lookup.Profile(identifier)
	if err != nil {
		r.t.Fatalf("profile of %s: %v", identifier, err)
	}
	return p
}

// drain returns what a tracker holds, by key.
func drain[T any](q *tester.QueueTracker) (keys []string, vals []*T) {
	for {
		k, v, ok := q.Next()
		if !ok {
			return keys, vals
		}
		keys = append(keys, k)
		vals = append(vals, v.(*T))
	}
}

func (r *rig) resolvedByEvent() map[string][]string {
	out := map[string][]string{}
	keys, vals := drain[schemas.ResolvedEvent](r.resolved)
	for i, v := range vals {
		if keys[i] != v.ProfileID {
			r.t.Fatalf("resolved event %s keyed %s, profile %s", v.Event.EventID, keys[i], v.ProfileID)
		}
		out[v.Event.EventID] = append(out[v.Event.EventID], v.ProfileID)
	}
	return out
}

func TestSingleIdentifierEvent(t *testing.T) {
	r := newRig(t, nil)
	e1 := r.send("page_view", "cookie:c1")
	e2 := r.send("page_view", "cookie:c1")
	got := r.resolvedByEvent()
	if len(got[e1]) != 1 || len(got[e2]) != 1 || got[e1][0] != got[e2][0] {
		t.Fatalf("resolved %v", got)
	}
	if p := r.profileOf("cookie:c1"); p != got[e1][0] {
		t.Fatalf("lookup says %s, events say %s", p, got[e1][0])
	}
	p, held, err := r.lookup.Identifiers(got[e1][0])
	if err != nil || p != got[e1][0] || !slices.Equal(held, []string{"cookie:c1"}) {
		t.Fatalf("identifiers of %s: %s %v %v", got[e1][0], p, held, err)
	}
}

func TestChainBuiltInReverseOrder(t *testing.T) {
	r := newRig(t, nil)
	const n = 12
	// Each cookie is seen first on its own, so n profiles exist, then the
	// links arrive from the end of the chain to its start.
	for i := range n {
		r.send("page_view", fmt.Sprintf("cookie:c%02d", i))
	}
	for i := n - 1; i > 0; i-- {
		r.send("identify", fmt.Sprintf("cookie:c%02d", i-1), fmt.Sprintf("device:d%02d", i))
		r.send("identify", fmt.Sprintf("device:d%02d", i), fmt.Sprintf("cookie:c%02d", i))
	}
	first := r.profileOf("cookie:c00")
	for i := range n {
		if p := r.profileOf(fmt.Sprintf("cookie:c%02d", i)); p != first {
			t.Fatalf("cookie:c%02d in %s, cookie:c00 in %s", i, p, first)
		}
	}
	_, held, err := r.lookup.Identifiers(first)
	if err != nil || len(held) != 2*n-1 {
		t.Fatalf("survivor holds %d identifiers (%v), want %d", len(held), err, 2*n-1)
	}
	// The survivor is the oldest profile: the one created by the first event.
	got := r.resolvedByEvent()
	if got["e-00001"][0] != first {
		t.Fatalf("survivor %s is not the oldest profile %s", first, got["e-00001"][0])
	}
	_, merges := drain[schemas.ProfileMerge](r.merges)
	if len(merges) < n-1 {
		t.Fatalf("%d merge records for %d absorbed profiles", len(merges), n-1)
	}
	for _, m := range merges {
		if m.Survivor == m.Absorbed {
			t.Fatalf("profile merged into itself: %+v", m)
		}
	}
}

func TestMergeOfTwoLargeProfiles(t *testing.T) {
	r := newRig(t, nil)
	const n = 60
	for i := range n {
		r.send("page_view", "device:dA", fmt.Sprintf("cookie:a%d", i))
	}
	for i := range n {
		r.send("page_view", "device:dB", fmt.Sprintf("cookie:b%d", i))
	}
	pa, pb := r.profileOf("device:dA"), r.profileOf("device:dB")
	if pa == pb {
		t.Fatal("two people in one profile before any link")
	}
	r.send("login", "customer:C1", "device:dB")
	r.send("login", "customer:C1", "device:dA")
	p := r.profileOf("cookie:a0")
	if p != pa {
		t.Fatalf("survivor %s, want the oldest profile %s", p, pa)
	}
	for i := range n {
		for _, c := range []string{"cookie:a%d", "cookie:b%d"} {
			if got := r.profileOf(fmt.Sprintf(c, i)); got != p {
				t.Fatalf("%s in %s, want %s", fmt.Sprintf(c, i), got, p)
			}
		}
	}
	_, held, err := r.lookup.Identifiers(pb)
	if err != nil || len(held) != 2*n+3 {
		t.Fatalf("absorbed profile %s resolves to %d identifiers (%v), want %d", pb, len(held), err, 2*n+3)
	}
	_, merges := drain[schemas.ProfileMerge](r.merges)
	found := false
	for _, m := range merges {
		if m.Absorbed == pb && m.Survivor == pa && len(m.Identifiers) >= n+1 {
			found = true
		}
	}
	if !found {
		t.Fatalf("no merge record of %s into %s: %+v", pb, pa, merges)
	}
}

func TestLimitRefusesSecondCustomerOnSharedTablet(t *testing.T) {
	r := newRig(t, nil)
	r.send("login", "customer:C1", "device:tablet")
	e2 := r.send("login", "customer:C2", "device:tablet")
	p1 := r.profileOf("customer:C1")
	if r.profileOf("device:tablet") != p1 {
		t.Fatal("the tablet left the profile it first belonged to")
	}
	p2 := r.profileOf("customer:C2")
	if p2 == p1 {
		t.Fatal("the second customer was linked to the tablet's profile")
	}
	_, audits := drain[schemas.IdentityAudit](r.audit)
	if len(audits) != 1 || audits[0].Kind != "customer" || audits[0].Reason != "kind_limit" || audits[0].EventID != e2 || audits[0].ProfileID != p1 || audits[0].Limit != 1 {
		t.Fatalf("audit %+v", audits)
	}
	// The second customer's own devices join its own profile.
	r.send("login", "customer:C2", "device:phone2")
	if r.profileOf("device:phone2") != p2 {
		t.Fatalf("second customer's phone in %s, want %s", r.profileOf("device:phone2"), p2)
	}
	// A later link of the two through the tablet is refused again, not merged.
	r.send("page_view", "device:phone2", "cookie:shared")
	r.send("page_view", "device:tablet", "cookie:shared")
	if r.profileOf("device:phone2") == r.profileOf("device:tablet") {
		t.Fatal("profiles of two customers merged")
	}
	_, audits = drain[schemas.IdentityAudit](r.audit)
	if len(audits) == 0 {
		t.Fatal("refused merge not audited")
	}
}

func TestDuplicateEventsResolvedOnce(t *testing.T) {
	r := newRig(t, nil)
	ev := schemas.Event{EventID: "e-dup", TS: r.base, Type: "login", IDs: ids(t, "customer:C1", "cookie:c1")}
	r.sendEvent(ev)
	r.sendEvent(ev) // same id, another offset: a redelivery
	single := schemas.Event{EventID: "e-one", TS: r.base, Type: "page_view", IDs: ids(t, "cookie:c1")}
	r.sendEvent(single)
	r.sendEvent(single)
	got := r.resolvedByEvent()
	if len(got["e-dup"]) != 1 || len(got["e-one"]) != 1 {
		t.Fatalf("resolved %v, want each event once", got)
	}
}

// gathers drains the loopback and counts the gathers it carried.
func (r *rig) gathers() int {
	r.t.Helper()
	n := 0
	for {
		_, v, ok := r.loop.Next()
		if !ok {
			return n
		}
		cmd, err := r.codecs.Command.DecodeTyped(v.([]byte))
		if err != nil {
			r.t.Fatal(err)
		}
		if cmd.Op == "gather" {
			n++
		}
	}
}

func TestCompanionsSkipTheGather(t *testing.T) {
	r := newRig(t, nil)
	// Events are routed through their strongest identifier, the e-mail.
	r.send("page_view", "email_sha256:e1", "device:d1")
	if n := r.gathers(); n != 1 {
		t.Fatalf("first event: %d gathers, want 1", n)
	}
	for range 3 {
		r.send("page_view", "email_sha256:e1", "device:d1")
	}
	if n := r.gathers(); n != 0 {
		t.Fatalf("events with known companions: %d gathers, want 0", n)
	}
	if n := testutil.ToFloat64(r.metrics.Shortcuts); n != 3 {
		t.Fatalf("%v events counted as resolved without a gather, want 3", n)
	}
	// A new identifier with the routing one gathers again, all of them.
	r.send("page_view", "email_sha256:e1", "device:d1", "cookie:c1")
	if n := r.gathers(); n != 2 {
		t.Fatalf("event with a new companion: %d gathers, want 2 (one per other identifier)", n)
	}
	r.send("page_view", "email_sha256:e1", "cookie:c1")
	if n := r.gathers(); n != 0 {
		t.Fatalf("event with a subset of the companions: %d gathers, want 0", n)
	}
	got := r.resolvedByEvent()
	p := r.profileOf("email_sha256:e1")
	for id, profiles := range got {
		if len(profiles) != 1 || profiles[0] != p {
			t.Fatalf("event %s resolved to %v, want once to %s", id, profiles, p)
		}
	}
	for _, id := range []string{"device:d1", "cookie:c1"} {
		if o := r.profileOf(id); o != p {
			t.Fatalf("%s in %q, want %s", id, o, p)
		}
	}

	// When the routing identifier changes owner (its profile merges into an
	// older one), what it knew of its companions is forgotten.
	r.base = r.base.Add(-time.Hour) // the next profile is older
	r.send("login", "customer:C1")
	r.base = r.base.Add(time.Hour)
	r.send("login", "customer:C1", "email_sha256:e1")
	survivor := r.profileOf("customer:C1")
	if r.profileOf("email_sha256:e1") != survivor || survivor == p {
		t.Fatalf("e-mail in %s, customer in %s, first profile %s: want the e-mail merged into the older customer", r.profileOf("email_sha256:e1"), survivor, p)
	}
	node := r.tt.TableValue(goka.GroupTable(group), "email_sha256:e1").(*schemas.IdentityNode)
	if len(node.Companions) != 0 {
		t.Fatalf("e-mail repointed to %s still lists companions %v", node.Owner, node.Companions)
	}
	r.gathers()
	r.send("page_view", "email_sha256:e1", "device:d1")
	if n := r.gathers(); n != 1 {
		t.Fatalf("after the owner changed: %d gathers, want 1", n)
	}
	got = r.resolvedByEvent()
	if len(got) != 3 {
		t.Fatalf("resolved %v, want 3 events", got)
	}
	for id, profiles := range got {
		if len(profiles) != 1 || profiles[0] != survivor {
			t.Fatalf("event %s resolved to %v, want once to the survivor %s", id, profiles, survivor)
		}
	}
}

func TestPlaceholdersLinkNothing(t *testing.T) {
	r := newRig(t, nil)
	r.send("login", "customer:anonymous", "cookie:c1")
	r.send("login", "customer:anonymous", "cookie:c2")
	r.send("page_view", "device:00000000", "cookie:c3")
	got := r.resolvedByEvent()
	if len(got) != 3 {
		t.Fatalf("resolved %v", got)
	}
	if r.profileOf("cookie:c1") == r.profileOf("cookie:c2") {
		t.Fatal("two people linked through a placeholder")
	}
	r.send("page_view", "device:undefined", "customer:null")
	keys, dls := drain[schemas.DeadLetter](r.dlq)
	if len(dls) != 1 || dls[0].Reason != "no_identifiers" {
		t.Fatalf("dead letters %v %+v", keys, dls)
	}
}

func TestErasure(t *testing.T) {
	r := newRig(t, nil)
	r.send("login", "customer:C1", "cookie:c1", "device:d1")
	r.send("page_view", "cookie:c9")
	p := r.profileOf("cookie:c1")
	e := r.send("erasure_request", "cookie:c1")
	for _, id := range []string{"cookie:c1", "customer:C1", "device:d1"} {
		if _, err := r.lookup.Profile(id); err == nil {
			t.Errorf("%s still resolves after erasure", id)
		}
	}
	if n, _ := r.tt.TableValue(goka.GroupTable(group), "profile:"+p).(*schemas.IdentityNode); n == nil || !n.Erased || len(n.Identifiers) != 0 || n.Owner != "" {
		t.Errorf("profile node after erasure %+v, want the erased marker alone", n)
	}
	// A link of an event routed to the profile before its identifiers
	// were forgotten, arriving now, claims nothing for it.
	b, err := r.codecs.Command.Encode(&schemas.IdentityCommand{Op: "link", Profile: p, Identifiers: []string{"cookie:c7"}, Owners: []string{""}, OwnersCreated: []int64{0}})
	if err != nil {
		t.Fatal(err)
	}
	r.tt.Consume(r.loopTopic, "profile:"+p, b)
	if n, _ := r.tt.TableValue(goka.GroupTable(group), "profile:"+p).(*schemas.IdentityNode); n == nil || !n.Erased || len(n.Identifiers) != 0 {
		t.Errorf("profile node after a late link %+v, want the erased marker alone", n)
	}
	if v := r.tt.TableValue(goka.GroupTable(group), "cookie:c7"); v != nil {
		t.Errorf("a late link claimed cookie:c7 for the erased profile: %+v", v)
	}
	if _, err := r.lookup.Profile("cookie:c9"); err != nil {
		t.Errorf("someone else's identifier was erased: %v", err)
	}
	_, confs := drain[schemas.ErasureConfirmation](r.erasures)
	if len(confs) != 1 || confs[0].ProfileID != p || confs[0].RequestedEventID != e || len(confs[0].Identifiers) != 3 {
		t.Fatalf("confirmations %+v", confs)
	}
	// The person seen again is a new profile.
	r.send("page_view", "cookie:c1")
	if np := r.profileOf("cookie:c1"); np == p {
		t.Fatal("erased profile id reused")
	}
}

// TestComponentsWhateverTheOrder builds random people, each with several
// identifiers linked by random events, and replays the same events in many
// orders: every order must put exactly each person's identifiers together.
func TestComponentsWhateverTheOrder(t *testing.T) {
	type ev struct{ pairs []string }
	rng := rand.New(rand.NewPCG(7, 7))
	var events []ev
	truth := map[string]int{}
	for person := range 25 {
		var idents []string
		for d := range 1 + rng.IntN(3) {
			idents = append(idents, fmt.Sprintf("device:d%d-%d", person, d))
		}
		for c := range 1 + rng.IntN(4) {
			idents = append(idents, fmt.Sprintf("cookie:c%d-%d", person, c))
		}
		if rng.IntN(2) == 0 {
			idents = append(idents, fmt.Sprintf("customer:C%d", person))
		}
		for _, id := range idents {
			truth[id] = person
		}
		// A spanning tree of links (an event carries one identifier of each
		// kind, so every link joins two kinds), plus random extra pairs and
		// single identifiers.
		connected := []string{idents[0]}
		for _, id := range idents[1:] {
			var peers []string
			for _, c := range connected {
				if kindOfPair(c) != kindOfPair(id) {
					peers = append(peers, c)
				}
			}
			if len(peers) == 0 {
				continue // a second device before any cookie: linked below
			}
			events = append(events, ev{[]string{peers[rng.IntN(len(peers))], id}})
			connected = append(connected, id)
		}
		for _, id := range idents {
			if slices.Contains(connected, id) {
				continue
			}
			for _, c := range connected {
				if kindOfPair(c) != kindOfPair(id) {
					events = append(events, ev{[]string{c, id}})
					break
				}
			}
			connected = append(connected, id)
		}
		for range 3 {
			events = append(events, ev{[]string{idents[rng.IntN(len(idents))]}})
			a, b := idents[rng.IntN(len(idents))], idents[rng.IntN(len(idents))]
			if a != b && kindOfPair(a) != kindOfPair(b) {
				events = append(events, ev{[]string{a, b}})
			}
		}
	}
	for round := range 6 {
		t.Run(fmt.Sprint("order", round), func(t *testing.T) {
			r := newRig(t, nil)
			order := slices.Clone(events)
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			for _, e := range order {
				r.send("identify", e.pairs...)
			}
			byProfile := map[string]map[int]bool{}
			byPerson := map[int]map[string]bool{}
			for id, person := range truth {
				p := r.profileOf(id)
				if byProfile[p] == nil {
					byProfile[p] = map[int]bool{}
				}
				byProfile[p][person] = true
				if byPerson[person] == nil {
					byPerson[person] = map[string]bool{}
				}
				byPerson[person][p] = true
			}
			for p, people := range byProfile {
				if len(people) != 1 {
					t.Errorf("profile %s mixes people %v", p, keysOf(people))
				}
			}
			for person, ps := range byPerson {
				if len(ps) != 1 {
					t.Errorf("person %d split over %d profiles", person, len(ps))
				}
			}
			// The lookup's view of each profile lists exactly its identifiers.
			for p := range byProfile {
				_, held, err := r.lookup.Identifiers(p)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range held {
					if got := r.profileOf(id); got != p {
						t.Errorf("profile %s lists %s, which resolves to %s", p, id, got)
					}
				}
			}
		})
	}
}

func kindOfPair(id string) string { k, _, _ := strings.Cut(id, ":"); return k }

func keysOf(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
