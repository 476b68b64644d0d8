package sqlite

import (
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/accord-cyber/accord"
)

const (
	// max(idx) reads the last row of the rowid table: no scan.
	sqlLedgerSize     = `SELECT coalesce(max(idx) + 1, 0) FROM ledger_entries`
	sqlLedgerHash     = `SELECT hash FROM ledger_hashes WHERE idx = ?`
	sqlLedgerHashes   = `SELECT idx, hash FROM ledger_hashes WHERE idx BETWEEN ? AND ? ORDER BY idx`
	sqlLedgerEntries  = `SELECT idx, record FROM ledger_entries WHERE idx >= ? ORDER BY idx`
	sqlLedgerEntryIdx = `SELECT idx FROM ledger_entries WHERE record = ?`
	// AddLedgerEntries writes all or nothing even when its caller goes on
	// with the transaction after an error.
	sqlSavepoint  = `SAVEPOINT add_ledger_entries`
	sqlRelease    = `RELEASE add_ledger_entries`
	sqlRollbackTo = `ROLLBACK TO add_ledger_entries`

	checkpointCols      = `party, size, hash, note, cosigned, cosigned_at, created_at`
	sqlLatestCheckpoint = `SELECT ` + checkpointCols + ` FROM checkpoints WHERE party = ? ORDER BY size DESC LIMIT 1`
	sqlCheckpoints      = `SELECT ` + checkpointCols + ` FROM checkpoints WHERE party = ? ORDER BY size`
	sqlAddCheckpoint    = `INSERT INTO checkpoints (` + checkpointCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
	sqlSetCosigned      = `UPDATE checkpoints SET cosigned = ?, cosigned_at = ? WHERE party = ? AND size = ?`
)

// LedgerSize returns the number of entries in the ledger: one more than the
// largest entry index, or 0 when it is empty.
func (t *tx) LedgerSize() (int64, error) {
	var n int64
	if err := t.stmt(sLedgerSize).QueryRowContext(t.ctx).Scan(&n); err != nil {
		return 0, translate(err, "read the ledger size")
	}
	return n, nil
}

// AddLedgerEntries stores records as entries first, first+1, … and
// hashes[i] as the stored hash at hashIndexes[i], with plain inserts: all of
// them or, on an error, none, even if the caller goes on with the
// transaction. It checks nothing of the tree (package ledger computes it).
// EINVALID unless first is LedgerSize() and there are as many hash indexes
// as hashes, or for an empty record or a negative hash index; ECONFLICT if
// a hash index or a record is stored already (the ledger is append-only and
// records are unique).
func (t *tx) AddLedgerEntries(first int64, records [][]byte, hashIndexes []int64, hashes [][32]byte) error {
	if err := t.writable("add ledger entries from " + strconv.FormatInt(first, 10)); err != nil {
		return err
	}
	if len(hashIndexes) != len(hashes) {
		return accord.Errorf(accord.EINVALID, "add ledger entries from %d: %d hash indexes for %d hashes", first, len(hashIndexes), len(hashes))
	}
	n, err := t.LedgerSize()
	if err != nil {
		return err
	}
	if first != n {
		return accord.Errorf(accord.EINVALID, "add ledger entries from %d: the ledger has %d entries, so the next is %d", first, n, n)
	}
	if len(records) == 0 && len(hashes) == 0 {
		return nil
	}
	if _, err := t.exec(sSavepoint); err != nil {
		return translate(err, "add ledger entries from %d: open a savepoint", first)
	}
	if err := t.addLedgerEntries(first, records, hashIndexes, hashes); err != nil {
		// The transaction's fate is the caller's: on failure of the
		// rollback, the error returned already tells it to abandon it.
		if _, rerr := t.exec(sRollbackTo); rerr == nil {
			_, _ = t.exec(sRelease)
		}
		return err
	}
	_, err = t.exec(sRelease)
	return translate(err, "add ledger entries from %d: release the savepoint", first)
}

