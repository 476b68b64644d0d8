package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/accord-cyber/accord"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// pragmas are set on every connection, busy_timeout first so that the others
// wait for a lock instead of failing. (The driver runs busy_timeout first and
// the rest in name order, whatever the order here.)
const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"

// writerCache is the writer's page cache, as SQLite's cache_size (negative:
// KiB). The default 2 MiB made a batch of messages read back from the file
// the index pages its inserts had just written, and a large import spilled
// dirty pages to the WAL again and again; 64 MiB holds the hot pages of a
// node's indexes. It is filled only as pages are used. The readers keep
// the default.
const writerCache = "&_pragma=cache_size(-65536)"

// readers is the number of connections serving View transactions.
const readers = 4

// DB is an accord.Store on one SQLite database file. It is safe for
// concurrent use by many goroutines, and several processes may open the same
// file: writers queue on SQLite's write lock.
type DB struct {
	path   string
	w      *sql.DB // one connection; every transaction BEGIN IMMEDIATE
	r      *sql.DB // query-only connections
	wstmts *prepared
	rstmts *prepared

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var _ accord.Store = (*DB)(nil)

// Open opens the SQLite database at path, creating the file if needed, and
// applies the migrations it lacks. It returns EINVALID for an empty path,
// one containing '?', an in-memory database (":memory:"), for a file that is not an SQLite database, and when the
// database's schema is newer than this accord knows (upgrade accord);
// EUNAVAILABLE when the file cannot be opened or stays locked by another
// process beyond the busy timeout; EINTERNAL when a migration fails. The
// caller must Close the DB.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, accord.FieldError("database", "no database path given")
	}
	if strings.Contains(path, "?") {
		return nil, accord.FieldError("database", "path %q contains '?', which SQLite would read as URI parameters", path)
	}
	if strings.Contains(path, ":memory:") {
		// Every connection would get its own empty database: the readers
		// would never see what the writer wrote.
		return nil, accord.FieldError("database", "an in-memory database cannot be shared by the writer and the readers: give a file path")
	}
	d := &DB{path: path}
	var err error
	if d.w, err = sql.Open("sqlite", path+"?"+pragmas+writerCache+"&_txlock=immediate"); err != nil {
		return nil, translate(err, "open database %s", path)
	}
	// One writer connection: database/sql queues writers, and SQLite's lock
	// queues them against other processes.
	d.w.SetMaxOpenConns(1)
	d.w.SetMaxIdleConns(1)
	d.w.SetConnMaxLifetime(0)
	d.w.SetConnMaxIdleTime(0)
	if err := d.w.PingContext(ctx); err != nil {
		d.w.Close()
		return nil, translate(err, "open database %s", path)
	}
	if err := migrate(ctx, d.w); err != nil {
		d.w.Close()
		return nil, err
	}
	if d.r, err = sql.Open("sqlite", path+"?"+pragmas+"&_pragma=query_only(1)"); err != nil {
		d.w.Close()
		return nil, translate(err, "open database %s", path)
	}
	d.r.SetMaxOpenConns(readers)
	d.r.SetMaxIdleConns(readers)
	d.r.SetConnMaxLifetime(0)
	d.r.SetConnMaxIdleTime(0)
	if d.wstmts, err = prepare(ctx, d.w, nStmts); err == nil {
		d.rstmts, err = prepare(ctx, d.r, nReadStmts)
	}
	if err != nil {
		d.Close()
		return nil, translate(err, "open database %s", path)
	}
	return d, nil
}

// knownVersion returns the newest schema version among the embedded migrations.
func knownVersion(p *goose.Provider) int64 {
	var v int64
	for _, s := range p.ListSources() {
		v = max(v, s.Version)
	}
	return v
}

