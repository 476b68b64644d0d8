package sqlite

import (
	"database/sql"
	"errors"

	"github.com/accord-cyber/accord"
)

const partyCols = `id, name, country, kind, endpoint, federation_url, signing_key, tls_cert, created_at, updated_at`

const (
	sqlParty   = `SELECT ` + partyCols + ` FROM parties WHERE id = ?`
	sqlParties = `SELECT ` + partyCols + ` FROM parties ORDER BY id`
	// An upsert, not INSERT OR REPLACE: replacing would delete the row first,
	// which the requests referring to the party forbid.
	sqlPutParty = `INSERT INTO parties (` + partyCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, country = excluded.country, kind = excluded.kind,
			endpoint = excluded.endpoint, federation_url = excluded.federation_url, signing_key = excluded.signing_key,
			tls_cert = excluded.tls_cert, created_at = excluded.created_at, updated_at = excluded.updated_at`
)

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

func scanParty(row scanner) (*accord.Party, error) {
	var p accord.Party
	err := row.Scan(&p.ID, &p.Name, &p.Country, &p.Kind, &p.Endpoint,
		&p.FederationURL, blobDest{&p.SigningKey}, blobDest{&p.TLSCert},
		timeDest{&p.CreatedAt}, timeDest{&p.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// PutParty inserts p, or replaces every field of the party with the same id.
// An empty SigningKey or TLSCert is stored as absent and read back as nil.
// EINVALID if a field breaks the schema (empty id, unknown kind).
func (t *tx) PutParty(p *accord.Party) error {
	if err := t.writable("put party " + p.ID); err != nil {
		return err
	}
	_, err := t.exec(sPutParty, p.ID, p.Name, p.Country, string(p.Kind), p.Endpoint,
		p.FederationURL, blobArg(p.SigningKey), blobArg(p.TLSCert),
		timeArg(p.CreatedAt), timeArg(p.UpdatedAt))
	return translate(err, "put party %s", p.ID)
}

// Party returns the party with the given id; ENOTFOUND if there is none.
func (t *tx) Party(id string) (*accord.Party, error) {
	p, err := scanParty(t.stmt(sParty).QueryRowContext(t.ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accord.Errorf(accord.ENOTFOUND, "party %s not found", id)
	}
	if err != nil {
		return nil, translate(err, "read party %s", id)
	}
	return p, nil
}

// Parties returns every party ordered by id (an empty, non-nil slice when
// there is none).
func (t *tx) Parties() ([]*accord.Party, error) {
	rows, err := t.stmt(sParties).QueryContext(t.ctx)
	if err != nil {
		return nil, translate(err, "list parties")
	}
	defer rows.Close()
	out := []*accord.Party{}
	for rows.Next() {
		p, err := scanParty(rows)
		if err != nil {
			return nil, translate(err, "list parties")
		}
		out = append(out, p)
	}
	return out, translate(rows.Err(), "list parties")
}
