package segments

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/lovoo/goka"

	"github.com/activa-dev/activa/schemas"
)

// assigner places profiles in clusters with the current model and sends
// their points to the model group in batches. One per processor, shared
// by the callbacks of its partitions.
type assigner struct {
	cfg   Clustering
	space *space
	table goka.Table
	codec *schemas.Codec[schemas.SegmentModel]
	out   goka.Stream

	mu      sync.Mutex
	version int64 // of the decoded model below; 0 for none
	model   *Model
	scaler  *Scaler
	batches map[int32]*schemas.SegmentPoints // by partition: points and moves not sent yet
}

// current returns the model published on segment.model, decoded once per
// version; nil before the model is seeded.
func (a *assigner) current(ctx goka.Context) (*Model, *Scaler, int64, error) {
	raw, _ := ctx.Lookup(a.table, a.cfg.Model).([]byte)
	if len(raw) == 0 {
		return nil, nil, 0, nil
	}
	v, err := modelVersion(raw)
	if err != nil {
		return nil, nil, 0, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if v == a.version {
		return a.model, a.scaler, v, nil
	}
	st, err := a.codec.DecodeTyped(raw)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("decoding model %s version %d: %w", a.cfg.Model, v, err)
	}
	a.version, a.model, a.scaler = v, nil, nil
	if len(st.Centroids) > 0 && slices.Equal(st.Dims, a.space.names()) {
		m := &Model{}
		for _, c := range st.Centroids {
			m.Centers = append(m.Centers, c.Center)
			m.Weights = append(m.Weights, c.Weight)
		}
		a.model, a.scaler = m, &Scaler{Means: st.Means, Variances: st.Variances, N: st.Observed}
	}
	return a.model, a.scaler, v, nil
}

// modelVersion reads the version of a SegmentModel in the wire format
// without decoding the rest: the magic byte and schema id, the model name
// (a length and its bytes), then the version (Avro zig-zag varints).
func modelVersion(raw []byte) (int64, error) {
	if len(raw) < 5 || raw[0] != 0 {
		return 0, errors.New("segment model: not in the wire format")
	}
	b := raw[5:]
	n, k := binary.Varint(b)
	if k <= 0 || n < 0 || int(n) > len(b)-k {
		return 0, errors.New("segment model: bad model name")
	}
	b = b[k+int(n):]
	v, k := binary.Varint(b)
	if k <= 0 {
		return 0, errors.New("segment model: bad version")
	}
	return v, nil
}

// assign places the profile of env in a cluster, from the one pl holds,
// and, when learn, queues its point for the model. It returns the new
// placement and the cluster change, if any. A profile without a closed
// session or an order is neither placed nor sent (described).
func (a *assigner) assign(ctx goka.Context, env *Env, pl placement, why cause, learn bool) (placement, []schemas.SegmentChange, error) {
	if !described(env) {
		return pl, nil, nil
	}
	x := a.space.point(env)
	model, scaler, version, err := a.current(ctx)
	if err != nil {
		return pl, nil, err
	}
	var out []schemas.SegmentChange
	if model != nil {
		to, dist, err := cluster(model, scaler, x, pl.Cluster, a.cfg.Margin)
		if err != nil {
			return pl, nil, err
		}
		if to != pl.Cluster {
			out = append(out, clusterChange(env.ProfileID, pl.Cluster, to, version, dist, why))
			a.move(ctx, pl.Cluster, to)
			pl.Cluster = to
		}
		pl.ModelVersion = version
	}
	if learn {
		a.queue(ctx, x)
	}
	return pl, out, nil
}

// described reports whether the features of env describe how the profile
// behaves: it closed a session or ordered. Before that its means are the
// zeros every new profile passes through while its first session is open,
// and clustering those would spend centres on the first minutes of each
// profile and move every one of them out again when its session closes.
func described(env *Env) bool { return env.Sessions > 0 || env.Orders > 0 }

// cluster standardizes the point x with scaler and returns its cluster in
// model from current (clusterOf) with the squared distance to that
// cluster's centre.
func cluster(model *Model, scaler *Scaler, x []float64, current int, margin float64) (int, float64, error) {
	std, err := scaler.Standardize(x)
	if err != nil {
		return current, 0, err
	}
	to := clusterOf(model, std, current, margin)
	if to < 0 {
		return to, 0, nil
	}
	return to, sqDist(model.Centers[to], std), nil
}

// move counts a profile leaving cluster from and joining cluster to
// (noCluster for none) in the partition's next batch.
func (a *assigner) move(ctx goka.Context, from, to int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.batch(ctx.Partition())
	if from >= 0 {
		b.Moves[label(from)]--
	}
	if to >= 0 {
		b.Moves[label(to)]++
	}
}

// queue adds a point to the partition's batch and sends the batch once it
// is full.
func (a *assigner) queue(ctx goka.Context, x []float64) {
	a.mu.Lock()
	b := a.batch(ctx.Partition())
	b.Points = append(b.Points, x)
	full := len(b.Points) >= a.cfg.Batch
	a.mu.Unlock()
	if full {
		a.flush(ctx)
	}
}

// flush sends what the partition's batch holds.
func (a *assigner) flush(ctx goka.Context) {
	a.mu.Lock()
	b := a.batches[ctx.Partition()]
	if b == nil || len(b.Points) == 0 && len(b.Moves) == 0 {
		a.mu.Unlock()
		return
	}
	delete(a.batches, ctx.Partition())
	a.mu.Unlock()
	ctx.Emit(a.out, a.cfg.Model, b)
}

// batch returns the partition's batch; a.mu is held.
func (a *assigner) batch(part int32) *schemas.SegmentPoints {
	if a.batches[part] == nil {
		a.batches[part] = &schemas.SegmentPoints{Model: a.cfg.Model, Moves: map[string]int64{}}
	}
	return a.batches[part]
}
