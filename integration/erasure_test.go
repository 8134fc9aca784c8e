//go:build integration

package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activa-dev/activa/internal/kafka"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// erasureStages are the stages that confirm every erasure.
var erasureStages = []string{"identity", "sessions", "features", "triggers", "kpi", "segments", "connectors"}

// erasures are the erasure requests of a run: the profile each was
// resolved to, when, and each stage's confirmation of it.
type erasures struct {
	profile   map[string]string    // by request event id
	requested map[string]time.Time // resolved, by profile
	confirmed map[string]map[string]*schemas.ErasureConfirmation
}

// profiles returns the erased profiles, sorted.
func (e *erasures) profiles() []string {
	var out []string
	for _, p := range e.profile {
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// missing returns, for each erased profile, the stages that have not
// confirmed.
func (e *erasures) missing() map[string][]string {
	out := map[string][]string{}
	for _, p := range e.profiles() {
		for _, s := range erasureStages {
			if e.confirmed[p][s] == nil {
				out[p] = append(out[p], s)
			}
		}
	}
	return out
}

// waitErasures reads the erasure requests on events.resolved and the
// confirmations on privacy.erasures until every stage has confirmed every
// request, or the time is up.
func waitErasures(t *testing.T, kc *kafka.Config, codecs *topology.Codecs, cat topology.Catalog, timeout time.Duration) *erasures {
	t.Helper()
	e := &erasures{profile: map[string]string{}, requested: map[string]time.Time{}}
	consume(t, kc, codecs, cat, topology.EventsResolved, func(_ string, ev *schemas.ResolvedEvent) {
		if ev.Event.Type == "erasure_request" {
			e.profile[ev.Event.EventID] = ev.ProfileID
			e.requested[ev.ProfileID] = ev.ResolvedTS
		}
	})
	deadline := time.Now().Add(timeout)
	for {
		e.confirmed = map[string]map[string]*schemas.ErasureConfirmation{}
		consume(t, kc, codecs, cat, topology.Erasures, func(key string, c *schemas.ErasureConfirmation) {
			if key != c.ProfileID {
				t.Errorf("confirmation of %s keyed %s", c.ProfileID, key)
			}
			if e.confirmed[c.ProfileID] == nil {
				e.confirmed[c.ProfileID] = map[string]*schemas.ErasureConfirmation{}
			}
			if prev := e.confirmed[c.ProfileID][c.Stage]; prev == nil || c.TS.Before(prev.TS) {
				e.confirmed[c.ProfileID][c.Stage] = c
			}
		})
		if len(e.missing()) == 0 || time.Now().After(deadline) {
			return e
		}
		time.Sleep(time.Second)
	}
}

// checkErasure checks that every erasure request was confirmed by every
// stage, that the latest value of every table and view names no erased
// profile (but for the data-free marker that keeps out what arrives late),
// that the audience table has no row of them and suppresses them, and
// that no delivery after the erasure names them.
func checkErasure(t *testing.T, kc *kafka.Config, codecs *topology.Codecs, cat topology.Catalog, e *erasures, dsn, table string) {
	t.Helper()
	ps := e.profiles()
	if len(ps) == 0 {
		t.Fatal("no erasure request in the run")
	}
	for p, stages := range e.missing() {
		t.Errorf("erasure of %s: no confirmation from %v", p, stages)
	}
	var slowest time.Duration
	for _, p := range ps {
		for _, c := range e.confirmed[p] {
			slowest = max(slowest, c.TS.Sub(e.requested[p]))
		}
		if id := e.confirmed[p]["identity"]; id != nil && e.profile[id.RequestedEventID] != p {
			t.Errorf("identity confirmed the erasure of %s for request %q, resolved to %q", p, id.RequestedEventID, e.profile[id.RequestedEventID])
		}
	}
	left := tableResidue(t, kc, codecs, cat, ps, true)
	for _, l := range left {
		t.Errorf("after the erasures: %s", l)
	}

	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, suppressed := 0, 0
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()+` WHERE profile_id = ANY($1)`, ps).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM `+pgx.Identifier{table + "_erased"}.Sanitize()+` WHERE profile_id = ANY($1)`, ps).Scan(&suppressed); err != nil {
		t.Fatal(err)
	}
	if rows != 0 || suppressed != len(ps) {
		t.Errorf("audience table: %d rows of erased profiles (want 0), %d of %d on the suppression list", rows, suppressed, len(ps))
	}

	before, after, erasedLog := 0, 0, 0
	consume(t, kc, codecs, cat, topology.Deliveries, func(_ string, d *schemas.Delivery) {
		if d.Reason == "erased" {
			erasedLog++
		}
		c := e.confirmed[d.ProfileID]["connectors"]
		switch {
		case c == nil:
		case d.TS.After(c.TS):
			after++
			t.Errorf("delivery %s to %s at %s names %s, erased at %s", d.DeliveryID, d.Destination, d.TS, d.ProfileID, c.TS)
		default:
			before++
		}
	})
	t.Logf("erasure on Apache Kafka: %d requests, every one confirmed by %d stages within %v of its resolution; %d table entries left naming them; audience: %d rows, %d suppressed; deliveries naming them: %d before, %d after the erasure (%d suppressed as erased)",
		len(ps), len(erasureStages), slowest.Round(time.Millisecond), len(left), rows, suppressed, before, after, erasedLog)
}

// tableResidue reads the compacted topics that hold a person's state and
// returns what still names one of the erased profiles: with latest, in the
// latest value of each key (what a view or a restored table holds); else
// in any record still in the log (what compaction has not removed yet). A
// profile's erased marker, which holds nothing about the person, is not
// residue.
func tableResidue(t *testing.T, kc *kafka.Config, codecs *topology.Codecs, cat topology.Catalog, erased []string, latest bool) []string {
	t.Helper()
	is := map[string]bool{}
	for _, p := range erased {
		is[p] = true
	}
	var out []string
	check := func(topic string, decode func(rec *kgo.Record) string) {
		recs := readLog(t, kc, cat.Name(topic))
		if latest {
			last := map[string]*kgo.Record{}
			for _, r := range recs {
				last[string(r.Key)] = r
			}
			recs = recs[:0]
			for _, r := range last {
				recs = append(recs, r)
			}
		}
		for _, r := range recs {
			if what := decode(r); what != "" {
				out = append(out, fmt.Sprintf("%s key %s offset %d: %s", topic, r.Key, r.Offset, what))
			}
		}
	}
	typed := func(topic string) func(b []byte) any {
		c := codecs.Codec(topic)
		return func(b []byte) any {
			v, err := c.Decode(b)
			if err != nil {
				t.Fatalf("%s: %v", topic, err)
			}
			return v
		}
	}
	dec := typed(topology.IdentityTable)
	check(topology.IdentityTable, func(r *kgo.Record) string {
		k := string(r.Key)
		if r.Value == nil {
			return ""
		}
		n := dec(r.Value).(*schemas.IdentityNode)
		switch {
		case strings.HasPrefix(k, "profile:") && is[strings.TrimPrefix(k, "profile:")]:
			if n.Erased && len(n.Identifiers) == 0 && n.MergedInto == "" && len(n.KindCounts) == 0 {
				return "" // the marker
			}
			return "the profile's node"
		case is[n.Owner]:
			return "an identifier owned by " + n.Owner
		}
		return ""
	})
	profileKeyed := []struct {
		topic  string
		marker func(v any) bool
	}{
		{topology.SessionsTable, func(v any) bool {
			s := v.(*schemas.SessionState)
			return s.Erased && len(s.Open) == 0 && len(s.Closed) == 0 && s.MaxTS.IsZero()
		}},
		{topology.FeaturesTable, func(v any) bool {
			s := v.(*schemas.FeatureState)
			return s.Erased && s.Events == 0 && s.Sessions == 0 && len(s.Consent) == 0 && len(s.Devices) == 0 && len(s.Days) == 0
		}},
		{topology.ProfileFeatures, func(any) bool { return false }},
		{topology.SegmentsTable, func(v any) bool {
			s := v.(*schemas.SegmentState)
			return s.Erased && s.Tier == "" && s.Lifecycle == "" && s.Cluster == "" && len(s.Features) == 0
		}},
		{topology.TriggersTable, func(v any) bool {
			s := v.(*schemas.TriggerState)
			return s.Erased && len(s.Pending) == 0 && len(s.Forms) == 0 && len(s.Fired) == 0 && len(s.Purchases) == 0
		}},
		{topology.KpiTable, func(any) bool { return false }},
	}
	for _, pk := range profileKeyed {
		dec := typed(pk.topic)
		check(pk.topic, func(r *kgo.Record) string {
			if r.Value == nil {
				return ""
			}
			k := string(r.Key)
			if pk.topic == topology.TriggersTable && strings.HasPrefix(k, "device:") {
				if s := dec(r.Value).(*schemas.TriggerState); is[s.CartOf] {
					return "a device naming " + s.CartOf
				}
				return ""
			}
			if !is[k] || pk.marker(dec(r.Value)) {
				return ""
			}
			return "the profile's state"
		})
	}
	slices.Sort(out)
	return out
}

// readLog reads every record still in topic, from its start to its end
// at the time of the call.
func readLog(t *testing.T, kc *kafka.Config, topic string) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	probe, err := kc.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	ends, err := kadm.NewClient(probe).ListEndOffsets(ctx, topic)
	probe.Close()
	if err != nil {
		t.Fatal(err)
	}
	from, until := map[int32]kgo.Offset{}, map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			from[o.Partition], until[o.Partition] = kgo.NewOffset().AtStart(), o.Offset
		}
	})
	if len(from) == 0 {
		return nil
	}
	cl, err := kc.NewClient(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: from}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for len(until) > 0 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("reading %s: %v", topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := until[r.Partition]; ok {
				if r.Offset < end {
					out = append(out, r)
				}
				if r.Offset+1 >= end {
					delete(until, r.Partition)
				}
			}
		})
	}
	return out
}

// checkCompaction waits for the compaction lag to pass since the last
// confirmation, replays more events (a segment rolls on an append once
// its first record is older than the lag), and then reads the logs of the
// compacted topics until nothing about the erased profiles is left in
// them but their markers, or the time is up.
func checkCompaction(t *testing.T, kc *kafka.Config, codecs *topology.Codecs, cat topology.Catalog, e *erasures, lag time.Duration, more func()) {
	t.Helper()
	var last time.Time
	for _, cs := range e.confirmed {
		for _, c := range cs {
			if c.TS.After(last) {
				last = c.TS
			}
		}
	}
	if before := tableResidue(t, kc, codecs, cat, e.profiles(), false); len(before) == 0 {
		t.Error("nothing of the erased profiles in the logs before compaction: nothing to measure")
	}
	time.Sleep(time.Until(last.Add(lag)))
	more()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		left := tableResidue(t, kc, codecs, cat, e.profiles(), false)
		if len(left) == 0 {
			t.Logf("compaction on Apache Kafka: nothing of the %d erased profiles left in the logs of the compacted topics %v after the last confirmation (compaction lag %v)",
				len(e.profiles()), time.Since(last).Round(time.Second), lag)
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("compaction: %d records still name erased profiles %v after the last confirmation (lag %v), first %v",
				len(left), time.Since(last).Round(time.Second), lag, left[:min(3, len(left))])
			return
		}
		time.Sleep(5 * time.Second)
	}
}
