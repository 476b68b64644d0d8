package node

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
)

// NewRequest is what a liaison supplies to record a request.
//
// Without From, the request is outgoing: this node's party asks party To.
// With From (another party) the request is incoming and arrived by other
// means (mail, phone): ReceivedAt is then required, deadlines run from it,
// and the request starts as delivered.
type NewRequest struct {
	CaseID      string             `json:"case_id"`
	From        string             `json:"from"`
	To          string             `json:"to"`
	Type        accord.RequestType `json:"type"`
	Priority    accord.Priority    `json:"priority"`
	Subject     string             `json:"subject"`
	Body        string             `json:"body"`
	LegalBasis  string             `json:"legal_basis"`
	ExternalRef string             `json:"external_ref"`
	SentAt      time.Time          `json:"sent_at,omitzero"`
	ReceivedAt  time.Time          `json:"received_at,omitzero"`
}

// RequestView is a request as seen from this node at one instant: the stored
// request plus what is derived from it (direction, overdue).
type RequestView struct {
	*accord.Request
	Direction accord.Direction `json:"direction"`
	Overdue   accord.Overdue   `json:"overdue,omitempty"`
}

// RequestDetail is a request with its history, its answers and the actions
// this node may take on it next.
type RequestDetail struct {
	RequestView
	Events  []*accord.Event  `json:"events"`
	Answers []*accord.Answer `json:"answers"`
	// Allowed lists the lifecycle actions this node may record next.
	Allowed []accord.Action `json:"allowed_actions"`
}

func (s *Service) view(r *accord.Request, now time.Time) RequestView {
	return RequestView{Request: r, Direction: r.DirectionFrom(s.self), Overdue: r.Overdue(now)}
}

