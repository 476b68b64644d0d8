package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/storetest"
	"github.com/google/go-cmp/cmp"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// open opens a fresh database in t's temporary directory, closed at the end.
func open(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "accord.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) accord.Store { return open(t) })
}

// rawQuery returns the single value of a query run on a plain connection to
// the file, outside the store.
func rawQuery(t *testing.T, path, query string) string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow(query).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accord.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a new file: %v", err)
	}
	p := &accord.Party{ID: "us-cert", Name: "US-CERT", Country: "US", Kind: accord.PartySelf}
	if err := db.Update(ctx, func(tx accord.Tx) error { return tx.PutParty(p) }); err != nil {
		t.Fatalf("PutParty: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	tables := rawQuery(t, path, `SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name)`)
	if want := "answers case_objects cases checkpoints counters custody_events evidence evidence_transfers goose_db_version intel_objects ledger_alarms ledger_entries ledger_hashes messages observables outbox parties receipts request_events requests shared_objects taxii_api_roots taxii_collections taxii_grants taxii_members taxii_status taxii_status_details users"; tables != want {
		t.Errorf("tables after Open = %q, want %q", tables, want)
	}
	rows := rawQuery(t, path, `SELECT count(*) FROM goose_db_version`)
	version := rawQuery(t, path, `SELECT max(version_id) FROM goose_db_version`)
	if version != "11" {
		t.Errorf("schema version after Open = %s, want 11", version)
	}

	// Re-opening applies nothing and keeps the data.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer db.Close()
	if got := rawQuery(t, path, `SELECT count(*) FROM goose_db_version`); got != rows {
		t.Errorf("goose_db_version rows after re-open = %s, want %s (no migration run again)", got, rows)
	}
	err = db.View(ctx, func(tx accord.Tx) error {
		_, err := tx.Party("us-cert")
		return err
	})
	if err != nil {
		t.Errorf("Party after re-open: %v", err)
	}
}

// rawProvider returns a goose provider of the embedded migrations on a plain
// connection to the file at path, outside the store.
func rawProvider(t *testing.T, path string) *goose.Provider {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?"+pragmas)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMigrateEvidenceTransfer checks the rebuild of the evidence table in
// migration 7: items and their custody chains are kept, foreign keys are
// enforced again afterwards, and an item may now belong to a request only.
func TestMigrateEvidenceTransfer(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accord.db")
	p := rawProvider(t, path)
	if _, err := p.UpTo(ctx, 6); err != nil {
		t.Fatalf("migrate to version 6: %v", err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	digest := strings.Repeat("ab", 32)
	for _, q := range []string{
		`INSERT INTO parties (id, name, country, kind, endpoint) VALUES ('us-cert', 'US-CERT', 'US', 'self', '')`,
		`INSERT INTO cases (id, title, category, status, tlp, created_by, created_at, summary, origin_country, affected_country, sectors)
			VALUES ('us-cert-C0001', 'Botnet', 'malicious-code', 'open', 'amber', 'alice', '2026-01-01T00:00:00.000000Z', '', '', '', '[]')`,
		`INSERT INTO evidence (id, case_id, digest, size, name, description, created_by, created_at, pos)
			VALUES ('us-cert-E0001', 'us-cert-C0001', '` + digest + `', 3, 'pcap', '', 'alice', '2026-01-01T00:00:00.000000Z', 1)`,
		`INSERT INTO custody_events (evidence_id, seq, event, actor, party, at, reason, digest)
			VALUES ('us-cert-E0001', 1, 'collected', 'alice', 'us-cert', '2026-01-01T00:00:00.000000Z', 'seized', '` + digest + `')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open (migrates to 7): %v", err)
	}
	defer db.Close()
	err = db.View(ctx, func(tx accord.Tx) error {
		e, err := tx.Evidence("us-cert-E0001")
		if err != nil {
			return err
		}
		if e.CaseID != "us-cert-C0001" || e.Digest != digest || e.RequestID != "" {
			t.Errorf("evidence after migration = %+v", e)
		}
		evs, err := tx.CustodyEvents("us-cert-E0001")
		if err != nil {
			return err
		}
		if len(evs) != 1 || evs[0].Event != accord.CustodyCollected {
			t.Errorf("custody after migration = %+v", evs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Foreign keys hold again: a custody event of no item is refused.
	err = db.Update(ctx, func(tx accord.Tx) error {
		return tx.AddCustodyEvent(&accord.CustodyEvent{EvidenceID: "us-cert-E0404", Seq: 1, Event: accord.CustodyCollected,
			Actor: "alice", Party: "us-cert", At: time.Now(), Digest: digest})
	})
	if accord.ErrorCode(err) != accord.EINVALID {
		t.Errorf("custody event of a missing item after migration: %v, want EINVALID", err)
	}
	if got := rawQuery(t, path, `SELECT count(*) FROM pragma_foreign_key_check`); got != "0" {
		t.Errorf("foreign_key_check after migration = %q, want nothing", got)
	}
}

func TestMigrateFederation(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accord.db")
	// A database of the first schema, holding a party.
	p := rawProvider(t, path)
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatalf("migrate to version 1: %v", err)
	}
	if got := rawQuery(t, path, `SELECT count(*) FROM sqlite_schema WHERE name = 'messages'`); got != "0" {
		t.Fatalf("messages tables at version 1 = %s, want 0", got)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO parties (id, name, country, kind, endpoint) VALUES ('cncert', 'CNCERT/CC', 'CN', 'local', '')`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	// Open migrates it; the party has no federation identity.
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a version 1 database: %v", err)
	}
	var got *accord.Party
	err = db.View(ctx, func(tx accord.Tx) (err error) {
		got, err = tx.Party("cncert")
		return err
	})
	if err != nil {
		t.Fatalf("Party after migration: %v", err)
	}
	want := &accord.Party{ID: "cncert", Name: "CNCERT/CC", Country: "CN", Kind: accord.PartyLocal}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Party after migration mismatch (-want +got):\n%s", d)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// The down migration undoes it, keeping the party.
	if _, err := p.DownTo(ctx, 1); err != nil {
		t.Fatalf("migrate down to version 1: %v", err)
	}
	if got := rawQuery(t, path, `SELECT count(*) FROM sqlite_schema WHERE name IN ('messages', 'receipts', 'outbox')`); got != "0" {
		t.Errorf("federation tables after the down migration = %s, want 0", got)
	}
	if got := rawQuery(t, path, `SELECT count(*) FROM pragma_table_info('parties') WHERE name IN ('federation_url', 'signing_key', 'tls_cert')`); got != "0" {
		t.Errorf("federation columns of parties after the down migration = %s, want 0", got)
	}
	if got := rawQuery(t, path, `SELECT name FROM parties WHERE id = 'cncert'`); got != "CNCERT/CC" {
		t.Errorf("party name after the down migration = %q, want CNCERT/CC", got)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accord.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	db.Close()
	// Pretend a newer accord migrated the file.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, 1)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	_, err = Open(ctx, path)
	if accord.ErrorCode(err) != accord.EINVALID {
		t.Fatalf("Open of a newer database = %v (code %q), want code %q", err, accord.ErrorCode(err), accord.EINVALID)
	}
	want := "database schema version 99 is newer than this accord (11): upgrade accord"
	if msg := accord.ErrorMessage(err); msg != want {
		t.Errorf("Open of a newer database: message %q, want %q", msg, want)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"empty path", "", accord.EINVALID},
		{"question mark", filepath.Join(dir, "a?b.db"), accord.EINVALID},
		{"in memory", ":memory:", accord.EINVALID},
		{"not a database", garbage, accord.EINVALID},
		{"missing directory", filepath.Join(dir, "no", "such", "dir", "accord.db"), accord.EUNAVAILABLE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(context.Background(), tc.path)
			if err == nil {
				db.Close()
			}
			if got := accord.ErrorCode(err); got != tc.want {
				t.Errorf("Open(%q) = %v (code %q), want code %q", tc.path, err, got, tc.want)
			}
		})
	}
}

func TestPragmas(t *testing.T) {
	db := open(t)
	want := map[string]string{"busy_timeout": "10000", "journal_mode": "wal", "synchronous": "1", "foreign_keys": "1"}
	for name, pool := range map[string]*sql.DB{"writer": db.w, "reader": db.r} {
		for pragma, v := range want {
			var got string
			if err := pool.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, pragma, err)
			}
			if got != v {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, pragma, got, v)
			}
		}
	}
	var q string
	if err := db.r.QueryRow("PRAGMA query_only").Scan(&q); err != nil || q != "1" {
		t.Errorf("reader: PRAGMA query_only = %q (%v), want 1", q, err)
	}
}

