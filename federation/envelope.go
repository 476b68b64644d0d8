package federation

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"
	"github.com/gowebpki/jcs"

	"github.com/accord-cyber/accord"
)

// The JWS "typ" header values of the two envelope kinds. A receipt can never
// be taken for a message, or the reverse.
const (
	TypeMessage = "accord-message+jws"
	TypeReceipt = "accord-receipt+jws"
)

// TimeLayout is how envelope times are written: RFC 3339 in UTC with exactly
// six fractional digits (microseconds, the precision every store keeps).
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// messageFields and receiptFields are the members of the signed payloads, all required.
var (
	messageFields = []string{"id", "kind", "sender", "recipient", "request_id", "seq", "created_at", "body"}
	receiptFields = []string{"message_id", "digest", "sender", "receiver", "received_at"}
	headerFields  = []string{"alg", "kid", "typ"}
)

// messagePayload is the signed content of a message envelope.
type messagePayload struct {
	// Fields in key order: encoding/json then writes the canonical form
	// (see canonical).
	Body      json.RawMessage    `json:"body"`
	CreatedAt string             `json:"created_at"`
	ID        string             `json:"id"`
	Kind      accord.MessageKind `json:"kind"`
	Recipient string             `json:"recipient"`
	RequestID string             `json:"request_id"`
	Sender    string             `json:"sender"`
	Seq       int                `json:"seq"`
}

// receiptPayload is the signed content of a receipt envelope, its fields in
// key order.
type receiptPayload struct {
	Digest     string `json:"digest"`
	MessageID  string `json:"message_id"`
	ReceivedAt string `json:"received_at"`
	Receiver   string `json:"receiver"`
	Sender     string `json:"sender"`
}

// Digest returns the hex SHA-256 of an envelope's compact serialisation: the
// value receipts and ledgers refer to.
func Digest(jws []byte) string {
	sum := sha256.Sum256(jws)
	return hex.EncodeToString(sum[:])
}

// sealMessage checks m, normalises its time and body and signs it with key as
// party. It returns EINVALID naming the first bad field.
func sealMessage(signer jose.Signer, party string, m *accord.Message) error {
	if m == nil {
		return accord.Errorf(accord.EINVALID, "no message to seal")
	}
	if m.Sender != party {
		return accord.FieldError("sender", "%q is not this node's party %q", m.Sender, party)
	}
	if m.CreatedAt.IsZero() {
		return accord.FieldError("created_at", "is required")
	}
	body, err := canonicalBody(m.Body)
	if err != nil {
		return err
	}
	created := m.CreatedAt.UTC().Truncate(time.Microsecond)
	p := messagePayload{ID: m.ID, Kind: m.Kind, Sender: m.Sender, Recipient: m.Recipient,
		RequestID: m.RequestID, Seq: m.Seq, CreatedAt: created.Format(TimeLayout), Body: body}
	if err := p.validate(); err != nil {
		return err
	}
	payload, err := canonical(p)
	if err != nil {
		return accord.Internal(err, "encode message %s", m.ID)
	}
	jws, err := sign(signer, payload)
	if err != nil {
		return err
	}
	m.CreatedAt, m.Body, m.JWS, m.Digest = created, body, jws, Digest(jws)
	return nil
}

// canonicalBody returns body as canonical JSON, refusing anything but an object.
func canonicalBody(body json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, accord.FieldError("body", "is required (a JSON object)")
	}
	c, err := jcs.Transform(body)
	if err != nil {
		return nil, accord.FieldError("body", "is not valid JSON: %v", err)
	}
	if c[0] != '{' {
		return nil, accord.FieldError("body", "must be a JSON object")
	}
	return c, nil
}

// sealReceipt checks r and signs it as party.
func sealReceipt(signer jose.Signer, party string, r *accord.Receipt) error {
	if r == nil {
		return accord.Errorf(accord.EINVALID, "no receipt to seal")
	}
	if r.Receiver != party {
		return accord.FieldError("receiver", "%q is not this node's party %q", r.Receiver, party)
	}
	if r.ReceivedAt.IsZero() {
		return accord.FieldError("received_at", "is required")
	}
	received := r.ReceivedAt.UTC().Truncate(time.Microsecond)
	p := receiptPayload{MessageID: r.MessageID, Digest: r.Digest, Sender: r.Sender, Receiver: r.Receiver,
		ReceivedAt: received.Format(TimeLayout)}
	if err := p.validate(); err != nil {
		return err
	}
	payload, err := canonical(p)
	if err != nil {
		return accord.Internal(err, "encode receipt for %s", r.MessageID)
	}
	jws, err := sign(signer, payload)
	if err != nil {
		return err
	}
	r.ReceivedAt, r.JWS = received, jws
	return nil
}

