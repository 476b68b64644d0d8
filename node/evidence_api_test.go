package node_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// evidenceIDs lists the ids of items.
func evidenceIDs(items []*accord.Evidence) []string {
	var out []string
	for _, e := range items {
		out = append(out, e.ID)
	}
	return out
}

// TestRequestAndCaseEvidence: the evidence of a request is, on the answering
// node, the items added for the request and those of its cases it attached
// to its answer; on the requesting node, the items received with the
// answer. A case's evidence is its own items. Unknown ids are ENOTFOUND.
func TestRequestAndCaseEvidence(t *testing.T) {
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
	cnCase, err := cn.svc.CreateCase(ctx, analyst, node.NewCase{Title: "Registrar abuse", Category: "fraud"})
	if err != nil {
		t.Fatal(err)
	}
	forRequest, err := cn.svc.AddEvidence(ctx, analyst, node.NewEvidence{RequestID: r.ID, Name: "records.csv"}, strings.NewReader("records"))
	if err != nil {
		t.Fatal(err)
	}
	ofCase, err := cn.svc.AddEvidence(ctx, analyst, node.NewEvidence{CaseID: cnCase.ID, Name: "whois.txt"}, strings.NewReader("whois"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cn.svc.AddEvidence(ctx, analyst, node.NewEvidence{CaseID: cnCase.ID, Name: "unrelated.txt"}, strings.NewReader("unrelated")); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if _, err := cn.svc.Act(ctx, liaison, r.ID, node.Step{Action: accord.ActionAnswerFinal, Body: "Records in the annex.",
		Evidence: []string{ofCase.ID, forRequest.ID}}); err != nil {
		t.Fatal(err)
	}
	got, err := cn.svc.RequestEvidence(ctx, reviewer, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{forRequest.ID, ofCase.ID}; !sameIDs(evidenceIDs(got), want) {
		t.Errorf("cncert's RequestEvidence(%s) = %v, want %v (the request's own item, then the case item attached)", r.ID, evidenceIDs(got), want)
	}
	if got, err := cn.svc.CaseEvidence(ctx, reviewer, cnCase.ID); err != nil || len(got) != 2 {
		t.Errorf("cncert's CaseEvidence(%s) = %v, %v; want its two items", cnCase.ID, evidenceIDs(got), err)
	}

	pipe(t, ctx, cn, us)
	if got, err := us.svc.RequestEvidence(ctx, reviewer, r.ID); err != nil || len(got) != 0 {
		t.Errorf("us-cert's RequestEvidence before the files arrive = %v, %v; want none", evidenceIDs(got), err)
	}
	due, err := us.svc.DueFetches(ctx, cn.id, time.Now(), 0)
	if err != nil || len(due) != 2 {
		t.Fatalf("us-cert's fetch queue = %+v, %v", due, err)
	}
	for _, x := range due {
		rc, _, err := cn.svc.OpenShared(ctx, us.id, x.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if err := us.svc.Fetched(ctx, cn.id, x, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	got, err = us.svc.RequestEvidence(ctx, reviewer, r.ID)
	if err != nil || len(got) != 2 {
		t.Fatalf("us-cert's RequestEvidence after the files arrived = %v, %v; want two items", evidenceIDs(got), err)
	}
	if got, err := us.svc.CaseEvidence(ctx, reviewer, c.ID); err != nil || len(got) != 2 {
		t.Errorf("us-cert's CaseEvidence(%s) = %v, %v; want the two received items", c.ID, evidenceIDs(got), err)
	}

	if _, err := us.svc.RequestEvidence(ctx, reviewer, "us-cert-R0404"); accord.ErrorCode(err) != accord.ENOTFOUND || !strings.Contains(accord.ErrorMessage(err), "us-cert-R0404") {
		t.Errorf("RequestEvidence(unknown) = %v, want ENOTFOUND naming it", err)
	}
	if _, err := us.svc.CaseEvidence(ctx, reviewer, "us-cert-C0404"); accord.ErrorCode(err) != accord.ENOTFOUND || !strings.Contains(accord.ErrorMessage(err), "us-cert-C0404") {
		t.Errorf("CaseEvidence(unknown) = %v, want ENOTFOUND naming it", err)
	}
	if _, err := us.svc.CaseEvidence(ctx, accord.Actor{Name: "nobody"}, c.ID); accord.ErrorCode(err) != accord.EFORBIDDEN {
		t.Errorf("CaseEvidence without a role = %v, want EFORBIDDEN", err)
	}
}

func sameIDs(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

// TestEvidenceContent: any reader may open a file, and each opening is an
// "accessed" custody event naming who and why; a file whose size changed is
// refused with nothing recorded.
func TestEvidenceContent(t *testing.T) {
	ctx, clock, us, _ := peerPair(t)
	c, err := us.svc.CreateCase(ctx, analyst, node.NewCase{Title: "Intrusion", Category: "intrusions"})
	if err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("netflow 192.0.2.17 -> 198.51.100.23\n"), 1000)
	ev, err := us.svc.AddEvidence(ctx, analyst, node.NewEvidence{CaseID: c.ID, Name: "netflow.txt"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	d, rc, err := us.svc.EvidenceContent(ctx, reviewer, ev.ID, "review of the case")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("EvidenceContent read %d bytes, %v; want the %d stored", len(got), err, len(content))
	}
	if n := len(d.Custody); n != 2 || d.Custody[1].Event != accord.CustodyAccessed || d.Custody[1].Actor != reviewer.Name ||
		d.Custody[1].Reason != "review of the case" || !d.Custody[1].At.Equal(clock.Now()) {
		t.Errorf("custody after EvidenceContent = %+v, want collected then accessed by %s", d.Custody, reviewer.Name)
	}

	for _, tc := range []struct {
		name     string
		actor    accord.Actor
		id       string
		reason   string
		wantCode string
	}{
		{"no reason", reviewer, ev.ID, " ", accord.EINVALID},
		{"unknown item", reviewer, "us-cert-E0404", "x", accord.ENOTFOUND},
		{"no role", accord.Actor{Name: "nobody"}, ev.ID, "x", accord.EFORBIDDEN},
	} {
		if _, _, err := us.svc.EvidenceContent(ctx, tc.actor, tc.id, tc.reason); accord.ErrorCode(err) != tc.wantCode {
			t.Errorf("EvidenceContent, %s: %v, want %s", tc.name, err, tc.wantCode)
		}
	}

	// A stored file of another size is refused, and the refusal is not an access.
	path := filepath.Join(filepath.Dir(us.path), "evidence", "sha256", ev.Digest[:2], ev.Digest[2:])
	if err := os.WriteFile(path, []byte("something else"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := us.svc.EvidenceContent(ctx, reviewer, ev.ID, "again"); accord.ErrorCode(err) != accord.ECONFLICT || !strings.Contains(accord.ErrorMessage(err), "accord verify") {
		t.Errorf("EvidenceContent of a replaced file: %v, want ECONFLICT pointing to accord verify", err)
	}
	if d, err := us.svc.EvidenceItem(ctx, reviewer, ev.ID); err != nil || len(d.Custody) != 2 {
		t.Errorf("custody after the refused access = %+v, %v; want the same two events", d, err)
	}
}
