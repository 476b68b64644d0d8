package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/accord-cyber/accord"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// translate turns an error of database/sql or the SQLite driver into an
// *accord.Error whose message starts with the operation, formatted from
// format and args ("create request us-cert-R0001"). It is the only place
// that inspects driver errors:
//
//   - a unique or primary key violation is ECONFLICT;
//   - a foreign key, check, not-null or type violation is EINVALID;
//   - a busy or locked database, an interrupted statement, a cancelled
//     context and a closed database are EUNAVAILABLE;
//   - a file that is not a database is EINVALID;
//   - anything else is EINTERNAL.
//
// The cause is kept in Err. An error that already is an *accord.Error is
// returned unchanged, and nil stays nil. sql.ErrNoRows is not handled here:
// callers know what was not found and say so with ENOTFOUND.
func translate(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var ae *accord.Error
	if errors.As(err, &ae) {
		return err
	}
	op := fmt.Sprintf(format, args...)
	fail := func(code, msg string) error {
		return &accord.Error{Code: code, Message: op + ": " + msg, Err: err}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fail(accord.ECONFLICT, "already exists ("+constraintDetail(se)+")")
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fail(accord.EINVALID, "refers to a row that does not exist")
		}
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT:
			// CHECK, NOT NULL and STRICT type violations: a value the schema refuses.
			return fail(accord.EINVALID, "value refused by the schema ("+constraintDetail(se)+")")
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fail(accord.EUNAVAILABLE, "the database is busy: retry later")
		case sqlite3.SQLITE_INTERRUPT:
			return fail(accord.EUNAVAILABLE, "interrupted")
		case sqlite3.SQLITE_CANTOPEN:
			return fail(accord.EUNAVAILABLE, "cannot open the database file")
		case sqlite3.SQLITE_NOTADB:
			return fail(accord.EINVALID, "the file is not an SQLite database")
		case sqlite3.SQLITE_READONLY:
			return fail(accord.EINTERNAL, "write in a read-only transaction")
		}
		return accord.Internal(err, "%s", op)
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fail(accord.EUNAVAILABLE, "interrupted")
	case errors.Is(err, sql.ErrConnDone), strings.Contains(err.Error(), "sql: database is closed"):
		// database/sql does not export its "database is closed" error.
		return fail(accord.EUNAVAILABLE, "the database is closed")
	}
	return accord.Internal(err, "%s", op)
}

// constraintDetail returns SQLite's own description of a failed constraint,
// such as "UNIQUE constraint failed: users.name", without the driver's
// decoration ("constraint failed: … (2067)"). It names tables, columns and
// constraints, never values.
func constraintDetail(se *sqlite.Error) string {
	msg := se.Error()
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
		msg = msg[:i]
	}
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}
