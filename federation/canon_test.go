package federation

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gowebpki/jcs"
)

// jcsCanonical is the reference: what jcs.Transform says.
func jcsCanonical(b []byte) bool {
	c, err := jcs.Transform(b)
	return err == nil && bytes.Equal(c, b)
}

// canonSeeds are inputs on both sides of every rule the scan decides.
var canonSeeds = []string{
	`{}`, `[]`, `""`, `0`, `-1`, `123456789012345`, `1234567890123456`, `-0`, `01`, `1.5`, `1e3`, `1E3`, `-`,
	`true`, `false`, `null`, `tru`, `nul`, `truex`,
	`{"a":1,"b":2}`, `{"b":1,"a":2}`, `{"a":1,"a":2}`, `{"a":1,}`, `{"a" :1}`, `{ "a":1}`, `{"a":1 }`, `{"a":1}x`,
	`{"a":[1,2,{"c":null,"d":true}],"b":"x"}`, `[1, 2]`, `[1,2,]`, `[,]`, "{\"a\":1}\n",
	`"caf\u00e9"`, `"café"`, `"\u001f"`, `"\u001F"`, `"\u000a"`, `"\n"`, `"\/"`, `"/"`, `"\u0041"`, `"\u007f"`, "\"\x7f\"",
	"\"\x01\"", `"\""`, `"\\"`, `"\b\f\n\r\t"`, `"\u0000"`, `"\u2028"`, "\"\u2028\"", `"\ud83d\ude00"`, "\"😀\"",
	"\"\xff\"", `"abc`, `{"é":1}`, `{"\n":1}`, `{"a\"b":1}`, `{"B":1,"a":2}`, `{"a":1,"B":2}`, `{"aa":1,"a":2}`, `{"a":1,"aa":2}`,
	`{"body":{"subject":"Logs"},"created_at":"2026-01-02T15:04:05.000000Z","id":"x","kind":"request","recipient":"cncert","request_id":"us-cert-R0001","sender":"us-cert","seq":1}`,
	strings.Repeat("[", 70) + strings.Repeat("]", 70),
}

// TestScanCanonicalAgreesWithJCS: whenever the scan decides, it decides as
// jcs does, on the seeds and on random JSON values written both
// canonically and not.
func TestScanCanonicalAgreesWithJCS(t *testing.T) {
	check := func(b []byte) {
		t.Helper()
		ok, sure := scanCanonical(b)
		want := jcsCanonical(b)
		if sure && ok != want {
			t.Errorf("scanCanonical(%q) = %v (sure), jcs says %v", b, ok, want)
		}
		if got := isCanonical(b); got != want {
			t.Errorf("isCanonical(%q) = %v, jcs says %v", b, got, want)
		}
	}
	for _, s := range canonSeeds {
		check([]byte(s))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	decided := 0
	for i := 0; i < 20000; i++ {
		v := randomJSON(rng, 0)
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		check(raw)
		c, err := jcs.Transform(raw)
		if err != nil {
			t.Fatalf("jcs.Transform(%q): %v", raw, err)
		}
		check(c)
		if _, sure := scanCanonical(c); sure {
			decided++
		}
		// One byte changed, dropped or added.
		for j := 0; j < 3; j++ {
			m := bytes.Clone(c)
			switch p := rng.IntN(len(m)); j {
			case 0:
				m[p] = " \"\\{}[],:0-1aé\n"[rng.IntN(15)]
			case 1:
				m = append(m[:p], m[p+1:]...)
			case 2:
				m = append(m[:p], append([]byte{" \",:"[rng.IntN(4)]}, m[p:]...)...)
			}
			check(m)
		}
	}
	if decided < 10000 {
		t.Errorf("the scan decided only %d of 20000 canonical values without jcs", decided)
	}
}

// TestCanonicalPayloads: the payloads accord signs come out canonical from
// canonical without jcs, escapes and all.
func TestCanonicalPayloads(t *testing.T) {
	for _, v := range []any{
		messagePayload{Body: json.RawMessage(`{"note":"<a&b> \"q\" é\n"}`), CreatedAt: "2026-01-02T15:04:05.000000Z", ID: "m-1",
			Kind: "request", Recipient: "cncert", RequestID: "us-cert-R0001", Sender: "us-cert", Seq: 12},
		receiptPayload{Digest: strings.Repeat("ab", 32), MessageID: "m-1", ReceivedAt: "2026-01-02T15:04:05.000000Z", Receiver: "cncert", Sender: "us-cert"},
		map[string]any{"z": 1, "a": "\u2028", "m": []any{1.5, "x"}},
	} {
		got, err := canonical(v)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(v)
		want, err := jcs.Transform(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("canonical(%T) = %s, want %s", v, got, want)
		}
	}
}

// randomJSON returns a random JSON value of the kinds accord's payloads
// hold, and some they do not (floats, exotic strings and keys).
func randomJSON(rng *rand.Rand, depth int) any {
	n := rng.IntN(10)
	if depth > 3 {
		n = 4 + rng.IntN(6)
	}
	switch n {
	case 0, 1:
		m := map[string]any{}
		for i := rng.IntN(5); i > 0; i-- {
			m[randomString(rng, true)] = randomJSON(rng, depth+1)
		}
		return m
	case 2, 3:
		a := make([]any, rng.IntN(4))
		for i := range a {
			a[i] = randomJSON(rng, depth+1)
		}
		return a
	case 4, 5:
		return randomString(rng, false)
	case 6:
		return rng.Int64N(1<<53) - 1<<52
	case 7:
		return rng.NormFloat64() * 1e6
	case 8:
		return rng.IntN(2) == 0
	default:
		return nil
	}
}

func randomString(rng *rand.Rand, key bool) string {
	const plain = "abcdefghijklmnopqrstuvwxyz_-0123456789ABC"
	exotic := []string{"é", "\n", "\x01", "\"", "\\", "/", "<", "&", "\u2028", "😀", "\x7f", "中"}
	var b strings.Builder
	for i := rng.IntN(8); i > 0; i-- {
		if rng.IntN(8) == 0 && (!key || rng.IntN(4) == 0) {
			b.WriteString(exotic[rng.IntN(len(exotic))])
		} else {
			b.WriteByte(plain[rng.IntN(len(plain))])
		}
	}
	return b.String()
}

// FuzzScanCanonical: the scan never decides against jcs.
func FuzzScanCanonical(f *testing.F) {
	for _, s := range canonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if ok, sure := scanCanonical(b); sure && ok != jcsCanonical(b) {
			t.Errorf("scanCanonical(%q) = %v (sure), jcs disagrees", b, ok)
		}
	})
}
