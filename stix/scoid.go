package stix

import (
	"encoding/json"
	"sort"

	"github.com/google/uuid"
	"github.com/gowebpki/jcs"
)

// scoNamespace is the UUIDv5 namespace STIX 2.1 section 2.9 fixes for the
// deterministic ids of cyber-observables.
var scoNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")

// idContributing lists, per cyber-observable type, its ID contributing
// properties (STIX 2.1 section 6, "ID Contributing Properties").
var idContributing = map[string][]string{
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

// HasIDContributing reports whether the cyber-observable type typ has ID
// contributing properties, so that SCOID can make its id.
func HasIDContributing(typ string) bool {
	_, ok := idContributing[typ]
	return ok
}

// SCOID returns the deterministic id of a cyber-observable (STIX 2.1
// section 2.9): "typ--" and the UUIDv5, in the namespace STIX fixes, of
// the RFC 8785 canonical JSON of the object's ID contributing properties
// taken from props, with only one hash (the first of MD5, SHA-1, SHA-256,
// SHA-512, else the first by name) as the OASIS python-stix2 library does.
// A hashes value must be a map[string]string. It reports false when typ
// has no contributing properties or none is in props, where STIX calls
// for a random UUIDv4 (NewID).
func SCOID(typ string, props map[string]any) (string, bool) {
	names, ok := idContributing[typ]
	if !ok {
		return "", false
	}
	c := map[string]any{}
	for _, n := range names {
		v, ok := props[n]
		if !ok {
			continue
		}
		if h, isHashes := v.(map[string]string); isHashes && n == "hashes" {
			v = oneHash(h)
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
	return typ + "--" + uuid.NewSHA1(scoNamespace, canon).String(), true
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
	if len(names) == 0 {
		return h
	}
	sort.Strings(names)
	return map[string]string{names[0]: h[names[0]]}
}