// addLedgerEntries inserts the rows of AddLedgerEntries, many rows per
// statement: a batch of messages brings a few hundred entries and hashes,
// and one statement per row was the largest share of a batch's commit.
func (t *tx) addLedgerEntries(first int64, records [][]byte, hashIndexes []int64, hashes [][32]byte) error {
	const rowsPer = 400 // 800 parameters, well under SQLite's limit
	for lo := 0; lo < len(records); lo += rowsPer {
		hi := min(lo+rowsPer, len(records))
		args := make([]any, 0, 2*(hi-lo))
		for i := lo; i < hi; i++ {
			args = append(args, first+int64(i), records[i])
		}
		if _, err := t.tx.ExecContext(t.ctx, valuesInsert("ledger_entries (idx, record)", 2, hi-lo), args...); err != nil {
			return translate(err, "add ledger entries %d to %d", first+int64(lo), first+int64(hi)-1)
		}
	}
	for lo := 0; lo < len(hashIndexes); lo += rowsPer {
		hi := min(lo+rowsPer, len(hashIndexes))
		args := make([]any, 0, 2*(hi-lo))
		for i := lo; i < hi; i++ {
			args = append(args, hashIndexes[i], hashes[i][:])
		}
		if _, err := t.tx.ExecContext(t.ctx, valuesInsert("ledger_hashes (idx, hash)", 2, hi-lo), args...); err != nil {
			return translate(err, "add ledger hashes %d to %d", hashIndexes[lo], hashIndexes[hi-1])
		}
	}
	return nil
}

// LedgerHashes returns the stored hashes at indexes, in the order asked
// (empty, non-nil for none). Each run of consecutive ascending indexes is
// read with one range query, each other index with a point query: tlog asks
// for a few scattered indexes, ledger.Verify for long runs. ENOTFOUND names
// the first index, in the order asked, that is not stored.
func (t *tx) LedgerHashes(indexes []int64) ([][32]byte, error) {
	out := make([][32]byte, len(indexes))
	for i := 0; i < len(indexes); {
		j := i + 1
		for j < len(indexes) && indexes[j] == indexes[j-1]+1 {
			j++
		}
		var err error
		if j-i == 1 {
			err = t.ledgerHash(indexes[i], &out[i])
		} else {
			err = t.ledgerHashRun(indexes[i:j], out[i:j])
		}
		if err != nil {
			return nil, err
		}
		i = j
	}
	return out, nil
}

// errHashNotFound is the ENOTFOUND of LedgerHashes.
func errHashNotFound(x int64) error {
	return accord.Errorf(accord.ENOTFOUND, "ledger hash %d not found", x)
}

// ledgerHash reads the stored hash at x into *dst.
func (t *tx) ledgerHash(x int64, dst *[32]byte) error {
	err := t.stmt(sLedgerHash).QueryRowContext(t.ctx, x).Scan(hashDest{dst})
	if errors.Is(err, sql.ErrNoRows) {
		return errHashNotFound(x)
	}
	return translate(err, "read ledger hash %d", x)
}

// ledgerHashRun reads the stored hashes at run, which are consecutive and
// ascending, into dst.
func (t *tx) ledgerHashRun(run []int64, dst [][32]byte) error {
	lo, hi := run[0], run[len(run)-1]
	rows, err := t.stmt(sLedgerHashes).QueryContext(t.ctx, lo, hi)
	if err != nil {
		return translate(err, "read ledger hashes %d to %d", lo, hi)
	}
	defer rows.Close()
	k := 0
	for rows.Next() {
		var x int64
		if err := rows.Scan(&x, hashDest{&dst[k]}); err != nil {
			return translate(err, "read ledger hashes %d to %d", lo, hi)
		}
		if x != run[k] {
			return errHashNotFound(run[k]) // x skipped it
		}
		k++
	}
	if err := rows.Err(); err != nil {
		return translate(err, "read ledger hashes %d to %d", lo, hi)
	}
	if k < len(run) {
		return errHashNotFound(run[k])
	}
	return nil
}

// LedgerEntries calls fn with each entry from index from on, in index
// order, from one cursor: the entries are streamed, never all held. The
// record passed to fn is a copy that fn may keep. It stops at the first
// error of fn and returns that error unchanged; fn may read through the
// same Tx meanwhile (ledger.Verify reads the stored hashes).
func (t *tx) LedgerEntries(from int64, fn func(index int64, record []byte) error) error {
	rows, err := t.stmt(sLedgerEntries).QueryContext(t.ctx, from)
	if err != nil {
		return translate(err, "read ledger entries from %d", from)
	}
	defer rows.Close()
	for rows.Next() {
		var x int64
		var rec []byte // database/sql copies the driver's bytes into a []byte
		if err := rows.Scan(&x, &rec); err != nil {
			return translate(err, "read ledger entries from %d", from)
		}
		if err := fn(x, rec); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "read ledger entries from %d", from)
}

