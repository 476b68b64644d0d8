package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

func batchTests() []test {
	return []test{
		{"RoundTrip", testBatchRoundTrip},
		{"Reads", testBatchReads},
		{"Large", testBatchLarge},
		{"AllOrNothing", testBatchAllOrNothing},
		{"SetDelivered", testSetDelivered},
		{"ViewCannotWrite", testBatchViewCannotWrite},
	}
}

// batchFixture returns three requests from self to peer in case1, a
// message about each (the third about a request not stored), their
// receipts, and two events of the first request.
func batchFixture() ([]*accord.Request, []*accord.Message, []*accord.Receipt, []*accord.Event) {
	var rs []*accord.Request
	var ms []*accord.Message
	var rcs []*accord.Receipt
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("us-cert-R%04d", i)
		if i < 3 {
			rs = append(rs, newRequest(id, case1, self, peer, at(time.Duration(i)*time.Hour)))
		}
		m := newMessage(messageID(self, i), accord.KindRequest, self, peer, id, 1)
		ms = append(ms, m)
		rcs = append(rcs, newReceipt(m))
	}
	return rs, ms, rcs, []*accord.Event{newEvent(rs[0].ID, 1), newEvent(rs[0].ID, 2)}
}

// testBatchRoundTrip: what the batch methods store reads back through the
// one-row methods exactly as if stored one by one.
func testBatchRoundTrip(t *testing.T, s accord.Store) {
	seed(t, s)
	rs, ms, rcs, es := batchFixture()
	update(t, s, func(tx accord.Tx) error {
		if err := tx.CreateRequests(rs); err != nil {
			return err
		}
		if err := tx.AddEvents(es); err != nil {
			return err
		}
		if err := tx.AddMessages(ms); err != nil {
			return err
		}
		return tx.AddReceipts(rcs)
	})
	view(t, s, func(tx accord.Tx) error {
		for _, r := range rs {
			got, err := tx.Request(r.ID)
			if err != nil {
				return err
			}
			checkDiff(t, "Request "+r.ID, r, got)
			checkUTC(t, "Request "+r.ID, got)
		}
		got, err := tx.Events(rs[0].ID)
		if err != nil {
			return err
		}
		checkDiff(t, "Events", es, got)
		for i, m := range ms {
			gm, err := tx.Message(m.ID)
			if err != nil {
				return err
			}
			checkDiff(t, "Message "+m.ID, m, gm)
			grc, err := tx.Receipt(m.ID)
			if err != nil {
				return err
			}
			checkDiff(t, "Receipt "+m.ID, rcs[i], grc)
		}
		return nil
	})
	// Empty batches are no-ops.
	update(t, s, func(tx accord.Tx) error {
		for _, err := range []error{tx.CreateRequests(nil), tx.AddEvents(nil), tx.AddMessages(nil), tx.AddReceipts(nil), tx.SetDelivered(nil, at(0))} {
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// testBatchReads: the by-id reads return exactly the stored rows among the
// keys asked for, and the same values as the one-row reads.
func testBatchReads(t *testing.T, s accord.Store) {
	seed(t, s)
	rs, ms, _, _ := batchFixture()
	update(t, s, func(tx accord.Tx) error {
		if err := tx.CreateRequests(rs); err != nil {
			return err
		}
		if err := tx.AddMessages(ms); err != nil {
			return err
		}
		extra := newMessage(messageID(self, 9), accord.KindNotification, self, peer, rs[0].ID, 4)
		if err := tx.AddMessage(extra); err != nil {
			return err
		}
		if err := tx.AddMessage(newMessage(messageID(peer, 1), accord.KindAcknowledge, peer, self, rs[0].ID, 2)); err != nil {
			return err
		}
		return tx.Enqueue(newOutboxItem(ms[1], at(0)))
	})
	view(t, s, func(tx accord.Tx) error {
		gotM, err := tx.MessagesByID([]string{ms[0].ID, "nobody-M0001", ms[2].ID, ms[0].ID})
		if err != nil {
			return err
		}
		checkDiff(t, "MessagesByID", map[string]*accord.Message{ms[0].ID: ms[0], ms[2].ID: ms[2]}, gotM)
		gotR, err := tx.RequestsByID([]string{rs[1].ID, "us-cert-R0003", "us-cert-R9999"})
		if err != nil {
			return err
		}
		checkDiff(t, "RequestsByID", map[string]*accord.Request{rs[1].ID: rs[1]}, gotR)
		gotS, err := tx.LastSeqs(self, []string{rs[0].ID, rs[1].ID, "us-cert-R0003", "us-cert-R9999"})
		if err != nil {
			return err
		}
		checkDiff(t, "LastSeqs", map[string]int{rs[0].ID: 4, rs[1].ID: 1, "us-cert-R0003": 1}, gotS)
		gotS, err = tx.LastSeqs(peer, []string{rs[0].ID, rs[1].ID})
		if err != nil {
			return err
		}
		checkDiff(t, "LastSeqs of the peer", map[string]int{rs[0].ID: 2}, gotS)
		gotO, err := tx.OutboxItems([]string{ms[0].ID, ms[1].ID})
		if err != nil {
			return err
		}
		want, err := tx.OutboxItem(ms[1].ID)
		if err != nil {
			return err
		}
		checkDiff(t, "OutboxItems", map[string]*accord.OutboxItem{ms[1].ID: want}, gotO)
		// No keys: empty maps, not nil.
		m0, err1 := tx.MessagesByID(nil)
		r0, err2 := tx.RequestsByID([]string{})
		s0, err3 := tx.LastSeqs(self, nil)
		o0, err4 := tx.OutboxItems(nil)
		for _, err := range []error{err1, err2, err3, err4} {
			if err != nil {
				return err
			}
		}
		if m0 == nil || r0 == nil || s0 == nil || o0 == nil || len(m0)+len(r0)+len(s0)+len(o0) != 0 {
			t.Errorf("batch reads of no keys: %v %v %v %v, want empty maps", m0, r0, s0, o0)
		}
		return nil
	})
}

// testBatchLarge: batches larger than one statement holds.
func testBatchLarge(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	const n = 2500
	var es []*accord.Event
	var ms []*accord.Message
	var ids []string
	for i := 1; i <= n; i++ {
		es = append(es, newEvent(request1, i))
		m := newMessage(messageID(peer, i), accord.KindNotification, peer, self, request1, i)
		ms = append(ms, m)
		ids = append(ids, m.ID)
	}
	update(t, s, func(tx accord.Tx) error {
		if err := tx.AddEvents(es); err != nil {
			return err
		}
		return tx.AddMessages(ms)
	})
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Events(request1)
		if err != nil {
			return err
		}
		checkDiff(t, "Events", es, got)
		byID, err := tx.MessagesByID(ids)
		if err != nil {
			return err
		}
		if len(byID) != n {
			t.Errorf("MessagesByID of %d stored ids: %d", n, len(byID))
		}
		last, err := tx.LastSeqs(peer, []string{request1})
		if err != nil {
			return err
		}
		if last[request1] != n {
			t.Errorf("LastSeqs after %d messages: %v", n, last)
		}
		return nil
	})
}

// testBatchAllOrNothing: a batch with one bad row stores none of its rows,
// the error names that row (and the field, for a missing reference), and
// the transaction can go on.
func testBatchAllOrNothing(t *testing.T, s accord.Store) {
	seed(t, s)
	rs, ms, rcs, _ := batchFixture()
	update(t, s, func(tx accord.Tx) error { return tx.AddMessage(ms[2]) })

	// A message id taken: ECONFLICT naming it; the other two not stored.
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddMessages(ms) })
	checkCode(t, "AddMessages with a stored id", err, accord.ECONFLICT)
	if err != nil && !strings.Contains(err.Error(), ms[2].ID) {
		t.Errorf("AddMessages with a stored id: %v does not name %s", err, ms[2].ID)
	}
	// A request whose case does not exist: EINVALID on case_id.
	bad := *rs[1]
	bad.CaseID = "us-cert-C0404"
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.CreateRequests([]*accord.Request{rs[0], &bad}) })
	checkCode(t, "CreateRequests with a missing case", err, accord.EINVALID)
	if ae, ok := err.(*accord.Error); !ok || ae.Field != "case_id" {
		t.Errorf("CreateRequests with a missing case: %#v, want Field case_id", err)
	}
	// The same id twice within one batch.
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.CreateRequests([]*accord.Request{rs[0], rs[0]}) })
	checkCode(t, "CreateRequests with an id twice", err, accord.ECONFLICT)
	// A receipt for a message not stored.
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.AddReceipts(rcs[1:]) })
	checkCode(t, "AddReceipts for a message not stored", err, accord.EINVALID)
	// An event of a request not stored.
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.AddEvents([]*accord.Event{newEvent(rs[0].ID, 1)}) })
	checkCode(t, "AddEvents of a request not stored", err, accord.EINVALID)

	// The failed batch left nothing, and the same transaction went on.
	update(t, s, func(tx accord.Tx) error {
		if err := tx.AddMessages(ms); accord.ErrorCode(err) != accord.ECONFLICT {
			t.Errorf("AddMessages with a stored id: %v", err)
		}
		return tx.AddMessages(ms[:2])
	})
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.MessagesByID([]string{ms[0].ID, ms[1].ID, ms[2].ID})
		if err != nil {
			return err
		}
		if len(got) != 3 {
			t.Errorf("after the failed batch and a good one in one transaction: %d of 3 messages stored", len(got))
		}
		rq, err := tx.RequestsByID([]string{rs[0].ID, rs[1].ID})
		if len(rq) != 0 || err != nil {
			t.Errorf("requests of failed batches stored: %v, %v", rq, err)
		}
		return nil
	})
}

