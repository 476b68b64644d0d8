package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// requestList is the body of GET /api/v1/requests: one page of requests and
// how many match in all.
type requestList struct {
	Requests []node.RequestView `json:"requests"`
	Total    int                `json:"total"`
}

// listRequests lists requests, most recently sent first. Filters:
// ?case=ID, ?party=ID (sent by or to), ?direction=incoming|outgoing,
// ?type=T, ?status=S (repeatable or comma separated, any of),
// ?overdue=true; paging: ?limit= (default 100, at most 1000), ?offset=.
// Any role. EINVALID names a bad parameter.
func (s *server) listRequests(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	q, err := query(r, "case", "party", "direction", "type", "status*", "overdue", "limit", "offset")
	if err != nil {
		return err
	}
	rq := node.RequestQuery{
		CaseID:    q.Get("case"),
		Party:     q.Get("party"),
		Direction: accord.Direction(q.Get("direction")),
		Type:      accord.RequestType(q.Get("type")),
	}
	if rq.Limit, rq.Offset, err = paging(q); err != nil {
		return err
	}
	for _, v := range q["status"] {
		for st := range strings.SplitSeq(v, ",") {
			if st = strings.TrimSpace(st); st != "" {
				rq.Status = append(rq.Status, accord.Status(st))
			}
		}
	}
	if v := q.Get("overdue"); v != "" {
		if rq.Overdue, err = strconv.ParseBool(v); err != nil {
			return accord.FieldError("overdue", "%q is not true or false", v)
		}
	}
	views, total, err := s.svc.Requests(r.Context(), a, rq)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, requestList{Requests: nonNil(views), Total: total})
	return nil
}

// createRequest records a request (see node.NewRequest): outgoing without
// "from", incoming received by other means with "from" and "received_at".
// Liaison or admin. 201 with Location and the request's detail; EINVALID
// names the bad field (type, priority, party, case, times).
func (s *server) createRequest(w http.ResponseWriter, r *http.Request, a accord.Actor, in node.NewRequest) error {
	if _, err := query(r); err != nil {
		return err
	}
	d, err := s.svc.CreateRequest(r.Context(), a, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/requests/"+url.PathEscape(d.ID))
	s.writeJSON(w, r, http.StatusCreated, fixDetail(d))
	return nil
}

// getRequest shows one request with its events, answers and the actions
// this node may record next. Any role. ENOTFOUND if absent.
func (s *server) getRequest(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	d, err := s.svc.Request(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, fixDetail(d))
	return nil
}

// fixDetail makes a request detail's lists encode as [] rather than null.
func fixDetail(d *node.RequestDetail) *node.RequestDetail {
	d.Events = nonNil(d.Events)
	d.Answers = nonNil(d.Answers)
	d.Allowed = nonNil(d.Allowed)
	return d
}

// messageList is the body of GET /api/v1/requests/{id}/messages.
type messageList struct {
	Messages []node.MessageView `json:"messages"`
}

// listMessages shows the signed messages exchanged about one request, each
// envelope exactly as signed and its signed receipt once there is one. Any
// role. ENOTFOUND for an unknown request.
func (s *server) listMessages(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	ms, err := s.svc.Messages(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, messageList{Messages: ms})
	return nil
}
