package stix

import (
	"fmt"
	"strings"
)

// Pattern is a parsed STIX pattern (STIX 2.1 section 9), the language of
// indicators whose pattern_type is "stix".
type Pattern struct {
	text        string
	comparisons []Comparison
}

// Comparison is one comparison expression of a pattern, such as
// file:hashes.'SHA-256' = 'ef53…'.
type Comparison struct {
	// ObjectType is the cyber-observable type, "file".
	ObjectType string
	// Path is the object path after the colon, one step per element: a
	// property name or dictionary key ("hashes", "SHA-256"), or a list
	// index in brackets ("[0]", "[*]").
	Path []string
	// Operator is "=", "!=", "<", "<=", ">", ">=", "IN", "LIKE", "MATCHES",
	// "ISSUBSET", "ISSUPERSET" or "EXISTS".
	Operator string
	// Negated is set when the operator is preceded by NOT.
	Negated bool
	// Values are the right-hand literals (one, several for IN, none for
	// EXISTS), as written but without quotes and escapes: 'a\'b' is a'b,
	// t'2020-01-01T00:00:00Z' is the timestamp's text, h'ff' is "ff".
	Values []string
}

// String returns the pattern as written.
func (p *Pattern) String() string { return p.text }

// Comparisons returns the comparison expressions in the order written.
func (p *Pattern) Comparisons() []Comparison { return p.comparisons }

// PatternError is a syntax error in a STIX pattern, at a byte offset.
type PatternError struct {
	Offset  int
	Message string
}

// Error returns "at offset N: message".
func (e *PatternError) Error() string {
	return fmt.Sprintf("invalid STIX pattern at offset %d: %s", e.Offset, e.Message)
}

// ParsePattern parses a STIX pattern following the grammar of STIX 2.1
// section 9 (STIXPattern.g4): observation expressions in brackets joined by
// AND, OR and FOLLOWEDBY, with WITHIN, REPEATS and START/STOP qualifiers;
// comparisons of object paths with literals of every kind. It checks that
// timestamps, hex and base64 literals are well formed and that a STOP is
// after its START. It returns a *PatternError for input it refuses.
func ParsePattern(s string) (*Pattern, error) {
	p := &patternParser{s: s}
	if err := p.observations(0); err != nil {
		return nil, err
	}
	p.ws()
	if p.pos < len(p.s) {
		return nil, p.errf("unexpected %q", p.rest())
	}
	return &Pattern{text: s, comparisons: p.out}, nil
}

type patternParser struct {
	s   string
	pos int
	out []Comparison
}

// maxPatternDepth bounds nesting so a hostile pattern cannot exhaust the
// stack.
const maxPatternDepth = 64

func (p *patternParser) errf(format string, args ...any) *PatternError {
	return &PatternError{Offset: p.pos, Message: fmt.Sprintf(format, args...)}
}

func (p *patternParser) rest() string {
	r := p.s[p.pos:]
	if len(r) > 20 {
		r = r[:20] + "…"
	}
	return r
}

func (p *patternParser) ws() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r', '\f':
			p.pos++
		default:
			return
		}
	}
}

func (p *patternParser) peekByte() byte {
	p.ws()
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *patternParser) expect(c byte) error {
	if p.peekByte() != c {
		if p.pos >= len(p.s) {
			return p.errf("expected %q, found the end", c)
		}
		return p.errf("expected %q, found %q", c, p.rest())
	}
	p.pos++
	return nil
}

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }

// word returns the identifier at the cursor without consuming it.
func (p *patternParser) word() string {
	p.ws()
	i := p.pos
	if i >= len(p.s) || !isIdentStart(p.s[i]) {
		return ""
	}
	for i < len(p.s) && isIdentChar(p.s[i]) {
		i++
	}
	return p.s[p.pos:i]
}

// keyword consumes kw if it is the next word.
func (p *patternParser) keyword(kw string) bool {
	if p.word() == kw {
		p.pos += len(kw)
		return true
	}
	return false
}

// observations: FOLLOWEDBY binds loosest, then OR, then AND.
func (p *patternParser) observations(depth int) error {
	if depth > maxPatternDepth {
		return p.errf("nested too deeply")
	}
	for {
		if err := p.obsOr(depth); err != nil {
			return err
		}
		if !p.keyword("FOLLOWEDBY") {
			return nil
		}
	}
}

func (p *patternParser) obsOr(depth int) error {
	for {
		if err := p.obsAnd(depth); err != nil {
			return err
		}
		if !p.keyword("OR") {
			return nil
		}
	}
}

func (p *patternParser) obsAnd(depth int) error {
	for {
		if err := p.observation(depth); err != nil {
			return err
		}
		if !p.keyword("AND") {
			return nil
		}
	}
}

func (p *patternParser) observation(depth int) error {
	switch p.peekByte() {
	case '[':
		p.pos++
		if err := p.comparisonOr(depth + 1); err != nil {
			return err
		}
		if err := p.expect(']'); err != nil {
			return err
		}
	case '(':
		p.pos++
		if err := p.observations(depth + 1); err != nil {
			return err
		}
		if err := p.expect(')'); err != nil {
			return err
		}
	default:
		if p.pos >= len(p.s) {
			return p.errf("expected an observation expression in brackets, found the end")
		}
		return p.errf("expected an observation expression in brackets, found %q", p.rest())
	}
	return p.qualifiers()
}

