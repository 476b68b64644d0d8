package federation

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/ledger"
)

// The files of an identity in its directory. The two keys are PKCS#8 PEM,
// readable by the owner only; the certificate is PEM.
const (
	SigningKeyFile = "signing.key"
	TLSKeyFile     = "tls.key"
	TLSCertFile    = "tls.crt"
)

// certValidity is how long a generated TLS certificate is valid. Peers pin
// its public key, so expiry is not what ends trust; a long life avoids
// outages from a certificate nobody renewed.
const certValidity = 10 * 365 * 24 * time.Hour

// Identity is this node's party as peers know it: the party id, the Ed25519
// key that signs envelopes and receipts, and the TLS certificate and key of
// the mutual-TLS listener and client. It implements accord.Sealer. An
// Identity is immutable and safe for concurrent use.
type Identity struct {
	party         string
	signingKey    ed25519.PrivateKey
	cert          tls.Certificate
	messageSigner jose.Signer
	receiptSigner jose.Signer
}

var _ accord.Sealer = (*Identity)(nil)

// NewIdentity returns the identity of party from its signing key and TLS
// certificate (whose Leaf must be set or parseable). It returns EINVALID for
// a bad party id, key or certificate.
func NewIdentity(party string, signingKey ed25519.PrivateKey, cert tls.Certificate) (*Identity, error) {
	if err := accord.ValidatePartyID("party", party); err != nil {
		return nil, err
	}
	if len(signingKey) != ed25519.PrivateKeySize {
		return nil, accord.Errorf(accord.EINVALID, "the signing key is not an Ed25519 private key")
	}
	if len(cert.Certificate) == 0 || cert.PrivateKey == nil {
		return nil, accord.Errorf(accord.EINVALID, "the TLS certificate has no certificate or no private key")
	}
	if cert.Leaf == nil {
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err != nil {
			return nil, &accord.Error{Code: accord.EINVALID, Message: "the TLS certificate does not parse", Err: err}
		}
		cert.Leaf = leaf
	}
	id := &Identity{party: party, signingKey: signingKey, cert: cert}
	var err error
	if id.messageSigner, err = newSigner(signingKey, party, TypeMessage); err != nil {
		return nil, err
	}
	if id.receiptSigner, err = newSigner(signingKey, party, TypeReceipt); err != nil {
		return nil, err
	}
	return id, nil
}

func newSigner(key ed25519.PrivateKey, party, typ string) (jose.Signer, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", party))
	if err != nil {
		return nil, accord.Internal(err, "create %s signer", typ)
	}
	return s, nil
}

// GenerateIdentity returns a new identity for party held in memory only: a
// fresh Ed25519 signing key, and a separate Ed25519 TLS key with a
// self-signed certificate (CN = party; SANs 127.0.0.1, ::1, localhost and
// hosts, each an IP address or a DNS name; valid ten years). It returns
// EINVALID for a bad party id or host.
func GenerateIdentity(party string, hosts []string) (*Identity, error) {
	id, _, _, _, err := generate(party, hosts)
	return id, err
}

// generate makes an identity and returns it with the PEM of its files.
func generate(party string, hosts []string) (id *Identity, signingPEM, keyPEM, certPEM []byte, err error) {
	if err := accord.ValidatePartyID("party", party); err != nil {
		return nil, nil, nil, nil, err
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	names := []string{"localhost"}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(ips, ip.Equal) {
				ips = append(ips, ip)
			}
			continue
		}
		if !isDNSName(h) {
			return nil, nil, nil, nil, accord.FieldError("hosts", "%q is neither an IP address nor a DNS name", h)
		}
		if !slices.Contains(names, strings.ToLower(h)) {
			names = append(names, strings.ToLower(h))
		}
	}
	_, signingKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, nil, nil, accord.Internal(err, "generate signing key")
	}
	tlsPub, tlsKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, nil, nil, accord.Internal(err, "generate TLS key")
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, nil, nil, accord.Internal(err, "generate certificate serial")
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: party},
		NotBefore:             now.Add(-time.Hour), // tolerate a peer whose clock is slightly behind
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IPAddresses:           ips,
		DNSNames:              names,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, tlsPub, tlsKey)
	if err != nil {
		return nil, nil, nil, nil, accord.Internal(err, "create TLS certificate")
	}
	if signingPEM, err = keyToPEM(signingKey); err != nil {
		return nil, nil, nil, nil, err
	}
	if keyPEM, err = keyToPEM(tlsKey); err != nil {
		return nil, nil, nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, nil, nil, nil, accord.Internal(err, "load the generated TLS certificate")
	}
	id, err = NewIdentity(party, signingKey, cert)
	return id, signingPEM, keyPEM, certPEM, err
}

