package storetest

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

func federationTests() []test {
	return []test{
		{"MessageRoundTrip", testMessageRoundTrip},
		{"MessageZeroFields", testMessageZeroFields},
		{"MessageOrder", testMessageOrder},
		{"MessageWithoutRequest", testMessageWithoutRequest},
		{"MessageDuplicate", testMessageDuplicate},
		{"MessageInvalid", testMessageInvalid},
		{"MessageNotFound", testMessageNotFound},
		{"LastSeq", testLastSeq},
		{"CountMessages", testCountMessages},
		{"ReceiptRoundTrip", testReceiptRoundTrip},
		{"ReceiptDuplicate", testReceiptDuplicate},
		{"ReceiptInvalid", testReceiptInvalid},
		{"ReceiptNotFound", testReceiptNotFound},
		{"CountReceipts", testCountReceipts},
		{"OutboxRoundTrip", testOutboxRoundTrip},
		{"OutboxDuplicate", testOutboxDuplicate},
		{"OutboxInvalid", testOutboxInvalid},
		{"OutboxNotFound", testOutboxNotFound},
		{"DueOutboxOrder", testDueOutboxOrder},
		{"DueOutboxNow", testDueOutboxNow},
		{"DueOutboxLimit", testDueOutboxLimit},
		{"DueMessagesSkip", testDueMessagesSkip},
		{"UpdateOutbox", testUpdateOutbox},
		{"UpdateOutboxMissing", testUpdateOutboxMissing},
		{"PendingOutbox", testPendingOutbox},
		{"RollsBack", testFederationRollsBack},
		{"ViewCannotWrite", testFederationViewCannotWrite},
	}
}

// ---- fixtures ----

// b64 returns the unpadded base64url form of s, as in a JWS.
func b64(s []byte) string { return base64.RawURLEncoding.EncodeToString(s) }

// fakeJWS returns bytes shaped like a JWS compact serialisation of payload.
// The signature is not one: stores keep the bytes and verify nothing.
func fakeJWS(payload []byte) []byte {
	sig := sha512.Sum512(payload)
	return []byte(b64([]byte(`{"alg":"EdDSA","typ":"accord-message+jws"}`)) + "." + b64(payload) + "." + b64(sig[:]))
}

// digestOf returns the hex SHA-256 of jws, as accord.Message.Digest.
func digestOf(jws []byte) string {
	sum := sha256.Sum256(jws)
	return hex.EncodeToString(sum[:])
}

// newMessage returns a message with every field set: the seq-th message
// sender sent to recipient about requestID, received a second after it was
// created. Its body is valid JSON but not canonical (spacing, key order, an
// escape, a trailing zero), so that a store that re-encodes it fails.
func newMessage(id string, kind accord.MessageKind, sender, recipient, requestID string, seq int) *accord.Message {
	body := json.RawMessage(fmt.Sprintf(`{"subject": "Logs «UTF-8» ✓",  "seq":%d, "z": [1, 2.50, null], "a": "caf\u00e9 \"q\""}`, seq))
	jws := fakeJWS(append([]byte(id+"\n"), body...))
	created := at(time.Duration(seq)*time.Minute + time.Duration(seq)*time.Microsecond)
	return &accord.Message{
		ID: id, Kind: kind, Sender: sender, Recipient: recipient, RequestID: requestID, Seq: seq,
		CreatedAt: elsewhere(created), Body: body, JWS: jws, Digest: digestOf(jws),
		ReceivedAt: created.Add(time.Second + time.Microsecond),
	}
}

// newReceipt returns the receipt for m, every field set.
func newReceipt(m *accord.Message) *accord.Receipt {
	jws := fakeJWS([]byte(`{"message_id":"` + m.ID + `","digest":"` + m.Digest + `"}`))
	return &accord.Receipt{
		MessageID: m.ID, Digest: m.Digest, Sender: m.Sender, Receiver: m.Recipient,
		ReceivedAt: elsewhere(m.CreatedAt.Add(2*time.Second + time.Microsecond)), JWS: jws,
	}
}

// newOutboxItem returns the outbox item delivering m to its recipient, every
// field set but DeliveredAt (it waits), due at next.
func newOutboxItem(m *accord.Message, next time.Time) *accord.OutboxItem {
	return &accord.OutboxItem{
		MessageID: m.ID, Peer: m.Recipient, RequestID: m.RequestID, Seq: m.Seq,
		Attempts: 2, NextAttemptAt: next, LastError: "dial tcp 192.0.2.7:8444: connection refused «✓»",
		CreatedAt: elsewhere(m.CreatedAt.Add(time.Microsecond)),
	}
}

// messageID returns the id of the n-th message of sender.
func messageID(sender string, n int) string { return fmt.Sprintf("%s-M%04d", sender, n) }

