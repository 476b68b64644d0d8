package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
)

// keyFromSkey returns the Ed25519 key of a note signer key
// "PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>".
func keyFromSkey(t *testing.T, skey string) ed25519.PrivateKey {
	t.Helper()
	parts := strings.SplitN(skey, "+", 5) // PRIVATE, KEY, name, hash, key (base64 may hold '+')
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		t.Fatalf("bad signer key %q", skey)
	}
	return ed25519.NewKeyFromSeed(raw[1:])
}

// TestNoteKeysGoVector checks NoteSigner and VerifierKey against the
// example of golang.org/x/mod/sumdb/note's documentation.
func TestNoteKeysGoVector(t *testing.T) {
	const (
		skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
		vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
		text = "If you think cryptography is the answer to your problem,\n" +
			"then you don't know what your problem is.\n"
		signed = text + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
	)
	key := keyFromSkey(t, skey)
	s, err := NoteSigner("PeterNeumann", key)
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyHash() != 0xc74f20a3 || s.Name() != "PeterNeumann" {
		t.Errorf("NoteSigner = %s+%08x, want PeterNeumann+c74f20a3", s.Name(), s.KeyHash())
	}
	msg, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil || string(msg) != signed {
		t.Errorf("note.Sign(NoteSigner) = %q, %v; want %q", msg, err, signed)
	}
	if got, err := VerifierKey("PeterNeumann", pub(key)); got != vkey || err != nil {
		t.Errorf("VerifierKey = %q, %v; want %q", got, err, vkey)
	}
	v, err := NoteVerifier("PeterNeumann", pub(key))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open([]byte(signed), note.VerifierList(v)); err != nil {
		t.Errorf("note.Open(NoteVerifier) = %v", err)
	}
}

// TestNoteKeysGenerateKey checks that keys derived from raw Ed25519 keys
// are those note.GenerateKey encodes, and that they sign and verify
// interchangeably with note.NewSigner and note.NewVerifier.
func TestNoteKeysGenerateKey(t *testing.T) {
	for _, name := range []string{"us-cert", "example.com/accord/log", "cncert.example/ledger", "oid/1.3.6.1.4.1.5"} {
		skey, vkey, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			t.Fatal(err)
		}
		key := keyFromSkey(t, skey)
		if got, err := VerifierKey(name, pub(key)); got != vkey || err != nil {
			t.Errorf("VerifierKey(%s) = %q, %v; want %q", name, got, err, vkey)
		}
		ours, err := NoteSigner(name, key)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := note.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		if ours.KeyHash() != theirs.KeyHash() {
			t.Errorf("NoteSigner(%s).KeyHash() = %08x, want %08x", name, ours.KeyHash(), theirs.KeyHash())
		}
		ourV, err := NoteVerifier(name, pub(key))
		if err != nil {
			t.Fatal(err)
		}
		theirV, err := note.NewVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		text := "example.com/accord/log\n3\n" + emptyHash.String() + "\n"
		for _, pair := range []struct {
			s note.Signer
			v note.Verifier
		}{{ours, theirV}, {theirs, ourV}, {ours, ourV}} {
			msg, err := note.Sign(&note.Note{Text: text}, pair.s)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := note.Open(msg, note.VerifierList(pair.v)); err != nil {
				t.Errorf("%s: note.Open = %v", name, err)
			}
		}
	}
}

func TestNoteKeyRefusals(t *testing.T) {
	key := newKey(t)
	mixed := append(ed25519.PrivateKey{}, key...)
	copy(mixed[32:], pub(newKey(t)))
	tests := []struct {
		name    string
		keyName string
		key     ed25519.PrivateKey
	}{
		{"empty name", "", key},
		{"space in name", "us cert", key},
		{"plus in name", "us+cert", key},
		{"newline in name", "us\ncert", key},
		{"tab in name", "us\tcert", key},
		{"short key", "us-cert", key[:32]},
		{"halves disagree", "us-cert", mixed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NoteSigner(tc.keyName, tc.key)
			wantCode(t, "NoteSigner", err, accord.EINVALID)
			_, err = Cosign([]byte("o\n1\n"+emptyHash.String()+"\n\n— o AAAAAAA=\n"), tc.keyName, tc.key, someTime)
			wantCode(t, "Cosign", err, accord.EINVALID)
			if len(tc.key) == ed25519.PrivateKeySize && tc.name != "halves disagree" {
				_, err = NoteVerifier(tc.keyName, pub(tc.key))
				wantCode(t, "NoteVerifier", err, accord.EINVALID)
				_, err = CosignatureVerifier(tc.keyName, pub(tc.key))
				wantCode(t, "CosignatureVerifier", err, accord.EINVALID)
			}
		})
	}
	_, err := NoteVerifier("us-cert", pub(key)[:31])
	wantCode(t, "NoteVerifier(short key)", err, accord.EINVALID)
	_, err = CosignatureVerifier("us-cert", pub(key)[:31])
	wantCode(t, "CosignatureVerifier(short key)", err, accord.EINVALID)
}

