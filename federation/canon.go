package federation

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// isCanonical reports whether b is RFC 8785 canonical JSON, that is
// whether jcs.Transform(b) would return b unchanged. Every envelope and
// receipt a node opens is checked, and jcs.Transform parses the whole
// payload into a tree and writes it out again: the scan below answers
// without allocating for what accord's payloads hold, and hands anything
// else to jcs.
func isCanonical(b []byte) bool {
	if ok, sure := scanCanonical(b); sure {
		return ok
	}
	c, err := jcs.Transform(b)
	return err == nil && bytes.Equal(c, b)
}

// canonical returns the RFC 8785 canonical JSON of v. The encoding/json
// form of a struct whose fields are declared in key order, with HTML
// escaping off, is already canonical for the values accord signs; the scan
// confirms it, and jcs rewrites anything else.
func canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	raw := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if ok, sure := scanCanonical(raw); sure && ok {
		return raw, nil
	}
	return jcs.Transform(raw)
}

// scanCanonical decides, in one pass and without allocating, whether b is
// canonical JSON, for a subset of JSON: objects whose keys are ASCII
// without escapes, arrays, strings, true, false, null, and integers of at
// most 15 digits. sure is false when b leaves that subset (other numbers,
// keys with escapes or beyond ASCII, nesting deeper than 64) and only jcs
// can tell; when sure is true, ok is the answer.
func scanCanonical(b []byte) (ok, sure bool) {
	s := canonScanner{b: b}
	if !s.value(0) {
		return false, s.sure
	}
	if s.i != len(b) {
		return false, s.sure
	}
	return true, true
}

type canonScanner struct {
	b    []byte
	i    int
	sure bool // false once the input leaves the subset the scan decides
}

// unsure marks the input as outside the scanned subset and stops the scan.
func (s *canonScanner) unsure() bool {
	s.sure = false
	return false
}

// fail stops the scan with a definite "not canonical" (or not JSON).
func (s *canonScanner) fail() bool {
	s.sure = true
	return false
}

func (s *canonScanner) value(depth int) bool {
	if depth > 64 {
		return s.unsure()
	}
	if s.i >= len(s.b) {
		return s.fail()
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, ok := s.str(false)
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	default:
		// Whitespace or anything else where a value must start: jcs would
		// drop the whitespace or refuse the input; either way not canonical.
		return s.fail()
	}
}

func (s *canonScanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return s.fail()
	}
	s.i += len(lit)
	return true
}

// number accepts 0 and -?[1-9][0-9]{0,14}: integers that float64 holds
// exactly and ECMAScript prints as they are. Anything else is unsure.
func (s *canonScanner) number() bool {
	start := s.i
	if s.b[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	n := s.i - digits
	if s.i < len(s.b) {
		if c := s.b[s.i]; c == '.' || c == 'e' || c == 'E' {
			return s.unsure()
		}
	}
	switch {
	case n == 0:
		return s.fail() // "-" alone: not JSON
	case s.b[digits] == '0' && n > 1:
		return s.fail() // a leading zero: not JSON
	case s.b[digits] == '0' && digits > start:
		return s.fail() // -0 is written 0
	case n > 15:
		return s.unsure()
	}
	return true
}

// str scans a string. key asks for an object key, which must be printable
// ASCII without escapes (else unsure). It returns the string's raw bytes
// between the quotes.
func (s *canonScanner) str(key bool) ([]byte, bool) {
	s.i++ // the opening quote
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			return raw, true
		case c < 0x20:
			return nil, s.fail() // must be escaped
		case c == '\\':
			if key {
				return nil, s.unsure()
			}
			if !s.escape() {
				return nil, false
			}
		case c < utf8.RuneSelf:
			s.i++
		default:
			if key {
				return nil, s.unsure()
			}
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, s.fail() // not UTF-8
			}
			s.i += size
		}
	}
	return nil, s.fail() // unterminated
}

// escape checks the escape at s.i: canonical JSON escapes only the quote,
// the backslash and the control characters, with the short forms where
// there is one and \u00xx in lower case otherwise.
func (s *canonScanner) escape() bool {
	if s.i+1 >= len(s.b) {
		return s.fail()
	}
	switch s.b[s.i+1] {
	case '"', '\\', 'b', 'f', 'n', 'r', 't':
		s.i += 2
		return true
	case 'u':
		if s.i+6 > len(s.b) {
			return s.fail()
		}
		h := s.b[s.i+2 : s.i+6]
		if h[0] != '0' || h[1] != '0' || !isLowerHex(h[2]) || !isLowerHex(h[3]) || h[2] > '1' {
			// Not a control character in the canonical spelling: either a
			// character that must be written as itself, or upper-case hex.
			return s.fail()
		}
		switch string(h[2:]) {
		case "08", "09", "0a", "0c", "0d":
			return s.fail() // has a short form
		}
		s.i += 6
		return true
	default:
		return s.fail() // \/ or not an escape at all
	}
}

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func (s *canonScanner) object(depth int) bool {
	s.i++ // {
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	var prev []byte
	for first := true; ; first = false {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.fail()
		}
		k, ok := s.str(true)
		if !ok {
			return false
		}
		// ASCII keys sort by UTF-16 code units as they sort by bytes;
		// equal keys are duplicates, which canonical JSON does not have.
		if !first && bytes.Compare(prev, k) >= 0 {
			return s.fail()
		}
		prev = k
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.fail()
		}
		s.i++
		if !s.value(depth + 1) {
			return false
		}
		if s.i >= len(s.b) {
			return s.fail()
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return s.fail()
		}
	}
}

func (s *canonScanner) array(depth int) bool {
	s.i++ // [
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		if !s.value(depth + 1) {
			return false
		}
		if s.i >= len(s.b) {
			return s.fail()
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return s.fail()
		}
	}
}
