package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/accord-cyber/accord"
)

const messageCols = `id, kind, sender, recipient, request_id, seq, created_at, body, jws, digest, received_at`

const (
	sqlMessage       = `SELECT ` + messageCols + ` FROM messages WHERE id = ?`
	sqlMessages      = `SELECT ` + messageCols + ` FROM messages WHERE request_id = ? ORDER BY pos`
	sqlMessageExists = `SELECT 1 FROM messages WHERE id = ?`
	sqlLastSeq       = `SELECT coalesce(max(seq), 0) FROM messages WHERE request_id = ? AND sender = ?`
	sqlCountMessages = `SELECT count(*) FROM messages`
	// A separate statement for one sender rather than "? = '' OR sender = ?",
	// which would keep the planner from the sender index.
	sqlCountMessagesBy = `SELECT count(*) FROM messages WHERE sender = ?`
	sqlAddMessage      = `INSERT INTO messages (` + messageCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	receiptCols        = `message_id, digest, sender, receiver, received_at, jws`
	sqlReceipt         = `SELECT ` + receiptCols + ` FROM receipts WHERE message_id = ?`
	sqlCountReceipts   = `SELECT count(*) FROM receipts`
	sqlCountReceiptsBy = `SELECT count(*) FROM receipts WHERE receiver = ?`
	sqlAddReceipt      = `INSERT INTO receipts (` + receiptCols + `) VALUES (?, ?, ?, ?, ?, ?)`

	outboxCols = `message_id, peer, request_id, seq, attempts, next_attempt_at, last_error, created_at, delivered_at`
	// A NULL next_attempt_at is the zero time, which is before every now.
	sqlDueOutbox = `SELECT ` + outboxCols + ` FROM outbox
		WHERE peer = ? AND delivered_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
		ORDER BY pos LIMIT ?`
	sqlDueMessages = `SELECT o.message_id, o.peer, o.request_id, o.seq, o.attempts, o.next_attempt_at, o.last_error, o.created_at, o.delivered_at,
		m.id, m.kind, m.sender, m.recipient, m.request_id, m.seq, m.created_at, m.body, m.jws, m.digest, m.received_at
		FROM outbox o JOIN messages m ON m.id = o.message_id
		WHERE o.peer = ? AND o.delivered_at IS NULL AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?)
		AND o.request_id NOT IN (SELECT value FROM json_each(?))
		ORDER BY o.pos LIMIT ?`
	sqlOutboxItem      = `SELECT ` + outboxCols + ` FROM outbox WHERE message_id = ?`
	sqlPendingOutbox   = `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`
	sqlPendingOutboxTo = `SELECT count(*) FROM outbox WHERE peer = ? AND delivered_at IS NULL`
	sqlEnqueue         = `INSERT INTO outbox (` + outboxCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlUpdateOutbox    = `UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, delivered_at = ?
		WHERE message_id = ?`
)

func scanMessage(row scanner) (*accord.Message, error) {
	var m accord.Message
	var body string
	if err := row.Scan(messageDests(&m, &body)...); err != nil {
		return nil, err
	}
	m.Body = messageBody(body)
	return &m, nil
}

// messageDests returns the scan destinations of messageCols, the body
// going to *body (see messageBody).
func messageDests(m *accord.Message, body *string) []any {
	return []any{&m.ID, &m.Kind, &m.Sender, &m.Recipient, &m.RequestID, &m.Seq, timeDest{&m.CreatedAt},
		body, blobDest{&m.JWS}, &m.Digest, timeDest{&m.ReceivedAt}}
}

// messageBody is the Body of a stored body: nil for an empty one.
func messageBody(body string) json.RawMessage {
	if body == "" {
		return nil
	}
	return json.RawMessage(body)
}

// AddMessage stores m, sent (zero ReceivedAt) or received, keeping Body and
// JWS byte for byte; a nil or empty Body is read back as nil. The request
// m.RequestID names need not be stored. ECONFLICT if m's id is taken or its
// sender already sent a message with the same Seq about the same request;
// EINVALID if a field breaks the schema (empty id, unknown kind, Seq below 1,
// a Body that is not JSON, no JWS or Digest).
func (t *tx) AddMessage(m *accord.Message) error {
	if err := t.writable("add message " + m.ID); err != nil {
		return err
	}
	// Body is bound as a string: the column is TEXT and the table STRICT,
	// and a []byte would be a blob.
	_, err := t.exec(sAddMessage, m.ID, string(m.Kind), m.Sender, m.Recipient, m.RequestID, m.Seq,
		timeArg(m.CreatedAt), string(m.Body), m.JWS, m.Digest, timeArg(m.ReceivedAt))
	return translate(err, "add message %s", m.ID)
}

