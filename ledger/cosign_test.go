package ledger

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/accord-cyber/accord"
)

var someTime = time.Date(2026, 5, 4, 3, 2, 1, 999, time.UTC)

const testWitness = "example.com/accord/witness"

// signedCheckpoint returns a signed checkpoint of a 5-entry ledger.
func signedCheckpoint(t *testing.T, signer note.Signer) []byte {
	t.Helper()
	c, err := Head(newLedger(t, testRecords(5)), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := c.Sign(signer)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestCosignRoundTrip(t *testing.T) {
	signer, verifier := testLog(t)
	witness := newKey(t)
	msg := signedCheckpoint(t, signer)
	cosigned, err := Cosign(msg, testWitness, witness, someTime)
	if err != nil {
		t.Fatalf("Cosign = %v", err)
	}
	if !strings.HasPrefix(string(cosigned), string(msg)) {
		t.Errorf("Cosign = %q, want %q with one line appended", cosigned, msg)
	}
	added := strings.TrimPrefix(string(cosigned), string(msg))
	if !strings.HasPrefix(added, "— "+testWitness+" ") || strings.Count(added, "\n") != 1 {
		t.Errorf("Cosign appended %q, want one signature line by %s", added, testWitness)
	}
	got, err := VerifyCosignature(cosigned, testOrigin, verifier, testWitness, pub(witness))
	if err != nil {
		t.Fatalf("VerifyCosignature = %v", err)
	}
	if want := time.Unix(someTime.Unix(), 0).UTC(); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("VerifyCosignature = %v, want %v", got, want)
	}
	// The log's own checkpoint still opens: the cosignature is an unknown
	// signature to the log's verifier, which ignores it.
	if _, err := OpenCheckpoint(cosigned, testOrigin, verifier); err != nil {
		t.Errorf("OpenCheckpoint(cosigned) = %v", err)
	}
	// A cosignature is not a log signature: the witness key under the
	// log's name as a 0x01 key does not open it.
	wv, _ := NoteVerifier(testWitness, pub(witness))
	if _, err := OpenCheckpoint(cosigned, testOrigin, wv); accord.ErrorCode(err) != accord.EINVALID {
		t.Errorf("OpenCheckpoint(cosigned, witness key as note key) = %v, want EINVALID", err)
	}
}

func TestCosignSeveralWitnesses(t *testing.T) {
	signer, verifier := testLog(t)
	w1, w2 := newKey(t), newKey(t)
	msg := signedCheckpoint(t, signer)
	msg, err := Cosign(msg, "w1.example", w1, someTime)
	if err != nil {
		t.Fatal(err)
	}
	msg, err = Cosign(msg, "w2.example", w2, someTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// The same witness again replaces its earlier cosignature.
	later := someTime.Add(2 * time.Hour)
	msg, err = Cosign(msg, "w1.example", w1, later)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(msg), "— w1.example "); n != 1 {
		t.Errorf("note has %d cosignatures by w1, want 1:\n%s", n, msg)
	}
	for _, w := range []struct {
		name string
		key  []byte
		want time.Time
	}{{"w1.example", pub(w1), later}, {"w2.example", pub(w2), someTime.Add(time.Hour)}} {
		got, err := VerifyCosignature(msg, testOrigin, verifier, w.name, w.key)
		if err != nil || got.Unix() != w.want.Unix() {
			t.Errorf("VerifyCosignature(%s) = %v, %v; want %v", w.name, got, err, w.want)
		}
	}
}

// flipTimestamp returns msg with the timestamp of the signature line of
// name increased by one second, the signature bytes unchanged.
func flipTimestamp(t *testing.T, msg []byte, name string) []byte {
	t.Helper()
	lines := strings.Split(string(msg), "\n")
	for i, l := range lines {
		if b64, ok := strings.CutPrefix(l, "— "+name+" "); ok {
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatal(err)
			}
			binary.BigEndian.PutUint64(raw[4:], binary.BigEndian.Uint64(raw[4:])+1)
			lines[i] = "— " + name + " " + base64.StdEncoding.EncodeToString(raw)
			return []byte(strings.Join(lines, "\n"))
		}
	}
	t.Fatalf("no signature by %s in %q", name, msg)
	return nil
}

