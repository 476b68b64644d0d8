package misp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/accord-cyber/accord"
)

// MaxSize is the largest input Decode and DecodeAll read: 64 MiB. MISP
// events that carry malware samples and attachments inline can be large,
// but an event is held in memory whole while it is converted.
const MaxSize = 64 << 20

// maxDepth bounds the nesting of the JSON input. The deepest structure of
// the MISP core format (Event.Object[].Attribute[].Galaxy[].GalaxyCluster[]
// .meta.x[]) is about a dozen levels.
const maxDepth = 64

// readJSON reads one JSON value of at most MaxSize bytes from r, refusing
// invalid UTF-8, keys repeated in one object (two readers could disagree on
// which "Tag" list, and so which TLP, applies) and trailing data. Objects
// become map[string]any, arrays []any, numbers json.Number.
func readJSON(r io.Reader) (any, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read MISP input: %w", err)
	}
	if len(data) > MaxSize {
		return nil, accord.Errorf(accord.EINVALID, "MISP input is larger than %d MiB", MaxSize>>20)
	}
	if !utf8.Valid(data) {
		return nil, accord.Errorf(accord.EINVALID, "MISP input is not valid UTF-8")
	}
	p := &parser{d: json.NewDecoder(bytes.NewReader(data))}
	p.d.UseNumber()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if _, err := p.d.Token(); err != io.EOF {
		return nil, accord.Errorf(accord.EINVALID, "MISP input is not JSON: data after the first JSON value")
	}
	return v, nil
}

type parser struct {
	d    *json.Decoder
	path []string
}

func (p *parser) where() string {
	if len(p.path) == 0 {
		return "the top level"
	}
	return strings.TrimPrefix(strings.Join(p.path, ""), ".")
}

func (p *parser) syntax(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return accord.Errorf(accord.EINVALID, "MISP input is not JSON: %s (at byte %d)", se.Error(), se.Offset)
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return accord.Errorf(accord.EINVALID, "MISP input is not JSON: it ends early")
	}
	return accord.Errorf(accord.EINVALID, "MISP input is not JSON: %s", err.Error())
}

func (p *parser) value() (any, error) {
	if len(p.path) > maxDepth {
		return nil, accord.Errorf(accord.EINVALID, "MISP input is nested deeper than %d levels at %s", maxDepth, p.where())
	}
	tok, err := p.d.Token()
	if err != nil {
		return nil, p.syntax(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{}
			for p.d.More() {
				kt, err := p.d.Token()
				if err != nil {
					return nil, p.syntax(err)
				}
				k, _ := kt.(string)
				if _, dup := m[k]; dup {
					p.path = append(p.path, "."+k)
					return nil, accord.FieldError(p.where(), "appears twice in one object")
				}
				p.path = append(p.path, "."+k)
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				p.path = p.path[:len(p.path)-1]
				m[k] = v
			}
			if _, err := p.d.Token(); err != nil {
				return nil, p.syntax(err)
			}
			return m, nil
		case '[':
			l := []any{}
			for i := 0; p.d.More(); i++ {
				p.path = append(p.path, "["+strconv.Itoa(i)+"]")
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				p.path = p.path[:len(p.path)-1]
				l = append(l, v)
			}
			if _, err := p.d.Token(); err != nil {
				return nil, p.syntax(err)
			}
			return l, nil
		}
		return nil, accord.Errorf(accord.EINVALID, "MISP input is not JSON: unexpected %q", t.String())
	default:
		return tok, nil
	}
}

// node is one JSON object of the input with its path ("Event.Attribute[3]"),
// which every error about it names.
type node struct {
	m    map[string]any
	path string
}

func (n node) at(key string) string { return n.path + "." + key }

// fail returns the EINVALID error about one of n's keys.
func (n node) fail(key, format string, args ...any) error {
	p := n.path
	if key != "" {
		p = n.at(key)
	}
	return accord.FieldError(p, format, args...)
}

// has reports whether key is present and not null.
func (n node) has(key string) bool { return n.m[key] != nil }

// str returns a string value. MISP writes most scalars as strings but some
// producers write numbers for them; a number is taken as its text.
func (n node) str(key string) (string, error) {
	switch v := n.m[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	default:
		return "", n.fail(key, "must be a string, not %s", kind(v))
	}
}

