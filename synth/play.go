package synth

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/node"
)

// rows is what one node stores about one request once its history has
// been played: the request in its final state, its events and answers,
// every message about it (in the order the node stored them) with its
// receipt, the outbox items of the messages it sent, and the ledger
// records it appended, each with the time it appended it.
type rows struct {
	index    int // of the request in the history
	own      bool
	request  *accord.Request
	events   []*accord.Event
	answers  []*accord.Answer
	messages []*accord.Message
	receipts []*accord.Receipt
	outbox   []*accord.OutboxItem
	entries  []entry
}

// entry is a ledger record and when the node appended it; key orders the
// records appended at the same microsecond.
type entry struct {
	at  int64 // Unix microseconds
	key uint64
	rec []byte
}

// player plays requests of a history through the two parties' nodes: the
// steps as node.Service takes them, the messages signed with the parties'
// identities.
type player struct {
	h     *History
	svc   [2]*node.Service
	ident [2]*federation.Identity
}

func newPlayer(h *History, idents [2]*federation.Identity) *player {
	p := &player{h: h, ident: idents}
	quiet := slog.New(slog.DiscardHandler)
	for i := range p.svc {
		// The services take steps in memory only: they have no store.
		p.svc[i] = node.New(node.Config{Agreement: h.Agreement, Self: h.Parties[i].ID, Logger: quiet, Sealer: idents[i]})
	}
	return p
}

// side returns the index of party id in the history.
func (p *player) side(id string) int {
	if p.h.Parties[0].ID == id {
		return 0
	}
	return 1
}

// play returns the rows each party's node stores about request i, for the
// parties wanted. Signing is most of its work.
func (p *player) play(i int, want [2]bool) ([2]*rows, error) {
	q := &p.h.Requests[i]
	ri, qi := p.side(q.From), p.side(q.To)
	var out [2]*rows
	for s := range out {
		out[s] = &rows{index: i, own: s == ri}
	}
	R, Q := out[ri], out[qi]
	k := [2]uint64{}
	record := func(s int, at time.Time, recs ...[]byte) {
		for _, rec := range recs {
			if want[s] {
				out[s].entries = append(out[s].entries, entry{at: at.UnixMicro(), key: uint64(i)<<8 | k[s], rec: rec})
			}
			k[s]++
		}
	}

	// The requester records the request and sends it (CreateRequest).
	r := &accord.Request{ID: q.ID, CaseID: q.CaseID, From: q.From, To: q.To, Type: q.Type, Priority: q.Priority,
		Subject: q.Subject, Body: q.Body, LegalBasis: q.LegalBasis, ExternalRef: q.ExternalRef,
		Status: accord.StatusSent, SentAt: q.SentAt, CreatedBy: q.Actor, CreatedAt: q.SentAt, UpdatedAt: q.SentAt, Seq: 1}
	if err := r.SetDeadlines(p.h.Agreement); err != nil {
		return out, fmt.Errorf("request %s: %w", q.ID, err)
	}
	R.request = r
	R.events = append(R.events, &accord.Event{RequestID: r.ID, Seq: 1, Action: accord.ActionSend, To: accord.StatusSent,
		Party: r.From, At: r.SentAt, RecordedAt: r.SentAt, Actor: q.Actor})
	seq := [2]int{}
	send := func(from, to int, kind accord.MessageKind, body any, at, received time.Time) (*accord.Message, *accord.Receipt, error) {
		seq[from]++
		m, err := p.message(q.ID, from, to, seq[from], kind, body, at)
		if err != nil {
			return nil, nil, err
		}
		rc := &accord.Receipt{MessageID: m.ID, Digest: m.Digest, Sender: m.Sender, Receiver: m.Recipient, ReceivedAt: received}
		if err := p.ident[to].SealReceipt(rc); err != nil {
			return nil, nil, fmt.Errorf("sign the receipt of %s %d of request %s: %w", kind, m.Seq, q.ID, err)
		}
		in := *m
		in.ReceivedAt = rc.ReceivedAt
		out[from].messages = append(out[from].messages, m)
		out[to].messages = append(out[to].messages, &in)
		out[from].receipts = append(out[from].receipts, rc)
		out[to].receipts = append(out[to].receipts, rc)
		out[from].outbox = append(out[from].outbox, &accord.OutboxItem{MessageID: m.ID, Peer: m.Recipient, RequestID: m.RequestID,
			Seq: m.Seq, NextAttemptAt: m.CreatedAt, CreatedAt: m.CreatedAt, DeliveredAt: rc.ReceivedAt})
		mrec, err := node.MessageRecord(m)
		if err != nil {
			return nil, nil, err
		}
		rrec, err := node.ReceiptRecord(rc)
		if err != nil {
			return nil, nil, err
		}
		// The sender appends the message when it sends it and the receipt
		// when it comes back; the receiver both when it receives the message.
		record(from, m.CreatedAt, mrec)
		record(to, rc.ReceivedAt, mrec, rrec)
		record(from, rc.ReceivedAt, rrec)
		return &in, rc, nil
	}
	in, rc, err := send(ri, qi, accord.KindRequest, node.RequestMessageBody(r), q.SentAt, q.ReceivedAt)
	if err != nil {
		return out, err
	}
	// The requested party receives it (Receive) ...
	theirs, err := p.svc[qi].IncomingRequest(q.From, in, rc.ReceivedAt)
	if err != nil {
		return out, fmt.Errorf("request %s: %w", q.ID, err)
	}
	Q.request = theirs
	Q.events = append(Q.events,
		&accord.Event{RequestID: r.ID, Seq: 1, Action: accord.ActionSend, To: accord.StatusSent, Party: q.From, At: theirs.SentAt, RecordedAt: rc.ReceivedAt, Actor: q.From},
		&accord.Event{RequestID: r.ID, Seq: 2, Action: accord.ActionDeliver, From: accord.StatusSent, To: accord.StatusDelivered, Party: q.To, At: rc.ReceivedAt, RecordedAt: rc.ReceivedAt, Actor: q.From})
	// ... and the requester records the receipt that comes back (Delivered).
	e, _, err := p.svc[ri].ApplyStep(r, node.Step{Action: accord.ActionDeliver}, q.To, rc.ReceivedAt, rc.ReceivedAt)
	if err != nil {
		return out, fmt.Errorf("request %s: deliver: %w", q.ID, err)
	}
	R.events = append(R.events, e)

	for j := range q.Steps {
		s := &q.Steps[j]
		a, o := qi, ri
		if s.Action.Side() == accord.SideRequester {
			a, o = ri, qi
		}
		st := s.NodeStep()
		// The acting party takes the step (Act) ...
		e, ans, err := p.svc[a].ApplyStep(out[a].request, st, s.Actor, s.At, s.At)
		if err != nil {
			return out, fmt.Errorf("request %s: step %d: %w", q.ID, j+1, err)
		}
		out[a].events = append(out[a].events, e)
		if ans != nil {
			out[a].answers = append(out[a].answers, ans)
		}
		kind, body := node.StepMessageBody(st)
		in, rc, err := send(a, o, kind, body, s.At, s.ReceivedAt)
		if err != nil {
			return out, err
		}
		// ... and the other receives it (Receive), as the message carries it.
		e, ans, err = p.svc[o].ApplyStep(out[o].request, st, p.id(a), in.CreatedAt, rc.ReceivedAt)
		if err != nil {
			return out, fmt.Errorf("request %s: step %d received: %w", q.ID, j+1, err)
		}
		out[o].events = append(out[o].events, e)
		if ans != nil {
			out[o].answers = append(out[o].answers, ans)
		}
	}
	return out, nil
}

