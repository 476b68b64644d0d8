package taxii

import (
	"mime"
	"strings"
)

// MediaType is the media type of every TAXII 2.1 request and response body.
const MediaType = "application/taxii+json;version=2.1"

// STIXMediaType is the media type of STIX 2.1 content (manifest entries).
const STIXMediaType = "application/stix+json;version=2.1"

// Acceptable reports whether an Accept header lets the server answer with
// MediaType: it holds, with a non-zero quality, application/taxii+json with
// version 2.1 or without a version (the latest the server supports, which
// is 2.1), application/* or */*. An absent or empty header accepts
// anything (RFC 9110 section 12.5.1). Entries that do not parse are
// skipped.
func Acceptable(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for _, part := range splitList(accept) {
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok && zeroQuality(q) {
			continue
		}
		switch mt {
		case "*/*", "application/*":
			return true
		case "application/taxii+json":
			if v, ok := params["version"]; !ok || v == "2.1" {
				return true
			}
		}
	}
	return false
}

// SupportedContentType reports whether a request body's Content-Type is
// TAXII 2.1: application/taxii+json with version 2.1 or without a version.
func SupportedContentType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/taxii+json" {
		return false
	}
	v, ok := params["version"]
	return !ok || v == "2.1"
}

// zeroQuality reports whether a q value is 0 (0, 0.0, 0.00, 0.000).
func zeroQuality(q string) bool {
	q = strings.TrimSpace(q)
	if q == "" || q[0] != '0' {
		return false
	}
	return strings.Trim(strings.TrimPrefix(q[1:], "."), "0") == ""
}

// splitList splits a header list on commas outside quoted strings.
func splitList(h string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(h); i++ {
		switch h[i] {
		case '\\':
			if quoted {
				i++
			}
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, strings.TrimSpace(h[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(h[start:]))
}
