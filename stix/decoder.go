package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxObjectSize is the largest object (or other bundle member) a
// Decoder reads unless told otherwise: 16 MiB.
const DefaultMaxObjectSize = 16 << 20

// Decoder reads the objects of one STIX 2.1 bundle (section 8) from a
// stream, one at a time, holding only the object being read: a bundle of a
// million objects takes no more memory than a bundle of one. The bundle's
// "type", "id" and "objects" may come in any order, and so may custom
// top-level properties (kept, see Extra).
//
// A Decoder is for one goroutine.
type Decoder struct {
	// MaxObjectSize bounds the bytes of one object; a larger one stops the
	// decoder with an error. NewDecoder sets DefaultMaxObjectSize.
	MaxObjectSize int64
	// NoValidate makes Next return objects without Validate, for callers
	// that validate later or read their own output back.
	NoValidate bool

	r     *limitReader
	dec   *json.Decoder
	state int
	index int // of the next object
	typ   string
	id    string
	extra map[string]json.RawMessage
	err   error // sticky: the stream cannot be read further
}

const (
	stateStart = iota
	stateMembers
	stateObjects
	stateDone
)

// NewDecoder returns a Decoder reading a bundle from r.
func NewDecoder(r io.Reader) *Decoder {
	lr := &limitReader{r: r}
	d := &Decoder{MaxObjectSize: DefaultMaxObjectSize, r: lr, dec: json.NewDecoder(lr)}
	return d
}

// Next returns the next object of the bundle. When the bundle has been read
// to its end and found well formed it returns io.EOF.
//
// An object that is refused (invalid JSON aside) comes back as nil with
// Errors naming it and its properties; reading can go on with the next
// object. Any other error — the stream is not JSON, not a bundle, an object
// too large, the bundle's id invalid — is returned again by every later
// call. The bundle's "type" and "id" may come after "objects", so a bundle
// is only known to be well formed when Next has returned io.EOF: an importer
// must not commit what it read before then.
func (d *Decoder) Next() (*Object, error) {
	if d.err != nil {
		return nil, d.err
	}
	o, err := d.next()
	var es Errors
	if err != nil && !errors.As(err, &es) {
		d.err = err
	}
	return o, err
}

func (d *Decoder) next() (*Object, error) {
	for {
		switch d.state {
		case stateStart:
			d.arm()
			tok, err := d.dec.Token()
			if err != nil {
				return nil, d.syntax("", err)
			}
			if tok != json.Delim('{') {
				return nil, &Error{Index: -1, Message: "a bundle must be a JSON object"}
			}
			d.state = stateMembers
		case stateMembers:
			d.arm()
			if !d.dec.More() {
				if _, err := d.dec.Token(); err != nil { // '}'
					return nil, d.syntax("", err)
				}
				d.state = stateDone
				return nil, d.finish()
			}
			tok, err := d.dec.Token()
			if err != nil {
				return nil, d.syntax("", err)
			}
			name, _ := tok.(string)
			if err := d.member(name); err != nil {
				return nil, err
			}
		case stateObjects:
			d.arm()
			if !d.dec.More() {
				if _, err := d.dec.Token(); err != nil { // ']'
					return nil, d.syntax("objects", err)
				}
				d.state = stateMembers
				continue
			}
			var raw json.RawMessage
			if err := d.dec.Decode(&raw); err != nil {
				return nil, d.syntax(fmt.Sprintf("objects[%d]", d.index), err)
			}
			i := d.index
			d.index++
			o, err := parse(raw, i)
			if err != nil {
				return nil, Errors{err.(*Error)}
			}
			if !d.NoValidate {
				if err := o.validate(i); err != nil {
					return nil, err
				}
			}
			return o, nil
		case stateDone:
			return nil, io.EOF
		}
	}
}

