package accord

import (
	"strings"
	"time"
)

// RequestType is what a request asks for.
type RequestType string

// The request types of DESIGN.md.
const (
	TypeInformation   RequestType = "information"   // information about malicious activity
	TypeInvestigation RequestType = "investigation" // investigative assistance
	TypePreservation  RequestType = "preservation"  // expedited preservation of stored data
	TypeEvidence      RequestType = "evidence"      // collection or production of electronic evidence
	TypeMitigation    RequestType = "mitigation"    // stop activity emanating from the requested party's territory
	TypeNotification  RequestType = "notification"  // shared for awareness; no answer owed
)

// RequestTypes lists every request type.
var RequestTypes = []RequestType{TypeInformation, TypeInvestigation, TypePreservation, TypeEvidence, TypeMitigation, TypeNotification}

// Known reports whether t is one of RequestTypes.
func (t RequestType) Known() bool {
	for _, k := range RequestTypes {
		if k == t {
			return true
		}
	}
	return false
}

// Priority is how urgent a request is; with the type it selects the deadlines.
type Priority string

// The priorities, most urgent first.
const (
	PriorityEmergency Priority = "emergency"
	PriorityHigh      Priority = "high"
	PriorityNormal    Priority = "normal"
	PriorityLow       Priority = "low"
)

// Priorities lists every priority, most urgent first.
var Priorities = []Priority{PriorityEmergency, PriorityHigh, PriorityNormal, PriorityLow}

// Known reports whether p is one of Priorities.
func (p Priority) Known() bool {
	for _, k := range Priorities {
		if k == p {
			return true
		}
	}
	return false
}

// Direction is a request's direction as seen from this node.
type Direction string

const (
	// Outgoing: this node's party asks.
	Outgoing Direction = "outgoing"
	// Incoming: another party asks this node's party.
	Incoming Direction = "incoming"
)

// Request is one request from one party to another about a case.
//
// Deadlines run from ReceivedAt, the moment the requested party received the
// request; until that is known (an outgoing request not yet delivered) they run
// provisionally from SentAt. AcknowledgeBy and AnswerBy are fixed from the
// agreement in force (AgreementDigest) when the request is created and again
// when its receipt fixes ReceivedAt; Overdue is computed from them at read time.
type Request struct {
	ID          string      `json:"id"`
	CaseID      string      `json:"case_id,omitempty"`
	From        string      `json:"from"`
	To          string      `json:"to"`
	Type        RequestType `json:"type"`
	Priority    Priority    `json:"priority"`
	Subject     string      `json:"subject"`
	Body        string      `json:"body"`
	LegalBasis  string      `json:"legal_basis,omitempty"`
	ExternalRef string      `json:"external_ref,omitempty"`
	Status      Status      `json:"status"`

	SentAt          time.Time `json:"sent_at"`
	ReceivedAt      time.Time `json:"received_at,omitzero"`
	AcknowledgeBy   time.Time `json:"acknowledge_by"`
	AnswerBy        time.Time `json:"answer_by,omitzero"`
	AgreementDigest string    `json:"agreement_digest"`

	AcknowledgedAt  time.Time `json:"acknowledged_at,omitzero"`
	AcceptedAt      time.Time `json:"accepted_at,omitzero"`
	DeclinedAt      time.Time `json:"declined_at,omitzero"`
	DeclineGround   string    `json:"decline_ground,omitempty"`
	DeclineText     string    `json:"decline_text,omitempty"`
	FirstAnsweredAt time.Time `json:"first_answered_at,omitzero"`
	AnsweredAt      time.Time `json:"answered_at,omitzero"`
	RatedAt         time.Time `json:"rated_at,omitzero"`
	Rating          int       `json:"rating,omitempty"`
	RatingComment   string    `json:"rating_comment,omitempty"`
	ClosedAt        time.Time `json:"closed_at,omitzero"`
	WithdrawnAt     time.Time `json:"withdrawn_at,omitzero"`
	// PreserveUntil is, for a preservation request, the earliest date the
	// preserved data may be released (accepted + the agreement's keep period).
	PreserveUntil time.Time `json:"preserve_until,omitzero"`

	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Seq is the number of lifecycle events recorded for the request; it is
	// the per-request sequence number of the last event.
	Seq int `json:"seq"`
}

// Limits on request text, shared by every way in.
const (
	MaxSubjectLen = 300
	MaxBodyLen    = 64 << 10
)

// DirectionFrom returns the request's direction as seen by party self.
func (r *Request) DirectionFrom(self string) Direction {
	if r.From == self {
		return Outgoing
	}
	return Incoming
}