// addMessages stores msgs in one Update, in order.
func addMessages(t *testing.T, s accord.Store, msgs ...*accord.Message) {
	t.Helper()
	update(t, s, func(tx accord.Tx) error {
		for _, m := range msgs {
			if err := tx.AddMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
}

// enqueue stores the items in one Update, in order.
func enqueue(t *testing.T, s accord.Store, items ...*accord.OutboxItem) {
	t.Helper()
	update(t, s, func(tx accord.Tx) error {
		for _, o := range items {
			if err := tx.Enqueue(o); err != nil {
				return err
			}
		}
		return nil
	})
}

// getMessages returns the messages about requestID, failing the test on an error.
func getMessages(t *testing.T, s accord.Store, requestID string) []*accord.Message {
	t.Helper()
	var got []*accord.Message
	view(t, s, func(tx accord.Tx) (err error) {
		got, err = tx.Messages(requestID)
		return err
	})
	return got
}

// getOutboxItem returns the outbox item of messageID, failing the test on an error.
func getOutboxItem(t *testing.T, s accord.Store, messageID string) *accord.OutboxItem {
	t.Helper()
	var got *accord.OutboxItem
	view(t, s, func(tx accord.Tx) (err error) {
		got, err = tx.OutboxItem(messageID)
		return err
	})
	return got
}

// dueOutbox returns DueOutbox(peer, now, limit), failing the test on an error.
func dueOutbox(t *testing.T, s accord.Store, peer string, now time.Time, limit int) []*accord.OutboxItem {
	t.Helper()
	var got []*accord.OutboxItem
	view(t, s, func(tx accord.Tx) (err error) {
		got, err = tx.DueOutbox(peer, now, limit)
		return err
	})
	if got == nil {
		t.Errorf("DueOutbox(%s, %s, %d) = nil, want a non-nil slice", peer, now.Format(time.RFC3339Nano), limit)
	}
	// DueMessages must return the same items, each with its message.
	var want []accord.DueMessage
	var gotMsgs []accord.DueMessage
	view(t, s, func(tx accord.Tx) (err error) {
		if gotMsgs, err = tx.DueMessages(peer, now, limit, nil); err != nil {
			return err
		}
		want = []accord.DueMessage{}
		for _, o := range got {
			m, err := tx.Message(o.MessageID)
			if err != nil {
				return err
			}
			want = append(want, accord.DueMessage{Item: o, Message: m})
		}
		return nil
	})
	if gotMsgs == nil {
		t.Errorf("DueMessages(%s, %s, %d) = nil, want a non-nil slice", peer, now.Format(time.RFC3339Nano), limit)
	}
	checkDiff(t, "DueMessages", want, gotMsgs)
	return got
}

// outboxIDs returns the message ids of items.
func outboxIDs(items []*accord.OutboxItem) []string {
	ids := []string{}
	for _, o := range items {
		ids = append(ids, o.MessageID)
	}
	return ids
}

// ---- messages ----

func testMessageRoundTrip(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	// One message of every kind, the two parties taking turns, each
	// numbering its own messages: every kind must be storable.
	var msgs []*accord.Message
	seqs := map[string]int{}
	for i, kind := range accord.MessageKinds {
		sender, recipient := self, peer
		if i%2 == 1 {
			sender, recipient = peer, self
		}
		seqs[sender]++
		msgs = append(msgs, newMessage(messageID(sender, seqs[sender]), kind, sender, recipient, request1, seqs[sender]))
	}
	addMessages(t, s, msgs...)
	view(t, s, func(tx accord.Tx) error {
		for _, m := range msgs {
			got, err := tx.Message(m.ID)
			if err != nil {
				t.Fatalf("Message(%s): %v", m.ID, err)
			}
			checkDiff(t, "Message("+m.ID+")", m, got)
			checkUTC(t, "Message("+m.ID+")", got)
			// Spelled out: the signed bytes must come back exactly.
			if string(got.Body) != string(m.Body) {
				t.Errorf("Message(%s).Body = %s, want %s byte for byte", m.ID, got.Body, m.Body)
			}
			if string(got.JWS) != string(m.JWS) {
				t.Errorf("Message(%s).JWS = %q, want %q byte for byte", m.ID, got.JWS, m.JWS)
			}
		}
		got, err := tx.Messages(request1)
		if err != nil {
			t.Fatalf("Messages: %v", err)
		}
		checkDiff(t, "Messages", msgs, got)
		return nil
	})
}

func testMessageZeroFields(t *testing.T, s accord.Store) {
	// What every stored message has: no body, no times (a message sent has
	// no ReceivedAt). The JWS holds every byte value: it is opaque bytes.
	jws := make([]byte, 256)
	for i := range jws {
		jws[i] = byte(i)
	}
	m := &accord.Message{ID: messageID(self, 1), Kind: accord.KindNotification, Sender: self, Recipient: peer,
		RequestID: request1, Seq: 1, JWS: jws, Digest: digestOf(jws)}
	addMessages(t, s, m)
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Message(m.ID)
		if err != nil {
			t.Fatalf("Message(%s): %v", m.ID, err)
		}
		checkDiff(t, "Message with zero fields", m, got)
		if got.Body != nil {
			t.Errorf("Message.Body = %#v, want nil", got.Body)
		}
		if !got.CreatedAt.IsZero() || !got.ReceivedAt.IsZero() {
			t.Errorf("Message: CreatedAt %v, ReceivedAt %v, want zero times", got.CreatedAt, got.ReceivedAt)
		}
		return nil
	})
}

func testMessageOrder(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	const request2 = "us-cert-R0002"
	update(t, s, func(tx accord.Tx) error { return tx.CreateRequest(newRequest(request2, case1, self, peer, at(0))) })
	// The order stored is neither Seq, id, sender nor time order: a peer's
	// later message may arrive first, and one party's clock may run ahead.
	a := newMessage(messageID(peer, 9), accord.KindAnswer, peer, self, request1, 2)
	b := newMessage(messageID(self, 5), accord.KindRequest, self, peer, request1, 1)
	c := newMessage(messageID(peer, 1), accord.KindAcknowledge, peer, self, request1, 1)
	d := newMessage(messageID(self, 2), accord.KindRate, self, peer, request1, 2)
	a.CreatedAt, d.CreatedAt = at(time.Hour), at(-time.Hour)
	other := newMessage(messageID(self, 3), accord.KindRequest, self, peer, request2, 1)
	addMessages(t, s, a, b)
	addMessages(t, s, other)
	addMessages(t, s, c, d)
	checkDiff(t, "Messages(request1) (in the order stored)", []*accord.Message{a, b, c, d}, getMessages(t, s, request1))
	checkDiff(t, "Messages(request2)", []*accord.Message{other}, getMessages(t, s, request2))
	checkEmpty(t, "Messages of a request without messages", getMessages(t, s, "us-cert-R0099"))
}

func testMessageWithoutRequest(t *testing.T, s accord.Store) {
	seed(t, s)
	// A peer's query may name a request this node does not hold, and a
	// request refused on receipt is never stored: its messages still are.
	const unknown = "cncert-R0042"
	q := newMessage(messageID(peer, 1), accord.KindQuery, peer, self, unknown, 1)
	addMessages(t, s, q)
	view(t, s, func(tx accord.Tx) error {
		if _, err := tx.Request(unknown); accord.ErrorCode(err) != accord.ENOTFOUND {
			t.Fatalf("Request(%s) = %v, want ENOTFOUND (the fixture needs a missing request)", unknown, err)
		}
		got, err := tx.Message(q.ID)
		if err != nil {
			t.Fatalf("Message(%s): %v", q.ID, err)
		}
		checkDiff(t, "Message about a request not stored", q, got)
		all, err := tx.Messages(unknown)
		if err != nil {
			t.Fatalf("Messages(%s): %v", unknown, err)
		}
		checkDiff(t, "Messages about a request not stored", []*accord.Message{q}, all)
		n, err := tx.LastSeq(unknown, peer)
		if err != nil || n != 1 {
			t.Errorf("LastSeq(%s, %s) = %d, %v; want 1", unknown, peer, n, err)
		}
		return nil
	})
}

func testMessageDuplicate(t *testing.T, s accord.Store) {
	m := newMessage(messageID(self, 1), accord.KindRequest, self, peer, request1, 1)
	addMessages(t, s, m)

	sameID := newMessage(m.ID, accord.KindClose, peer, self, "us-cert-R0002", 4)
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddMessage(sameID) })
	checkCode(t, "AddMessage with a taken id", err, accord.ECONFLICT)

	sameSeq := newMessage(messageID(self, 2), accord.KindNotification, self, peer, request1, 1)
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.AddMessage(sameSeq) })
	checkCode(t, "AddMessage with a taken (request, sender, seq)", err, accord.ECONFLICT)

	// The same Seq from the other sender, or about another request, is fine.
	otherSender := newMessage(messageID(peer, 1), accord.KindAcknowledge, peer, self, request1, 1)
	otherRequest := newMessage(messageID(self, 3), accord.KindRequest, self, peer, "us-cert-R0002", 1)
	addMessages(t, s, otherSender, otherRequest)

	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Message(m.ID)
		if err != nil {
			t.Fatalf("Message(%s): %v", m.ID, err)
		}
		checkDiff(t, "Message after a refused duplicate", m, got)
		return nil
	})
	checkDiff(t, "Messages(request1) after refused duplicates", []*accord.Message{m, otherSender}, getMessages(t, s, request1))
}

