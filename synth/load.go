package synth

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/ledger"
	"github.com/accord-cyber/accord/node"
)

// How Load cuts its work: requests are played (and their messages and
// receipts signed) a chunk at a time by one worker per core, and each
// store is written by one writer in transactions of about flushMessages
// messages with their receipts, events, answers and ledger entries.
const (
	chunkRequests = 128
	casesPerTx    = 2000
)

// flushMessages is a variable only for tests, which make it small.
var flushMessages = 4000

// Load writes history h into st as the node of party self stores it after
// exchanging every message of h with the node of party peer: both parties
// (itself, and the other as a peer with peer's signing key and TLS
// certificate), its own cases, every request in its final state with its
// deadlines, events and answers, every message it sent or received signed
// by its sender, every receipt signed by its receiver, an outbox item
// delivered for each message it sent, the counters of its case and request
// ids, and its ledger: the records of those messages and receipts in the
// order the node appended them. node.Service.Verify then holds, and the
// store reads back through node.Service as if the node had lived through
// h. Load is for benchmarks and demos: it writes in bulk, one store
// transaction per few thousand messages, signing on every core. It
// records no users (the events name liaison-1 … and analyst-1 …, who may
// be added with node.Service.AddUser) and no checkpoints, which a running
// node signs and has witnessed (node.Service.Offer).
//
// st must hold no case, request or ledger entry yet (ECONFLICT otherwise);
// the identities must be those of h's two parties (EINVALID otherwise).
// On any error st holds part of h and should be discarded.
func Load(ctx context.Context, st accord.Store, self, peer *federation.Identity, h *History) error {
	idents, err := identities(h, self, peer)
	if err != nil {
		return err
	}
	side := 0
	if idents[1] == self {
		side = 1
	}
	return load(ctx, h, idents, []*writer{{store: st, side: side}})
}

// LoadPair writes history h into a and b as the nodes of parties
// ida.Party() and idb.Party() store it after exchanging every message of
// h, as Load does for one of them, with the same errors; each message and
// receipt is signed once for both.
// The two stores then hold the same requests (each from its side), the
// same messages and the same receipts.
func LoadPair(ctx context.Context, a, b accord.Store, ida, idb *federation.Identity, h *History) error {
	idents, err := identities(h, ida, idb)
	if err != nil {
		return err
	}
	sa, sb := 0, 1
	if idents[1] == ida {
		sa, sb = 1, 0
	}
	return load(ctx, h, idents, []*writer{{store: a, side: sa}, {store: b, side: sb}})
}

// identities returns x and y in the order of h's parties, or EINVALID.
func identities(h *History, x, y *federation.Identity) ([2]*federation.Identity, error) {
	if h == nil || h.Agreement == nil {
		return [2]*federation.Identity{}, accord.Errorf(accord.EINVALID, "no history to load")
	}
	if x == nil || y == nil {
		return [2]*federation.Identity{}, accord.Errorf(accord.EINVALID, "both parties' identities are needed to sign the history")
	}
	switch {
	case x.Party() == h.Parties[0].ID && y.Party() == h.Parties[1].ID:
		return [2]*federation.Identity{x, y}, nil
	case y.Party() == h.Parties[0].ID && x.Party() == h.Parties[1].ID:
		return [2]*federation.Identity{y, x}, nil
	}
	return [2]*federation.Identity{}, accord.Errorf(accord.EINVALID, "the identities are of %s and %s; the history is between %s and %s",
		x.Party(), y.Party(), h.Parties[0].ID, h.Parties[1].ID)
}

// chunk is a run of requests played by one worker.
type chunk struct {
	lo, hi int
	rows   [][2]*rows
	next   int64 // when the first request after the chunk was sent (Unix µs)
	err    error
	done   chan struct{}
}

