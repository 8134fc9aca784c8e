package features

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/activa-dev/activa/loadtest/score"
	"github.com/activa-dev/activa/schemas"
)

func batchRules(r Rules) score.FeatureRules {
	return score.FeatureRules{HalfLife: r.HalfLife, TopK: r.TopK, Weight: r.Weight, MaxDevices: r.MaxDevices}
}

// randomHistory is a person's events over about 200 days (so that orders
// leave the windows) and closed sessions.
func randomHistory(rng *rand.Rand, n int) ([]schemas.Event, []schemas.SessionSummary) {
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	types := []string{"page_view", "product_view", "add_to_cart", "purchase", "store_purchase", "consent", "form_start", "video_play"}
	channels := []string{"web", "app", "store", "", "kiosk"}
	cats := []string{"", "shoes", "books", "garden", "toys", "food"}
	var evs []schemas.Event
	for i := range n {
		e := schemas.Event{
			EventID: fmt.Sprintf("e-%05d", i), TS: base.Add(time.Duration(rng.Int64N(int64(200 * day)))).Truncate(time.Millisecond),
			Type: types[rng.IntN(len(types))], Channel: channels[rng.IntN(len(channels))], Category: cats[rng.IntN(len(cats))],
			Value: float64(rng.IntN(20000))/100 + 0.9,
		}
		if rng.IntN(3) == 0 {
			e.IDs.Device = "d-" + strconv.Itoa(rng.IntN(5))
		}
		e.Props = map[string]string{}
		if rng.IntN(2) == 0 {
			e.Props["dwell_ms"] = strconv.Itoa(rng.IntN(60000))
		} else if rng.IntN(4) == 0 {
			e.Props["dwell_ms"] = "lots"
		}
		if e.Type == "consent" {
			e.Props["purpose"] = []string{"email", "sms", "ads", "telepathy"}[rng.IntN(4)]
			e.Props["granted"] = strconv.FormatBool(rng.IntN(2) == 0)
		}
		evs = append(evs, e)
	}
	var ss []schemas.SessionSummary
	for i := range n / 5 {
		ss = append(ss, schemas.SessionSummary{
			SessionID: fmt.Sprintf("s-%04d", i), DurationMS: rng.Int64N(3_600_000),
			CountsByType:  map[string]int64{"add_to_cart": rng.Int64N(2), "form_start": rng.Int64N(2)},
			CartAbandoned: rng.IntN(2) == 0, FormAbandoned: rng.IntN(3) == 0, MaxScrollPct: int32(rng.IntN(3) * 40),
		})
	}
	return evs, ss
}

// TestFoldMatchesBatch: a person's events and sessions, applied in random
// order to random pieces (profiles) that then merge in random order, with
// random inputs delivered twice, give the features of a batch
// recomputation over the whole history.
func TestFoldMatchesBatch(t *testing.T) {
	r := DefaultRules()
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		evs, ss := randomHistory(rng, 20+rng.IntN(300))
		want := score.BatchFeatures(batchRules(r), "p", evs, ss)
		pieces := make([]*schemas.FeatureState, 1+rng.IntN(4))
		for i := range pieces {
			pieces[i] = &schemas.FeatureState{}
		}
		type input struct {
			ev *schemas.Event
			s  *schemas.SessionSummary
		}
		var ins []input
		for i := range evs {
			ins = append(ins, input{ev: &evs[i]})
		}
		for i := range ss {
			ins = append(ins, input{s: &ss[i]})
		}
		rng.Shuffle(len(ins), func(i, j int) { ins[i], ins[j] = ins[j], ins[i] })
		for _, in := range ins {
			st := pieces[rng.IntN(len(pieces))]
			for range 1 + rng.IntN(2) { // sometimes twice
				if in.ev != nil {
					r.addEvent(st, in.ev)
				} else {
					r.addSession(st, in.s)
				}
			}
		}
		for len(pieces) > 1 {
			i := rng.IntN(len(pieces) - 1)
			r.fold(pieces[len(pieces)-1], pieces[i])
			pieces = append(pieces[:i], pieces[i+1:]...)
		}
		got := r.publish("p", pieces[0], time.Now())
		if d := score.DiffFeatures(*got, want); len(d) > 0 {
			t.Fatalf("seed %d (%d events, %d sessions): %v", seed, len(evs), len(ss), d)
		}
		if len(pieces[0].Days) > Window90 {
			t.Fatalf("seed %d: %d day buckets", seed, len(pieces[0].Days))
		}
	}
}
