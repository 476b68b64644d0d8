package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/accord-cyber/accord"
)

const caseCols = `id, title, summary, category, sectors, affected_country, origin_country, tlp, status,
	created_by, created_at, updated_at, closed_at`

const (
	sqlCase       = `SELECT ` + caseCols + ` FROM cases WHERE id = ?`
	sqlCreateCase = `INSERT INTO cases (` + caseCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlUpdateCase = `UPDATE cases SET title = ?, summary = ?, category = ?, sectors = ?, affected_country = ?,
		origin_country = ?, tlp = ?, status = ?, created_by = ?, created_at = ?, updated_at = ?, closed_at = ?
		WHERE id = ?`
	sqlNextSeq = `INSERT INTO counters (name, value) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`
)

// NextSeq increments the named counter and returns its new value, 1 the
// first time. Counters are independent of each other.
func (t *tx) NextSeq(name string) (int64, error) {
	if err := t.writable("next " + name + " number"); err != nil {
		return 0, err
	}
	var n int64
	if err := t.stmt(sNextSeq).QueryRowContext(t.ctx, name).Scan(&n); err != nil {
		return 0, translate(err, "next %s number", name)
	}
	return n, nil
}

// sectorsArg returns the stored form of a case's sectors: a JSON array, "[]"
// for none.
func sectorsArg(s []string) (string, error) {
	if len(s) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(s)
	return string(b), err
}

func scanCase(row scanner) (*accord.Case, error) {
	var c accord.Case
	var sectors string
	err := row.Scan(&c.ID, &c.Title, &c.Summary, &c.Category, &sectors, &c.AffectedCountry, &c.OriginCountry,
		&c.TLP, &c.Status, &c.CreatedBy, timeDest{&c.CreatedAt}, timeDest{&c.UpdatedAt}, timeDest{&c.ClosedAt})
	if err != nil {
		return nil, err
	}
	c.Sectors = []string{}
	if err := json.Unmarshal([]byte(sectors), &c.Sectors); err != nil {
		return nil, fmt.Errorf("sectors of case %s: %w", c.ID, err)
	}
	if c.Sectors == nil { // "null" in a row edited by hand
		c.Sectors = []string{}
	}
	return &c, nil
}

// caseArgs returns c's columns in caseCols order without the leading id.
func caseArgs(c *accord.Case) ([]any, error) {
	sectors, err := sectorsArg(c.Sectors)
	if err != nil {
		return nil, accord.Internal(err, "encode sectors of case %s", c.ID)
	}
	return []any{c.Title, c.Summary, string(c.Category), sectors, c.AffectedCountry, c.OriginCountry,
		string(c.TLP), string(c.Status), c.CreatedBy, timeArg(c.CreatedAt), timeArg(c.UpdatedAt), timeArg(c.ClosedAt)}, nil
}

// CreateCase inserts c. ECONFLICT if its id is taken; EINVALID if a field
// breaks the schema (empty id, unknown TLP or status, zero CreatedAt).
func (t *tx) CreateCase(c *accord.Case) error {
	if err := t.writable("create case " + c.ID); err != nil {
		return err
	}
	args, err := caseArgs(c)
	if err != nil {
		return err
	}
	_, err = t.exec(sCreateCase, append([]any{c.ID}, args...)...)
	return translate(err, "create case %s", c.ID)
}

// UpdateCase replaces every field of the stored case with c's id. ENOTFOUND
// if there is none; EINVALID if a field breaks the schema.
func (t *tx) UpdateCase(c *accord.Case) error {
	if err := t.writable("update case " + c.ID); err != nil {
		return err
	}
	args, err := caseArgs(c)
	if err != nil {
		return err
	}
	res, err := t.exec(sUpdateCase, append(args, c.ID)...)
	if err != nil {
		return translate(err, "update case %s", c.ID)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, "update case %s", c.ID)
	}
	if n == 0 {
		return accord.Errorf(accord.ENOTFOUND, "case %s not found", c.ID)
	}
	return nil
}

// Case returns the case with the given id; ENOTFOUND if there is none.
// Sectors is never nil.
func (t *tx) Case(id string) (*accord.Case, error) {
	c, err := scanCase(t.stmt(sCase).QueryRowContext(t.ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accord.Errorf(accord.ENOTFOUND, "case %s not found", id)
	}
	if err != nil {
		return nil, translate(err, "read case %s", id)
	}
	return c, nil
}

// Cases returns the cases matching f, newest first (by CreatedAt, ties by id
// descending), empty and non-nil when none match. EINVALID for a negative
// Limit or Offset.
func (t *tx) Cases(f accord.CaseFilter) ([]*accord.Case, error) {
	q := `SELECT ` + caseCols + ` FROM cases`
	var args []any
	if f.Status != "" {
		q += ` WHERE status = ?`
		args = append(args, string(f.Status))
	}
	q += ` ORDER BY created_at DESC, id DESC`
	page, pargs, err := pageClause(f.Limit, f.Offset)
	if err != nil {
		return nil, err
	}
	q += page
	args = append(args, pargs...)
	rows, err := t.tx.QueryContext(t.ctx, q, args...)
	if err != nil {
		return nil, translate(err, "list cases")
	}
	defer rows.Close()
	out := []*accord.Case{}
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, translate(err, "list cases")
		}
		out = append(out, c)
	}
	return out, translate(rows.Err(), "list cases")
}
