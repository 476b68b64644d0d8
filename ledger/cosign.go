package ledger

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/accord-cyber/accord"
)

// cosignatureHeader is the first line of the message a cosignature/v1
// signs, for domain separation (https://c2sp.org/tlog-cosignature).
const cosignatureHeader = "cosignature/v1\n"

// cosignedMessage returns the message an Ed25519 cosignature/v1 signs:
// "cosignature/v1\ntime <timestamp>\n" followed by the whole checkpoint
// text, extension lines included.
func cosignedMessage(timestamp uint64, text []byte) []byte {
	m := make([]byte, 0, len(cosignatureHeader)+len("time \n")+20+len(text))
	m = append(m, cosignatureHeader...)
	m = append(m, "time "...)
	m = strconv.AppendUint(m, timestamp, 10)
	m = append(m, '\n')
	return append(m, text...)
}

// cosigner is a note.Signer making cosignature/v1 signatures at one time:
// the signature is the 8-byte big-endian timestamp followed by the Ed25519
// signature of cosignedMessage.
type cosigner struct {
	name      string
	hash      uint32
	key       ed25519.PrivateKey
	timestamp uint64
}

func (s *cosigner) Name() string    { return s.name }
func (s *cosigner) KeyHash() uint32 { return s.hash }
func (s *cosigner) Sign(text []byte) ([]byte, error) {
	sig := binary.BigEndian.AppendUint64(nil, s.timestamp)
	return append(sig, ed25519.Sign(s.key, cosignedMessage(s.timestamp, text))...), nil
}

// cosignatureVerifier is the note.Verifier of cosignature/v1 signatures by
// one witness key.
type cosignatureVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

func (v *cosignatureVerifier) Name() string    { return v.name }
func (v *cosignatureVerifier) KeyHash() uint32 { return v.hash }
func (v *cosignatureVerifier) Verify(text, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > math.MaxInt64 {
		return false
	}
	return ed25519.Verify(v.pub, cosignedMessage(t, text), sig[8:])
}