// migrate applies the embedded migrations db lacks, after checking that the
// database is not newer than this binary (EINVALID).
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return accord.Internal(err, "read embedded migrations")
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return accord.Internal(err, "load migrations")
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return translate(err, "read database schema version")
	}
	if known := knownVersion(p); current > known {
		return accord.Errorf(accord.EINVALID, "database schema version %d is newer than this accord (%d): upgrade accord", current, known)
	}
	if _, err := p.Up(ctx); err != nil {
		// Another process opening the same new file may have applied the
		// migrations first; that is success.
		if pending, perr := p.HasPending(ctx); perr == nil && !pending {
			return nil
		}
		return translate(err, "migrate database schema")
	}
	return nil
}

// errClosed is returned by calls after Close.
func errClosed() error {
	return accord.Errorf(accord.EUNAVAILABLE, "the database is closed")
}

// Update runs fn in one write transaction (BEGIN IMMEDIATE) and commits it
// if fn returns nil. Otherwise it rolls back and returns fn's error
// unchanged; if fn panics, it rolls back and panics again with the same
// value. Writers are serialised, within this process by the single writer
// connection and across processes by SQLite's lock (waiting up to the busy
// timeout). EUNAVAILABLE if the database is closed, stays locked, or ctx
// ends. The Tx must not be used after fn returns or from other goroutines,
// and fn must not call Update (it would wait for itself); a View inside fn
// sees the state before this transaction.
func (d *DB) Update(ctx context.Context, fn func(accord.Tx) error) error {
	if d.closed.Load() {
		return errClosed()
	}
	sqlTx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return translate(err, "begin write transaction")
	}
	// The statements run without ctx's cancellation: the driver would
	// start a goroutine per statement to watch it. A write transaction is
	// short, and database/sql still rolls it back if ctx ends, after which
	// its statements fail.
	return run(sqlTx, &tx{ctx: context.WithoutCancel(ctx), tx: sqlTx, prepared: d.wstmts}, fn, "commit")
}

// View runs fn in one read-only transaction on the reader pool: fn sees one
// consistent snapshot (taken at its first read), concurrent writers are not
// blocked, and every write method of the Tx fails with EINTERNAL. View
// returns fn's error unchanged, re-panics fn's panic, and returns
// EUNAVAILABLE if the database is closed or ctx ends.
func (d *DB) View(ctx context.Context, fn func(accord.Tx) error) error {
	if d.closed.Load() {
		return errClosed()
	}
	sqlTx, err := d.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return translate(err, "begin read transaction")
	}
	return run(sqlTx, &tx{ctx: ctx, tx: sqlTx, prepared: d.rstmts, readOnly: true}, fn, "end read transaction")
}

// run calls fn with t and ends sqlTx: commit when fn returns nil, rollback
// when it fails or panics.
func run(sqlTx *sql.Tx, t *tx, fn func(accord.Tx) error, commitOp string) (err error) {
	committed := false
	defer func() {
		if !committed {
			// The rollback error adds nothing: fn's error or panic says
			// what went wrong, and an unfinished transaction is discarded.
			_ = sqlTx.Rollback()
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	committed = true
	if err := sqlTx.Commit(); err != nil {
		return translate(err, "%s", commitOp)
	}
	return nil
}

// Close closes both connection pools; it returns EINTERNAL (or EUNAVAILABLE)
// if the driver fails to. Calls of Update and View after Close return
// EUNAVAILABLE; closing again returns the first result. It should not be
// called while transactions are running.
func (d *DB) Close() error {
	d.closeOnce.Do(func() {
		d.closed.Store(true)
		var errs []error
		if d.rstmts != nil {
			d.rstmts.close()
		}
		if d.wstmts != nil {
			d.wstmts.close()
		}
		if d.r != nil {
			errs = append(errs, d.r.Close())
		}
		if d.w != nil {
			// Let SQLite refresh its query planner statistics, as its
			// documentation recommends before closing a connection.
			_, _ = d.w.Exec("PRAGMA optimize")
			errs = append(errs, d.w.Close())
		}
		if err := errors.Join(errs...); err != nil {
			d.closeErr = translate(err, "close database %s", d.path)
		}
	})
	return d.closeErr
}
