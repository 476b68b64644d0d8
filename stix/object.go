package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Object is one STIX object of any type — SDO, SRO, SCO, marking
// definition, language content, extension definition or a custom object —
// kept as the ordered list of its properties with each value's JSON exactly
// as it arrived (only insignificant whitespace is dropped). Nothing is lost:
// custom properties, extensions, unknown types and the precision of every
// timestamp survive a decode and an encode unchanged.
//
// The common properties and the properties accord works with have typed
// accessors (ID, Created, ObjectMarkingRefs, Indicator, Sighting, …); any
// property can be read with Get and changed with Set.
//
// An Object is not safe for concurrent use while it is being changed with Set
// or Delete; reading from several goroutines is safe.
type Object struct {
	raw   []byte // the whole object, compact, kept in step with props
	props []member
	typ   string
	id    string
}

// member is one property: its name and its value as compact JSON, a slice
// of Object.raw.
type member struct {
	name  string
	value []byte
}

// Parse reads one STIX object from data, which must be a single JSON object.
// It refuses input that is not JSON, not UTF-8, or that repeats a property
// name at any depth (two readers could otherwise disagree about, say, which
// TLP marking applies). Parse does not Validate the object.
func Parse(data []byte) (*Object, error) {
	return parse(data, -1)
}

func parse(data []byte, index int) (*Object, error) {
	// json.Compact checks the syntax as it goes.
	var buf bytes.Buffer
	buf.Grow(len(data))
	if err := json.Compact(&buf, data); err != nil {
		return nil, &Error{Index: index, Message: "not valid JSON"}
	}
	o, err := fromCompact(buf.Bytes())
	if err != nil {
		return nil, &Error{ID: o.safeID(), Index: index, Path: err.path, Message: err.msg}
	}
	return o, nil
}

type scanError struct{ path, msg string }

// fromCompact builds an Object over compact, valid JSON, which it keeps.
// On error it returns whatever it learnt of the object (its id, if it got
// that far) for the message.
func fromCompact(raw []byte) (*Object, *scanError) {
	o := &Object{raw: raw}
	if !utf8.Valid(raw) {
		return o, &scanError{msg: "not valid UTF-8"}
	}
	if len(raw) == 0 || raw[0] != '{' {
		return o, &scanError{msg: "must be a JSON object"}
	}
	s := scanner{data: raw}
	err := s.object("", func(name string, value []byte) {
		o.props = append(o.props, member{name: name, value: value})
		switch name {
		case "type":
			o.typ = stringValue(value)
		case "id":
			o.id = stringValue(value)
		}
	})
	return o, err
}

// stringValue returns the string a JSON value holds, or "" for any other
// value.
func stringValue(v []byte) string {
	if len(v) < 2 || v[0] != '"' {
		return ""
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1])
	}
	var s string
	_ = json.Unmarshal(v, &s)
	return s
}

// safeID is the id if it is well formed enough to name the object in a
// message, else "".
func (o *Object) safeID() string {
	if o == nil || checkID(o.id) != nil {
		return ""
	}
	return o.id
}

// Type returns the "type" property, or "" if it is missing or not a string.
func (o *Object) Type() string { return o.typ }

// ID returns the "id" property, or "" if it is missing or not a string.
func (o *Object) ID() string { return o.id }

// Names returns the property names in the order of the input.
func (o *Object) Names() []string {
	out := make([]string, len(o.props))
	for i, p := range o.props {
		out[i] = p.name
	}
	return out
}

// Has reports whether the object has the property.
func (o *Object) Has(name string) bool { return o.index(name) >= 0 }

// Raw returns a property's value as compact JSON, and false if the object
// does not have it. The caller must not modify the returned bytes.
func (o *Object) Raw(name string) (json.RawMessage, bool) {
	i := o.index(name)
	if i < 0 {
		return nil, false
	}
	return o.props[i].value, true
}

// Get decodes a property into v (as json.Unmarshal does) and reports whether
// the object has it. It returns an error naming the property when the value
// does not fit v.
func (o *Object) Get(name string, v any) (bool, error) {
	raw, ok := o.Raw(name)
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, o.errorf(name, "cannot be read as %T: %v", v, err)
	}
	return true, nil
}

// Set gives the property the JSON encoding of v, replacing its value in
// place or appending it after the last property. Set does not Validate; it
// returns an error, leaving the object unchanged, when v cannot be encoded
// as JSON, repeats a name at some depth, or name is empty.
// Changing "type" or "id" changes what Type and ID return.
func (o *Object) Set(name string, v any) error {
	if name == "" {
		return errors.New("stix: Set: empty property name")
	}
	value, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("stix: Set %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, value); err != nil {
		return fmt.Errorf("stix: Set %s: %w", name, err)
	}
	props := make([]member, len(o.props), len(o.props)+1)
	copy(props, o.props)
	if i := o.index(name); i >= 0 {
		props[i].value = buf.Bytes()
	} else {
		props = append(props, member{name: name, value: buf.Bytes()})
	}
	return o.rebuild(props)
}

// Delete removes the property, if present.
func (o *Object) Delete(name string) {
	i := o.index(name)
	if i < 0 {
		return
	}
	props := make([]member, 0, len(o.props)-1)
	props = append(props, o.props[:i]...)
	props = append(props, o.props[i+1:]...)
	_ = o.rebuild(props) // removing a member cannot make valid JSON invalid
}