const testOrigin = "example.com/accord/log"

// testLog returns a signer and verifier of a fresh log key.
func testLog(t *testing.T) (note.Signer, note.Verifier) {
	t.Helper()
	key := newKey(t)
	s, err := NoteSigner(testOrigin, key)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NoteVerifier(testOrigin, pub(key))
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func TestCheckpointRoundTrip(t *testing.T) {
	signer, verifier := testLog(t)
	s := &MemStore{}
	for size := range 6 {
		if size > 0 {
			if _, err := Append(s, testRecord(size)); err != nil {
				t.Fatal(err)
			}
		}
		c, err := Head(s, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := c.Sign(signer)
		if err != nil {
			t.Fatalf("Sign(%v) = %v", c, err)
		}
		wantText := testOrigin + "\n" + string(rune('0'+size)) + "\n" + c.Hash.String() + "\n\n— " + testOrigin + " "
		if !strings.HasPrefix(string(msg), wantText) {
			t.Errorf("Sign(%v) = %q, want a note starting %q", c, msg, wantText)
		}
		got, err := OpenCheckpoint(msg, testOrigin, verifier)
		if err != nil {
			t.Fatalf("OpenCheckpoint(Sign(%v)) = %v", c, err)
		}
		if diff := cmp.Diff(&c, got); diff != "" {
			t.Errorf("OpenCheckpoint(Sign(c)) (-want +got):\n%s", diff)
		}
	}
}

// signText signs an arbitrary note text, to make malformed checkpoints
// that carry a valid signature.
func signText(t *testing.T, text string, s note.Signer) []byte {
	t.Helper()
	msg, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestOpenCheckpointRefusals(t *testing.T) {
	signer, verifier := testLog(t)
	otherSigner, otherVerifier := testLog(t)
	root := tlog.RecordHash([]byte("x")).String()
	good := signText(t, testOrigin+"\n7\n"+root+"\n", signer)
	alter := func(from, to string) []byte {
		return []byte(strings.Replace(string(good), from, to, 1))
	}
	tests := []struct {
		name     string
		msg      []byte
		origin   string
		verifier note.Verifier
		contains string
	}{
		{"wrong key", good, testOrigin, otherVerifier, "not signed by"},
		{"signed by another key only", signText(t, testOrigin+"\n7\n"+root+"\n", otherSigner), testOrigin, verifier, "not signed by"},
		{"wrong origin", good, "example.com/other", verifier, "origin"},
		{"altered size", alter("\n7\n", "\n8\n"), testOrigin, verifier, "does not verify"},
		{"altered hash", alter(root, tlog.RecordHash([]byte("y")).String()), testOrigin, verifier, "does not verify"},
		{"altered origin", alter(testOrigin+"\n", "example.com/accord/lo9\n"), testOrigin, verifier, "does not verify"},
		{"extension line added after signing", alter(root+"\n", root+"\nextra\n"), testOrigin, verifier, "does not verify"},
		{"no signature", []byte(testOrigin + "\n7\n" + root + "\n"), testOrigin, verifier, "well-formed"},
		{"control character", signText(t, testOrigin+"\n7\n"+root+"\n\x01\n", signer), testOrigin, verifier, "well-formed"},
		{"two lines", signText(t, testOrigin+"\n7\n", signer), testOrigin, verifier, "at least 3"},
		{"leading zero size", signText(t, testOrigin+"\n07\n"+root+"\n", signer), testOrigin, verifier, "size"},
		{"plus size", signText(t, testOrigin+"\n+7\n"+root+"\n", signer), testOrigin, verifier, "size"},
		{"negative size", signText(t, testOrigin+"\n-7\n"+root+"\n", signer), testOrigin, verifier, "size"},
		{"huge size", signText(t, testOrigin+"\n9223372036854775808\n"+root+"\n", signer), testOrigin, verifier, "size"},
		{"hex hash", signText(t, testOrigin+"\n7\n"+strings.Repeat("ab", 32)+"\n", signer), testOrigin, verifier, "root hash"},
		{"short hash", signText(t, testOrigin+"\n7\nAAAA\n", signer), testOrigin, verifier, "root hash"},
		{"unpadded hash", signText(t, testOrigin+"\n7\n"+strings.TrimSuffix(root, "=")+"\n", signer), testOrigin, verifier, "root hash"},
		{"empty extension line", signText(t, testOrigin+"\n7\n"+root+"\next\n\nmore\n", signer), testOrigin, verifier, "empty"},
		{"size 0, other hash", signText(t, testOrigin+"\n0\n"+root+"\n", signer), testOrigin, verifier, "empty-tree"},
		{"empty origin", signText(t, "\n7\n"+root+"\n", signer), "", verifier, "origin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := OpenCheckpoint(tc.msg, tc.origin, tc.verifier)
			if c != nil {
				t.Errorf("OpenCheckpoint = %v, want nil", c)
			}
			wantCode(t, "OpenCheckpoint", err, accord.EINVALID, tc.contains)
		})
	}
	_, err := OpenCheckpoint(good, testOrigin, nil)
	wantCode(t, "OpenCheckpoint(nil verifier)", err, accord.EINVALID)
}

func TestOpenCheckpointExtensionLines(t *testing.T) {
	signer, verifier := testLog(t)
	root := tlog.RecordHash([]byte("x"))
	msg := signText(t, testOrigin+"\n7\n"+root.String()+"\nextension one\nextension two\n", signer)
	c, err := OpenCheckpoint(msg, testOrigin, verifier)
	if err != nil {
		t.Fatalf("OpenCheckpoint(with extension lines) = %v", err)
	}
	if want := (&Checkpoint{testOrigin, 7, root}); !cmp.Equal(want, c) {
		t.Errorf("OpenCheckpoint(with extension lines) = %v, want %v", c, want)
	}
}

func TestCheckpointTextRefusals(t *testing.T) {
	signer, _ := testLog(t)
	h := tlog.RecordHash(nil)
	for _, c := range []Checkpoint{
		{"", 1, h},
		{"a\nb", 1, h},
		{"a\rb", 1, h},
		{"a\xffb", 1, h},
		{testOrigin, -1, h},
		{testOrigin, 0, h},
	} {
		_, err := c.Sign(signer)
		wantCode(t, "Sign("+c.String()+")", err, accord.EINVALID)
	}
	_, err := Checkpoint{testOrigin, 1, h}.Sign(nil)
	wantCode(t, "Sign(nil signer)", err, accord.EINVALID)
	if _, err := (Checkpoint{"origin with spaces — and unicode", 1, h}).Sign(signer); err != nil {
		t.Errorf("Sign(origin with spaces) = %v; the spec allows any non-empty line", err)
	}
}

// FuzzOpenCheckpoint feeds OpenCheckpoint and VerifyCosignature arbitrary
// notes: they must not panic, and a checkpoint they accept must be the
// first three lines of the note.
func FuzzOpenCheckpoint(f *testing.F) {
	logKey, witKey := fixedKey("log"), fixedKey("witness")
	verifier, _ := NoteVerifier(testOrigin, pub(logKey))
	f.Add([]byte(interopOurs))
	f.Add([]byte(interopCheckpoint))
	f.Add([]byte(specExample))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if c, err := OpenCheckpoint(msg, testOrigin, verifier); err == nil {
			text, err := c.Text()
			if err != nil || !strings.HasPrefix(string(msg), string(text)) {
				t.Fatalf("OpenCheckpoint(%q) = %v, whose text %q does not open the note", msg, c, text)
			}
		}
		_, _ = VerifyCosignature(msg, testOrigin, verifier, testWitness, pub(witKey))
		_, _ = Cosign(msg, testWitness, witKey, someTime)
	})
}
