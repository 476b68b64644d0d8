package node_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/ledger"
	"github.com/accord-cyber/accord/node"
)

// exchange has a offer its checkpoint to b, b witness it and a record the
// cosignature, as the federation transport does with each exchange.
func exchange(t *testing.T, ctx context.Context, a, b *peerNode) *node.Offer {
	t.Helper()
	off, err := a.svc.Offer(ctx, b.id)
	if err != nil {
		t.Fatal(err)
	}
	cos, _, err := b.svc.Witness(ctx, a.id, off)
	if err != nil {
		t.Fatalf("%s witnessing %s: %v", b.id, a.id, err)
	}
	if err := a.svc.Cosigned(ctx, b.id, cos); err != nil {
		t.Fatalf("%s recording %s's cosignature: %v", a.id, b.id, err)
	}
	return off
}

func traffic(t *testing.T, ctx context.Context, us, cn *peerNode, subject string) {
	t.Helper()
	cases, err := us.svc.Cases(ctx, reviewer, accord.CaseFilter{})
	if err != nil {
		t.Fatal(err)
	}
	caseID := ""
	if len(cases) == 0 {
		c, err := us.svc.CreateCase(ctx, analyst, node.NewCase{Title: "Intrusion", Category: "intrusions"})
		if err != nil {
			t.Fatal(err)
		}
		caseID = c.ID
	} else {
		caseID = cases[0].ID
	}
	if _, err := us.svc.CreateRequest(ctx, liaison, node.NewRequest{CaseID: caseID, To: cn.id, Type: accord.TypeInformation, Priority: accord.PriorityHigh, Subject: subject}); err != nil {
		t.Fatal(err)
	}
	pipe(t, ctx, us, cn)
}

func TestCheckpointsWitnessedAndCosigned(t *testing.T) {
	ctx, _, us, cn := peerPair(t)

	traffic(t, ctx, us, cn, "first")
	first := exchange(t, ctx, us, cn)
	if first.From != 0 || len(first.Proof) != 0 {
		t.Errorf("first offer from %d with %d hashes; want no proof", first.From, len(first.Proof))
	}
	traffic(t, ctx, us, cn, "second")
	second := exchange(t, ctx, us, cn)
	head, _ := us.svc.Head(ctx, reviewer)
	if second.From == 0 || len(second.Proof) == 0 || second.From >= head.Size {
		t.Errorf("second offer from %d with %d hashes at size %d; want a proof from the first", second.From, len(second.Proof), head.Size)
	}
	// Nothing new: the same checkpoint, witnessed once.
	again := exchange(t, ctx, us, cn)
	if string(again.Note) != string(second.Note) {
		t.Error("an unchanged ledger got a new checkpoint")
	}
	for _, n := range []*peerNode{us, cn} {
		rep, err := n.svc.Verify(ctx, reviewer)
		if err != nil || !rep.OK {
			t.Errorf("%s verify: %+v %v", n.id, rep, err)
		}
	}
	var cps []*accord.StoredCheckpoint
	us.store.View(ctx, func(tx accord.Tx) (err error) { cps, err = tx.Checkpoints("us-cert"); return err })
	if len(cps) != 2 || len(cps[0].Cosigned) == 0 || len(cps[1].Cosigned) == 0 {
		t.Errorf("us-cert holds %d checkpoints of its own, want 2, each cosigned", len(cps))
	}
}

// TestForkDetected: a party that rewrites its log and presents the new one
// is caught by the peer at the next exchange.
func TestForkDetected(t *testing.T) {
	ctx, clock, us, cn := peerPair(t)
	traffic(t, ctx, us, cn, "first")
	traffic(t, ctx, us, cn, "second")
	witnessed := exchange(t, ctx, us, cn)
	_ = witnessed

	// The same party, the same keys, another history: a forked log.
	fork := newPeerNodeWith(t, ctx, us.ident, "US", clock)
	fork.trust(t, ctx, cn)
	c, _ := fork.svc.CreateCase(ctx, analyst, node.NewCase{Title: "Rewritten", Category: "intrusions"})
	for i := 0; i < 6; i++ {
		if _, err := fork.svc.CreateRequest(ctx, liaison, node.NewRequest{CaseID: c.ID, To: "cncert", Type: accord.TypeInformation, Priority: accord.PriorityLow, Subject: "other history"}); err != nil {
			t.Fatal(err)
		}
	}
	// Not knowing what cncert witnessed, the fork offers without a proof and
	// is told the size; it then offers a proof from there, which fails.
	off, err := fork.svc.Offer(ctx, "cncert")
	if err != nil {
		t.Fatal(err)
	}
	_, last, err := cn.svc.Witness(ctx, "us-cert", off)
	if accord.ErrorCode(err) != accord.EUNAVAILABLE || !errors.Is(err, node.ErrWrongBase) || last == 0 {
		t.Fatalf("offer from the wrong size: %v (last %d); want EUNAVAILABLE wrapping ErrWrongBase and the witnessed size", err, last)
	}
	fork.svc.Witnessed("cncert", last)
	off, err = fork.svc.Offer(ctx, "cncert")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err = cn.svc.Witness(ctx, "us-cert", off); accord.ErrorCode(err) != accord.ECONFLICT {
		t.Fatalf("a forked log was witnessed: %v", err)
	}
	// Raised loudly: the API's ledger head and verify name it.
	head, err := cn.svc.Head(ctx, reviewer)
	if err != nil || len(head.Alarms) != 1 || head.Alarms[0].Party != "us-cert" || string(head.Alarms[0].Note) != string(off.Note) {
		t.Errorf("ledger head after the fork: %+v, %v; want one alarm about us-cert holding the checkpoint", head, err)
	}
	rep, err := cn.svc.Verify(ctx, reviewer)
	if err != nil || rep.OK || !strings.Contains(rep.Problem, "us-cert presented a ledger checkpoint") {
		t.Errorf("verify after the fork: %+v, %v", rep, err)
	}
	// The honest log still extends what was witnessed.
	traffic(t, ctx, us, cn, "third")
	exchange(t, ctx, us, cn)
}

// TestVerifyCatchesReplacedCheckpoint replaces a stored checkpoint with the
// same checkpoint signed by another key.
func TestVerifyCatchesReplacedCheckpoint(t *testing.T) {
	ctx, _, us, cn := peerPair(t)
	traffic(t, ctx, us, cn, "first")
	exchange(t, ctx, us, cn)
	var cp *accord.StoredCheckpoint
	us.store.View(ctx, func(tx accord.Tx) (err error) { cp, err = tx.LatestCheckpoint("us-cert"); return err })
	other, err := federation.GenerateIdentity("us-cert", nil)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := other.SignCheckpoint(ledger.Checkpoint{Origin: node.LogOrigin("us-cert"), Size: cp.Size, Hash: cp.Hash})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", us.path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE checkpoints SET note = ? WHERE party = 'us-cert' AND size = ?`, forged, cp.Size); err != nil {
		t.Fatal(err)
	}
	db.Close()
	rep, err := us.svc.Verify(ctx, reviewer)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !strings.Contains(rep.Problem, "checkpoint of us-cert at size") {
		t.Errorf("verify after a checkpoint was re-signed by another key: %+v", rep)
	}
	t.Logf("verify: %s", rep.Problem)
}
