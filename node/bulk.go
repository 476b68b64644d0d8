package node

import (
	"time"

	"github.com/accord-cyber/accord"
)

// Exported wrappers over the node's own step logic, for tools that write a
// node's history in bulk (package synth) and must store exactly what the
// node would have stored had it taken every step itself. They touch no
// store and check no permission: the caller writes what they return.

// ApplyStep moves r by one step taken at `at` and recorded at now by actor
// (a user of this node, or the peer whose message carried the step), as
// Act and Receive do, and returns the event to record and, for an answer,
// the answer. The request is changed in place. ECONFLICT when the
// lifecycle does not allow the step; EINVALID for a missing or bad ground,
// text, body or score.
func (s *Service) ApplyStep(r *accord.Request, st Step, actor string, at, now time.Time) (*accord.Event, *accord.Answer, error) {
	return s.step(r, st, actor, at, now)
}

// IncomingRequest returns the request that the request message m from peer
// creates on this node when it is received at now, as Receive builds it
// (without the two events Receive records with it: send and deliver).
// EFORBIDDEN when m names a request of another party; EINVALID for a bad
// body.
func (s *Service) IncomingRequest(peer string, m *accord.Message, now time.Time) (*accord.Request, error) {
	in := &inbox{s: s, peer: peer, now: now, requests: map[string]*accord.Request{}}
	return in.incomingRequest(m)
}

// MessageRecord returns the ledger record the node appends for a message it
// sends or receives. EINTERNAL when m has no valid digest.
func MessageRecord(m *accord.Message) ([]byte, error) { return messageRecord(m) }

// ReceiptRecord returns the ledger record the node appends for a receipt it
// issues or is given. EINTERNAL when r is not signed.
func ReceiptRecord(r *accord.Receipt) ([]byte, error) { return receiptRecord(r) }
