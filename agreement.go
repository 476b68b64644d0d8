package accord

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// DefaultAgreementTOML is the agreement file shipped with accord; `accord
// init` writes it into the node home for the operator to read and change.
//
//go:embed agreement.default.toml
var DefaultAgreementTOML []byte

// Agreement is what the parties committed to, as data: which request types
// exist, how fast each must be acknowledged and answered per priority, on
// which grounds a request may be declined, and how often the joint dialogue
// reviews the exchange.
type Agreement struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// ReviewPeriodMonths is the length of one review period (6: twice a year).
	ReviewPeriodMonths int             `json:"review_period_months"`
	DeclineGrounds     []DeclineGround `json:"decline_grounds"`
	// Types holds the terms of each request type the agreement provides for,
	// in RequestTypes order.
	Types []TypeTerms `json:"types"`
	// Digest is the hex SHA-256 of the file the agreement was read from; every
	// request records it so a deadline can be traced to the terms it came from.
	Digest string `json:"digest"`
}

// DeclineGround is one reason the agreement allows for declining a request.
type DeclineGround struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Source string `json:"source,omitempty"`
}

// TypeTerms are the agreement's terms for one request type.
type TypeTerms struct {
	Type  RequestType `json:"type"`
	Title string      `json:"title"`
	// AnswerRequired is false for types (notification) that owe only an
	// acknowledgement; such requests have no answer-by and cannot be answered.
	AnswerRequired bool `json:"answer_required"`
	// Keep is how long preserved data must be kept (Budapest art. 29(7)); zero
	// when the type preserves nothing.
	Keep      Duration              `json:"keep,omitempty"`
	Deadlines map[Priority]Deadline `json:"deadlines"`
}

// Deadline is the time allowed, from receipt, to acknowledge and to answer.
// Answer is zero when no answer is owed.
type Deadline struct {
	Acknowledge Duration `json:"acknowledge"`
	Answer      Duration `json:"answer,omitempty"`
}

// Terms returns the terms for request type t, or EINVALID when the agreement
// does not provide for t.
func (a *Agreement) Terms(t RequestType) (TypeTerms, error) {
	for _, tt := range a.Types {
		if tt.Type == t {
			return tt, nil
		}
	}
	return TypeTerms{}, FieldError("type", "the agreement does not provide for request type %q", t)
}

// Deadline returns the deadline for type t at priority p, or EINVALID when
// the agreement does not provide for that pair.
func (a *Agreement) Deadline(t RequestType, p Priority) (Deadline, error) {
	tt, err := a.Terms(t)
	if err != nil {
		return Deadline{}, err
	}
	d, ok := tt.Deadlines[p]
	if !ok {
		return Deadline{}, FieldError("priority", "%q is not a priority (emergency, high, normal, low)", p)
	}
	return d, nil
}

// Ground returns the decline ground with the given id, or EINVALID listing
// the grounds the agreement allows.
func (a *Agreement) Ground(id string) (DeclineGround, error) {
	ids := make([]string, 0, len(a.DeclineGrounds))
	for _, g := range a.DeclineGrounds {
		if g.ID == id {
			return g, nil
		}
		ids = append(ids, g.ID)
	}
	return DeclineGround{}, FieldError("ground", "%q is not a decline ground of the agreement (one of: %s)", id, strings.Join(ids, ", "))
}

// DefaultAgreement returns the shipped agreement. It panics only if the
// embedded file is broken, which a test rules out.
func DefaultAgreement() *Agreement {
	a, err := ParseAgreement("agreement.default.toml", DefaultAgreementTOML)
	if err != nil {
		panic(err)
	}
	return a
}

// LoadAgreement reads and parses the agreement file at path. See ParseAgreement.
func LoadAgreement(path string) (*Agreement, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Code: EINVALID, Message: fmt.Sprintf("read agreement %s: %v", path, err), Err: err}
	}
	return ParseAgreement(path, data)
}

