package stix

import (
	"errors"
	"strings"

	"github.com/google/uuid"
)

// NewID returns a fresh identifier "typ--UUIDv4" for an object of type typ,
// as STIX 2.1 section 2.9 recommends for SDOs, SROs, meta objects and
// bundles. It does not check typ.
func NewID(typ string) string {
	return typ + "--" + uuid.NewString()
}

// SplitID returns the type and UUID parts of a STIX identifier
// ("indicator--33fe…" gives "indicator" and "33fe…"), and false when id does
// not have the form type--UUID.
func SplitID(id string) (typ, u string, ok bool) {
	i := strings.Index(id, "--")
	if i < 0 {
		return "", "", false
	}
	typ, u = id[:i], id[i+2:]
	if !validTypeName(typ) || !validUUID(u) {
		return "", "", false
	}
	return typ, u, true
}

// IDType returns the type part of a well-formed identifier, or "".
func IDType(id string) string {
	t, _, _ := SplitID(id)
	return t
}

// checkID reports why id is not a STIX identifier, or nil.
func checkID(id string) error {
	i := strings.Index(id, "--")
	if i < 0 {
		return errors.New("must be an identifier TYPE--UUID")
	}
	if !validTypeName(id[:i]) {
		return errors.New("must be an identifier TYPE--UUID whose type is 3-250 characters a-z, 0-9 and single hyphens, starting with a letter")
	}
	if !validUUID(id[i+2:]) {
		return errors.New("must be an identifier TYPE--UUID whose UUID is an RFC 4122 UUID (version 1 to 5)")
	}
	return nil
}

// uuidVersion returns the version digit of a well-formed UUID.
func uuidVersion(u string) byte { return u[14] }

// validUUID accepts an RFC 4122 UUID of version 1 to 5 in either case, as the
// OASIS identifier schema does.
func validUUID(u string) bool {
	if len(u) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := u[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
			continue
		case 14:
			if c < '1' || c > '5' {
				return false
			}
			continue
		case 19:
			switch c {
			case '8', '9', 'a', 'b', 'A', 'B':
				continue
			}
			return false
		}
		if !isHex(c) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// validTypeName applies STIX 2.1 section 2.1's rule for type names: 3 to 250
// characters from a-z, 0-9 and hyphen, starting with a letter; the OASIS
// schemas add that hyphens are single and the name ends with a letter or
// digit.
func validTypeName(t string) bool {
	if len(t) < 3 || len(t) > 250 || t[0] < 'a' || t[0] > 'z' || t[len(t)-1] == '-' {
		return false
	}
	prev := byte(0)
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if prev == '-' {
				return false
			}
		default:
			return false
		}
		prev = c
	}
	return true
}

// validPropertyName applies STIX 2.1 section 11.1's rule for property names
// (3 to 250 characters from a-z, 0-9 and underscore) and the OASIS schemas'
// requirement that the name start with a letter.
func validPropertyName(n string) bool {
	if len(n) < 3 || len(n) > 250 || n[0] < 'a' || n[0] > 'z' {
		return false
	}
	for i := 1; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
