package sqlite

import (
	"database/sql"
	"errors"
	"time"

	"github.com/accord-cyber/accord"
)

// CreateEvidence inserts e. ECONFLICT if its id is taken; EINVALID if its
// case or request does not exist, it has neither, or a field breaks the
// schema.
func (t *tx) CreateEvidence(e *accord.Evidence) error {
	if err := t.writable("create evidence " + e.ID); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO evidence (id, case_id, request_id, digest, size, name, description, created_by, created_at, pos)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(pos), 0) + 1 FROM evidence))`,
		e.ID, textArg(e.CaseID), textArg(e.RequestID), e.Digest, e.Size, e.Name, e.Description, e.CreatedBy, timeArg(e.CreatedAt))
	return translate(err, "create evidence %s", e.ID)
}

const evidenceColumns = `id, case_id, request_id, digest, size, name, description, created_by, created_at`

func scanEvidence(row scanner) (*accord.Evidence, error) {
	var e accord.Evidence
	if err := row.Scan(&e.ID, textDest{&e.CaseID}, textDest{&e.RequestID}, &e.Digest, &e.Size, &e.Name, &e.Description, &e.CreatedBy, timeDest{&e.CreatedAt}); err != nil {
		return nil, err
	}
	return &e, nil
}

// Evidence returns the item with the given id; ENOTFOUND naming it if absent.
func (t *tx) Evidence(id string) (*accord.Evidence, error) {
	e, err := scanEvidence(t.tx.QueryRowContext(t.ctx, `SELECT `+evidenceColumns+` FROM evidence WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accord.Errorf(accord.ENOTFOUND, "evidence %s not found", id)
	}
	return e, translate(err, "read evidence %s", id)
}

// EvidenceOf returns the items of a case, or every item for "", in the
// order stored.
func (t *tx) EvidenceOf(caseID string) ([]*accord.Evidence, error) {
	return t.evidenceWhere(`? = '' OR case_id = ?`, caseID, caseID)
}

// EvidenceOfRequest returns the items of a request in the order stored.
func (t *tx) EvidenceOfRequest(requestID string) ([]*accord.Evidence, error) {
	return t.evidenceWhere(`request_id = ?`, requestID)
}

func (t *tx) evidenceWhere(where string, args ...any) ([]*accord.Evidence, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+evidenceColumns+` FROM evidence WHERE `+where+` ORDER BY pos`, args...)
	if err != nil {
		return nil, translate(err, "list evidence")
	}
	defer rows.Close()
	out := []*accord.Evidence{}
	for rows.Next() {
		e, err := scanEvidence(rows)
		if err != nil {
			return nil, translate(err, "list evidence")
		}
		out = append(out, e)
	}
	return out, translate(rows.Err(), "list evidence")
}

// AddCustodyEvent appends e to its item's chain. ECONFLICT if (EvidenceID,
// Seq) exists; EINVALID if the item does not exist or a field breaks the
// schema.
func (t *tx) AddCustodyEvent(e *accord.CustodyEvent) error {
	if err := t.writable("add custody event of " + e.EvidenceID); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO custody_events (evidence_id, seq, event, actor, party, at, reason, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.EvidenceID, e.Seq, e.Event, e.Actor, e.Party, timeArg(e.At), e.Reason, e.Digest)
	return translate(err, "add custody event %d of %s", e.Seq, e.EvidenceID)
}