// The file's shape, decoded strictly: an unknown key is an error.
type agreementFile struct {
	Name           string                   `toml:"name"`
	Version        string                   `toml:"version"`
	Review         reviewFile               `toml:"review"`
	DeclineGrounds []DeclineGround          `toml:"decline_ground"`
	Types          map[string]typeTermsFile `toml:"types"`
}

type reviewFile struct {
	PeriodMonths int `toml:"period_months"`
}

type typeTermsFile struct {
	Title          string        `toml:"title"`
	AnswerRequired *bool         `toml:"answer_required"`
	Keep           Duration      `toml:"keep"`
	Emergency      *deadlineFile `toml:"emergency"`
	High           *deadlineFile `toml:"high"`
	Normal         *deadlineFile `toml:"normal"`
	Low            *deadlineFile `toml:"low"`
}

type deadlineFile struct {
	Acknowledge Duration `toml:"acknowledge"`
	Answer      Duration `toml:"answer"`
}

// ParseAgreement parses an agreement file's bytes; name is used in errors.
// Any fault — TOML syntax, an unknown key, a wrong type, a bad duration, a
// missing type or priority, a deadline to answer shorter than the one to
// acknowledge, a duplicate decline ground — returns EINVALID whose message is
// "NAME:LINE: KEY: reason", so the operator can go straight to it.
func ParseAgreement(name string, data []byte) (*Agreement, error) {
	var f agreementFile
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, tomlError(name, err)
	}
	lines := keyLines(data)
	fail := func(key, format string, args ...any) error {
		line := lineOf(lines, key)
		return &Error{Code: EINVALID, Message: fmt.Sprintf("%s:%d: %s: %s", name, line, key, fmt.Sprintf(format, args...))}
	}

	sum := sha256.Sum256(data)
	a := &Agreement{
		Name:               strings.TrimSpace(f.Name),
		Version:            strings.TrimSpace(f.Version),
		ReviewPeriodMonths: f.Review.PeriodMonths,
		Digest:             hex.EncodeToString(sum[:]),
	}
	if a.Name == "" {
		return nil, fail("name", "is required")
	}
	if a.ReviewPeriodMonths < 1 || a.ReviewPeriodMonths > 24 {
		return nil, fail("review.period_months", "must be between 1 and 24, got %d", a.ReviewPeriodMonths)
	}
	if len(f.DeclineGrounds) == 0 {
		return nil, fail("decline_ground", "at least one [[decline_ground]] is required")
	}
	for i, g := range f.DeclineGrounds {
		key := fmt.Sprintf("decline_ground.%d", i)
		if !groundIDPattern.MatchString(g.ID) {
			return nil, fail(key+".id", "%q is not a ground id: use lowercase letters, digits and hyphens", g.ID)
		}
		if strings.TrimSpace(g.Text) == "" {
			return nil, fail(key+".text", "is required")
		}
		if slices.ContainsFunc(a.DeclineGrounds, func(o DeclineGround) bool { return o.ID == g.ID }) {
			return nil, fail(key+".id", "ground %q is defined twice", g.ID)
		}
		a.DeclineGrounds = append(a.DeclineGrounds, g)
	}
	if len(f.Types) == 0 {
		return nil, fail("types", "at least one [types.NAME] table is required")
	}
	for tname := range f.Types {
		if !RequestType(tname).Known() {
			return nil, fail("types."+tname, "%q is not a request type (%s)", tname, joinTypes())
		}
	}
	for _, t := range RequestTypes {
		tf, ok := f.Types[string(t)]
		if !ok {
			continue
		}
		key := "types." + string(t)
		tt := TypeTerms{Type: t, Title: strings.TrimSpace(tf.Title), AnswerRequired: true, Keep: tf.Keep, Deadlines: map[Priority]Deadline{}}
		if tf.AnswerRequired != nil {
			tt.AnswerRequired = *tf.AnswerRequired
		}
		if tt.Title == "" {
			return nil, fail(key+".title", "is required")
		}
		byPrio := map[Priority]*deadlineFile{PriorityEmergency: tf.Emergency, PriorityHigh: tf.High, PriorityNormal: tf.Normal, PriorityLow: tf.Low}
		for _, p := range Priorities {
			df := byPrio[p]
			pkey := key + "." + string(p)
			if df == nil {
				return nil, fail(key, "no deadlines for priority %q: add %s = { acknowledge = \"…\"%s }", p, p, map[bool]string{true: ", answer = \"…\"", false: ""}[tt.AnswerRequired])
			}
			if df.Acknowledge == 0 {
				return nil, fail(pkey, "acknowledge is required")
			}
			switch {
			case tt.AnswerRequired && df.Answer == 0:
				return nil, fail(pkey, "answer is required (answer_required is true for %s)", t)
			case !tt.AnswerRequired && df.Answer != 0:
				return nil, fail(pkey+".answer", "must be absent: answer_required is false for %s", t)
			case tt.AnswerRequired && df.Answer < df.Acknowledge:
				return nil, fail(pkey+".answer", "%s is shorter than the time to acknowledge (%s)", df.Answer, df.Acknowledge)
			}
			tt.Deadlines[p] = Deadline{Acknowledge: df.Acknowledge, Answer: df.Answer}
		}
		a.Types = append(a.Types, tt)
	}
	return a, nil
}

var groundIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)

// tomlError turns a go-toml decode error into "NAME:LINE: reason".
func tomlError(name string, err error) error {
	var se *toml.StrictMissingError
	if errors.As(err, &se) && len(se.Errors) > 0 {
		first := se.Errors[0]
		line, _ := first.Position()
		return &Error{Code: EINVALID, Message: fmt.Sprintf("%s:%d: %s: unknown key", name, line, strings.Join(first.Key(), ".")), Err: err}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if k := de.Key(); len(k) > 0 {
			msg = strings.Join(k, ".") + ": " + msg
		}
		return &Error{Code: EINVALID, Message: fmt.Sprintf("%s:%d: %s", name, line, msg), Err: err}
	}
	return &Error{Code: EINVALID, Message: fmt.Sprintf("%s: %v", name, err), Err: err}
}

// keyLines maps every dotted key of a TOML document (array-of-tables entries
// indexed from 0, e.g. "decline_ground.2.id") to the 1-based line it is on,
// so that checks made after decoding can point at the line too.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	p := unstable.Parser{}
	p.Reset(data)
	lineAt := func(n *unstable.Node) int {
		return bytes.Count(data[:n.Raw.Offset], []byte("\n")) + 1
	}
	arrayCount := map[string]int{}
	var prefix []string
	var walkKV func(prefix []string, n *unstable.Node)
	walkKV = func(prefix []string, n *unstable.Node) {
		var key []string
		var first *unstable.Node
		it := n.Key()
		for it.Next() {
			if first == nil {
				first = it.Node()
			}
			key = append(key, string(it.Node().Data))
		}
		full := append(slices.Clone(prefix), key...)
		if first != nil {
			lines[strings.Join(full, ".")] = lineAt(first)
		}
		if v := n.Value(); v != nil && v.Kind == unstable.InlineTable {
			c := v.Children()
			for c.Next() {
				walkKV(full, c.Node())
			}
		}
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			var key []string
			var first *unstable.Node
			it := e.Key()
			for it.Next() {
				if first == nil {
					first = it.Node()
				}
				key = append(key, string(it.Node().Data))
			}
			name := strings.Join(key, ".")
			if e.Kind == unstable.ArrayTable {
				idx := arrayCount[name]
				arrayCount[name]++
				key = append(key, fmt.Sprint(idx))
			}
			prefix = key
			if first != nil {
				lines[strings.Join(key, ".")] = lineAt(first)
			}
		case unstable.KeyValue:
			walkKV(prefix, e)
		}
	}
	return lines
}

// lineOf returns the line of key, or of its nearest ancestor that has one,
// or 1 (the file as a whole).
func lineOf(lines map[string]int, key string) int {
	for k := key; k != ""; {
		if l, ok := lines[k]; ok {
			return l
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 1
}

func joinTypes() string {
	s := make([]string, len(RequestTypes))
	for i, t := range RequestTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}
