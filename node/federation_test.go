package node_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/blob"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/ledger"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/sqlite"
)

// peerNode is one node of an in-process federation: a real store, a real
// identity, and a service that signs with it.
type peerNode struct {
	id    string
	svc   *node.Service
	store accord.Store
	ident *federation.Identity
	path  string // the database file
}

func newPeerNode(t *testing.T, ctx context.Context, id, country string, clock accord.Clock) *peerNode {
	t.Helper()
	ident, err := federation.GenerateIdentity(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return newPeerNodeWith(t, ctx, ident, country, clock)
}

// newPeerNodeWith is newPeerNode with a given identity (two stores under one
// identity make a forked log).
func newPeerNodeWith(t *testing.T, ctx context.Context, ident *federation.Identity, country string, clock accord.Clock) *peerNode {
	t.Helper()
	id := ident.Party()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "accord.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	blobs, err := blob.Open(filepath.Join(dir, "evidence"), blob.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := node.New(node.Config{Store: store, Agreement: accord.DefaultAgreement(), Clock: clock, Self: id, Sealer: ident, Notary: ident, Blobs: blobs, Logger: quiet})
	self := accord.Party{ID: id, Name: strings.ToUpper(id), Country: country, FederationURL: "https://127.0.0.1:1/federation/v1/",
		SigningKey: ident.PublicKey(), TLSCert: ident.CertDER()}
	if _, err := svc.InitSelf(ctx, self); err != nil {
		t.Fatal(err)
	}
	return &peerNode{id: id, svc: svc, store: store, ident: ident, path: filepath.Join(dir, "accord.db")}
}

// peerPair returns us-cert and cncert, each trusting the other, on one
// test clock.
func peerPair(t *testing.T) (context.Context, *testClock, *peerNode, *peerNode) {
	t.Helper()
	ctx := context.Background()
	clock := &testClock{now: time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)}
	us := newPeerNode(t, ctx, "us-cert", "US", clock)
	cn := newPeerNode(t, ctx, "cncert", "CN", clock)
	us.trust(t, ctx, cn)
	cn.trust(t, ctx, us)
	return ctx, clock, us, cn
}

