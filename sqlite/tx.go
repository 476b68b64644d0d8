package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/accord-cyber/accord"
)

// timeLayout is how times are stored: UTC, microseconds, fixed width, so that
// comparing the text compares the instants.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// stmt names one prepared statement. The read statements come first: the
// reader pool prepares only those, the writer prepares all of them.
type stmt int

const (
	sParty stmt = iota
	sParties
	sUserByName
	sUserByTokenHash
	sUsers
	sCase
	sRequest
	sRequestSeq
	sEvents
	sAnswers
	sMessage
	sMessages
	sMessageExists
	sLastSeq
	sCountMessages
	sCountMessagesBy
	sReceipt
	sCountReceipts
	sCountReceiptsBy
	sDueOutbox
	sDueMessages
	sOutboxItem
	sPendingOutbox
	sPendingOutboxTo
	sLedgerSize
	sLedgerHash
	sLedgerHashes
	sLedgerEntries
	sLedgerEntryIdx
	sLatestCheckpoint
	sCheckpoints
	sMessagesByID
	sRequestsByID
	sOutboxItems
	sLastSeqs
	nReadStmts // the number of read statements
)

const (
	sPutParty stmt = nReadStmts + iota
	sCreateUser
	sNextSeq
	sCreateCase
	sUpdateCase
	sCreateRequest
	sUpdateRequest
	sAddEvent
	sAddAnswer
	sAddMessage
	sAddReceipt
	sEnqueue
	sUpdateOutbox
	sSavepoint
	sRelease
	sRollbackTo
	sAddCheckpoint
	sSetCosigned
	sSetDelivered
	nStmts
)

// statements returns the SQL of every prepared statement, indexed by stmt.
func statements() [nStmts]string {
	return [nStmts]string{
		sParty:            sqlParty,
		sParties:          sqlParties,
		sUserByName:       sqlUserByName,
		sUserByTokenHash:  sqlUserByTokenHash,
		sUsers:            sqlUsers,
		sCase:             sqlCase,
		sRequest:          sqlRequest,
		sRequestSeq:       sqlRequestSeq,
		sEvents:           sqlEvents,
		sAnswers:          sqlAnswers,
		sMessage:          sqlMessage,
		sMessages:         sqlMessages,
		sMessageExists:    sqlMessageExists,
		sLastSeq:          sqlLastSeq,
		sCountMessages:    sqlCountMessages,
		sCountMessagesBy:  sqlCountMessagesBy,
		sReceipt:          sqlReceipt,
		sCountReceipts:    sqlCountReceipts,
		sCountReceiptsBy:  sqlCountReceiptsBy,
		sDueOutbox:        sqlDueOutbox,
		sDueMessages:      sqlDueMessages,
		sOutboxItem:       sqlOutboxItem,
		sPendingOutbox:    sqlPendingOutbox,
		sPendingOutboxTo:  sqlPendingOutboxTo,
		sLedgerSize:       sqlLedgerSize,
		sLedgerHash:       sqlLedgerHash,
		sLedgerHashes:     sqlLedgerHashes,
		sLedgerEntries:    sqlLedgerEntries,
		sLedgerEntryIdx:   sqlLedgerEntryIdx,
		sLatestCheckpoint: sqlLatestCheckpoint,
		sCheckpoints:      sqlCheckpoints,
		sMessagesByID:     sqlMessagesByID,
		sRequestsByID:     sqlRequestsByID,
		sOutboxItems:      sqlOutboxItems,
		sLastSeqs:         sqlLastSeqs,
		sPutParty:         sqlPutParty,
		sCreateUser:       sqlCreateUser,
		sNextSeq:          sqlNextSeq,
		sCreateCase:       sqlCreateCase,
		sUpdateCase:       sqlUpdateCase,
		sCreateRequest:    sqlCreateRequest,
		sUpdateRequest:    sqlUpdateRequest,
		sAddEvent:         sqlAddEvent,
		sAddAnswer:        sqlAddAnswer,
		sAddMessage:       sqlAddMessage,
		sAddReceipt:       sqlAddReceipt,
		sEnqueue:          sqlEnqueue,
		sUpdateOutbox:     sqlUpdateOutbox,
		sSavepoint:        sqlSavepoint,
		sRelease:          sqlRelease,
		sRollbackTo:       sqlRollbackTo,
		sAddCheckpoint:    sqlAddCheckpoint,
		sSetCosigned:      sqlSetCosigned,
		sSetDelivered:     sqlSetDelivered,
	}
}

// prepared holds the statements prepared on one *sql.DB. database/sql
// prepares each lazily on every connection of that DB and keeps it there, so
// a transaction reuses the compiled statement instead of parsing SQL again.
type prepared [nStmts]*sql.Stmt