func sign(signer jose.Signer, payload []byte) ([]byte, error) {
	obj, err := signer.Sign(payload)
	if err != nil {
		return nil, accord.Internal(err, "sign envelope")
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		return nil, accord.Internal(err, "serialise envelope")
	}
	return []byte(s), nil
}

func (p *messagePayload) validate() error {
	if err := checkID("id", p.ID); err != nil {
		return err
	}
	if !p.Kind.Known() {
		return accord.FieldError("kind", "%q is not a message kind", p.Kind)
	}
	if err := accord.ValidatePartyID("sender", p.Sender); err != nil {
		return err
	}
	if err := accord.ValidatePartyID("recipient", p.Recipient); err != nil {
		return err
	}
	if p.Sender == p.Recipient {
		return accord.FieldError("recipient", "is the sender itself")
	}
	if err := checkID("request_id", p.RequestID); err != nil {
		return err
	}
	if p.Seq < 1 || p.Seq > maxSeq {
		return accord.FieldError("seq", "%d is not a sequence number (1 to %d)", p.Seq, maxSeq)
	}
	return nil
}

func (p *receiptPayload) validate() error {
	if err := checkID("message_id", p.MessageID); err != nil {
		return err
	}
	if !isDigest(p.Digest) {
		return accord.FieldError("digest", "%q is not a hex SHA-256 digest (64 lowercase hex digits)", p.Digest)
	}
	if err := accord.ValidatePartyID("sender", p.Sender); err != nil {
		return err
	}
	if err := accord.ValidatePartyID("receiver", p.Receiver); err != nil {
		return err
	}
	return nil
}

// maxSeq keeps sequence numbers exact in every JSON implementation (2^53-1
// would do; fifteen digits are plenty).
const maxSeq = 999_999_999_999_999

var seqPattern = regexp.MustCompile(`^[1-9][0-9]{0,14}$`)

// isDigest reports whether s is 64 lowercase hex digits (a SHA-256). A loop,
// not a regular expression: every receipt opened checks one.
func isDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// OpenMessage verifies a message envelope and returns the message it
// carries, with JWS (a copy of jws) and Digest set. keyOf returns the signing
// key of the party named by the envelope's "kid" header. For a party it does
// not trust it returns ENOTFOUND (answered as EUNAUTHORIZED "not a trusted
// peer") or its own EUNAUTHORIZED error, which is passed on as is; its other
// errors are passed on wrapped.
//
// The envelope must be a JWS compact serialisation signed with EdDSA (no
// other algorithm is accepted), whose protected header holds exactly alg,
// kid and typ = "accord-message+jws", and whose payload is the RFC 8785
// canonical JSON of exactly the fields id, kind, sender, recipient,
// request_id, seq, created_at and body, all valid, with sender equal to kid.
//
// It returns EINVALID for a malformed envelope or payload (the message names
// the field and the reason) and EUNAUTHORIZED for a signature that is not
// EdDSA or does not verify, an unknown signer, or a sender other than the
// signer. It checks neither the recipient nor the time: the caller does.
func OpenMessage(jws []byte, keyOf func(party string) (ed25519.PublicKey, error)) (*accord.Message, error) {
	return openMessage(jws, keyOf, true)
}

// openMessage is OpenMessage; with keep false, the message holds jws itself,
// which the caller hands over, not a copy.
func openMessage(jws []byte, keyOf func(party string) (ed25519.PublicKey, error), keep bool) (*accord.Message, error) {
	kid, payload, err := open(jws, TypeMessage, keyOf)
	if err != nil {
		return nil, err
	}
	fields, err := objectFields(payload, messageFields...)
	if err != nil {
		return nil, payloadError(err)
	}
	var p messagePayload
	for _, f := range []struct {
		name string
		dst  *string
	}{{"id", &p.ID}, {"sender", &p.Sender}, {"recipient", &p.Recipient}, {"request_id", &p.RequestID}} {
		if *f.dst, err = stringField(fields, f.name); err != nil {
			return nil, payloadError(err)
		}
	}
	kind, err := stringField(fields, "kind")
	if err != nil {
		return nil, payloadError(err)
	}
	p.Kind = accord.MessageKind(kind)
	seq := string(fields["seq"])
	if !seqPattern.MatchString(seq) {
		return nil, payloadError(accord.FieldError("seq", "%s is not a sequence number (an integer from 1)", truncate(seq, 40)))
	}
	p.Seq, _ = strconv.Atoi(seq)
	if err := p.validate(); err != nil {
		return nil, payloadError(err)
	}
	created, err := timeField(fields, "created_at")
	if err != nil {
		return nil, payloadError(err)
	}
	body := fields["body"]
	if body[0] != '{' {
		return nil, payloadError(accord.FieldError("body", "must be a JSON object"))
	}
	if p.Sender != kid {
		return nil, accord.Errorf(accord.EUNAUTHORIZED, "message %s claims sender %s but is signed by %s", p.ID, p.Sender, kid)
	}
	if keep {
		jws = bytes.Clone(jws)
	}
	return &accord.Message{ID: p.ID, Kind: p.Kind, Sender: p.Sender, Recipient: p.Recipient,
		RequestID: p.RequestID, Seq: p.Seq, CreatedAt: created, Body: bytes.Clone(body),
		JWS: jws, Digest: Digest(jws)}, nil
}