// CreateRequest records a new request (see NewRequest) with an id of the form
// PARTY-R0001 (outgoing) or PARTY-I0001 (incoming recorded by hand), deadlines
// fixed from the agreement, and its first events. Needs PermWriteRequests.
// EINVALID names the bad field (unknown type, priority, party or case;
// missing received-at; a time in the future).
func (s *Service) CreateRequest(ctx context.Context, actor accord.Actor, in NewRequest) (*RequestDetail, error) {
	if err := actor.Require(accord.PermWriteRequests); err != nil {
		return nil, err
	}
	now := s.Now()
	r := &accord.Request{
		CaseID: strings.TrimSpace(in.CaseID), From: in.From, To: in.To, Type: in.Type, Priority: in.Priority,
		Subject: in.Subject, Body: in.Body, LegalBasis: in.LegalBasis, ExternalRef: in.ExternalRef,
		CreatedBy: actor.Name, CreatedAt: now, UpdatedAt: now,
	}
	incoming := r.From != "" && r.From != s.self
	if !incoming {
		r.From = s.self
	} else if r.To == "" {
		r.To = s.self
	}
	if err := r.ValidateNew(); err != nil {
		return nil, err
	}
	if _, err := s.agreement.Deadline(r.Type, r.Priority); err != nil {
		return nil, err
	}
	if incoming {
		if r.To != s.self {
			return nil, accord.FieldError("to", "an incoming request must be addressed to this node's party %s, not %s", s.self, r.To)
		}
		if in.ReceivedAt.IsZero() {
			return nil, accord.FieldError("received_at", "is required for a request from another party recorded by hand")
		}
		r.ReceivedAt = in.ReceivedAt.UTC().Truncate(time.Microsecond)
		r.SentAt = r.ReceivedAt
		if !in.SentAt.IsZero() {
			r.SentAt = in.SentAt.UTC().Truncate(time.Microsecond)
		}
		if r.ReceivedAt.After(now) {
			return nil, accord.FieldError("received_at", "%s is in the future", r.ReceivedAt.Format(time.RFC3339))
		}
		if r.SentAt.After(r.ReceivedAt) {
			return nil, accord.FieldError("sent_at", "is after received_at")
		}
	} else {
		if r.To == "" {
			return nil, accord.FieldError("to", "is required: the party the request is sent to")
		}
		if r.To == s.self {
			return nil, accord.FieldError("to", "a request cannot be sent to this node's own party")
		}
		if !in.ReceivedAt.IsZero() {
			return nil, accord.FieldError("received_at", "applies only to a request from another party (set from)")
		}
		r.SentAt = now
		if !in.SentAt.IsZero() {
			return nil, accord.FieldError("sent_at", "an outgoing request is sent now")
		}
	}
	if err := r.SetDeadlines(s.agreement); err != nil {
		return nil, err
	}

	var detail *RequestDetail
	var queued string // the peer a message was queued for
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		other := r.To
		if incoming {
			other = r.From
		}
		p, err := tx.Party(other)
		if accord.ErrorCode(err) == accord.ENOTFOUND {
			field := map[bool]string{true: "from", false: "to"}[incoming]
			return accord.FieldError(field, "unknown party %q: register it with `accord party add` first", other)
		} else if err != nil {
			return err
		}
		if incoming && p.Kind == accord.PartyPeer {
			return accord.FieldError("from", "%s runs accord: its requests arrive as signed messages, not by hand", p.ID)
		}
		if r.CaseID != "" {
			if _, err := tx.Case(r.CaseID); accord.ErrorCode(err) == accord.ENOTFOUND {
				return accord.FieldError("case_id", "unknown case %q", r.CaseID)
			} else if err != nil {
				return err
			}
		} else if !incoming {
			return accord.FieldError("case_id", "is required: an outgoing request concerns one of this node's cases")
		}
		series, letter := "request", "R"
		if incoming {
			series, letter = "incoming", "I"
		}
		n, err := tx.NextSeq(series)
		if err != nil {
			return err
		}
		r.ID = fmt.Sprintf("%s-%s%04d", s.self, letter, n)
		r.Status = accord.StatusSent
		r.Seq = 1
		events := []*accord.Event{{RequestID: r.ID, Seq: 1, Action: accord.ActionSend, To: accord.StatusSent,
			Party: r.From, At: r.SentAt, RecordedAt: now, Actor: actor.Name}}
		if incoming {
			r.Status, r.Seq = accord.StatusDelivered, 2
			events = append(events, &accord.Event{RequestID: r.ID, Seq: 2, Action: accord.ActionDeliver,
				From: accord.StatusSent, To: accord.StatusDelivered, Party: r.To, At: r.ReceivedAt, RecordedAt: now, Actor: actor.Name})
		}
		if err := tx.CreateRequest(r); err != nil {
			return err
		}
		for _, e := range events {
			if err := tx.AddEvent(e); err != nil {
				return err
			}
		}
		queued = ""
		if !incoming && p.Kind == accord.PartyPeer {
			if _, err := s.enqueue(tx, r, p.ID, accord.KindRequest, RequestMessageBody(r), now); err != nil {
				return err
			}
			queued = p.ID
		}
		detail = &RequestDetail{RequestView: s.view(r, now), Events: events, Answers: []*accord.Answer{}}
		detail.Allowed = s.allowed(r, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create request: %w", err)
	}
	if queued != "" {
		s.onEnqueue(queued)
	}
	s.log.Info("request recorded", "request", r.ID, "from", r.From, "to", r.To, "type", r.Type, "priority", r.Priority, "by", actor.Name)
	return detail, nil
}

// Request returns one request with its history. Needs PermRead. ENOTFOUND if absent.
func (s *Service) Request(ctx context.Context, actor accord.Actor, id string) (*RequestDetail, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	now := s.Now()
	var d *RequestDetail
	err := s.store.View(ctx, func(tx accord.Tx) error {
		var err error
		d, err = s.detail(tx, id, now)
		return err
	})
	return d, err
}

