package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// DefaultMaxBodyBytes is the largest request body accepted when
// Options.MaxBodyBytes is zero.
const DefaultMaxBodyBytes int64 = 1 << 20

// Options tunes the handler returned by New. The zero value is usable.
type Options struct {
	// Logger receives the access log (one line per request) and internal
	// errors with their cause. Nil: slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes caps request bodies; a larger one is answered 413.
	// Zero or negative: DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// Registry receives the HTTP metrics and is what /metrics serves. Nil: a
	// new registry holding the Go runtime and process collectors.
	Registry *prometheus.Registry
}

// server is the state of one handler returned by New.
type server struct {
	svc     *node.Service
	log     *slog.Logger
	maxBody int64
	reg     *prometheus.Registry
	metrics *metrics
	mux     *http.ServeMux
}

// New returns the HTTP handler of a node's API, serving every route of
// routes.go over svc. Anyone may call it at start-up; it panics only when
// Options.Registry already holds a different collector under the name of one
// of the HTTP metrics (a wiring bug, like a conflicting ServeMux pattern).
func New(svc *node.Service, opts Options) http.Handler {
	return newServer(svc, opts)
}

func newServer(svc *node.Service, opts Options) *server {
	s := &server{svc: svc, log: opts.Logger, maxBody: opts.MaxBodyBytes, reg: opts.Registry, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
		s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m, err := newMetrics(s.reg)
	if err != nil {
		panic(fmt.Sprintf("web.New: register HTTP metrics: %v", err))
	}
	s.metrics = m
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern, s.endpoint(rt))
	}
	return s
}

// reqInfo carries what the inner handlers learn about a request (who made
// it) out to the access log, which runs outside the mux.
type reqInfo struct {
	actor string
}

type reqInfoKey struct{}

func infoFrom(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(reqInfoKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// ServeHTTP routes r, answers unknown routes and wrong methods with problems,
// and records the metrics and the access log line of every request.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ri := &reqInfo{}
	r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, ri))
	sw := &statusWriter{ResponseWriter: w}

	if h, pattern := s.mux.Handler(r); pattern == "" {
		s.unrouted(sw, r, h)
	} else {
		// ServeMux sets r.Pattern on this very request, read below.
		s.mux.ServeHTTP(sw, r)
	}

	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	elapsed := time.Since(start)
	method := methodLabel(r.Method)
	s.metrics.requests.WithLabelValues(method, route, fmt.Sprint(status)).Inc()
	s.metrics.duration.WithLabelValues(method, route).Observe(elapsed.Seconds())
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request",
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
		slog.String("actor", ri.actor),
	)
}

// unrouted answers a request no pattern matches: 405 with Allow when the
// path exists for other methods, 404 otherwise, both as problems. It asks the
// mux's own fallback handler h which case applies, so the Allow header is the
// mux's.
func (s *server) unrouted(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := &headerProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		s.writeProblem(w, r, httpError(http.StatusMethodNotAllowed, "",
			"method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow))
		return
	}
	s.writeProblem(w, r, accord.Errorf(accord.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path))
}

// headerProbe is a ResponseWriter that keeps the status and headers a handler
// writes and discards its body.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

// statusWriter records the status a handler sends.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
