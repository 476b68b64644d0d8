package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/taxii"
	"github.com/accord-cyber/accord/web"
)

func (m *Main) serveCommand() *cobra.Command {
	var apiAddr, peerAddr string
	cmd := &cobra.Command{
		Use:   "serve [--api-addr HOST:PORT] [--peer-addr HOST:PORT]",
		Short: "Run the node: HTTP API, federation listener and delivery, until SIGINT or SIGTERM",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				if apiAddr != "" {
					e.cfg.API.Addr = apiAddr
				}
				if peerAddr != "" {
					e.cfg.Federation.Addr = peerAddr
				}
				r, err := m.start(ctx, e)
				if err != nil {
					return err
				}
				select {
				case <-ctx.Done():
				case err := <-r.errs:
					r.errs <- err // stop reports it
				}
				return r.stop()
			})
		},
	}
	cmd.Flags().StringVar(&apiAddr, "api-addr", "", "host:port of the HTTP API (overrides config.toml)")
	cmd.Flags().StringVar(&peerAddr, "peer-addr", "", "host:port of the mutual-TLS federation listener (overrides config.toml)")
	return cmd
}

// running is a node serving its API and federation listener and delivering
// its outbox.
type running struct {
	e         *env
	apiAddr   string
	peerAddr  string
	deliverer *federation.Deliverer
	api, fed  *http.Server
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	errs      chan error
}

// start opens the listeners and starts serving and delivering in the
// background. stop ends all of it gracefully.
func (m *Main) start(ctx context.Context, e *env) (*running, error) {
	serverGC()
	if err := e.svc.Ping(ctx); err != nil {
		return nil, fmt.Errorf("node not initialised: %w", err)
	}
	skew, err := accord.ParseDuration(e.cfg.Federation.MaxSkew)
	if err != nil {
		return nil, err
	}
	apiLn, err := net.Listen("tcp", e.cfg.API.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", e.cfg.API.Addr, err)
	}
	fedLn, err := net.Listen("tcp", e.cfg.Federation.Addr)
	if err != nil {
		apiLn.Close()
		return nil, fmt.Errorf("listen on %s: %w", e.cfg.Federation.Addr, err)
	}
	self, err := e.svc.Self(ctx, operator())
	if err != nil {
		return nil, err
	}
	card := federation.NewCard(*self)
	// One registry for the API and the federation listener, served at /metrics.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r := &running{e: e, apiAddr: apiLn.Addr().String(), peerAddr: fedLn.Addr().String(), errs: make(chan error, 3)}
	dopts := m.Delivery
	dopts.Logger = e.log
	r.deliverer = federation.NewDeliverer(e.svc, e.id, dopts)
	e.notify = r.deliverer.Notify
	api := http.NewServeMux() // the JSON API and UI, and TAXII 2.1 beside them
	api.Handle("/", web.New(e.svc, web.Options{Logger: e.log, MaxBodyBytes: e.cfg.API.MaxBodyBytes, Registry: reg}))
	api.Handle("/taxii2/", taxii.NewHandler(e.svc, taxii.Options{Logger: e.log, Title: "accord " + e.cfg.Party}))
	r.api = &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
	}
	r.fed = &http.Server{
		ErrorLog:          slog.NewLogLogger(e.log.Handler(), slog.LevelWarn), // refused handshakes
		Handler:           federation.NewHandler(e.svc, federation.HandlerOptions{Logger: e.log, Clock: m.Clock, MaxSkew: time.Duration(skew), Card: &card, Registry: reg}),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
	}
	dctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(3)
	go func() {
		defer r.wg.Done()
		if err := r.api.Serve(apiLn); !errors.Is(err, http.ErrServerClosed) {
			r.errs <- fmt.Errorf("serve API: %w", err)
		}
	}()
	go func() {
		defer r.wg.Done()
		if err := r.fed.Serve(tls.NewListener(fedLn, federation.ServerTLSConfig(e.id, federation.KnownPeer(e.svc, e.log)))); !errors.Is(err, http.ErrServerClosed) {
			r.errs <- fmt.Errorf("serve federation: %w", err)
		}
	}()
	go func() {
		defer r.wg.Done()
		if err := r.deliverer.Run(dctx); err != nil && !errors.Is(err, context.Canceled) {
			r.errs <- fmt.Errorf("deliver: %w", err)
		}
	}()
	e.log.Info("serving", "party", e.cfg.Party, "api", "http://"+r.apiAddr+"/api/v1", "federation", r.peerAddr, "home", m.home)
	if m.OnListen != nil {
		m.OnListen("api", r.apiAddr)
		m.OnListen("peer", r.peerAddr)
	}
	return r, nil
}

// stop shuts the servers down (requests in flight get up to 10 s), stops
// delivery and returns the first error any of them met.
func (r *running) stop() error {
	r.e.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := errors.Join(r.api.Shutdown(sctx), r.fed.Shutdown(sctx))
	r.cancel()
	r.wg.Wait()
	close(r.errs)
	for e := range r.errs {
		err = errors.Join(err, e)
	}
	if err != nil {
		return err
	}
	r.e.log.Info("stopped")
	return nil
}

// serverGC tunes the garbage collector of a process that serves a node,
// unless the environment sets GOGC or GOMEMLIMIT: collections at 400%
// growth instead of 100% (a node's live heap is small, a few tens of MiB,
// and delivering a batch allocates a lot of short-lived memory; collecting
// four times less often bought about a fifth more deliveries per second),
// under a soft limit of 64 MiB that brings them back before the heap grows
// past it.
func serverGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(64 << 20)
	}
}