// testSetDelivered: only undelivered items of the ids given change.
func testSetDelivered(t *testing.T, s accord.Store) {
	seed(t, s)
	_, ms, _, _ := batchFixture()
	addMessages(t, s, ms...)
	items := []*accord.OutboxItem{newOutboxItem(ms[0], at(0)), newOutboxItem(ms[1], at(0)), newOutboxItem(ms[2], at(0))}
	items[1].DeliveredAt = at(time.Hour)
	items[1].LastError = ""
	enqueue(t, s, items...)
	when := elsewhere(at(2 * time.Hour))
	update(t, s, func(tx accord.Tx) error {
		return tx.SetDelivered([]string{ms[0].ID, ms[1].ID, "nobody-M0001"}, when)
	})
	got0 := getOutboxItem(t, s, ms[0].ID)
	want0 := *items[0]
	want0.DeliveredAt, want0.LastError = when, ""
	checkDiff(t, "delivered item", &want0, got0)
	checkDiff(t, "item delivered before", items[1], getOutboxItem(t, s, ms[1].ID))
	checkDiff(t, "item not named", items[2], getOutboxItem(t, s, ms[2].ID))
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.SetDelivered([]string{ms[2].ID}, time.Time{}) })
	checkCode(t, "SetDelivered at the zero time", err, accord.EINVALID)
}

func testBatchViewCannotWrite(t *testing.T, s accord.Store) {
	seed(t, s)
	rs, ms, rcs, es := batchFixture()
	for name, fn := range map[string]func(tx accord.Tx) error{
		"CreateRequests": func(tx accord.Tx) error { return tx.CreateRequests(rs) },
		"AddEvents":      func(tx accord.Tx) error { return tx.AddEvents(es) },
		"AddMessages":    func(tx accord.Tx) error { return tx.AddMessages(ms) },
		"AddReceipts":    func(tx accord.Tx) error { return tx.AddReceipts(rcs) },
		"SetDelivered":   func(tx accord.Tx) error { return tx.SetDelivered([]string{ms[0].ID}, at(0)) },
	} {
		checkCode(t, name+" in a View", tryView(s, fn), accord.EINTERNAL)
	}
}