// OpenReceipt verifies a receipt envelope signed with key and returns the
// receipt, with JWS (a copy of jws) set. The envelope must be a JWS compact
// serialisation signed with EdDSA, protected header exactly alg, kid and typ
// = "accord-receipt+jws", whose payload is the canonical JSON of exactly
// message_id, digest, sender, receiver and received_at, with receiver equal
// to kid. The caller checks that the receipt is for the message it sent.
//
// It returns EINVALID for a malformed envelope or payload and EUNAUTHORIZED
// for a signature that is not EdDSA or does not verify with key, or a
// receiver other than the signer.
func OpenReceipt(jws []byte, key ed25519.PublicKey) (*accord.Receipt, error) {
	return openReceipt(jws, key, true)
}

// openReceipt is OpenReceipt; with keep false, the receipt holds jws
// itself, which the caller hands over, not a copy.
func openReceipt(jws []byte, key ed25519.PublicKey, keep bool) (*accord.Receipt, error) {
	kid, payload, err := open(jws, TypeReceipt, func(string) (ed25519.PublicKey, error) { return key, nil })
	if err != nil {
		return nil, err
	}
	fields, err := objectFields(payload, receiptFields...)
	if err != nil {
		return nil, payloadError(err)
	}
	var p receiptPayload
	for _, f := range []struct {
		name string
		dst  *string
	}{{"message_id", &p.MessageID}, {"digest", &p.Digest}, {"sender", &p.Sender}, {"receiver", &p.Receiver}} {
		if *f.dst, err = stringField(fields, f.name); err != nil {
			return nil, payloadError(err)
		}
	}
	if err := p.validate(); err != nil {
		return nil, payloadError(err)
	}
	received, err := timeField(fields, "received_at")
	if err != nil {
		return nil, payloadError(err)
	}
	if p.Receiver != kid {
		return nil, accord.Errorf(accord.EUNAUTHORIZED, "receipt for message %s claims receiver %s but is signed by %s", p.MessageID, p.Receiver, kid)
	}
	if keep {
		jws = bytes.Clone(jws)
	}
	return &accord.Receipt{MessageID: p.MessageID, Digest: p.Digest, Sender: p.Sender, Receiver: p.Receiver,
		ReceivedAt: received, JWS: jws}, nil
}

