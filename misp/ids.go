package misp

import (
	"encoding/json"
	"strings"

	"github.com/google/uuid"
	"github.com/gowebpki/jcs"
)

// Namespace is the UUIDv5 namespace of every identifier this package
// derives itself: the STIX ids of things MISP gives no UUID for (a
// relationship, an attribute of a PyMISP fixture), the MISP uuid of an
// exported case (CaseUUID) and of exported attributes. Deriving rather than
// drawing them at random makes a second import of the same event, or a
// second export of the same case, produce the same ids.
const Namespace = "f2966956-efe2-4ecd-87e2-0c51ee2db0bc"

// scoNamespace is the namespace STIX 2.1 section 2.9 fixes for the
// deterministic ids of cyber-observables.
const scoNamespace = "00abedb4-aa42-466c-9c01-fed23315a9b7"

var (
	ns    = uuid.MustParse(Namespace)
	scoNS = uuid.MustParse(scoNamespace)
)

// CaseUUID returns the MISP event uuid that Encode gives the case with id
// caseID: the UUIDv5 of the case id in Namespace. It is the same on every
// export, so a MISP instance receiving a case again updates its event
// instead of adding a second one.
func CaseUUID(caseID string) string {
	return uuid.NewSHA1(ns, []byte(caseID)).String()
}

// derive returns the UUIDv5 in Namespace of parts joined by NUL bytes.
func derive(parts ...string) string {
	return uuid.NewSHA1(ns, []byte(strings.Join(parts, "\x00"))).String()
}

// contributing lists, per cyber-observable type, its ID contributing
// properties (STIX 2.1 section 6, "ID Contributing Properties").
var contributing = map[string][]string{
	"artifact":             {"hashes", "payload_bin"},
	"autonomous-system":    {"number"},
	"directory":            {"path"},
	"domain-name":          {"value"},
	"email-addr":           {"value"},
	"email-message":        {"from_ref", "subject", "body"},
	"file":                 {"hashes", "name", "extensions", "parent_directory_ref"},
	"ipv4-addr":            {"value"},
	"ipv6-addr":            {"value"},
	"mac-addr":             {"value"},
	"mutex":                {"name"},
	"network-traffic":      {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"},
	"software":             {"name", "cpe", "swid", "vendor", "version"},
	"url":                  {"value"},
	"user-account":         {"account_type", "user_id", "account_login"},
	"windows-registry-key": {"key", "values"},
	"x509-certificate":     {"hashes", "serial_number"},
}

// scoID returns the deterministic id of a cyber-observable (STIX 2.1
// section 2.9): "type--" and the UUIDv5, in the namespace STIX fixes, of the
// RFC 8785 canonical JSON of the object's ID contributing properties, with
// only one hash (the first of MD5, SHA-1, SHA-256, SHA-512, else the first
// by name) as the OASIS python-stix2 library does. props holds the object's
// properties; it reports false when the type has no contributing properties
// or none is present, where STIX calls for a random UUIDv4 (this package
// never makes such observables).
func scoID(typ string, props map[string]any) (string, bool) {
	names, ok := contributing[typ]
	if !ok {
		return "", false
	}
	c := map[string]any{}
	for _, n := range names {
		v, ok := props[n]
		if !ok {
			continue
		}
		if n == "hashes" {
			v = oneHash(v.(map[string]string))
		}
		c[n] = v
	}
	if len(c) == 0 {
		return "", false
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", false
	}
	canon, err := jcs.Transform(b)
	if err != nil {
		return "", false
	}
	return typ + "--" + uuid.NewSHA1(scoNS, canon).String(), true
}

func oneHash(h map[string]string) map[string]string {
	for _, alg := range []string{"MD5", "SHA-1", "SHA-256", "SHA-512"} {
		if v, ok := h[alg]; ok {
			return map[string]string{alg: v}
		}
	}
	first := ""
	for k := range h {
		if first == "" || k < first {
			first = k
		}
	}
	return map[string]string{first: h[first]}
}