func testMessageInvalid(t *testing.T, s accord.Store) {
	tests := []struct {
		name   string
		change func(m *accord.Message)
	}{
		{"empty id", func(m *accord.Message) { m.ID = "" }},
		{"unknown kind", func(m *accord.Message) { m.Kind = "gossip" }},
		{"empty kind", func(m *accord.Message) { m.Kind = "" }},
		{"Seq 0", func(m *accord.Message) { m.Seq = 0 }},
		{"no JWS", func(m *accord.Message) { m.JWS = nil }},
		{"no digest", func(m *accord.Message) { m.Digest = "" }},
		{"a body that is not JSON", func(m *accord.Message) { m.Body = json.RawMessage(`{"subject": `) }},
	}
	for _, tc := range tests {
		m := newMessage(messageID(self, 1), accord.KindRequest, self, peer, request1, 1)
		tc.change(m)
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddMessage(m) })
		checkCode(t, "AddMessage with "+tc.name, err, accord.EINVALID)
	}
	view(t, s, func(tx accord.Tx) error {
		if n, err := tx.CountMessages(""); err != nil || n != 0 {
			t.Errorf("CountMessages after refused messages = %d, %v; want 0", n, err)
		}
		return nil
	})
}

func testMessageNotFound(t *testing.T, s accord.Store) {
	addMessages(t, s, newMessage(messageID(self, 1), accord.KindRequest, self, peer, request1, 1))
	missing := messageID(self, 99)
	err := tryView(s, func(tx accord.Tx) error {
		m, err := tx.Message(missing)
		if m != nil {
			t.Errorf("Message(%s) = %+v, want nil", missing, m)
		}
		return err
	})
	checkCode(t, "Message("+missing+")", err, accord.ENOTFOUND)
	checkMessage(t, "Message("+missing+")", err, missing)
}

