package accord

import (
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// PartyKind says how this node knows a party.
type PartyKind string

const (
	// PartySelf is the party that owns this node. There is exactly one.
	PartySelf PartyKind = "self"
	// PartyLocal is another party registered by hand (`accord party add`)
	// because it does not run accord yet: its side of each exchange arrives by
	// other means (mail, phone) and is recorded here on its behalf.
	PartyLocal PartyKind = "local"
	// PartyPeer is another party that runs accord and whose card this node
	// trusts; its side of each exchange arrives as signed messages.
	PartyPeer PartyKind = "peer"
)

// Party is the owner of a node: a national CERT or law-enforcement point of
// contact of one state.
type Party struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Country  string    `json:"country"`
	Kind     PartyKind `json:"kind"`
	Endpoint string    `json:"endpoint,omitempty"`
	// FederationURL, SigningKey and TLSCert are set for the self party and
	// for peers (from their party card): the base URL of the party's
	// federation listener, its Ed25519 public key (32 bytes) and the DER of
	// its TLS certificate, which is pinned.
	FederationURL string    `json:"federation_url,omitempty"`
	SigningKey    []byte    `json:"signing_key,omitempty"`
	TLSCert       []byte    `json:"tls_certificate,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// ValidatePartyID returns EINVALID unless id is a lowercase slug of 2–32
// characters (letters, digits, hyphens, starting with a letter), such as
// "us-cert" or "cncert".
func ValidatePartyID(field, id string) error {
	if !isPartyID(id) {
		return FieldError(field, "%q is not a party id: use 2–32 lowercase letters, digits and single hyphens, starting with a letter (e.g. us-cert)", id)
	}
	return nil
}

// isPartyID reports whether id matches ^[a-z][a-z0-9-]{1,31}$ without a
// trailing or doubled hyphen. A loop, not a regular expression: every
// envelope and receipt a node opens checks two or three party ids.
func isPartyID(id string) bool {
	if len(id) < 2 || len(id) > 32 || id[0] < 'a' || id[0] > 'z' || id[len(id)-1] == '-' {
		return false
	}
	for i := 1; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && id[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// ValidateCountry returns EINVALID unless cc is an ISO 3166-1 alpha-2 country
// code in upper case (e.g. US, CN).
func ValidateCountry(field, cc string) error {
	if len(cc) != 2 || strings.ToUpper(cc) != cc {
		return FieldError(field, "%q is not an ISO 3166-1 alpha-2 country code (two upper-case letters, e.g. US, CN)", cc)
	}
	r, err := language.ParseRegion(cc)
	if err != nil || !r.IsCountry() || r.String() != cc {
		return FieldError(field, "%q is not an assigned ISO 3166-1 alpha-2 country code", cc)
	}
	return nil
}

// Validate checks a party's fields. It returns EINVALID naming the first bad field.
func (p *Party) Validate() error {
	if err := ValidatePartyID("id", p.ID); err != nil {
		return err
	}
	if strings.TrimSpace(p.Name) == "" {
		return FieldError("name", "is required")
	}
	if len(p.Name) > 200 {
		return FieldError("name", "is longer than 200 characters")
	}
	if err := ValidateCountry("country", p.Country); err != nil {
		return err
	}
	if p.Endpoint != "" {
		u, err := url.Parse(p.Endpoint)
		if err != nil || len(p.Endpoint) > 500 || !(((u.Scheme == "https" || u.Scheme == "http") && u.Host != "") || (u.Scheme == "mailto" && u.Opaque != "")) {
			return FieldError("endpoint", "%q is not an http(s) URL or a mailto: address", p.Endpoint)
		}
	}
	switch p.Kind {
	case PartySelf, PartyLocal, PartyPeer:
	default:
		return FieldError("kind", "%q is not a party kind (self, local, peer)", p.Kind)
	}
	return nil
}