func keyToPEM(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, accord.Internal(err, "encode private key")
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// isDNSName reports whether h looks like a host name (letters, digits,
// hyphens and dots; labels of 1–63 characters).
func isDNSName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// CreateIdentity generates a new identity for party (see GenerateIdentity)
// and writes it to dir, which it creates (0700) if needed: signing.key and
// tls.key (PKCS#8 PEM, mode 0600) and tls.crt (PEM). It returns ECONFLICT,
// writing nothing, if any of the three files exists: keys are never
// overwritten. EINVALID for a bad party id or host; EINTERNAL when a file
// cannot be written (a partial write is removed).
func CreateIdentity(dir, party string, hosts []string) (*Identity, error) {
	id, signingPEM, keyPEM, certPEM, err := generate(party, hosts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, accord.Internal(err, "create %s", dir)
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{{SigningKeyFile, signingPEM, 0o600}, {TLSKeyFile, keyPEM, 0o600}, {TLSCertFile, certPEM, 0o644}}
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if _, err := os.Lstat(path); err == nil {
			return nil, accord.Errorf(accord.ECONFLICT, "%s exists already: refusing to overwrite an identity", path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, accord.Internal(err, "check %s", path)
		}
	}
	var written []string
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if err := writeNew(path, f.data, f.mode); err != nil {
			for _, w := range written {
				os.Remove(w)
			}
			if errors.Is(err, fs.ErrExist) {
				return nil, accord.Errorf(accord.ECONFLICT, "%s exists already: refusing to overwrite an identity", path)
			}
			return nil, accord.Internal(err, "write %s", path)
		}
		written = append(written, path)
	}
	return id, nil
}

// writeNew writes a file that must not exist yet and syncs it.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// LoadIdentity reads the identity of party that CreateIdentity wrote to dir.
// It returns EINVALID naming the file when a file is missing or unreadable,
// is not the PEM it should be, holds a key of another type, when the TLS key
// does not match the certificate, or when the certificate names a party
// other than party.
func LoadIdentity(dir, party string) (*Identity, error) {
	if err := accord.ValidatePartyID("party", party); err != nil {
		return nil, err
	}
	signingPath := filepath.Join(dir, SigningKeyFile)
	signing, err := readKey(signingPath)
	if err != nil {
		return nil, err
	}
	signingKey, ok := signing.(ed25519.PrivateKey)
	if !ok {
		return nil, accord.Errorf(accord.EINVALID, "%s: the signing key is a %T, not an Ed25519 key", signingPath, signing)
	}
	keyPath, certPath := filepath.Join(dir, TLSKeyFile), filepath.Join(dir, TLSCertFile)
	if _, err := readKey(keyPath); err != nil {
		return nil, err
	}
	certPEM, err := readFile(certPath)
	if err != nil {
		return nil, err
	}
	block, rest := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, accord.Errorf(accord.EINVALID, "%s: not a PEM CERTIFICATE", certPath)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, accord.Errorf(accord.EINVALID, "%s: unexpected data after the certificate", certPath)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, &accord.Error{Code: accord.EINVALID, Message: fmt.Sprintf("%s: the certificate does not parse: %v", certPath, err), Err: err}
	}
	if leaf.Subject.CommonName != party {
		return nil, accord.Errorf(accord.EINVALID, "%s is the certificate of %q, not of %q", certPath, leaf.Subject.CommonName, party)
	}
	keyPEM, err := readFile(keyPath)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, &accord.Error{Code: accord.EINVALID, Message: fmt.Sprintf("%s does not match %s: %v", keyPath, certPath, err), Err: err}
	}
	if signingKey.Public().(ed25519.PublicKey).Equal(cert.Leaf.PublicKey) {
		// Not fatal in cryptographic terms, but the design keeps them apart so
		// that a TLS key compromise does not let anyone sign envelopes.
		return nil, accord.Errorf(accord.EINVALID, "%s and %s hold the same key: the signing and TLS keys must differ", signingPath, keyPath)
	}
	return NewIdentity(party, signingKey, cert)
}

