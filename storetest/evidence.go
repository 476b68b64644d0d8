package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
)

func evidenceTests() []test {
	return []test{
		{"RoundTrip", testEvidenceRoundTrip},
		{"Refusals", testEvidenceRefusals},
		{"Custody", testCustody},
		{"OfRequest", testEvidenceOfRequest},
		{"Transfers", testTransfers},
		{"PendingTransfers", testPendingTransfers},
	}
}

// testEvidenceOfRequest: an item may belong to a request instead of a case,
// must belong to one of them, and the request must exist.
func testEvidenceOfRequest(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	byReq := newEvidence("us-cert-E0001", "", 1)
	byReq.RequestID = request1
	both := newEvidence("us-cert-E0002", case1, 2)
	both.RequestID = request1
	update(t, s, func(tx accord.Tx) error {
		for _, e := range []*accord.Evidence{byReq, newEvidence("us-cert-E0003", case1, 3), both} {
			if err := tx.CreateEvidence(e); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.EvidenceOfRequest(request1)
		if err != nil {
			return err
		}
		checkDiff(t, "EvidenceOfRequest", []*accord.Evidence{byReq, both}, got)
		none, err := tx.EvidenceOfRequest("us-cert-R0404")
		if err != nil || none == nil || len(none) != 0 {
			t.Errorf("EvidenceOfRequest(unknown) = %v, %v; want empty, non-nil", none, err)
		}
		return nil
	})
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.CreateEvidence(newEvidence("us-cert-E0004", "", 4)) })
	checkCode(t, "CreateEvidence with neither case nor request", err, accord.EINVALID)
	orphan := newEvidence("us-cert-E0005", "", 5)
	orphan.RequestID = "us-cert-R0404"
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.CreateEvidence(orphan) })
	checkCode(t, "CreateEvidence of an unknown request", err, accord.EINVALID)
}

func newTransfer(messageID string, idx int, dir string, n int) *accord.EvidenceTransfer {
	return &accord.EvidenceTransfer{MessageID: messageID, Index: idx, Direction: dir, Peer: peer, RequestID: request1,
		SourceID: "cncert-E000" + string(rune('1'+n)), Digest: strings.Repeat(string(rune('a'+n%6)), 64), Size: int64(1 << 20 * n),
		Name: "logs.tar", Description: "web server logs", Attempts: 0}
}

// testTransfers: round trip, update, duplicates, Shared.
func testTransfers(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	sent := newEvidence("us-cert-E0001", case1, 1)
	out := newTransfer("m-1", 0, accord.TransferOut, 1)
	out.Digest, out.EvidenceID = sent.Digest, sent.ID
	in0, in1 := newTransfer("m-2", 0, accord.TransferIn, 2), newTransfer("m-2", 1, accord.TransferIn, 3)
	in1.Description = ""
	update(t, s, func(tx accord.Tx) error {
		if err := tx.CreateEvidence(sent); err != nil {
			return err
		}
		for _, x := range []*accord.EvidenceTransfer{out, in1, in0} {
			if err := tx.AddTransfer(x); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Transfers("m-2")
		if err != nil {
			return err
		}
		checkDiff(t, "Transfers(m-2)", []*accord.EvidenceTransfer{in0, in1}, got)
		for _, c := range []struct {
			peer, digest string
			want         bool
		}{{peer, sent.Digest, true}, {self, sent.Digest, false}, {peer, in0.Digest, false}} {
			ok, err := tx.Shared(c.peer, c.digest)
			if err != nil {
				return err
			}
			if ok != c.want {
				t.Errorf("Shared(%s, %s…) = %v, want %v", c.peer, c.digest[:8], ok, c.want)
			}
		}
		none, err := tx.Transfers("m-404")
		if err != nil || none == nil || len(none) != 0 {
			t.Errorf("Transfers(unknown) = %v, %v; want empty, non-nil", none, err)
		}
		return nil
	})

	// Progress is stored; the description fields stay.
	got := *in0
	got.Attempts, got.NextAttemptAt, got.LastError = 2, elsewhere(at(time.Hour)), "hash mismatch"
	update(t, s, func(tx accord.Tx) error { return tx.UpdateTransfer(&got) })
	got.Attempts, got.LastError, got.NextAttemptAt = 3, "", time.Time{}
	got.DoneAt, got.EvidenceID = at(2*time.Hour), sent.ID
	update(t, s, func(tx accord.Tx) error { return tx.UpdateTransfer(&got) })
	view(t, s, func(tx accord.Tx) error {
		all, err := tx.Transfers("m-2")
		if err != nil {
			return err
		}
		checkDiff(t, "Transfers(m-2) after updates", []*accord.EvidenceTransfer{&got, in1}, all)
		return nil
	})

	err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddTransfer(newTransfer("m-2", 1, accord.TransferIn, 4)) })
	checkCode(t, "AddTransfer(duplicate)", err, accord.ECONFLICT)
	bad := newTransfer("m-3", 0, "sideways", 1)
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.AddTransfer(bad) })
	checkCode(t, "AddTransfer(unknown direction)", err, accord.EINVALID)
	bad = newTransfer("m-3", 0, accord.TransferOut, 1)
	bad.EvidenceID = "us-cert-E0404"
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.AddTransfer(bad) })
	checkCode(t, "AddTransfer(unknown item)", err, accord.EINVALID)
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.UpdateTransfer(newTransfer("m-404", 0, accord.TransferIn, 1)) })
	checkCode(t, "UpdateTransfer(unknown)", err, accord.ENOTFOUND)
}

