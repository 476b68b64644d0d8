package stix

import (
	"strconv"
	"strings"

	"github.com/accord-cyber/accord"
)

// Error is one reason why STIX input was refused. It names the object (its id
// when it has a usable one, otherwise its position in the bundle) and the
// property, as a JSON path inside the object ("valid_until",
// "external_references[0].url", "extensions.extension-definition--….tlp_2_0").
//
// Error unwraps to an *accord.Error with code EINVALID, so
// accord.ErrorCode reports "invalid" for any refusal of this package.
type Error struct {
	// ID is the object's id, or "" when the object has none that can be used.
	ID string
	// Index is the object's position in the bundle's "objects", or -1 when
	// the object was not read from a bundle.
	Index int
	// Path is the JSON path of the offending property inside the object;
	// "" when the object as a whole is at fault.
	Path string
	// Message says what is wrong, in words fit to show to whoever sent the
	// input.
	Message string
	// TooLarge is set when the object was refused for its size alone
	// (Decoder.MaxObjectSize), which an HTTP server answers with 413.
	TooLarge bool
}

// Error returns "ID: path: message", with "objects[i]" standing in for the
// id when there is none.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Object())
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Object names the object at fault: its id, else its place in the bundle,
// else "object".
func (e *Error) Object() string {
	switch {
	case e.ID != "":
		return e.ID
	case e.Index >= 0:
		return "objects[" + strconv.Itoa(e.Index) + "]"
	default:
		return "object"
	}
}

// Unwrap returns the same refusal as an *accord.Error with code EINVALID,
// whose Field is the object and path.
func (e *Error) Unwrap() error {
	field := e.Object()
	if e.Path != "" {
		field += ": " + e.Path
	}
	return &accord.Error{Code: accord.EINVALID, Field: field, Message: e.Message}
}

// Errors is every reason one object was refused, in the order they were
// found. Validate and the Decoder return it; it is never empty.
type Errors []*Error

// maxErrors bounds the reasons collected for one object, so a hostile object
// with a million bad properties cannot make its own refusal huge.
const maxErrors = 20

// Error joins the reasons with "; ".
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns each reason, so errors.As finds the first *Error (and through
// it the *accord.Error).
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
