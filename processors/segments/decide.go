package segments

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// noCluster is the cluster of a profile not yet assigned to one.
const noCluster = -1

// placement is where a profile stands: its tier, lifecycle stage and
// cluster ("" and noCluster for none).
type placement struct {
	Tier, Lifecycle string
	Cluster         int
	ModelVersion    int64
}

// cause is what made the processor look at a profile again.
type cause struct {
	eventID string    // the event whose feature change it was; "" for a sweep or a model update
	ts      time.Time // event time of the change
	version int64     // the features version evaluated (a session closing changes the features, not the last event)
}

// place evaluates the tier and lifecycle rules on env from cur, and
// returns the new placement and one SegmentChange per kind that moved.
func (c *compiled) place(env *Env, cur placement, why cause) (placement, []schemas.SegmentChange, error) {
	next := cur
	var out []schemas.SegmentChange
	t, err := c.tier(env, cur.Tier)
	if err != nil {
		return cur, nil, err
	}
	if t.to != cur.Tier {
		out = append(out, change(env.ProfileID, KindTier, cur.Tier, t, why))
		next.Tier = t.to
	}
	l, err := c.lifecycle(env)
	if err != nil {
		return cur, nil, err
	}
	if l.to != cur.Lifecycle {
		out = append(out, change(env.ProfileID, KindLifecycle, cur.Lifecycle, l, why))
		next.Lifecycle = l.to
	}
	return next, out, nil
}

// clusterOf assigns x to a cluster of m, staying in the current one unless
// another centre is closer by the margin: its distance is below (1 -
// margin) times the distance to the current centre. A profile changes
// cluster on a real move, not on noise around the boundary.
func clusterOf(m *Model, x []float64, current int, margin float64) int {
	best, d := m.Nearest(x)
	if best < 0 || current < 0 || current >= len(m.Centers) || best == current {
		return best
	}
	if dCur := sqDist(m.Centers[current], x); d >= (1-margin)*(1-margin)*dCur {
		return current
	}
	return best
}

// clusterChange is the SegmentChange of a profile moving from cluster
// from to cluster to under model version.
func clusterChange(profile string, from, to int, version int64, distance float64, why cause) schemas.SegmentChange {
	v := verdict{to: label(to), reason: "nearest centre", values: map[string]float64{"distance": distance}}
	if to == noCluster {
		v.reason = "left every cluster"
		v.values = map[string]float64{}
	}
	c := change(profile, KindCluster, label(from), v, why)
	c.ModelVersion = version
	return c
}

// removal returns the changes of a profile leaving every segment it is in
// (its features were tombstoned: merged into another profile or erased).
func removal(profile string, cur placement, reason string, ts time.Time) []schemas.SegmentChange {
	var out []schemas.SegmentChange
	why := cause{ts: ts}
	for _, k := range []struct{ kind, from string }{{KindTier, cur.Tier}, {KindLifecycle, cur.Lifecycle}, {KindCluster, label(cur.Cluster)}} {
		if k.from != "" {
			out = append(out, change(profile, k.kind, k.from, verdict{reason: reason, values: map[string]float64{}}, why))
		}
	}
	return out
}

// change builds a SegmentChange with its deterministic id: a replay of
// the same cause (event, time and features version) yields the same change
// id, so that connectors recognise the redelivery.
func change(profile, kind, from string, v verdict, why cause) schemas.SegmentChange {
	h := sha256.New()
	for _, s := range []string{profile, kind, from, v.to, why.eventID, strconv.FormatInt(why.ts.UnixMilli(), 10), strconv.FormatInt(why.version, 10)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return schemas.SegmentChange{
		ChangeID: "sc-" + hex.EncodeToString(h.Sum(nil)[:12]), ProfileID: profile, Kind: kind, From: from, To: v.to,
		Reason: v.reason, Rule: v.rule, Values: v.values, CauseEventID: why.eventID, TS: why.ts.UTC(),
	}
}

// label is a cluster's name in a SegmentChange: its decimal label, ""
// for none.
func label(c int) string {
	if c < 0 {
		return ""
	}
	return strconv.Itoa(c)
}