func TestVerifyCosignatureRefusals(t *testing.T) {
	signer, verifier := testLog(t)
	otherSigner, _ := testLog(t)
	witness, other := newKey(t), newKey(t)
	msg := signedCheckpoint(t, signer)
	cosigned, err := Cosign(msg, testWitness, witness, someTime)
	if err != nil {
		t.Fatal(err)
	}
	byOther, err := Cosign(msg, testWitness, other, someTime)
	if err != nil {
		t.Fatal(err)
	}
	otherLog, err := Cosign(signedCheckpoint(t, otherSigner), testWitness, witness, someTime)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		msg      []byte
		origin   string
		witness  string
		pub      []byte
		contains string
	}{
		{"cosigned by another key", byOther, testOrigin, testWitness, pub(witness), "no cosignature"},
		{"checked against another key", cosigned, testOrigin, testWitness, pub(other), "no cosignature"},
		{"another witness name", cosigned, testOrigin, "example.com/other-witness", pub(witness), "no cosignature"},
		{"not cosigned", msg, testOrigin, testWitness, pub(witness), "no cosignature"},
		{"timestamp altered", flipTimestamp(t, cosigned, testWitness), testOrigin, testWitness, pub(witness), "does not verify"},
		{"checkpoint altered", []byte(strings.Replace(string(cosigned), "\n5\n", "\n6\n", 1)), testOrigin, testWitness, pub(witness), "does not verify"},
		{"log signature missing", otherLog, testOrigin, testWitness, pub(witness), "not signed by the log key"},
		{"wrong origin", cosigned, "example.com/other", testWitness, pub(witness), "origin"},
		{"garbage", []byte("hello"), testOrigin, testWitness, pub(witness), "well-formed"},
		{"bad witness key", cosigned, testOrigin, testWitness, pub(witness)[:5], "public key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := VerifyCosignature(tc.msg, tc.origin, verifier, tc.witness, tc.pub)
			if !got.IsZero() {
				t.Errorf("VerifyCosignature = %v, want the zero time", got)
			}
			wantCode(t, "VerifyCosignature", err, accord.EINVALID, tc.contains)
		})
	}
	_, err = VerifyCosignature(cosigned, testOrigin, nil, testWitness, pub(witness))
	wantCode(t, "VerifyCosignature(nil log verifier)", err, accord.EINVALID)
}

func TestCosignRefusals(t *testing.T) {
	signer, _ := testLog(t)
	witness := newKey(t)
	tests := []struct {
		name string
		msg  []byte
		now  time.Time
	}{
		{"not a note", []byte("example.com/log\n1\n"), someTime},
		{"not a checkpoint", signText(t, "hello\n", signer), someTime},
		{"bad size", signText(t, "o\nx\n"+emptyHash.String()+"\n", signer), someTime},
		{"before 1970", signedCheckpoint(t, signer), time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Cosign(tc.msg, testWitness, witness, tc.now)
			wantCode(t, "Cosign", err, accord.EINVALID)
		})
	}
}

// The example of https://c2sp.org/tlog-cosignature. Its keys are not
// published, so only the layout of the cosignature line is checked: the
// key ID, then the timestamp of the example's signed message
// ("time 1679315147"), then 64 bytes of Ed25519 signature.
const specExample = `example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==
`

func TestCosignatureSpecExample(t *testing.T) {
	_, err := note.Open([]byte(specExample), note.VerifierList())
	var u *note.UnverifiedNoteError
	if !errors.As(err, &u) {
		t.Fatalf("note.Open(spec example) = %v", err)
	}
	c, err := parseCheckpoint(u.Note.Text)
	if err != nil || c.Origin != "example.com/behind-the-sofa" || c.Size != 20852163 {
		t.Fatalf("parseCheckpoint(spec example) = %v, %v", c, err)
	}
	sig := u.Note.UnverifiedSigs[1]
	if sig.Name != "witness.example.com/w1" || sig.Hash != 0x8d66cf3f {
		t.Errorf("spec example cosignature by %s+%08x, want witness.example.com/w1+8d66cf3f", sig.Name, sig.Hash)
	}
	if ts, err := cosignatureTime(sig); ts != 1679315147 || err != nil {
		t.Errorf("cosignatureTime(spec example) = %d, %v; want 1679315147", ts, err)
	}
	if _, err := cosignatureTime(u.Note.UnverifiedSigs[0]); err == nil {
		t.Errorf("cosignatureTime(the log's 0x01 signature) = nil error, want EINVALID")
	}
	m := string(cosignedMessage(1679315147, []byte(u.Note.Text)))
	want := "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	if m != want {
		t.Errorf("cosignedMessage(spec example) = %q, want the spec's %q", m, want)
	}
}

