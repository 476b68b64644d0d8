package report_test

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/blob"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/sqlite"
)

var (
	admin    = accord.Actor{Name: "ada", Role: accord.RoleAdmin}
	analyst  = accord.Actor{Name: "ana", Role: accord.RoleAnalyst}
	liaison  = accord.Actor{Name: "lia", Role: accord.RoleLiaison}
	reviewer = accord.Actor{Name: "rev", Role: accord.RoleReviewer}
)

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// peer is one node of an in-process federation: a real store, identity and
// service.
type peer struct {
	id    string
	svc   *node.Service
	store *sqlite.DB
	ident *federation.Identity
	path  string
}

func newPeer(t *testing.T, ctx context.Context, id, country string, clock accord.Clock) *peer {
	t.Helper()
	ident, err := federation.GenerateIdentity(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "accord.db")
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	blobs, err := blob.Open(filepath.Join(dir, "evidence"), blob.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := node.New(node.Config{Store: store, Agreement: accord.DefaultAgreement(), Clock: clock, Self: id, Sealer: ident, Notary: ident, Blobs: blobs,
		Logger: slog.New(slog.DiscardHandler)})
	if _, err := svc.InitSelf(ctx, accord.Party{ID: id, Name: strings.ToUpper(id), Country: country, FederationURL: "https://127.0.0.1:1/federation/v1/",
		SigningKey: ident.PublicKey(), TLSCert: ident.CertDER()}); err != nil {
		t.Fatal(err)
	}
	return &peer{id: id, svc: svc, store: store, ident: ident, path: path}
}

// pair returns us-cert and cncert, trusting each other, on one clock.
func pair(t *testing.T, start time.Time) (context.Context, *testClock, *peer, *peer) {
	t.Helper()
	ctx := context.Background()
	clock := &testClock{now: start}
	us := newPeer(t, ctx, "us-cert", "US", clock)
	cn := newPeer(t, ctx, "cncert", "CN", clock)
	for _, x := range [][2]*peer{{us, cn}, {cn, us}} {
		p, err := x[1].svc.Self(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x[0].svc.AddPeer(ctx, admin, *p); err != nil {
			t.Fatal(err)
		}
	}
	return ctx, clock, us, cn
}

// carry delivers every due message of a to b and b's receipts back, as the
// deliverer does over the wire.
func carry(t *testing.T, ctx context.Context, a, b *peer) {
	t.Helper()
	for {
		due, err := a.svc.DueOutbox(ctx, b.id, time.Now().Add(time.Hour), 256, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) == 0 {
			return
		}
		var msgs []*accord.Message
		for _, p := range due {
			m, err := federation.OpenMessage(p.Message.JWS, func(string) (ed25519.PublicKey, error) { return a.ident.PublicKey(), nil })
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
		}
		var receipts []*accord.Receipt
		for i, res := range b.svc.Receive(ctx, a.id, msgs) {
			if res.Err != nil {
				t.Fatalf("%s refused %s %s: %v", b.id, msgs[i].Kind, msgs[i].ID, res.Err)
			}
			receipts = append(receipts, res.Receipt)
		}
		if err := a.svc.Delivered(ctx, b.id, receipts); err != nil {
			t.Fatal(err)
		}
	}
}

// settle carries messages both ways until neither node has any to send.
func settle(t *testing.T, ctx context.Context, a, b *peer) {
	t.Helper()
	for i := 0; i < 3; i++ {
		carry(t, ctx, a, b)
		carry(t, ctx, b, a)
	}
}
