package web

import (
	"net/http"

	"github.com/accord-cyber/accord"
)

// healthz answers 200 {"status":"ok"} when the node's store answers, and a
// 503 problem (code unavailable) otherwise. Public, for load balancers and
// orchestrators.
func (s *server) healthz(w http.ResponseWriter, r *http.Request, _ accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	if err := s.svc.Ping(r.Context()); err != nil {
		s.log.WarnContext(r.Context(), "health check failed", "err", err)
		return &accord.Error{Code: accord.EUNAVAILABLE, Message: "the node is not ready: its store does not answer", Err: err}
	}
	s.writeJSON(w, r, http.StatusOK, health{Status: "ok"})
	return nil
}

// health is the body of a successful health check.
type health struct {
	Status string `json:"status"`
}
