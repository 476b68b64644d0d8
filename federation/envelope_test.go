package federation

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)

func TestSealOpenRoundTrip(t *testing.T) {
	us, cn := newIdentity(t, "us-cert"), newIdentity(t, "cncert")
	m := testMessage("us-cert", "cncert", t0.In(time.FixedZone("EST", -5*3600)))
	m.Body = json.RawMessage(`{ "note" : "hello", "n": 1.50 }`)
	sealed(t, us, m)

	if want := t0.Truncate(time.Microsecond); !m.CreatedAt.Equal(want) || m.CreatedAt.Location() != time.UTC {
		t.Errorf("Seal: CreatedAt = %v, want %v in UTC", m.CreatedAt, want)
	}
	if got, want := string(m.Body), `{"n":1.5,"note":"hello"}`; got != want {
		t.Errorf("Seal: Body = %s, want canonical %s", got, want)
	}
	if m.Digest != sha256hex(m.JWS) {
		t.Errorf("Seal: Digest = %s, want SHA-256 of JWS %s", m.Digest, sha256hex(m.JWS))
	}

	got, err := OpenMessage(m.JWS, keyring(us, cn))
	if err != nil {
		t.Fatalf("OpenMessage: %v", err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("OpenMessage: message differs from the sealed one (-sealed +opened):\n%s", diff)
	}

	// The header is exactly alg, kid, typ.
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(string(m.JWS), ".")[0])
	if got, want := string(hdr), `{"alg":"EdDSA","kid":"us-cert","typ":"accord-message+jws"}`; got != want {
		t.Errorf("protected header = %s, want %s", got, want)
	}
}

func TestCanonicalPayload(t *testing.T) {
	us := newIdentity(t, "us-cert")
	a := testMessage("us-cert", "cncert", t0)
	a.ID = "m-1"
	b := *a
	a.Body = json.RawMessage(`{"b":1,"a":[1,2],"c":{"y":"x","x":1}}`)
	b.Body = json.RawMessage("{\n  \"c\": {\"x\": 1.0, \"y\": \"\\u0078\"},\n  \"a\": [1, 2],\n  \"b\": 1e0\n}")
	sealed(t, us, a)
	sealed(t, us, &b)
	if !bytes.Equal(a.JWS, b.JWS) || a.Digest != b.Digest {
		t.Errorf("Seal of equal messages with reordered bodies: JWS differ\n%s\n%s", a.JWS, b.JWS)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(string(a.JWS), ".")[1])
	want := `{"body":{"a":[1,2],"b":1,"c":{"x":1,"y":"x"}},"created_at":"2026-11-25T10:00:00.123456Z","id":"m-1",` +
		`"kind":"notification","recipient":"cncert","request_id":"us-cert-R0001","sender":"us-cert","seq":1}`
	if string(payload) != want {
		t.Errorf("payload =\n%s\nwant\n%s", payload, want)
	}
}

func TestSealRefuses(t *testing.T) {
	us := newIdentity(t, "us-cert")
	tests := []struct {
		name   string
		modify func(m *accord.Message)
		field  string
	}{
		{"other sender", func(m *accord.Message) { m.Sender = "cncert"; m.Recipient = "us-cert" }, "sender"},
		{"no id", func(m *accord.Message) { m.ID = "" }, "id"},
		{"unknown kind", func(m *accord.Message) { m.Kind = "gossip" }, "kind"},
		{"bad recipient", func(m *accord.Message) { m.Recipient = "CN CERT" }, "recipient"},
		{"recipient is sender", func(m *accord.Message) { m.Recipient = "us-cert" }, "recipient"},
		{"no request", func(m *accord.Message) { m.RequestID = "" }, "request_id"},
		{"seq 0", func(m *accord.Message) { m.Seq = 0 }, "seq"},
		{"no time", func(m *accord.Message) { m.CreatedAt = time.Time{} }, "created_at"},
		{"array body", func(m *accord.Message) { m.Body = json.RawMessage(`[1]`) }, "body"},
		{"no body", func(m *accord.Message) { m.Body = nil }, "body"},
		{"bad body", func(m *accord.Message) { m.Body = json.RawMessage(`{"a":`) }, "body"},
		{"duplicate key in body", func(m *accord.Message) { m.Body = json.RawMessage(`{"a":1,"a":2}`) }, "body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := testMessage("us-cert", "cncert", t0)
			tc.modify(m)
			before := *m
			err := us.Seal(m)
			wantCode(t, "Seal", err, accord.EINVALID)
			if got := accord.ErrorField(err); got != tc.field {
				t.Errorf("Seal: field %q (%v), want %q", got, err, tc.field)
			}
			if m.JWS != nil || m.Digest != "" || !m.CreatedAt.Equal(before.CreatedAt) {
				t.Errorf("Seal changed the message it refused")
			}
		})
	}
}

