package sqlite

import (
	"database/sql"
	"errors"

	"github.com/accord-cyber/accord"
)

const userCols = `id, name, role, token_hash, created_at`

const (
	sqlUserByName      = `SELECT ` + userCols + ` FROM users WHERE name = ?`
	sqlUserByTokenHash = `SELECT ` + userCols + ` FROM users WHERE token_hash = ?`
	sqlUsers           = `SELECT ` + userCols + ` FROM users ORDER BY id`
	sqlCreateUser      = `INSERT INTO users (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)`
)

func scanUser(row scanner) (*accord.User, error) {
	var u accord.User
	if err := row.Scan(&u.ID, &u.Name, &u.Role, textDest{&u.TokenHash}, timeDest{&u.CreatedAt}); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateUser inserts u and sets u.ID to its new id, which is larger than
// every id given before. An empty TokenHash means the user has no token (it
// is stored as NULL, so several users may lack one). ECONFLICT if the name
// or the token hash is taken; EINVALID for an empty name or unknown role.
func (t *tx) CreateUser(u *accord.User) error {
	if err := t.writable("create user " + u.Name); err != nil {
		return err
	}
	res, err := t.exec(sCreateUser, u.Name, string(u.Role), textArg(u.TokenHash), timeArg(u.CreatedAt))
	if err != nil {
		return translate(err, "create user %q", u.Name)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return translate(err, "create user %q", u.Name)
	}
	u.ID = id
	return nil
}

// UserByName returns the user with exactly this name; ENOTFOUND if none.
func (t *tx) UserByName(name string) (*accord.User, error) {
	u, err := scanUser(t.stmt(sUserByName).QueryRowContext(t.ctx, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accord.Errorf(accord.ENOTFOUND, "user %q not found", name)
	}
	if err != nil {
		return nil, translate(err, "read user %q", name)
	}
	return u, nil
}

// UserByTokenHash returns the user whose token hashes to hash; ENOTFOUND if
// none (always for ""). The message does not repeat the hash.
func (t *tx) UserByTokenHash(hash string) (*accord.User, error) {
	if hash == "" {
		return nil, accord.Errorf(accord.ENOTFOUND, "no user has this token")
	}
	u, err := scanUser(t.stmt(sUserByTokenHash).QueryRowContext(t.ctx, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accord.Errorf(accord.ENOTFOUND, "no user has this token")
	}
	if err != nil {
		return nil, translate(err, "read user by token")
	}
	return u, nil
}

// Users returns every user ordered by id (empty, non-nil when none).
func (t *tx) Users() ([]*accord.User, error) {
	rows, err := t.stmt(sUsers).QueryContext(t.ctx)
	if err != nil {
		return nil, translate(err, "list users")
	}
	defer rows.Close()
	out := []*accord.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, translate(err, "list users")
		}
		out = append(out, u)
	}
	return out, translate(rows.Err(), "list users")
}