// prepare prepares the first n statements on db.
func prepare(ctx context.Context, db *sql.DB, n stmt) (*prepared, error) {
	var p prepared
	text := statements()
	for i := stmt(0); i < n; i++ {
		s, err := db.PrepareContext(ctx, text[i])
		if err != nil {
			p.close()
			return nil, fmt.Errorf("prepare %q: %w", text[i], err)
		}
		p[i] = s
	}
	return &p, nil
}

// close closes every prepared statement.
func (p *prepared) close() {
	for _, s := range p {
		if s != nil {
			s.Close()
		}
	}
}

// tx implements accord.Tx on one database/sql transaction. It is used by one
// goroutine, for the duration of one Update or View call.
type tx struct {
	ctx      context.Context
	tx       *sql.Tx
	prepared *prepared
	readOnly bool
	// stmts caches the transaction-bound form of each prepared statement, so
	// a transaction that repeats a statement binds it once.
	stmts [nStmts]*sql.Stmt
}

var _ accord.Tx = (*tx)(nil)

// stmt returns prepared statement s bound to the transaction.
func (t *tx) stmt(s stmt) *sql.Stmt {
	if t.stmts[s] == nil {
		t.stmts[s] = t.tx.StmtContext(t.ctx, t.prepared[s])
	}
	return t.stmts[s]
}

// exec runs a prepared write statement.
func (t *tx) exec(s stmt, args ...any) (sql.Result, error) {
	return t.stmt(s).ExecContext(t.ctx, args...)
}

// writable returns EINTERNAL when the transaction is a View: writing there
// is a bug of the caller. The reader connections are query-only as well, so
// this only makes the error clear.
func (t *tx) writable(op string) error {
	if t.readOnly {
		return accord.Errorf(accord.EINTERNAL, "%s: write in a read-only transaction", op)
	}
	return nil
}

// timeArg returns the stored form of t: NULL for the zero time, else UTC text
// truncated to microseconds.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

// textArg returns NULL for "" and s otherwise, for optional references and
// optional unique values.
func textArg(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// blobArg returns NULL for an empty b and b otherwise, for optional binary
// values (keys, certificates).
func blobArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// timeDest scans a stored time (or NULL, as the zero time) into *p.
type timeDest struct{ p *time.Time }

// Scan implements sql.Scanner.
func (d timeDest) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*d.p = time.Time{}
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("stored time is %T, not text", src)
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		// Rows edited by hand may carry another RFC 3339 form.
		t, err = time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("stored time %q: %w", s, err)
		}
	}
	*d.p = t.UTC()
	return nil
}

// hashDest scans a stored 32-byte hash into *p, refusing a blob of another
// length (the schema checks it; a file edited by hand may not).
type hashDest struct{ p *[32]byte }

// Scan implements sql.Scanner.
func (d hashDest) Scan(src any) error {
	b, ok := src.([]byte)
	if !ok {
		return fmt.Errorf("stored hash is %T, not a blob", src)
	}
	if len(b) != len(d.p) {
		return fmt.Errorf("stored hash has %d bytes, not %d", len(b), len(d.p))
	}
	copy(d.p[:], b)
	return nil
}

// textDest scans text (or NULL, as "") into *p.
type textDest struct{ p *string }

// Scan implements sql.Scanner.
func (d textDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.p = ""
	case string:
		*d.p = v
	case []byte:
		*d.p = string(v)
	default:
		return fmt.Errorf("stored text is %T", src)
	}
	return nil
}

// blobDest scans a blob into *p as a copy of its own, NULL and the empty blob
// as nil.
type blobDest struct{ p *[]byte }

// Scan implements sql.Scanner.
func (d blobDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.p = nil
	case []byte:
		// The driver may reuse v once Scan returns.
		*d.p = nil
		if len(v) > 0 {
			*d.p = bytes.Clone(v)
		}
	default:
		return fmt.Errorf("stored blob is %T", src)
	}
	return nil
}

// pageClause returns the LIMIT/OFFSET clause for limit and offset (0: none),
// or EINVALID when either is negative.
func pageClause(limit, offset int) (string, []any, error) {
	if limit < 0 {
		return "", nil, accord.FieldError("limit", "%d is negative", limit)
	}
	if offset < 0 {
		return "", nil, accord.FieldError("offset", "%d is negative", offset)
	}
	switch {
	case limit > 0:
		return " LIMIT ? OFFSET ?", []any{limit, offset}, nil
	case offset > 0:
		// SQLite has no OFFSET without LIMIT; -1 means no limit.
		return " LIMIT -1 OFFSET ?", []any{offset}, nil
	}
	return "", nil, nil
}