func TestOpenMessageRefuses(t *testing.T) {
	us, cn, other := newIdentity(t, "us-cert"), newIdentity(t, "cncert"), newIdentity(t, "us-cert")
	good := sealed(t, us, testMessage("us-cert", "cncert", t0))
	segs := strings.Split(string(good.JWS), ".")
	payload, _ := base64.RawURLEncoding.DecodeString(segs[1])
	hdrMsg := header(TypeMessage, "us-cert")

	// withPayload re-signs good's payload after an edit, as us-cert.
	withPayload := func(edit func(map[string]any)) []byte {
		var p map[string]any
		if err := json.Unmarshal(payload, &p); err != nil {
			t.Fatal(err)
		}
		edit(p)
		c, err := canonical(p)
		if err != nil {
			t.Fatal(err)
		}
		return signRaw(us.signingKey, hdrMsg, c)
	}
	hs256 := func() []byte {
		input := b64(`{"alg":"HS256","kid":"us-cert","typ":"accord-message+jws"}`) + "." + segs[1]
		mac := hmac.New(sha256.New, us.PublicKey()) // the classic key-confusion attack
		mac.Write([]byte(input))
		return []byte(input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)))
	}

	tests := []struct {
		name  string
		jws   []byte
		keyOf func(string) (ed25519.PublicKey, error)
		code  string
		msg   string // a part of the error message
	}{
		{"tampered payload", []byte(segs[0] + "." + b64(strings.Replace(string(payload), `"seq":1`, `"seq":2`, 1)) + "." + segs[2]),
			nil, accord.EUNAUTHORIZED, "does not verify"},
		{"wrong key", good.JWS, keyring(other, cn), accord.EUNAUTHORIZED, "does not verify"},
		{"unknown signer", good.JWS, keyring(cn), accord.EUNAUTHORIZED, "not a trusted peer"},
		{"alg none", []byte(b64(`{"alg":"none","kid":"us-cert","typ":"accord-message+jws"}`) + "." + segs[1] + "."),
			nil, accord.EUNAUTHORIZED, `"none" is not accepted`},
		{"alg HS256", hs256(), nil, accord.EUNAUTHORIZED, `"HS256" is not accepted`},
		{"wrong typ", signRaw(us.signingKey, header("JWT", "us-cert"), payload), nil, accord.EINVALID, "typ"},
		{"receipt typ", signRaw(us.signingKey, header(TypeReceipt, "us-cert"), payload), nil, accord.EINVALID, "typ"},
		{"extra header", signRaw(us.signingKey, `{"alg":"EdDSA","jwk":{},"kid":"us-cert","typ":"accord-message+jws"}`, payload),
			nil, accord.EINVALID, "jwk"},
		{"crit header", signRaw(us.signingKey, `{"alg":"EdDSA","crit":["b64"],"kid":"us-cert","typ":"accord-message+jws"}`, payload),
			nil, accord.EINVALID, "crit"},
		{"no kid", signRaw(us.signingKey, `{"alg":"EdDSA","typ":"accord-message+jws"}`, payload), nil, accord.EINVALID, "kid"},
		{"unknown field", withPayload(func(p map[string]any) { p["priority"] = "high" }), nil, accord.EINVALID, "priority"},
		{"field in other case", withPayload(func(p map[string]any) { p["ID"] = p["id"]; delete(p, "id") }), nil, accord.EINVALID, "ID"},
		{"missing field", withPayload(func(p map[string]any) { delete(p, "request_id") }), nil, accord.EINVALID, "request_id"},
		{"null field", withPayload(func(p map[string]any) { p["recipient"] = nil }), nil, accord.EINVALID, "recipient"},
		{"empty id", withPayload(func(p map[string]any) { p["id"] = "" }), nil, accord.EINVALID, "id"},
		{"unknown kind", withPayload(func(p map[string]any) { p["kind"] = "gossip" }), nil, accord.EINVALID, "kind"},
		{"seq 0", withPayload(func(p map[string]any) { p["seq"] = 0 }), nil, accord.EINVALID, "seq"},
		{"seq fraction", withPayload(func(p map[string]any) { p["seq"] = 1.5 }), nil, accord.EINVALID, "seq"},
		{"seq string", withPayload(func(p map[string]any) { p["seq"] = "1" }), nil, accord.EINVALID, "seq"},
		{"time without micros", withPayload(func(p map[string]any) { p["created_at"] = "2026-11-25T10:00:00Z" }), nil, accord.EINVALID, "created_at"},
		{"time with offset", withPayload(func(p map[string]any) { p["created_at"] = "2026-11-25T10:00:00.000000+01:00" }), nil, accord.EINVALID, "created_at"},
		{"array body", withPayload(func(p map[string]any) { p["body"] = []any{} }), nil, accord.EINVALID, "body"},
		{"string body", withPayload(func(p map[string]any) { p["body"] = "{}" }), nil, accord.EINVALID, "body"},
		{"kid is not sender", signRaw(cn.signingKey, header(TypeMessage, "cncert"), payload), nil, accord.EUNAUTHORIZED, "claims sender us-cert but is signed by cncert"},
		{"not canonical", signRaw(us.signingKey, hdrMsg, append([]byte(" "), payload...)), nil, accord.EINVALID, "canonical"},
		{"duplicate member", signRaw(us.signingKey, hdrMsg, bytes.Replace(payload, []byte(`"id":`), []byte(`"id":"x","id":`), 1)), nil, accord.EINVALID, ""},
		{"two parts", []byte(segs[0] + "." + segs[1]), nil, accord.EINVALID, "compact"},
		{"line break", []byte(segs[0] + "." + segs[1][:10] + "\n" + segs[1][10:] + "." + segs[2]), nil, accord.EINVALID, "compact"},
		{"padding", []byte(segs[0] + "=." + segs[1] + "." + segs[2]), nil, accord.EINVALID, "compact"},
		{"empty", nil, nil, accord.EINVALID, "empty"},
		{"JSON serialisation", []byte(`{"payload":"` + segs[1] + `","protected":"` + segs[0] + `","signature":"` + segs[2] + `"}`), nil, accord.EINVALID, "compact"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keyOf := tc.keyOf
			if keyOf == nil {
				keyOf = keyring(us, cn)
			}
			m, err := OpenMessage(tc.jws, keyOf)
			if m != nil {
				t.Errorf("OpenMessage returned a message with its error")
			}
			wantCode(t, "OpenMessage", err, tc.code)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("OpenMessage: error %q does not name %q", err, tc.msg)
			}
		})
	}
}