func (p *patternParser) qualifiers() error {
	for {
		switch p.word() {
		case "START":
			p.pos += len("START")
			start, err := p.timestampLiteral()
			if err != nil {
				return err
			}
			if !p.keyword("STOP") {
				return p.errf("expected STOP after START")
			}
			stop, err := p.timestampLiteral()
			if err != nil {
				return err
			}
			if stop.Compare(start) <= 0 {
				return p.errf("STOP must be later than START")
			}
		case "WITHIN":
			p.pos += len("WITHIN")
			lit, kind, err := p.literal()
			if err != nil {
				return err
			}
			if kind != litInt && kind != litFloat || strings.HasPrefix(lit, "-") {
				return p.errf("WITHIN needs a positive number of seconds")
			}
			if !p.keyword("SECONDS") {
				return p.errf("expected SECONDS")
			}
		case "REPEATS":
			p.pos += len("REPEATS")
			lit, kind, err := p.literal()
			if err != nil {
				return err
			}
			if kind != litInt || strings.HasPrefix(lit, "-") {
				return p.errf("REPEATS needs a positive integer")
			}
			if !p.keyword("TIMES") {
				return p.errf("expected TIMES")
			}
		default:
			return nil
		}
	}
}

func (p *patternParser) timestampLiteral() (Timestamp, error) {
	p.ws()
	if !strings.HasPrefix(p.s[p.pos:], "t'") {
		return Timestamp{}, p.errf("expected a timestamp literal t'…'")
	}
	lit, _, err := p.literal()
	if err != nil {
		return Timestamp{}, err
	}
	ts, err := ParseTimestamp(lit)
	if err != nil {
		return Timestamp{}, p.errf("%v", err)
	}
	return ts, nil
}

func (p *patternParser) comparisonOr(depth int) error {
	if depth > maxPatternDepth {
		return p.errf("nested too deeply")
	}
	for {
		if err := p.comparisonAnd(depth); err != nil {
			return err
		}
		if !p.keyword("OR") {
			return nil
		}
	}
}

func (p *patternParser) comparisonAnd(depth int) error {
	for {
		if err := p.propTest(depth); err != nil {
			return err
		}
		if !p.keyword("AND") {
			return nil
		}
	}
}

func (p *patternParser) propTest(depth int) error {
	if p.peekByte() == '(' {
		p.pos++
		if err := p.comparisonOr(depth + 1); err != nil {
			return err
		}
		return p.expect(')')
	}
	var cmp Comparison
	if p.keyword("EXISTS") {
		cmp.Operator = "EXISTS"
		if err := p.objectPath(&cmp); err != nil {
			return err
		}
		p.out = append(p.out, cmp)
		return nil
	}
	if err := p.objectPath(&cmp); err != nil {
		return err
	}
	cmp.Negated = p.keyword("NOT")
	p.ws()
	switch {
	case strings.HasPrefix(p.s[p.pos:], "!="):
		cmp.Operator, p.pos = "!=", p.pos+2
	case strings.HasPrefix(p.s[p.pos:], "<="):
		cmp.Operator, p.pos = "<=", p.pos+2
	case strings.HasPrefix(p.s[p.pos:], ">="):
		cmp.Operator, p.pos = ">=", p.pos+2
	case strings.HasPrefix(p.s[p.pos:], "="):
		cmp.Operator, p.pos = "=", p.pos+1
	case strings.HasPrefix(p.s[p.pos:], "<"):
		cmp.Operator, p.pos = "<", p.pos+1
	case strings.HasPrefix(p.s[p.pos:], ">"):
		cmp.Operator, p.pos = ">", p.pos+1
	default:
		for _, kw := range []string{"IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"} {
			if p.keyword(kw) {
				cmp.Operator = kw
				break
			}
		}
	}
	switch cmp.Operator {
	case "":
		return p.errf("expected a comparison operator")
	case "IN":
		if err := p.expect('('); err != nil {
			return err
		}
		if p.peekByte() != ')' {
			for {
				lit, _, err := p.literal()
				if err != nil {
					return err
				}
				cmp.Values = append(cmp.Values, lit)
				if p.peekByte() != ',' {
					break
				}
				p.pos++
			}
		}
		if err := p.expect(')'); err != nil {
			return err
		}
	default:
		lit, kind, err := p.literal()
		if err != nil {
			return err
		}
		switch cmp.Operator {
		case "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET":
			if kind != litString {
				return p.errf("%s needs a string literal", cmp.Operator)
			}
		case "<", "<=", ">", ">=":
			if kind == litBool {
				return p.errf("%s cannot compare with a boolean", cmp.Operator)
			}
		}
		cmp.Values = []string{lit}
	}
	p.out = append(p.out, cmp)
	return nil
}