// Message returns the message with the given id; ENOTFOUND if there is none.
func (t *tx) Message(id string) (*accord.Message, error) {
	m, err := scanMessage(t.stmt(sMessage).QueryRowContext(t.ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accord.Errorf(accord.ENOTFOUND, "message %s not found", id)
	}
	if err != nil {
		return nil, translate(err, "read message %s", id)
	}
	return m, nil
}

// Messages returns the messages about a request in the order they were
// stored, whoever sent them (empty, non-nil when none). The request itself
// need not be stored.
func (t *tx) Messages(requestID string) ([]*accord.Message, error) {
	rows, err := t.stmt(sMessages).QueryContext(t.ctx, requestID)
	if err != nil {
		return nil, translate(err, "list messages of request %s", requestID)
	}
	defer rows.Close()
	out := []*accord.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, translate(err, "list messages of request %s", requestID)
		}
		out = append(out, m)
	}
	return out, translate(rows.Err(), "list messages of request %s", requestID)
}

// LastSeq returns the highest Seq of the stored messages sender sent about
// requestID, or 0 when there is none.
func (t *tx) LastSeq(requestID, sender string) (int, error) {
	var n int
	if err := t.stmt(sLastSeq).QueryRowContext(t.ctx, requestID, sender).Scan(&n); err != nil {
		return 0, translate(err, "read the last message number of %s about request %s", sender, requestID)
	}
	return n, nil
}

// count runs a prepared count(*) statement.
func (t *tx) count(s stmt, op string, args ...any) (int, error) {
	var n int
	if err := t.stmt(s).QueryRowContext(t.ctx, args...).Scan(&n); err != nil {
		return 0, translate(err, "%s", op)
	}
	return n, nil
}

// CountMessages returns how many stored messages sender sent, or how many
// messages are stored when sender is "".
func (t *tx) CountMessages(sender string) (int, error) {
	if sender == "" {
		return t.count(sCountMessages, "count messages")
	}
	return t.count(sCountMessagesBy, "count messages of "+sender, sender)
}

// explainMessage returns, when err is EINVALID because the message a
// receipt or outbox item refers to is not stored, an EINVALID error naming
// field and saying so; otherwise err.
func (t *tx) explainMessage(field, messageID string, err error) error {
	if accord.ErrorCode(err) != accord.EINVALID {
		return err
	}
	var one int
	if qerr := t.stmt(sMessageExists).QueryRowContext(t.ctx, messageID).Scan(&one); errors.Is(qerr, sql.ErrNoRows) {
		return &accord.Error{Code: accord.EINVALID, Field: field, Message: "message " + messageID + " does not exist", Err: err}
	}
	return err
}

// AddReceipt stores r, keeping its JWS byte for byte. ECONFLICT if a receipt
// for the same message is stored; EINVALID if the message is not stored or
// r has no JWS.
func (t *tx) AddReceipt(r *accord.Receipt) error {
	if err := t.writable("add receipt for message " + r.MessageID); err != nil {
		return err
	}
	_, err := t.exec(sAddReceipt, r.MessageID, r.Digest, r.Sender, r.Receiver, timeArg(r.ReceivedAt), r.JWS)
	if err != nil {
		return t.explainMessage("message_id", r.MessageID, translate(err, "add receipt for message %s", r.MessageID))
	}
	return nil
}

// Receipt returns the receipt for the message with the given id; ENOTFOUND
// if there is none.
func (t *tx) Receipt(messageID string) (*accord.Receipt, error) {
	var r accord.Receipt
	err := t.stmt(sReceipt).QueryRowContext(t.ctx, messageID).Scan(&r.MessageID, &r.Digest, &r.Sender, &r.Receiver,
		timeDest{&r.ReceivedAt}, blobDest{&r.JWS})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accord.Errorf(accord.ENOTFOUND, "receipt for message %s not found", messageID)
	}
	if err != nil {
		return nil, translate(err, "read receipt for message %s", messageID)
	}
	return &r, nil
}

