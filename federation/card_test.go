package federation

import (
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
)

func testCard(t *testing.T) (Card, *Identity) {
	t.Helper()
	id := newIdentity(t, "us-cert")
	self := accord.Party{ID: "us-cert", Name: "US-CERT", Country: "US", Kind: accord.PartySelf,
		FederationURL: "https://accord.us-cert.example:8443/federation/v1/", SigningKey: id.PublicKey(), TLSCert: id.CertDER()}
	return NewCard(self), id
}

func TestCardRoundTrip(t *testing.T) {
	card, id := testCard(t)
	data, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"party": "us-cert"`, `"federation_url"`, `"signing_key"`, `"tls_certificate": "-----BEGIN CERTIFICATE-----`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("card JSON lacks %s:\n%s", key, data)
		}
	}
	parsed, err := ParseCard(data)
	if err != nil {
		t.Fatalf("ParseCard: %v", err)
	}
	if diff := cmp.Diff(&card, parsed); diff != "" {
		t.Errorf("ParseCard (-written +parsed):\n%s", diff)
	}
	want := accord.Party{ID: "us-cert", Name: "US-CERT", Country: "US", Kind: accord.PartyPeer,
		FederationURL: "https://accord.us-cert.example:8443/federation/v1/", SigningKey: id.PublicKey(), TLSCert: id.CertDER()}
	if diff := cmp.Diff(want, parsed.Party()); diff != "" {
		t.Errorf("Card.Party (-want +got):\n%s", diff)
	}
	if err := want.Validate(); err != nil {
		t.Errorf("the card's party does not validate: %v", err)
	}
	if parsed.Pin() != id.Pin() {
		t.Errorf("Card.Pin = %s, want %s", parsed.Pin(), id.Pin())
	}
}

func TestParseCardRefuses(t *testing.T) {
	card, _ := testCard(t)
	other := newIdentity(t, "cncert")
	certPEM := card.TLSCertificate
	tests := []struct {
		name  string
		edit  func(m map[string]any)
		field string
	}{
		{"bad party", func(m map[string]any) { m["party"] = "US-CERT" }, "party"},
		{"no name", func(m map[string]any) { m["name"] = "  " }, "name"},
		{"long name", func(m map[string]any) { m["name"] = strings.Repeat("n", 201) }, "name"},
		{"bad country", func(m map[string]any) { m["country"] = "USA" }, "country"},
		{"unassigned country", func(m map[string]any) { m["country"] = "ZZ" }, "country"},
		{"http URL", func(m map[string]any) { m["federation_url"] = "http://h.example:8443/federation/v1/" }, "federation_url"},
		{"URL without port", func(m map[string]any) { m["federation_url"] = "https://h.example/federation/v1/" }, "federation_url"},
		{"URL with another path", func(m map[string]any) { m["federation_url"] = "https://h.example:8443/api/" }, "federation_url"},
		{"URL without slash", func(m map[string]any) { m["federation_url"] = "https://h.example:8443/federation/v1" }, "federation_url"},
		{"URL with query", func(m map[string]any) { m["federation_url"] = "https://h.example:8443/federation/v1/?x=1" }, "federation_url"},
		{"URL with user", func(m map[string]any) { m["federation_url"] = "https://u:p@h.example:8443/federation/v1/" }, "federation_url"},
		{"not a URL", func(m map[string]any) { m["federation_url"] = "h.example:8443" }, "federation_url"},
		{"short key", func(m map[string]any) { m["signing_key"] = "AAAA" }, "signing_key"},
		{"padded key", func(m map[string]any) { m["signing_key"] = m["signing_key"].(string) + "=" }, "signing_key"},
		{"standard base64 key", func(m map[string]any) { m["signing_key"] = "+/" + m["signing_key"].(string)[2:] }, "signing_key"},
		{"certificate not PEM", func(m map[string]any) { m["tls_certificate"] = "MIIB..." }, "tls_certificate"},
		{"certificate garbage", func(m map[string]any) {
			m["tls_certificate"] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}))
		}, "tls_certificate"},
		{"two certificates", func(m map[string]any) {
			m["tls_certificate"] = certPEM + string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.CertDER()}))
		}, "tls_certificate"},
		{"a key, not a certificate", func(m map[string]any) {
			m["tls_certificate"] = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}))
		}, "tls_certificate"},
		{"unknown field", func(m map[string]any) { m["endpoint"] = "https://x" }, "endpoint"},
		{"missing field", func(m map[string]any) { delete(m, "signing_key") }, "signing_key"},
		{"number field", func(m map[string]any) { m["country"] = 840 }, "country"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			b, _ := json.Marshal(card)
			json.Unmarshal(b, &m)
			tc.edit(m)
			data, _ := json.Marshal(m)
			c, err := ParseCard(data)
			if c != nil {
				t.Errorf("ParseCard returned a card with its error")
			}
			wantCode(t, "ParseCard", err, accord.EINVALID)
			if got := accord.ErrorField(err); got != tc.field {
				t.Errorf("ParseCard: field %q (%v), want %q", got, err, tc.field)
			}
		})
	}

	good, _ := json.Marshal(card)
	for name, data := range map[string]string{
		"duplicate field": strings.Replace(string(good), `{`, `{"party":"cncert",`, 1),
		"trailing data":   string(good) + "{}",
		"not an object":   `["us-cert"]`,
		"not JSON":        `party: us-cert`,
		"empty":           ``,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseCard([]byte(data))
			wantCode(t, "ParseCard", err, accord.EINVALID)
		})
	}
}
