package node

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/accord-cyber/accord"
)

// Exchange is one request between this node's party and a peer as both
// nodes hold it: its signed messages, each with the receipt that fixed when
// it arrived. Nothing in it comes from either node's own records, so two
// nodes that exchanged the same messages build the same Exchange.
type Exchange struct {
	RequestID string
	From, To  string // the requester and the requested party
	Type      accord.RequestType
	Priority  accord.Priority
	// AgreementDigest is the agreement the requester applied (its request
	// message says so).
	AgreementDigest string
	// Steps are the request's messages in the order they arrived, the
	// request message first.
	Steps []ExchangeStep
}

// ExchangeStep is one message of an exchange and its receipt.
type ExchangeStep struct {
	MessageID string
	Digest    string // SHA-256 of the signed envelope, as both ledgers hold it
	Kind      accord.MessageKind
	Sender    string
	Seq       int
	// At is when the message arrived, as its recipient's signed receipt
	// says.
	At time.Time
	// What the step carries: a final answer (Final), a decline's ground,
	// a rating's score, the number of objects a notification shared.
	Final   bool
	Ground  string
	Score   int
	Objects int
}

// Received is when the requested party received the request: the time in
// its receipt for the request message.
func (x *Exchange) Received() time.Time { return x.Steps[0].At }

// Exchanges calls fn, in request id order, with each exchange between this
// node's party and peer ("" for every peer) whose request message arrived
// in [from, to), made of the messages whose receipts say they arrived
// before asOf. A message whose receipt has not come back is left out, so
// two nodes agree once every receipt is home. Needs PermRead. EINTERNAL
// for a stored message that does not decode, which the stored signature
// check would have refused.
func (s *Service) Exchanges(ctx context.Context, actor accord.Actor, peer string, from, to, asOf time.Time, fn func(*Exchange) error) error {
	if err := actor.Require(accord.PermRead); err != nil {
		return err
	}
	// Party ids, kinds, types and priorities repeat on every row: one
	// string each, so that what a caller keeps of many exchanges (lists of
	// overdue requests) does not hold a copy per row.
	seen := map[string]string{}
	intern := func(s string) string {
		if x, ok := seen[s]; ok {
			return x
		}
		seen[s] = s
		return s
	}
	return s.store.View(ctx, func(tx accord.Tx) error {
		var cur *Exchange
		flush := func() error {
			if cur == nil {
				return nil
			}
			x := cur
			cur = nil
			if len(x.Steps) == 0 || x.Steps[0].Kind != accord.KindRequest {
				return nil // the request message arrived after asOf
			}
			return fn(x)
		}
		err := tx.Exchanged(peer, from, to, asOf, func(m *accord.Message, rc *accord.Receipt) error {
			if cur != nil && cur.RequestID != m.RequestID {
				if err := flush(); err != nil {
					return err
				}
			}
			if cur == nil {
				cur = &Exchange{RequestID: m.RequestID}
			}
			st := ExchangeStep{MessageID: m.ID, Digest: m.Digest, Kind: accord.MessageKind(intern(string(m.Kind))), Sender: intern(m.Sender), Seq: m.Seq, At: rc.ReceivedAt}
			if m.Kind == accord.KindRequest {
				var b requestBody
				if err := json.Unmarshal(m.Body, &b); err != nil {
					return accord.Internal(err, "stored message %s", m.ID)
				}
				cur.From, cur.To, cur.AgreementDigest = intern(m.Sender), intern(m.Recipient), intern(b.AgreementDigest)
				cur.Type, cur.Priority = accord.RequestType(intern(string(b.Type))), accord.Priority(intern(string(b.Priority)))
				// The request message comes first, whatever its receipt time.
				cur.Steps = append([]ExchangeStep{st}, cur.Steps...)
				return nil
			}
			var b stepBody
			if err := json.Unmarshal(m.Body, &b); err != nil {
				return accord.Internal(err, "stored message %s", m.ID)
			}
			st.Final, st.Ground, st.Score, st.Objects = b.Final, intern(b.Ground), b.Score, len(b.Objects)
			cur.Steps = append(cur.Steps, st)
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	})
}

// String names an exchange for messages.
func (x *Exchange) String() string {
	return fmt.Sprintf("%s (%s → %s, %s %s)", x.RequestID, x.From, x.To, x.Type, x.Priority)
}

// LatestCheckpoint returns the latest signed checkpoint of this node's own
// ledger (with the peer's cosignature, once it has one), or ENOTFOUND
// before the first. Needs PermRead.
func (s *Service) LatestCheckpoint(ctx context.Context, actor accord.Actor) (*accord.StoredCheckpoint, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var cp *accord.StoredCheckpoint
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		cp, err = tx.LatestCheckpoint(s.self)
		return err
	})
	return cp, err
}

// EachRequest calls fn with every request this node holds, most recently
// sent first, reading a page at a time in one read transaction. Needs
// PermRead.
func (s *Service) EachRequest(ctx context.Context, actor accord.Actor, fn func(*accord.Request) error) error {
	if err := actor.Require(accord.PermRead); err != nil {
		return err
	}
	const page = 5000
	return s.store.View(ctx, func(tx accord.Tx) error {
		for off := 0; ; off += page {
			rs, err := tx.Requests(accord.RequestFilter{Limit: page, Offset: off})
			if err != nil {
				return err
			}
			for _, r := range rs {
				if err := fn(r); err != nil {
					return err
				}
			}
			if len(rs) < page {
				return nil
			}
		}
	})
}

// SharedStats sums up what this node and its peers shared in [from, to).
// Needs PermRead.
func (s *Service) SharedStats(ctx context.Context, actor accord.Actor, from, to time.Time) (accord.SharedStats, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return accord.SharedStats{}, err
	}
	var st accord.SharedStats
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		st, err = tx.SharedStats(from, to)
		return err
	})
	return st, err
}