func TestConcurrentUpdates(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accord.db")
	// Two stores on one file stand for two processes (the CLI and `accord
	// serve`); each has its own writer connection, so they meet on SQLite's
	// lock, not on database/sql's pool.
	var stores [2]*DB
	for i := range stores {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer db.Close()
		stores[i] = db
	}
	const workers, each = 16, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	seen := make(chan int64, workers*each)
	for w := range workers {
		wg.Go(func() {
			db := stores[w%2]
			for range each {
				err := db.Update(ctx, func(tx accord.Tx) error {
					n, err := tx.NextSeq("request")
					if err != nil {
						return err
					}
					// A read between the increment and the commit widens the
					// window in which another writer could interleave.
					if _, err := tx.Parties(); err != nil {
						return err
					}
					seen <- n
					return nil
				})
				if err != nil {
					errs <- err
				}
			}
		})
		// Readers run alongside and must never block or fail.
		wg.Go(func() {
			for range each {
				if err := stores[w%2].View(ctx, func(tx accord.Tx) error { _, err := tx.Users(); return err }); err != nil {
					errs <- fmt.Errorf("View: %w", err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	close(seen)
	for err := range errs {
		t.Errorf("concurrent Update: %v", err)
	}
	got := map[int64]bool{}
	for n := range seen {
		if got[n] {
			t.Errorf("NextSeq returned %d twice", n)
		}
		got[n] = true
	}
	for n := int64(1); n <= workers*each; n++ {
		if !got[n] {
			t.Errorf("NextSeq never returned %d", n)
		}
	}
}

func TestViewIsQueryOnly(t *testing.T) {
	db := open(t)
	err := db.View(context.Background(), func(atx accord.Tx) error {
		// Bypass the Tx methods' own check: the connection itself refuses.
		_, err := atx.(*tx).tx.Exec(`INSERT INTO counters (name, value) VALUES ('x', 1)`)
		return err
	})
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code() != sqlite3.SQLITE_READONLY {
		t.Errorf("INSERT in a View = %v, want SQLITE_READONLY", err)
	}
	err = db.View(context.Background(), func(tx accord.Tx) error { _, err := tx.NextSeq("x"); return err })
	if accord.ErrorCode(err) != accord.EINTERNAL || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("NextSeq in a View = %v, want EINTERNAL naming the read-only transaction", err)
	}
}

func TestTranslate(t *testing.T) {
	cause := errors.New("disk on fire")
	ae := accord.Errorf(accord.ENOTFOUND, "gone")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"accord error unchanged", ae, accord.ENOTFOUND},
		{"wrapped accord error", fmt.Errorf("x: %w", ae), accord.ENOTFOUND},
		{"cancelled", context.Canceled, accord.EUNAVAILABLE},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), accord.EUNAVAILABLE},
		{"conn done", sql.ErrConnDone, accord.EUNAVAILABLE},
		{"other", cause, accord.EINTERNAL},
	}
	for _, tc := range tests {
		got := translate(tc.err, "do %s", "it")
		if code := accord.ErrorCode(got); code != tc.want {
			t.Errorf("translate(%s) = %v (code %q), want code %q", tc.name, got, code, tc.want)
		}
		if tc.err != nil && !errors.Is(got, tc.err) {
			t.Errorf("translate(%s) = %v, which does not wrap the cause", tc.name, got)
		}
	}
	if got := translate(ae, "x"); got != error(ae) {
		t.Errorf("translate(accord error) = %v, want it unchanged", got)
	}
	if got := translate(cause, "read party %s", "us-cert"); !strings.HasPrefix(got.Error(), "read party us-cert") {
		t.Errorf("translate: message %q, want it to start with the operation", got.Error())
	}
}

// addLedger stores n records with two fake hashes each (entry i has hashes
// 2i and 2i+1) through the store.
func addLedger(t *testing.T, db *DB, n int) {
	t.Helper()
	var records [][]byte
	var indexes []int64
	var hashes [][32]byte
	for i := range n {
		records = append(records, []byte(fmt.Sprintf("record %d\n", i)))
		for _, x := range []int64{2 * int64(i), 2*int64(i) + 1} {
			indexes = append(indexes, x)
			hashes = append(hashes, [32]byte{byte(x), 0xaa})
		}
	}
	err := db.Update(context.Background(), func(tx accord.Tx) error { return tx.AddLedgerEntries(0, records, indexes, hashes) })
	if err != nil {
		t.Fatalf("AddLedgerEntries: %v", err)
	}
}

// ledgerDump returns the stored entries and hashes as text, read outside
// the store.
func ledgerDump(t *testing.T, path string) string {
	t.Helper()
	return rawQuery(t, path, `SELECT coalesce((SELECT group_concat(idx || '=' || CAST(record AS TEXT), ',') FROM ledger_entries), '')
		|| ' ' || coalesce((SELECT group_concat(idx || '=' || hex(hash), ',') FROM ledger_hashes), '')`)
}

func TestLedgerAppendOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accord.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	addLedger(t, db, 3)
	before := ledgerDump(t, path)

	edits := []string{
		`UPDATE ledger_entries SET record = x'00' WHERE idx = 1`,
		`UPDATE ledger_entries SET idx = 7 WHERE idx = 2`,
		`DELETE FROM ledger_entries WHERE idx = 2`,
		`DELETE FROM ledger_entries`,
		`UPDATE ledger_hashes SET hash = zeroblob(32) WHERE idx = 0`,
		`DELETE FROM ledger_hashes WHERE idx = 5`,
		// An upsert updates, so the UPDATE trigger fires.
		`INSERT INTO ledger_hashes (idx, hash) VALUES (0, zeroblob(32)) ON CONFLICT (idx) DO UPDATE SET hash = excluded.hash`,
	}
	raw, err := sql.Open("sqlite", path+"?"+pragmas)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, edit := range edits {
		// On a connection of its own, as an editor of the file would be.
		_, err := raw.Exec(edit)
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code() != sqlite3.SQLITE_CONSTRAINT_TRIGGER || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s on a raw connection = %v, want SQLITE_CONSTRAINT_TRIGGER saying the table is append-only", edit, err)
		}
		// In a store transaction, where a bug would run it: translated.
		err = db.Update(ctx, func(atx accord.Tx) error {
			_, err := atx.(*tx).tx.Exec(edit)
			return translate(err, "edit the ledger")
		})
		if accord.ErrorCode(err) != accord.EINVALID {
			t.Errorf("%s in an Update = %v (code %q), want code %q", edit, err, accord.ErrorCode(err), accord.EINVALID)
		}
	}
	if got := ledgerDump(t, path); got != before {
		t.Errorf("ledger after refused edits = %s, want %s", got, before)
	}

	// What the migration documents for deliberate edits (the tamper tests):
	// drop the trigger first.
	if _, err := raw.Exec(`DROP TRIGGER ledger_entries_no_update`); err != nil {
		t.Fatalf("DROP TRIGGER: %v", err)
	}
	if _, err := raw.Exec(`UPDATE ledger_entries SET record = CAST('forged' AS BLOB) WHERE idx = 1`); err != nil {
		t.Errorf("UPDATE after DROP TRIGGER: %v", err)
	}
	err = db.View(ctx, func(tx accord.Tx) error {
		i, err := tx.LedgerEntryIndex([]byte("forged"))
		if err != nil || i != 1 {
			t.Errorf("LedgerEntryIndex(forged) after the raw edit = %d, %v; want 1", i, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAddLedgerEntriesAllOrNothing(t *testing.T) {
	db := open(t)
	addLedger(t, db, 2) // entries 0 and 1, hashes 0 to 3
	ctx := context.Background()
	err := db.Update(ctx, func(tx accord.Tx) error {
		// The entries and the first hash go in before the last hash
		// clashes; the caller then goes on and commits.
		err := tx.AddLedgerEntries(2, [][]byte{[]byte("record 2\n"), []byte("record 3\n")}, []int64{4, 5, 3}, make([][32]byte, 3))
		if accord.ErrorCode(err) != accord.ECONFLICT {
			t.Errorf("AddLedgerEntries with a stored hash index = %v, want code %q", err, accord.ECONFLICT)
		}
		if n, err := tx.LedgerSize(); err != nil || n != 2 {
			t.Errorf("LedgerSize after the refused append = %d, %v; want 2", n, err)
		}
		if _, err := tx.LedgerHashes([]int64{4}); accord.ErrorCode(err) != accord.ENOTFOUND {
			t.Errorf("LedgerHashes([4]) after the refused append = %v, want code %q", err, accord.ENOTFOUND)
		}
		// The transaction is still usable, and the append can be retried.
		return tx.AddLedgerEntries(2, [][]byte{[]byte("record 2\n")}, []int64{4}, [][32]byte{{4}})
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	err = db.View(ctx, func(tx accord.Tx) error {
		if n, err := tx.LedgerSize(); err != nil || n != 3 {
			t.Errorf("LedgerSize after the retried append = %d, %v; want 3", n, err)
		}
		if _, err := tx.LedgerEntryIndex([]byte("record 3\n")); accord.ErrorCode(err) != accord.ENOTFOUND {
			t.Errorf("LedgerEntryIndex of a record of the refused append = %v, want code %q", err, accord.ENOTFOUND)
		}
		_, err := tx.LedgerHashes([]int64{5})
		if accord.ErrorCode(err) != accord.ENOTFOUND {
			t.Errorf("LedgerHashes([5]) = %v, want code %q", err, accord.ENOTFOUND)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrateLedger(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accord.db")
	p := rawProvider(t, path)
	if _, err := p.UpTo(ctx, 2); err != nil {
		t.Fatalf("migrate to version 2: %v", err)
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a version 2 database: %v", err)
	}
	addLedger(t, db, 1)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := rawQuery(t, path, `SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'ledger_%'`); got != "4" {
		t.Errorf("ledger triggers at version 3 = %s, want 4", got)
	}
	if _, err := p.DownTo(ctx, 2); err != nil {
		t.Fatalf("migrate down to version 2: %v", err)
	}
	if got := rawQuery(t, path, `SELECT count(*) FROM sqlite_schema WHERE tbl_name IN ('ledger_entries', 'ledger_hashes', 'checkpoints')`); got != "0" {
		t.Errorf("ledger tables, indexes and triggers after the down migration = %s, want 0", got)
	}
}