// open checks an envelope's form and header, verifies its signature with the
// key of its kid and returns the kid and the verified payload, which is
// canonical JSON.
//
// It parses the envelope once: the three segments are decoded a single time
// and the Ed25519 signature (RFC 8037) is verified over the JWS signing
// input, the envelope up to its second dot (RFC 7515, section 5.2). No JOSE
// library parses it again: the header may hold nothing but alg (EdDSA, and
// nothing else), kid and typ, so no other member (crit, b64, jwk…) could
// change what is signed or how.
func open(jws []byte, typ string, keyOf func(party string) (ed25519.PublicKey, error)) (string, []byte, error) {
	if len(jws) == 0 {
		return "", nil, accord.Errorf(accord.EINVALID, "empty envelope")
	}
	dot1, dot2, ok := compactDots(jws)
	if !ok {
		return "", nil, accord.Errorf(accord.EINVALID, "not a JWS compact serialisation (three base64url segments joined by dots)")
	}
	buf := make([]byte, base64.RawURLEncoding.DecodedLen(len(jws))) // room for the three segments decoded
	scratch := make([]byte, 0, len(jws))
	var dec [3][]byte
	for i, seg := range [3][]byte{jws[:dot1], jws[dot1+1 : dot2], jws[dot2+1:]} {
		// Only the canonical base64url form is accepted, for the same reason
		// as in compactDots: one signed message, one byte string.
		n, err := base64.RawURLEncoding.Strict().Decode(buf, seg)
		if err != nil || !bytes.Equal(base64.RawURLEncoding.AppendEncode(scratch[:0], buf[:n]), seg) {
			return "", nil, accord.Errorf(accord.EINVALID, "the JWS %s is not canonical base64url", [...]string{"protected header", "payload", "signature"}[i])
		}
		dec[i], buf = buf[:n:n], buf[n:]
	}
	hdr, payload, sig := dec[0], dec[1], dec[2]
	fields, err := objectFields(hdr, headerFields...)
	if err != nil {
		return "", nil, accord.Errorf(accord.EINVALID, "JWS protected header: %s", err.Error())
	}
	alg, err := stringField(fields, "alg")
	if err != nil {
		return "", nil, accord.Errorf(accord.EINVALID, "JWS protected header: %s", err.Error())
	}
	if alg != string(jose.EdDSA) {
		return "", nil, accord.Errorf(accord.EUNAUTHORIZED, "JWS algorithm %q is not accepted: envelopes are signed with EdDSA", truncate(alg, 40))
	}
	gotTyp, err := stringField(fields, "typ")
	if err != nil {
		return "", nil, accord.Errorf(accord.EINVALID, "JWS protected header: %s", err.Error())
	}
	if gotTyp != typ {
		return "", nil, accord.Errorf(accord.EINVALID, "JWS typ is %q, expected %q", truncate(gotTyp, 60), typ)
	}
	kid, err := stringField(fields, "kid")
	if err != nil {
		return "", nil, accord.Errorf(accord.EINVALID, "JWS protected header: %s", err.Error())
	}
	if err := accord.ValidatePartyID("kid", kid); err != nil {
		return "", nil, accord.Errorf(accord.EINVALID, "JWS protected header: %s", err.Error())
	}
	key, err := keyOf(kid)
	switch code := accord.ErrorCode(err); {
	case code == accord.ENOTFOUND:
		return "", nil, &accord.Error{Code: accord.EUNAUTHORIZED, Message: fmt.Sprintf("signer %s is not a trusted peer", kid), Err: err}
	case code == accord.EUNAUTHORIZED:
		return "", nil, err // keyOf's own reason (e.g. not the connected peer)
	case err != nil:
		return "", nil, fmt.Errorf("look up the signing key of %s: %w", kid, err)
	case len(key) != ed25519.PublicKeySize:
		return "", nil, accord.Errorf(accord.EUNAUTHORIZED, "no valid signing key is known for %s", kid)
	}
	// A signature of any length but 64 bytes does not verify.
	if !ed25519.Verify(key, jws[:dot2], sig) {
		return "", nil, accord.Errorf(accord.EUNAUTHORIZED, "the JWS signature does not verify with the signing key of %s", kid)
	}
	if !isCanonical(payload) {
		return "", nil, accord.Errorf(accord.EINVALID, "the payload is not RFC 8785 canonical JSON")
	}
	return kid, payload, nil
}

// compactDots returns the positions of the two dots of a JWS compact
// serialisation: three segments of base64url characters (A–Z, a–z, 0–9, -
// and _) joined by dots, the first two not empty. Go's base64 decoder skips
// line breaks, so the characters are checked first: otherwise two byte
// strings (two digests) could carry the same signed message. An empty
// signature (alg "none") passes here and is refused as unsigned by open.
func compactDots(jws []byte) (dot1, dot2 int, ok bool) {
	dot1, dot2 = -1, -1
	for i, c := range jws {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '.' && dot1 < 0:
			dot1 = i
		case c == '.' && dot2 < 0:
			dot2 = i
		default:
			return 0, 0, false
		}
	}
	return dot1, dot2, dot1 > 0 && dot2 > dot1+1
}

// timeField decodes the named member as a TimeLayout time.
func timeField(fields map[string]json.RawMessage, name string) (time.Time, error) {
	s, err := stringField(fields, name)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		return time.Time{}, accord.FieldError(name, "%q is not an RFC 3339 UTC time with microseconds (e.g. 2026-01-02T15:04:05.000000Z)", truncate(s, 60))
	}
	return t, nil
}

// payloadError prefixes a payload field error so that the reader knows where to look.
func payloadError(err error) error {
	return accord.Errorf(accord.ErrorCode(err), "payload: %s", accord.ErrorMessage(err))
}

// truncate shortens s, taken from untrusted input, for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
