package federation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/accord-cyber/accord"
)

// memNode is a test-only, in-memory Node: it accepts (or, through refuse,
// refuses) every message handed to it, signs receipts with its identity and
// keeps an outbox. It has none of the lifecycle rules of node.Service.
type memNode struct {
	id *Identity

	mu           sync.Mutex
	peers        []*accord.Party
	refuse       func(m *accord.Message) error // nil: accept all
	receiveCalls int
	received     []*accord.Message
	receipts     map[string]*accord.Receipt
	outbox       []*outEntry
	failures     []failureRecord
	failed       chan struct{} // when set, signalled (without blocking) by DeliveryFailed
}

type outEntry struct {
	item accord.OutboxItem
	msg  *accord.Message
}

// failureRecord is one Failure with the wall time DeliveryFailed was called.
type failureRecord struct {
	Failure
	at       time.Time
	attempts int // Attempts before this failure
}

func newMemNode(id *Identity) *memNode {
	return &memNode{id: id, receipts: map[string]*accord.Receipt{}}
}

func (n *memNode) SelfID() string { return n.id.Party() }

func (n *memNode) Peers(context.Context) ([]*accord.Party, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*accord.Party, len(n.peers))
	for i, p := range n.peers {
		cp := *p
		out[i] = &cp
	}
	return out, nil
}

func (n *memNode) setPeers(ps ...*accord.Party) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.peers = ps
}

func (n *memNode) Receive(_ context.Context, peer string, msgs []*accord.Message) []Result {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.receiveCalls++
	out := make([]Result, len(msgs))
	for i, m := range msgs {
		if rc := n.receipts[m.ID]; rc != nil {
			out[i] = Result{Receipt: rc}
			continue
		}
		if n.refuse != nil {
			if err := n.refuse(m); err != nil {
				out[i] = Result{Err: err}
				continue
			}
		}
		rc := &accord.Receipt{MessageID: m.ID, Digest: m.Digest, Sender: peer, Receiver: n.id.Party(), ReceivedAt: time.Now()}
		if err := n.id.SealReceipt(rc); err != nil {
			out[i] = Result{Err: err}
			continue
		}
		n.receipts[m.ID] = rc
		n.received = append(n.received, m)
		out[i] = Result{Receipt: rc}
	}
	return out
}

func (n *memNode) DueOutbox(_ context.Context, peer string, now time.Time, limit int, skip []string) ([]Pending, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []Pending
	for _, e := range n.outbox {
		if len(out) == limit {
			break
		}
		if slices.Contains(skip, e.item.RequestID) {
			continue
		}
		if e.item.Peer == peer && e.item.DeliveredAt.IsZero() && !e.item.NextAttemptAt.After(now) {
			it := e.item
			out = append(out, Pending{Item: &it, Message: e.msg})
		}
	}
	return out, nil
}

func (n *memNode) entry(id string) *outEntry {
	for _, e := range n.outbox {
		if e.item.MessageID == id {
			return e
		}
	}
	return nil
}

func (n *memNode) Delivered(_ context.Context, peer string, receipts []*accord.Receipt) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, rc := range receipts {
		e := n.entry(rc.MessageID)
		if e == nil || e.msg.Digest != rc.Digest || rc.Receiver != peer {
			return accord.Errorf(accord.EINVALID, "receipt for %s does not match", rc.MessageID)
		}
		e.item.DeliveredAt = time.Now()
	}
	return nil
}

func (n *memNode) DeliveryFailed(_ context.Context, peer string, failures []Failure) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	for _, f := range failures {
		e := n.entry(f.MessageID)
		if e == nil {
			return accord.Errorf(accord.ENOTFOUND, "no outbox item %s", f.MessageID)
		}
		n.failures = append(n.failures, failureRecord{Failure: f, at: now, attempts: e.item.Attempts})
		e.item.Attempts++
		e.item.LastError = f.Reason
		e.item.NextAttemptAt = f.NextAttemptAt
	}
	if n.failed != nil {
		select {
		case n.failed <- struct{}{}:
		default:
		}
	}
	return nil
}

func (n *memNode) PendingOutbox(_ context.Context, peer string) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, e := range n.outbox {
		if e.item.Peer == peer && e.item.DeliveredAt.IsZero() {
			c++
		}
	}
	return c, nil
}

