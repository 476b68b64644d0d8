package node_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// TestEvidenceTransfer follows a file attached to cncert's answer: cncert
// records it as transferred and lets only us-cert fetch it; us-cert refuses
// a file that is not the one the signed answer named, and records the right
// one as received, once.
func TestEvidenceTransfer(t *testing.T) {
	ctx, clock, us, cn := peerPair(t)
	c, err := us.svc.CreateCase(ctx, analyst, node.NewCase{Title: "Phishing domains", Category: "fraud"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := us.svc.CreateRequest(ctx, liaison, node.NewRequest{CaseID: c.ID, To: cn.id, Type: accord.TypeInformation,
		Priority: accord.PriorityNormal, Subject: "Registrants of five domains"})
	if err != nil {
		t.Fatal(err)
	}
	pipe(t, ctx, us, cn)
	for _, a := range []accord.Action{accord.ActionAcknowledge, accord.ActionAccept} {
		clock.Advance(time.Hour)
		if _, err := cn.svc.Act(ctx, liaison, r.ID, node.Step{Action: a}); err != nil {
			t.Fatal(err)
		}
		pipe(t, ctx, cn, us)
	}
	content := []byte(strings.Repeat("opm-secure-login.example,Registrar A,2014-03-02,CN,192.0.2.10\n", 500))
	sum := sha256.Sum256(content)
	digest := hex.EncodeToString(sum[:])
	ev, err := cn.svc.AddEvidence(ctx, analyst, node.NewEvidence{RequestID: r.ID, Name: "records.csv", Reason: "from the registrars"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	// Only an answer carries evidence, and only known items.
	if _, err := cn.svc.Act(ctx, liaison, r.ID, node.Step{Action: accord.ActionAnswerFinal, Body: "annex", Evidence: []string{"cncert-E0404"}}); accord.ErrorCode(err) != accord.EINVALID {
		t.Errorf("answer with an unknown item: %v, want EINVALID", err)
	}
	clock.Advance(time.Hour)
	if _, err := cn.svc.Act(ctx, liaison, r.ID, node.Step{Action: accord.ActionAnswerFinal, Body: "Records in the annex.", Evidence: []string{ev.ID}}); err != nil {
		t.Fatal(err)
	}
	got, err := cn.svc.EvidenceItem(ctx, analyst, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Custody); n != 2 || got.Custody[1].Event != accord.CustodyTransferred {
		t.Errorf("cncert's custody after the answer = %+v, want collected, transferred", got.Custody)
	}
	pipe(t, ctx, cn, us)

	due, err := us.svc.DueFetches(ctx, cn.id, time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].Digest != digest || due[0].Size != int64(len(content)) || due[0].SourceID != ev.ID {
		t.Fatalf("us-cert's fetch queue = %+v", due)
	}
	x := due[0]

	// cncert serves the file to us-cert only, and nothing else.
	if _, _, err := cn.svc.OpenShared(ctx, "jpcert", digest); accord.ErrorCode(err) != accord.ENOTFOUND {
		t.Errorf("OpenShared to another peer: %v, want ENOTFOUND", err)
	}
	if _, _, err := cn.svc.OpenShared(ctx, us.id, strings.Repeat("0", 64)); accord.ErrorCode(err) != accord.ENOTFOUND {
		t.Errorf("OpenShared of a file not sent: %v, want ENOTFOUND", err)
	}

	// A file that is not the one named is refused, and nothing is recorded.
	forged := bytes.Clone(content)
	forged[10] ^= 1
	if err := us.svc.Fetched(ctx, cn.id, x, bytes.NewReader(forged)); accord.ErrorCode(err) != accord.ECONFLICT {
		t.Errorf("Fetched of a forged file: %v, want ECONFLICT", err)
	}
	if n, _ := us.svc.PendingFetches(ctx, cn.id); n != 1 {
		t.Errorf("pending fetches after a forged file = %d, want 1", n)
	}
	if items, _ := us.svc.EvidenceList(ctx, analyst, ""); len(items) != 0 {
		t.Errorf("us-cert's evidence after a forged file = %+v, want none", items)
	}

	rc, size, err := cn.svc.OpenShared(ctx, us.id, digest)
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len(content)) {
		t.Errorf("OpenShared size = %d, want %d", size, len(content))
	}
	if err := us.svc.Fetched(ctx, cn.id, x, rc); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	// A second arrival of the same file records nothing more.
	if err := us.svc.Fetched(ctx, cn.id, x, io.NopCloser(bytes.NewReader(content))); err != nil {
		t.Fatal(err)
	}
	items, err := us.svc.EvidenceList(ctx, analyst, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Digest != digest || items[0].RequestID != r.ID || items[0].CaseID != c.ID {
		t.Fatalf("us-cert's evidence = %+v", items)
	}
	d, err := us.svc.EvidenceItem(ctx, analyst, items[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Custody) != 1 || d.Custody[0].Event != accord.CustodyReceived || !strings.Contains(d.Custody[0].Reason, ev.ID) {
		t.Errorf("us-cert's custody = %+v, want one received event naming %s", d.Custody, ev.ID)
	}
	if n, _ := us.svc.PendingFetches(ctx, cn.id); n != 0 {
		t.Errorf("pending fetches after the file arrived = %d, want 0", n)
	}
	for _, n := range []*peerNode{us, cn} {
		if rep, err := n.svc.Verify(ctx, analyst); err != nil || !rep.OK {
			t.Errorf("%s verify: %+v, %v", n.id, rep, err)
		}
	}
}
