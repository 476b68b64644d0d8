package taxii

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/stix"
)

// Endpoint names the kinds of resource that take query parameters; each
// takes the filters section 5 of the standard gives it.
type Endpoint int

const (
	EndpointObjects  Endpoint = iota // objects: every filter
	EndpointManifest                 // manifest: every filter
	EndpointObject                   // one object: added_after, limit, next, match[version], match[spec_version]
	EndpointVersions                 // versions: added_after, limit, next, match[spec_version]
)

// Query is a request's filters and paging parameters, parsed and checked.
// Versions holds "first", "last", "all" or version keys (accord.VersionKey).
type Query struct {
	AddedAfter   time.Time
	Limit        int // 0 when not given
	Next         string
	IDs          []string
	Types        []string
	Versions     []string
	SpecVersions []string
}

var (
	typePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,249}$`)
	specPattern = regexp.MustCompile(`^[0-9]\.[0-9]$`)
)

// maxListValues bounds each comma-separated filter: a longer list is a
// mistake or an attack, not a query.
const maxListValues = 1000

// ParseQuery reads the filters and paging parameters of a request to an
// endpoint. It returns EINVALID naming the parameter for: a parameter given
// twice; a limit that is not a positive integer; an added_after that is not
// a STIX timestamp; a match[id] that is not a STIX id, a match[type] that is
// not a type name, a match[version] that is none of first, last, all and a
// timestamp, a match[spec_version] that is not N.N; an empty list entry;
// more than 1,000 values in a list. Other parameters, and filters the
// endpoint does not take, are ignored.
func ParseQuery(v url.Values, ep Endpoint) (Query, error) {
	var q Query
	one := func(name string) (string, bool, error) {
		vals, ok := v[name]
		if !ok {
			return "", false, nil
		}
		if len(vals) != 1 {
			return "", false, accord.FieldError(name, "is given %d times", len(vals))
		}
		return vals[0], true, nil
	}
	if s, ok, err := one("limit"); err != nil {
		return q, err
	} else if ok {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return q, accord.FieldError("limit", "%q is not a positive integer", s)
		}
		q.Limit = n
	}
	if s, ok, err := one("added_after"); err != nil {
		return q, err
	} else if ok {
		ts, err := stix.ParseTimestamp(s)
		if err != nil {
			return q, accord.FieldError("added_after", "%q is not a timestamp (RFC 3339 in UTC, ending in Z)", s)
		}
		q.AddedAfter = ts.Time().UTC()
	}
	if s, ok, err := one("next"); err != nil {
		return q, err
	} else if ok {
		if s == "" {
			return q, accord.FieldError("next", "is empty")
		}
		q.Next = s
	}
	lists := []struct {
		name string
		dst  *[]string
		ok   bool
		fn   func(string) (string, bool)
	}{
		{"match[id]", &q.IDs, ep == EndpointObjects || ep == EndpointManifest, func(s string) (string, bool) {
			_, _, ok := stix.SplitID(s)
			return s, ok
		}},
		{"match[type]", &q.Types, ep == EndpointObjects || ep == EndpointManifest, func(s string) (string, bool) {
			return s, typePattern.MatchString(s) && !strings.Contains(s, "--") && !strings.HasSuffix(s, "-")
		}},
		{"match[version]", &q.Versions, ep != EndpointVersions, func(s string) (string, bool) {
			switch s {
			case "first", "last", "all":
				return s, true
			}
			ts, err := stix.ParseTimestamp(s)
			if err != nil {
				return "", false
			}
			return accord.VersionKey(ts.Time()), true
		}},
		{"match[spec_version]", &q.SpecVersions, true, func(s string) (string, bool) { return s, specPattern.MatchString(s) }},
	}
	for _, l := range lists {
		s, ok, err := one(l.name)
		if err != nil {
			return q, err
		}
		if !ok {
			continue
		}
		if !l.ok {
			continue // not a filter of this endpoint: ignored, as unknown parameters are
		}
		parts := strings.Split(s, ",")
		if len(parts) > maxListValues {
			return q, accord.FieldError(l.name, "has %d values, more than %d", len(parts), maxListValues)
		}
		seen := map[string]bool{}
		for _, p := range parts {
			p = strings.TrimSpace(p)
			val, good := l.fn(p)
			if p == "" || !good {
				return q, accord.FieldError(l.name, "%q is not a valid value", p)
			}
			if !seen[val] {
				seen[val] = true
				*l.dst = append(*l.dst, val)
			}
		}
	}
	return q, nil
}

// fingerprint is a digest of what a page request selects, besides its
// cursor: a next token is only good for the request that made it.
func fingerprint(scope string, q Query) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00%s\x00%s\x00%s", scope, q.AddedAfter.UnixMicro(),
		strings.Join(q.IDs, ","), strings.Join(q.Types, ","), strings.Join(q.Versions, ","), strings.Join(q.SpecVersions, ","))
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// encodeNext returns the next token for a page that read up to last.
func encodeNext(last time.Time, fp string) string {
	b := make([]byte, 8, 8+len(fp)/2)
	binary.BigEndian.PutUint64(b, uint64(last.UnixMicro()))
	f, _ := hex.DecodeString(fp)
	return base64.RawURLEncoding.EncodeToString(append(b, f...))
}

// decodeNext returns the cursor of a next token; EINVALID unless the token
// is well formed and was made for a request with fingerprint fp.
func decodeNext(tok, fp string) (time.Time, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 16 {
		return time.Time{}, accord.FieldError("next", "is not a token this server gave")
	}
	if hex.EncodeToString(b[8:]) != fp {
		return time.Time{}, accord.FieldError("next", "was given for a request with other filters: repeat the filters of the first page")
	}
	us := int64(binary.BigEndian.Uint64(b[:8]))
	if us <= 0 {
		return time.Time{}, accord.FieldError("next", "is not a token this server gave")
	}
	return time.UnixMicro(us).UTC(), nil
}
