package sqlite

import (
	"database/sql"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/accord-cyber/accord"
)

// The batch methods of accord.Tx. A batch of messages from a peer, or of
// receipts coming back, touches a few hundred rows; one statement per row
// made the per-statement cost of the driver (binding, stepping, resetting,
// and the mutexes of the transpiled C around each) the larger part of the
// batch's transaction. Reads take the batch's keys as one JSON array
// (json_each), writes insert many rows per statement.

const (
	sqlMessagesByID  = `SELECT ` + messageCols + ` FROM messages WHERE id IN (SELECT value FROM json_each(?))`
	sqlRequestsByID  = `SELECT ` + requestCols + ` FROM requests WHERE id IN (SELECT value FROM json_each(?))`
	sqlOutboxItems   = `SELECT ` + outboxCols + ` FROM outbox WHERE message_id IN (SELECT value FROM json_each(?))`
	sqlLastSeqs      = `SELECT request_id, max(seq) FROM messages WHERE sender = ? AND request_id IN (SELECT value FROM json_each(?)) GROUP BY request_id`
	sqlSetDelivered  = `UPDATE outbox SET delivered_at = ?, last_error = '' WHERE delivered_at IS NULL AND message_id IN (SELECT value FROM json_each(?))`
	maxBatchParams   = 32000 // SQLite's limit is 32766 host parameters per statement
	maxRowsPerInsert = 500   // beyond this a statement's text costs more to parse than it saves
)

// jsonArray encodes keys as the JSON array json_each reads.
func jsonArray(keys []string) (string, error) {
	b, err := json.Marshal(keys)
	return string(b), err
}

// MessagesByID returns the stored messages among ids, by id.
func (t *tx) MessagesByID(ids []string) (map[string]*accord.Message, error) {
	out := make(map[string]*accord.Message, len(ids))
	err := t.queryKeys(sMessagesByID, "read messages", ids, func(rows *sql.Rows) error {
		m, err := scanMessage(rows)
		if err == nil {
			out[m.ID] = m
		}
		return err
	})
	return out, err
}

// RequestsByID returns the stored requests among ids, by id.
func (t *tx) RequestsByID(ids []string) (map[string]*accord.Request, error) {
	out := make(map[string]*accord.Request, len(ids))
	err := t.queryKeys(sRequestsByID, "read requests", ids, func(rows *sql.Rows) error {
		r, err := scanRequest(rows)
		if err == nil {
			out[r.ID] = r
		}
		return err
	})
	return out, err
}

// OutboxItems returns the outbox items of the messages among messageIDs
// that were queued, by message id.
func (t *tx) OutboxItems(messageIDs []string) (map[string]*accord.OutboxItem, error) {
	out := make(map[string]*accord.OutboxItem, len(messageIDs))
	err := t.queryKeys(sOutboxItems, "read outbox items", messageIDs, func(rows *sql.Rows) error {
		o, err := scanOutboxItem(rows)
		if err == nil {
			out[o.MessageID] = o
		}
		return err
	})
	return out, err
}

// LastSeqs returns, for each of requestIDs about which sender sent a stored
// message, the highest Seq of those messages; requests absent from the map
// have none (LastSeq 0).
func (t *tx) LastSeqs(sender string, requestIDs []string) (map[string]int, error) {
	out := make(map[string]int, len(requestIDs))
	err := t.queryKeys(sLastSeqs, "read the last message numbers of "+sender, requestIDs, func(rows *sql.Rows) error {
		var id string
		var n int
		err := rows.Scan(&id, &n)
		out[id] = n
		return err
	}, sender)
	return out, err
}

// queryKeys runs prepared query s with the leading args and keys as a JSON
// array, and calls fn on each row.
func (t *tx) queryKeys(s stmt, op string, keys []string, fn func(*sql.Rows) error, args ...any) error {
	if len(keys) == 0 {
		return nil
	}
	arr, err := jsonArray(keys)
	if err != nil {
		return accord.Internal(err, "%s", op)
	}
	rows, err := t.stmt(s).QueryContext(t.ctx, append(args, arr)...)
	if err != nil {
		return translate(err, "%s", op)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return translate(err, "%s", op)
		}
	}
	return translate(rows.Err(), "%s", op)
}

// SetDelivered marks the undelivered outbox items of messageIDs delivered at
// at, clearing their last error. Items delivered already keep their time;
// ids without an item are ignored.
func (t *tx) SetDelivered(messageIDs []string, at time.Time) error {
	if err := t.writable("mark messages delivered"); err != nil {
		return err
	}
	if len(messageIDs) == 0 {
		return nil
	}
	if at.IsZero() {
		return accord.FieldError("delivered_at", "must be set")
	}
	arr, err := jsonArray(messageIDs)
	if err != nil {
		return accord.Internal(err, "mark messages delivered")
	}
	_, err = t.exec(sSetDelivered, timeArg(at), arr)
	return translate(err, "mark %d messages delivered", len(messageIDs))
}

