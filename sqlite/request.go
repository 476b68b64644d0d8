package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
)

const requestCols = `id, case_id, from_party, to_party, type, priority, subject, body, legal_basis, external_ref, status,
	sent_at, received_at, acknowledge_by, answer_by, agreement_digest,
	acknowledged_at, accepted_at, declined_at, decline_ground, decline_text, first_answered_at, answered_at,
	rated_at, rating, rating_comment, closed_at, withdrawn_at, preserve_until,
	created_by, created_at, updated_at, seq`

const (
	sqlRequest       = `SELECT ` + requestCols + ` FROM requests WHERE id = ?`
	sqlRequestSeq    = `SELECT seq FROM requests WHERE id = ?`
	sqlCreateRequest = `INSERT INTO requests (` + requestCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// An update sets only what a request's lifecycle changes. The fields
	// fixed at creation are compared instead of set: SQLite rewrites every
	// index holding a column that is SET, changed or not, and four of the
	// table's six indexes hold only fixed fields.
	sqlUpdateRequest = `UPDATE requests SET status = ?, received_at = ?, acknowledge_by = ?, answer_by = ?, agreement_digest = ?,
		acknowledged_at = ?, accepted_at = ?, declined_at = ?, decline_ground = ?, decline_text = ?,
		first_answered_at = ?, answered_at = ?, rated_at = ?, rating = ?, rating_comment = ?,
		closed_at = ?, withdrawn_at = ?, preserve_until = ?, updated_at = ?, seq = ?
		WHERE id = ? AND seq = ? AND case_id IS ? AND from_party = ? AND to_party = ? AND type = ? AND priority = ?
		AND subject = ? AND body = ? AND legal_basis = ? AND external_ref = ? AND sent_at = ? AND created_by = ? AND created_at IS ?`

	eventCols   = `request_id, seq, action, from_status, to_status, party, at, recorded_at, actor, note`
	sqlEvents   = `SELECT ` + eventCols + ` FROM request_events WHERE request_id = ? ORDER BY seq`
	sqlAddEvent = `INSERT INTO request_events (` + eventCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	answerCols   = `request_id, seq, final, body, at, author`
	sqlAnswers   = `SELECT ` + answerCols + ` FROM answers WHERE request_id = ? ORDER BY seq`
	sqlAddAnswer = `INSERT INTO answers (` + answerCols + `) VALUES (?, ?, ?, ?, ?, ?)`
)

// requestArgs returns r's columns in requestCols order without the leading id.
func requestArgs(r *accord.Request) []any {
	return []any{textArg(r.CaseID), r.From, r.To, string(r.Type), string(r.Priority),
		r.Subject, r.Body, r.LegalBasis, r.ExternalRef, string(r.Status),
		timeArg(r.SentAt), timeArg(r.ReceivedAt), timeArg(r.AcknowledgeBy), timeArg(r.AnswerBy), r.AgreementDigest,
		timeArg(r.AcknowledgedAt), timeArg(r.AcceptedAt), timeArg(r.DeclinedAt), r.DeclineGround, r.DeclineText,
		timeArg(r.FirstAnsweredAt), timeArg(r.AnsweredAt), timeArg(r.RatedAt), r.Rating, r.RatingComment,
		timeArg(r.ClosedAt), timeArg(r.WithdrawnAt), timeArg(r.PreserveUntil),
		r.CreatedBy, timeArg(r.CreatedAt), timeArg(r.UpdatedAt), r.Seq}
}