// LedgerEntryIndex returns the index of the entry whose record is
// byte-equal to record; ENOTFOUND, quoting the record, if there is none.
func (t *tx) LedgerEntryIndex(record []byte) (int64, error) {
	var x int64
	err := t.stmt(sLedgerEntryIdx).QueryRowContext(t.ctx, record).Scan(&x)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, accord.Errorf(accord.ENOTFOUND, "ledger entry with record %s not found", quoteRecord(record))
	}
	if err != nil {
		return 0, translate(err, "find the ledger entry with record %s", quoteRecord(record))
	}
	return x, nil
}

// quoteRecord returns record quoted for a message, shortened when long.
// Records are text (kind, message id, digest), never confidential content.
func quoteRecord(record []byte) string {
	const limit = 160
	if len(record) > limit {
		return strconv.Quote(string(record[:limit])) + "…"
	}
	return strconv.Quote(string(record))
}

func scanCheckpoint(row scanner) (*accord.StoredCheckpoint, error) {
	var c accord.StoredCheckpoint
	err := row.Scan(&c.Party, &c.Size, hashDest{&c.Hash}, blobDest{&c.Note}, blobDest{&c.Cosigned},
		timeDest{&c.CosignedAt}, timeDest{&c.CreatedAt})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// AddCheckpoint stores c, keeping Note and Cosigned byte for byte; an empty
// Cosigned is stored as absent and read back as nil. ECONFLICT if a
// checkpoint of c.Party at c.Size is stored; EINVALID if a field breaks the
// schema (empty party or note, negative size, zero CreatedAt).
func (t *tx) AddCheckpoint(c *accord.StoredCheckpoint) error {
	if err := t.writable("add checkpoint of " + c.Party); err != nil {
		return err
	}
	_, err := t.exec(sAddCheckpoint, c.Party, c.Size, c.Hash[:], c.Note, blobArg(c.Cosigned),
		timeArg(c.CosignedAt), timeArg(c.CreatedAt))
	return translate(err, "add checkpoint of %s at size %d", c.Party, c.Size)
}

// LatestCheckpoint returns the stored checkpoint of party with the largest
// size; ENOTFOUND, naming the party, if none is stored.
func (t *tx) LatestCheckpoint(party string) (*accord.StoredCheckpoint, error) {
	c, err := scanCheckpoint(t.stmt(sLatestCheckpoint).QueryRowContext(t.ctx, party))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accord.Errorf(accord.ENOTFOUND, "checkpoint of %s not found", party)
	}
	if err != nil {
		return nil, translate(err, "read the latest checkpoint of %s", party)
	}
	return c, nil
}

// Checkpoints returns every stored checkpoint of party, by size (empty,
// non-nil when there is none).
func (t *tx) Checkpoints(party string) ([]*accord.StoredCheckpoint, error) {
	rows, err := t.stmt(sCheckpoints).QueryContext(t.ctx, party)
	if err != nil {
		return nil, translate(err, "list checkpoints of %s", party)
	}
	defer rows.Close()
	out := []*accord.StoredCheckpoint{}
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, translate(err, "list checkpoints of %s", party)
		}
		out = append(out, c)
	}
	return out, translate(rows.Err(), "list checkpoints of %s", party)
}

// SetCosigned stores cosigned, the checkpoint note of party at size with
// the witness's cosignature, and at, when it was stored, replacing any
// earlier ones; the other fields are not changed. EINVALID for an empty
// cosigned; ENOTFOUND, naming party and size, if no such checkpoint is
// stored.
func (t *tx) SetCosigned(party string, size int64, cosigned []byte, at time.Time) error {
	if err := t.writable("set the cosigned checkpoint of " + party); err != nil {
		return err
	}
	if len(cosigned) == 0 {
		return accord.FieldError("cosigned", "set the cosigned checkpoint of %s at size %d: empty note", party, size)
	}
	res, err := t.exec(sSetCosigned, cosigned, timeArg(at), party, size)
	if err != nil {
		return translate(err, "set the cosigned checkpoint of %s at size %d", party, size)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, "set the cosigned checkpoint of %s at size %d", party, size)
	}
	if n == 0 {
		return accord.Errorf(accord.ENOTFOUND, "checkpoint of %s at size %d not found", party, size)
	}
	return nil
}
