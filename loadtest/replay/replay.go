package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/time/rate"

	"github.com/activa-dev/activa/internal/deadletter"
	"github.com/activa-dev/activa/internal/ingest"
	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/schemas"
)

// Config configures a replay.
type Config struct {
	// Topic receives accepted events (the full events.raw name). Required.
	Topic string
	// Deadletter receives refused lines (the full deadletter name). Required.
	Deadletter string
	// Source names the input in dead-letter records, e.g. the file name.
	Source string
	// Rate caps accepted events per second; 0 means as fast as possible.
	Rate float64
	// Speedup paces events by event time divided by this factor (e.g. 60
	// plays an hour in a minute); 0 disables pacing. Exclusive with Rate.
	Speedup float64
	// Workers parse and encode in parallel. Default GOMAXPROCS.
	Workers int
	// Ingest bounds what is accepted.
	Ingest ingest.Config
	// HashKey keys the HMAC of raw e-mail and phone (at least 16 bytes).
	HashKey []byte
	// Progress, if set, is called after every produced chunk with the input
	// bytes consumed so far.
	Progress func(bytes int64)
}

// Codecs are the Avro codecs replay writes with.
type Codecs struct {
	// Event writes events.raw.
	Event *schemas.Codec[schemas.Event]
	// DeadLetter writes deadletter.
	DeadLetter *schemas.Codec[schemas.DeadLetter]
}

// Stats summarises a replay.
type Stats struct {
	// Lines read, including refused ones.
	Lines int64 `json:"lines"`
	// Produced accepted events.
	Produced int64 `json:"produced"`
	// DeadLettered lines, by reason.
	DeadLettered map[string]int64 `json:"dead_lettered"`
	// Bytes of input read (after decompression).
	Bytes int64 `json:"bytes"`
	// Elapsed wall time.
	Elapsed time.Duration `json:"elapsed_ns"`
}

// Rate is accepted events per second.
func (s Stats) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Produced) / s.Elapsed.Seconds()
}

// Refused is the total of dead-lettered lines.
func (s Stats) Refused() int64 {
	var n int64
	for _, v := range s.DeadLettered {
		n += v
	}
	return n
}

const chunkLines = 512

type chunk struct {
	seq   int64
	first int64 // line number of the first line
	data  []byte
	ends  []int // end offset of each line in data
	bytes int64

	recs    []*kgo.Record
	refused []string // reason of each dead-letter record in recs, in order
	evTS    []time.Time
}

// Run replays r to cl until EOF, ctx cancellation or a produce error. The
// client should be built with kafka.ProducerOpts so keys are partitioned as
// goka expects. Run flushes before it returns.
func Run(ctx context.Context, cfg Config, r io.Reader, cl *kgo.Client, codecs Codecs, m *deadletter.Metrics) (Stats, error) {
	if cfg.Topic == "" || cfg.Deadletter == "" {
		return Stats{}, errors.New("replay: topic and dead-letter topic are required")
	}
	if cfg.Rate > 0 && cfg.Speedup > 0 {
		return Stats{}, errors.New("replay: rate and speedup are exclusive")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Ingest.MaxBytes <= 0 {
		cfg.Ingest.MaxBytes = ingest.DefaultConfig().MaxBytes
	}
	if _, err := pii.New(cfg.HashKey); err != nil {
		return Stats{}, fmt.Errorf("replay: %w", err)
	}
	start := time.Now()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	in := make(chan *chunk, cfg.Workers*2)
	out := make(chan *chunk, cfg.Workers*2)
	var readErr error
	go func() {
		defer close(in)
		readErr = read(ctx, r, cfg.Ingest.MaxBytes, in)
	}()
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, _ := pii.New(cfg.HashKey) // key checked above
			p := ingest.NewParser(cfg.Ingest, h)
			for c := range in {
				if err := encode(cfg, p, codecs, c); err != nil {
					cancel(err)
				}
				select {
				case out <- c:
				case <-ctx.Done():
				}
			}
		}()
	}
	go func() { wg.Wait(); close(out) }()

	st, err := produce(ctx, cfg, cl, out, m)
	for range out { // drain after an early stop
	}
	if ferr := cl.Flush(context.WithoutCancel(ctx)); ferr != nil && err == nil {
		err = fmt.Errorf("flushing: %w", ferr)
	}
	if cause := context.Cause(ctx); err == nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	if err == nil && readErr != nil {
		err = readErr
	}
	st.Elapsed = time.Since(start)
	return st, err
}

