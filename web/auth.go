package web

import (
	"net/http"
	"strings"

	"github.com/accord-cyber/accord"
)

// authenticate returns the actor whose API token the request carries as
// "Authorization: Bearer acc_…". EUNAUTHORIZED when the header is missing,
// not a bearer token, or the token is unknown; EUNAVAILABLE when the store
// cannot be asked.
func (s *server) authenticate(w http.ResponseWriter, r *http.Request) (accord.Actor, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return accord.Actor{}, accord.Errorf(accord.EUNAUTHORIZED, "missing bearer token: send Authorization: Bearer acc_…")
	}
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="accord", error="invalid_request"`)
		return accord.Actor{}, accord.Errorf(accord.EUNAUTHORIZED, "the Authorization header must be Bearer followed by an API token")
	}
	a, err := s.svc.Authenticate(r.Context(), token)
	if err != nil {
		if accord.ErrorCode(err) == accord.EUNAUTHORIZED {
			w.Header().Set("WWW-Authenticate", `Bearer realm="accord", error="invalid_token"`)
		}
		return accord.Actor{}, err
	}
	return a, nil
}
