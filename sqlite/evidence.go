package sqlite

import (
	"database/sql"
	"errors"

	"github.com/accord-cyber/accord"
)

// CreateEvidence inserts e. ECONFLICT if its id is taken; EINVALID if its
// case does not exist or a field breaks the schema.
func (t *tx) CreateEvidence(e *accord.Evidence) error {
	if err := t.writable("create evidence " + e.ID); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO evidence (id, case_id, digest, size, name, description, created_by, created_at, pos)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(pos), 0) + 1 FROM evidence))`,
		e.ID, e.CaseID, e.Digest, e.Size, e.Name, e.Description, e.CreatedBy, timeArg(e.CreatedAt))
	return translate(err, "create evidence %s", e.ID)
}

const evidenceColumns = `id, case_id, digest, size, name, description, created_by, created_at`

func scanEvidence(row scanner) (*accord.Evidence, error) {
	var e accord.Evidence
	if err := row.Scan(&e.ID, &e.CaseID, &e.Digest, &e.Size, &e.Name, &e.Description, &e.CreatedBy, timeDest{&e.CreatedAt}); err != nil {
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
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+evidenceColumns+` FROM evidence WHERE ? = '' OR case_id = ? ORDER BY pos`, caseID, caseID)
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
