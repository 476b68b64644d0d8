package iodef

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/gowebpki/jcs"

	"github.com/accord-cyber/accord/stix"
)

// scoNamespace is the UUIDv5 namespace of STIX cyber-observable ids
// (STIX 2.1 section 2.9).
var scoNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")

// sdoNamespace is accord's UUIDv5 namespace for the domain objects it makes
// from IODEF documents; under it, each incident has its own (see
// incidentNamespace).
var sdoNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte(Namespace))

// idContributing lists, per cyber-observable type, the properties its
// deterministic id is made from (STIX 2.1 section 6, "ID Contributing
// Properties").
var idContributing = map[string][]string{
	"autonomous-system":    {"number"},
	"domain-name":          {"value"},
	"email-addr":           {"value"},
	"email-message":        {"from_ref", "subject", "body"},
	"file":                 {"hashes", "name", "extensions", "parent_directory_ref"},
	"ipv4-addr":            {"value"},
	"ipv6-addr":            {"value"},
	"mac-addr":             {"value"},
	"mutex":                {"name"},
	"network-traffic":      {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"},
	"url":                  {"value"},
	"windows-registry-key": {"key", "values"},
	"x509-certificate":     {"hashes", "serial_number"},
}

// prop is one property of an object being made, in the order written.
type prop struct {
	name  string
	value any
}

// newSCO makes a cyber-observable of type typ with the given properties
// (nil values left out) and its deterministic id: the UUIDv5, in the STIX
// namespace, of the RFC 8785 canonical JSON of its id-contributing
// properties, of which only one hash (MD5, else SHA-1, else SHA-256, else
// SHA-512, else the first by name) counts.
func newSCO(typ string, props ...prop) (*stix.Object, error) {
	contrib := map[string]any{}
	for _, p := range props {
		if isEmpty(p.value) {
			continue
		}
		for _, c := range idContributing[typ] {
			if c != p.name {
				continue
			}
			if h, ok := p.value.(map[string]string); ok && c == "hashes" {
				contrib[c] = oneHash(h)
			} else {
				contrib[c] = p.value
			}
		}
	}
	raw, err := json.Marshal(contrib)
	if err != nil {
		return nil, err
	}
	canon, err := jcs.Transform(raw)
	if err != nil {
		return nil, err
	}
	id := typ + "--" + uuid.NewSHA1(scoNamespace, canon).String()
	return newObject(append([]prop{{"type", typ}, {"spec_version", "2.1"}, {"id", id}}, props...))
}

// oneHash picks the hash an SCO id is made from.
func oneHash(h map[string]string) map[string]string {
	for _, alg := range []string{"MD5", "SHA-1", "SHA-256", "SHA-512"} {
		if v, ok := h[alg]; ok {
			return map[string]string{alg: v}
		}
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return h
	}
	return map[string]string{names[0]: h[names[0]]}
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
