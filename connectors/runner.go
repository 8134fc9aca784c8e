package connectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/activa-dev/activa/schemas"
)

// Config configures a Runner.
type Config struct {
	// Group is the consumer group. Required.
	Group string
	// Client holds the client options that reach the cluster (seeds,
	// TLS, SASL); the runner adds the group's.
	Client []kgo.Opt
	// Sources decode each source topic, by its full name. Required.
	Sources map[string]Source
	// Routes send source records to destinations. Required.
	Routes []Route
	// Sinks are the destinations, by name. Required.
	Sinks map[string]Sink
	// Policies are the destinations' caps and quiet hours, by name.
	Policies map[string]Policy
	// People tells who a profile is when a message is about to go: its
	// consent, for routes with a purpose, and its time zone, for quiet
	// hours. Required when a route has a purpose.
	People People
	// Retry is the retry policy after a transient failure.
	Retry Retry
	// MaxInFlight bounds the source records under way at once (fetching
	// pauses beyond it); default 1000.
	MaxInFlight int
	// CommitEvery is the period of offset commits; default 1 second.
	CommitEvery time.Duration
	// Deliveries and Deadletter are the topics of the delivery log and of
	// dead letters. Required.
	Deliveries, Deadletter string
	// Erasures is privacy.erasures: the runner reads every stage's
	// confirmations (from then on nothing is sent about the person, and
	// each [Eraser] destination forgets them) and writes its own.
	// Required, with ErasureCodec.
	Erasures     string
	ErasureCodec *schemas.Codec[schemas.ErasureConfirmation]
	// DeliveryCodec and DeadletterCodec encode them. Required.
	DeliveryCodec   *schemas.Codec[schemas.Delivery]
	DeadletterCodec *schemas.Codec[schemas.DeadLetter]
	// Metrics count outcomes; nil counts nothing.
	Metrics *Metrics
	// Log receives what the runner does; default slog.Default().
	Log *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Validate reports a configuration the runner cannot run with.
func (c Config) Validate() error {
	var errs []error
	if c.Group == "" || len(c.Sources) == 0 || len(c.Routes) == 0 || len(c.Sinks) == 0 {
		errs = append(errs, errors.New("connect: a group, sources, routes and sinks are required"))
	}
	if c.Deliveries == "" || c.Deadletter == "" || c.DeliveryCodec == nil || c.DeadletterCodec == nil {
		errs = append(errs, errors.New("connect: the deliveries and dead-letter topics and their codecs are required"))
	}
	if c.Erasures == "" || c.ErasureCodec == nil {
		errs = append(errs, errors.New("connect: the erasures topic and its codec are required"))
	}
	for _, r := range c.Routes {
		if r.Purpose != "" && !slices.Contains(Purposes, r.Purpose) {
			errs = append(errs, fmt.Errorf("connect: route %q sends under purpose %q, not one of %v", r.Name, r.Purpose, Purposes))
		}
		if r.Purpose != "" && c.People == nil {
			errs = append(errs, fmt.Errorf("connect: route %q sends under purpose %q, and nothing tells the consent of people", r.Name, r.Purpose))
		}
		if _, ok := c.Sources[r.Topic]; !ok {
			errs = append(errs, fmt.Errorf("connect: route %q reads %q, which is not a source", r.Name, r.Topic))
		}
		if _, ok := c.Sinks[r.Destination]; !ok {
			errs = append(errs, fmt.Errorf("connect: route %q sends to %q, which is not a destination", r.Name, r.Destination))
		}
	}
	for name, p := range c.Policies {
		if p.Cap < 0 || (p.Cap > 0 && p.CapPer <= 0) {
			errs = append(errs, fmt.Errorf("connect: destination %q: a cap of %d per %v", name, p.Cap, p.CapPer))
		}
		if p.Quiet != nil {
			if err := p.Quiet.Validate(); err != nil {
				errs = append(errs, fmt.Errorf("connect: destination %q: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Metrics count what the runner does.
type Metrics struct {
	// Deliveries counts final outcomes by destination and status.
	Deliveries *prometheus.CounterVec
	// Attempts counts calls of a sink by destination.
	Attempts *prometheus.CounterVec
	// Erased counts people erased from the destinations and confirmed.
	Erased prometheus.Counter
}

// NewMetrics registers the connector metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "activa_connect_deliveries_total", Help: "Final delivery outcomes, by destination and status."}, []string{"destination", "status"}),
		Attempts:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "activa_connect_attempts_total", Help: "Delivery attempts, by destination."}, []string{"destination"}),
		Erased:     prometheus.NewCounter(prometheus.CounterOpts{Name: "activa_connect_erased_total", Help: "People erased from the destinations that keep people, and confirmed."}),
	}
	if reg != nil {
		reg.MustRegister(m.Deliveries, m.Attempts, m.Erased)
	}
	return m
}

// Runner consumes the source topics with a consumer group and delivers
// each record to the destinations of the routes it passes. The messages of
// one key (a person, a KPI series) to one destination go in the order of
// their partition, each once the one before is final; every other key and
// destination goes on meanwhile (one slow destination or one person's
// retries hold back no one else). A record's offset is committed only once every
// delivery of it, and of every record before it in its partition, is
// final: delivered, or dead-lettered after a permanent failure or the
// retry budget. Every final outcome goes to the delivery log; a
// dead-lettered one to the dead-letter topic too. A delivery interrupted
// by a stop or a rebalance is not final: the record is read again, and
// delivered again under the same idempotency key.
type Runner struct {
	cfg      Config
	routes   []route
	offsets  *offsets
	caps     *caps
	erasures *erasures

	cl *kgo.Client
	// commitMu orders commits; committed is what they committed, by
	// partition.
	commitMu  sync.Mutex
	committed map[partition]int64

	mu    sync.Mutex
	parts map[partition]*lane // the partitions owned, each with its deliveries

	// chains holds, by key and destination, the turn of the last message
	// under way.
	chainMu sync.Mutex
	chains  map[chainKey]chan struct{}
}

// lane is an owned partition: the context of its deliveries and their
// count.
type lane struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New checks cfg and compiles its routes.
func New(cfg Config) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = 1000
	}
	if cfg.CommitEvery == 0 {
		cfg.CommitEvery = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Runner{cfg: cfg, offsets: newOffsets(), caps: newCaps(), erasures: newErasures(), parts: map[partition]*lane{}, committed: map[partition]int64{}, chains: map[chainKey]chan struct{}{}}
	for _, rt := range cfg.Routes {
		c, err := compileRoute(rt)
		if err != nil {
			return nil, err
		}
		r.routes = append(r.routes, c)
	}
	return r, nil
}

// Run consumes until ctx ends, then waits for the deliveries under way to
// stop, commits what is final and returns.
func (r *Runner) Run(ctx context.Context) error {
	var topics []string
	for t := range r.cfg.Sources {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	opts := append(slices.Clone(r.cfg.Client),
		kgo.ConsumerGroup(r.cfg.Group), kgo.ConsumeTopics(topics...), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, m map[string][]int32) { r.release(ctx, cl, m, true) }),
		kgo.OnPartitionsLost(func(ctx context.Context, cl *kgo.Client, m map[string][]int32) { r.release(ctx, cl, m, false) }),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("connect: creating the client of group %s: %w", r.cfg.Group, err)
	}
	defer cl.Close()
	r.cl = cl
	next, err := r.restoreErasures(ctx, cl)
	if err != nil {
		return err
	}
	if err := r.restoreCaps(ctx, cl); err != nil {
		return err
	}
	following := make(chan struct{})
	go func() {
		defer close(following)
		r.followErasures(ctx, next)
	}()
	slots := make(chan struct{}, r.cfg.MaxInFlight)
	// Offsets are committed on a period of their own: a poll waits for
	// new records, and the deliveries of the last ones end after it.
	committing := make(chan struct{})
	go func() {
		defer close(committing)
		tick := time.NewTicker(r.cfg.CommitEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				r.commit(ctx, cl, nil)
			}
		}
	}()
	for ctx.Err() == nil {
		fetches := cl.PollRecords(ctx, r.cfg.MaxInFlight)
		if fetches.IsClientClosed() {
			break
		}
		fetches.EachError(func(topic string, part int32, err error) {
			if ctx.Err() == nil {
				r.cfg.Log.Warn("fetch failed", "topic", topic, "partition", part, "err", err)
			}
		})
		fetches.EachRecord(func(rec *kgo.Record) {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			r.handle(rec, func() { <-slots })
		})
	}
	<-committing
	<-following
	// Stop every delivery under way (not final: read again after a
	// restart), then commit what is.
	r.mu.Lock()
	lanes := make([]*lane, 0, len(r.parts))
	for _, l := range r.parts {
		l.cancel()
		lanes = append(lanes, l)
	}
	r.mu.Unlock()
	for _, l := range lanes {
		l.wg.Wait()
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	r.commit(cctx, cl, nil)
	return nil
}

// laneOf returns the lane of a partition, opening it on its first record.
func (r *Runner) laneOf(topic string, part int32) *lane {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := partition{topic, part}
	l := r.parts[k]
	if l == nil {
		l = &lane{}
		l.ctx, l.cancel = context.WithCancel(context.Background())
		r.parts[k] = l
	}
	return l
}

// release stops the deliveries of partitions the consumer gives up and
// waits for them; revoked ones commit what is final first, lost ones
// cannot.
func (r *Runner) release(ctx context.Context, cl *kgo.Client, m map[string][]int32, commit bool) {
	var lanes []*lane
	r.mu.Lock()
	for topic, parts := range m {
		for _, p := range parts {
			if l := r.parts[partition{topic, p}]; l != nil {
				l.cancel()
				lanes = append(lanes, l)
				delete(r.parts, partition{topic, p})
			}
		}
	}
	r.mu.Unlock()
	for _, l := range lanes {
		l.wg.Wait()
	}
	if commit {
		r.commit(ctx, cl, m)
	}
	r.commitMu.Lock()
	for topic, parts := range m {
		for _, p := range parts {
			r.offsets.forget(topic, p)
			delete(r.committed, partition{topic, p})
		}
	}
	r.commitMu.Unlock()
}

// commit commits the offsets that are final, of the partitions in only
// (all when nil).
func (r *Runner) commit(ctx context.Context, cl *kgo.Client, only map[string][]int32) {
	r.commitMu.Lock()
	defer r.commitMu.Unlock()
	out := map[string]map[int32]kgo.EpochOffset{}
	for topic, parts := range r.offsets.committable() {
		for p, off := range parts {
			if only != nil && !slices.Contains(only[topic], p) {
				continue
			}
			if r.committed[partition{topic, p}] == off {
				continue
			}
			if out[topic] == nil {
				out[topic] = map[int32]kgo.EpochOffset{}
			}
			out[topic][p] = kgo.EpochOffset{Epoch: -1, Offset: off}
		}
	}
	if len(out) == 0 {
		return
	}
	cl.CommitOffsetsSync(ctx, out, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err == nil {
			err = kerr.ErrorForCode(firstCommitError(resp))
		}
		if err != nil {
			if ctx.Err() == nil {
				r.cfg.Log.Warn("committing offsets failed", "group", r.cfg.Group, "err", err)
			}
			return
		}
		for topic, parts := range out {
			for p, o := range parts {
				r.committed[partition{topic, p}] = o.Offset
			}
		}
	})
}

// firstCommitError returns the first error code of a commit's answer.
func firstCommitError(resp *kmsg.OffsetCommitResponse) int16 {
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return p.ErrorCode
			}
		}
	}
	return 0
}

// countingSink counts the attempts of a destination.
type countingSink struct {
	Sink
	m    *Metrics
	dest string
}

func (c countingSink) Deliver(ctx context.Context, m *Message) error {
	if c.m != nil {
		c.m.Attempts.WithLabelValues(c.dest).Inc()
	}
	return c.Sink.Deliver(ctx, m)
}

// sinkType names the kind of a sink, as in schemas.Delivery.Sink.
func sinkType(s Sink) string {
	switch s.(type) {
	case *Webhook:
		return "webhook"
	case *JSONL:
		return "jsonl"
	case *SMTP:
		return "smtp"
	case *Postgres:
		return "postgres"
	}
	return fmt.Sprintf("%T", s)
}
