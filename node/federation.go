package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
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
	// Objects are the STIX 2.1 objects a notification shares (Share).
	Objects []json.RawMessage `json:"objects,omitempty"`
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
//
// Message ids are UUIDv7, ordered by time: messages, receipts and ledger
// records are indexed by them on both nodes, and ids in creation order
// land in the last pages of those indexes instead of anywhere, so a batch
// writes a few pages of each instead of one per message.
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
	id, err := uuid.NewV7()
	if err != nil {
		return nil, accord.Internal(err, "make a message id")
	}
	m := &accord.Message{ID: id.String(), Kind: kind, Sender: s.self, Recipient: peer, RequestID: r.ID,
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

// Delivered implements federation.Node. A batch's receipts are recorded
// with a few statements for the whole batch: one read each of the
// messages, their outbox items and their requests, one insert of the
// receipts and of the delivery events, one update of the outbox; only the
// requests are updated one by one.
func (s *Service) Delivered(ctx context.Context, peer string, receipts []*accord.Receipt) error {
	now := s.Now()
	return s.store.Update(ctx, func(tx accord.Tx) error {
		ids := make([]string, len(receipts))
		for i, rc := range receipts {
			ids[i] = rc.MessageID
		}
		msgs, err := tx.MessagesByID(ids)
		if err != nil {
			return err
		}
		items, err := tx.OutboxItems(ids)
		if err != nil {
			return err
		}
		var reqIDs []string
		for _, m := range msgs {
			if m.Kind == accord.KindRequest {
				reqIDs = append(reqIDs, m.RequestID)
			}
		}
		reqs, err := tx.RequestsByID(reqIDs)
		if err != nil {
			return err
		}
		var (
			fresh     []*accord.Receipt
			delivered []string
			events    []*accord.Event
			records   [][]byte // ledger entries of the new receipts, appended together
			seen      = make(map[string]bool, len(receipts))
		)
		for _, rc := range receipts {
			m, ok := msgs[rc.MessageID]
			if !ok {
				return accord.Errorf(accord.ENOTFOUND, "receipt for message %s: no such message", rc.MessageID)
			}
			if m.Digest != rc.Digest || m.Recipient != peer || rc.Receiver != peer {
				return accord.Errorf(accord.EINVALID, "receipt for message %s does not match it", rc.MessageID)
			}
			it, ok := items[rc.MessageID]
			if !ok {
				return accord.Errorf(accord.ENOTFOUND, "receipt for message %s: the message was never queued", rc.MessageID)
			}
			// The receipt and the delivery are recorded together: an item
			// delivered already had its receipt recorded by an earlier attempt.
			if !it.DeliveredAt.IsZero() || seen[rc.MessageID] {
				continue
			}
			seen[rc.MessageID] = true
			rec, err := receiptRecord(rc)
			if err != nil {
				return err
			}
			fresh, delivered, records = append(fresh, rc), append(delivered, rc.MessageID), append(records, rec)
			if m.Kind != accord.KindRequest {
				continue
			}
			r, ok := reqs[m.RequestID]
			if !ok {
				return accord.Errorf(accord.ENOTFOUND, "receipt for message %s: request %s not found", rc.MessageID, m.RequestID)
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
			events = append(events, e)
		}
		if err := tx.AddReceipts(fresh); err != nil {
			return err
		}
		if err := tx.SetDelivered(delivered, now); err != nil {
			return err
		}
		if err := tx.AddEvents(events); err != nil {
			return err
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

// RequestMessageBody returns the body of the request message that carries
// r to its requested party, as CreateRequest signs it. With
// StepMessageBody it lets a tool that writes history in bulk (package
// synth) sign the same messages a node does.
func RequestMessageBody(r *accord.Request) any {
	return requestBody{Type: r.Type, Priority: r.Priority, Subject: r.Subject, Body: r.Body, LegalBasis: r.LegalBasis, AgreementDigest: r.AgreementDigest}
}

// StepMessageBody returns the kind and body of the message that carries
// step st to the other party, as Act signs it (evidence aside).
func StepMessageBody(st Step) (accord.MessageKind, any) {
	return stepMessage(st)
}
