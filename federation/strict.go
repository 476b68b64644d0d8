package federation

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/accord-cyber/accord"
)

// objectFields decodes data, which must be exactly one JSON object and
// nothing after it, into its members. Member names are compared exactly
// (encoding/json matches struct fields case-insensitively and keeps the last
// of duplicate names, which a signed format cannot afford). Every name in
// want must be present, no other name may be, and no name may repeat. It
// returns EINVALID naming the offending member.
func objectFields(data []byte, want ...string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, accord.Errorf(accord.EINVALID, "not JSON: %s", jsonReason(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, accord.Errorf(accord.EINVALID, "not a JSON object")
	}
	fields := make(map[string]json.RawMessage, len(want))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, accord.Errorf(accord.EINVALID, "not JSON: %s", jsonReason(err))
		}
		name, _ := tok.(string) // inside an object the decoder only yields string names
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, accord.Errorf(accord.EINVALID, "not JSON: %s", jsonReason(err))
		}
		if !slices.Contains(want, name) {
			return nil, accord.FieldError(name, "is not a known field (expected %s)", strings.Join(want, ", "))
		}
		if _, dup := fields[name]; dup {
			return nil, accord.FieldError(name, "appears more than once")
		}
		fields[name] = raw
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, accord.Errorf(accord.EINVALID, "not JSON: %s", jsonReason(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, accord.Errorf(accord.EINVALID, "unexpected data after the JSON object")
	}
	for _, name := range want {
		if _, ok := fields[name]; !ok {
			return nil, accord.FieldError(name, "is required")
		}
	}
	return fields, nil
}

// jsonReason shortens a decoder error to what a remote sender can act on.
func jsonReason(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// stringField decodes the named member as a JSON string (null is refused).
func stringField(fields map[string]json.RawMessage, name string) (string, error) {
	raw := fields[name]
	if len(raw) == 0 || raw[0] != '"' {
		return "", accord.FieldError(name, "must be a string")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", accord.FieldError(name, "must be a string")
	}
	return s, nil
}

// maxIDLen bounds message and request ids.
const maxIDLen = 200

// checkID returns EINVALID unless s is a usable identifier: 1–200 bytes of
// UTF-8 without spaces or control characters.
func checkID(field, s string) error {
	switch {
	case s == "":
		return accord.FieldError(field, "is required")
	case len(s) > maxIDLen:
		return accord.FieldError(field, "is longer than %d bytes", maxIDLen)
	case !utf8.ValidString(s):
		return accord.FieldError(field, "is not valid UTF-8")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return accord.FieldError(field, "%q contains a space or a control character", s)
	}
	return nil
}
