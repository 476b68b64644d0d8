package synth_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/ledger"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/sqlite"
	"github.com/accord-cyber/accord/synth"
)

var (
	quiet    = slog.New(slog.DiscardHandler)
	reviewer = accord.Actor{Name: "reviewer", Role: accord.RoleReviewer}
	admin    = accord.Actor{Name: "admin", Role: accord.RoleAdmin}
)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time)         { c.mu.Lock(); c.now = t; c.mu.Unlock() }
func newClock(t time.Time) *clock        { return &clock{now: t} }
func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

func openStore(t testing.TB, name string) accord.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), name+".db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func identity(t testing.TB, party string) *federation.Identity {
	t.Helper()
	id, err := federation.GenerateIdentity(party, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// service returns a node of party id over st, signing as ident.
func service(st accord.Store, h *synth.History, ident *federation.Identity, c accord.Clock) *node.Service {
	return node.New(node.Config{Store: st, Agreement: h.Agreement, Clock: c, Self: ident.Party(), Sealer: ident, Notary: ident, Logger: quiet})
}

// livePair plays h through two real nodes, step by step through their
// public API, carrying each message to the other node when h says it was
// received, as the deliverer would. It returns the two stores in the order
// of h's parties.
func livePair(t *testing.T, h *synth.History, idents [2]*federation.Identity) [2]accord.Store {
	t.Helper()
	ctx := context.Background()
	clk := newClock(h.Start)
	var stores [2]accord.Store
	var svcs [2]*node.Service
	side := map[string]int{}
	for i, p := range h.Parties {
		stores[i] = openStore(t, "live-"+p.ID)
		svcs[i] = service(stores[i], h, idents[i], clk)
		side[p.ID] = i
	}
	for i, p := range h.Parties {
		p.SigningKey, p.TLSCert = idents[i].PublicKey(), idents[i].CertDER()
		if _, err := svcs[i].InitSelf(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for i := range h.Parties {
		p := h.Parties[1-i]
		p.SigningKey, p.TLSCert = idents[1-i].PublicKey(), idents[1-i].CertDER()
		if _, err := svcs[i].AddPeer(ctx, admin, p); err != nil {
			t.Fatal(err)
		}
	}
	// deliver carries message seq of request id from party a to party b.
	deliver := func(a, b int, id string, seq int) {
		t.Helper()
		due, err := svcs[a].DueOutbox(ctx, h.Parties[b].ID, time.Now().Add(time.Hour), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(due, func(p federation.Pending) bool { return p.Item.RequestID == id && p.Item.Seq == seq })
		if i < 0 {
			t.Fatalf("message %d of %s from %s is not in its outbox", seq, id, h.Parties[a].ID)
		}
		m, err := federation.OpenMessage(due[i].Message.JWS, func(string) (ed25519.PublicKey, error) { return idents[a].PublicKey(), nil })
		if err != nil {
			t.Fatal(err)
		}
		res := svcs[b].Receive(ctx, h.Parties[a].ID, []*accord.Message{m})
		if res[0].Err != nil {
			t.Fatalf("%s refused %s %d of %s: %v", h.Parties[b].ID, m.Kind, seq, id, res[0].Err)
		}
		if err := svcs[a].Delivered(ctx, h.Parties[b].ID, []*accord.Receipt{res[0].Receipt}); err != nil {
			t.Fatal(err)
		}
	}
	type op struct {
		at time.Time
		do func()
	}
	var ops []op
	for _, c := range h.Cases {
		s := side[c.Owner]
		ops = append(ops, op{c.CreatedAt, func() {
			got, err := svcs[s].CreateCase(ctx, accord.Actor{Name: c.CreatedBy, Role: accord.RoleAnalyst}, node.NewCase{
				Title: c.Title, Summary: c.Summary, Category: c.Category, Sectors: c.Sectors,
				AffectedCountry: c.AffectedCountry, OriginCountry: c.OriginCountry, TLP: c.TLP})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != c.ID {
				t.Fatalf("case opened at %s is %s, the history calls it %s", c.CreatedAt, got.ID, c.ID)
			}
		}})
		if c.Status == accord.CaseClosed {
			ops = append(ops, op{c.ClosedAt, func() {
				if _, err := svcs[s].CloseCase(ctx, accord.Actor{Name: c.CreatedBy, Role: accord.RoleAnalyst}, c.ID); err != nil {
					t.Fatal(err)
				}
			}})
		}
	}
	for i := range h.Requests {
		q := &h.Requests[i]
		r, o := side[q.From], side[q.To]
		ops = append(ops, op{q.SentAt, func() {
			d, err := svcs[r].CreateRequest(ctx, accord.Actor{Name: q.Actor, Role: accord.RoleLiaison}, node.NewRequest{
				CaseID: q.CaseID, To: q.To, Type: q.Type, Priority: q.Priority, Subject: q.Subject, Body: q.Body,
				LegalBasis: q.LegalBasis, ExternalRef: q.ExternalRef})
			if err != nil {
				t.Fatal(err)
			}
			if d.ID != q.ID {
				t.Fatalf("request sent at %s is %s, the history calls it %s", q.SentAt, d.ID, q.ID)
			}
		}}, op{q.ReceivedAt, func() { deliver(r, o, q.ID, 1) }})
		seq := [2]int{1, 0}
		for j := range q.Steps {
			s := &q.Steps[j]
			a, b := 1, 0 // indexes into seq: 0 the requester, 1 the requested
			if s.Action.Side() == accord.SideRequester {
				a, b = 0, 1
			}
			seq[a]++
			n := seq[a]
			parties := [2]int{r, o}
			ops = append(ops, op{s.At, func() {
				if _, err := svcs[parties[a]].Act(ctx, accord.Actor{Name: s.Actor, Role: accord.RoleLiaison}, q.ID, s.NodeStep()); err != nil {
					t.Fatal(err)
				}
			}}, op{s.ReceivedAt, func() { deliver(parties[a], parties[b], q.ID, n) }})
		}
	}
	slices.SortStableFunc(ops, func(x, y op) int { return x.at.Compare(y.at) })
	for _, o := range ops {
		clk.Set(o.at)
		o.do()
	}
	return stores
}

// record is what a store holds, in forms two stores can be compared by:
// message ids (and so signatures and digests) differ between a live run
// and a load, so messages, receipts, outbox items and ledger entries are
// named by request, sender and number instead.
type record struct {
	Parties  []*accord.Party
	Cases    []*accord.Case
	Requests []*accord.Request
	Events   []*accord.Event
	Answers  []*accord.Answer
	Messages []message
	Receipts []receipt
	Outbox   []outboxItem
	Ledger   []string
}

type message struct {
	Kind              accord.MessageKind
	Sender, Recipient string
	RequestID         string
	Seq               int
	CreatedAt         time.Time
	Body              string
	ReceivedAt        time.Time
}

type receipt struct {
	Message          string
	Sender, Receiver string
	ReceivedAt       time.Time
}

type outboxItem struct {
	Message                string
	Peer                   string
	Attempts               int
	CreatedAt, DeliveredAt time.Time
	LastError              string
}

func snapshot(t *testing.T, st accord.Store) record {
	t.Helper()
	var rec record
	names := map[string]string{} // message id → request/sender/seq
	err := st.View(context.Background(), func(tx accord.Tx) (err error) {
		if rec.Parties, err = tx.Parties(); err != nil {
			return err
		}
		if rec.Cases, err = tx.Cases(accord.CaseFilter{}); err != nil {
			return err
		}
		if rec.Requests, err = tx.Requests(accord.RequestFilter{}); err != nil {
			return err
		}
		for _, r := range rec.Requests {
			es, err := tx.Events(r.ID)
			if err != nil {
				return err
			}
			rec.Events = append(rec.Events, es...)
			as, err := tx.Answers(r.ID)
			if err != nil {
				return err
			}
			rec.Answers = append(rec.Answers, as...)
			ms, err := tx.Messages(r.ID)
			if err != nil {
				return err
			}
			for _, m := range ms {
				name := m.RequestID + "/" + m.Sender + "/" + string(rune('0'+m.Seq))
				names[m.ID] = name
				rec.Messages = append(rec.Messages, message{m.Kind, m.Sender, m.Recipient, m.RequestID, m.Seq, m.CreatedAt, string(m.Body), m.ReceivedAt})
				rc, err := tx.Receipt(m.ID)
				if err != nil {
					return err
				}
				rec.Receipts = append(rec.Receipts, receipt{name, rc.Sender, rc.Receiver, rc.ReceivedAt})
				if o, err := tx.OutboxItem(m.ID); err == nil {
					rec.Outbox = append(rec.Outbox, outboxItem{name, o.Peer, o.Attempts, o.CreatedAt, o.DeliveredAt, o.LastError})
				} else if accord.ErrorCode(err) != accord.ENOTFOUND {
					return err
				}
			}
		}
		return tx.LedgerEntries(0, func(_ int64, r []byte) error {
			e, err := ledger.ParseRecord(r)
			if err != nil {
				return err
			}
			rec.Ledger = append(rec.Ledger, e.Kind+" "+names[e.Ref])
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func verify(t *testing.T, what string, st accord.Store, h *synth.History, ident *federation.Identity) {
	t.Helper()
	rep, err := service(st, h, ident, newClock(h.End)).Verify(context.Background(), reviewer)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Messages != h.Messages() || rep.Receipts != h.Messages() {
		t.Errorf("%s: Verify = %+v; want OK with %d messages and receipts", what, rep, h.Messages())
	}
}

// TestLoadPairEqualsLiveNodes is the acceptance test of the package: a
// small history loaded by LoadPair gives the two stores that two real
// nodes write when the same history is played through their public API,
// with every message carried between them.
func TestLoadPairEqualsLiveNodes(t *testing.T) {
	// Seeds 7 and 43 give histories with every kind of step, requests
	// never acknowledged, withdrawn early and late, and closed cases.
	seeds := []int64{7, 43}
	if raceEnabled {
		seeds = seeds[:1] // the race detector makes signing ten times slower
	}
	for _, seed := range seeds {
		h, err := synth.Generate(seed, synth.Options{Requests: 30, Span: 90 * 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if missing := uncovered(h); len(missing) > 0 {
			t.Errorf("seed %d: the history has no %v: choose another seed", seed, missing)
		}
		idents := [2]*federation.Identity{identity(t, h.Parties[0].ID), identity(t, h.Parties[1].ID)}
		live := livePair(t, h, idents)
		loaded := [2]accord.Store{openStore(t, "a"), openStore(t, "b")}
		if err := synth.LoadPair(context.Background(), loaded[0], loaded[1], idents[0], idents[1], h); err != nil {
			t.Fatal(err)
		}
		for i, p := range h.Parties {
			want, got := snapshot(t, live[i]), snapshot(t, loaded[i])
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("seed %d: %s's loaded store differs from the live node's (-live +loaded):\n%s", seed, p.ID, diff)
			}
			if len(got.Requests) != len(h.Requests) || len(got.Ledger) != 2*h.Messages() {
				t.Errorf("seed %d: %s holds %d requests and %d ledger entries; want %d and %d", seed, p.ID, len(got.Requests), len(got.Ledger), len(h.Requests), 2*h.Messages())
			}
			verify(t, p.ID+" loaded", loaded[i], h, idents[i])
			verify(t, p.ID+" live", live[i], h, idents[i])
		}
		checkReadBack(t, h, loaded, idents)
	}
}

// uncovered returns what the history lacks of what the acceptance test
// should see.
func uncovered(h *synth.History) []string {
	seen := map[string]bool{}
	for _, q := range h.Requests {
		if len(q.Steps) == 0 {
			seen["request never acknowledged"] = true
		}
		for i, s := range q.Steps {
			seen[string(s.Action)] = true
			if s.Action == accord.ActionWithdraw && i > 0 {
				seen["late withdraw"] = true
			}
		}
		if q.Type == accord.TypeNotification && len(q.Steps) > 1 {
			seen["notification closed"] = true
		}
	}
	for _, c := range h.Cases {
		if c.Status == accord.CaseClosed {
			seen["closed case"] = true
		}
	}
	var missing []string
	for _, want := range []string{"request never acknowledged", "late withdraw", "notification closed", "closed case"} {
		if !seen[want] {
			missing = append(missing, want)
		}
	}
	for _, a := range accord.Actions {
		if a != accord.ActionDeliver && !seen[string(a)] {
			missing = append(missing, string(a))
		}
	}
	return missing
}

// checkReadBack reads the loaded requests through node.Service and checks
// that both sides see each in the same status, with the messages of the
// history, and that the nodes number what they do next after the history.
func checkReadBack(t *testing.T, h *synth.History, st [2]accord.Store, idents [2]*federation.Identity) {
	t.Helper()
	ctx := context.Background()
	clk := newClock(h.End)
	svcs := [2]*node.Service{service(st[0], h, idents[0], clk), service(st[1], h, idents[1], clk)}
	var views [2][]node.RequestView
	for i, s := range svcs {
		vs, total, err := s.Requests(ctx, reviewer, node.RequestQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if total != len(h.Requests) {
			t.Errorf("%s lists %d requests, want %d", h.Parties[i].ID, total, len(h.Requests))
		}
		views[i] = vs
	}
	for j, v := range views[0] {
		w := views[1][j]
		if v.ID != w.ID || v.Status != w.Status || v.Overdue != w.Overdue || v.Direction == w.Direction {
			t.Errorf("request %s: %s sees %s %s (%s), %s sees %s %s (%s)", v.ID, h.Parties[0].ID, v.Status, v.Overdue, v.Direction, h.Parties[1].ID, w.Status, w.Overdue, w.Direction)
		}
	}
	q := &h.Requests[len(h.Requests)-1]
	for i, s := range svcs {
		d, err := s.Request(ctx, reviewer, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := s.Messages(ctx, reviewer, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1+len(q.Steps) || len(d.Events) != 2+len(q.Steps) {
			t.Errorf("%s: request %s has %d messages and %d events; want %d and %d", h.Parties[i].ID, q.ID, len(ms), len(d.Events), 1+len(q.Steps), 2+len(q.Steps))
		}
		for _, m := range ms {
			if m.Receipt == nil {
				t.Errorf("%s: message %s of %s has no receipt", h.Parties[i].ID, m.ID, q.ID)
			}
		}
	}
}

// TestLoadOneSide checks that Load writes into one store exactly what
// LoadPair writes for that party, signatures and ledger included.
func TestLoadOneSide(t *testing.T) {
	h, err := synth.Generate(7, synth.Options{Requests: 40})
	if err != nil {
		t.Fatal(err)
	}
	a, b := identity(t, "us-cert"), identity(t, "cncert")
	pair := [2]accord.Store{openStore(t, "a"), openStore(t, "b")}
	if err := synth.LoadPair(context.Background(), pair[0], pair[1], a, b, h); err != nil {
		t.Fatal(err)
	}
	one := openStore(t, "one")
	if err := synth.Load(context.Background(), one, b, a, h); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rawState(t, pair[1]), rawState(t, one)); diff != "" {
		t.Errorf("Load's store differs from LoadPair's (-pair +one):\n%s", diff)
	}
	verify(t, "one side", one, h, b)
	if err := synth.Load(context.Background(), one, b, a, h); accord.ErrorCode(err) != accord.ECONFLICT {
		t.Errorf("Load into a loaded store: %v, want conflict", err)
	}
	c := identity(t, "jpcert")
	if err := synth.Load(context.Background(), openStore(t, "x"), c, a, h); accord.ErrorCode(err) != accord.EINVALID {
		t.Errorf("Load with another party's identity: %v, want invalid", err)
	}
}

// rawState is every message, receipt and ledger record of a store, bytes
// and all.
func rawState(t *testing.T, st accord.Store) []string {
	t.Helper()
	var out []string
	err := st.View(context.Background(), func(tx accord.Tx) error {
		rs, err := tx.Requests(accord.RequestFilter{})
		if err != nil {
			return err
		}
		for _, r := range rs {
			ms, err := tx.Messages(r.ID)
			if err != nil {
				return err
			}
			for _, m := range ms {
				rc, err := tx.Receipt(m.ID)
				if err != nil {
					return err
				}
				out = append(out, m.ID+" "+string(m.JWS)+" "+m.ReceivedAt.String(), string(rc.JWS))
			}
		}
		return tx.LedgerEntries(0, func(_ int64, r []byte) error { out = append(out, string(r)); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// failingStore is a store whose n-th write transaction first runs fail.
type failingStore struct {
	accord.Store
	mu     sync.Mutex
	n      int
	writes int
	fail   func() error
}

func (s *failingStore) Update(ctx context.Context, fn func(accord.Tx) error) error {
	s.mu.Lock()
	s.writes++
	hit := s.writes == s.n
	s.mu.Unlock()
	if hit {
		if err := s.fail(); err != nil {
			return err
		}
	}
	return s.Store.Update(ctx, fn)
}

// TestLoadFails checks that Load stops and says why when the store fails
// or the context ends part-way, instead of hanging or loading on.
func TestLoadFails(t *testing.T) {
	h, err := synth.Generate(5, synth.Options{Requests: 120})
	if err != nil {
		t.Fatal(err)
	}
	defer synth.SetFlushMessages(50)()
	a, b := identity(t, "us-cert"), identity(t, "cncert")
	broken := accord.Errorf(accord.EUNAVAILABLE, "disk full")
	for _, tc := range []struct {
		name   string
		writes int // the write that fails: the parties take 2, the cases 1, then the requests
		cancel bool
	}{
		{"store fails preparing", 2, false},
		{"store fails loading", 4, false},
		{"context ends", 4, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			st := &failingStore{Store: openStore(t, "f"), n: tc.writes, fail: func() error { return broken }}
			want := error(broken)
			if tc.cancel {
				st.fail = func() error { cancel(); return nil }
				want = context.Canceled
			}
			other := &failingStore{Store: openStore(t, "g")}
			err := synth.LoadPair(ctx, other, st, a, b, h)
			if !errors.Is(err, want) {
				t.Errorf("LoadPair = %v; want %v", err, want)
			}
			var n int
			if err := st.View(context.Background(), func(tx accord.Tx) (err error) { n, err = tx.CountRequests(accord.RequestFilter{}); return err }); err != nil {
				t.Fatal(err)
			}
			if n == len(h.Requests) {
				t.Errorf("the failing store holds all %d requests", n)
			}
		})
	}
}
