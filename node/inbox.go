package node

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
)

// Receive implements federation.Node: it applies verified messages from
// peer in one transaction and returns a receipt or an error for each.
func (s *Service) Receive(ctx context.Context, peer string, msgs []*accord.Message) []federation.Result {
	now := s.Now()
	signed := s.presign(peer, msgs, now)
	results := make([]federation.Result, len(msgs))
	var wake bool
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		in, err := s.newInbox(tx, peer, msgs, now)
		if err != nil {
			return err
		}
		for i, m := range msgs {
			rc, err := in.receive(m, signed[i])
			if accord.ErrorCode(err) == accord.EINTERNAL {
				return err // a store failure: abort the whole batch
			}
			results[i] = federation.Result{Receipt: rc, Err: err}
		}
		wake = in.wake
		return in.write()
	})
	if err != nil {
		for i := range results {
			results[i] = federation.Result{Err: err}
		}
		s.log.Error("receive batch", "peer", peer, "messages", len(msgs), "err", err)
		return results
	}
	for i, r := range results {
		if r.Err != nil {
			s.log.Warn("message refused", "peer", peer, "message", msgs[i].ID, "kind", msgs[i].Kind, "request", msgs[i].RequestID, "reason", r.Err.Error())
		}
	}
	if wake {
		s.onEnqueue(peer)
	}
	return results
}