// readFile reads a file of an identity, with EINVALID naming it on failure.
func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &accord.Error{Code: accord.EINVALID, Message: fmt.Sprintf("%s is missing", path), Err: err}
	case err != nil:
		return nil, &accord.Error{Code: accord.EINVALID, Message: fmt.Sprintf("%s cannot be read: %v", path, err), Err: err}
	}
	return data, nil
}

// readKey reads and parses a PKCS#8 PEM private key file.
func readKey(path string) (any, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, accord.Errorf(accord.EINVALID, "%s: not a PEM PRIVATE KEY (PKCS#8)", path)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, accord.Errorf(accord.EINVALID, "%s: unexpected data after the key", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, &accord.Error{Code: accord.EINVALID, Message: fmt.Sprintf("%s: the key does not parse: %v", path, err), Err: err}
	}
	return key, nil
}

// Party returns the id of the identity's party.
func (id *Identity) Party() string { return id.party }

// PublicKey returns the Ed25519 public key that verifies this identity's
// envelopes and receipts (the card's signing_key).
func (id *Identity) PublicKey() ed25519.PublicKey {
	return id.signingKey.Public().(ed25519.PublicKey)
}

// CertDER returns the DER of the TLS certificate (the card's tls_certificate).
func (id *Identity) CertDER() []byte { return bytes.Clone(id.cert.Certificate[0]) }

// Pin returns the pin of the TLS certificate (see Pin).
func (id *Identity) Pin() string { return pinOf(id.cert.Leaf) }

// TLSCertificate returns the TLS certificate with its private key, for a
// tls.Config.
func (id *Identity) TLSCertificate() tls.Certificate { return id.cert }

// Seal implements accord.Sealer: it signs m as this identity's party and sets
// m.JWS and m.Digest. It normalises m.CreatedAt to UTC microseconds and
// m.Body to its RFC 8785 canonical form, so that the stored message equals
// what the peer opens. It returns EINVALID naming the first bad field (a
// sender other than this party, an unknown kind, a seq below 1, a body that
// is not a JSON object, …); m is unchanged then.
func (id *Identity) Seal(m *accord.Message) error {
	return sealMessage(id.messageSigner, id.party, m)
}

// SealReceipt implements accord.Sealer: it signs r, whose Receiver must be
// this identity's party, and sets r.JWS; r.ReceivedAt is normalised to UTC
// microseconds. It returns EINVALID naming the first bad field.
func (id *Identity) SealReceipt(r *accord.Receipt) error {
	return sealReceipt(id.receiptSigner, id.party, r)
}

// SignCheckpoint signs c as a C2SP signed note with this party's Ed25519
// key, under the key name c.Origin. It returns EINVALID for a bad origin.
func (id *Identity) SignCheckpoint(c ledger.Checkpoint) ([]byte, error) {
	signer, err := ledger.NoteSigner(c.Origin, id.signingKey)
	if err != nil {
		return nil, err
	}
	return c.Sign(signer)
}

// Cosign adds this party's C2SP cosignature, as witness, to a peer's
// checkpoint note. The caller must have checked the checkpoint first (see
// ledger.Cosign).
func (id *Identity) Cosign(checkpointNote []byte, witness string, now time.Time) ([]byte, error) {
	return ledger.Cosign(checkpointNote, witness, id.signingKey, now)
}