// boolean reads true/false, and the "0"/"1" (string or number) that
// older MISP versions write.
func (n node) boolean(key string) (bool, error) {
	switch v := n.m[key].(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case string, json.Number:
		s := fmt.Sprint(v)
		switch strings.ToLower(s) {
		case "1", "true":
			return true, nil
		case "0", "false", "":
			return false, nil
		}
		return false, n.fail(key, "%q is not a boolean", s)
	default:
		return false, n.fail(key, "must be a boolean, not %s", kind(v))
	}
}

// list returns a list value; absent or null is an empty list.
func (n node) list(key string) ([]any, error) {
	switch v := n.m[key].(type) {
	case nil:
		return nil, nil
	case []any:
		return v, nil
	default:
		return nil, n.fail(key, "must be a list, not %s", kind(v))
	}
}

// nodes returns the members of a list of objects.
func (n node) nodes(key string) ([]node, error) {
	l, err := n.list(key)
	if err != nil {
		return nil, err
	}
	out := make([]node, len(l))
	for i, x := range l {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, accord.FieldError(fmt.Sprintf("%s[%d]", n.at(key), i), "must be an object, not %s", kind(x))
		}
		out[i] = node{m: m, path: fmt.Sprintf("%s[%d]", n.at(key), i)}
	}
	return out, nil
}

// object returns an object value, and false when it is absent or null.
func (n node) object(key string) (node, bool, error) {
	switch v := n.m[key].(type) {
	case nil:
		return node{}, false, nil
	case map[string]any:
		return node{m: v, path: n.at(key)}, true, nil
	default:
		return node{}, false, n.fail(key, "must be an object, not %s", kind(v))
	}
}

// uuid returns a UUID in lower case, "" when absent or empty, and an error
// for anything that is not an RFC 4122 UUID: MISP keys every event,
// attribute, object and cluster by its UUID, and accord derives STIX ids
// from it. (Attributes and objects read theirs with elementUUID, which
// replaces a placeholder instead.)
func (n node) uuid(key string) (string, error) {
	s, err := n.str(key)
	if err != nil || s == "" {
		return "", err
	}
	u, ok := parseUUID(s)
	if !ok {
		return "", n.fail(key, "%q is not a UUID", s)
	}
	return u, nil
}

// parseUUID returns s in lower case if it is an RFC 4122 UUID of version
// 1 to 5 in its 36-character form.
func parseUUID(s string) (string, bool) {
	u, err := uuid.Parse(s)
	if err != nil || len(s) != 36 || u.Variant() != uuid.RFC4122 || u.Version() < 1 || u.Version() > 5 {
		return "", false
	}
	return u.String(), true
}

// unix reads a MISP timestamp: seconds since 1970 as a string or number.
// Zero and absent both mean "not set".
func (n node) unix(key string) (time.Time, error) {
	s, err := n.str(key)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	// Some producers write fractional seconds.
	whole, _, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || sec < 0 || sec > maxUnix {
		return time.Time{}, n.fail(key, "%q is not a Unix timestamp (seconds since 1970)", s)
	}
	if sec == 0 {
		return time.Time{}, nil
	}
	return time.Unix(sec, 0).UTC(), nil
}

// maxUnix is 9999-12-31T23:59:59Z, the last instant a STIX timestamp can
// hold.
const maxUnix = 253402300799

// datetime reads the ISO 8601 first_seen and last_seen of attributes
// and objects ("2020-10-25T16:22:00.000000+00:00"), or a Unix timestamp.
func (n node) datetime(key string) (time.Time, error) {
	s, err := n.str(key)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n.unix(key)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 1970 && t.Year() <= 9999 {
			return t.UTC(), nil
		}
	}
	return time.Time{}, n.fail(key, "%q is not a date and time (ISO 8601)", s)
}

// integer reads a small enumeration such as threat_level_id, accepting
// only values in [lo, hi]; def when absent.
func (n node) integer(key string, lo, hi, def int) (int, error) {
	s, err := n.str(key)
	if err != nil {
		return 0, err
	}
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, n.fail(key, "%q is not one of %d to %d", s, lo, hi)
	}
	return v, nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