// CustodyEvents returns an item's chain in Seq order (empty, non-nil for none).
func (t *tx) CustodyEvents(evidenceID string) ([]*accord.CustodyEvent, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT evidence_id, seq, event, actor, party, at, reason, digest FROM custody_events WHERE evidence_id = ? ORDER BY seq`, evidenceID)
	if err != nil {
		return nil, translate(err, "list custody events of %s", evidenceID)
	}
	defer rows.Close()
	out := []*accord.CustodyEvent{}
	for rows.Next() {
		var e accord.CustodyEvent
		if err := rows.Scan(&e.EvidenceID, &e.Seq, &e.Event, &e.Actor, &e.Party, timeDest{&e.At}, &e.Reason, &e.Digest); err != nil {
			return nil, translate(err, "list custody events of %s", evidenceID)
		}
		out = append(out, &e)
	}
	return out, translate(rows.Err(), "list custody events of %s", evidenceID)
}

const transferColumns = `message_id, idx, direction, peer, request_id, source_id, digest, size, evidence_id,
	attempts, next_attempt_at, done_at, name, description, last_error`

func scanTransfer(row scanner) (*accord.EvidenceTransfer, error) {
	var x accord.EvidenceTransfer
	err := row.Scan(&x.MessageID, &x.Index, &x.Direction, &x.Peer, &x.RequestID, &x.SourceID, &x.Digest, &x.Size,
		textDest{&x.EvidenceID}, &x.Attempts, timeDest{&x.NextAttemptAt}, timeDest{&x.DoneAt}, &x.Name, &x.Description, &x.LastError)
	if err != nil {
		return nil, err
	}
	return &x, nil
}

// AddTransfer records x. ECONFLICT if (MessageID, Index) exists; EINVALID
// if a field breaks the schema or EvidenceID names no item.
func (t *tx) AddTransfer(x *accord.EvidenceTransfer) error {
	if err := t.writable("add evidence transfer " + x.MessageID); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO evidence_transfers (`+transferColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.MessageID, x.Index, x.Direction, x.Peer, x.RequestID, x.SourceID, x.Digest, x.Size, textArg(x.EvidenceID),
		x.Attempts, timeArg(x.NextAttemptAt), timeArg(x.DoneAt), x.Name, x.Description, x.LastError)
	return translate(err, "add evidence transfer %s/%d", x.MessageID, x.Index)
}

// UpdateTransfer stores the progress fields of x; ENOTFOUND if absent.
func (t *tx) UpdateTransfer(x *accord.EvidenceTransfer) error {
	if err := t.writable("update evidence transfer " + x.MessageID); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(t.ctx, `UPDATE evidence_transfers SET evidence_id = ?, attempts = ?, next_attempt_at = ?, last_error = ?, done_at = ?
		WHERE message_id = ? AND idx = ?`,
		textArg(x.EvidenceID), x.Attempts, timeArg(x.NextAttemptAt), x.LastError, timeArg(x.DoneAt), x.MessageID, x.Index)
	if err != nil {
		return translate(err, "update evidence transfer %s/%d", x.MessageID, x.Index)
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate(err, "update evidence transfer %s/%d", x.MessageID, x.Index)
	} else if n == 0 {
		return accord.Errorf(accord.ENOTFOUND, "evidence transfer %s/%d not found", x.MessageID, x.Index)
	}
	return nil
}

// Transfers returns the transfers of a message by index (empty, non-nil
// when none).
func (t *tx) Transfers(messageID string) ([]*accord.EvidenceTransfer, error) {
	return t.transfersWhere(`message_id = ? ORDER BY idx`, messageID)
}

// PendingTransfers returns the incoming transfers from peer that are not
// done and are due at now, oldest first.
func (t *tx) PendingTransfers(peer string, now time.Time, limit int) ([]*accord.EvidenceTransfer, error) {
	if limit < 0 {
		return nil, accord.FieldError("limit", "%d is negative", limit)
	}
	sqlLimit := limit
	if limit == 0 {
		sqlLimit = -1
	}
	return t.transfersWhere(`peer = ? AND direction = 'in' AND done_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
		ORDER BY rowid LIMIT ?`, peer, timeArg(now), sqlLimit)
}

func (t *tx) transfersWhere(where string, args ...any) ([]*accord.EvidenceTransfer, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+transferColumns+` FROM evidence_transfers WHERE `+where, args...)
	if err != nil {
		return nil, translate(err, "list evidence transfers")
	}
	defer rows.Close()
	out := []*accord.EvidenceTransfer{}
	for rows.Next() {
		x, err := scanTransfer(rows)
		if err != nil {
			return nil, translate(err, "list evidence transfers")
		}
		out = append(out, x)
	}
	return out, translate(rows.Err(), "list evidence transfers")
}

// Shared reports whether a file of this digest was attached to an answer
// sent to peer.
func (t *tx) Shared(peer, digest string) (bool, error) {
	var n int
	err := t.tx.QueryRowContext(t.ctx, `SELECT count(*) FROM evidence_transfers WHERE digest = ? AND peer = ? AND direction = 'out'`,
		digest, peer).Scan(&n)
	return n > 0, translate(err, "look up evidence shared with %s", peer)
}
