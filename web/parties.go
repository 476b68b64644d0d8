package web

import (
	"net/http"
	"net/url"

	"github.com/accord-cyber/accord"
)

// partyList is the body of GET /api/v1/parties.
type partyList struct {
	Parties []*accord.Party `json:"parties"`
}

// listParties lists every party the node knows, ordered by id. Any role.
func (s *server) listParties(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	ps, err := s.svc.Parties(r.Context(), a)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, partyList{Parties: nonNil(ps)})
	return nil
}

// getParty shows one party. Any role. ENOTFOUND if absent.
func (s *server) getParty(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	p, err := s.svc.Party(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, p)
	return nil
}

// newPartyBody is the body of POST /api/v1/parties: a party that does not
// run accord, whose side of each exchange is recorded here by hand.
type newPartyBody struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Country  string `json:"country"`
	Endpoint string `json:"endpoint"`
}

// addParty registers a local party (201 with Location) or updates one
// already registered (200). Admin only. EINVALID names the bad field;
// ECONFLICT when the id is this node's own party or a trusted peer.
func (s *server) addParty(w http.ResponseWriter, r *http.Request, a accord.Actor, in newPartyBody) error {
	if _, err := query(r); err != nil {
		return err
	}
	p, created, err := s.svc.AddParty(r.Context(), a, accord.Party{ID: in.ID, Name: in.Name, Country: in.Country, Endpoint: in.Endpoint})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/parties/"+url.PathEscape(p.ID))
	}
	s.writeJSON(w, r, status, p)
	return nil
}