// Interoperability vectors, made with fixed test keys and checked against
// github.com/transparency-dev/formats v0.1.1 (log.ParseCheckpoint,
// note.NewVerifierForCosignatureV1 and note.NewSignerForCosignatureV1):
// interopOurs was made by Cosign and verifies with their verifier;
// interopTheirs was cosigned by their signer and must verify here.
const (
	interopCheckpoint = "example.com/accord/log\n5\n6qwN3g27QH5gIilTqT0WUOwa2dwgK2Smi5JJksN96Nk=\n\n" +
		"— example.com/accord/log OAiBnHcIelI/iZ3rbwRgNgCJK4GeHYnuG7YYIUggkrLzJRUhNprRVAaYdWfPASoFPaB1PVstHD8CiRtahLDC0HJ/oQ8=\n"
	interopOurs = interopCheckpoint +
		"— example.com/accord/witness djCUWwAAAABlU/EAZdLlptxAbax2CdHQYd+UPkU5XhUHX6ACm4M1jeob0zBwltV362u0b/ggwyMg5mtXS966OMJIJPeq/0h/+jKhDQ==\n"
	interopTheirs = interopCheckpoint +
		"— example.com/accord/witness djCUWwAAAABrB0obITOGgd8tkQ8fauCGv7gjoEGH9YJ9PpYCR2COxjm0pSo62Qg6KABkD/sqRhlYufNz494ZVSLQ1Ztpb2FwzBIaDw==\n"
)

func TestCosignatureInteropVectors(t *testing.T) {
	logKey, witKey := fixedKey("log"), fixedKey("witness")
	recs := make([][]byte, 5)
	for i := range recs {
		recs[i], _ = Record(KindMessage, fmt.Sprint("m", i), []byte{byte(i)})
	}
	c, err := Head(newLedger(t, recs), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := NoteSigner(testOrigin, logKey)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := c.Sign(signer)
	if err != nil || string(msg) != interopCheckpoint {
		t.Fatalf("Sign = %q, %v; want %q", msg, err, interopCheckpoint)
	}
	got, err := Cosign(msg, testWitness, witKey, time.Unix(1700000000, 0))
	if err != nil || string(got) != interopOurs {
		t.Fatalf("Cosign = %q, %v; want %q", got, err, interopOurs)
	}
	verifier, _ := NoteVerifier(testOrigin, pub(logKey))
	for _, v := range []struct {
		name string
		msg  string
		want int64
	}{{"ours", interopOurs, 1700000000}, {"transparency-dev/formats", interopTheirs, 1795639835}} {
		ts, err := VerifyCosignature([]byte(v.msg), testOrigin, verifier, testWitness, pub(witKey))
		if err != nil || ts.Unix() != v.want {
			t.Errorf("VerifyCosignature(%s vector) = %v, %v; want %d", v.name, ts, err, v.want)
		}
	}
	cv, _ := CosignatureVerifier(testWitness, pub(witKey))
	if cv.KeyHash() != 0x7630945b {
		t.Errorf("CosignatureVerifier key hash %08x, want 7630945b (as transparency-dev/formats computes it)", cv.KeyHash())
	}
}

// TestDocExamples checks that the example notes in doc.go are the
// interoperability vectors, so that the documentation cannot drift.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(interopOurs, "\n"), "\n") {
		want := "//\t" + line + "\n"
		if line == "" {
			want = "//\n"
		}
		if !strings.Contains(string(doc), want) {
			t.Errorf("doc.go does not show the line %q of the cosigned example", line)
		}
	}
}

func TestCosignatureVerifierRefusesMalformed(t *testing.T) {
	key := newKey(t)
	v, _ := CosignatureVerifier(testWitness, pub(key))
	text := []byte("o\n1\n" + emptyHash.String() + "\n")
	sign := func(ts uint64) []byte {
		s := &cosigner{name: testWitness, key: key, timestamp: ts}
		sig, _ := s.Sign(text)
		return sig
	}
	if !v.Verify(text, sign(1700000000)) {
		t.Fatal("Verify(good cosignature) = false")
	}
	tests := map[string][]byte{
		"short":              sign(1700000000)[:71],
		"long":               append(sign(1700000000), 0),
		"timestamp >= 2^63":  sign(1 << 63),
		"empty":              nil,
		"no timestamp":       sign(1700000000)[8:],
		"timestamp mismatch": append(binary.BigEndian.AppendUint64(nil, 1700000001), sign(1700000000)[8:]...),
	}
	for name, sig := range tests {
		if v.Verify(text, sig) {
			t.Errorf("Verify(%s) = true, want false", name)
		}
	}
	// A cosignature line with a timestamp beyond 2^63-1 is malformed.
	raw := append([]byte{0, 0, 0, 0}, sign(1<<63)...)
	_, err := cosignatureTime(note.Signature{Name: testWitness, Base64: base64.StdEncoding.EncodeToString(raw)})
	wantCode(t, "cosignatureTime(2^63)", err, accord.EINVALID)
}
