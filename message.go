package accord

import (
	"encoding/json"
	"time"
)

// MessageKind is what a cross-border message says, modelled on the RID
// message types of RFC 6545 (Request, Acknowledgement, Result, Report,
// Query). Each lifecycle step taken by one party on a request shared with a
// peer travels as one message of the matching kind.
type MessageKind string

// The message kinds.
const (
	KindRequest      MessageKind = "request"      // RID Request: a new request
	KindAcknowledge  MessageKind = "acknowledge"  // RID Acknowledgement
	KindAccept       MessageKind = "accept"       // the requested party takes the request on
	KindDecline      MessageKind = "decline"      // refused, on a ground of the agreement
	KindAnswer       MessageKind = "answer"       // RID Result: a partial or final answer
	KindRate         MessageKind = "rate"         // the requester's rating of the answer
	KindWithdraw     MessageKind = "withdraw"     // the requester withdraws
	KindClose        MessageKind = "close"        // the requester closes
	KindNotification MessageKind = "notification" // RID Report: a note about a request, no step
	KindQuery        MessageKind = "query"        // RID Query: asks the peer to report its view of a request
)

// MessageKinds lists every kind.
var MessageKinds = []MessageKind{KindRequest, KindAcknowledge, KindAccept, KindDecline, KindAnswer,
	KindRate, KindWithdraw, KindClose, KindNotification, KindQuery}

// Known reports whether k is one of MessageKinds.
func (k MessageKind) Known() bool {
	for _, x := range MessageKinds {
		if x == k {
			return true
		}
	}
	return false
}

// Message is one signed envelope between two parties, as sent or as
// received. Its header fields are signed with the body; JWS holds the exact
// bytes that were signed and sent (a JWS compact serialisation, RFC 7515,
// EdDSA per RFC 8037, whose payload is the RFC 8785 canonical JSON of the
// header and body), and Digest is the hex SHA-256 of those bytes, the value
// both parties' receipts and ledgers refer to.
type Message struct {
	ID        string      `json:"id"`
	Kind      MessageKind `json:"kind"`
	Sender    string      `json:"sender"`
	Recipient string      `json:"recipient"`
	RequestID string      `json:"request_id"`
	// Seq numbers the messages one sender sends about one request, from 1;
	// the recipient applies them in this order.
	Seq       int             `json:"seq"`
	CreatedAt time.Time       `json:"created_at"`
	Body      json.RawMessage `json:"body"`

	JWS    []byte `json:"-"`
	Digest string `json:"digest,omitempty"`
	// ReceivedAt is, for a message this node received, when it did.
	ReceivedAt time.Time `json:"received_at,omitzero"`
}

// Receipt is the recipient's signed statement that it received a message
// with a given digest at a given time. JWS holds the signed bytes.
type Receipt struct {
	MessageID  string    `json:"message_id"`
	Digest     string    `json:"digest"`
	Sender     string    `json:"sender"`   // who sent the message
	Receiver   string    `json:"receiver"` // who received it and signs this receipt
	ReceivedAt time.Time `json:"received_at"`
	JWS        []byte    `json:"-"`
}

// OutboxItem is a message waiting for delivery to a peer. It is written in
// the same transaction as the step it carries, and removed from the queue
// (DeliveredAt set) in the same transaction that stores the peer's receipt.
type OutboxItem struct {
	MessageID     string    `json:"message_id"`
	Peer          string    `json:"peer"`
	RequestID     string    `json:"request_id"`
	Seq           int       `json:"seq"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	LastError     string    `json:"last_error,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	DeliveredAt   time.Time `json:"delivered_at,omitzero"`
}

// DueMessage is an outbox item with the message it delivers.
type DueMessage struct {
	Item    *OutboxItem
	Message *Message
}

// Sealer signs outgoing messages and receipts as this node's party. Package
// federation implements it with the node's Ed25519 key.
type Sealer interface {
	// Seal signs m's header and body and sets m.JWS and m.Digest.
	Seal(m *Message) error
	// SealReceipt signs r and sets r.JWS.
	SealReceipt(r *Receipt) error
}

// Evidence is an item of electronic evidence attached to a case: a file
// kept content-addressed (SHA-256) in the node's blob store, with its chain
// of custody. An item received from a peer with an answer belongs to the
// request it answers, and to that request's case when it has one.
type Evidence struct {
	ID          string    `json:"id"`
	CaseID      string    `json:"case_id,omitempty"`
	RequestID   string    `json:"request_id,omitempty"`
	Digest      string    `json:"digest"`
	Size        int64     `json:"size"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// Directions of an evidence transfer.
const (
	TransferOut = "out" // attached by this node to an answer it sent
	TransferIn  = "in"  // attached by a peer to an answer this node received
)

// EvidenceTransfer is one item of evidence attached to an answer message.
// On the answering node (TransferOut) it entitles the peer to fetch the
// file; on the receiving node (TransferIn) it is queued until the file has
// been fetched, found to match Digest, and recorded as evidence.
type EvidenceTransfer struct {
	MessageID   string `json:"message_id"`
	Index       int    `json:"index"` // position in the message's evidence list
	Direction   string `json:"direction"`
	Peer        string `json:"peer"`
	RequestID   string `json:"request_id"`
	SourceID    string `json:"source_id"` // the item's id on the answering node
	Digest      string `json:"digest"`
	Size        int64  `json:"size"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// EvidenceID is the local item: the one sent (out), or the one
	// recorded once received (in; empty until then).
	EvidenceID    string    `json:"evidence_id,omitempty"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	DoneAt        time.Time `json:"done_at,omitzero"`
}

// Custody events, in the order evidence usually goes through them.
const (
	CustodyCollected   = "collected"
	CustodySealed      = "sealed"
	CustodyTransferred = "transferred"
	CustodyReceived    = "received"
	CustodyAccessed    = "accessed"
	CustodyVerified    = "verified"
)

// CustodyEvents lists the custody event kinds.
var CustodyEvents = []string{CustodyCollected, CustodySealed, CustodyTransferred, CustodyReceived, CustodyAccessed, CustodyVerified}

// CustodyEvent is one step in the chain of custody of an item of evidence:
// who did what with it, when and why. Seq numbers an item's events from 1.
// Each event is also an entry of the node's ledger.
type CustodyEvent struct {
	EvidenceID string    `json:"evidence_id"`
	Seq        int       `json:"seq"`
	Event      string    `json:"event"`
	Actor      string    `json:"actor"`
	Party      string    `json:"party"`
	At         time.Time `json:"at"`
	Reason     string    `json:"reason,omitempty"`
	// Digest is the evidence's SHA-256 as seen at this step.
	Digest string `json:"digest"`
}
