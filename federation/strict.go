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
//
// Valid JSON, the common case, is split into members by one scan
// (objectFieldsValid); anything else goes through encoding/json's token
// decoder, which finds the first error and words it.
func objectFields(data []byte, want ...string) (map[string]json.RawMessage, error) {
	if json.Valid(data) {
		if fields, ok, err := objectFieldsValid(data, want); ok {
			return fields, err
		}
	}
	return objectFieldsDecoder(data, want)
}

// objectFieldsValid is objectFields for data that json.Valid accepts: one
// JSON value and only white space around it. It gives the same members,
// raw values and errors as objectFieldsDecoder, member by member, without
// the decoder's allocations (a discarded syntax error after each value). It
// reports !ok when data is not an object, for the decoder to word.
func objectFieldsValid(data []byte, want []string) (fields map[string]json.RawMessage, ok bool, err error) {
	i := skipSpace(data, 0)
	if data[i] != '{' {
		return nil, false, nil
	}
	fields = make(map[string]json.RawMessage, len(want))
	i = skipSpace(data, i+1)
	for data[i] != '}' {
		end := skipString(data, i)
		name, err := memberName(data[i:end])
		if err != nil {
			return nil, false, nil
		}
		i = skipSpace(data, end) // at the colon
		i = skipSpace(data, i+1)
		end = skipValue(data, i)
		raw := json.RawMessage(data[i:end:end])
		if !slices.Contains(want, name) {
			return nil, true, accord.FieldError(name, "is not a known field (expected %s)", strings.Join(want, ", "))
		}
		if _, dup := fields[name]; dup {
			return nil, true, accord.FieldError(name, "appears more than once")
		}
		fields[name] = raw
		i = skipSpace(data, end) // at a comma or the closing brace
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	for _, name := range want {
		if _, ok := fields[name]; !ok {
			return nil, true, accord.FieldError(name, "is required")
		}
	}
	return fields, true, nil
}

// The scanners below walk JSON that json.Valid accepted, so they need not
// check it again: every string, object and array they enter is closed.

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at data[i].
func skipString(data []byte, i int) int {
	for i++; ; i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// skipValue returns the index after the value that starts at data[i].
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(data) && !strings.ContainsRune(",}] \t\n\r", rune(data[i])) { // a number, true, false or null
		i++
	}
	return i
}

// memberName decodes a JSON string as encoding/json does.
func memberName(quoted []byte) (string, error) {
	if s, ok := plainString(quoted); ok {
		return s, nil
	}
	var s string
	err := json.Unmarshal(quoted, &s)
	return s, err
}

// plainString returns the content of a quoted JSON string that holds no
// escape, no control character and only valid UTF-8, which encoding/json
// would return as it is.
func plainString(quoted []byte) (string, bool) {
	if len(quoted) < 2 || quoted[0] != '"' || quoted[len(quoted)-1] != '"' {
		return "", false
	}
	in := quoted[1 : len(quoted)-1]
	for _, c := range in {
		if c < ' ' || c == '\\' || c == '"' {
			return "", false
		}
	}
	if !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

// objectFieldsDecoder is objectFields with encoding/json's token decoder.
func objectFieldsDecoder(data []byte, want []string) (map[string]json.RawMessage, error) {
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
	if s, ok := plainString(raw); ok {
		return s, nil
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