// testPendingTransfers: only incoming, undone, due transfers of the peer,
// oldest first, up to the limit.
func testPendingTransfers(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	due1, due2 := newTransfer("m-1", 0, accord.TransferIn, 1), newTransfer("m-0", 0, accord.TransferIn, 2)
	later := newTransfer("m-2", 0, accord.TransferIn, 3)
	later.NextAttemptAt = at(3 * time.Hour)
	done := newTransfer("m-3", 0, accord.TransferIn, 4)
	done.DoneAt = at(time.Hour)
	out := newTransfer("m-4", 0, accord.TransferOut, 5)
	other := newTransfer("m-5", 0, accord.TransferIn, 0)
	other.Peer = local
	retried := newTransfer("m-6", 0, accord.TransferIn, 1)
	retried.NextAttemptAt = elsewhere(at(2 * time.Hour))
	update(t, s, func(tx accord.Tx) error {
		for _, x := range []*accord.EvidenceTransfer{due1, later, done, out, other, due2, retried} {
			if err := tx.AddTransfer(x); err != nil {
				return err
			}
		}
		return nil
	})
	for _, c := range []struct {
		now   time.Time
		limit int
		want  []*accord.EvidenceTransfer
	}{
		{at(time.Hour), 0, []*accord.EvidenceTransfer{due1, due2}},
		{at(2 * time.Hour), 0, []*accord.EvidenceTransfer{due1, due2, retried}},
		{at(2 * time.Hour), 2, []*accord.EvidenceTransfer{due1, due2}},
		{at(4 * time.Hour), 0, []*accord.EvidenceTransfer{due1, later, due2, retried}},
	} {
		var got []*accord.EvidenceTransfer
		view(t, s, func(tx accord.Tx) (err error) {
			got, err = tx.PendingTransfers(peer, c.now, c.limit)
			return err
		})
		checkDiff(t, "PendingTransfers", c.want, got)
	}
	err := tryView(s, func(tx accord.Tx) error { _, err := tx.PendingTransfers(peer, at(0), -1); return err })
	checkCode(t, "PendingTransfers with limit -1", err, accord.EINVALID)
}

func newEvidence(id, caseID string, n int) *accord.Evidence {
	return &accord.Evidence{ID: id, CaseID: caseID, Digest: strings.Repeat(string(rune('a'+n%6)), 64), Size: int64(1000 * n),
		Name: "capture-" + id + ".pcap", Description: "traffic of the command server", CreatedBy: "analyst", CreatedAt: at(time.Duration(n) * time.Minute)}
}