// AddMessages stores ms as AddMessage would, in order, all or none.
func (t *tx) AddMessages(ms []*accord.Message) error {
	return t.insertRows("messages ("+messageCols+")", 11, len(ms), func(i int, args []any) []any {
		m := ms[i]
		return append(args, m.ID, string(m.Kind), m.Sender, m.Recipient, m.RequestID, m.Seq,
			timeArg(m.CreatedAt), string(m.Body), m.JWS, m.Digest, timeArg(m.ReceivedAt))
	}, func(i int) error { return t.AddMessage(ms[i]) })
}

// AddReceipts stores rs as AddReceipt would, in order, all or none.
func (t *tx) AddReceipts(rs []*accord.Receipt) error {
	return t.insertRows("receipts ("+receiptCols+")", 6, len(rs), func(i int, args []any) []any {
		r := rs[i]
		return append(args, r.MessageID, r.Digest, r.Sender, r.Receiver, timeArg(r.ReceivedAt), r.JWS)
	}, func(i int) error { return t.AddReceipt(rs[i]) })
}

// AddEvents stores es as AddEvent would, in order, all or none.
func (t *tx) AddEvents(es []*accord.Event) error {
	return t.insertRows("request_events ("+eventCols+")", 10, len(es), func(i int, args []any) []any {
		e := es[i]
		return append(args, e.RequestID, e.Seq, string(e.Action), string(e.From), string(e.To), e.Party,
			timeArg(e.At), timeArg(e.RecordedAt), e.Actor, e.Note)
	}, func(i int) error { return t.AddEvent(es[i]) })
}

// CreateRequests stores rs as CreateRequest would, in order, all or none.
func (t *tx) CreateRequests(rs []*accord.Request) error {
	return t.insertRows("requests ("+requestCols+")", 33, len(rs), func(i int, args []any) []any {
		return append(append(args, rs[i].ID), requestArgs(rs[i])...)
	}, func(i int) error { return t.CreateRequest(rs[i]) })
}

// insertRows inserts n rows of cols columns into table ("name (col, …)"),
// many per statement, under a savepoint so that a failure leaves none of
// them. row appends row i's values to args. When a statement fails on a
// constraint, the rows are tried again one by one with one, whose error
// names the row and the field, and that error is returned.
func (t *tx) insertRows(table string, cols, n int, row func(i int, args []any) []any, one func(i int) error) error {
	op := "insert into " + table[:strings.IndexByte(table, ' ')]
	if err := t.writable(op); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if _, err := t.exec(sSavepoint); err != nil {
		return translate(err, "%s: open a savepoint", op)
	}
	err := t.insertChunks(table, cols, n, row)
	if code := accord.ErrorCode(err); code == accord.ECONFLICT || code == accord.EINVALID {
		// Undo the chunks that went in, then find the row at fault.
		if _, rerr := t.exec(sRollbackTo); rerr != nil {
			return translate(rerr, "%s: roll back to the savepoint", op)
		}
		for i := 0; i < n; i++ {
			if rerr := one(i); rerr != nil {
				err = rerr
				break
			}
		}
	}
	if err != nil {
		if _, rerr := t.exec(sRollbackTo); rerr == nil {
			_, _ = t.exec(sRelease)
		}
		return err
	}
	_, err = t.exec(sRelease)
	return translate(err, "%s: release the savepoint", op)
}

func (t *tx) insertChunks(table string, cols, n int, row func(i int, args []any) []any) error {
	per := min(maxBatchParams/cols, maxRowsPerInsert)
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		args := make([]any, 0, cols*(hi-lo))
		for i := lo; i < hi; i++ {
			args = row(i, args)
		}
		if _, err := t.tx.ExecContext(t.ctx, valuesInsert(table, cols, hi-lo), args...); err != nil {
			return translate(err, "insert rows %d to %d into %s", lo, hi-1, table)
		}
	}
	return nil
}

// valuesInsert returns "INSERT INTO table VALUES (?, …), …" with n rows of
// cols parameters. The texts are kept: a batch of a given size recurs.
func valuesInsert(table string, cols, n int) string {
	key := insertKey{table, cols, n}
	if s, ok := insertTexts.Load(key); ok {
		return s.(string)
	}
	s := buildValuesInsert(table, cols, n)
	insertTexts.Store(key, s)
	return s
}

type insertKey struct {
	table   string
	cols, n int
}

var insertTexts sync.Map // insertKey → string

func buildValuesInsert(table string, cols, n int) string {
	var b strings.Builder
	b.Grow(len(table) + 20 + n*(cols*3+2))
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := 0; c < cols; c++ {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	return b.String()
}
