package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
)

// Signature type bytes of C2SP signed-note keys (https://c2sp.org/signed-note).
const (
	algEd25519     = 0x01 // Ed25519 note signature
	algCosignature = 0x04 // timestamped Ed25519 cosignature, cosignature/v1
)

// Checkpoint is a signed statement of a ledger's size and root hash, in the
// C2SP tlog-checkpoint format (https://c2sp.org/tlog-checkpoint). Origin
// names the ledger (it is the first line of the note and, by convention,
// the signing key's name); Size is its number of entries and Hash the RFC
// 6962 root hash of those entries.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   tlog.Hash
}

// Text returns the checkpoint's note text (the body that is signed):
//
//	<origin>\n<size>\n<base64 root hash>\n
//
// It returns EINVALID for an origin that is empty or holds a newline or
// another control character, a negative size, or a size of 0 with another
// hash than the empty tree's.
func (c Checkpoint) Text() ([]byte, error) {
	if err := checkOrigin(c.Origin); err != nil {
		return nil, err
	}
	if c.Size < 0 {
		return nil, accord.Errorf(accord.EINVALID, "checkpoint size %d is negative", c.Size)
	}
	if c.Size == 0 && c.Hash != emptyHash {
		return nil, accord.Errorf(accord.EINVALID, "checkpoint of size 0 has hash %s, not the empty-tree hash", c.Hash)
	}
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, c.Hash), nil
}

// Sign returns the checkpoint as a signed note (https://c2sp.org/signed-note)
// signed by signer, the node's NoteSigner. The node calls it to publish a
// checkpoint to its peer. It returns EINVALID for a malformed checkpoint
// (see Text) or an unusable signer name, and EINTERNAL if signing fails.
func (c Checkpoint) Sign(signer note.Signer) ([]byte, error) {
	text, err := c.Text()
	if err != nil {
		return nil, err
	}
	if signer == nil {
		return nil, accord.Errorf(accord.EINVALID, "no signer for the checkpoint")
	}
	if err := checkKeyName(signer.Name()); err != nil {
		return nil, err
	}
	msg, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		return nil, accord.Internal(err, "sign checkpoint of %s as %s", c.Origin, signer.Name())
	}
	return msg, nil
}

// String describes the checkpoint for messages: origin, size and hash.
func (c Checkpoint) String() string {
	return fmt.Sprintf("%s size %d hash %s", c.Origin, c.Size, c.Hash)
}

// OpenCheckpoint verifies msg, a checkpoint as a signed note, and returns
// its origin, size and hash. The note must carry a valid signature by
// verifier (the log's NoteVerifier; signatures by other keys, such as
// cosignatures, are ignored as the signed-note spec requires), and its text
// must be a well-formed checkpoint whose origin is origin. Extension lines
// after the hash are allowed by the spec: they must be non-empty, are
// covered by the signature, and are ignored (they are not returned).
//
// A witness calls it on each checkpoint its peer sends; `accord verify` on
// the stored ones. It returns EINVALID, saying which check failed: a
// malformed note, no signature by the key, a signature that does not
// verify, a wrong origin, a malformed size or hash.
func OpenCheckpoint(msg []byte, origin string, verifier note.Verifier) (*Checkpoint, error) {
	if verifier == nil {
		return nil, accord.Errorf(accord.EINVALID, "no verifier for the checkpoint")
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return nil, noteError("checkpoint", err, verifier)
	}
	c, err := parseCheckpoint(n.Text)
	if err != nil {
		return nil, err
	}
	if c.Origin != origin {
		return nil, accord.Errorf(accord.EINVALID, "checkpoint origin is %q, want %q", c.Origin, origin)
	}
	return c, nil
}

// parseCheckpoint parses a checkpoint note text (after its signatures are
// checked) per https://c2sp.org/tlog-checkpoint.
func parseCheckpoint(text string) (*Checkpoint, error) {
	bad := func(format string, args ...any) (*Checkpoint, error) {
		return nil, accord.Errorf(accord.EINVALID, "malformed checkpoint: "+format, args...)
	}
	body, ok := strings.CutSuffix(text, "\n")
	if !ok {
		return bad("text does not end with a newline")
	}
	lines := strings.Split(body, "\n")
	if len(lines) < 3 {
		return bad("%d lines, want at least 3 (origin, size, root hash)", len(lines))
	}
	for i, l := range lines[3:] {
		if l == "" {
			return bad("extension line %d is empty", i+1)
		}
	}
	if err := checkOrigin(lines[0]); err != nil {
		return nil, err
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return bad("size %q is not a decimal number without leading zeros", lines[1])
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return bad("root hash %q is not the base64 of %d bytes", lines[2], tlog.HashSize)
	}
	c := &Checkpoint{Origin: lines[0], Size: size}
	copy(c.Hash[:], raw)
	if c.Hash.String() != lines[2] {
		return bad("root hash %q is not in canonical base64", lines[2])
	}
	if size == 0 && c.Hash != emptyHash {
		return bad("size 0 with hash %s, not the empty-tree hash", c.Hash)
	}
	return c, nil
}

