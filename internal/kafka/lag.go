package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Lag returns, per group and topic, the records not yet committed by the
// group (the sum over partitions of end offset minus committed offset).
func Lag(ctx context.Context, cl *kgo.Client, groups ...string) (map[string]map[string]int64, error) {
	// kadm reorders the slice it is given in place: it gets a copy, so
	// that callers may share theirs.
	lags, err := kadm.NewClient(cl).Lag(ctx, slices.Clone(groups)...)
	if err != nil {
		return nil, fmt.Errorf("measuring lag of %v: %w", groups, err)
	}
	out := map[string]map[string]int64{}
	for _, g := range lags.Sorted() {
		if err := g.Error(); err != nil {
			return nil, fmt.Errorf("measuring lag of group %s: %w", g.Group, err)
		}
		out[g.Group] = map[string]int64{}
		for t, tl := range g.Lag.TotalByTopic() {
			out[g.Group][t] = tl.Lag
		}
	}
	return out, nil
}

// LagGauge is activa_consumer_lag{group,topic}, kept current by SampleLag.
type LagGauge struct {
	g *prometheus.GaugeVec
}

// NewLagGauge registers the lag gauge with reg (nil: unregistered).
func NewLagGauge(reg prometheus.Registerer) *LagGauge {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "activa_consumer_lag",
		Help: "Records not yet committed by a consumer group, by group and topic.",
	}, []string{"group", "topic"})
	if reg != nil {
		reg.MustRegister(g)
	}
	return &LagGauge{g: g}
}

// SampleLag measures the groups' lag every interval until ctx ends and
// keeps the gauge current. Errors are passed to onErr and sampling goes on.
func (l *LagGauge) SampleLag(ctx context.Context, cl *kgo.Client, groups []string, every time.Duration, onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		lags, err := Lag(ctx, cl, groups...)
		if err != nil && ctx.Err() == nil {
			onErr(err)
		}
		for g, ts := range lags {
			for topic, n := range ts {
				l.g.WithLabelValues(g, topic).Set(float64(n))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// WaitCaughtUp waits until every group has committed everything of its
// inputs, loopbacks included, on two samples in a row taken every interval:
// the groups are quiet. It gives up when ctx ends.
func WaitCaughtUp(ctx context.Context, cl *kgo.Client, groups []string, every time.Duration) error {
	quiet := 0
	var last map[string]map[string]int64
	var lastErr error
	for {
		lags, err := Lag(ctx, cl, groups...)
		lastErr = err
		caught := err == nil
		for _, g := range groups {
			ts, ok := lags[g]
			if !ok || len(ts) == 0 {
				caught = false
			}
			for _, n := range ts {
				if n != 0 {
					caught = false
				}
			}
		}
		if err == nil {
			last = lags
		}
		if caught {
			quiet++
		} else {
			quiet = 0
		}
		if quiet >= 2 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %v to catch up (last lag %v): %w", groups, last, errors.Join(ctx.Err(), lastErr))
		case <-time.After(every):
		}
	}
}
