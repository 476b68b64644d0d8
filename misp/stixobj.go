package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/accord-cyber/accord/stix"
)

// props is a STIX object being built: its properties in the order they
// are set, so that output is stable and reads type, id, created first.
type props struct {
	names []string
	vals  map[string]any
}

func newProps(typ string) *props {
	p := &props{vals: map[string]any{}}
	p.set("type", typ)
	p.set("spec_version", "2.1")
	return p
}

func (p *props) set(name string, v any) *props {
	if _, ok := p.vals[name]; !ok {
		p.names = append(p.names, name)
	}
	p.vals[name] = v
	return p
}

func (p *props) get(name string) any { return p.vals[name] }

// build returns the object. Its JSON is written without HTML escaping, so
// that "<" in a MISP comment stays "<" in the STIX description.
func (p *props) build() (*stix.Object, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, n := range p.names {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(n); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := enc.Encode(p.vals[n]); err != nil {
			return nil, fmt.Errorf("encode %s: %w", n, err)
		}
	}
	buf.WriteByte('}')
	return stix.Parse(buf.Bytes())
}

// newSCO starts a cyber-observable; its id is computed by sco.
func newSCO(typ string) *props {
	p := newProps(typ)
	p.set("id", "") // placeholder, keeps id third
	return p
}

// newSDO starts a domain or relationship object with the given id and
// created/modified time; by, when set, is the created_by_ref.
func newSDO(typ, id string, at time.Time, by string) *props {
	p := newProps(typ)
	p.set("id", id)
	if by != "" {
		p.set("created_by_ref", by)
	}
	ts := stixTime(at)
	p.set("created", ts)
	p.set("modified", ts)
	return p
}

// stixTime formats t as a STIX timestamp with millisecond precision.
func stixTime(t time.Time) string { return stix.NewTimestamp(t).String() }

// finishSCO gives an observable its deterministic id.
func finishSCO(p *props) (string, bool) {
	id, ok := stix.SCOID(p.vals["type"].(string), p.vals)
	if ok {
		p.set("id", id)
	}
	return id, ok
}

// quote returns s as a STIX pattern string literal.
func quote(s string) string {
	var b bytes.Buffer
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\', '\'':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}
