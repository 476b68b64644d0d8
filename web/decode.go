package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
)

// decodeBody reads the request body into dst, a pointer to a body struct,
// strictly: the Content-Type must be application/json (else 415); the body
// must fit in MaxBodyBytes (else 413) and be exactly one JSON object with no
// field dst does not have and every value of the field's type (else
// EINVALID, naming the field or the byte offset at fault).
func (s *server) decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		if ct == "" {
			ct = "none"
		}
		return httpError(http.StatusUnsupportedMediaType, "", "the request body must be JSON sent as Content-Type: application/json (got %s)", ct)
	}
	// MaxBytesReader tells the server to close the connection after an
	// oversize body only through the server's own ResponseWriter.
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return httpError(http.StatusRequestEntityTooLarge, "", "the request body is larger than %d bytes", tooBig.Limit)
	} else if err != nil {
		return &accord.Error{Code: accord.EINVALID, Message: "read request body: " + err.Error(), Err: err}
	}
	return decodeJSON(data, dst)
}

// decodeJSON decodes data, which must be exactly one JSON object, into the
// struct dst points to. See decodeBody.
func decodeJSON(data []byte, dst any) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return accord.Errorf(accord.EINVALID, "the request body is empty: send a JSON object")
	}
	if trimmed[0] != '{' {
		// Checked before decoding because null would decode into a struct
		// without error and leave every field unset.
		return accord.Errorf(accord.EINVALID, "the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(data, dst, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return accord.Errorf(accord.EINVALID, "malformed JSON: unexpected data after the JSON object at offset %d", dec.InputOffset())
	}
	// encoding/json matches field names without regard to case; a body
	// must use the names exactly.
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return accord.Internal(err, "decode request body twice")
	}
	fields := jsonFields(reflect.TypeOf(dst).Elem())
	for _, key := range slices.Sorted(maps.Keys(keys)) {
		if !slices.Contains(fields, key) {
			return accord.FieldError(key, "is not a field of this request body (%s; names are case-sensitive)", describeFields(fields))
		}
	}
	return nil
}

// decodeError turns an encoding/json error into EINVALID naming the field
// or the byte offset at fault.
func decodeError(data []byte, dst any, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return &accord.Error{Code: accord.EINVALID, Message: fmt.Sprintf("malformed JSON at offset %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: ")), Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &accord.Error{Code: accord.EINVALID, Message: fmt.Sprintf("malformed JSON: the body ends at offset %d before the JSON object does", len(data)), Err: err}
	case errors.As(err, &typ):
		if typ.Field == "" {
			return &accord.Error{Code: accord.EINVALID, Message: fmt.Sprintf("the request body must be a JSON object, not a JSON %s", typ.Value), Err: err}
		}
		return &accord.Error{Code: accord.EINVALID, Field: typ.Field, Message: fmt.Sprintf("must be %s, not a JSON %s", jsonKind(typ.Type), typ.Value), Err: err}
	}
	// encoding/json reports an unknown field only in its message.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		return &accord.Error{Code: accord.EINVALID, Field: name,
			Message: fmt.Sprintf("is not a field of this request body (%s)", describeFields(jsonFields(reflect.TypeOf(dst).Elem()))), Err: err}
	}
	// Errors of a field type's own decoder (time.Time) do not name the
	// field: find it by decoding the fields one by one.
	if field, ft, ok := blame(data, reflect.TypeOf(dst).Elem()); ok {
		return &accord.Error{Code: accord.EINVALID, Field: field, Message: "must be " + jsonKind(ft), Err: err}
	}
	return &accord.Error{Code: accord.EINVALID, Message: "malformed request body: " + strings.TrimPrefix(err.Error(), "json: "), Err: err}
}

// blame returns the first field of data, a JSON object, whose value does not
// decode into the type of the matching field of struct type t.
func blame(data []byte, t reflect.Type) (string, reflect.Type, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return "", nil, false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		if name == "" {
			continue
		}
		raw, ok := obj[name]
		if !ok {
			continue
		}
		if json.Unmarshal(raw, reflect.New(f.Type).Interface()) != nil {
			return name, f.Type, true
		}
	}
	return "", nil, false
}

// jsonName returns the JSON name of a struct field, "" for a skipped one.
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name
}

// jsonFields lists the JSON names of struct type t's fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if name := jsonName(t.Field(i)); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// describeFields lists a body's fields for messages.
func describeFields(fields []string) string {
	if len(fields) == 0 {
		return "it takes none: send {}"
	}
	return "fields: " + strings.Join(fields, ", ")
}

// jsonKind describes the JSON value a Go type decodes from, for messages.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a JSON value"
	}
	if t == reflect.TypeFor[time.Time]() {
		return "an RFC 3339 date-time string, e.g. 2026-03-01T12:00:00Z"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(jsonKind(t.Elem()), "a "), "an ") + "s"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a JSON value"
}

// Paging limits of list routes.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// query checks that r's query string has no parameter other than those
// listed and none of the single-valued ones twice, and returns it. Listing a
// name with a "*" suffix allows it to repeat.
func query(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, accord.Errorf(accord.EINVALID, "malformed query string: %v", err)
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = strings.TrimSuffix(a, "*")
	}
	for name, vs := range q {
		i := slices.Index(names, name)
		if i < 0 {
			if len(names) == 0 {
				return nil, accord.FieldError(name, "is not a query parameter of this route (it takes none)")
			}
			return nil, accord.FieldError(name, "is not a query parameter of this route (parameters: %s)", strings.Join(names, ", "))
		}
		if len(vs) > 1 && !strings.HasSuffix(allowed[i], "*") {
			return nil, accord.FieldError(name, "is given %d times; give it once", len(vs))
		}
	}
	return q, nil
}

// paging returns the limit and offset query parameters: limit defaults to
// defaultLimit and may not exceed maxLimit; offset defaults to 0.
func paging(q url.Values) (limit, offset int, err error) {
	limit, offset = defaultLimit, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return 0, 0, accord.FieldError("limit", "%q is not a whole number from 1 to %d", v, maxLimit)
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, accord.FieldError("offset", "%q is not a whole number of 0 or more", v)
		}
		offset = n
	}
	return limit, offset, nil
}