// objectPath reads type:property(.step|[index])*.
func (p *patternParser) objectPath(cmp *Comparison) error {
	p.ws()
	start := p.pos
	if p.pos >= len(p.s) || !isIdentStart(p.s[p.pos]) {
		return p.errf("expected an object path type:property")
	}
	for p.pos < len(p.s) && (isIdentChar(p.s[p.pos]) || p.s[p.pos] == '-') {
		p.pos++
	}
	cmp.ObjectType = p.s[start:p.pos]
	if p.pos >= len(p.s) || p.s[p.pos] != ':' {
		return p.errf("expected ':' after object type %q", cmp.ObjectType)
	}
	p.pos++
	first, err := p.pathName()
	if err != nil {
		return err
	}
	cmp.Path = append(cmp.Path, first)
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case '.':
			p.pos++
			name, err := p.pathName()
			if err != nil {
				return err
			}
			cmp.Path = append(cmp.Path, name)
		case '[':
			p.pos++
			i := p.pos
			if p.pos < len(p.s) && p.s[p.pos] == '*' {
				p.pos++
			} else {
				if p.pos < len(p.s) && p.s[p.pos] == '-' {
					p.pos++
				}
				for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
					p.pos++
				}
				if p.pos == i || p.s[i:p.pos] == "-" {
					return p.errf("expected a list index or * in brackets")
				}
			}
			step := p.s[i:p.pos]
			if p.pos >= len(p.s) || p.s[p.pos] != ']' {
				return p.errf("expected ']' after list index")
			}
			p.pos++
			cmp.Path = append(cmp.Path, "["+step+"]")
		default:
			return nil
		}
	}
	return nil
}

// pathName reads a property name or a quoted dictionary key.
func (p *patternParser) pathName() (string, error) {
	if p.pos < len(p.s) && p.s[p.pos] == '\'' {
		lit, _, err := p.literal()
		return lit, err
	}
	i := p.pos
	if i >= len(p.s) || !isIdentStart(p.s[i]) {
		return "", p.errf("expected a property name")
	}
	for p.pos < len(p.s) && isIdentChar(p.s[p.pos]) {
		p.pos++
	}
	return p.s[i:p.pos], nil
}

type litKind int

const (
	litString litKind = iota
	litInt
	litFloat
	litBool
	litHex
	litBinary
	litTimestamp
)

// literal reads any literal and returns its unquoted text and kind.
func (p *patternParser) literal() (string, litKind, error) {
	p.ws()
	if p.pos >= len(p.s) {
		return "", 0, p.errf("expected a literal, found the end")
	}
	c := p.s[p.pos]
	switch {
	case c == '\'':
		s, err := p.quoted()
		return s, litString, err
	case (c == 't' || c == 'h' || c == 'b') && p.pos+1 < len(p.s) && p.s[p.pos+1] == '\'':
		at := p.pos
		p.pos++
		s, err := p.quoted()
		if err != nil {
			return "", 0, err
		}
		switch c {
		case 't':
			if _, err := ParseTimestamp(s); err != nil {
				return "", 0, &PatternError{Offset: at, Message: err.Error()}
			}
			return s, litTimestamp, nil
		case 'h':
			if s != "" && !hexRE.MatchString(s) {
				return "", 0, &PatternError{Offset: at, Message: "hex literal must have pairs of hexadecimal digits"}
			}
			return s, litHex, nil
		default:
			if s != "" && !base64RE.MatchString(s) {
				return "", 0, &PatternError{Offset: at, Message: "binary literal must be base64"}
			}
			return s, litBinary, nil
		}
	case c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9':
		return p.numberLit()
	}
	switch p.word() {
	case "true", "false":
		w := p.word()
		p.pos += len(w)
		return w, litBool, nil
	}
	return "", 0, p.errf("expected a literal, found %q", p.rest())
}

// quoted reads '…' with \' and \\ as the only escapes.
func (p *patternParser) quoted() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch c {
		case '\\':
			if p.pos+1 >= len(p.s) || p.s[p.pos+1] != '\'' && p.s[p.pos+1] != '\\' {
				return "", p.errf("only \\' and \\\\ may be escaped in a string literal")
			}
			b.WriteByte(p.s[p.pos+1])
			p.pos += 2
		case '\'':
			p.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", &PatternError{Offset: start, Message: "unterminated string literal"}
}

func (p *patternParser) numberLit() (string, litKind, error) {
	start := p.pos
	if c := p.s[p.pos]; c == '+' || c == '-' {
		p.pos++
	}
	intStart := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	intPart := p.s[intStart:p.pos]
	if p.pos < len(p.s) && p.s[p.pos] == '.' {
		p.pos++
		fracStart := p.pos
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
		}
		if p.pos == fracStart {
			return "", 0, &PatternError{Offset: start, Message: "a number needs digits after the decimal point"}
		}
		return p.s[start:p.pos], litFloat, nil
	}
	if intPart == "" || len(intPart) > 1 && intPart[0] == '0' {
		return "", 0, &PatternError{Offset: start, Message: "invalid number"}
	}
	return p.s[start:p.pos], litInt, nil
}