// testEvidenceRoundTrip: every field comes back; EvidenceOf filters by case
// in the order stored.
func testEvidenceRoundTrip(t *testing.T, s accord.Store) {
	seed(t, s)
	items := []*accord.Evidence{newEvidence("us-cert-E0002", case1, 1), newEvidence("us-cert-E0001", case2, 2), newEvidence("us-cert-E0003", case1, 3)}
	items[2].Description = ""
	update(t, s, func(tx accord.Tx) error {
		for _, e := range items {
			if err := tx.CreateEvidence(e); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Evidence("us-cert-E0002")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(items[0], got); diff != "" {
			t.Errorf("Evidence (-want +got):\n%s", diff)
		}
		of, err := tx.EvidenceOf(case1)
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]*accord.Evidence{items[0], items[2]}, of); diff != "" {
			t.Errorf("EvidenceOf(case1) (-want +got):\n%s", diff)
		}
		all, err := tx.EvidenceOf("")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(items, all); diff != "" {
			t.Errorf(`EvidenceOf("") (-want +got):\n%s`, diff)
		}
		none, err := tx.EvidenceOf("us-cert-C0404")
		if err != nil || none == nil || len(none) != 0 {
			t.Errorf("EvidenceOf(unknown case) = %v, %v; want empty, non-nil", none, err)
		}
		return nil
	})
}

// testEvidenceRefusals: not found, duplicate id, unknown case.
func testEvidenceRefusals(t *testing.T, s accord.Store) {
	seed(t, s)
	update(t, s, func(tx accord.Tx) error { return tx.CreateEvidence(newEvidence("us-cert-E0001", case1, 1)) })
	err := tryView(s, func(tx accord.Tx) error { _, err := tx.Evidence("us-cert-E0404"); return err })
	checkCode(t, "Evidence(unknown)", err, accord.ENOTFOUND)
	if err == nil || !strings.Contains(err.Error(), "us-cert-E0404") {
		t.Errorf("Evidence(unknown) error %v does not name the item", err)
	}
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.CreateEvidence(newEvidence("us-cert-E0001", case1, 2)) })
	checkCode(t, "CreateEvidence(duplicate id)", err, accord.ECONFLICT)
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.CreateEvidence(newEvidence("us-cert-E0002", "us-cert-C0404", 2)) })
	checkCode(t, "CreateEvidence(unknown case)", err, accord.EINVALID)
}

// testCustody: events come back in Seq order; duplicates and unknown items
// are refused.
func testCustody(t *testing.T, s accord.Store) {
	seed(t, s)
	e := newEvidence("us-cert-E0001", case1, 1)
	evs := []*accord.CustodyEvent{
		{EvidenceID: e.ID, Seq: 2, Event: accord.CustodySealed, Actor: "analyst", Party: self, At: at(2 * time.Minute), Digest: e.Digest},
		{EvidenceID: e.ID, Seq: 1, Event: accord.CustodyCollected, Actor: "analyst", Party: self, At: at(time.Minute), Reason: "seized from the hosting provider", Digest: e.Digest},
	}
	update(t, s, func(tx accord.Tx) error {
		if err := tx.CreateEvidence(e); err != nil {
			return err
		}
		for _, ev := range evs {
			if err := tx.AddCustodyEvent(ev); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.CustodyEvents(e.ID)
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]*accord.CustodyEvent{evs[1], evs[0]}, got); diff != "" {
			t.Errorf("CustodyEvents (-want +got):\n%s", diff)
		}
		return nil
	})
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddCustodyEvent(evs[0]) })
	checkCode(t, "AddCustodyEvent(duplicate seq)", err, accord.ECONFLICT)
	bad := *evs[0]
	bad.EvidenceID, bad.Seq = "us-cert-E0404", 1
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.AddCustodyEvent(&bad) })
	checkCode(t, "AddCustodyEvent(unknown item)", err, accord.EINVALID)
	bad = *evs[0]
	bad.Seq, bad.Event = 3, "lost"
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.AddCustodyEvent(&bad) })
	checkCode(t, "AddCustodyEvent(unknown event)", err, accord.EINVALID)
}
