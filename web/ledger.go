package web

import (
	"net/http"
	"strconv"

	"github.com/accord-cyber/accord"
)

// ledgerHead shows the ledger's current size and root hash. Any role.
func (s *server) ledgerHead(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	h, err := s.svc.Head(r.Context(), a)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, h)
	return nil
}

// ledgerInclusion proves that a message (?message=ID) or its receipt
// (&receipt=true) is in the ledger. Any role. ENOTFOUND when it is not
// stored; EINVALID names a bad parameter.
func (s *server) ledgerInclusion(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	q, err := query(r, "message", "receipt")
	if err != nil {
		return err
	}
	id := q.Get("message")
	if id == "" {
		return accord.FieldError("message", "is required: the id of a stored message")
	}
	receipt := false
	if v := q.Get("receipt"); v != "" {
		if receipt, err = strconv.ParseBool(v); err != nil {
			return accord.FieldError("receipt", "%q is not true or false", v)
		}
	}
	p, err := s.svc.ProveInclusion(r.Context(), a, id, receipt)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, p)
	return nil
}

// ledgerConsistency proves that the ledger at ?old=N is a prefix of the
// ledger at &new=M. Any role. EINVALID names a bad parameter.
func (s *server) ledgerConsistency(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	q, err := query(r, "old", "new")
	if err != nil {
		return err
	}
	var sizes [2]int64
	for i, name := range []string{"old", "new"} {
		v := q.Get(name)
		if sizes[i], err = strconv.ParseInt(v, 10, 64); err != nil {
			return accord.FieldError(name, "%q is not a ledger size", v)
		}
	}
	p, err := s.svc.ProveConsistency(r.Context(), a, sizes[0], sizes[1])
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, p)
	return nil
}
