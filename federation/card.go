package federation

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/accord-cyber/accord"
)

// BasePath is the path under which a node serves federation; a party's
// federation URL ends with it.
const BasePath = "/federation/v1/"

// Card is a party card: what one party's operator hands to another's, out of
// band, so that the other node trusts it as a peer — like an SSH host key.
// `accord card` prints this node's; `accord peer add` reads a peer's.
//
// The party id field is named PartyID (JSON "party") because Party is the
// method that turns the card into an accord.Party.
type Card struct {
	PartyID string `json:"party"`
	Name    string `json:"name"`
	Country string `json:"country"`
	// FederationURL is the base URL of the party's mutual-TLS federation
	// listener: https://host:port/…/federation/v1/.
	FederationURL string `json:"federation_url"`
	// SigningKey is the base64url (unpadded) encoding of the party's 32-byte
	// Ed25519 public key, which verifies its envelopes and receipts.
	SigningKey string `json:"signing_key"`
	// TLSCertificate is the PEM of the party's TLS certificate; its public
	// key is pinned (see Pin).
	TLSCertificate string `json:"tls_certificate"`
}

// NewCard returns the card of self, whose SigningKey, TLSCert and
// FederationURL must be set (the self party of an initialised node). It does
// not validate; ParseCard on the peer's side does.
func NewCard(self accord.Party) Card {
	return Card{
		PartyID:        self.ID,
		Name:           self.Name,
		Country:        self.Country,
		FederationURL:  self.FederationURL,
		SigningKey:     base64.RawURLEncoding.EncodeToString(self.SigningKey),
		TLSCertificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: self.TLSCert})),
	}
}

// cardFields are a card's JSON members, all required.
var cardFields = []string{"party", "name", "country", "federation_url", "signing_key", "tls_certificate"}

// ParseCard decodes and validates a card. The JSON must be one object with
// exactly the card's fields (names compared exactly, none repeated), each a
// string. It returns EINVALID naming the first bad field (see Validate).
func ParseCard(data []byte) (*Card, error) {
	fields, err := objectFields(data, cardFields...)
	if err != nil {
		return nil, cardError(err)
	}
	var c Card
	for _, f := range []struct {
		name string
		dst  *string
	}{{"party", &c.PartyID}, {"name", &c.Name}, {"country", &c.Country}, {"federation_url", &c.FederationURL},
		{"signing_key", &c.SigningKey}, {"tls_certificate", &c.TLSCertificate}} {
		if *f.dst, err = stringField(fields, f.name); err != nil {
			return nil, cardError(err)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// cardError says that a decoding error is about a party card.
func cardError(err error) error {
	e := accord.Errorf(accord.EINVALID, "%v", err)
	var ae *accord.Error
	if errors.As(err, &ae) {
		e = &accord.Error{Code: ae.Code, Field: ae.Field, Message: ae.Message}
	}
	if e.Field == "" {
		e.Message = "party card: " + e.Message
	}
	return e
}

// Validate checks every field of c: party is a party id, name is 1–200
// characters, country an ISO 3166-1 alpha-2 code, federation_url an
// https://host:port URL whose path ends with /federation/v1/ (no user,
// query or fragment), signing_key the unpadded base64url of 32 bytes, and
// tls_certificate the PEM of one X.509 certificate. It returns EINVALID with
// Field naming the first bad one.
func (c *Card) Validate() error {
	if err := accord.ValidatePartyID("party", c.PartyID); err != nil {
		return err
	}
	if strings.TrimSpace(c.Name) == "" {
		return accord.FieldError("name", "is required")
	}
	if len(c.Name) > 200 {
		return accord.FieldError("name", "is longer than 200 characters")
	}
	if err := accord.ValidateCountry("country", c.Country); err != nil {
		return err
	}
	if err := validateFederationURL("federation_url", c.FederationURL); err != nil {
		return err
	}
	if _, err := decodeSigningKey(c.SigningKey); err != nil {
		return err
	}
	if _, err := decodeCertPEM(c.TLSCertificate); err != nil {
		return err
	}
	return nil
}

// validateFederationURL returns EINVALID unless s is https://host:port/…/federation/v1/.
func validateFederationURL(field, s string) error {
	u, err := url.Parse(s)
	if err != nil || len(s) > 500 || u.Scheme != "https" || u.Opaque != "" || u.Hostname() == "" {
		return accord.FieldError(field, "%q is not an https://host:port%s URL", truncate(s, 100), BasePath)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#") {
		return accord.FieldError(field, "%q must not carry a user, a query or a fragment", truncate(s, 100))
	}
	if port, err := strconv.Atoi(u.Port()); err != nil || port < 1 || port > 65535 {
		return accord.FieldError(field, "%q must name its port (https://host:port%s)", truncate(s, 100), BasePath)
	}
	if !strings.HasSuffix(u.Path, BasePath) {
		return accord.FieldError(field, "%q must end with %s", truncate(s, 100), BasePath)
	}
	return nil
}

// decodeSigningKey decodes a card's signing_key.
func decodeSigningKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || strings.ContainsAny(s, "\r\n") {
		return nil, accord.FieldError("signing_key", "is not unpadded base64url")
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, accord.FieldError("signing_key", "is %d bytes, not a %d-byte Ed25519 public key", len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// decodeCertPEM decodes a card's tls_certificate and returns its DER.
func decodeCertPEM(s string) ([]byte, error) {
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, accord.FieldError("tls_certificate", "is not a PEM CERTIFICATE")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, accord.FieldError("tls_certificate", "holds more than one PEM block: give only the party's own certificate")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return nil, accord.FieldError("tls_certificate", "does not parse: %v", err)
	}
	return block.Bytes, nil
}

// Party returns the peer party the card describes: Kind peer, the signing
// key's 32 bytes and the certificate's DER. c must be valid (from ParseCard,
// or Validate returned nil); otherwise keys that do not decode are left nil.
func (c *Card) Party() accord.Party {
	key, _ := decodeSigningKey(c.SigningKey)
	der, _ := decodeCertPEM(c.TLSCertificate)
	return accord.Party{ID: c.PartyID, Name: c.Name, Country: c.Country, Kind: accord.PartyPeer,
		FederationURL: c.FederationURL, SigningKey: []byte(key), TLSCert: der}
}

// Pin returns the pin of the card's TLS certificate, for operators to
// compare over another channel; "" if the certificate does not decode.
func (c *Card) Pin() string {
	der, err := decodeCertPEM(c.TLSCertificate)
	if err != nil {
		return ""
	}
	return Pin(der)
}

// Pin returns the pin of a DER certificate: the hex SHA-256 of its
// SubjectPublicKeyInfo. A reissued certificate for the same key keeps its
// pin. It returns "" if certDER does not parse.
func Pin(certDER []byte) string {
	pinCache.Lock()
	pin, ok := pinCache.m[string(certDER)]
	pinCache.Unlock()
	if ok {
		return pin
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return ""
	}
	pin = pinOf(cert)
	pinCache.Lock()
	if pinCache.m == nil || len(pinCache.m) >= maxCachedPins {
		pinCache.m = make(map[string]string)
	}
	pinCache.m[string(certDER)] = pin
	pinCache.Unlock()
	return pin
}

// pinCache holds the pins of the certificates Pin parsed, by DER: the
// handler looks every request's client up among the peers' certificates,
// and KnownPeer every handshake's, which would otherwise parse each peer's
// certificate each time. A pin depends on the DER alone, so a cached one is
// the same answer. The cache starts over when it holds maxCachedPins.
var pinCache struct {
	sync.Mutex
	m map[string]string
}

const maxCachedPins = 1024

func pinOf(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}