func scanRequest(row scanner) (*accord.Request, error) {
	var r accord.Request
	err := row.Scan(&r.ID, textDest{&r.CaseID}, &r.From, &r.To, &r.Type, &r.Priority,
		&r.Subject, &r.Body, &r.LegalBasis, &r.ExternalRef, &r.Status,
		timeDest{&r.SentAt}, timeDest{&r.ReceivedAt}, timeDest{&r.AcknowledgeBy}, timeDest{&r.AnswerBy}, &r.AgreementDigest,
		timeDest{&r.AcknowledgedAt}, timeDest{&r.AcceptedAt}, timeDest{&r.DeclinedAt}, &r.DeclineGround, &r.DeclineText,
		timeDest{&r.FirstAnsweredAt}, timeDest{&r.AnsweredAt}, timeDest{&r.RatedAt}, &r.Rating, &r.RatingComment,
		timeDest{&r.ClosedAt}, timeDest{&r.WithdrawnAt}, timeDest{&r.PreserveUntil},
		&r.CreatedBy, timeDest{&r.CreatedAt}, timeDest{&r.UpdatedAt}, &r.Seq)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// CreateRequest inserts r. ECONFLICT if its id is taken; EINVALID, naming
// the field, if its case (when set) or either party does not exist, and
// EINVALID if another field breaks the schema (unknown type, priority or
// status, zero SentAt, rating outside 0–5).
func (t *tx) CreateRequest(r *accord.Request) error {
	if err := t.writable("create request " + r.ID); err != nil {
		return err
	}
	_, err := t.exec(sCreateRequest, append([]any{r.ID}, requestArgs(r)...)...)
	if err != nil {
		err = translate(err, "create request %s", r.ID)
		return t.explainRefs(r, err)
	}
	return nil
}

// explainRefs returns, when err is EINVALID because r refers to a missing
// case or party, an EINVALID error naming that field; otherwise err.
func (t *tx) explainRefs(r *accord.Request, err error) error {
	if accord.ErrorCode(err) != accord.EINVALID {
		return err
	}
	missing := func(field, what string) error {
		return &accord.Error{Code: accord.EINVALID, Field: field, Message: what + " does not exist", Err: err}
	}
	if r.CaseID != "" {
		if _, cerr := t.Case(r.CaseID); accord.ErrorCode(cerr) == accord.ENOTFOUND {
			return missing("case_id", "case "+r.CaseID)
		}
	}
	if _, perr := t.Party(r.From); accord.ErrorCode(perr) == accord.ENOTFOUND {
		return missing("from", "party "+r.From)
	}
	if _, perr := t.Party(r.To); accord.ErrorCode(perr) == accord.ENOTFOUND {
		return missing("to", "party "+r.To)
	}
	return err
}

// UpdateRequest stores the lifecycle fields of r (status, times, deadlines,
// agreement digest, decline, rating, Seq), provided the stored Seq is
// r.Seq-1 (each update records one new event). The fields fixed when the
// request was created — case, parties, type, priority, subject, body, legal
// basis, external reference, SentAt, CreatedBy, CreatedAt — must be
// unchanged. ENOTFOUND if there is no such request; ECONFLICT if its Seq is
// not r.Seq-1 (someone else moved it first: re-read and retry); EINVALID if
// a fixed field differs or a lifecycle field breaks the schema.
func (t *tx) UpdateRequest(r *accord.Request) error {
	if err := t.writable("update request " + r.ID); err != nil {
		return err
	}
	res, err := t.exec(sUpdateRequest, string(r.Status), timeArg(r.ReceivedAt), timeArg(r.AcknowledgeBy), timeArg(r.AnswerBy), r.AgreementDigest,
		timeArg(r.AcknowledgedAt), timeArg(r.AcceptedAt), timeArg(r.DeclinedAt), r.DeclineGround, r.DeclineText,
		timeArg(r.FirstAnsweredAt), timeArg(r.AnsweredAt), timeArg(r.RatedAt), r.Rating, r.RatingComment,
		timeArg(r.ClosedAt), timeArg(r.WithdrawnAt), timeArg(r.PreserveUntil), timeArg(r.UpdatedAt), r.Seq,
		r.ID, r.Seq-1, textArg(r.CaseID), r.From, r.To, string(r.Type), string(r.Priority),
		r.Subject, r.Body, r.LegalBasis, r.ExternalRef, timeArg(r.SentAt), r.CreatedBy, timeArg(r.CreatedAt))
	if err != nil {
		return translate(err, "update request %s", r.ID)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, "update request %s", r.ID)
	}
	if n == 1 {
		return nil
	}
	stored, err := t.Request(r.ID)
	if err != nil {
		return err // ENOTFOUND, or a failure
	}
	if stored.Seq != r.Seq-1 {
		return accord.Errorf(accord.ECONFLICT, "request %s was changed meanwhile (it has %d events, the update expected %d): re-read it and retry", r.ID, stored.Seq, r.Seq-1)
	}
	for _, f := range []struct {
		field        string
		stored, want any
	}{
		{"case_id", stored.CaseID, r.CaseID}, {"from", stored.From, r.From}, {"to", stored.To, r.To},
		{"type", stored.Type, r.Type}, {"priority", stored.Priority, r.Priority}, {"subject", stored.Subject, r.Subject},
		{"body", stored.Body, r.Body}, {"legal_basis", stored.LegalBasis, r.LegalBasis}, {"external_ref", stored.ExternalRef, r.ExternalRef},
		{"sent_at", stored.SentAt, r.SentAt.Truncate(time.Microsecond)}, {"created_by", stored.CreatedBy, r.CreatedBy},
		{"created_at", stored.CreatedAt, r.CreatedAt.Truncate(time.Microsecond)},
	} {
		same := f.stored == f.want
		if st, ok := f.stored.(time.Time); ok {
			same = st.Equal(f.want.(time.Time))
		}
		if !same {
			return &accord.Error{Code: accord.EINVALID, Field: f.field,
				Message: fmt.Sprintf("request %s: %s is fixed when the request is created and cannot be updated", r.ID, f.field)}
		}
	}
	return accord.Errorf(accord.EINTERNAL, "update request %s: no row changed, yet its seq and fixed fields match", r.ID)
}

