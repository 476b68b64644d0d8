package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-cyber/accord/web"
)

func (m *Main) serveCommand() *cobra.Command {
	var apiAddr string
	cmd := &cobra.Command{
		Use:   "serve [--api-addr HOST:PORT]",
		Short: "Run the node: HTTP API, /healthz and /metrics, until SIGINT or SIGTERM",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				if apiAddr != "" {
					e.cfg.API.Addr = apiAddr
				}
				return m.serve(ctx, e)
			})
		},
	}
	cmd.Flags().StringVar(&apiAddr, "api-addr", "", "host:port of the HTTP API (overrides config.toml)")
	return cmd
}

// serve runs the API until ctx is cancelled, then shuts down gracefully:
// new connections are refused and requests in flight get up to 10 s.
func (m *Main) serve(ctx context.Context, e *env) error {
	if err := e.svc.Ping(ctx); err != nil {
		return fmt.Errorf("node not initialised: %w", err)
	}
	ln, err := net.Listen("tcp", e.cfg.API.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", e.cfg.API.Addr, err)
	}
	handler := web.New(e.svc, web.Options{Logger: e.log, MaxBodyBytes: e.cfg.API.MaxBodyBytes})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          nil,
	}
	addr := ln.Addr().String()
	e.log.Info("serving", "party", e.cfg.Party, "api", "http://"+addr+"/api/v1", "home", m.home)
	if m.OnListen != nil {
		m.OnListen("api", addr)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve API: %w", err)
	case <-ctx.Done():
	}
	e.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	e.log.Info("stopped")
	return nil
}