func testLastSeq(t *testing.T, s accord.Store) {
	view(t, s, func(tx accord.Tx) error {
		if n, err := tx.LastSeq(request1, self); err != nil || n != 0 {
			t.Errorf("LastSeq of an empty store = %d, %v; want 0", n, err)
		}
		return nil
	})
	const request2 = "us-cert-R0002"
	var msgs []*accord.Message
	n := 0
	add := func(sender, recipient, requestID string, seq int) {
		n++
		msgs = append(msgs, newMessage(messageID(sender, n), accord.KindNotification, sender, recipient, requestID, seq))
	}
	// Not in Seq order, with a gap: the highest stored, not the count or the last stored.
	add(self, peer, request1, 3)
	add(self, peer, request1, 1)
	add(peer, self, request1, 5)
	add(self, peer, request1, 2)
	add(peer, self, request1, 1)
	add(self, peer, request2, 1)
	addMessages(t, s, msgs...)
	tests := []struct {
		requestID, sender string
		want              int
	}{
		{request1, self, 3},
		{request1, peer, 5},
		{request2, self, 1},
		{request2, peer, 0},
		{request1, local, 0},
		{"us-cert-R0099", self, 0},
	}
	view(t, s, func(tx accord.Tx) error {
		for _, tc := range tests {
			got, err := tx.LastSeq(tc.requestID, tc.sender)
			if err != nil {
				t.Fatalf("LastSeq(%s, %s): %v", tc.requestID, tc.sender, err)
			}
			if got != tc.want {
				t.Errorf("LastSeq(%s, %s) = %d, want %d", tc.requestID, tc.sender, got, tc.want)
			}
		}
		return nil
	})
}

func testCountMessages(t *testing.T, s accord.Store) {
	view(t, s, func(tx accord.Tx) error {
		if n, err := tx.CountMessages(""); err != nil || n != 0 {
			t.Errorf("CountMessages(\"\") of an empty store = %d, %v; want 0", n, err)
		}
		return nil
	})
	addMessages(t, s,
		newMessage(messageID(self, 1), accord.KindRequest, self, peer, request1, 1),
		newMessage(messageID(peer, 1), accord.KindAcknowledge, peer, self, request1, 1),
		newMessage(messageID(self, 2), accord.KindRequest, self, local, "us-cert-R0002", 1),
		newMessage(messageID(self, 3), accord.KindClose, self, peer, request1, 2),
	)
	tests := []struct {
		sender string
		want   int
	}{{"", 4}, {self, 3}, {peer, 1}, {local, 0}}
	view(t, s, func(tx accord.Tx) error {
		for _, tc := range tests {
			got, err := tx.CountMessages(tc.sender)
			if err != nil {
				t.Fatalf("CountMessages(%q): %v", tc.sender, err)
			}
			if got != tc.want {
				t.Errorf("CountMessages(%q) = %d, want %d", tc.sender, got, tc.want)
			}
		}
		return nil
	})
}

// ---- receipts ----

func testReceiptRoundTrip(t *testing.T, s accord.Store) {
	sent := newMessage(messageID(self, 1), accord.KindRequest, self, peer, request1, 1)
	sent.ReceivedAt = time.Time{}
	received := newMessage(messageID(peer, 1), accord.KindAcknowledge, peer, self, request1, 1)
	addMessages(t, s, sent, received)
	// The peer's receipt for what this node sent, and this node's receipt
	// for what it received.
	theirs, ours := newReceipt(sent), newReceipt(received)
	update(t, s, func(tx accord.Tx) error {
		if err := tx.AddReceipt(theirs); err != nil {
			return err
		}
		return tx.AddReceipt(ours)
	})
	view(t, s, func(tx accord.Tx) error {
		for _, r := range []*accord.Receipt{theirs, ours} {
			got, err := tx.Receipt(r.MessageID)
			if err != nil {
				t.Fatalf("Receipt(%s): %v", r.MessageID, err)
			}
			checkDiff(t, "Receipt("+r.MessageID+")", r, got)
			checkUTC(t, "Receipt("+r.MessageID+")", got)
		}
		return nil
	})
}

func testReceiptDuplicate(t *testing.T, s accord.Store) {
	m := newMessage(messageID(self, 1), accord.KindRequest, self, peer, request1, 1)
	addMessages(t, s, m)
	r := newReceipt(m)
	update(t, s, func(tx accord.Tx) error { return tx.AddReceipt(r) })
	again := newReceipt(m)
	again.ReceivedAt, again.JWS = at(time.Hour), fakeJWS([]byte("another receipt"))
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddReceipt(again) })
	checkCode(t, "AddReceipt for a message with a receipt", err, accord.ECONFLICT)
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Receipt(m.ID)
		if err != nil {
			t.Fatalf("Receipt(%s): %v", m.ID, err)
		}
		checkDiff(t, "Receipt after a refused duplicate", r, got)
		return nil
	})
}

func testReceiptInvalid(t *testing.T, s accord.Store) {
	m := newMessage(messageID(self, 1), accord.KindRequest, self, peer, request1, 1)
	addMessages(t, s, m)
	tests := []struct {
		name   string
		change func(r *accord.Receipt)
	}{
		{"a message not stored", func(r *accord.Receipt) { r.MessageID = messageID(self, 99) }},
		{"no JWS", func(r *accord.Receipt) { r.JWS = nil }},
	}
	for _, tc := range tests {
		r := newReceipt(m)
		tc.change(r)
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddReceipt(r) })
		checkCode(t, "AddReceipt with "+tc.name, err, accord.EINVALID)
	}
	view(t, s, func(tx accord.Tx) error {
		if n, err := tx.CountReceipts(""); err != nil || n != 0 {
			t.Errorf("CountReceipts after refused receipts = %d, %v; want 0", n, err)
		}
		return nil
	})
}

