package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
)

// TestFederationRefusesForgeries sends forged and malformed messages to a
// real node's mutual-TLS listener and checks each is refused with a logged
// reason and nothing stored.
func TestFederationRefusesForgeries(t *testing.T) {
	us, cn := pairHomes(t, federation.DelivererOptions{})
	ctx := context.Background()
	logs := cn.Stderr.(*syncBuffer) // the node's logs: federation's and the node's refusals
	ce, cr := serveInProcess(t, cn)
	ue, err := us.open(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer ue.Close()
	url := "https://" + cr.peerAddr + federation.MessagesPath
	post := func(id *federation.Identity, body []byte) (*http.Response, error) {
		tr := &http.Transport{TLSClientConfig: federation.ClientTLSConfig(id, ce.id.Pin())}
		defer tr.CloseIdleConnections()
		return (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Post(url, "application/json", bytes.NewReader(body))
	}
	batch := func(jws ...[]byte) []byte {
		s := make([]string, len(jws))
		for i, j := range jws {
			s[i] = string(j)
		}
		return mustJSON(map[string][]string{"messages": s})
	}
	seal := func(id *federation.Identity, m accord.Message) []byte {
		t.Helper()
		if m.Body == nil {
			m.Body = json.RawMessage(`{"type":"information","priority":"high","subject":"s","agreement_digest":"x"}`)
		}
		m.CreatedAt = time.Now()
		if err := id.Seal(&m); err != nil {
			t.Fatal(err)
		}
		return m.JWS
	}
	mallory, err := federation.GenerateIdentity("us-cert", nil) // claims to be us-cert, with other keys
	if err != nil {
		t.Fatal(err)
	}
	jp, err := federation.GenerateIdentity("jpcert", nil)
	if err != nil {
		t.Fatal(err)
	}
	good := accord.Message{ID: "m-1", Kind: accord.KindRequest, Sender: "us-cert", Recipient: "cncert", RequestID: "us-cert-R0100", Seq: 1}

	// A client whose certificate is not pinned never gets past the handshake.
	if _, err := post(mallory, batch(seal(mallory, good))); err == nil || !strings.Contains(err.Error(), "tls") {
		t.Errorf("unpinned client: %v; want a TLS handshake failure", err)
	}
	// The real message, once, so that its id is taken.
	resp, err := post(ue.id, batch(seal(ue.id, good)))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("good message: %v %v", resp, err)
	}
	resp.Body.Close()
	before := count(t, cn, "cncert")

	otherContent := good
	otherContent.Body = json.RawMessage(`{"type":"evidence","priority":"low","subject":"changed","agreement_digest":"x"}`)
	wrongRecipient := good
	wrongRecipient.ID, wrongRecipient.Recipient, wrongRecipient.RequestID = "m-2", "jpcert", "us-cert-R0101"
	fromJP := accord.Message{ID: "m-3", Kind: accord.KindRequest, Sender: "jpcert", Recipient: "cncert", RequestID: "jpcert-R0001", Seq: 1}
	forged := good
	forged.ID, forged.RequestID = "m-4", "us-cert-R0102"
	for _, tc := range []struct {
		name       string
		body       []byte
		wantStatus int
		wantReason string
	}{
		{"bad signature", batch(seal(mallory, forged)), 200, "signature"},
		{"wrong recipient", batch(seal(ue.id, wrongRecipient)), 200, "addressed to jpcert"},
		{"unknown sender", batch(seal(jp, fromJP)), 200, "jpcert"},
		{"reused id with other content", batch(seal(ue.id, otherContent)), 200, "other content"},
		{"oversize body", bytes.Repeat([]byte(" "), federation.DefaultMaxBodyBytes+1), 413, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := post(ue.id, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, out)
			}
			if tc.wantStatus == 200 && (!strings.Contains(string(out), `"error"`) || strings.Contains(string(out), `"receipt"`)) {
				t.Errorf("answer %s: want a refusal and no receipt", out)
			}
			if tc.wantReason != "" && !strings.Contains(strings.ToLower(logs.String()), tc.wantReason) {
				t.Errorf("no logged reason containing %q in:\n%s", tc.wantReason, logs.String())
			}
			if after := count(t, cn, "cncert"); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("store changed: before %+v, after %+v", before, after)
			}
		})
	}
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