// member reads one top-level member of the bundle after its name.
func (d *Decoder) member(name string) error {
	if _, dup := d.seen(name); dup {
		return &Error{ID: d.id, Index: -1, Path: name, Message: "bundle property appears more than once"}
	}
	switch name {
	case "objects":
		tok, err := d.dec.Token()
		if err != nil {
			return d.syntax("objects", err)
		}
		if tok != json.Delim('[') {
			return &Error{ID: d.bundleName(), Index: -1, Path: "objects", Message: "must be a list"}
		}
		d.extra = setRaw(d.extra, "objects", nil)
		d.state = stateObjects
		return nil
	case "type", "id":
		var s string
		if err := d.dec.Decode(&s); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return d.syntax(name, err)
			}
			return &Error{ID: d.bundleName(), Index: -1, Path: name, Message: "must be a string"}
		}
		if name == "type" {
			if s != "bundle" {
				return &Error{Index: -1, Path: "type", Message: fmt.Sprintf("is %q; only a bundle can be decoded as a stream (use Parse for a single object)", s)}
			}
			d.typ = s
		} else {
			if err := checkID(s); err != nil {
				return &Error{Index: -1, Path: "id", Message: fmt.Sprintf("bundle id: %v", err)}
			}
			if IDType(s) != "bundle" {
				return &Error{Index: -1, Path: "id", Message: "a bundle's id must start with bundle--"}
			}
			d.id = s
		}
		d.extra = setRaw(d.extra, name, nil)
		return nil
	default:
		var raw json.RawMessage
		if err := d.dec.Decode(&raw); err != nil {
			return d.syntax(name, err)
		}
		if !validPropertyName(name) {
			return &Error{ID: d.bundleName(), Index: -1, Path: name, Message: "is not a valid property name (3-250 characters a-z, 0-9 and _, starting with a letter)"}
		}
		if bytes.Equal(raw, []byte("null")) {
			return &Error{ID: d.bundleName(), Index: -1, Path: name, Message: "must not be null"}
		}
		var buf bytes.Buffer
		_ = json.Compact(&buf, raw)
		d.extra = setRaw(d.extra, name, buf.Bytes())
		return nil
	}
}

func setRaw(m map[string]json.RawMessage, k string, v json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	m[k] = v
	return m
}

func (d *Decoder) seen(name string) (json.RawMessage, bool) {
	v, ok := d.extra[name]
	return v, ok
}

// finish checks the bundle once its closing brace has been read.
func (d *Decoder) finish() error {
	if d.typ == "" {
		return &Error{ID: d.bundleName(), Index: -1, Path: "type", Message: "is required (\"bundle\")"}
	}
	if d.id == "" {
		return &Error{Index: -1, Path: "id", Message: "is required"}
	}
	// Nothing but white space may follow the bundle.
	if _, err := d.dec.Token(); err != io.EOF {
		return &Error{ID: d.id, Index: -1, Message: "unexpected data after the bundle"}
	}
	return io.EOF
}

// arm lets the next value be up to MaxObjectSize bytes beyond what has been
// read so far.
func (d *Decoder) arm() {
	max := d.MaxObjectSize
	if max <= 0 {
		max = DefaultMaxObjectSize
	}
	d.r.allow = d.r.n + max
}

func (d *Decoder) syntax(path string, err error) error {
	e := d.syntaxError(path, err)
	var se *Error
	if errors.As(e, &se) && se.Index >= 0 {
		se.ID = "" // the fault is in that object, not in the bundle
	}
	return e
}

func (d *Decoder) syntaxError(path string, err error) error {
	if errors.Is(err, errTooLarge) {
		return &Error{ID: d.bundleName(), Index: d.objectIndex(path), Path: path, Message: fmt.Sprintf("larger than the limit of %d bytes", d.MaxObjectSize), TooLarge: true}
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{ID: d.bundleName(), Index: d.objectIndex(path), Message: "the bundle ends early (truncated input)"}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{ID: d.bundleName(), Index: d.objectIndex(path), Message: fmt.Sprintf("not valid JSON at byte %d: %v", se.Offset, se)}
	}
	if errors.As(err, new(*json.UnmarshalTypeError)) {
		return &Error{ID: d.bundleName(), Index: d.objectIndex(path), Path: path, Message: "has the wrong JSON type"}
	}
	return fmt.Errorf("stix: read bundle: %w", err)
}

// objectIndex is the index to report for a failure while reading path.
func (d *Decoder) objectIndex(path string) int {
	if d.state == stateObjects {
		return d.index
	}
	return -1
}

func (d *Decoder) bundleName() string { return d.id }

// BundleID returns the bundle's id once it has been read, else "".
func (d *Decoder) BundleID() string { return d.id }

// Extra returns the bundle's top-level properties other than type, id and
// objects, as compact JSON, once they have been read (all of them when Next
// has returned io.EOF).
func (d *Decoder) Extra() map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range d.extra {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

var errTooLarge = errors.New("stix: object too large")

// limitReader counts bytes and refuses to read past allow.
type limitReader struct {
	r     io.Reader
	n     int64
	allow int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n >= l.allow {
		return 0, errTooLarge
	}
	if rem := l.allow - l.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}