func (s *Service) detail(tx accord.Tx, id string, now time.Time) (*RequestDetail, error) {
	r, err := tx.Request(id)
	if err != nil {
		return nil, err
	}
	events, err := tx.Events(id)
	if err != nil {
		return nil, err
	}
	answers, err := tx.Answers(id)
	if err != nil {
		return nil, err
	}
	other, err := tx.Party(s.counterparty(r))
	if err != nil {
		return nil, err
	}
	return &RequestDetail{RequestView: s.view(r, now), Events: events, Answers: answers, Allowed: s.allowed(r, other)}, nil
}

// RequestQuery selects requests for Requests. Zero fields do not filter.
type RequestQuery struct {
	CaseID    string
	Party     string
	Direction accord.Direction
	Type      accord.RequestType
	Status    []accord.Status
	// Overdue keeps only requests overdue now.
	Overdue bool
	Limit   int
	Offset  int
}

// Requests lists requests, most recently sent first, and the total number
// matching q (ignoring Limit and Offset). Needs PermRead. EINVALID names a
// bad filter value.
func (s *Service) Requests(ctx context.Context, actor accord.Actor, q RequestQuery) ([]RequestView, int, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, 0, err
	}
	now := s.Now()
	f := accord.RequestFilter{CaseID: q.CaseID, Party: q.Party, Type: q.Type, Statuses: q.Status, Limit: q.Limit, Offset: q.Offset}
	switch q.Direction {
	case "":
	case accord.Outgoing:
		f.From = s.self
	case accord.Incoming:
		f.To = s.self
	default:
		return nil, 0, accord.FieldError("direction", "%q is not a direction (incoming, outgoing)", q.Direction)
	}
	if q.Type != "" && !q.Type.Known() {
		return nil, 0, accord.FieldError("type", "%q is not a request type", q.Type)
	}
	for _, st := range q.Status {
		if !st.Known() {
			return nil, 0, accord.FieldError("status", "%q is not a request status", st)
		}
	}
	if q.Limit < 0 || q.Offset < 0 {
		return nil, 0, accord.FieldError("limit", "limit and offset must not be negative")
	}
	if q.Overdue {
		f.OverdueAt = now
	}
	var rs []*accord.Request
	var total int
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		if rs, err = tx.Requests(f); err != nil {
			return err
		}
		total, err = tx.CountRequests(f)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]RequestView, len(rs))
	for i, r := range rs {
		out[i] = s.view(r, now)
	}
	return out, total, nil
}

// Step is one lifecycle action to record on a request, with what it needs:
// Ground and Text for a decline; Body for an answer; Score (1–5) and
// optionally Comment for a rating; Note optionally for any. At, when set, is when the step really
// happened; it is accepted only for steps of a party not on accord (recorded
// here afterwards) and must not be in the future or before the previous step.
type Step struct {
	Action  accord.Action `json:"action"`
	Ground  string        `json:"ground,omitempty"`
	Text    string        `json:"text,omitempty"`
	Body    string        `json:"body,omitempty"`
	Score   int           `json:"score,omitempty"`
	Comment string        `json:"comment,omitempty"`
	Note    string        `json:"note,omitempty"`
	At      time.Time     `json:"at,omitzero"`
	// Evidence lists items of this node's evidence attached to an answer;
	// the peer fetches each file and records it once its SHA-256 matches.
	Evidence []string `json:"evidence,omitempty"`
}

