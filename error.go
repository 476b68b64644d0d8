package accord

import (
	"errors"
	"fmt"
)

// Error codes. A caller branches on the code, never on the message.
const (
	// EINVALID: the input is wrong; the message says what and where. Fix the input.
	EINVALID = "invalid"
	// ENOTFOUND: the named thing does not exist.
	ENOTFOUND = "not_found"
	// ECONFLICT: the request is well formed but clashes with current state
	// (an illegal lifecycle step, a duplicate id, a concurrent change). Re-read and retry.
	ECONFLICT = "conflict"
	// EUNAUTHORIZED: no or unknown credentials.
	EUNAUTHORIZED = "unauthorized"
	// EFORBIDDEN: the credentials are known but their role may not do this.
	EFORBIDDEN = "forbidden"
	// EUNAVAILABLE: a dependency (the store, a peer) cannot be reached now. Retry later.
	EUNAVAILABLE = "unavailable"
	// EINTERNAL: a bug or an unexpected failure; the only code logged with detail.
	EINTERNAL = "internal"
)

// Error is the one error type of accord. Message is safe to show to the user
// who caused it; Field, when set, names the offending input (a JSON field, a
// flag, a key of a file). Err, when set, is the cause, kept for logs and
// errors.Is/As; it is never shown to remote callers.
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error
}

// Error returns the message, prefixed with the field when there is one.
func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Code == EINTERNAL && e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error about one named input field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure as EINTERNAL, keeping the cause.
func Internal(err error, format string, args ...any) *Error {
	return &Error{Code: EINTERNAL, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain, or a generic text for other errors (whose detail is for logs only).
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Code == EINTERNAL {
			return "internal error"
		}
		if e.Field != "" {
			return e.Field + ": " + e.Message
		}
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the Field of the first *Error in err's chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