// presign signs, in parallel and before the transaction, the receipt each
// message will get if it is accepted: a receipt depends only on the message
// and the time of receipt, and signing is the costliest step of receiving.
// Receipts of messages that are refused are simply dropped. A receipt that
// could not be signed is nil (receive then signs it itself).
func (s *Service) presign(peer string, msgs []*accord.Message, now time.Time) []*accord.Receipt {
	out := make([]*accord.Receipt, len(msgs))
	if s.sealer == nil {
		return out
	}
	workers := min(runtime.GOMAXPROCS(0), len(msgs))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(msgs); i += workers {
				m := msgs[i]
				rc := &accord.Receipt{MessageID: m.ID, Digest: m.Digest, Sender: peer, Receiver: s.self, ReceivedAt: now}
				if s.sealer.SealReceipt(rc) == nil {
					out[i] = rc
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// inbox applies one batch of messages from a peer inside one transaction.
// It reads what the checks need for the whole batch up front, applies the
// messages one by one to that state as it goes (a message may create a
// request that the next one acts on), and writes the rows of the accepted
// messages together at the end (write), many per statement: one statement
// per row was most of a batch's cost.
type inbox struct {
	s    *Service
	tx   accord.Tx
	peer string
	now  time.Time

	stored   map[string]*accord.Message // messages of the batch's ids stored before it
	accepted map[string]*accord.Receipt // messages of this batch accepted so far, with their receipts
	digests  map[string]string          // their digests
	last     map[string]int             // LastSeq(request, peer), as the batch goes
	requests map[string]*accord.Request // the requests the batch names: stored, or created by it
	created  map[string]bool            // requests created by this batch, not yet stored
	wake     bool                       // something was queued for the peer

	// What write stores, in order.
	messages  []*accord.Message
	newReqs   []*accord.Request
	events    []*accord.Event
	answers   []*accord.Answer
	transfers []*accord.EvidenceTransfer
	receipts  []*accord.Receipt
	records   [][]byte // ledger entries of the new messages and receipts
	shares    []sharedBatch
}

// newInbox reads, in three queries, what the checks of msgs need.
func (s *Service) newInbox(tx accord.Tx, peer string, msgs []*accord.Message, now time.Time) (*inbox, error) {
	ids := make([]string, 0, len(msgs))
	reqs := make([]string, 0, len(msgs))
	for _, m := range msgs {
		ids = append(ids, m.ID)
		reqs = append(reqs, m.RequestID)
	}
	in := &inbox{s: s, tx: tx, peer: peer, now: now,
		accepted: make(map[string]*accord.Receipt, len(msgs)), digests: make(map[string]string, len(msgs)),
		created: map[string]bool{}}
	var err error
	if in.stored, err = tx.MessagesByID(ids); err != nil {
		return nil, err
	}
	if in.last, err = tx.LastSeqs(peer, reqs); err != nil {
		return nil, err
	}
	if in.requests, err = tx.RequestsByID(reqs); err != nil {
		return nil, err
	}
	return in, nil
}

// receive checks one message against the batch's state and, when every
// check passes, stages its rows. A refused message stages nothing.
func (in *inbox) receive(m *accord.Message, rc *accord.Receipt) (*accord.Receipt, error) {
	s, tx, peer, now := in.s, in.tx, in.peer, in.now
	// The same id again, before this batch or within it: a redelivery gets
	// the original receipt, other content is refused.
	if old, ok := in.stored[m.ID]; ok {
		if old.Digest != m.Digest {
			return nil, accord.Errorf(accord.ECONFLICT, "message id %s was already received with other content", m.ID)
		}
		return tx.Receipt(m.ID)
	}
	if first, ok := in.accepted[m.ID]; ok {
		if in.digests[m.ID] != m.Digest {
			return nil, accord.Errorf(accord.ECONFLICT, "message id %s was already received with other content", m.ID)
		}
		return first, nil
	}
	if m.Sender != peer || m.Recipient != s.self {
		return nil, accord.Errorf(accord.EFORBIDDEN, "message %s is from %s to %s, not from %s to %s", m.ID, m.Sender, m.Recipient, peer, s.self)
	}
	last := in.last[m.RequestID]
	switch {
	case m.Seq <= last:
		return nil, accord.Errorf(accord.ECONFLICT, "message %s: seq %d of request %s was already used by another message", m.ID, m.Seq, m.RequestID)
	case m.Seq > last+1:
		return nil, accord.Errorf(accord.EUNAVAILABLE, "message %s is out of order: seq %d, expected %d; retry later", m.ID, m.Seq, last+1)
	}

	var apply func() error
	if m.Kind == accord.KindRequest {
		r, err := in.incomingRequest(m)
		if err != nil {
			return nil, err
		}
		apply = func() error {
			in.requests[r.ID], in.created[r.ID] = r, true
			in.newReqs = append(in.newReqs, r)
			in.events = append(in.events,
				&accord.Event{RequestID: r.ID, Seq: 1, Action: accord.ActionSend, To: accord.StatusSent, Party: peer, At: r.SentAt, RecordedAt: now, Actor: peer},
				&accord.Event{RequestID: r.ID, Seq: 2, Action: accord.ActionDeliver, From: accord.StatusSent, To: accord.StatusDelivered, Party: s.self, At: now, RecordedAt: now, Actor: peer})
			return nil
		}
	} else {
		r := in.requests[m.RequestID]
		if r == nil || (r.From != peer && r.To != peer) {
			return nil, accord.Errorf(accord.EFORBIDDEN, "message %s: %s is not a party to request %s", m.ID, peer, m.RequestID)
		}
		var b stepBody
		if err := decodeStrict(m.Body, &b); err != nil {
			return nil, fmt.Errorf("message %s: %w", m.ID, err)
		}
		if len(b.Objects) > 0 && m.Kind != accord.KindNotification {
			return nil, accord.Errorf(accord.EINVALID, "message %s: a %s message carries no objects (they travel in notifications)", m.ID, m.Kind)
		}
		switch m.Kind {
		case accord.KindNotification:
			sb, err := in.sharedIn(m, r, b.Objects)
			if err != nil {
				return nil, err
			}
			apply = func() error {
				if sb != nil {
					in.shares = append(in.shares, *sb)
				}
				return nil
			}
		case accord.KindQuery:
			apply = func() error {
				in.wake = true
				_, err := s.enqueue(tx, r, peer, accord.KindNotification, stepBody{Status: r.Status, Note: "reply to query " + m.ID}, now)
				return err
			}
		default:
			st, err := stepFromMessage(m.Kind, b)
			if err != nil {
				return nil, fmt.Errorf("message %s: %w", m.ID, err)
			}
			side := st.Action.Side()
			if (side == accord.SideRequested && r.To != peer) || (side == accord.SideRequester && r.From != peer) {
				return nil, accord.Errorf(accord.EFORBIDDEN, "message %s: %s may not %s request %s: that step is the %s's", m.ID, peer, st.Action, r.ID, side)
			}
			if side == accord.SideRequested && r.Status == accord.StatusSent {
				// Our request's receipt is still on its way back to us.
				return nil, accord.Errorf(accord.EUNAVAILABLE, "message %s: the receipt of request %s is not recorded yet; retry later", m.ID, r.ID)
			}
			xs, err := transfersIn(m, b.Evidence)
			if err != nil {
				return nil, err
			}
			next := *r // step changes the request; a refused step must leave it as it was
			e, ans, err := s.step(&next, st, peer, m.CreatedAt, now)
			if err != nil {
				return nil, fmt.Errorf("message %s: %w", m.ID, err)
			}
			apply = func() error {
				*r = next
				if !in.created[r.ID] {
					// A stored request is updated at once; one created by this
					// batch is stored as it ends up.
					if err := tx.UpdateRequest(r); err != nil {
						return err
					}
				}
				in.events = append(in.events, e)
				if ans != nil {
					in.answers = append(in.answers, ans)
				}
				in.transfers = append(in.transfers, xs...)
				in.wake = in.wake || len(xs) > 0 // wakes the peer's loop, which fetches the files
				return nil
			}
		}
	}

	if rc == nil { // presigning failed: try once more, here
		rc = &accord.Receipt{MessageID: m.ID, Digest: m.Digest, Sender: peer, Receiver: s.self, ReceivedAt: now}
		if err := s.sealer.SealReceipt(rc); err != nil {
			return nil, accord.Internal(err, "sign receipt")
		}
	}
	recs, err := ledgerRecords(m, rc)
	if err != nil {
		return nil, internal(err)
	}
	if err := apply(); err != nil {
		return nil, internal(err)
	}
	m.ReceivedAt = now
	in.messages = append(in.messages, m)
	in.receipts = append(in.receipts, rc)
	in.records = append(in.records, recs...)
	in.accepted[m.ID], in.digests[m.ID] = rc, m.Digest
	in.last[m.RequestID] = m.Seq
	return rc, nil
}

// write stores the rows of the accepted messages and appends their ledger
// entries. Messages go first (receipts and evidence transfers refer to
// them), then requests (their events and answers refer to them).
func (in *inbox) write() error {
	tx := in.tx
	if err := tx.AddMessages(in.messages); err != nil {
		return internal(err)
	}
	if err := tx.CreateRequests(in.newReqs); err != nil {
		return internal(err)
	}
	if err := tx.AddEvents(in.events); err != nil {
		return internal(err)
	}
	for _, a := range in.answers {
		if err := tx.AddAnswer(a); err != nil {
			return internal(err)
		}
	}
	for _, x := range in.transfers {
		if err := tx.AddTransfer(x); err != nil {
			return internal(err)
		}
	}
	if err := tx.AddReceipts(in.receipts); err != nil {
		return internal(err)
	}
	if err := in.writeShared(); err != nil {
		return internal(err)
	}
	return appendLedger(tx, in.records)
}

// internal makes any failure after the first write abort the batch: the
// transaction may be half-written, so it must roll back.
func internal(err error) error {
	if accord.ErrorCode(err) == accord.EINTERNAL {
		return err
	}
	return accord.Internal(err, "apply message")
}

// incomingRequest builds the request a request message creates here.
func (in *inbox) incomingRequest(m *accord.Message) (*accord.Request, error) {
	s, peer := in.s, in.peer
	if !strings.HasPrefix(m.RequestID, peer+"-") {
		return nil, accord.Errorf(accord.EFORBIDDEN, "message %s: %s may only name its own requests (%s-…), not %s", m.ID, peer, peer, m.RequestID)
	}
	if in.requests[m.RequestID] != nil {
		return nil, accord.Errorf(accord.ECONFLICT, "message %s: request %s exists already", m.ID, m.RequestID)
	}
	var b requestBody
	if err := decodeStrict(m.Body, &b); err != nil {
		return nil, fmt.Errorf("message %s: %w", m.ID, err)
	}
	now := in.now
	r := &accord.Request{ID: m.RequestID, From: peer, To: s.self, Type: b.Type, Priority: b.Priority,
		Subject: b.Subject, Body: b.Body, LegalBasis: b.LegalBasis, Status: accord.StatusDelivered,
		SentAt: m.CreatedAt, ReceivedAt: now, CreatedBy: peer, CreatedAt: now, UpdatedAt: now, Seq: 2}
	if err := r.ValidateNew(); err != nil {
		return nil, fmt.Errorf("message %s: %w", m.ID, err)
	}
	if err := r.SetDeadlines(s.agreement); err != nil {
		return nil, fmt.Errorf("message %s: %w", m.ID, err)
	}
	if b.AgreementDigest != s.agreement.Digest {
		s.log.Warn("peer applies another agreement file", "peer", peer, "request", r.ID, "theirs", b.AgreementDigest, "ours", s.agreement.Digest)
	}
	return r, nil
}
