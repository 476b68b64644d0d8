package web

import (
	"net/http"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// A lifecycle route's body: each route has its own strict struct, so a field
// that means nothing to the action (a score on an acceptance) is refused
// rather than ignored, and each maps to one node.Step.
//
// "at", where a body has it, is when the step really happened; it may be set
// only for steps of a party that does not run accord, recorded here
// afterwards (node.Service.Act refuses it otherwise).
type stepBody interface {
	step() (node.Step, error)
}

// deliverBody is the body of POST /api/v1/requests/{id}/deliver.
type deliverBody struct {
	At   time.Time `json:"at,omitzero"`
	Note string    `json:"note"`
}

func (b deliverBody) step() (node.Step, error) {
	return node.Step{Action: accord.ActionDeliver, At: b.At, Note: b.Note}, nil
}

// acknowledgeBody is the body of POST /api/v1/requests/{id}/acknowledge.
type acknowledgeBody struct {
	At   time.Time `json:"at,omitzero"`
	Note string    `json:"note"`
}

func (b acknowledgeBody) step() (node.Step, error) {
	return node.Step{Action: accord.ActionAcknowledge, At: b.At, Note: b.Note}, nil
}

// acceptBody is the body of POST /api/v1/requests/{id}/accept.
type acceptBody struct {
	At   time.Time `json:"at,omitzero"`
	Note string    `json:"note"`
}

func (b acceptBody) step() (node.Step, error) {
	return node.Step{Action: accord.ActionAccept, At: b.At, Note: b.Note}, nil
}

// declineBody is the body of POST /api/v1/requests/{id}/decline: the id of
// one of the agreement's decline grounds and a short explanation.
type declineBody struct {
	Ground string    `json:"ground"`
	Text   string    `json:"text"`
	At     time.Time `json:"at,omitzero"`
	Note   string    `json:"note"`
}

func (b declineBody) step() (node.Step, error) {
	return node.Step{Action: accord.ActionDecline, Ground: b.Ground, Text: b.Text, At: b.At, Note: b.Note}, nil
}

// answerBody is the body of POST /api/v1/requests/{id}/answers. Final is
// required so that a forgotten flag cannot silently end the answering.
type answerBody struct {
	Body     string    `json:"body"`
	Final    *bool     `json:"final"`
	At       time.Time `json:"at,omitzero"`
	Note     string    `json:"note"`
	Evidence []string  `json:"evidence"`
}

func (b answerBody) step() (node.Step, error) {
	if b.Final == nil {
		return node.Step{}, accord.FieldError("final", "is required: true for the final answer, false for a partial one")
	}
	action := accord.ActionAnswerPartial
	if *b.Final {
		action = accord.ActionAnswerFinal
	}
	return node.Step{Action: action, Body: b.Body, At: b.At, Note: b.Note, Evidence: b.Evidence}, nil
}

// ratingBody is the body of POST /api/v1/requests/{id}/rating: a score from
// 1 (unusable) to 5 (excellent) and an optional comment.
type ratingBody struct {
	Score   int       `json:"score"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at,omitzero"`
}

func (b ratingBody) step() (node.Step, error) {
	return node.Step{Action: accord.ActionRate, Score: b.Score, Comment: b.Comment, At: b.At}, nil
}

// withdrawBody is the body of POST /api/v1/requests/{id}/withdraw.
type withdrawBody struct {
	Note string    `json:"note"`
	At   time.Time `json:"at,omitzero"`
}

func (b withdrawBody) step() (node.Step, error) {
	return node.Step{Action: accord.ActionWithdraw, At: b.At, Note: b.Note}, nil
}

// closeBody is the body of POST /api/v1/requests/{id}/close.
type closeBody struct {
	Note string    `json:"note"`
	At   time.Time `json:"at,omitzero"`
}

func (b closeBody) step() (node.Step, error) {
	return node.Step{Action: accord.ActionClose, At: b.At, Note: b.Note}, nil
}

// act is the endpoint of one lifecycle route: it decodes body B, records its
// step on the request named in the path and answers 200 with the request's
// detail. Liaison or admin. ECONFLICT when the lifecycle does not allow the
// action now (the detail names the action and the status); EFORBIDDEN for a
// step that a party running accord must take itself; EINVALID for a bad
// field; ENOTFOUND for an unknown request.
func act[B stepBody](s *server) endpoint {
	return body(s, func(w http.ResponseWriter, r *http.Request, a accord.Actor, in B) error {
		if _, err := query(r); err != nil {
			return err
		}
		st, err := in.step()
		if err != nil {
			return err
		}
		d, err := s.svc.Act(r.Context(), a, r.PathValue("id"), st)
		if err != nil {
			return err
		}
		s.writeJSON(w, r, http.StatusOK, fixDetail(d))
		return nil
	})
}