// CountReceipts returns how many stored receipts receiver signed, or how
// many receipts are stored when receiver is "".
func (t *tx) CountReceipts(receiver string) (int, error) {
	if receiver == "" {
		return t.count(sCountReceipts, "count receipts")
	}
	return t.count(sCountReceiptsBy, "count receipts of "+receiver, receiver)
}

func scanOutboxItem(row scanner) (*accord.OutboxItem, error) {
	var o accord.OutboxItem
	if err := row.Scan(outboxDests(&o)...); err != nil {
		return nil, err
	}
	return &o, nil
}

// outboxDests returns the scan destinations of outboxCols.
func outboxDests(o *accord.OutboxItem) []any {
	return []any{&o.MessageID, &o.Peer, &o.RequestID, &o.Seq, &o.Attempts, timeDest{&o.NextAttemptAt},
		&o.LastError, timeDest{&o.CreatedAt}, timeDest{&o.DeliveredAt}}
}

// Enqueue adds o to the outbox, after every item enqueued before. A zero
// NextAttemptAt makes it due at once. ECONFLICT if its message is queued
// already (delivered or not); EINVALID if the message is not stored, Peer is
// empty, Seq is below 1 or Attempts is negative.
func (t *tx) Enqueue(o *accord.OutboxItem) error {
	if err := t.writable("enqueue message " + o.MessageID); err != nil {
		return err
	}
	_, err := t.exec(sEnqueue, o.MessageID, o.Peer, o.RequestID, o.Seq, o.Attempts,
		timeArg(o.NextAttemptAt), o.LastError, timeArg(o.CreatedAt), timeArg(o.DeliveredAt))
	if err != nil {
		return t.explainMessage("message_id", o.MessageID, translate(err, "enqueue message %s", o.MessageID))
	}
	return nil
}

// DueOutbox returns up to limit undelivered items for peer whose
// NextAttemptAt is not after now (a zero NextAttemptAt is always due), in
// the order they were enqueued, not by NextAttemptAt; empty and non-nil when
// none is due. A limit of 0 means no limit; EINVALID if it is negative.
func (t *tx) DueOutbox(peer string, now time.Time, limit int) ([]*accord.OutboxItem, error) {
	if limit < 0 {
		return nil, accord.FieldError("limit", "%d is negative", limit)
	}
	sqlLimit := limit
	if limit == 0 {
		sqlLimit = -1 // SQLite: no limit
	}
	// Stored times are whole microseconds, so truncating now keeps "not
	// after": a stored d is <= now exactly when it is <= now truncated.
	rows, err := t.stmt(sDueOutbox).QueryContext(t.ctx, peer, timeArg(now), sqlLimit)
	if err != nil {
		return nil, translate(err, "list the outbox due to %s", peer)
	}
	defer rows.Close()
	out := []*accord.OutboxItem{}
	for rows.Next() {
		o, err := scanOutboxItem(rows)
		if err != nil {
			return nil, translate(err, "list the outbox due to %s", peer)
		}
		out = append(out, o)
	}
	return out, translate(rows.Err(), "list the outbox due to %s", peer)
}

// DueMessages returns the items DueOutbox returns, each with its message,
// in one query, leaving out those of the requests in skip.
func (t *tx) DueMessages(peer string, now time.Time, limit int, skip []string) ([]accord.DueMessage, error) {
	if limit < 0 {
		return nil, accord.FieldError("limit", "%d is negative", limit)
	}
	sqlLimit := limit
	if limit == 0 {
		sqlLimit = -1
	}
	if skip == nil {
		skip = []string{}
	}
	skipJSON, err := json.Marshal(skip)
	if err != nil {
		return nil, accord.Internal(err, "encode the messages to skip")
	}
	rows, err := t.stmt(sDueMessages).QueryContext(t.ctx, peer, timeArg(now), string(skipJSON), sqlLimit)
	if err != nil {
		return nil, translate(err, "list the messages due to %s", peer)
	}
	defer rows.Close()
	out := []accord.DueMessage{}
	for rows.Next() {
		var o accord.OutboxItem
		var m accord.Message
		var body string
		if err := rows.Scan(append(outboxDests(&o), messageDests(&m, &body)...)...); err != nil {
			return nil, translate(err, "list the messages due to %s", peer)
		}
		m.Body = messageBody(body)
		out = append(out, accord.DueMessage{Item: &o, Message: &m})
	}
	return out, translate(rows.Err(), "list the messages due to %s", peer)
}