// Request returns the request with the given id; ENOTFOUND if there is none.
func (t *tx) Request(id string) (*accord.Request, error) {
	r, err := scanRequest(t.stmt(sRequest).QueryRowContext(t.ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accord.Errorf(accord.ENOTFOUND, "request %s not found", id)
	}
	if err != nil {
		return nil, translate(err, "read request %s", id)
	}
	return r, nil
}

// ceilMicro returns t rounded up to a whole microsecond. Stored deadlines
// are whole microseconds, so for a deadline d, d < t exactly when d <
// ceilMicro(t): comparing with it keeps Request.Overdue's strict "after" for
// an instant with nanoseconds.
func ceilMicro(t time.Time) time.Time {
	if u := t.Truncate(time.Microsecond); !u.Equal(t) {
		return u.Add(time.Microsecond)
	}
	return t
}

// requestWhere returns the WHERE clause (possibly empty) selecting f and its
// arguments. Limit and Offset are not part of it.
func requestWhere(f accord.RequestFilter) (string, []any) {
	var conds []string
	var args []any
	if f.CaseID != "" {
		conds = append(conds, `case_id = ?`)
		args = append(args, f.CaseID)
	}
	if f.Party != "" {
		conds = append(conds, `(from_party = ? OR to_party = ?)`)
		args = append(args, f.Party, f.Party)
	}
	if f.From != "" {
		conds = append(conds, `from_party = ?`)
		args = append(args, f.From)
	}
	if f.To != "" {
		conds = append(conds, `to_party = ?`)
		args = append(args, f.To)
	}
	if f.Type != "" {
		conds = append(conds, `type = ?`)
		args = append(args, string(f.Type))
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, `status IN (?`+strings.Repeat(`, ?`, len(f.Statuses)-1)+`)`)
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if !f.OverdueAt.IsZero() {
		// Exactly accord.Request.Overdue: a missing acknowledge deadline has
		// passed (any instant is after the zero time), a missing answer
		// deadline never does.
		conds = append(conds, `((status IN ('sent', 'delivered') AND (acknowledge_by IS NULL OR acknowledge_by < ?))
			OR (status IN ('acknowledged', 'accepted', 'answered-partial') AND answer_by IS NOT NULL AND answer_by < ?))`)
		at := timeArg(ceilMicro(f.OverdueAt))
		args = append(args, at, at)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// Requests returns the requests matching f, most recently sent first, ties
// broken by id descending; empty and non-nil when none match. EINVALID for a
// negative Limit or Offset.
func (t *tx) Requests(f accord.RequestFilter) ([]*accord.Request, error) {
	where, args := requestWhere(f)
	page, pargs, err := pageClause(f.Limit, f.Offset)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + requestCols + ` FROM requests` + where + ` ORDER BY sent_at DESC, id DESC` + page
	rows, err := t.tx.QueryContext(t.ctx, q, append(args, pargs...)...)
	if err != nil {
		return nil, translate(err, "list requests")
	}
	defer rows.Close()
	out := []*accord.Request{}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, translate(err, "list requests")
		}
		out = append(out, r)
	}
	return out, translate(rows.Err(), "list requests")
}

// CountRequests returns how many requests match f, ignoring Limit and Offset.
func (t *tx) CountRequests(f accord.RequestFilter) (int, error) {
	where, args := requestWhere(f)
	var n int
	if err := t.tx.QueryRowContext(t.ctx, `SELECT count(*) FROM requests`+where, args...).Scan(&n); err != nil {
		return 0, translate(err, "count requests")
	}
	return n, nil
}

// explainRequest returns, when err is EINVALID because the request does not
// exist, an EINVALID error saying so; otherwise err.
func (t *tx) explainRequest(requestID string, err error) error {
	if accord.ErrorCode(err) != accord.EINVALID {
		return err
	}
	var seq int
	if qerr := t.stmt(sRequestSeq).QueryRowContext(t.ctx, requestID).Scan(&seq); errors.Is(qerr, sql.ErrNoRows) {
		return &accord.Error{Code: accord.EINVALID, Field: "request_id", Message: "request " + requestID + " does not exist", Err: err}
	}
	return err
}

// AddEvent appends a lifecycle event. ECONFLICT if (RequestID, Seq) exists;
// EINVALID if the request does not exist or a field breaks the schema
// (Seq below 1, unknown action or status).
func (t *tx) AddEvent(e *accord.Event) error {
	if err := t.writable("add event to request " + e.RequestID); err != nil {
		return err
	}
	_, err := t.exec(sAddEvent, e.RequestID, e.Seq, string(e.Action), string(e.From), string(e.To), e.Party,
		timeArg(e.At), timeArg(e.RecordedAt), e.Actor, e.Note)
	if err != nil {
		return t.explainRequest(e.RequestID, translate(err, "add event %d to request %s", e.Seq, e.RequestID))
	}
	return nil
}

// Events returns a request's events in Seq order (empty, non-nil when none).
func (t *tx) Events(requestID string) ([]*accord.Event, error) {
	rows, err := t.stmt(sEvents).QueryContext(t.ctx, requestID)
	if err != nil {
		return nil, translate(err, "list events of request %s", requestID)
	}
	defer rows.Close()
	out := []*accord.Event{}
	for rows.Next() {
		var e accord.Event
		if err := rows.Scan(&e.RequestID, &e.Seq, &e.Action, &e.From, &e.To, &e.Party,
			timeDest{&e.At}, timeDest{&e.RecordedAt}, &e.Actor, &e.Note); err != nil {
			return nil, translate(err, "list events of request %s", requestID)
		}
		out = append(out, &e)
	}
	return out, translate(rows.Err(), "list events of request %s", requestID)
}

// AddAnswer appends an answer. ECONFLICT if (RequestID, Seq) exists;
// EINVALID if the request does not exist or Seq is below 1.
func (t *tx) AddAnswer(a *accord.Answer) error {
	if err := t.writable("add answer to request " + a.RequestID); err != nil {
		return err
	}
	_, err := t.exec(sAddAnswer, a.RequestID, a.Seq, a.Final, a.Body, timeArg(a.At), a.Author)
	if err != nil {
		return t.explainRequest(a.RequestID, translate(err, "add answer %d to request %s", a.Seq, a.RequestID))
	}
	return nil
}

// Answers returns a request's answers in Seq order (empty, non-nil when none).
func (t *tx) Answers(requestID string) ([]*accord.Answer, error) {
	rows, err := t.stmt(sAnswers).QueryContext(t.ctx, requestID)
	if err != nil {
		return nil, translate(err, "list answers of request %s", requestID)
	}
	defer rows.Close()
	out := []*accord.Answer{}
	for rows.Next() {
		var a accord.Answer
		if err := rows.Scan(&a.RequestID, &a.Seq, &a.Final, &a.Body, timeDest{&a.At}, &a.Author); err != nil {
			return nil, translate(err, "list answers of request %s", requestID)
		}
		out = append(out, &a)
	}
	return out, translate(rows.Err(), "list answers of request %s", requestID)
}
