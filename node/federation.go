package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
)

// Service implements federation.Node.
var _ federation.Node = (*Service)(nil)

// requestBody is the body of a request message: what the requested party
// needs to act on the request. The requester's case stays on its node.
type requestBody struct {
	Type            accord.RequestType `json:"type"`
	Priority        accord.Priority    `json:"priority"`
	Subject         string             `json:"subject"`
	Body            string             `json:"body,omitempty"`
	LegalBasis      string             `json:"legal_basis,omitempty"`
	AgreementDigest string             `json:"agreement_digest"`
}

// stepBody is the body of every other message kind; each kind uses the
// fields its step needs.
type stepBody struct {
	Note    string `json:"note,omitempty"`
	Ground  string `json:"ground,omitempty"`
	Text    string `json:"text,omitempty"`
	Answer  string `json:"answer,omitempty"`
	Final   bool   `json:"final,omitempty"`
	Score   int    `json:"score,omitempty"`
	Comment string `json:"comment,omitempty"`
	// Status is a notification's report of the sender's view of the request.
	Status accord.Status `json:"status,omitempty"`
	// Evidence lists the files attached to an answer, for the recipient
	// to fetch and check.
	Evidence []evidenceRef `json:"evidence,omitempty"`
}

// evidenceRef describes an item of evidence attached to an answer: the
// sender's id for it, and the file's SHA-256 and size.
type evidenceRef struct {
	ID          string `json:"id"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// kindOf maps a lifecycle action to the message that carries it.
var kindOf = map[accord.Action]accord.MessageKind{
	accord.ActionAcknowledge:   accord.KindAcknowledge,
	accord.ActionAccept:        accord.KindAccept,
	accord.ActionDecline:       accord.KindDecline,
	accord.ActionAnswerPartial: accord.KindAnswer,
	accord.ActionAnswerFinal:   accord.KindAnswer,
	accord.ActionRate:          accord.KindRate,
	accord.ActionWithdraw:      accord.KindWithdraw,
	accord.ActionClose:         accord.KindClose,
}

// enqueue signs a message about r for the peer and queues it, inside tx.
func (s *Service) enqueue(tx accord.Tx, r *accord.Request, peer string, kind accord.MessageKind, body any, now time.Time) (*accord.Message, error) {
	if s.sealer == nil {
		return nil, accord.Errorf(accord.EUNAVAILABLE, "this node has no signing identity: it cannot exchange messages with %s", peer)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, accord.Internal(err, "encode %s message", kind)
	}
	last, err := tx.LastSeq(r.ID, s.self)
	if err != nil {
		return nil, err
	}
	m := &accord.Message{ID: uuid.NewString(), Kind: kind, Sender: s.self, Recipient: peer, RequestID: r.ID,
		Seq: last + 1, CreatedAt: now, Body: raw}
	if err := s.sealer.Seal(m); err != nil {
		return nil, fmt.Errorf("sign %s message: %w", kind, err)
	}
	if err := tx.AddMessage(m); err != nil {
		return nil, err
	}
	rec, err := messageRecord(m)
	if err != nil {
		return nil, err
	}
	if err := appendLedger(tx, [][]byte{rec}); err != nil {
		return nil, err
	}
	return m, tx.Enqueue(&accord.OutboxItem{MessageID: m.ID, Peer: peer, RequestID: r.ID, Seq: m.Seq,
		NextAttemptAt: time.Now().UTC().Truncate(time.Microsecond), CreatedAt: now})
}

// stepMessage returns the message kind and body that carry step st.
func stepMessage(st Step) (accord.MessageKind, stepBody) {
	b := stepBody{Note: strings.TrimSpace(st.Note)}
	switch st.Action {
	case accord.ActionDecline:
		b.Ground, b.Text = st.Ground, strings.TrimSpace(st.Text)
	case accord.ActionAnswerPartial, accord.ActionAnswerFinal:
		b.Answer, b.Final = strings.TrimSpace(st.Body), st.Action == accord.ActionAnswerFinal
	case accord.ActionRate:
		b.Score, b.Comment = st.Score, strings.TrimSpace(st.Comment)
	}
	return kindOf[st.Action], b
}

// Peers returns the parties of kind peer.
func (s *Service) Peers(ctx context.Context) ([]*accord.Party, error) {
	var out []*accord.Party
	err := s.store.View(ctx, func(tx accord.Tx) error {
		all, err := tx.Parties()
		for _, p := range all {
			if p.Kind == accord.PartyPeer {
				out = append(out, p)
			}
		}
		return err
	})
	return out, err
}

// AddPeer trusts another party's node from its card: the party becomes a
// peer, replacing a locally registered party of the same id (whose steps
// were recorded by hand). Needs PermAdmin. ECONFLICT for this node's own id.
func (s *Service) AddPeer(ctx context.Context, actor accord.Actor, p accord.Party) (*accord.Party, error) {
	if err := actor.Require(accord.PermAdmin); err != nil {
		return nil, err
	}
	if p.ID == s.self {
		return nil, accord.Errorf(accord.ECONFLICT, "the card is this node's own (%s)", p.ID)
	}
	p.Kind = accord.PartyPeer
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(p.SigningKey) == 0 || len(p.TLSCert) == 0 || p.FederationURL == "" {
		return nil, accord.FieldError("card", "a peer needs a signing key, a TLS certificate and a federation URL")
	}
	now := s.Now()
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		p.CreatedAt = now
		if old, err := tx.Party(p.ID); err == nil {
			p.CreatedAt = old.CreatedAt
		} else if accord.ErrorCode(err) != accord.ENOTFOUND {
			return err
		}
		p.UpdatedAt = now
		return tx.PutParty(&p)
	})
	if err != nil {
		return nil, fmt.Errorf("add peer %s: %w", p.ID, err)
	}
	s.log.Info("peer trusted", "peer", p.ID, "url", p.FederationURL, "by", actor.Name)
	return &p, nil
}

// Receive implements federation.Node: it applies verified messages from
// peer in one transaction and returns a receipt or an error for each.
func (s *Service) Receive(ctx context.Context, peer string, msgs []*accord.Message) []federation.Result {
	now := s.Now()
	signed := s.presign(peer, msgs, now)
	results := make([]federation.Result, len(msgs))
	var wake bool
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		wake = false
		var records [][]byte // ledger entries of the new messages and receipts, appended together
		for i, m := range msgs {
			rc, queued, fresh, err := s.receiveOne(tx, peer, m, now, signed[i])
			if accord.ErrorCode(err) == accord.EINTERNAL {
				return err // a store failure: abort the whole batch
			}
			results[i] = federation.Result{Receipt: rc, Err: err}
			wake = wake || queued
			if fresh {
				recs, err := ledgerRecords(m, rc)
				if err != nil {
					return err
				}
				records = append(records, recs...)
			}
		}
		return appendLedger(tx, records)
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
// could not be signed is nil (receiveOne then signs it itself).
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

// receiveOne checks and applies one message. It writes nothing unless every
// check passes, so a refused message leaves the transaction untouched.
//
// fresh reports whether the message was new (and so needs its ledger
// entries); a redelivered one gets its stored receipt and is not fresh.
func (s *Service) receiveOne(tx accord.Tx, peer string, m *accord.Message, now time.Time, rc *accord.Receipt) (_ *accord.Receipt, queued, fresh bool, _ error) {
	if old, err := tx.Message(m.ID); err == nil {
		if old.Digest != m.Digest {
			return nil, false, false, accord.Errorf(accord.ECONFLICT, "message id %s was already received with other content", m.ID)
		}
		rc, err := tx.Receipt(m.ID)
		return rc, false, false, err // a redelivery: the original receipt
	} else if accord.ErrorCode(err) != accord.ENOTFOUND {
		return nil, false, false, err
	}
	if m.Sender != peer || m.Recipient != s.self {
		return nil, false, false, accord.Errorf(accord.EFORBIDDEN, "message %s is from %s to %s, not from %s to %s", m.ID, m.Sender, m.Recipient, peer, s.self)
	}
	last, err := tx.LastSeq(m.RequestID, peer)
	if err != nil {
		return nil, false, false, err
	}
	switch {
	case m.Seq <= last:
		return nil, false, false, accord.Errorf(accord.ECONFLICT, "message %s: seq %d of request %s was already used by another message", m.ID, m.Seq, m.RequestID)
	case m.Seq > last+1:
		return nil, false, false, accord.Errorf(accord.EUNAVAILABLE, "message %s is out of order: seq %d, expected %d; retry later", m.ID, m.Seq, last+1)
	}

	queued = false
	var apply func() error
	if m.Kind == accord.KindRequest {
		r, err := s.incomingRequest(tx, peer, m, now)
		if err != nil {
			return nil, false, false, err
		}
		apply = func() error {
			if err := tx.CreateRequest(r); err != nil {
				return err
			}
			for _, e := range []*accord.Event{
				{RequestID: r.ID, Seq: 1, Action: accord.ActionSend, To: accord.StatusSent, Party: peer, At: r.SentAt, RecordedAt: now, Actor: peer},
				{RequestID: r.ID, Seq: 2, Action: accord.ActionDeliver, From: accord.StatusSent, To: accord.StatusDelivered, Party: s.self, At: now, RecordedAt: now, Actor: peer},
			} {
				if err := tx.AddEvent(e); err != nil {
					return err
				}
			}
			return nil
		}
	} else {
		r, err := tx.Request(m.RequestID)
		if accord.ErrorCode(err) == accord.ENOTFOUND {
			return nil, false, false, accord.Errorf(accord.EFORBIDDEN, "message %s: %s is not a party to request %s", m.ID, peer, m.RequestID)
		} else if err != nil {
			return nil, false, false, err
		}
		if r.From != peer && r.To != peer {
			return nil, false, false, accord.Errorf(accord.EFORBIDDEN, "message %s: %s is not a party to request %s", m.ID, peer, m.RequestID)
		}
		var b stepBody
		if err := decodeStrict(m.Body, &b); err != nil {
			return nil, false, false, fmt.Errorf("message %s: %w", m.ID, err)
		}
		switch m.Kind {
		case accord.KindNotification:
			apply = func() error { return nil }
		case accord.KindQuery:
			apply = func() error {
				queued = true
				_, err := s.enqueue(tx, r, peer, accord.KindNotification, stepBody{Status: r.Status, Note: "reply to query " + m.ID}, now)
				return err
			}
		default:
			st, err := stepFromMessage(m.Kind, b)
			if err != nil {
				return nil, false, false, fmt.Errorf("message %s: %w", m.ID, err)
			}
			side := st.Action.Side()
			if (side == accord.SideRequested && r.To != peer) || (side == accord.SideRequester && r.From != peer) {
				return nil, false, false, accord.Errorf(accord.EFORBIDDEN, "message %s: %s may not %s request %s: that step is the %s's", m.ID, peer, st.Action, r.ID, side)
			}
			if side == accord.SideRequested && r.Status == accord.StatusSent {
				// Our request's receipt is still on its way back to us.
				return nil, false, false, accord.Errorf(accord.EUNAVAILABLE, "message %s: the receipt of request %s is not recorded yet; retry later", m.ID, r.ID)
			}
			xs, err := transfersIn(m, b.Evidence)
			if err != nil {
				return nil, false, false, err
			}
			e, ans, err := s.step(r, st, peer, m.CreatedAt, now)
			if err != nil {
				return nil, false, false, fmt.Errorf("message %s: %w", m.ID, err)
			}
			apply = func() error {
				if err := tx.UpdateRequest(r); err != nil {
					return err
				}
				if err := tx.AddEvent(e); err != nil {
					return err
				}
				if ans != nil {
					if err := tx.AddAnswer(ans); err != nil {
						return err
					}
				}
				for _, x := range xs {
					if err := tx.AddTransfer(x); err != nil {
						return err
					}
				}
				queued = queued || len(xs) > 0 // wakes the peer's loop, which fetches the files
				return nil
			}
		}
	}

	m.ReceivedAt = now
	if rc == nil { // presigning failed: try once more, here
		rc = &accord.Receipt{MessageID: m.ID, Digest: m.Digest, Sender: peer, Receiver: s.self, ReceivedAt: now}
		if err := s.sealer.SealReceipt(rc); err != nil {
			return nil, false, false, accord.Internal(err, "sign receipt")
		}
	}
	if err := tx.AddMessage(m); err != nil {
		return nil, false, false, internal(err)
	}
	if err := apply(); err != nil {
		return nil, false, false, internal(err)
	}
	if err := tx.AddReceipt(rc); err != nil {
		return nil, false, false, internal(err)
	}
	return rc, queued, true, nil
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
func (s *Service) incomingRequest(tx accord.Tx, peer string, m *accord.Message, now time.Time) (*accord.Request, error) {
	if !strings.HasPrefix(m.RequestID, peer+"-") {
		return nil, accord.Errorf(accord.EFORBIDDEN, "message %s: %s may only name its own requests (%s-…), not %s", m.ID, peer, peer, m.RequestID)
	}
	if _, err := tx.Request(m.RequestID); err == nil {
		return nil, accord.Errorf(accord.ECONFLICT, "message %s: request %s exists already", m.ID, m.RequestID)
	} else if accord.ErrorCode(err) != accord.ENOTFOUND {
		return nil, err
	}
	var b requestBody
	if err := decodeStrict(m.Body, &b); err != nil {
		return nil, fmt.Errorf("message %s: %w", m.ID, err)
	}
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

// stepFromMessage turns a step message's body into the Step it carries.
func stepFromMessage(kind accord.MessageKind, b stepBody) (Step, error) {
	st := Step{Note: b.Note}
	switch kind {
	case accord.KindAcknowledge:
		st.Action = accord.ActionAcknowledge
	case accord.KindAccept:
		st.Action = accord.ActionAccept
	case accord.KindDecline:
		st.Action, st.Ground, st.Text = accord.ActionDecline, b.Ground, b.Text
	case accord.KindAnswer:
		st.Action, st.Body = accord.ActionAnswerPartial, b.Answer
		if b.Final {
			st.Action = accord.ActionAnswerFinal
		}
	case accord.KindRate:
		st.Action, st.Score, st.Comment = accord.ActionRate, b.Score, b.Comment
	case accord.KindWithdraw:
		st.Action = accord.ActionWithdraw
	case accord.KindClose:
		st.Action = accord.ActionClose
	default:
		return st, accord.Errorf(accord.EINVALID, "message kind %q carries no step", kind)
	}
	return st, nil
}

func decodeStrict(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return accord.Errorf(accord.EINVALID, "body: %v", err)
	}
	return nil
}

// DueOutbox implements federation.Node.
func (s *Service) DueOutbox(ctx context.Context, peer string, now time.Time, limit int, skip []string) ([]federation.Pending, error) {
	var out []federation.Pending
	err := s.store.View(ctx, func(tx accord.Tx) error {
		due, err := tx.DueMessages(peer, now, limit, skip)
		for _, d := range due {
			out = append(out, federation.Pending{Item: d.Item, Message: d.Message})
		}
		return err
	})
	return out, err
}

// Delivered implements federation.Node.
func (s *Service) Delivered(ctx context.Context, peer string, receipts []*accord.Receipt) error {
	now := s.Now()
	return s.store.Update(ctx, func(tx accord.Tx) error {
		var records [][]byte // ledger entries of the new receipts, appended together
		for _, rc := range receipts {
			m, err := tx.Message(rc.MessageID)
			if err != nil {
				return err
			}
			if m.Digest != rc.Digest || m.Recipient != peer || rc.Receiver != peer {
				return accord.Errorf(accord.EINVALID, "receipt for message %s does not match it", rc.MessageID)
			}
			// The receipt and the delivery are recorded together: an item
			// delivered already had its receipt recorded by an earlier attempt.
			it, err := tx.OutboxItem(rc.MessageID)
			if err != nil {
				return err
			}
			if !it.DeliveredAt.IsZero() {
				continue
			}
			if err := tx.AddReceipt(rc); err != nil {
				return err
			}
			rec, err := receiptRecord(rc)
			if err != nil {
				return err
			}
			records = append(records, rec)
			it.DeliveredAt, it.LastError = now, ""
			if err := tx.UpdateOutbox(it); err != nil {
				return err
			}
			if m.Kind != accord.KindRequest {
				continue
			}
			r, err := tx.Request(m.RequestID)
			if err != nil {
				return err
			}
			var e *accord.Event
			if r.Status == accord.StatusSent {
				if e, _, err = s.step(r, Step{Action: accord.ActionDeliver}, peer, rc.ReceivedAt, now); err != nil {
					return err
				}
			} else {
				// Withdrawn before its receipt came back: the receipt is still
				// a fact both nodes record (the peer recorded the delivery
				// before the withdrawal), so the histories stay equal; the
				// status does not move.
				if !r.ReceivedAt.IsZero() {
					continue
				}
				r.ReceivedAt = rc.ReceivedAt
				if err := r.SetDeadlines(s.agreement); err != nil {
					return err
				}
				e = &accord.Event{RequestID: r.ID, Seq: r.Seq + 1, Action: accord.ActionDeliver, From: r.Status, To: r.Status,
					Party: peer, At: rc.ReceivedAt, RecordedAt: now, Actor: peer, Note: "receipt of a request withdrawn before it arrived"}
				r.Seq++
				r.UpdatedAt = now
			}
			if err := tx.UpdateRequest(r); err != nil {
				return err
			}
			if err := tx.AddEvent(e); err != nil {
				return err
			}
		}
		return appendLedger(tx, records)
	})
}

// DeliveryFailed implements federation.Node.
func (s *Service) DeliveryFailed(ctx context.Context, peer string, failures []federation.Failure) error {
	return s.store.Update(ctx, func(tx accord.Tx) error {
		for _, f := range failures {
			it, err := tx.OutboxItem(f.MessageID)
			if err != nil {
				return err
			}
			it.Attempts++
			it.LastError = f.Reason
			if len(it.LastError) > 1000 {
				it.LastError = it.LastError[:1000]
			}
			it.NextAttemptAt = f.NextAttemptAt.UTC().Truncate(time.Microsecond)
			if err := tx.UpdateOutbox(it); err != nil {
				return err
			}
		}
		return nil
	})
}

// PendingOutbox implements federation.Node.
func (s *Service) PendingOutbox(ctx context.Context, peer string) (int, error) {
	var n int
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		n, err = tx.PendingOutbox(peer)
		return err
	})
	return n, err
}

// MessageView is one signed message about a request as this node holds it:
// the envelope exactly as signed, and the peer's signed receipt once it came
// back (or this node's receipt, for a message it received).
type MessageView struct {
	ID        string             `json:"id"`
	Kind      accord.MessageKind `json:"kind"`
	Sender    string             `json:"sender"`
	Recipient string             `json:"recipient"`
	Seq       int                `json:"seq"`
	CreatedAt time.Time          `json:"created_at"`
	Digest    string             `json:"digest"`
	Body      json.RawMessage    `json:"body"`
	// Envelope is the JWS compact serialisation, the bytes Digest names.
	Envelope string       `json:"envelope"`
	Receipt  *ReceiptView `json:"receipt,omitempty"`
}

// ReceiptView is a signed receipt: who received the message and when.
type ReceiptView struct {
	Receiver   string    `json:"receiver"`
	ReceivedAt time.Time `json:"received_at"`
	// JWS is the receipt's JWS compact serialisation.
	JWS string `json:"jws"`
}

// Messages returns the signed messages about a request, in the order this
// node stored them, each with its receipt when there is one. Needs
// PermRead. ENOTFOUND for an unknown request.
func (s *Service) Messages(ctx context.Context, actor accord.Actor, requestID string) ([]MessageView, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	out := []MessageView{}
	err := s.store.View(ctx, func(tx accord.Tx) error {
		if _, err := tx.Request(requestID); err != nil {
			return err
		}
		ms, err := tx.Messages(requestID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			v := MessageView{ID: m.ID, Kind: m.Kind, Sender: m.Sender, Recipient: m.Recipient, Seq: m.Seq,
				CreatedAt: m.CreatedAt, Digest: m.Digest, Body: m.Body, Envelope: string(m.JWS)}
			rc, err := tx.Receipt(m.ID)
			switch {
			case err == nil:
				v.Receipt = &ReceiptView{Receiver: rc.Receiver, ReceivedAt: rc.ReceivedAt, JWS: string(rc.JWS)}
			case accord.ErrorCode(err) != accord.ENOTFOUND:
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}