func testReceiptNotFound(t *testing.T, s accord.Store) {
	stored := messageID(self, 1)
	addMessages(t, s, newMessage(stored, accord.KindRequest, self, peer, request1, 1))
	for _, id := range []string{stored, messageID(self, 99)} { // with and without a message
		err := tryView(s, func(tx accord.Tx) error {
			r, err := tx.Receipt(id)
			if r != nil {
				t.Errorf("Receipt(%s) = %+v, want nil", id, r)
			}
			return err
		})
		checkCode(t, "Receipt("+id+")", err, accord.ENOTFOUND)
		checkMessage(t, "Receipt("+id+")", err, id)
	}
}

func testCountReceipts(t *testing.T, s accord.Store) {
	view(t, s, func(tx accord.Tx) error {
		if n, err := tx.CountReceipts(""); err != nil || n != 0 {
			t.Errorf("CountReceipts(\"\") of an empty store = %d, %v; want 0", n, err)
		}
		return nil
	})
	msgs := []*accord.Message{
		newMessage(messageID(self, 1), accord.KindRequest, self, peer, request1, 1),
		newMessage(messageID(self, 2), accord.KindClose, self, peer, request1, 2),
		newMessage(messageID(peer, 1), accord.KindAcknowledge, peer, self, request1, 1),
		newMessage(messageID(self, 3), accord.KindRequest, self, local, "us-cert-R0002", 1),
		newMessage(messageID(self, 4), accord.KindRequest, self, peer, "us-cert-R0003", 1), // no receipt yet
	}
	addMessages(t, s, msgs...)
	update(t, s, func(tx accord.Tx) error {
		for _, m := range msgs[:4] {
			if err := tx.AddReceipt(newReceipt(m)); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		receiver string
		want     int
	}{{"", 4}, {peer, 2}, {self, 1}, {local, 1}, {"kcert", 0}}
	view(t, s, func(tx accord.Tx) error {
		for _, tc := range tests {
			got, err := tx.CountReceipts(tc.receiver)
			if err != nil {
				t.Fatalf("CountReceipts(%q): %v", tc.receiver, err)
			}
			if got != tc.want {
				t.Errorf("CountReceipts(%q) = %d, want %d", tc.receiver, got, tc.want)
			}
		}
		return nil
	})
}

// ---- outbox ----

func testOutboxRoundTrip(t *testing.T, s accord.Store) {
	waiting := newMessage(messageID(self, 1), accord.KindRequest, self, peer, request1, 1)
	delivered := newMessage(messageID(self, 2), accord.KindClose, self, peer, request1, 2)
	addMessages(t, s, waiting, delivered)
	w := newOutboxItem(waiting, elsewhere(at(time.Hour)))
	d := newOutboxItem(delivered, at(2*time.Hour))
	d.DeliveredAt = elsewhere(at(3*time.Hour + time.Microsecond))
	enqueue(t, s, w, d)
	for _, o := range []*accord.OutboxItem{w, d} {
		got := getOutboxItem(t, s, o.MessageID)
		checkDiff(t, "OutboxItem("+o.MessageID+")", o, got)
		checkUTC(t, "OutboxItem("+o.MessageID+")", got)
	}
	got := dueOutbox(t, s, peer, at(24*time.Hour), 10)
	checkDiff(t, "DueOutbox", []*accord.OutboxItem{w}, got)
	for _, o := range got {
		checkUTC(t, "DueOutbox", o)
	}
}

func testOutboxDuplicate(t *testing.T, s accord.Store) {
	waiting := newMessage(messageID(self, 1), accord.KindRequest, self, peer, request1, 1)
	delivered := newMessage(messageID(self, 2), accord.KindClose, self, peer, request1, 2)
	addMessages(t, s, waiting, delivered)
	w, d := newOutboxItem(waiting, at(0)), newOutboxItem(delivered, at(0))
	d.DeliveredAt = at(time.Hour)
	enqueue(t, s, w, d)
	for _, o := range []*accord.OutboxItem{w, d} {
		again := *o
		again.Attempts, again.DeliveredAt = 0, time.Time{}
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.Enqueue(&again) })
		checkCode(t, "Enqueue of a message queued already", err, accord.ECONFLICT)
		checkDiff(t, "OutboxItem after a refused Enqueue", o, getOutboxItem(t, s, o.MessageID))
	}
}

func testOutboxInvalid(t *testing.T, s accord.Store) {
	m := newMessage(messageID(self, 1), accord.KindRequest, self, peer, request1, 1)
	addMessages(t, s, m)
	tests := []struct {
		name   string
		change func(o *accord.OutboxItem)
	}{
		{"a message not stored", func(o *accord.OutboxItem) { o.MessageID = messageID(self, 99) }},
		{"no peer", func(o *accord.OutboxItem) { o.Peer = "" }},
		{"Seq 0", func(o *accord.OutboxItem) { o.Seq = 0 }},
		{"negative attempts", func(o *accord.OutboxItem) { o.Attempts = -1 }},
	}
	for _, tc := range tests {
		o := newOutboxItem(m, at(0))
		tc.change(o)
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.Enqueue(o) })
		checkCode(t, "Enqueue with "+tc.name, err, accord.EINVALID)
	}
	view(t, s, func(tx accord.Tx) error {
		if n, err := tx.PendingOutbox(""); err != nil || n != 0 {
			t.Errorf("PendingOutbox after refused items = %d, %v; want 0", n, err)
		}
		return nil
	})
}

func testOutboxNotFound(t *testing.T, s accord.Store) {
	stored := messageID(self, 1)
	addMessages(t, s, newMessage(stored, accord.KindRequest, self, peer, request1, 1))
	for _, id := range []string{stored, messageID(self, 99)} { // a message never enqueued, and no message
		err := tryView(s, func(tx accord.Tx) error {
			o, err := tx.OutboxItem(id)
			if o != nil {
				t.Errorf("OutboxItem(%s) = %+v, want nil", id, o)
			}
			return err
		})
		checkCode(t, "OutboxItem("+id+")", err, accord.ENOTFOUND)
		checkMessage(t, "OutboxItem("+id+")", err, id)
	}
}

