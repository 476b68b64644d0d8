package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/blob"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/sqlite"
)

// Main is the accord program: main() and the end-to-end tests both build one
// and call Run. Everything is wired here, explicitly; there are no globals.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment (ACCORD_HOME, HOME).
	Getenv func(string) string
	// Clock is the node's clock; the system clock unless a test sets one.
	Clock accord.Clock
	// OnListen, when set, is told each address a server listens on (tests
	// serve on 127.0.0.1:0 and need the port).
	OnListen func(name, addr string)
	// Delivery tunes the delivery worker (retry delays, batch size); the
	// zero value takes federation's defaults.
	Delivery federation.DelivererOptions

	home     string
	jsonOut  bool
	exitCode int
}

// NewMain returns a Main wired to the process's streams and environment.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Clock: accord.SystemClock{}}
}

// Run parses args, runs the command and returns the process exit code: 0 on
// success, 1 when the command failed, 2 on a usage error.
func (m *Main) Run(ctx context.Context, args []string) int {
	root := m.command()
	root.SetArgs(args)
	root.SetIn(m.Stdin)
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return m.exitCode
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(m.Stderr, "accord: %v\nRun 'accord --help' for usage.\n", err)
		return 2
	}
	fmt.Fprintf(m.Stderr, "accord: %s\n", cliMessage(err))
	return 1
}

// usageError marks a mistake in the command line itself.
type usageError struct{ error }

// cliMessage renders an error for the operator: the user-facing message for
// accord errors, the whole chain for internal ones (the operator owns the node).
func cliMessage(err error) string {
	var e *accord.Error
	if errors.As(err, &e) && e.Code != accord.EINTERNAL {
		return accord.ErrorMessage(err)
	}
	return err.Error()
}

func (m *Main) command() *cobra.Command {
	root := &cobra.Command{
		Use:   "accord",
		Short: "Run a node of a cyber security cooperation accord between states",
		Long: `accord keeps the cases and cross-border requests of one party to a cyber
security cooperation accord, computes their deadlines from the agreement, and
serves an HTTP API. See https://github.com/accord-cyber/accord#readme.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if m.home == "" {
				m.home = m.defaultHome()
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringVar(&m.home, "home", "", "node home directory (default $ACCORD_HOME, else ~/.accord)")
	root.PersistentFlags().BoolVar(&m.jsonOut, "json", false, "print JSON instead of tables")
	root.AddCommand(
		m.initCommand(),
		m.serveCommand(),
		m.userCommand(),
		m.partyCommand(),
		m.caseCommand(),
		m.requestCommand(),
		m.agreementCommand(),
		m.cardCommand(),
		m.peerCommand(),
		m.demoCommand(),
		m.verifyCommand(),
		m.ledgerCommand(),
		m.evidenceCommand(),
		m.importCommand(),
		m.exportCommand(),
		m.correlateCommand(),
		m.reportCommand(),
		m.taxiiCommand(),
	)
	return root
}

func (m *Main) defaultHome() string {
	if h := m.Getenv("ACCORD_HOME"); h != "" {
		return h
	}
	if h := m.Getenv("HOME"); h != "" {
		return filepath.Join(h, ".accord")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".accord")
	}
	return ".accord"
}

// env is an opened node: its config, store and service.
type env struct {
	cfg   *Config
	store *sqlite.DB
	svc   *node.Service
	id    *federation.Identity
	log   *slog.Logger
	// notify wakes the delivery worker of a serving node; nil otherwise.
	notify func(peer string)
}

func (e *env) Close() error { return e.store.Close() }

// open loads the node at m.home: config, agreement (refused with file, line
// and reason when malformed) and store (migrated to this binary's schema).
//
// One-shot commands log only warnings: what they did is printed on stdout and
// kept in the request's history; `serve` logs at the configured level.
func (m *Main) open(ctx context.Context, serving bool) (*env, error) {
	cfg, err := loadConfig(m.home)
	if err != nil {
		return nil, err
	}
	logCfg := cfg.Log
	if !serving {
		logCfg.Level = "warn"
	}
	log := m.logger(logCfg)
	agreement, err := accord.LoadAgreement(homePath(m.home, cfg.Agreement))
	if err != nil {
		return nil, err
	}
	id, err := federation.LoadIdentity(filepath.Join(m.home, keysDir), cfg.Party)
	if err != nil {
		return nil, fmt.Errorf("load keys: %w", err)
	}
	blobs, err := blob.Open(filepath.Join(m.home, evidenceDir), blob.Options{MaxSize: cfg.Evidence.MaxBytes})
	if err != nil {
		return nil, fmt.Errorf("open evidence store: %w", err)
	}
	store, err := sqlite.Open(ctx, homePath(m.home, cfg.Database))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	e := &env{cfg: cfg, store: store, id: id, log: log}
	e.svc = node.New(node.Config{Store: store, Agreement: agreement, Clock: m.Clock, Self: cfg.Party, Logger: log, Sealer: id, Notary: id, Blobs: blobs,
		OnEnqueue: func(peer string) {
			if e.notify != nil {
				e.notify(peer)
			}
		}})
	return e, nil
}

func (m *Main) logger(c LogConfig) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(m.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(m.Stderr, opts))
}

// operator is the actor of commands run at the node's command line: whoever
// can read the node home is its operator, with every permission.
func operator() accord.Actor {
	name := "operator"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return accord.Actor{Name: "cli:" + name, Role: accord.RoleAdmin}
}

// withEnv opens the node, runs fn and closes it.
func (m *Main) withEnv(cmd *cobra.Command, fn func(ctx context.Context, e *env) error) error {
	e, err := m.open(cmd.Context(), cmd.Name() == "serve")
	if err != nil {
		return err
	}
	defer e.Close()
	return fn(cmd.Context(), e)
}

// printJSON writes v as indented JSON.
func (m *Main) printJSON(v any) error {
	enc := json.NewEncoder(m.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns; the first row is the header.
func (m *Main) table(rows [][]string) {
	w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	w.Flush()
}

// fields writes "key: value" lines aligned, skipping empty values.
func (m *Main) fields(kv ...string) {
	w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			fmt.Fprintf(w, "%s:\t%s\n", kv[i], kv[i+1])
		}
	}
	w.Flush()
}

// fmtTime shows a time in UTC to the minute, or "" for zero.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

// parseTime reads a time flag: RFC 3339, or "2006-01-02T15:04" / "2006-01-02
// 15:04" taken as UTC.
func parseTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, accord.FieldError("--"+flag, "%q is not a time: use RFC 3339 (2026-11-20T09:30:00Z) or 2026-11-20T09:30 (UTC)", s)
}

// exactArgs is cobra.ExactArgs with a usage error that names the arguments.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s takes %s", cmd.CommandPath(), names)}
		}
		return nil
	}
}