func TestOpenMessageKeyLookupFailure(t *testing.T) {
	us := newIdentity(t, "us-cert")
	m := sealed(t, us, testMessage("us-cert", "cncert", t0))
	_, err := OpenMessage(m.JWS, func(string) (ed25519.PublicKey, error) {
		return nil, accord.Errorf(accord.EUNAVAILABLE, "store down")
	})
	wantCode(t, "OpenMessage with a failing key look-up", err, accord.EUNAVAILABLE)
	_, err = OpenMessage(m.JWS, func(string) (ed25519.PublicKey, error) { return ed25519.PublicKey{1, 2}, nil })
	wantCode(t, "OpenMessage with a short key", err, accord.EUNAUTHORIZED)
}

func TestReceiptRoundTripAndRefusals(t *testing.T) {
	us, cn := newIdentity(t, "us-cert"), newIdentity(t, "cncert")
	m := sealed(t, us, testMessage("us-cert", "cncert", t0))
	rc := &accord.Receipt{MessageID: m.ID, Digest: m.Digest, Sender: "us-cert", Receiver: "cncert", ReceivedAt: t0}
	if err := cn.SealReceipt(rc); err != nil {
		t.Fatalf("SealReceipt: %v", err)
	}
	got, err := OpenReceipt(rc.JWS, cn.PublicKey())
	if err != nil {
		t.Fatalf("OpenReceipt: %v", err)
	}
	if diff := cmp.Diff(rc, got); diff != "" {
		t.Errorf("OpenReceipt (-sealed +opened):\n%s", diff)
	}

	segs := strings.Split(string(rc.JWS), ".")
	payload, _ := base64.RawURLEncoding.DecodeString(segs[1])
	tests := []struct {
		name string
		jws  []byte
		key  ed25519.PublicKey
		code string
	}{
		{"wrong key", rc.JWS, us.PublicKey(), accord.EUNAUTHORIZED},
		{"a message is not a receipt", m.JWS, us.PublicKey(), accord.EINVALID},
		{"tampered", []byte(segs[0] + "." + b64(strings.Replace(string(payload), m.Digest, strings.Repeat("0", 64), 1)) + "." + segs[2]), cn.PublicKey(), accord.EUNAUTHORIZED},
		{"kid is not receiver", signRaw(us.signingKey, header(TypeReceipt, "us-cert"), payload), us.PublicKey(), accord.EUNAUTHORIZED},
		{"bad digest", signRaw(cn.signingKey, header(TypeReceipt, "cncert"), bytes.Replace(payload, []byte(m.Digest), []byte("abc"), 1)), cn.PublicKey(), accord.EINVALID},
		{"extra field", signRaw(cn.signingKey, header(TypeReceipt, "cncert"), bytes.Replace(payload, []byte(`{`), []byte(`{"a":1,`), 1)), cn.PublicKey(), accord.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := OpenReceipt(tc.jws, tc.key)
			wantCode(t, "OpenReceipt", err, tc.code)
		})
	}

	bad := &accord.Receipt{MessageID: m.ID, Digest: m.Digest, Sender: "us-cert", Receiver: "us-cert", ReceivedAt: t0}
	wantCode(t, "SealReceipt as another receiver", cn.SealReceipt(bad), accord.EINVALID)
}

func TestSealIsDeterministicPerKey(t *testing.T) {
	// Ed25519 signatures are deterministic: sealing the same message twice
	// yields the same bytes, hence the same digest (a resend is recognised).
	us := newIdentity(t, "us-cert")
	a := testMessage("us-cert", "cncert", t0)
	b := *a
	sealed(t, us, a)
	sealed(t, us, &b)
	if a.Digest != b.Digest {
		t.Errorf("Seal twice: digests %s and %s differ", a.Digest, b.Digest)
	}
}