// DeadlineBase returns the moment deadlines run from: ReceivedAt, or SentAt
// while receipt is not known.
func (r *Request) DeadlineBase() time.Time {
	if !r.ReceivedAt.IsZero() {
		return r.ReceivedAt
	}
	return r.SentAt
}

// SetDeadlines fixes AcknowledgeBy and AnswerBy from the agreement, counted
// from DeadlineBase. It returns EINVALID if the agreement has no terms for the
// request's type and priority.
func (r *Request) SetDeadlines(a *Agreement) error {
	terms, err := a.Terms(r.Type)
	if err != nil {
		return err
	}
	d, err := a.Deadline(r.Type, r.Priority)
	if err != nil {
		return err
	}
	base := r.DeadlineBase()
	r.AcknowledgeBy = base.Add(time.Duration(d.Acknowledge))
	r.AnswerBy = time.Time{}
	if terms.AnswerRequired {
		r.AnswerBy = base.Add(time.Duration(d.Answer))
	}
	r.AgreementDigest = a.Digest
	return nil
}

// Overdue says which deadline a request has passed without being met.
type Overdue string

const (
	NotOverdue         Overdue = ""
	OverdueAcknowledge Overdue = "acknowledge" // not acknowledged by AcknowledgeBy
	OverdueAnswer      Overdue = "answer"      // acknowledged, but not answered in full by AnswerBy
)

// Overdue returns which deadline the request has passed at now without
// meeting it. A declined, withdrawn, answered or closed request is never
// overdue. It is derived from the clock at read time and never stored.
func (r *Request) Overdue(now time.Time) Overdue {
	switch r.Status {
	case StatusSent, StatusDelivered:
		if now.After(r.AcknowledgeBy) {
			return OverdueAcknowledge
		}
	case StatusAcknowledged, StatusAccepted, StatusAnsweredPartial:
		if !r.AnswerBy.IsZero() && now.After(r.AnswerBy) {
			return OverdueAnswer
		}
	}
	return NotOverdue
}

// ValidateNew checks the fields a person supplies when creating a request. It
// returns EINVALID naming the first bad field.
func (r *Request) ValidateNew() error {
	if !r.Type.Known() {
		return FieldError("type", "%q is not a request type (%s)", r.Type, joinTypes())
	}
	if !r.Priority.Known() {
		return FieldError("priority", "%q is not a priority (emergency, high, normal, low)", r.Priority)
	}
	r.Subject = strings.TrimSpace(r.Subject)
	if r.Subject == "" {
		return FieldError("subject", "is required")
	}
	if len(r.Subject) > MaxSubjectLen {
		return FieldError("subject", "is longer than %d bytes", MaxSubjectLen)
	}
	if len(r.Body) > MaxBodyLen {
		return FieldError("body", "is longer than %d bytes", MaxBodyLen)
	}
	if len(r.LegalBasis) > 2000 {
		return FieldError("legal_basis", "is longer than 2000 bytes")
	}
	if len(r.ExternalRef) > 200 {
		return FieldError("external_ref", "is longer than 200 bytes")
	}
	return nil
}

// Event is one lifecycle step of a request, in order of Seq (from 1).
type Event struct {
	RequestID string    `json:"request_id"`
	Seq       int       `json:"seq"`
	Action    Action    `json:"action"`
	From      Status    `json:"from_status,omitempty"`
	To        Status    `json:"to_status"`
	Party     string    `json:"party"`
	At        time.Time `json:"at"`
	// RecordedAt differs from At when a step taken by a party not on accord
	// (by mail, by phone) was recorded here afterwards.
	RecordedAt time.Time `json:"recorded_at"`
	Actor      string    `json:"actor"`
	Note       string    `json:"note,omitempty"`
}

// Answer is one partial or final answer to a request.
type Answer struct {
	RequestID string    `json:"request_id"`
	Seq       int       `json:"seq"`
	Final     bool      `json:"final"`
	Body      string    `json:"body"`
	At        time.Time `json:"at"`
	Author    string    `json:"author"`
}

// Ratings name the quality scale of answers, from 1 to 5.
var Ratings = map[int]string{1: "unusable", 2: "poor", 3: "adequate", 4: "good", 5: "excellent"}

// ValidateRating returns EINVALID unless score is on the 1–5 scale.
func ValidateRating(score int) error {
	if _, ok := Ratings[score]; !ok {
		return FieldError("score", "%d is not a rating: use 1 (unusable) to 5 (excellent)", score)
	}
	return nil
}
