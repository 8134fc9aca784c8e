package console

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/activa-dev/activa/internal/pii"
	"github.com/activa-dev/activa/schemas"
)

//go:embed web
var web embed.FS

// Config is what the server reads from.
type Config struct {
	// Identity resolves identifiers to profiles (the identity table).
	Identity Identity
	// Features reads profile.features, Segments the segments table.
	Features Table[schemas.ProfileFeatures]
	Segments Segments
	// Live holds the latest segment changes and the open KPI alerts.
	Live *Live
	// Diagram is the topology drawn on the page.
	Diagram Diagram
	// HashKey, when set, is the key ingestion hashes e-mail addresses and
	// phone numbers with (at least 16 bytes): the API then also takes
	// email:<address> and phone:<number>. Default none.
	HashKey []byte
	// Ready tells whether the tables are ready to be read; an error says
	// what is not (a view still recovering). Default always ready.
	Ready func() error
	// SizesEvery is how often the segment sizes are counted again at
	// most; a count visits every profile. Default 2s.
	SizesEvery time.Duration
	// Log receives what goes wrong while serving. Default discards.
	Log *slog.Logger
}

// Server serves the profile API and the console.
type Server struct {
	cfg    Config
	log    *slog.Logger
	sizes  *sizer
	tmpl   *template.Template
	layout Layout
}

// New checks cfg and returns a server of it.
func New(cfg Config) (*Server, error) {
	if cfg.Identity == nil || cfg.Features == nil || cfg.Segments == nil || cfg.Live == nil {
		return nil, errors.New("console: identity, features, segments and live are all required")
	}
	if cfg.HashKey != nil {
		if _, err := pii.New(cfg.HashKey); err != nil {
			return nil, err
		}
	}
	if cfg.SizesEvery <= 0 {
		cfg.SizesEvery = 2 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Log, sizes: &sizer{states: cfg.Segments, every: cfg.SizesEvery}, layout: layout(cfg.Diagram)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	t, err := template.New("").Funcs(template.FuncMap{"chart": alertChart}).ParseFS(web, "web/templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parsing the console's templates: %w", err)
	}
	s.tmpl = t
	return s, nil
}

// Register adds the server's routes to mux: the console at /, its live
// part at /console/live, its script and styles under /console/, and the
// API under /api/.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/profiles/{id}", s.profile)
	mux.HandleFunc("GET /api/segments", s.apiSizes)
	mux.HandleFunc("GET /api/changes", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.cfg.Live.Changes())
	})
	mux.HandleFunc("GET /api/alerts", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.cfg.Live.Alerts())
	})
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /console/live", s.live)
	static, _ := fs.Sub(web, "web/static") // embedded: the directory exists
	mux.Handle("GET /console/", http.StripPrefix("/console/", http.FileServerFS(static)))
}

// ready reports whether the tables can be read.
func (s *Server) ready() error {
	if s.cfg.Ready == nil {
		return nil
	}
	return s.cfg.Ready()
}

// view is what the page's templates render.
type view struct {
	NotReady string
	Sizes    Sizes
	Changes  []Change
	Alerts   []Alert
	Layout   Layout
	Error    string
}

// snapshot gathers the live part of the page.
func (s *Server) snapshot() view {
	v := view{Changes: s.cfg.Live.Changes(), Alerts: s.cfg.Live.Alerts(), Layout: s.layout}
	if err := s.ready(); err != nil {
		v.NotReady = err.Error()
		return v
	}
	sz, err := s.sizes.sizes()
	if err != nil {
		s.log.Warn("counting segments failed", "err", err)
		v.Error = err.Error()
	}
	v.Sizes = sz
	return v
}

// apiSizes serves GET /api/segments.
func (s *Server) apiSizes(w http.ResponseWriter, _ *http.Request) {
	if err := s.ready(); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, apiError{"not ready: " + err.Error()})
		return
	}
	sz, err := s.sizes.sizes()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, apiError{err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, sz)
}

// page serves the console.
func (s *Server) page(w http.ResponseWriter, _ *http.Request) { s.render(w, "page", s.snapshot()) }

// live serves the live part of the console, which the page fetches again
// every few seconds.
func (s *Server) live(w http.ResponseWriter, _ *http.Request) { s.render(w, "live", s.snapshot()) }

// render executes a template into a buffer first, so that a failure is a
// clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, name string, v view) {
	var b bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&b, name, v); err != nil {
		s.log.Error("rendering the console failed", "template", name, "err", err)
		http.Error(w, "rendering the console failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'")
	_, _ = w.Write(b.Bytes()) // the client may have gone; nothing to tell
}
