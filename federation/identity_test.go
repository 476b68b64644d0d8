package federation

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

func TestCreateLoadIdentity(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	id, err := CreateIdentity(dir, "us-cert", []string{"accord.us-cert.example", "192.0.2.7"})
	if err != nil {
		t.Fatalf("CreateIdentity: %v", err)
	}
	for name, mode := range map[string]os.FileMode{SigningKeyFile: 0o600, TLSKeyFile: 0o600, TLSCertFile: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("CreateIdentity did not write %s: %v", name, err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("CreateIdentity: %s has mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}

	leaf := id.TLSCertificate().Leaf
	if leaf.Subject.CommonName != "us-cert" {
		t.Errorf("certificate CN = %q, want us-cert", leaf.Subject.CommonName)
	}
	if !slices.Equal(leaf.DNSNames, []string{"localhost", "accord.us-cert.example"}) {
		t.Errorf("certificate DNS names = %v", leaf.DNSNames)
	}
	var ips []string
	for _, ip := range leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	if !slices.Equal(ips, []string{"127.0.0.1", "::1", "192.0.2.7"}) {
		t.Errorf("certificate IPs = %v", ips)
	}
	if life := leaf.NotAfter.Sub(time.Now()); life < 9*365*24*time.Hour || life > 11*365*24*time.Hour {
		t.Errorf("certificate valid for %v, want about ten years", life)
	}
	if _, ok := leaf.PublicKey.(ed25519.PublicKey); !ok {
		t.Errorf("TLS key is a %T, want Ed25519", leaf.PublicKey)
	}
	if id.PublicKey().Equal(leaf.PublicKey) {
		t.Errorf("the signing key and the TLS key are the same")
	}

	loaded, err := LoadIdentity(dir, "us-cert")
	if err != nil {
		t.Fatalf("LoadIdentity: %v", err)
	}
	if !loaded.PublicKey().Equal(id.PublicKey()) || string(loaded.CertDER()) != string(id.CertDER()) || loaded.Pin() != id.Pin() {
		t.Errorf("LoadIdentity: got another identity than the one created")
	}
	// The loaded identity signs what the created one verifies.
	m := sealed(t, loaded, testMessage("us-cert", "cncert", t0))
	if _, err := OpenMessage(m.JWS, keyring(id)); err != nil {
		t.Errorf("OpenMessage of a message sealed by the loaded identity: %v", err)
	}

	_, err = CreateIdentity(dir, "us-cert", nil)
	wantCode(t, "CreateIdentity over an existing one", err, accord.ECONFLICT)
	again, err := LoadIdentity(dir, "us-cert")
	if err != nil || !again.PublicKey().Equal(id.PublicKey()) {
		t.Errorf("a refused CreateIdentity changed the identity on disk (%v)", err)
	}
}

func TestCreateIdentityRefusesPartialOverwrite(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, TLSCertFile), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := CreateIdentity(dir, "us-cert", nil)
	wantCode(t, "CreateIdentity with tls.crt present", err, accord.ECONFLICT)
	if !strings.Contains(err.Error(), TLSCertFile) {
		t.Errorf("CreateIdentity: error %q does not name %s", err, TLSCertFile)
	}
	if _, err := os.Stat(filepath.Join(dir, SigningKeyFile)); err == nil {
		t.Errorf("CreateIdentity wrote signing.key although it refused")
	}
}

func TestCreateIdentityRefusesBadInput(t *testing.T) {
	_, err := CreateIdentity(t.TempDir(), "US CERT", nil)
	wantCode(t, "CreateIdentity with a bad party", err, accord.EINVALID)
	_, err = CreateIdentity(t.TempDir(), "us-cert", []string{"bad host!"})
	wantCode(t, "CreateIdentity with a bad host", err, accord.EINVALID)
}

func TestLoadIdentityRefuses(t *testing.T) {
	src := t.TempDir()
	if _, err := CreateIdentity(src, "us-cert", nil); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if _, err := CreateIdentity(other, "cncert", nil); err != nil {
		t.Fatal(err)
	}
	read := func(dir, name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rsaLike := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1, 2, 3}})

	tests := []struct {
		name  string
		party string
		edit  func(dir string)
		file  string // named in the error
	}{
		{"missing signing key", "us-cert", func(d string) { os.Remove(filepath.Join(d, SigningKeyFile)) }, SigningKeyFile},
		{"missing TLS key", "us-cert", func(d string) { os.Remove(filepath.Join(d, TLSKeyFile)) }, TLSKeyFile},
		{"missing certificate", "us-cert", func(d string) { os.Remove(filepath.Join(d, TLSCertFile)) }, TLSCertFile},
		{"signing key not PEM", "us-cert", func(d string) { os.WriteFile(filepath.Join(d, SigningKeyFile), []byte("garbage"), 0o600) }, SigningKeyFile},
		{"signing key of another type", "us-cert", func(d string) { os.WriteFile(filepath.Join(d, SigningKeyFile), rsaLike, 0o600) }, SigningKeyFile},
		{"certificate not PEM", "us-cert", func(d string) { os.WriteFile(filepath.Join(d, TLSCertFile), []byte("garbage"), 0o644) }, TLSCertFile},
		{"TLS key of another identity", "us-cert", func(d string) { os.WriteFile(filepath.Join(d, TLSKeyFile), read(other, TLSKeyFile), 0o600) }, TLSKeyFile},
		{"certificate of another party", "us-cert", func(d string) {
			os.WriteFile(filepath.Join(d, TLSCertFile), read(other, TLSCertFile), 0o644)
			os.WriteFile(filepath.Join(d, TLSKeyFile), read(other, TLSKeyFile), 0o600)
		}, TLSCertFile},
		{"signing key reused for TLS", "us-cert", func(d string) { os.WriteFile(filepath.Join(d, TLSKeyFile), read(d, SigningKeyFile), 0o600) }, TLSKeyFile},
		{"another party asked", "cncert", func(string) {}, TLSCertFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{SigningKeyFile, TLSKeyFile, TLSCertFile} {
				if err := os.WriteFile(filepath.Join(dir, f), read(src, f), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			tc.edit(dir)
			_, err := LoadIdentity(dir, tc.party)
			wantCode(t, "LoadIdentity", err, accord.EINVALID)
			if !strings.Contains(err.Error(), tc.file) {
				t.Errorf("LoadIdentity: error %q does not name %s", err, tc.file)
			}
		})
	}
}

func TestPin(t *testing.T) {
	us, cn := newIdentity(t, "us-cert"), newIdentity(t, "cncert")
	leaf := us.TLSCertificate().Leaf
	if got, want := Pin(us.CertDER()), sha256hex(leaf.RawSubjectPublicKeyInfo); got != want {
		t.Errorf("Pin = %s, want SHA-256 of the SPKI %s", got, want)
	}
	if us.Pin() != Pin(us.CertDER()) {
		t.Errorf("Identity.Pin = %s, want %s", us.Pin(), Pin(us.CertDER()))
	}
	if Pin(us.CertDER()) == Pin(cn.CertDER()) {
		t.Errorf("two keys have the same pin")
	}
	if Pin([]byte("not a certificate")) != "" {
		t.Errorf("Pin of garbage is not empty")
	}

	// A certificate reissued for the same key keeps its pin.
	tmpl := *leaf
	tmpl.NotAfter = leaf.NotAfter.Add(time.Hour)
	tmpl.IPAddresses = []net.IP{net.IPv4(192, 0, 2, 1)}
	key := us.TLSCertificate().PrivateKey.(ed25519.PrivateKey)
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	if Pin(der) != Pin(us.CertDER()) {
		t.Errorf("a reissued certificate for the same key has another pin")
	}
}