func (n *peerNode) trust(t *testing.T, ctx context.Context, other *peerNode) {
	t.Helper()
	p, err := other.svc.Self(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.svc.AddPeer(ctx, admin, *p); err != nil {
		t.Fatal(err)
	}
}

// pipe carries every due message from a to b and b's receipts back, as the
// deliverer does over the wire, and returns how many it carried.
func pipe(t *testing.T, ctx context.Context, a, b *peerNode) int {
	t.Helper()
	due, err := a.svc.DueOutbox(ctx, b.id, time.Now().Add(time.Hour), 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) == 0 {
		return 0
	}
	var msgs []*accord.Message
	for _, p := range due {
		m, err := federation.OpenMessage(p.Message.JWS, func(string) (ed25519.PublicKey, error) { return a.ident.PublicKey(), nil })
		if err != nil {
			t.Fatalf("open %s: %v", p.Message.ID, err)
		}
		msgs = append(msgs, m)
	}
	var receipts []*accord.Receipt
	for i, res := range b.svc.Receive(ctx, a.id, msgs) {
		if res.Err != nil {
			t.Fatalf("%s refused %s %s: %v", b.id, msgs[i].Kind, msgs[i].ID, res.Err)
		}
		receipts = append(receipts, res.Receipt)
	}
	if err := a.svc.Delivered(ctx, b.id, receipts); err != nil {
		t.Fatal(err)
	}
	return len(due)
}

func TestFederatedLifecycle(t *testing.T) {
	ctx, clock, us, cn := peerPair(t)

	c, err := us.svc.CreateCase(ctx, analyst, node.NewCase{Title: "Intrusion", Category: "intrusions"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := us.svc.CreateRequest(ctx, liaison, node.NewRequest{CaseID: c.ID, To: "cncert", Type: accord.TypeInformation, Priority: accord.PriorityHigh, Subject: "Who runs 192.0.2.17?"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != accord.StatusSent {
		t.Fatalf("status before receipt = %s, want sent", d.Status)
	}
	// cncert's steps cannot be recorded on us-cert's node: they come signed.
	if _, err := us.svc.Act(ctx, liaison, d.ID, node.Step{Action: accord.ActionAcknowledge}); accord.ErrorCode(err) != accord.EFORBIDDEN {
		t.Errorf("recording a peer's step locally: %v, want forbidden", err)
	}
	clock.Advance(time.Minute)
	if n := pipe(t, ctx, us, cn); n != 1 {
		t.Fatalf("carried %d messages, want 1", n)
	}
	got, err := us.svc.Request(ctx, reviewer, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := cn.svc.Request(ctx, reviewer, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != accord.StatusDelivered || theirs.Status != accord.StatusDelivered || !got.ReceivedAt.Equal(theirs.ReceivedAt) || !got.AcknowledgeBy.Equal(theirs.AcknowledgeBy) {
		t.Fatalf("after delivery: us %s received %s ack-by %s; cn %s received %s ack-by %s", got.Status, got.ReceivedAt, got.AcknowledgeBy, theirs.Status, theirs.ReceivedAt, theirs.AcknowledgeBy)
	}
	for _, st := range []node.Step{{Action: accord.ActionAcknowledge}, {Action: accord.ActionAccept}, {Action: accord.ActionAnswerFinal, Body: "Registrant records attached."}} {
		clock.Advance(time.Hour)
		if _, err := cn.svc.Act(ctx, liaison, d.ID, st); err != nil {
			t.Fatal(err)
		}
	}
	if n := pipe(t, ctx, cn, us); n != 3 {
		t.Fatalf("carried %d messages, want 3", n)
	}
	if _, err := us.svc.Act(ctx, liaison, d.ID, node.Step{Action: accord.ActionRate, Score: 4, Comment: "useful"}); err != nil {
		t.Fatal(err)
	}
	pipe(t, ctx, us, cn)
	got, _ = us.svc.Request(ctx, reviewer, d.ID)
	theirs, _ = cn.svc.Request(ctx, reviewer, d.ID)
	if got.Status != accord.StatusRated || theirs.Status != accord.StatusRated || theirs.Rating != 4 || len(theirs.Answers) != 1 {
		t.Errorf("final: us %s, cn %s rating %d answers %d", got.Status, theirs.Status, theirs.Rating, len(theirs.Answers))
	}
	if diff := cmp.Diff(eventShape(got.Events), eventShape(theirs.Events)); diff != "" {
		t.Errorf("the two nodes' histories differ (-us +cn):\n%s", diff)
	}
	for _, n := range []*peerNode{us, cn} {
		ms, err := n.svc.Messages(ctx, reviewer, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, m := range ms {
			if m.Receipt == nil || m.Envelope == "" {
				t.Errorf("%s: message %s (%s) has no envelope or receipt", n.id, m.ID, m.Kind)
			}
			kinds = append(kinds, string(m.Kind)+" from "+m.Sender)
		}
		want := []string{"request from us-cert", "acknowledge from cncert", "accept from cncert", "answer from cncert", "rate from us-cert"}
		if diff := cmp.Diff(want, kinds); diff != "" {
			t.Errorf("%s holds messages (-want +got):\n%s", n.id, diff)
		}
	}
}

func eventShape(es []*accord.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, string(e.Action)+"@"+e.At.Format(time.RFC3339Nano)+" by "+e.Party)
	}
	return out
}

func TestReceiveRefusals(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{now: time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)}
	us := newPeerNode(t, ctx, "us-cert", "US", clock)
	cn := newPeerNode(t, ctx, "cncert", "CN", clock)
	jp := newPeerNode(t, ctx, "jpcert", "JP", clock)
	us.trust(t, ctx, cn)
	us.trust(t, ctx, jp)
	cn.trust(t, ctx, us)

	c, _ := us.svc.CreateCase(ctx, analyst, node.NewCase{Title: "Intrusion", Category: "intrusions"})
	d, err := us.svc.CreateRequest(ctx, liaison, node.NewRequest{CaseID: c.ID, To: "cncert", Type: accord.TypeInformation, Priority: accord.PriorityHigh, Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	pipe(t, ctx, us, cn)

	seal := func(from *peerNode, m accord.Message) *accord.Message {
		t.Helper()
		if m.ID == "" {
			m.ID = "msg-" + strings.ReplaceAll(m.RequestID+"-"+string(m.Kind)+"-"+from.id, "/", "")
		}
		if m.CreatedAt.IsZero() {
			m.CreatedAt = clock.Now()
		}
		if m.Body == nil {
			m.Body = json.RawMessage(`{}`)
		}
		m.Sender = from.id
		if err := from.ident.Seal(&m); err != nil {
			t.Fatal(err)
		}
		return &m
	}
	ack := seal(cn, accord.Message{Kind: accord.KindAcknowledge, Recipient: "us-cert", RequestID: d.ID, Seq: 1})
	first := us.svc.Receive(ctx, "cncert", []*accord.Message{ack})
	if first[0].Err != nil {
		t.Fatal(first[0].Err)
	}
	before := snapshotStore(t, ctx, us.store)

	for _, tc := range []struct {
		name     string
		peer     string
		msg      *accord.Message
		wantCode string
		wantText string
	}{
		{"reused id, other content", "cncert", seal(cn, accord.Message{ID: ack.ID, Kind: accord.KindAcknowledge, Recipient: "us-cert", RequestID: d.ID, Seq: 1, Body: json.RawMessage(`{"note":"changed"}`)}), accord.ECONFLICT, "other content"},
		{"out of order", "cncert", seal(cn, accord.Message{Kind: accord.KindAnswer, Recipient: "us-cert", RequestID: d.ID, Seq: 3, Body: json.RawMessage(`{"answer":"x","final":true}`)}), accord.EUNAVAILABLE, "out of order"},
		{"seq used", "cncert", seal(cn, accord.Message{ID: "other-id", Kind: accord.KindAccept, Recipient: "us-cert", RequestID: d.ID, Seq: 1}), accord.ECONFLICT, "already used"},
		{"not a party to the request", "jpcert", seal(jp, accord.Message{Kind: accord.KindAccept, Recipient: "us-cert", RequestID: d.ID, Seq: 1}), accord.EFORBIDDEN, "not a party"},
		{"someone else's request id", "jpcert", seal(jp, accord.Message{Kind: accord.KindRequest, Recipient: "us-cert", RequestID: "cncert-R0042", Seq: 1,
			Body: json.RawMessage(`{"type":"information","priority":"high","subject":"s","agreement_digest":"x"}`)}), accord.EFORBIDDEN, "its own requests"},
		{"requester's step from the requested party", "cncert", seal(cn, accord.Message{Kind: accord.KindWithdraw, Recipient: "us-cert", RequestID: d.ID, Seq: 2}), accord.EFORBIDDEN, "requester"},
		{"illegal step", "cncert", seal(cn, accord.Message{Kind: accord.KindAnswer, Recipient: "us-cert", RequestID: d.ID, Seq: 2, Body: json.RawMessage(`{"answer":"x"}`)}), accord.ECONFLICT, "cannot answer-partial a request that is acknowledged"},
		{"unknown body field", "cncert", seal(cn, accord.Message{Kind: accord.KindAccept, Recipient: "us-cert", RequestID: d.ID, Seq: 2, Body: json.RawMessage(`{"urgent":true}`)}), accord.EINVALID, "urgent"},
		{"sender is not the peer", "jpcert", seal(cn, accord.Message{Kind: accord.KindAccept, Recipient: "us-cert", RequestID: d.ID, Seq: 2}), accord.EFORBIDDEN, "not from jpcert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := us.svc.Receive(ctx, tc.peer, []*accord.Message{tc.msg})
			if accord.ErrorCode(res[0].Err) != tc.wantCode || !strings.Contains(res[0].Err.Error(), tc.wantText) {
				t.Errorf("Receive = %v (code %s); want %s containing %q", res[0].Err, accord.ErrorCode(res[0].Err), tc.wantCode, tc.wantText)
			}
			if diff := cmp.Diff(before, snapshotStore(t, ctx, us.store)); diff != "" {
				t.Errorf("a refused message changed the store (-before +after):\n%s", diff)
			}
		})
	}

	// A redelivered message gets its original receipt, and nothing new is stored.
	again := us.svc.Receive(ctx, "cncert", []*accord.Message{ack})
	if again[0].Err != nil || !bytes.Equal(again[0].Receipt.JWS, first[0].Receipt.JWS) {
		t.Errorf("redelivery: %v; want the original receipt", again[0].Err)
	}
	if diff := cmp.Diff(before, snapshotStore(t, ctx, us.store)); diff != "" {
		t.Errorf("a redelivery changed the store (-before +after):\n%s", diff)
	}
}

// storeState is every row a node keeps about requests and messages.
type storeState struct {
	Requests []*accord.Request
	Events   []*accord.Event
	Messages []*accord.Message
	Receipts []*accord.Receipt
	Pending  int
}

func snapshotStore(t *testing.T, ctx context.Context, s accord.Store) storeState {
	t.Helper()
	var st storeState
	err := s.View(ctx, func(tx accord.Tx) (err error) {
		if st.Requests, err = tx.Requests(accord.RequestFilter{}); err != nil {
			return err
		}
		for _, r := range st.Requests {
			es, err := tx.Events(r.ID)
			if err != nil {
				return err
			}
			ms, err := tx.Messages(r.ID)
			if err != nil {
				return err
			}
			st.Events = append(st.Events, es...)
			for _, m := range ms {
				st.Messages = append(st.Messages, m)
				if rc, err := tx.Receipt(m.ID); err == nil {
					st.Receipts = append(st.Receipts, rc)
				}
			}
		}
		st.Pending, err = tx.PendingOutbox("")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestProofs checks that every message and receipt can be proved in the
// ledger, and an earlier ledger proved a prefix of the current one, by the
// RFC 6962 checks alone.
func TestProofs(t *testing.T) {
	ctx, _, us, cn := peerPair(t)
	c, _ := us.svc.CreateCase(ctx, analyst, node.NewCase{Title: "Intrusion", Category: "intrusions"})
	d, err := us.svc.CreateRequest(ctx, liaison, node.NewRequest{CaseID: c.ID, To: "cncert", Type: accord.TypeInformation, Priority: accord.PriorityHigh, Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	pipe(t, ctx, us, cn)
	mid, err := us.svc.Head(ctx, reviewer)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []node.Step{{Action: accord.ActionAcknowledge}, {Action: accord.ActionAccept}} {
		if _, err := cn.svc.Act(ctx, liaison, d.ID, st); err != nil {
			t.Fatal(err)
		}
	}
	pipe(t, ctx, cn, us)
	hash := func(s string) tlog.Hash {
		t.Helper()
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != 32 {
			t.Fatalf("hash %q: %v", s, err)
		}
		return tlog.Hash(b)
	}
	ms, err := us.svc.Messages(ctx, reviewer, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		for _, receipt := range []bool{false, true} {
			p, err := us.svc.ProveInclusion(ctx, reviewer, m.ID, receipt)
			if err != nil {
				t.Fatalf("prove %s (receipt %v): %v", m.ID, receipt, err)
			}
			var proof tlog.RecordProof
			for _, h := range p.Proof {
				proof = append(proof, hash(h))
			}
			if err := ledger.CheckInclusion(proof, p.Size, hash(p.Root), p.Index, []byte(p.Record)); err != nil {
				t.Errorf("inclusion of %s %s: %v", p.Kind, m.ID, err)
			}
			if !strings.Contains(p.Record, m.ID) {
				t.Errorf("record %q does not name %s", p.Record, m.ID)
			}
		}
	}
	head, _ := us.svc.Head(ctx, reviewer)
	cp, err := us.svc.ProveConsistency(ctx, reviewer, mid.Size, head.Size)
	if err != nil {
		t.Fatal(err)
	}
	var tp tlog.TreeProof
	for _, h := range cp.Proof {
		tp = append(tp, hash(h))
	}
	if cp.OldRoot != mid.Root || cp.NewRoot != head.Root {
		t.Errorf("roots %s/%s, want %s/%s", cp.OldRoot, cp.NewRoot, mid.Root, head.Root)
	}
	if err := ledger.CheckConsistency(tp, head.Size, hash(head.Root), mid.Size, hash(mid.Root)); err != nil {
		t.Errorf("consistency %d → %d: %v", mid.Size, head.Size, err)
	}
	if _, err := us.svc.ProveConsistency(ctx, reviewer, 3, head.Size+1); accord.ErrorCode(err) != accord.EINVALID {
		t.Errorf("consistency beyond the ledger: %v, want invalid", err)
	}
	if _, err := us.svc.ProveInclusion(ctx, reviewer, "no-such-message", false); accord.ErrorCode(err) != accord.ENOTFOUND {
		t.Errorf("inclusion of an unknown message: %v, want not found", err)
	}
}
