package web

import (
	"net/http"

	"github.com/accord-cyber/accord"
)

// agreement answers the agreement the node applies. Any role.
func (s *server) agreement(w http.ResponseWriter, r *http.Request, _ accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, s.svc.Agreement())
	return nil
}
