package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// DefaultAddr is the address the embedded registry listens on when
// [Config.Addr] is empty: the Confluent Schema Registry's usual port, on the
// loopback interface only.
const DefaultAddr = "127.0.0.1:8081"

// errClosed refuses changes after Close.
var errClosed = errors.New("schema registry is closed")

// Config configures an [Embedded] registry.
type Config struct {
	// Addr is the TCP address to listen on, host:port; port 0 picks a free
	// port (see [Embedded.URL]). Default [DefaultAddr].
	Addr string
	// DataDir is the directory holding the log of registered schemas and
	// settings (registry.jsonl). It is created if missing. Empty keeps
	// everything in memory: ids then restart from 1 with the process.
	DataDir string
	// Logger receives the registry's log records. Default slog.Default().
	Logger *slog.Logger
}

// Embedded is a Confluent-compatible Schema Registry served over HTTP from
// memory, with schemas and settings persisted in a data directory and real
// Avro compatibility checks. It is safe for concurrent use.
type Embedded struct {
	addr string
	log  *slog.Logger
	fake *srfake.Registry
	mux  *http.ServeMux // the routes Embedded handles itself

	mu     sync.Mutex // serializes every change, its checks and its log line
	store  *store     // nil without a data directory
	broken error      // set when a change could not be logged; refuses further changes

	srvMu  sync.Mutex
	srv    *http.Server
	url    string
	served chan struct{} // closed when Serve returns
	closed bool
}

// New returns a registry loaded from cfg.DataDir, if set, ready to [Embedded.Start].
// Schemas keep the ids and versions they were registered with, and new
// schemas get ids above every id ever handed out.
func New(cfg Config) (*Embedded, error) {
	e := &Embedded{
		addr: cfg.Addr,
		log:  cfg.Logger,
		fake: srfake.NewRegistry(),
	}
	if e.addr == "" {
		e.addr = DefaultAddr
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	e.mux = e.routes()
	if cfg.DataDir == "" {
		return e, nil
	}
	st, lines, err := openStore(cfg.DataDir, e.log)
	if err != nil {
		return nil, err
	}
	if err := e.replay(lines); err != nil {
		_ = st.close() // the replay error is the one to report
		return nil, fmt.Errorf("registry log %s: %w", st.path, err)
	}
	e.store = st
	if len(lines) > 0 {
		e.log.Info("schema registry state loaded", "file", st.path, "entries", len(lines))
	}
	return e, nil
}

// Start listens on the configured address and serves the registry in the
// background until [Embedded.Close]. ctx bounds only the bind.
func (e *Embedded) Start(ctx context.Context) error {
	e.srvMu.Lock()
	defer e.srvMu.Unlock()
	switch {
	case e.closed:
		return errClosed
	case e.srv != nil:
		return fmt.Errorf("schema registry already serving on %s", e.url)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", e.addr)
	if err != nil {
		return fmt.Errorf("listening for the schema registry on %s: %w", e.addr, err)
	}
	e.srv = &http.Server{
		Handler:           e.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(e.log.Handler(), slog.LevelWarn),
	}
	e.url = "http://" + ln.Addr().String()
	e.served = make(chan struct{})
	go func(srv *http.Server, done chan<- struct{}) {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("schema registry stopped serving", "addr", ln.Addr().String(), "err", err)
		}
	}(e.srv, e.served)
	e.log.Info("schema registry listening", "url", e.url)
	return nil
}

// URL is the base URL the registry serves on, such as
// "http://127.0.0.1:8081", or "" before [Embedded.Start].
func (e *Embedded) URL() string {
	e.srvMu.Lock()
	defer e.srvMu.Unlock()
	return e.url
}

// Handler returns the registry's HTTP handler, for serving it on a listener
// or mux of the caller's; [Embedded.Start] serves the same handler.
func (e *Embedded) Handler() http.Handler {
	return http.HandlerFunc(e.serveHTTP)
}

// Close stops serving, waiting for requests in flight until ctx is done,
// and closes the log. Later changes through [Embedded.Handler] are refused.
func (e *Embedded) Close(ctx context.Context) error {
	e.srvMu.Lock()
	srv, served, url, already := e.srv, e.served, e.url, e.closed
	e.closed = true
	e.srvMu.Unlock()
	if already {
		return nil
	}
	var errs []error
	if srv != nil {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutting down the schema registry on %s: %w", url, err))
			if err := srv.Close(); err != nil {
				errs = append(errs, fmt.Errorf("closing the schema registry on %s: %w", url, err))
			}
		}
		<-served
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.broken == nil {
		e.broken = errClosed
	}
	if e.store != nil {
		if err := e.store.close(); err != nil {
			errs = append(errs, err)
		}
		e.store = nil
	}
	return errors.Join(errs...)
}