// checkOrigin returns EINVALID unless origin can be a checkpoint's first
// line: non-empty UTF-8 without newlines or other control characters.
func checkOrigin(origin string) error {
	if origin == "" {
		return accord.Errorf(accord.EINVALID, "empty checkpoint origin")
	}
	if !utf8.ValidString(origin) {
		return accord.Errorf(accord.EINVALID, "checkpoint origin %q is not UTF-8", origin)
	}
	for _, r := range origin {
		if r < 0x20 || r == 0x7f {
			return accord.Errorf(accord.EINVALID, "checkpoint origin %q contains a control character", origin)
		}
	}
	return nil
}

// NoteSigner returns a note.Signer that signs notes (checkpoints) with the
// Ed25519 key under the given key name, as note.NewSigner would from the
// encoded signer key "PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || seed)>";
// the key hash is the first 4 bytes, big-endian, of SHA-256(name || "\n" ||
// 0x01 || public key). The node builds it from its existing signing key at
// start-up, with its log's origin as the name. It returns EINVALID for a
// name that is empty or holds spaces or '+', or a malformed key.
func NoteSigner(name string, key ed25519.PrivateKey) (note.Signer, error) {
	pub, err := checkKey(name, key)
	if err != nil {
		return nil, err
	}
	skey := fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, keyHash(name, algEd25519, pub),
		base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, key.Seed()...)))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, accord.Errorf(accord.EINVALID, "note signer key %q: %v", name, err)
	}
	return s, nil
}

// VerifierKey returns the encoded note verifier key ("vkey") of an Ed25519
// public key under a key name: "<name>+<hex key hash>+<base64(0x01 ||
// public key)>", the form note.NewVerifier and other signed-note tools read.
// The party card can carry it so that any C2SP tool can check this node's
// checkpoints. It returns EINVALID for a bad name or key.
func VerifierKey(name string, pub ed25519.PublicKey) (string, error) {
	if err := checkKeyName(name); err != nil {
		return "", err
	}
	if len(pub) != ed25519.PublicKeySize {
		return "", accord.Errorf(accord.EINVALID, "Ed25519 public key of %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	return fmt.Sprintf("%s+%08x+%s", name, keyHash(name, algEd25519, pub),
		base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, pub...))), nil
}

// NoteVerifier returns the note.Verifier for notes signed by NoteSigner
// with the matching private key and name: note.NewVerifier of VerifierKey.
// A node builds it from a peer's party card to open the peer's checkpoints.
// It returns EINVALID for a bad name or key.
func NoteVerifier(name string, pub ed25519.PublicKey) (note.Verifier, error) {
	vkey, err := VerifierKey(name, pub)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, accord.Errorf(accord.EINVALID, "note verifier key %q: %v", vkey, err)
	}
	return v, nil
}

// keyHash is the C2SP signed-note key ID: the first 4 bytes, big-endian, of
// SHA-256(name || "\n" || signature type || public key).
func keyHash(name string, alg byte, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', alg})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// checkKeyName returns EINVALID unless name is a valid signed-note key
// name: non-empty UTF-8 without Unicode spaces or '+'.
func checkKeyName(name string) error {
	if name == "" || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsSpace) >= 0 ||
		strings.Contains(name, "+") || strings.ContainsFunc(name, unicode.IsControl) {
		return accord.Errorf(accord.EINVALID, "key name %q must be non-empty, without spaces, control characters or '+'", name)
	}
	return nil
}

// checkKey validates a key name and an Ed25519 private key and returns the
// key's public half.
func checkKey(name string, key ed25519.PrivateKey) (ed25519.PublicKey, error) {
	if err := checkKeyName(name); err != nil {
		return nil, err
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, accord.Errorf(accord.EINVALID, "Ed25519 private key of %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	pub := ed25519.NewKeyFromSeed(key.Seed()).Public().(ed25519.PublicKey)
	if !bytes.Equal(pub, key[ed25519.SeedSize:]) {
		return nil, accord.Errorf(accord.EINVALID, "Ed25519 private key: its public half does not match its seed")
	}
	return pub, nil
}

// noteError translates an error of note.Open into EINVALID, naming what
// was being opened and which keys were expected.
func noteError(what string, err error, keys ...note.Verifier) error {
	var names []string
	for _, v := range keys {
		names = append(names, fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash()))
	}
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return &accord.Error{Code: accord.EINVALID, Err: err,
			Message: fmt.Sprintf("%s is not signed by %s", what, strings.Join(names, " or "))}
	case errors.As(err, &invalid):
		return &accord.Error{Code: accord.EINVALID, Err: err,
			Message: fmt.Sprintf("%s: signature by %s+%08x does not verify", what, invalid.Name, invalid.Hash)}
	default:
		return &accord.Error{Code: accord.EINVALID, Err: err,
			Message: fmt.Sprintf("%s is not a well-formed signed note: %v", what, err)}
	}
}