// id returns the id of party s.
func (p *player) id(s int) string { return p.h.Parties[s].ID }

// message returns the signed message number seq that party from sends to
// party to about request at `at`, as the node's enqueue makes it: the body
// encoded with encoding/json, then sealed (which canonicalises it). Its id
// is a UUIDv7 of the time of sending whose other bits derive from the
// history's seed, so that a load is the same each time.
func (p *player) message(request string, from, to, seq int, kind accord.MessageKind, body any, at time.Time) (*accord.Message, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, accord.Internal(err, "encode %s message", kind)
	}
	m := &accord.Message{ID: p.messageID(request, from, seq, at), Kind: kind, Sender: p.id(from), Recipient: p.id(to),
		RequestID: request, Seq: seq, CreatedAt: at, Body: raw}
	if err := p.ident[from].Seal(m); err != nil {
		return nil, fmt.Errorf("sign %s %d of request %s: %w", kind, seq, request, err)
	}
	return m, nil
}

// messageID returns a UUIDv7 (RFC 9562) for time at whose random bits are
// the SHA-256 of the seed, the request, the sender and the number.
func (p *player) messageID(request string, from, seq int, at time.Time) string {
	var buf [64]byte
	b := binary.BigEndian.AppendUint64(buf[:0], uint64(p.h.Seed))
	b = append(b, request...)
	b = append(b, byte(from), byte(seq>>8), byte(seq))
	sum := sha256.Sum256(b)
	var u uuid.UUID
	ms := uint64(at.UnixMilli())
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	copy(u[6:], sum[:10])
	u[6] = 0x70 | u[6]&0x0f // version 7
	u[8] = 0x80 | u[8]&0x3f // variant 10
	return u.String()
}
