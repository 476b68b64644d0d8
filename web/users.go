package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/accord-cyber/accord"
)

// me is the body of GET /api/v1/me.
type me struct {
	Name        string              `json:"name"`
	Role        accord.Role         `json:"role"`
	Party       string              `json:"party"`
	Permissions []accord.Permission `json:"permissions"`
}

// me answers who the token belongs to, its role, the permissions the role
// holds and the node's party. Any role.
func (s *server) me(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	out := me{Name: a.Name, Role: a.Role, Party: s.svc.SelfID(), Permissions: []accord.Permission{}}
	for _, p := range accord.Permissions {
		if accord.Can(a.Role, p) {
			out.Permissions = append(out.Permissions, p)
		}
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// newUserBody is the body of POST /api/v1/users.
type newUserBody struct {
	Name string      `json:"name"`
	Role accord.Role `json:"role"`
}

// userCreated is the answer to POST /api/v1/users: the token is shown this
// once and never again.
type userCreated struct {
	User  *accord.User `json:"user"`
	Token string       `json:"token"`
}

// addUser creates a user with a fresh token. Admin only. 201 with Location;
// EINVALID for a bad name or role, ECONFLICT for a taken name.
func (s *server) addUser(w http.ResponseWriter, r *http.Request, a accord.Actor, in newUserBody) error {
	if _, err := query(r); err != nil {
		return err
	}
	u, token, err := s.svc.AddUser(r.Context(), a, in.Name, in.Role)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/users/%d", u.ID))
	s.writeJSON(w, r, http.StatusCreated, userCreated{User: u, Token: token})
	return nil
}

// userList is the body of GET /api/v1/users.
type userList struct {
	Users []*accord.User `json:"users"`
}

// listUsers lists every user. Admin only.
func (s *server) listUsers(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	us, err := s.svc.Users(r.Context(), a)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, userList{Users: nonNil(us)})
	return nil
}

// getUser shows one user by numeric id. Admin only. ENOTFOUND if absent.
func (s *server) getUser(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return accord.Errorf(accord.ENOTFOUND, "user %q not found", r.PathValue("id"))
	}
	// node.Service has no lookup by id; the user list is small.
	us, err := s.svc.Users(r.Context(), a)
	if err != nil {
		return err
	}
	for _, u := range us {
		if u.ID == id {
			s.writeJSON(w, r, http.StatusOK, u)
			return nil
		}
	}
	return accord.Errorf(accord.ENOTFOUND, "user %d not found", id)
}

// nonNil returns xs, or an empty slice for nil, so lists encode as [].
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