// outboxFixture stores n messages from self to peer about request1 and
// returns them, in order.
func outboxFixture(t *testing.T, s accord.Store, n int) []*accord.Message {
	t.Helper()
	var msgs []*accord.Message
	for i := range n {
		// Ids descending, so that id order cannot pass for enqueue order.
		msgs = append(msgs, newMessage(messageID(self, 100-i), accord.KindNotification, self, peer, request1, i+1))
	}
	addMessages(t, s, msgs...)
	return msgs
}

func testDueOutboxOrder(t *testing.T, s accord.Store) {
	m := outboxFixture(t, s, 6)
	toLocal := newMessage(messageID(self, 1), accord.KindRequest, self, local, "us-cert-R0002", 1)
	addMessages(t, s, toLocal)
	h := time.Hour
	// Enqueue order differs from NextAttemptAt order: a retry pushed into the
	// future must not let later messages overtake it once it is due.
	items := []*accord.OutboxItem{
		newOutboxItem(m[0], at(3*h)),
		newOutboxItem(m[1], at(1*h)),
		newOutboxItem(m[2], at(2*h)),
		newOutboxItem(m[3], at(9*h)), // not due
		newOutboxItem(m[4], at(0)),   // delivered
		newOutboxItem(m[5], at(-h)),
	}
	items[4].DeliveredAt = at(h)
	enqueue(t, s, items[0], items[1])
	enqueue(t, s, newOutboxItem(toLocal, at(0))) // another peer's
	enqueue(t, s, items[2], items[3], items[4], items[5])

	now := at(5 * h)
	got := dueOutbox(t, s, peer, now, 10)
	checkDiff(t, "DueOutbox (in enqueue order)", []*accord.OutboxItem{items[0], items[1], items[2], items[5]}, got)
	checkDiff(t, "DueOutbox of the other peer", []string{toLocal.ID}, outboxIDs(dueOutbox(t, s, local, now, 10)))
	checkEmpty(t, "DueOutbox of a peer without items", dueOutbox(t, s, "kcert", now, 10))
	checkEmpty(t, "DueOutbox before anything is due", dueOutbox(t, s, peer, at(-2*h), 10))
	// Once due, the waiting item takes its place in enqueue order.
	checkDiff(t, "DueOutbox when everything is due", []string{m[0].ID, m[1].ID, m[2].ID, m[3].ID, m[5].ID},
		outboxIDs(dueOutbox(t, s, peer, at(10*h), 10)))
}

func testDueOutboxNow(t *testing.T, s accord.Store) {
	m := outboxFixture(t, s, 2)
	T := at(100 * time.Hour)
	item := newOutboxItem(m[0], elsewhere(T))
	// A zero NextAttemptAt is not after any instant: due at once.
	now := newOutboxItem(m[1], time.Time{})
	enqueue(t, s, item, now)
	us := time.Microsecond
	tests := []struct {
		name string
		at   time.Time
		want []string
	}{
		{"T-1h", T.Add(-time.Hour), []string{now.MessageID}},
		{"T-1µs", T.Add(-us), []string{now.MessageID}},
		{"T-1ns", T.Add(-time.Nanosecond), []string{now.MessageID}},
		{"T", T, []string{item.MessageID, now.MessageID}},
		{"T in another zone", elsewhere(T), []string{item.MessageID, now.MessageID}},
		{"T+1ns", T.Add(time.Nanosecond), []string{item.MessageID, now.MessageID}},
		{"T+1µs", T.Add(us), []string{item.MessageID, now.MessageID}},
	}
	for _, tc := range tests {
		checkDiff(t, "DueOutbox at "+tc.name, tc.want, outboxIDs(dueOutbox(t, s, peer, tc.at, 10)))
	}
	got := getOutboxItem(t, s, now.MessageID)
	if !got.NextAttemptAt.IsZero() {
		t.Errorf("OutboxItem(%s).NextAttemptAt = %v, want the zero time", now.MessageID, got.NextAttemptAt)
	}
}

func testDueMessagesSkip(t *testing.T, s accord.Store) {
	// Six messages, of three requests in turn (a message's request need not
	// be stored).
	reqs := []string{request1, "us-cert-R0002", "us-cert-R0003"}
	var msgs []*accord.Message
	for i := range 6 {
		msgs = append(msgs, newMessage(messageID(self, 100-i), accord.KindNotification, self, peer, reqs[i%3], i/3+1))
	}
	addMessages(t, s, msgs...)
	for _, m := range msgs {
		enqueue(t, s, newOutboxItem(m, at(0)))
	}
	now := at(time.Hour)
	tests := []struct {
		limit int
		skip  []string
		want  []*accord.Message
	}{
		{0, nil, msgs},
		{0, []string{}, msgs},
		{0, []string{request1}, []*accord.Message{msgs[1], msgs[2], msgs[4], msgs[5]}},
		{2, []string{request1}, []*accord.Message{msgs[1], msgs[2]}}, // the limit counts what is left
		{0, []string{request1, "us-cert-R0003"}, []*accord.Message{msgs[1], msgs[4]}},
		{0, []string{"us-cert-R0009"}, msgs},
		{0, reqs, nil},
	}
	for _, tc := range tests {
		var got []accord.DueMessage
		view(t, s, func(tx accord.Tx) (err error) {
			got, err = tx.DueMessages(peer, now, tc.limit, tc.skip)
			return err
		})
		call := fmt.Sprintf("DueMessages(limit %d, skipping %q)", tc.limit, tc.skip)
		if got == nil {
			t.Errorf("%s = nil, want a non-nil slice", call)
		}
		var gotIDs, wantIDs []string
		for _, d := range got {
			gotIDs = append(gotIDs, d.Item.MessageID)
			if d.Message == nil || d.Message.ID != d.Item.MessageID {
				t.Errorf("%s: item %s comes with message %+v", call, d.Item.MessageID, d.Message)
			}
		}
		for _, m := range tc.want {
			wantIDs = append(wantIDs, m.ID)
		}
		checkDiff(t, call, wantIDs, gotIDs)
	}
}