// Act records one lifecycle step on a request and returns the request after
// it. Needs PermWriteRequests. ECONFLICT when the lifecycle does not allow
// the action in the request's status (the error names both); EFORBIDDEN when
// the step belongs to a party that runs accord itself (its steps arrive as
// signed messages); EINVALID for a missing or bad ground, text, body, score or
// time; ENOTFOUND for an unknown request.
func (s *Service) Act(ctx context.Context, actor accord.Actor, id string, st Step) (*RequestDetail, error) {
	if err := actor.Require(accord.PermWriteRequests); err != nil {
		return nil, err
	}
	if !st.Action.Known() {
		return nil, accord.FieldError("action", "%q is not a lifecycle action", st.Action)
	}
	if len(st.Note) > 2000 {
		return nil, accord.FieldError("note", "is longer than 2000 bytes")
	}
	now := s.Now()
	var d *RequestDetail
	var peer string // set when a message was queued for a peer
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		peer = ""
		r, err := tx.Request(id)
		if err != nil {
			return err
		}
		other, err := tx.Party(s.counterparty(r))
		if err != nil {
			return err
		}
		events, err := tx.Events(id)
		if err != nil {
			return err
		}
		last := r.SentAt
		if len(events) > 0 {
			last = events[len(events)-1].At
		}
		e, ans, err := s.apply(r, other, st, actor, now, last)
		if err != nil {
			return err
		}
		if err := tx.UpdateRequest(r); err != nil {
			return err
		}
		if err := tx.AddEvent(e); err != nil {
			return err
		}
		if ans != nil {
			if err := tx.AddAnswer(ans); err != nil {
				return err
			}
		}
		items, err := s.attachable(tx, st, other)
		if err != nil {
			return err
		}
		if other.Kind == accord.PartyPeer {
			kind, body := stepMessage(st)
			for _, e := range items {
				body.Evidence = append(body.Evidence, evidenceRef{ID: e.ID, SHA256: e.Digest, Size: e.Size, Name: e.Name, Description: e.Description})
			}
			m, err := s.enqueue(tx, r, other.ID, kind, body, now)
			if err != nil {
				return err
			}
			if err := s.transferOut(tx, m, r, items, actor, now); err != nil {
				return err
			}
			peer = other.ID
		}
		d, err = s.detail(tx, id, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s request %s: %w", st.Action, id, err)
	}
	if peer != "" {
		s.onEnqueue(peer)
	}
	s.log.Info("request "+st.Action.Verb(), "request", id, "status", d.Status, "by", actor.Name)
	return d, nil
}

// counterparty returns the id of the party at the other end of r.
func (s *Service) counterparty(r *accord.Request) string {
	if r.From == s.self {
		return r.To
	}
	return r.From
}

// mayRecord reports whether this node may record an action of side on r: its
// own side always; the other side only while that party is not on accord.
func (s *Service) mayRecord(r *accord.Request, other *accord.Party, side accord.Side) error {
	ours := (side == accord.SideRequester) == (r.From == s.self)
	if ours || other.Kind == accord.PartyLocal {
		return nil
	}
	return accord.Errorf(accord.EFORBIDDEN, "only %s may take this step on request %s: it runs accord, so its steps arrive as signed messages", other.ID, r.ID)
}

// allowed returns the actions this node may record next on r.
func (s *Service) allowed(r *accord.Request, other *accord.Party) []accord.Action {
	out := []accord.Action{}
	for _, a := range accord.Actions {
		if _, err := accord.Transition(!r.AnswerBy.IsZero(), r.Status, a); err != nil {
			continue
		}
		if s.mayRecord(r, other, a.Side()) != nil {
			continue
		}
		out = append(out, a)
	}
	return out
}

// apply checks that this node may record st on r now (its own side, or the
// side of a party not on accord, dated no later than now and no earlier than
// the previous step) and then takes the step.
func (s *Service) apply(r *accord.Request, other *accord.Party, st Step, actor accord.Actor, now, last time.Time) (*accord.Event, *accord.Answer, error) {
	if _, err := accord.Transition(!r.AnswerBy.IsZero(), r.Status, st.Action); err != nil {
		return nil, nil, err
	}
	side := st.Action.Side()
	if err := s.mayRecord(r, other, side); err != nil {
		return nil, nil, err
	}
	at := now
	if !st.At.IsZero() {
		ours := (side == accord.SideRequester) == (r.From == s.self)
		if ours && other.Kind != accord.PartyLocal {
			return nil, nil, accord.FieldError("at", "a step of this node's own party with a party on accord happens now; it cannot be dated")
		}
		at = st.At.UTC().Truncate(time.Microsecond)
		if at.After(now) {
			return nil, nil, accord.FieldError("at", "%s is in the future", at.Format(time.RFC3339))
		}
	}
	if at.Before(last) {
		return nil, nil, accord.FieldError("at", "%s is before the request's previous step (%s)", at.Format(time.RFC3339), last.Format(time.RFC3339))
	}
	return s.step(r, st, actor.Name, at, now)
}

