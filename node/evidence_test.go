package node_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/blob"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/sqlite"
)

func TestEvidenceCustodyAndVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "accord.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	blobs, err := blob.Open(filepath.Join(dir, "evidence"), blob.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{now: time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)}
	svc := node.New(node.Config{Store: store, Agreement: accord.DefaultAgreement(), Clock: clock, Self: "us-cert", Blobs: blobs, Logger: quiet})
	if _, err := svc.InitSelf(ctx, accord.Party{ID: "us-cert", Name: "US-CERT", Country: "US"}); err != nil {
		t.Fatal(err)
	}
	c, err := svc.CreateCase(ctx, analyst, node.NewCase{Title: "Intrusion", Category: "intrusions"})
	if err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("netflow 192.0.2.17 -> 198.51.100.23\n"), 1000)
	d, err := svc.AddEvidence(ctx, analyst, node.NewEvidence{CaseID: c.ID, Name: "netflow.txt", Reason: "exported from the agency's collector"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "us-cert-E0001" || d.Size != int64(len(content)) || len(d.Custody) != 1 || d.Custody[0].Event != accord.CustodyCollected {
		t.Fatalf("evidence = %+v", d)
	}
	clock.Advance(time.Hour)
	for _, ev := range []string{accord.CustodySealed, accord.CustodyVerified} {
		if d, err = svc.RecordCustody(ctx, analyst, d.ID, ev, "before transfer"); err != nil {
			t.Fatal(err)
		}
	}
	if len(d.Custody) != 3 || d.Custody[2].Seq != 3 {
		t.Errorf("custody = %+v", d.Custody)
	}
	if _, err := svc.RecordCustody(ctx, analyst, d.ID, accord.CustodyReceived, "x"); accord.ErrorCode(err) != accord.EINVALID {
		t.Errorf("recording 'received' by hand: %v", err)
	}
	if _, err := svc.AddEvidence(ctx, analyst, node.NewEvidence{CaseID: "us-cert-C0404", Name: "x"}, strings.NewReader("x")); accord.ErrorField(err) != "case_id" {
		t.Errorf("evidence for an unknown case: %v", err)
	}
	if rep, err := svc.Verify(ctx, reviewer); err != nil || !rep.OK {
		t.Fatalf("verify: %+v %v", rep, err)
	}

	// Replace the stored file: verify names the item, and "verified" is refused.
	path := filepath.Join(dir, "evidence", "sha256", d.Digest[:2], d.Digest[2:])
	if err := os.WriteFile(path, []byte("something else"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := svc.Verify(ctx, reviewer)
	if err != nil || rep.OK || !strings.Contains(rep.Problem, "evidence us-cert-E0001") {
		t.Errorf("verify after the file was replaced: %+v %v", rep, err)
	}
	t.Logf("verify: %s", rep.Problem)
	if _, err := svc.RecordCustody(ctx, analyst, d.ID, accord.CustodyVerified, "again"); accord.ErrorCode(err) != accord.ECONFLICT {
		t.Errorf("verified custody of a replaced file: %v, want conflict", err)
	}
	// A service over the same store without the evidence store cannot
	// verify: it says so, rather than failing on the missing store.
	bare := node.New(node.Config{Store: store, Agreement: accord.DefaultAgreement(), Clock: clock, Self: "us-cert", Logger: quiet})
	if _, err := bare.RecordCustody(ctx, analyst, d.ID, accord.CustodyVerified, "check"); accord.ErrorCode(err) != accord.EUNAVAILABLE {
		t.Errorf("verify without an evidence store: %v; want unavailable", err)
	}
}