func testDueOutboxLimit(t *testing.T, s accord.Store) {
	m := outboxFixture(t, s, 6)
	// Items that are not due do not count towards the limit.
	var items []*accord.OutboxItem
	for i, msg := range m {
		next := at(0)
		if i == 1 || i == 4 {
			next = at(48 * time.Hour)
		}
		items = append(items, newOutboxItem(msg, next))
	}
	enqueue(t, s, items...)
	now := at(time.Hour)
	due := []string{m[0].ID, m[2].ID, m[3].ID, m[5].ID}
	tests := []struct {
		limit int
		want  []string
	}{
		{1, due[:1]},
		{2, due[:2]},
		{3, due[:3]},
		{4, due},
		{100, due},
		{0, due}, // no limit
	}
	for _, tc := range tests {
		checkDiff(t, fmt.Sprintf("DueOutbox with limit %d", tc.limit), tc.want, outboxIDs(dueOutbox(t, s, peer, now, tc.limit)))
	}
	err := tryView(s, func(tx accord.Tx) error { _, err := tx.DueOutbox(peer, now, -1); return err })
	checkCode(t, "DueOutbox with limit -1", err, accord.EINVALID)
	err = tryView(s, func(tx accord.Tx) error { _, err := tx.DueMessages(peer, now, -1, nil); return err })
	checkCode(t, "DueMessages with limit -1", err, accord.EINVALID)
}

func testUpdateOutbox(t *testing.T, s accord.Store) {
	m := outboxFixture(t, s, 2)
	o, other := newOutboxItem(m[0], at(0)), newOutboxItem(m[1], at(0))
	enqueue(t, s, o, other)

	// A failed attempt: the fields UpdateOutbox stores change, the others
	// keep their stored values whatever the argument says.
	failed := *o
	failed.Attempts, failed.NextAttemptAt, failed.LastError = 3, elsewhere(at(2*time.Hour+time.Microsecond)), "peer answered 503"
	arg := failed
	arg.Peer, arg.RequestID, arg.Seq, arg.CreatedAt = local, "us-cert-R0099", 9, at(time.Hour)
	update(t, s, func(tx accord.Tx) error { return tx.UpdateOutbox(&arg) })
	checkDiff(t, "OutboxItem after a failed attempt", &failed, getOutboxItem(t, s, o.MessageID))
	checkDiff(t, "DueOutbox before the next attempt", []string{other.MessageID}, outboxIDs(dueOutbox(t, s, peer, at(time.Hour), 10)))
	checkDiff(t, "DueOutbox at the next attempt", []string{o.MessageID, other.MessageID},
		outboxIDs(dueOutbox(t, s, peer, failed.NextAttemptAt, 10)))
	checkDiff(t, "the other OutboxItem", other, getOutboxItem(t, s, other.MessageID))

	// Delivered: off the queue, kept with its DeliveredAt; the last error
	// cleared.
	done := failed
	done.Attempts, done.LastError, done.DeliveredAt = 4, "", elsewhere(at(3*time.Hour))
	update(t, s, func(tx accord.Tx) error { return tx.UpdateOutbox(&done) })
	got := getOutboxItem(t, s, o.MessageID)
	checkDiff(t, "OutboxItem after delivery", &done, got)
	checkUTC(t, "OutboxItem after delivery", got)
	checkDiff(t, "DueOutbox after delivery", []string{other.MessageID}, outboxIDs(dueOutbox(t, s, peer, at(24*time.Hour), 10)))
	view(t, s, func(tx accord.Tx) error {
		if n, err := tx.PendingOutbox(peer); err != nil || n != 1 {
			t.Errorf("PendingOutbox(%s) after delivery = %d, %v; want 1", peer, n, err)
		}
		return nil
	})
}

func testUpdateOutboxMissing(t *testing.T, s accord.Store) {
	m := outboxFixture(t, s, 1)
	o := newOutboxItem(m[0], at(0))
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.UpdateOutbox(o) })
	checkCode(t, "UpdateOutbox of a message never enqueued", err, accord.ENOTFOUND)
	checkMessage(t, "UpdateOutbox of a message never enqueued", err, o.MessageID)
	view(t, s, func(tx accord.Tx) error {
		if n, err := tx.PendingOutbox(""); err != nil || n != 0 {
			t.Errorf("PendingOutbox after UpdateOutbox of a missing item = %d, %v; want 0", n, err)
		}
		return nil
	})
}

