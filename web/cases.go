package web

import (
	"net/http"
	"net/url"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// caseList is the body of GET /api/v1/cases.
type caseList struct {
	Cases []*accord.Case `json:"cases"`
}

// listCases lists cases, newest first, filtered by ?status=open|closed and
// paged by ?limit= (default 100, at most 1000) and ?offset=. Any role.
// EINVALID names a bad parameter.
func (s *server) listCases(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	q, err := query(r, "status", "limit", "offset")
	if err != nil {
		return err
	}
	limit, offset, err := paging(q)
	if err != nil {
		return err
	}
	cs, err := s.svc.Cases(r.Context(), a, accord.CaseFilter{Status: accord.CaseStatus(q.Get("status")), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	for _, c := range cs {
		fixCase(c)
	}
	s.writeJSON(w, r, http.StatusOK, caseList{Cases: nonNil(cs)})
	return nil
}

// createCase opens a case. Analyst or admin. 201 with Location; EINVALID
// names the bad field.
func (s *server) createCase(w http.ResponseWriter, r *http.Request, a accord.Actor, in node.NewCase) error {
	if _, err := query(r); err != nil {
		return err
	}
	c, err := s.svc.CreateCase(r.Context(), a, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/cases/"+url.PathEscape(c.ID))
	s.writeJSON(w, r, http.StatusCreated, fixCase(c))
	return nil
}

// getCase shows one case. Any role. ENOTFOUND if absent.
func (s *server) getCase(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	c, err := s.svc.Case(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, fixCase(c))
	return nil
}

// closeCaseBody is the body of POST /api/v1/cases/{id}/close: an empty
// object, kept so that the route can take options later.
type closeCaseBody struct{}

// closeCase closes an open case. Analyst or admin. ENOTFOUND for an
// unknown case; ECONFLICT if it is already closed.
func (s *server) closeCase(w http.ResponseWriter, r *http.Request, a accord.Actor, _ closeCaseBody) error {
	if _, err := query(r); err != nil {
		return err
	}
	c, err := s.svc.CloseCase(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, fixCase(c))
	return nil
}

// fixCase makes a case's lists encode as [] rather than null.
func fixCase(c *accord.Case) *accord.Case {
	c.Sectors = nonNil(c.Sectors)
	return c
}
