package federation

import (
	"context"
	"io"
	"time"

	"github.com/accord-cyber/accord"
)

// Node is what federation needs from the node it serves; *node.Service
// implements it. Federation verifies signatures, senders, recipients and
// clock skew before it calls Receive, and verifies receipts before it calls
// Delivered: the node trusts what federation hands it and applies the rules of
// the lifecycle.
type Node interface {
	// SelfID returns the id of the node's own party.
	SelfID() string
	// Peers returns the parties of kind peer, with their signing keys, TLS
	// certificates and federation URLs.
	Peers(ctx context.Context) ([]*accord.Party, error)

	// Receive stores messages verified to come from peer, in order, in one
	// transaction, applying each message's step to its request, and returns
	// one result per message in the same order: the signed receipt, or the
	// error that refused that message (ECONFLICT for a reused id with other
	// content or a step the lifecycle refuses; EUNAVAILABLE when the message
	// is ahead of its sequence and must be retried later; EFORBIDDEN when the
	// peer is not a party to the request). A message already received with
	// the same digest gets its original receipt again.
	Receive(ctx context.Context, peer string, msgs []*accord.Message) []Result

	// DueOutbox returns up to limit messages waiting for delivery to peer
	// whose next attempt is due at now (wall-clock time), in enqueue order,
	// each with its outbox item (Attempts tells how many failed so far),
	// leaving out the messages of the requests in skipRequests (those with
	// a message in flight, whose later messages must wait anyway) before
	// the limit applies.
	DueOutbox(ctx context.Context, peer string, now time.Time, limit int, skipRequests []string) ([]Pending, error)
	// Delivered records receipts verified to be signed by peer for messages
	// this node sent, in one transaction, and marks those outbox items
	// delivered. For a receipt of a request message it also records the
	// request's delivery (status delivered, received-at from the receipt).
	Delivered(ctx context.Context, peer string, receipts []*accord.Receipt) error
	// DeliveryFailed records a failed attempt for each message: Attempts+1,
	// the reason and the next attempt time.
	DeliveryFailed(ctx context.Context, peer string, failures []Failure) error
	// PendingOutbox returns how many messages wait for delivery to peer.
	PendingOutbox(ctx context.Context, peer string) (int, error)

	// Offer returns this node's current signed ledger checkpoint for peer to
	// witness, with the consistency proof from the size peer last witnessed.
	// EUNAVAILABLE when the node cannot sign checkpoints.
	Offer(ctx context.Context, peer string) (*CheckpointOffer, error)
	// Witness checks peer's offered checkpoint against the last one this
	// node witnessed, cosigns and stores it, and returns the cosigned note
	// and the size now witnessed. ECONFLICT for a fork or a rollback;
	// EUNAVAILABLE (with the size last witnessed) for a proof from another
	// size.
	Witness(ctx context.Context, peer string, off *CheckpointOffer) (cosigned []byte, witnessed int64, err error)
	// Cosigned records peer's cosignature of one of this node's checkpoints.
	Cosigned(ctx context.Context, peer string, cosigned []byte) error
	// Witnessed records the size of this node's ledger that peer says it
	// last witnessed.
	Witnessed(peer string, size int64)

	// OpenShared opens a file of evidence attached to an answer sent to
	// peer, with its size. ENOTFOUND for any other file.
	OpenShared(ctx context.Context, peer, digest string) (io.ReadCloser, int64, error)
	// DueFetches returns up to limit files peer attached to its answers
	// that wait to be fetched and are due at now.
	DueFetches(ctx context.Context, peer string, now time.Time, limit int) ([]*accord.EvidenceTransfer, error)
	// PendingFetches returns how many files from peer wait to be fetched.
	PendingFetches(ctx context.Context, peer string) (int, error)
	// Fetched stores a fetched file, streaming, and records it as evidence
	// only if it is the file the transfer names (ECONFLICT otherwise).
	Fetched(ctx context.Context, peer string, x *accord.EvidenceTransfer, body io.Reader) error
	// FetchFailed records a failed fetch and the time of the next attempt.
	FetchFailed(ctx context.Context, peer string, x *accord.EvidenceTransfer, reason string, next time.Time) error
}

// Result is the outcome of one received message: a receipt or an error.
type Result struct {
	Receipt *accord.Receipt
	Err     error
}

// Pending is one message waiting in the outbox, with its JWS.
type Pending struct {
	Item    *accord.OutboxItem
	Message *accord.Message
}

// Failure is one failed delivery attempt.
type Failure struct {
	MessageID     string
	Reason        string
	NextAttemptAt time.Time
}
