// Package sqlite implements accord.Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go), the default store of an accord node.
//
// Open creates or opens the database file, sets the connection pragmas
// (busy_timeout, WAL, synchronous=NORMAL, foreign_keys) on every connection,
// and applies the embedded migrations (migrations/*.sql, run by goose). A
// database written by a newer accord, whose schema this binary does not know,
// is refused rather than silently used.
//
// One connection writes: Update transactions start with BEGIN IMMEDIATE, so
// writers from several goroutines, and from several processes sharing the
// file (the CLI while `accord serve` runs), queue on the write lock for up to
// busy_timeout instead of failing half-way. A small pool of query-only
// connections serves View transactions, each of which reads one WAL snapshot
// and never blocks the writer.
//
// The schema keeps times as RFC 3339 text in UTC with six fractional digits
// (text order is time order) and zero times as NULL. The ledger's entries
// and stored hashes are append-only: triggers refuse UPDATE and DELETE. Driver errors are
// translated to *accord.Error in one place (errors.go). The package speaks
// only accord's types; the storetest suite checks it against the same
// contract as every other store.
package sqlite