// OutboxItem returns the outbox item of the message with the given id,
// delivered or not; ENOTFOUND if the message was never enqueued.
func (t *tx) OutboxItem(messageID string) (*accord.OutboxItem, error) {
	o, err := scanOutboxItem(t.stmt(sOutboxItem).QueryRowContext(t.ctx, messageID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accord.Errorf(accord.ENOTFOUND, "outbox item for message %s not found", messageID)
	}
	if err != nil {
		return nil, translate(err, "read outbox item %s", messageID)
	}
	return o, nil
}

// PendingOutbox returns how many undelivered items wait for peer, due or
// not, or for any peer when peer is "".
func (t *tx) PendingOutbox(peer string) (int, error) {
	if peer == "" {
		return t.count(sPendingOutbox, "count the outbox")
	}
	return t.count(sPendingOutboxTo, "count the outbox to "+peer, peer)
}

// UpdateOutbox stores o's Attempts, NextAttemptAt, LastError and
// DeliveredAt in the item with o's MessageID; its other fields are not
// changed. A non-zero DeliveredAt takes the item off the queue. ENOTFOUND
// if no item has that MessageID; EINVALID for negative Attempts.
func (t *tx) UpdateOutbox(o *accord.OutboxItem) error {
	if err := t.writable("update outbox item " + o.MessageID); err != nil {
		return err
	}
	res, err := t.exec(sUpdateOutbox, o.Attempts, timeArg(o.NextAttemptAt), o.LastError, timeArg(o.DeliveredAt), o.MessageID)
	if err != nil {
		return translate(err, "update outbox item %s", o.MessageID)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, "update outbox item %s", o.MessageID)
	}
	if n == 0 {
		return accord.Errorf(accord.ENOTFOUND, "outbox item for message %s not found", o.MessageID)
	}
	return nil
}

// sqlExchanged selects the messages of the requests received in a period,
// each with its receipt: ?1 from, ?2 to, ?3 the peer ("" for all), ?4 as of.
const sqlExchanged = `WITH reqs AS (
		SELECT m.request_id FROM receipts r JOIN messages m ON m.id = r.message_id
		WHERE r.received_at >= ?1 AND r.received_at < ?2 AND m.kind = 'request'
		AND (?3 = '' OR m.sender = ?3 OR m.recipient = ?3))
	SELECT m.id, m.kind, m.sender, m.recipient, m.request_id, m.seq, m.created_at, m.body, m.digest, m.received_at,
		r.digest, r.sender, r.receiver, r.received_at
	FROM reqs JOIN messages m ON m.request_id = reqs.request_id JOIN receipts r ON r.message_id = m.id
	WHERE r.received_at < ?4
	ORDER BY m.request_id, r.received_at, m.id`

// Exchanged streams the messages of the requests received in a period,
// each with its receipt.
func (t *tx) Exchanged(peer string, from, to, asOf time.Time, fn func(*accord.Message, *accord.Receipt) error) error {
	rows, err := t.tx.QueryContext(t.ctx, sqlExchanged, timeArg(from), timeArg(to), peer, timeArg(asOf))
	if err != nil {
		return translate(err, "read the exchanges of the period")
	}
	defer rows.Close()
	for rows.Next() {
		var m accord.Message
		var rc accord.Receipt
		var body string
		if err := rows.Scan(&m.ID, &m.Kind, &m.Sender, &m.Recipient, &m.RequestID, &m.Seq, timeDest{&m.CreatedAt}, &body, &m.Digest, timeDest{&m.ReceivedAt},
			&rc.Digest, &rc.Sender, &rc.Receiver, timeDest{&rc.ReceivedAt}); err != nil {
			return translate(err, "read the exchanges of the period")
		}
		m.Body = json.RawMessage(body)
		rc.MessageID = m.ID
		if err := fn(&m, &rc); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "read the exchanges of the period")
}