// CosignatureVerifier returns the note.Verifier of Ed25519 cosignature/v1
// lines made by the witness key pub under the witness name: its key hash is
// the first 4 bytes, big-endian, of SHA-256(name || "\n" || 0x04 || pub),
// and it checks the signature over "cosignature/v1\ntime <t>\n" + note text.
// VerifyCosignature uses it; a caller checking several witnesses at once
// can pass several to note.Open. It returns EINVALID for a bad name or key.
func CosignatureVerifier(name string, pub ed25519.PublicKey) (note.Verifier, error) {
	if err := checkKeyName(name); err != nil {
		return nil, err
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, accord.Errorf(accord.EINVALID, "Ed25519 public key of %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	return &cosignatureVerifier{name: name, hash: keyHash(name, algCosignature, pub), pub: pub}, nil
}

// Cosign returns checkpointNote, a signed checkpoint, with one more
// signature line: the witness's C2SP Ed25519 cosignature/v1
// (https://c2sp.org/tlog-cosignature) made with key under witnessName at
// now (whole seconds). The existing signature lines are kept as they are;
// a previous cosignature by the same witness key is replaced.
//
// A cosignature states that, as of now, this is the largest checkpoint of
// the log the witness has seen and that it is consistent with all earlier
// ones. Cosign checks only that the note is a well-formed checkpoint; the
// witness (the peer's node) must first open it with OpenCheckpoint under
// the log's key and check it with CheckUpdate against the last checkpoint
// it cosigned for that log. It returns EINVALID for a malformed note, a bad
// name or key, or a time before 1970.
func Cosign(checkpointNote []byte, witnessName string, key ed25519.PrivateKey, now time.Time) ([]byte, error) {
	pub, err := checkKey(witnessName, key)
	if err != nil {
		return nil, err
	}
	if now.Unix() < 0 {
		return nil, accord.Errorf(accord.EINVALID, "cosignature time %s is before 1970", now.UTC().Format(time.RFC3339))
	}
	// Opening with no known key parses the note; its signatures come back
	// unverified, and note.Sign writes them out again unchanged.
	var unverified *note.UnverifiedNoteError
	_, err = note.Open(checkpointNote, note.VerifierList())
	if !errors.As(err, &unverified) {
		return nil, &accord.Error{Code: accord.EINVALID, Err: err, Message: "checkpoint to cosign is not a well-formed signed note"}
	}
	n := unverified.Note
	if _, err := parseCheckpoint(n.Text); err != nil {
		return nil, err
	}
	s := &cosigner{name: witnessName, hash: keyHash(witnessName, algCosignature, pub), key: key, timestamp: uint64(now.Unix())}
	msg, err := note.Sign(n, s)
	if err != nil {
		return nil, accord.Internal(err, "cosign checkpoint as %s", witnessName)
	}
	return msg, nil
}

// VerifyCosignature checks that msg is a checkpoint of the log origin,
// signed by the log (logVerifier, from NoteVerifier) and cosigned by the
// witness (its name and Ed25519 public key), and returns the time of the
// cosignature. Other signature lines are ignored. The node calls it on the
// cosigned checkpoint its peer returns; `accord verify` on the stored ones.
// It does not compare the time with a clock: a caller that cares about
// cosignatures from the future compares it with its own now. It returns
// EINVALID, saying which check failed: a malformed note or checkpoint, a
// wrong origin, a missing log signature or cosignature, or a signature
// that does not verify.
func VerifyCosignature(msg []byte, origin string, logVerifier note.Verifier, witnessName string, witnessPub ed25519.PublicKey) (time.Time, error) {
	if logVerifier == nil {
		return time.Time{}, accord.Errorf(accord.EINVALID, "no log verifier for the cosigned checkpoint")
	}
	wv, err := CosignatureVerifier(witnessName, witnessPub)
	if err != nil {
		return time.Time{}, err
	}
	n, err := note.Open(msg, note.VerifierList(logVerifier, wv))
	if err != nil {
		return time.Time{}, noteError("cosigned checkpoint", err, logVerifier, wv)
	}
	var logSigned bool
	var cosig *note.Signature
	for i, s := range n.Sigs {
		switch {
		case s.Name == logVerifier.Name() && s.Hash == logVerifier.KeyHash():
			logSigned = true
		case s.Name == wv.Name() && s.Hash == wv.KeyHash():
			cosig = &n.Sigs[i]
		}
	}
	if !logSigned {
		return time.Time{}, accord.Errorf(accord.EINVALID, "cosigned checkpoint is not signed by the log key %s+%08x",
			logVerifier.Name(), logVerifier.KeyHash())
	}
	if cosig == nil {
		return time.Time{}, accord.Errorf(accord.EINVALID, "checkpoint has no cosignature by the witness key %s+%08x",
			wv.Name(), wv.KeyHash())
	}
	c, err := parseCheckpoint(n.Text)
	if err != nil {
		return time.Time{}, err
	}
	if c.Origin != origin {
		return time.Time{}, accord.Errorf(accord.EINVALID, "checkpoint origin is %q, want %q", c.Origin, origin)
	}
	t, err := cosignatureTime(*cosig)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(t, 0).UTC(), nil
}

// cosignatureTime returns the timestamp of a cosignature/v1 signature line:
// the 8 bytes after the 4-byte key hash, big-endian.
func cosignatureTime(sig note.Signature) (int64, error) {
	raw, err := base64.StdEncoding.DecodeString(sig.Base64)
	if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
		return 0, accord.Errorf(accord.EINVALID, "signature by %s is not a cosignature/v1", sig.Name)
	}
	t := binary.BigEndian.Uint64(raw[4:])
	if t > math.MaxInt64 {
		return 0, accord.Errorf(accord.EINVALID, "cosignature by %s has timestamp %d beyond 2^63-1", sig.Name, t)
	}
	return int64(t), nil
}