// load plays h on every core and has each writer store its side.
func load(ctx context.Context, h *History, idents [2]*federation.Identity, writers []*writer) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var want [2]bool
	for _, w := range writers {
		w.h, w.ident, w.self = h, idents, h.Parties[w.side].ID
		w.in = make(chan *chunk, 2)
		want[w.side] = true
	}
	p := newPlayer(h, idents)
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan *chunk)
	order := make(chan *chunk, 4*workers) // bounds how far the workers run ahead of the writers
	var wg sync.WaitGroup

	wg.Go(func() {
		defer close(jobs)
		defer close(order)
		for lo := 0; lo < len(h.Requests); lo += chunkRequests {
			c := &chunk{lo: lo, hi: min(lo+chunkRequests, len(h.Requests)), next: math.MaxInt64, done: make(chan struct{})}
			if c.hi < len(h.Requests) {
				c.next = h.Requests[c.hi].SentAt.UnixMicro()
			}
			select {
			case order <- c:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- c:
			case <-ctx.Done():
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for c := range jobs {
				c.rows = make([][2]*rows, c.hi-c.lo)
				for i := c.lo; i < c.hi && c.err == nil && ctx.Err() == nil; i++ {
					c.rows[i-c.lo], c.err = p.play(i, want)
					// The writers, not the signers, set the pace: let a
					// writer that is ready run at once, not at the end of
					// the scheduler's time slice (8% faster on 2 cores).
					runtime.Gosched()
				}
				close(c.done)
			}
		})
	}
	for _, w := range writers {
		wg.Go(func() {
			if err := w.run(ctx); err != nil {
				cancel(err)
			}
		})
	}
	// Hand the chunks to the writers in order.
	func() {
		defer func() {
			for _, w := range writers {
				close(w.in)
			}
		}()
		for c := range order {
			select {
			case <-c.done:
			case <-ctx.Done():
				return
			}
			if c.err != nil {
				cancel(c.err)
				return
			}
			for _, w := range writers {
				select {
				case w.in <- c:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		var sides []string
		for _, w := range writers {
			sides = append(sides, w.self)
		}
		return fmt.Errorf("load the history of %d requests as %s: %w", len(h.Requests), strings.Join(sides, " and "), err)
	}
	return nil
}

// writer stores one party's side of the history.
type writer struct {
	store accord.Store
	side  int

	h     *History
	ident [2]*federation.Identity
	self  string
	in    chan *chunk

	entries entryHeap // ledger records not yet due
	b       batch
}

// batch is what the next transaction writes.
type batch struct {
	requests []*accord.Request
	own      []string // ids of the requests self sent, in order
	events   []*accord.Event
	answers  []*accord.Answer
	messages []*accord.Message
	receipts []*accord.Receipt
	outbox   []*accord.OutboxItem
	records  [][]byte
}

func (w *writer) run(ctx context.Context) error {
	if err := w.prepare(ctx); err != nil {
		return err
	}
	for c := range w.in {
		for _, both := range c.rows {
			w.add(both[w.side])
		}
		// Every record left to come is appended at or after c.next: the
		// records before it are due, in order.
		w.due(c.next)
		if len(w.b.messages) >= flushMessages {
			if err := w.flush(ctx); err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	w.due(math.MaxInt64)
	return w.flush(ctx)
}

// add puts the rows of a request in the batch, and its ledger records in
// the queue of records not yet due. The rows go request by request; only
// the ledger has to be in the order of time. (Storing the messages and
// receipts in the order of time too, as the node does, kept the indexes
// keyed by their UUIDv7 ids growing at their end, but measured slower and
// wrote more to disk, at 20,000 and at 100,000 requests.)
func (w *writer) add(r *rows) {
	b := &w.b
	b.requests = append(b.requests, r.request)
	if r.own {
		b.own = append(b.own, r.request.ID)
	}
	b.events = append(b.events, r.events...)
	b.answers = append(b.answers, r.answers...)
	b.messages = append(b.messages, r.messages...)
	b.receipts = append(b.receipts, r.receipts...)
	b.outbox = append(b.outbox, r.outbox...)
	for _, e := range r.entries {
		heap.Push(&w.entries, e)
	}
}

// due moves the records appended before `before` (Unix µs) to the batch.
func (w *writer) due(before int64) {
	for len(w.entries) > 0 && w.entries[0].at < before {
		w.b.records = append(w.b.records, heap.Pop(&w.entries).(entry).rec)
	}
}

// flush writes the batch in one transaction: the rows in the order their
// references need, the request counter as the node advances it, and the
// ledger entries.
func (w *writer) flush(ctx context.Context) error {
	b := &w.b
	err := w.store.Update(ctx, func(tx accord.Tx) error {
		if err := tx.CreateRequests(b.requests); err != nil {
			return err
		}
		for _, id := range b.own {
			n, err := tx.NextSeq("request")
			if err != nil {
				return err
			}
			if want := fmt.Sprintf("%s-R%04d", w.self, n); want != id {
				return accord.Errorf(accord.EINTERNAL, "request %s would be %s in %s's store: its request counter is off", id, want, w.self)
			}
		}
		if err := tx.AddEvents(b.events); err != nil {
			return err
		}
		for _, a := range b.answers {
			if err := tx.AddAnswer(a); err != nil {
				return err
			}
		}
		if err := tx.AddMessages(b.messages); err != nil {
			return err
		}
		if err := tx.AddReceipts(b.receipts); err != nil {
			return err
		}
		for _, o := range b.outbox {
			if err := tx.Enqueue(o); err != nil {
				return err
			}
		}
		_, err := ledger.AppendEntries(tx, b.records)
		return err
	})
	if err != nil {
		return err
	}
	*b = batch{requests: b.requests[:0], own: b.own[:0], events: clear0(b.events), answers: clear0(b.answers),
		messages: clear0(b.messages), receipts: clear0(b.receipts), outbox: clear0(b.outbox), records: clear0(b.records)}
	return nil
}

// clear0 empties s, dropping its references, and keeps its capacity.
func clear0[T any](s []T) []T {
	clear(s)
	return s[:0]
}

// prepare checks that the store holds no history and records the parties
// (as InitSelf and AddPeer do, at the history's start) and the cases of
// self, each numbered by the store's case counter.
func (w *writer) prepare(ctx context.Context) error {
	err := w.store.View(ctx, func(tx accord.Tx) error {
		n, err := tx.LedgerSize()
		if err != nil {
			return err
		}
		reqs, err := tx.CountRequests(accord.RequestFilter{})
		if err != nil {
			return err
		}
		cases, err := tx.Cases(accord.CaseFilter{Limit: 1})
		if err != nil {
			return err
		}
		if n > 0 || reqs > 0 || len(cases) > 0 {
			return accord.Errorf(accord.ECONFLICT, "the store of %s holds a history already (%d ledger entries, %d requests): load into an empty one", w.self, n, reqs)
		}
		return nil
	})
	if err != nil {
		return err
	}
	svc := node.New(node.Config{Store: w.store, Agreement: w.h.Agreement, Self: w.self,
		Clock: accord.ClockFunc(func() time.Time { return w.h.Start }), Logger: slog.New(slog.DiscardHandler)})
	self, peer := w.h.Parties[w.side], w.h.Parties[1-w.side]
	self.SigningKey, self.TLSCert = w.ident[w.side].PublicKey(), w.ident[w.side].CertDER()
	peer.SigningKey, peer.TLSCert = w.ident[1-w.side].PublicKey(), w.ident[1-w.side].CertDER()
	if _, err := svc.InitSelf(ctx, self); err != nil {
		return err
	}
	if _, err := svc.AddPeer(ctx, accord.Actor{Name: "synth", Role: accord.RoleAdmin}, peer); err != nil {
		return err
	}
	var own []*Case
	for _, c := range w.h.Cases {
		if c.Owner == w.self {
			own = append(own, c)
		}
	}
	for lo := 0; lo < len(own); lo += casesPerTx {
		err := w.store.Update(ctx, func(tx accord.Tx) error {
			for _, c := range own[lo:min(lo+casesPerTx, len(own))] {
				n, err := tx.NextSeq("case")
				if err != nil {
					return err
				}
				if want := fmt.Sprintf("%s-C%04d", w.self, n); want != c.ID {
					return accord.Errorf(accord.EINTERNAL, "case %s would be %s in %s's store: its case counter is off", c.ID, want, w.self)
				}
				cc := c.Case
				if err := tx.CreateCase(&cc); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// entryHeap orders ledger records by the time they were appended.
type entryHeap []entry

func (h entryHeap) Len() int { return len(h) }
func (h entryHeap) Less(i, j int) bool {
	return h[i].at < h[j].at || (h[i].at == h[j].at && h[i].key < h[j].key)
}
func (h entryHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *entryHeap) Push(x any)   { *h = append(*h, x.(entry)) }
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = entry{}
	*h = old[:len(old)-1]
	return e
}