// enqueue seals a message to peer about request and queues it; seq is the
// next of that request.
func (n *memNode) enqueue(t *testing.T, peer, request string) *accord.Message {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	seq := 1
	for _, e := range n.outbox {
		if e.msg.RequestID == request {
			seq++
		}
	}
	m := &accord.Message{ID: uuid.NewString(), Kind: accord.KindNotification, Sender: n.id.Party(), Recipient: peer,
		RequestID: request, Seq: seq, CreatedAt: time.Now(), Body: json.RawMessage(fmt.Sprintf(`{"note":"step %d"}`, seq))}
	if err := n.id.Seal(m); err != nil {
		t.Fatalf("Seal: %v", err)
	}
	n.outbox = append(n.outbox, &outEntry{item: accord.OutboxItem{MessageID: m.ID, Peer: peer, RequestID: request,
		Seq: seq, NextAttemptAt: time.Now(), CreatedAt: time.Now()}, msg: m})
	return m
}

func (n *memNode) failureRecords() []failureRecord {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.failures)
}

func (n *memNode) item(id string) accord.OutboxItem {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.entry(id).item
}

func (n *memNode) calls() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.receiveCalls
}

func (n *memNode) receivedIDs() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var ids []string
	for _, m := range n.received {
		ids = append(ids, m.ID)
	}
	return ids
}

// --- helpers shared by the tests ---

func newIdentity(t testing.TB, party string) *Identity {
	t.Helper()
	id, err := GenerateIdentity(party, nil)
	if err != nil {
		t.Fatalf("GenerateIdentity(%s): %v", party, err)
	}
	return id
}

// peerOf returns the party record a node keeps for the peer with identity id.
func peerOf(id *Identity, federationURL string) *accord.Party {
	return &accord.Party{ID: id.Party(), Name: id.Party() + " CERT", Country: "US", Kind: accord.PartyPeer,
		FederationURL: federationURL, SigningKey: id.PublicKey(), TLSCert: id.CertDER()}
}

// keyring returns a keyOf function over the given identities.
func keyring(ids ...*Identity) func(string) (ed25519.PublicKey, error) {
	return func(party string) (ed25519.PublicKey, error) {
		for _, id := range ids {
			if id.Party() == party {
				return id.PublicKey(), nil
			}
		}
		return nil, accord.Errorf(accord.ENOTFOUND, "no party %s", party)
	}
}

// signRaw builds a compact JWS over arbitrary header and payload bytes,
// signed with key: for envelopes Seal would never produce.
func signRaw(key ed25519.PrivateKey, header string, payload []byte) []byte {
	input := b64(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	return []byte(input + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, []byte(input))))
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func header(typ, kid string) string {
	return fmt.Sprintf(`{"alg":"EdDSA","kid":%q,"typ":%q}`, kid, typ)
}

// testMessage returns a valid, unsealed message from one party to another.
func testMessage(from, to string, at time.Time) *accord.Message {
	return &accord.Message{ID: uuid.NewString(), Kind: accord.KindNotification, Sender: from, Recipient: to,
		RequestID: from + "-R0001", Seq: 1, CreatedAt: at, Body: json.RawMessage(`{"note":"hello"}`)}
}

func sealed(t testing.TB, id *Identity, m *accord.Message) *accord.Message {
	t.Helper()
	if err := id.Seal(m); err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return m
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// wantCode fails unless err carries the given accord code.
func wantCode(t *testing.T, call string, err error, code string) {
	t.Helper()
	if got := accord.ErrorCode(err); got != code {
		t.Fatalf("%s: got code %q (%v), want %q", call, got, err, code)
	}
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return fmt.Sprintf("%x", s)
}

// The in-memory node keeps no ledger: it offers no checkpoint and witnesses none.
func (n *memNode) Offer(context.Context, string) (*CheckpointOffer, error) {
	return nil, accord.Errorf(accord.EUNAVAILABLE, "no ledger")
}

func (n *memNode) Witness(context.Context, string, *CheckpointOffer) ([]byte, int64, error) {
	return nil, 0, accord.Errorf(accord.EUNAVAILABLE, "no ledger")
}

func (n *memNode) Cosigned(context.Context, string, []byte) error { return nil }

func (n *memNode) Witnessed(string, int64) {}

// The in-memory node holds no evidence: nothing is shared, nothing to fetch.

func (n *memNode) OpenShared(_ context.Context, peer, digest string) (io.ReadCloser, int64, error) {
	return nil, 0, accord.Errorf(accord.ENOTFOUND, "no evidence %s was sent to %s", digest, peer)
}

func (n *memNode) DueFetches(context.Context, string, time.Time, int) ([]*accord.EvidenceTransfer, error) {
	return nil, nil
}

func (n *memNode) PendingFetches(context.Context, string) (int, error) { return 0, nil }

func (n *memNode) Fetched(_ context.Context, peer string, x *accord.EvidenceTransfer, _ io.Reader) error {
	return accord.Errorf(accord.ENOTFOUND, "no evidence transfer %s/%d from %s", x.MessageID, x.Index, peer)
}

func (n *memNode) FetchFailed(context.Context, string, *accord.EvidenceTransfer, string, time.Time) error {
	return nil
}