// rebuild re-encodes the object from props (names re-quoted, values copied
// verbatim) and leaves it unchanged if the result would not parse, such as
// a json.RawMessage value that repeats a name.
func (o *Object) rebuild(props []member) error {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range props {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(p.name)
		b.Write(name)
		b.WriteByte(':')
		b.Write(p.value)
	}
	b.WriteByte('}')
	// Re-scanning the fresh encoding keeps props pointing into raw and
	// re-derives type and id.
	n, err := fromCompact(b.Bytes())
	if err != nil {
		return fmt.Errorf("stix: %s: %s", err.path, err.msg)
	}
	*o = *n
	return nil
}

// MarshalJSON returns the object as compact JSON, properties in their order.
func (o *Object) MarshalJSON() ([]byte, error) {
	return bytes.Clone(o.raw), nil
}

// UnmarshalJSON parses data as Parse does.
func (o *Object) UnmarshalJSON(data []byte) error {
	n, err := Parse(data)
	if err != nil {
		return err
	}
	*o = *n
	return nil
}

// Bytes returns the object as compact JSON. The caller must not modify the
// returned bytes.
func (o *Object) Bytes() []byte { return o.raw }

// Clone returns an independent copy.
func (o *Object) Clone() *Object {
	n, _ := fromCompact(bytes.Clone(o.raw))
	return n
}

func (o *Object) index(name string) int {
	for i, p := range o.props {
		if p.name == name {
			return i
		}
	}
	return -1
}

func (o *Object) errorf(path, format string, args ...any) *Error {
	return &Error{ID: o.safeID(), Index: -1, Path: path, Message: fmt.Sprintf(format, args...)}
}

// scanner walks compact, valid JSON, reporting top-level members and
// refusing duplicate names at every depth.
type scanner struct {
	data []byte
	pos  int
}

// object reads the object at s.pos; path names it for messages.
func (s *scanner) object(path string, each func(name string, value []byte)) *scanError {
	s.pos++ // '{'
	var seen []string
	if s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	for {
		name, err := s.str()
		if err != nil {
			return &scanError{path: path, msg: "property name is not a valid JSON string"}
		}
		for _, n := range seen {
			if n == name {
				return &scanError{path: joinPath(path, name), msg: "property appears more than once"}
			}
		}
		seen = append(seen, name)
		s.pos++ // ':'
		start := s.pos
		if err := s.value(joinPath(path, name)); err != nil {
			return err
		}
		if each != nil {
			each(name, s.data[start:s.pos])
		}
		c := s.data[s.pos]
		s.pos++
		if c == '}' {
			return nil
		}
	}
}

func (s *scanner) value(path string) *scanError {
	switch s.data[s.pos] {
	case '{':
		return s.object(path, nil)
	case '[':
		s.pos++
		if s.data[s.pos] == ']' {
			s.pos++
			return nil
		}
		for i := 0; ; i++ {
			if err := s.value(path + "[" + strconv.Itoa(i) + "]"); err != nil {
				return err
			}
			c := s.data[s.pos]
			s.pos++
			if c == ']' {
				return nil
			}
		}
	case '"':
		_, err := s.skipString()
		if err != nil {
			return &scanError{path: path, msg: "not a valid JSON string"}
		}
		return nil
	default:
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case ',', '}', ']':
				return nil
			}
			s.pos++
		}
		return nil
	}
}

// str reads a string token and returns its decoded value.
func (s *scanner) str() (string, error) {
	start := s.pos
	escaped, err := s.skipString()
	if err != nil {
		return "", err
	}
	tok := s.data[start:s.pos]
	if !escaped {
		return string(tok[1 : len(tok)-1]), nil
	}
	var v string
	err = json.Unmarshal(tok, &v)
	return v, err
}

// skipString moves past the string at s.pos and reports whether it had
// escapes.
func (s *scanner) skipString() (bool, error) {
	escaped := false
	for i := s.pos + 1; i < len(s.data); i++ {
		switch s.data[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			s.pos = i + 1
			return escaped, nil
		}
	}
	return false, errors.New("unterminated string")
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// tree decodes the object into maps, lists, strings, json.Numbers, bools
// and nils, as encoding/json does with UseNumber, but straight from the
// compact bytes it already checked: validation reads every object this
// way, and reflection made it the decoder's bottleneck.
func (o *Object) tree() (map[string]any, error) {
	s := scanner{data: o.raw}
	v, err := s.tree()
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	return m, nil
}

func (s *scanner) tree() (any, error) {
	switch c := s.data[s.pos]; c {
	case '{':
		m := map[string]any{}
		s.pos++
		if s.data[s.pos] == '}' {
			s.pos++
			return m, nil
		}
		for {
			k, err := s.str()
			if err != nil {
				return nil, err
			}
			s.pos++ // ':'
			v, err := s.tree()
			if err != nil {
				return nil, err
			}
			m[k] = v
			c := s.data[s.pos]
			s.pos++
			if c == '}' {
				return m, nil
			}
		}
	case '[':
		var l []any
		s.pos++
		if s.data[s.pos] == ']' {
			s.pos++
			return []any{}, nil
		}
		for {
			v, err := s.tree()
			if err != nil {
				return nil, err
			}
			l = append(l, v)
			c := s.data[s.pos]
			s.pos++
			if c == ']' {
				return l, nil
			}
		}
	case '"':
		return s.str()
	case 't':
		s.pos += 4
		return true, nil
	case 'f':
		s.pos += 5
		return false, nil
	case 'n':
		s.pos += 4
		return nil, nil
	default:
		start := s.pos
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case ',', '}', ']':
				return json.Number(s.data[start:s.pos]), nil
			}
			s.pos++
		}
		return json.Number(s.data[start:s.pos]), nil
	}
}
