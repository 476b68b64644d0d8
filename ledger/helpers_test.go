package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/accord-cyber/accord"
)

// newKey returns a fresh Ed25519 key for one test.
func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// fixedKey returns an Ed25519 key derived from a label, for test vectors
// that must not change between runs. It is no secret.
func fixedKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(label))
	return ed25519.NewKeyFromSeed(seed[:])
}

func pub(key ed25519.PrivateKey) ed25519.PublicKey { return key.Public().(ed25519.PublicKey) }

// testRecord returns the record of entry i of a test ledger.
func testRecord(i int) []byte {
	d := sha256.Sum256(fmt.Appendf(nil, "envelope %d", i))
	kind := []string{KindMessage, KindReceipt, KindCustody}[i%3]
	rec, err := Record(kind, fmt.Sprintf("us-cert-M%06d", i), d[:])
	if err != nil {
		panic(err)
	}
	return rec
}

func testRecords(n int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = testRecord(i)
	}
	return recs
}

// newLedger returns a MemStore holding recs, appended one by one.
func newLedger(t testing.TB, recs [][]byte) *MemStore {
	t.Helper()
	s := &MemStore{}
	for i, r := range recs {
		got, err := Append(s, r)
		if err != nil {
			t.Fatalf("Append(entry %d) = %v", i, err)
		}
		if got != int64(i) {
			t.Fatalf("Append(entry %d) = index %d, want %d", i, got, i)
		}
	}
	return s
}

// wantCode fails the test unless err has the accord error code want
// ("" for nil) and, when contains is given, a message holding each of them.
func wantCode(t testing.TB, call string, err error, want string, contains ...string) {
	t.Helper()
	if got := accord.ErrorCode(err); got != want {
		t.Fatalf("%s: error code %q (%v), want %q", call, got, err, want)
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("%s: error %q does not contain %q", call, err, c)
		}
	}
}