func read(ctx context.Context, r io.Reader, max int, in chan<- *chunk) error {
	lr := newLineReader(r, max)
	var seq, line int64
	for {
		c := &chunk{seq: seq, first: line + 1}
		for len(c.ends) < chunkLines {
			b, n, err := lr.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			line++
			c.data = append(c.data, b...)
			c.ends = append(c.ends, len(c.data))
			c.bytes += int64(n)
		}
		if len(c.ends) == 0 {
			return nil
		}
		last := len(c.ends) < chunkLines // c belongs to a worker once sent
		select {
		case in <- c:
		case <-ctx.Done():
			return nil
		}
		seq++
		if last {
			return nil
		}
	}
}

func encode(cfg Config, p *ingest.Parser, codecs Codecs, c *chunk) error {
	c.recs = make([]*kgo.Record, 0, len(c.ends))
	c.evTS = make([]time.Time, 0, len(c.ends))
	prev := 0
	for i, end := range c.ends {
		b := c.data[prev:end]
		prev = end
		ev, key, err := p.Parse(b)
		if err == nil {
			val, eerr := codecs.Event.Encode(&ev)
			if eerr != nil {
				return fmt.Errorf("encoding event %s on line %d: %w", ev.EventID, c.first+int64(i), eerr)
			}
			c.recs = append(c.recs, &kgo.Record{Topic: cfg.Topic, Key: key, Value: val, Timestamp: ev.TS})
			c.evTS = append(c.evTS, ev.TS)
			continue
		}
		var ie *ingest.Error
		if !errors.As(err, &ie) {
			return fmt.Errorf("line %d: %w", c.first+int64(i), err)
		}
		lineNo := c.first + int64(i)
		key = []byte(cfg.Source + ":" + strconv.FormatInt(lineNo, 10))
		dl := deadletter.Record("replay", ie.Reason, ie.Err, deadletter.Input{
			Source: cfg.Source, Partition: -1, Offset: lineNo, Key: key, Value: b,
		}, ie.EventID, time.Now())
		val, eerr := codecs.DeadLetter.Encode(&dl)
		if eerr != nil {
			return fmt.Errorf("encoding dead letter for line %d: %w", lineNo, eerr)
		}
		c.recs = append(c.recs, &kgo.Record{Topic: cfg.Deadletter, Key: key, Value: val})
		c.refused = append(c.refused, ie.Reason)
		c.evTS = append(c.evTS, time.Time{})
	}
	c.data, c.ends = nil, nil
	return nil
}

func produce(ctx context.Context, cfg Config, cl *kgo.Client, out <-chan *chunk, m *deadletter.Metrics) (Stats, error) {
	st := Stats{DeadLettered: map[string]int64{}}
	var lim *rate.Limiter
	if cfg.Rate > 0 {
		burst := max(1, int(cfg.Rate/100))
		lim = rate.NewLimiter(rate.Limit(cfg.Rate), burst)
	}
	var prodErr atomic.Pointer[error]
	promise := func(r *kgo.Record, err error) {
		if err != nil {
			e := fmt.Errorf("producing to %s: %w", r.Topic, err)
			prodErr.CompareAndSwap(nil, &e)
		}
	}
	pending := map[int64]*chunk{}
	var next int64
	var t0 time.Time
	w0 := time.Now()
	for c := range out {
		pending[c.seq] = c
		for {
			c, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			refused := 0
			for i, rec := range c.recs {
				if p := prodErr.Load(); p != nil {
					return st, *p
				}
				if ts := c.evTS[i]; !ts.IsZero() {
					if err := pace(ctx, lim, cfg.Speedup, &t0, w0, ts); err != nil {
						return st, nil
					}
					st.Produced++
				} else {
					reason := c.refused[refused]
					refused++
					st.DeadLettered[reason]++
					m.Count("replay", reason)
				}
				cl.Produce(ctx, rec, promise)
			}
			st.Lines += int64(len(c.recs))
			st.Bytes += c.bytes
			if cfg.Progress != nil {
				cfg.Progress(st.Bytes)
			}
		}
	}
	if p := prodErr.Load(); p != nil {
		return st, *p
	}
	return st, nil
}

// pace waits for the rate limiter, or until the event's time relative to
// the first event, divided by speedup, has passed on the wall clock.
func pace(ctx context.Context, lim *rate.Limiter, speedup float64, t0 *time.Time, w0 time.Time, ts time.Time) error {
	if lim != nil {
		return lim.Wait(ctx)
	}
	if speedup <= 0 {
		return ctx.Err()
	}
	if t0.IsZero() {
		*t0 = ts
	}
	due := w0.Add(time.Duration(float64(ts.Sub(*t0)) / speedup))
	if d := time.Until(due); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