func testPendingOutbox(t *testing.T, s accord.Store) {
	view(t, s, func(tx accord.Tx) error {
		if n, err := tx.PendingOutbox(""); err != nil || n != 0 {
			t.Errorf("PendingOutbox(\"\") of an empty store = %d, %v; want 0", n, err)
		}
		return nil
	})
	m := outboxFixture(t, s, 4)
	toLocal := newMessage(messageID(self, 1), accord.KindRequest, self, local, "us-cert-R0002", 1)
	addMessages(t, s, toLocal)
	items := []*accord.OutboxItem{
		newOutboxItem(m[0], at(0)),              // due
		newOutboxItem(m[1], at(1000*time.Hour)), // not due: pending all the same
		newOutboxItem(m[2], at(0)),              // delivered
		newOutboxItem(m[3], time.Time{}),
		newOutboxItem(toLocal, at(0)),
	}
	items[2].DeliveredAt = at(time.Hour)
	enqueue(t, s, items...)
	tests := []struct {
		peer string
		want int
	}{{"", 4}, {peer, 3}, {local, 1}, {self, 0}}
	view(t, s, func(tx accord.Tx) error {
		for _, tc := range tests {
			got, err := tx.PendingOutbox(tc.peer)
			if err != nil {
				t.Fatalf("PendingOutbox(%q): %v", tc.peer, err)
			}
			if got != tc.want {
				t.Errorf("PendingOutbox(%q) = %d, want %d", tc.peer, got, tc.want)
			}
		}
		return nil
	})
}

// ---- transactions ----

func testFederationRollsBack(t *testing.T, s accord.Store) {
	kept := newMessage(messageID(self, 1), accord.KindRequest, self, peer, request1, 1)
	addMessages(t, s, kept)
	keptItem := newOutboxItem(kept, at(0))
	enqueue(t, s, keptItem)

	m := newMessage(messageID(self, 2), accord.KindClose, self, peer, request1, 2)
	errAbort := errors.New("abort")
	err := s.Update(context.Background(), func(tx accord.Tx) error {
		// A step and its message, queued, and a receipt for the earlier one,
		// delivered: all in one transaction that then fails.
		if err := tx.AddMessage(m); err != nil {
			t.Errorf("AddMessage: %v", err)
		}
		if err := tx.Enqueue(newOutboxItem(m, at(0))); err != nil {
			t.Errorf("Enqueue: %v", err)
		}
		if err := tx.AddReceipt(newReceipt(kept)); err != nil {
			t.Errorf("AddReceipt: %v", err)
		}
		delivered := *keptItem
		delivered.DeliveredAt = at(time.Hour)
		if err := tx.UpdateOutbox(&delivered); err != nil {
			t.Errorf("UpdateOutbox: %v", err)
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	view(t, s, func(tx accord.Tx) error {
		if _, err := tx.Message(m.ID); accord.ErrorCode(err) != accord.ENOTFOUND {
			t.Errorf("Message(%s) after a failed Update = %v, want ENOTFOUND", m.ID, err)
		}
		if _, err := tx.OutboxItem(m.ID); accord.ErrorCode(err) != accord.ENOTFOUND {
			t.Errorf("OutboxItem(%s) after a failed Update = %v, want ENOTFOUND", m.ID, err)
		}
		if _, err := tx.Receipt(kept.ID); accord.ErrorCode(err) != accord.ENOTFOUND {
			t.Errorf("Receipt(%s) after a failed Update = %v, want ENOTFOUND", kept.ID, err)
		}
		if n, err := tx.LastSeq(request1, self); err != nil || n != 1 {
			t.Errorf("LastSeq after a failed Update = %d, %v; want 1", n, err)
		}
		if n, err := tx.CountMessages(""); err != nil || n != 1 {
			t.Errorf("CountMessages after a failed Update = %d, %v; want 1", n, err)
		}
		if n, err := tx.PendingOutbox(""); err != nil || n != 1 {
			t.Errorf("PendingOutbox after a failed Update = %d, %v; want 1", n, err)
		}
		return nil
	})
	checkDiff(t, "OutboxItem after a failed Update", keptItem, getOutboxItem(t, s, kept.ID))
	checkDiff(t, "Messages after a failed Update", []*accord.Message{kept}, getMessages(t, s, request1))
}

func testFederationViewCannotWrite(t *testing.T, s accord.Store) {
	kept := newMessage(messageID(self, 1), accord.KindRequest, self, peer, request1, 1)
	addMessages(t, s, kept)
	keptItem := newOutboxItem(kept, at(0))
	enqueue(t, s, keptItem)
	m := newMessage(messageID(self, 2), accord.KindClose, self, peer, request1, 2)
	writes := []struct {
		name string
		fn   func(tx accord.Tx) error
	}{
		{"AddMessage", func(tx accord.Tx) error { return tx.AddMessage(m) }},
		{"AddReceipt", func(tx accord.Tx) error { return tx.AddReceipt(newReceipt(kept)) }},
		{"Enqueue", func(tx accord.Tx) error { return tx.Enqueue(newOutboxItem(m, at(0))) }},
		{"UpdateOutbox", func(tx accord.Tx) error {
			o := *keptItem
			o.DeliveredAt = at(time.Hour)
			return tx.UpdateOutbox(&o)
		}},
	}
	for _, w := range writes {
		if err := tryView(s, w.fn); err == nil {
			t.Errorf("%s in a View succeeded, want an error", w.name)
		}
	}
	checkDiff(t, "Messages after writes in a View", []*accord.Message{kept}, getMessages(t, s, request1))
	checkDiff(t, "OutboxItem after writes in a View", keptItem, getOutboxItem(t, s, kept.ID))
	view(t, s, func(tx accord.Tx) error {
		if n, err := tx.CountReceipts(""); err != nil || n != 0 {
			t.Errorf("CountReceipts after AddReceipt in a View = %d, %v; want 0", n, err)
		}
		return nil
	})
}
