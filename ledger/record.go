package ledger

import (
	"bytes"
	"encoding/hex"
	"unicode/utf8"

	"github.com/accord-cyber/accord"
)

// The kinds of ledger entries the node records.
const (
	// KindMessage: a signed envelope this node sent or received; Ref is the
	// message id, the digest that of the envelope's JWS bytes.
	KindMessage = "message"
	// KindReceipt: a signed receipt this node issued or was given; Ref is
	// the id of the message it acknowledges, the digest that of the
	// receipt's JWS bytes.
	KindReceipt = "receipt"
	// KindCustody: a chain-of-custody event of a piece of evidence; Ref
	// names the event, the digest is that of the event's canonical bytes.
	KindCustody = "custody"
)

// recordPrefix opens every record; the version lets a later encoding
// coexist with this one in the same ledger.
const recordPrefix = "accord-ledger-entry/v1\n"

// Entry is the decoded content of one ledger record: what kind of thing
// was recorded, which one, and the digest of its exact bytes.
type Entry struct {
	Kind   string
	Ref    string
	Digest []byte
}

// Record returns the canonical bytes of a ledger entry, the leaf that
// Append adds to the tree:
//
//	"accord-ledger-entry/v1\n" + kind + "\n" + ref + "\n" + hex(digest) + "\n"
//
// with the digest in lowercase hex. Each field is validated so that the
// encoding is unambiguous and ParseRecord gives the same fields back: kind
// is a lowercase word ([a-z][a-z0-9_-]*, usually KindMessage, KindReceipt or
// KindCustody), ref is non-empty UTF-8 without control characters (so no
// newline), and digest is non-empty. It returns EINVALID, naming the field,
// otherwise. The node calls it for every entry it appends.
func Record(kind, ref string, digest []byte) ([]byte, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	if len(digest) == 0 {
		return nil, accord.FieldError("digest", "empty ledger entry digest")
	}
	b := make([]byte, 0, len(recordPrefix)+len(kind)+len(ref)+2*len(digest)+3)
	b = append(b, recordPrefix...)
	b = append(b, kind...)
	b = append(b, '\n')
	b = append(b, ref...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, digest)
	b = append(b, '\n')
	return b, nil
}

// ParseRecord decodes a record made by Record. It accepts only the
// canonical encoding (Record of the result gives rec back byte for byte)
// and returns EINVALID for anything else. `accord verify` and auditors call
// it to say what a ledger entry refers to.
func ParseRecord(rec []byte) (Entry, error) {
	bad := func(format string, args ...any) (Entry, error) {
		return Entry{}, accord.Errorf(accord.EINVALID, "ledger record: "+format, args...)
	}
	rest, ok := bytes.CutPrefix(rec, []byte(recordPrefix))
	if !ok {
		return bad("does not start with %q", recordPrefix)
	}
	if len(rest) == 0 || rest[len(rest)-1] != '\n' {
		return bad("does not end with a newline")
	}
	fields := bytes.Split(rest[:len(rest)-1], []byte("\n"))
	if len(fields) != 3 {
		return bad("has %d lines after the header, want 3 (kind, ref, digest)", len(fields))
	}
	e := Entry{Kind: string(fields[0]), Ref: string(fields[1])}
	if err := checkKind(e.Kind); err != nil {
		return Entry{}, err
	}
	if err := checkRef(e.Ref); err != nil {
		return Entry{}, err
	}
	d := fields[2]
	e.Digest = make([]byte, hex.DecodedLen(len(d)))
	if _, err := hex.Decode(e.Digest, d); err != nil || len(d) == 0 {
		return bad("digest %q is not non-empty hex", d)
	}
	if !bytes.Equal(hex.AppendEncode(nil, e.Digest), d) {
		return bad("digest %q is not lowercase hex", d)
	}
	return e, nil
}

func checkKind(kind string) error {
	if kind == "" {
		return accord.FieldError("kind", "empty ledger entry kind")
	}
	for i, c := range []byte(kind) {
		lower := c >= 'a' && c <= 'z'
		if !lower && (i == 0 || !(c >= '0' && c <= '9' || c == '_' || c == '-')) {
			return accord.FieldError("kind", "ledger entry kind %q is not a lowercase word", kind)
		}
	}
	return nil
}

func checkRef(ref string) error {
	if ref == "" {
		return accord.FieldError("ref", "empty ledger entry ref")
	}
	if !utf8.ValidString(ref) {
		return accord.FieldError("ref", "ledger entry ref %q is not UTF-8", ref)
	}
	for _, r := range ref {
		if r < 0x20 || r == 0x7f {
			return accord.FieldError("ref", "ledger entry ref %q contains a control character", ref)
		}
	}
	return nil
}