// step moves r by one step taken at `at` and recorded now by actor (a user
// of this node, or a peer whose signed message carried the step), returning
// the event to record and, for an answer, the answer. It checks the
// lifecycle and the step's own fields, changes r in place and touches no
// store; who may take the step is the caller's concern.
func (s *Service) step(r *accord.Request, st Step, actor string, at, now time.Time) (*accord.Event, *accord.Answer, error) {
	next, err := accord.Transition(!r.AnswerBy.IsZero(), r.Status, st.Action)
	if err != nil {
		return nil, nil, err
	}
	party := r.To
	if st.Action.Side() == accord.SideRequester {
		party = r.From
	}
	e := &accord.Event{RequestID: r.ID, Seq: r.Seq + 1, Action: st.Action, From: r.Status, To: next,
		Party: party, At: at, RecordedAt: now, Actor: actor, Note: strings.TrimSpace(st.Note)}
	var ans *accord.Answer
	switch st.Action {
	case accord.ActionDeliver:
		r.ReceivedAt = at
		if err := r.SetDeadlines(s.agreement); err != nil {
			return nil, nil, err
		}
	case accord.ActionAcknowledge:
		r.AcknowledgedAt = at
	case accord.ActionAccept:
		r.AcceptedAt = at
		if terms, err := s.agreement.Terms(r.Type); err == nil && terms.Keep > 0 {
			r.PreserveUntil = at.Add(time.Duration(terms.Keep))
		}
	case accord.ActionDecline:
		if strings.TrimSpace(st.Ground) == "" {
			return nil, nil, accord.FieldError("ground", "is required: one of the agreement's decline grounds")
		}
		g, err := s.agreement.Ground(st.Ground)
		if err != nil {
			return nil, nil, err
		}
		text := strings.TrimSpace(st.Text)
		if text == "" {
			return nil, nil, accord.FieldError("text", "is required: explain the decline in a few words")
		}
		if len(text) > accord.MaxBodyLen {
			return nil, nil, accord.FieldError("text", "is longer than %d bytes", accord.MaxBodyLen)
		}
		r.DeclinedAt, r.DeclineGround, r.DeclineText = at, g.ID, text
	case accord.ActionAnswerPartial, accord.ActionAnswerFinal:
		body := strings.TrimSpace(st.Body)
		if body == "" {
			return nil, nil, accord.FieldError("body", "is required: the answer's text")
		}
		if len(body) > accord.MaxBodyLen {
			return nil, nil, accord.FieldError("body", "is longer than %d bytes", accord.MaxBodyLen)
		}
		if r.FirstAnsweredAt.IsZero() {
			r.FirstAnsweredAt = at
		}
		final := st.Action == accord.ActionAnswerFinal
		if final {
			r.AnsweredAt = at
		}
		ans = &accord.Answer{RequestID: r.ID, Final: final, Body: body, At: at, Author: actor}
	case accord.ActionRate:
		if err := accord.ValidateRating(st.Score); err != nil {
			return nil, nil, err
		}
		if len(st.Comment) > 2000 {
			return nil, nil, accord.FieldError("comment", "is longer than 2000 bytes")
		}
		r.RatedAt, r.Rating, r.RatingComment = at, st.Score, strings.TrimSpace(st.Comment)
	case accord.ActionClose:
		r.ClosedAt = at
	case accord.ActionWithdraw:
		r.WithdrawnAt = at
	}
	r.Status = next
	r.Seq++
	r.UpdatedAt = now
	if ans != nil {
		ans.Seq = r.Seq // answers share the event's sequence number
	}
	return e, ans, nil
}
