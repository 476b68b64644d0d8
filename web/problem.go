package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/accord-cyber/accord"
)

// problemType is the RFC 9457 type of every problem this API writes: the
// status code and the accord code say everything a client needs.
const problemType = "about:blank"

// problem is an RFC 9457 problem details object, extended with the accord
// error code and, when known, the input field at fault.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
	Code     string `json:"code"`
	Field    string `json:"field,omitempty"`
}

// statusError is an error of the HTTP layer itself whose status is not
// implied by its accord code: 413 (body too large), 415 (not JSON), 405.
type statusError struct {
	status int
	err    *accord.Error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// httpError returns an EINVALID error answered with the given status.
func httpError(status int, field, format string, args ...any) error {
	e := accord.Errorf(accord.EINVALID, format, args...)
	e.Field = field
	return &statusError{status: status, err: e}
}

// codeStatus maps an accord error code to its HTTP status; an unknown
// code is treated as internal.
func codeStatus(code string) (int, bool) {
	switch code {
	case accord.EINVALID:
		return http.StatusBadRequest, true
	case accord.ENOTFOUND:
		return http.StatusNotFound, true
	case accord.ECONFLICT:
		return http.StatusConflict, true
	case accord.EUNAUTHORIZED:
		return http.StatusUnauthorized, true
	case accord.EFORBIDDEN:
		return http.StatusForbidden, true
	case accord.EUNAVAILABLE:
		return http.StatusServiceUnavailable, true
	case accord.EINTERNAL:
		return http.StatusInternalServerError, true
	}
	return 0, false
}

// writeProblem answers err as a problem. The detail is the error's
// user-facing message; an internal error is logged with its cause and shown
// only as "internal error".
func (s *server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	code := accord.ErrorCode(err)
	status, ok := codeStatus(code)
	if !ok {
		code, status = accord.EINTERNAL, http.StatusInternalServerError
	}
	var se *statusError
	if errors.As(err, &se) {
		status = se.status
	}
	if code == accord.EINTERNAL {
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p := problem{
		Type:     problemType,
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   accord.ErrorMessage(err),
		Instance: r.URL.Path,
		Code:     code,
	}
	if code != accord.EINTERNAL {
		p.Field = accord.ErrorField(err)
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="accord"`)
	}
	s.writeBody(w, r, status, "application/problem+json", p)
}

// writeJSON answers v as application/json with the given status.
func (s *server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	s.writeBody(w, r, status, "application/json", v)
}

func (s *server) writeBody(w http.ResponseWriter, r *http.Request, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a bug (an unencodable value) gets here; the status is not yet sent.
		s.log.ErrorContext(r.Context(), "internal error: encode response", "method", r.Method, "path", r.URL.Path, "err", err)
		status, contentType = http.StatusInternalServerError, "application/problem+json"
		b, _ = json.Marshal(problem{Type: problemType, Title: http.StatusText(status), Status: status,
			Detail: "internal error", Instance: r.URL.Path, Code: accord.EINTERNAL})
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
