package iodef

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/accord-cyber/accord/stix"
)

// sdoNamespace is accord's UUIDv5 namespace for the domain objects it makes
// from IODEF documents; under it, each incident has its own (see
// incidentNamespace).
var sdoNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte(Namespace))

// prop is one property of an object being made, in the order written.
type prop struct {
	name  string
	value any
}

// newSCO makes a cyber-observable of type typ with the given properties
// (nil values left out) and its deterministic id (stix.SCOID); a type
// without contributing properties present gets a random id, as STIX says.
func newSCO(typ string, props ...prop) (*stix.Object, error) {
	contrib := map[string]any{}
	for _, p := range props {
		if !isEmpty(p.value) {
			contrib[p.name] = p.value
		}
	}
	id, ok := stix.SCOID(typ, contrib)
	if !ok {
		id = stix.NewID(typ)
	}
	return newObject(append([]prop{{"type", typ}, {"spec_version", "2.1"}, {"id", id}}, props...))
}

// newObject makes an object of the properties in order, leaving out nil
// values, empty strings and empty lists.
func newObject(props []prop) (*stix.Object, error) {
	var b strings.Builder
	b.WriteByte('{')
	first := true
	for _, p := range props {
		if isEmpty(p.value) {
			continue
		}
		v, err := json.Marshal(p.value)
		if err != nil {
			return nil, fmt.Errorf("stix property %s: %w", p.name, err)
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(p.name)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return stix.Parse([]byte(b.String()))
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	case []any:
		return len(x) == 0
	case map[string]string:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// quote writes s as a STIX pattern string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
