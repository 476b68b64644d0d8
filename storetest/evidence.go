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
	}
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
