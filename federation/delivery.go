package federation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accord-cyber/accord"
)

// Defaults of DelivererOptions.
const (
	DefaultBatch          = 256 // the peer's DefaultMaxBatch: fewer, larger transactions on both sides
	DefaultBaseDelay      = 250 * time.Millisecond
	DefaultMaxDelay       = time.Minute
	DefaultIdleInterval   = time.Second
	DefaultRequestTimeout = 30 * time.Second
	DefaultPeerRefresh    = 10 * time.Second
	DefaultInFlight       = 4
)

// DelivererOptions configures NewDeliverer. Zero fields take their defaults.
type DelivererOptions struct {
	// Batch is the most messages sent in one request. Default DefaultBatch;
	// it should not exceed the peer's HandlerOptions.MaxBatch.
	Batch int
	// BaseDelay and MaxDelay bound the retry backoff: after the n-th failed
	// attempt of a message, the next one waits a uniformly random time
	// between 0 and min(MaxDelay, BaseDelay×2^(n-1)) ("full jitter").
	// Defaults DefaultBaseDelay and DefaultMaxDelay.
	BaseDelay, MaxDelay time.Duration
	// IdleInterval is how long a peer's loop sleeps when nothing is due and
	// no Notify comes, before it looks again (retries that came due). At
	// most one second; default DefaultIdleInterval.
	IdleInterval time.Duration
	// MaxBodyBytes caps the body of one request; a batch is cut short to
	// fit. Default DefaultMaxBodyBytes, the handler's default limit.
	MaxBodyBytes int
	// RequestTimeout bounds one request to a peer. Default DefaultRequestTimeout.
	RequestTimeout time.Duration
	// PeerRefresh is how often the list of peers is read again (a peer
	// added, removed or given a new card). Default DefaultPeerRefresh.
	PeerRefresh time.Duration
	// InFlight is the most batches posted to one peer at a time: while a
	// batch waits for its answer or its receipts are verified and recorded,
	// the next one is posted. A message is never posted while an earlier
	// message of its request is in flight, so each request's messages still
	// arrive in seq order. 1 posts strictly one batch after the other.
	// Default DefaultInFlight.
	InFlight int
	// Logger receives delivery failures (warn). Default slog.Default().
	Logger *slog.Logger
	// Registry, when set, receives the deliverer's metrics.
	Registry *prometheus.Registry
}

// Deliverer sends the node's outbox to its peers: one loop per peer takes
// the due messages in enqueue order, posts them in batches over mutual TLS
// pinned to the peer's certificate — up to InFlight batches at once, never
// two holding messages of the same request — verifies the signed receipts
// and records them (Node.Delivered), and records failures with a backoff
// (Node.DeliveryFailed). All its state is in the node's outbox, so a
// restarted Deliverer carries on where the last one stopped; a message
// whose receipt was lost is sent again and the peer, which is idempotent by
// message id, answers with the original receipt.
//
// Retries are scheduled on the wall clock (time.Now), never on the node's
// clock, which may be a frozen scenario clock.
type Deliverer struct {
	n    Node
	id   *Identity
	opts DelivererOptions
	log  *slog.Logger

	delivered *prometheus.CounterVec // nil without a registry
	failed    *prometheus.CounterVec

	mu       sync.Mutex
	running  bool
	workers  map[string]*worker
	invalid  map[string]string // peer → why it cannot be delivered to (logged once)
	inflight map[string]int    // peer → batches posted and not yet recorded
	changed  chan struct{}     // closed and replaced after each batch attempt
	refresh  chan struct{}     // asks Run to read the peers again
	wg       sync.WaitGroup
}

// NewDeliverer returns a Deliverer of n's outbox, signing as id. Call Run to
// start it.
func NewDeliverer(n Node, id *Identity, opts DelivererOptions) *Deliverer {
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.BaseDelay <= 0 {
		opts.BaseDelay = DefaultBaseDelay
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = DefaultMaxDelay
	}
	if opts.MaxDelay < opts.BaseDelay {
		opts.MaxDelay = opts.BaseDelay
	}
	if opts.IdleInterval <= 0 || opts.IdleInterval > time.Second {
		opts.IdleInterval = DefaultIdleInterval
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.PeerRefresh <= 0 {
		opts.PeerRefresh = DefaultPeerRefresh
	}
	if opts.InFlight <= 0 {
		opts.InFlight = DefaultInFlight
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	d := &Deliverer{n: n, id: id, opts: opts, log: opts.Logger, workers: map[string]*worker{},
		invalid: map[string]string{}, inflight: map[string]int{}, changed: make(chan struct{}), refresh: make(chan struct{}, 1)}
	if opts.Registry != nil {
		var err error
		if d.delivered, err = register(opts.Registry, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_federation_delivered_messages_total",
			Help: "Messages delivered to peers (a verified receipt recorded), by peer.",
		}, []string{"peer"})); err != nil {
			d.log.Error("federation metrics not registered", "err", err)
		}
		if d.failed, err = register(opts.Registry, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_federation_delivery_failures_total",
			Help: "Failed delivery attempts of a message to a peer, by peer.",
		}, []string{"peer"})); err != nil {
			d.log.Error("federation metrics not registered", "err", err)
		}
	}
	return d
}

// Run delivers until ctx is cancelled, then stops every peer loop, waits for
// them and the batches they have in flight, and returns nil. It reads the peers at start, every PeerRefresh and
// when Notify names a peer it has no loop for. It returns ECONFLICT if the
// Deliverer is running already.
func (d *Deliverer) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.running {
		d.mu.Unlock()
		return accord.Errorf(accord.ECONFLICT, "the deliverer is running already")
	}
	d.running = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		for id, w := range d.workers {
			w.cancel()
			delete(d.workers, id)
		}
		d.mu.Unlock()
		d.wg.Wait()
		d.mu.Lock()
		d.running = false
		d.mu.Unlock()
	}()

	ticker := time.NewTicker(d.opts.PeerRefresh)
	defer ticker.Stop()
	for {
		d.syncPeers(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-d.refresh:
		}
	}
}

// syncPeers starts a loop for each deliverable peer without one, hands
// changed cards to running loops and stops the loops of removed peers.
func (d *Deliverer) syncPeers(ctx context.Context) {
	peers, err := d.n.Peers(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("federation delivery: cannot list peers", "reason", err.Error())
		}
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	keep := map[string]bool{}
	for _, p := range peers {
		if reason := deliverable(p); reason != "" {
			if d.invalid[p.ID] != reason {
				d.invalid[p.ID] = reason
				d.log.Warn("federation delivery: cannot deliver to peer", "peer", p.ID, "reason", reason)
			}
			continue
		}
		delete(d.invalid, p.ID)
		keep[p.ID] = true
		if w := d.workers[p.ID]; w != nil {
			if old := w.peer.Swap(p); !samePeer(old, p) {
				w.poke()
			}
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		w := newWorker(d, p, cancel)
		d.workers[p.ID] = w
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			w.run(wctx)
		}()
	}
	for id, w := range d.workers {
		if !keep[id] {
			w.cancel()
			delete(d.workers, id)
		}
	}
}

// deliverable returns why messages cannot be delivered to p, or "".
func deliverable(p *accord.Party) string {
	switch {
	case len(p.SigningKey) != ed25519.PublicKeySize:
		return "no valid signing key"
	case Pin(p.TLSCert) == "":
		return "no valid TLS certificate"
	case validateFederationURL("federation_url", p.FederationURL) != nil:
		return fmt.Sprintf("federation URL %q is not https://host:port%s", p.FederationURL, BasePath)
	}
	return ""
}

func samePeer(a, b *accord.Party) bool {
	return a != nil && b != nil && a.FederationURL == b.FederationURL &&
		bytes.Equal(a.SigningKey, b.SigningKey) && bytes.Equal(a.TLSCert, b.TLSCert)
}

// Notify wakes the loop of peer at once: the node calls it after committing
// a new outbox item for peer. It never blocks. If there is no loop for peer
// yet (a new peer), it asks Run to read the peers again.
func (d *Deliverer) Notify(peer string) {
	d.mu.Lock()
	w := d.workers[peer]
	d.mu.Unlock()
	if w != nil {
		w.poke()
		return
	}
	select {
	case d.refresh <- struct{}{}:
	default:
	}
}

// Idle blocks until nothing waits for delivery to peer (Node.PendingOutbox
// is 0), no evidence from peer waits to be fetched (Node.PendingFetches is
// 0), and no batch or checkpoint exchange with peer is in flight, and
// returns nil, or returns ctx's
// error. It re-reads the count after each batch attempt of any peer loop, so
// it returns promptly once the outbox drains; while no loop runs for peer,
// it waits for ctx. It returns the node's error if the count cannot be read.
func (d *Deliverer) Idle(ctx context.Context, peer string) error {
	for {
		d.mu.Lock()
		changed, busy := d.changed, d.inflight[peer]
		d.mu.Unlock()
		n, err := d.n.PendingOutbox(ctx, peer)
		if err != nil {
			return fmt.Errorf("count the outbox of %s: %w", peer, err)
		}
		fetches, err := d.n.PendingFetches(ctx, peer)
		if err != nil {
			return fmt.Errorf("count the evidence to fetch from %s: %w", peer, err)
		}
		n += fetches
		if n == 0 && busy == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for delivery to %s (%d pending, %d batches in flight): %w", peer, n, busy, ctx.Err())
		case <-changed:
		}
	}
}

// flightStarted counts a batch to peer in flight.
func (d *Deliverer) flightStarted(peer string) {
	d.mu.Lock()
	d.inflight[peer]++
	d.mu.Unlock()
}

// flightDone counts a batch to peer as landed (its outcome recorded, or
// given up on) and tells Idle callers that an outbox may have changed.
func (d *Deliverer) flightDone(peer string) {
	d.mu.Lock()
	if d.inflight[peer]--; d.inflight[peer] <= 0 {
		delete(d.inflight, peer)
	}
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
}

// backoff returns the wait before the next attempt of a message that has
// failed attempts times before this failure: full jitter over
// [0, min(MaxDelay, BaseDelay×2^attempts)].
func (d *Deliverer) backoff(attempts int) time.Duration {
	ceiling := d.opts.BaseDelay
	for i := 0; i < attempts && ceiling < d.opts.MaxDelay; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, d.opts.MaxDelay)
	return rand.N(ceiling + 1)
}

// worker is the delivery loop of one peer. The loop goroutine reads the
// due outbox, chooses each batch and starts a goroutine per batch (at most
// InFlight at a time) that posts it, verifies the receipts and records the
// outcome, then hands the batch back on done. All the loop's bookkeeping is
// owned by the loop goroutine: a batch goroutine touches only its flight
// until it sends it on done.
type worker struct {
	d      *Deliverer
	peer   atomic.Pointer[accord.Party] // replaced by syncPeers when the card changes
	wake   chan struct{}                // capacity 1: a pending wake-up
	done   chan *flight                 // capacity InFlight: batches that landed
	cancel context.CancelFunc

	// A checkpoint exchange is due: set, and a job sent on ckpt (capacity
	// 1), by the batch that makes it due; cleared by the checkpoint
	// goroutine when it takes the job. Batches that land meanwhile share
	// the exchange, which offers the ledger as it is when it starts.
	ckptDue atomic.Bool
	ckpt    chan ckptJob
	ckptEnd chan struct{} // closed when the checkpoint goroutine has returned

	fetchWake chan struct{} // capacity 1: look at the evidence fetch queue
	fetchEnd  chan struct{} // closed when the fetch goroutine has returned
	fetchMu   sync.Mutex
	fetchHC   *http.Client // for fetches: no overall timeout (files are large)
	fetchFor  *accord.Party

	// Owned by the loop goroutine.
	client     *http.Client
	forPeer    *accord.Party       // the peer client was built for
	retries    []time.Time         // next attempts this loop scheduled, to wake for
	flights    int                 // batches in flight
	ids        map[string]struct{} // ids of the messages in flight
	reqs       map[string]int      // request id → its messages in flight
	pauseUntil time.Time           // the node could not record an outcome: wait until then
}

// flight is one batch: the messages posted together, and those that could
// not even be posted, whose failures are recorded with it.
type flight struct {
	peer   *accord.Party
	client *http.Client // nil when nothing is posted
	batch  []Pending    // posted, in outbox order
	failed []Failure    // not posted (no signed envelope)
	reqs   []string     // the request of each message of batch and failed, to release

	// Set by the batch goroutine before it hands the flight back.
	retries []time.Time // next attempts it scheduled
	pause   bool        // the node could not record the outcome
}

// ckptJob is a due checkpoint exchange with peer p over client.
type ckptJob struct {
	client *http.Client
	p      *accord.Party
}

func newWorker(d *Deliverer, p *accord.Party, cancel context.CancelFunc) *worker {
	w := &worker{d: d, cancel: cancel, wake: make(chan struct{}, 1), done: make(chan *flight, d.opts.InFlight),
		ckpt: make(chan ckptJob, 1), ckptEnd: make(chan struct{}),
		fetchWake: make(chan struct{}, 1), fetchEnd: make(chan struct{}),
		ids: map[string]struct{}{}, reqs: map[string]int{}}
	w.peer.Store(p)
	return w
}

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
	select {
	case w.fetchWake <- struct{}{}:
	default:
	}
}

// fetchClient returns the client for evidence fetches from p: the peer's
// pinned mutual TLS, no overall timeout (a file may be gigabytes), a bound
// on the wait for the response's headers.
func (w *worker) fetchClient(p *accord.Party) *http.Client {
	w.fetchMu.Lock()
	defer w.fetchMu.Unlock()
	if w.fetchHC != nil && w.fetchFor == p {
		return w.fetchHC
	}
	if w.fetchHC != nil {
		w.fetchHC.CloseIdleConnections()
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       ClientTLSConfig(w.d.id, Pin(p.TLSCert)),
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConnsPerHost:   1,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: w.d.opts.RequestTimeout,
	}
	w.fetchHC = &http.Client{Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	w.fetchFor = p
	return w.fetchHC
}

func (w *worker) run(ctx context.Context) {
	d := w.d
	go w.checkpoints(ctx)
	go w.fetches(ctx)
	defer func() {
		for w.flights > 0 { // stopping: wait for the batches in flight
			w.land(<-w.done)
		}
		<-w.ckptEnd
		<-w.fetchEnd
		w.fetchMu.Lock()
		if w.fetchHC != nil {
			w.fetchHC.CloseIdleConnections()
		}
		w.fetchMu.Unlock()
		w.dropCheckpoint() // made due by a batch that landed after it returned
		w.closeClient()
	}()
	d.log.Info("federation delivery started", "peer", w.peer.Load().ID)
	for ctx.Err() == nil {
		w.reap()
		if wait := time.Until(w.pauseUntil); wait > 0 {
			// The node could not record an outcome: do not hammer it.
			w.sleep(ctx, wait)
			continue
		}
		if w.flights >= d.opts.InFlight {
			select {
			case <-ctx.Done():
			case f := <-w.done:
				w.land(f)
			}
			continue
		}
		p := w.peer.Load()
		// The requests with a message in flight wait for it to land: leave
		// their messages out, and read a margin for those held back behind
		// an earlier message that is not due.
		limit := d.opts.Batch + d.opts.Batch/4 + 1
		items, err := d.n.DueOutbox(ctx, p.ID, time.Now(), limit, slices.Collect(maps.Keys(w.reqs)))
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("federation delivery: cannot read the outbox", "peer", p.ID, "reason", err.Error())
			}
			w.sleep(ctx, d.opts.IdleInterval)
			continue
		}
		f := w.take(p, items)
		if f == nil {
			if len(items) > 0 && w.flights == 0 {
				// Due entries, yet nothing could be sent or recorded: do not
				// spin on them.
				w.sleep(ctx, d.opts.IdleInterval)
			} else {
				// Nothing due, or all of it in flight or held back behind
				// messages in flight: wait for a batch to land, a Notify or
				// a retry.
				w.sleep(ctx, w.untilNextRetry())
			}
			continue
		}
		w.launch(ctx, f)
		// Look again at once: more may be due.
	}
}

// take chooses the next batch among the due items, in outbox order, and
// returns it, or nil when there is nothing to post or record. It skips the
// messages in flight, and holds back every later message of a request whose
// earlier message is in flight or not in this batch, so that no message is
// posted before an earlier one of its request has been answered. It stops
// at Batch messages or MaxBodyBytes.
func (w *worker) take(p *accord.Party, items []Pending) *flight {
	d := w.d
	f := &flight{peer: p}
	var held map[string]bool // requests with an earlier message not in this batch
	hold := func(req string) {
		if held == nil {
			held = map[string]bool{}
		}
		held[req] = true
	}
	size := len(`{"messages":[]}`)
	for _, it := range items {
		if it.Item == nil {
			id := "?"
			if it.Message != nil {
				id = it.Message.ID
				hold(it.Message.RequestID)
			}
			d.log.Error("federation delivery: outbox entry without its item", "peer", p.ID, "message", id)
			continue
		}
		req := requestOf(it)
		if _, busy := w.ids[it.Item.MessageID]; busy || w.reqs[req] > 0 || held[req] {
			hold(req)
			continue
		}
		if it.Message == nil || len(it.Message.JWS) == 0 {
			const reason = "the stored message has no signed envelope"
			d.log.Warn("federation delivery failed", "peer", p.ID, "message", it.Item.MessageID, "reason", reason)
			next := d.nextAttempt(p, it.Item.Attempts)
			f.failed = append(f.failed, Failure{MessageID: it.Item.MessageID, Reason: reason, NextAttemptAt: next})
			f.retries = append(f.retries, next)
			f.reqs = append(f.reqs, req)
			hold(req)
			continue
		}
		if len(f.batch) == d.opts.Batch {
			break
		}
		add := len(it.Message.JWS) + 3 // quotes and comma
		if len(f.batch) > 0 && size+add > d.opts.MaxBodyBytes {
			break // the rest waits for the next batch (it stays due, and first)
		}
		f.batch, f.reqs, size = append(f.batch, it), append(f.reqs, req), size+add
	}
	if len(f.batch) == 0 && len(f.failed) == 0 {
		return nil
	}
	return f
}

// requestOf returns the request an outbox item belongs to.
func requestOf(it Pending) string {
	if it.Item.RequestID != "" {
		return it.Item.RequestID
	}
	if it.Message != nil {
		return it.Message.RequestID
	}
	return ""
}

// launch marks f's messages in flight and starts its goroutine.
func (w *worker) launch(ctx context.Context, f *flight) {
	for _, it := range f.batch {
		w.ids[it.Item.MessageID] = struct{}{}
	}
	for _, fl := range f.failed {
		w.ids[fl.MessageID] = struct{}{}
	}
	for _, req := range f.reqs {
		w.reqs[req]++
	}
	w.flights++
	if len(f.batch) > 0 {
		f.client = w.httpClient(f.peer)
	}
	w.d.flightStarted(f.peer.ID)
	go func() {
		w.deliver(ctx, f)
		w.d.flightDone(f.peer.ID)
		w.done <- f // never blocks: capacity InFlight
	}()
}

// reap takes in the batches that landed, without waiting.
func (w *worker) reap() {
	for {
		select {
		case f := <-w.done:
			w.land(f)
		default:
			return
		}
	}
}

// land releases the messages of a batch whose outcome is recorded (or
// given up on). The loop calls it before it reads the outbox again, so a
// read that began while the batch was in flight, and may still show its
// messages due, never sends them a second time.
func (w *worker) land(f *flight) {
	w.flights--
	for _, it := range f.batch {
		delete(w.ids, it.Item.MessageID)
	}
	for _, fl := range f.failed {
		delete(w.ids, fl.MessageID)
	}
	for _, req := range f.reqs {
		if w.reqs[req]--; w.reqs[req] <= 0 {
			delete(w.reqs, req)
		}
	}
	w.retries = append(w.retries, f.retries...)
	if f.pause {
		w.pauseUntil = time.Now().Add(w.d.opts.IdleInterval)
	}
	if f.client != nil && f.client != w.client {
		f.client.CloseIdleConnections() // built for the peer's previous card
	}
}

// untilNextRetry returns how long to sleep: until the earliest retry this
// loop scheduled, or IdleInterval if that is sooner or there is none.
func (w *worker) untilNextRetry() time.Duration {
	now := time.Now()
	w.retries = slices.DeleteFunc(w.retries, func(t time.Time) bool { return !t.After(now) })
	wait := w.d.opts.IdleInterval
	for _, t := range w.retries {
		wait = min(wait, t.Sub(now))
	}
	return wait
}

// sleep waits for d, a Notify, a batch that lands or the end of ctx.
func (w *worker) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-w.wake:
	case f := <-w.done:
		w.land(f)
	case <-t.C:
	}
}

// httpClient returns a client pinned to p's certificate, rebuilt when p's
// card changed.
func (w *worker) httpClient(p *accord.Party) *http.Client {
	if w.client != nil && samePeer(w.forPeer, p) {
		return w.client
	}
	w.closeClient()
	conns := max(4, w.d.opts.InFlight)
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       ClientTLSConfig(w.d.id, Pin(p.TLSCert)),
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		MaxConnsPerHost:       conns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: w.d.opts.RequestTimeout,
	}
	w.client = &http.Client{Transport: tr, Timeout: w.d.opts.RequestTimeout,
		// A peer's federation endpoint never redirects; following one would
		// send the batch somewhere the card does not name.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	w.forPeer = p
	return w.client
}

func (w *worker) closeClient() {
	if w.client != nil {
		w.client.CloseIdleConnections()
		w.client = nil
	}
}

// nextAttempt returns when a message to p that has failed attempts times
// before this failure is tried again, and counts the failure.
func (d *Deliverer) nextAttempt(p *accord.Party, attempts int) time.Time {
	if d.failed != nil {
		d.failed.WithLabelValues(p.ID).Inc()
	}
	return time.Now().Add(d.backoff(attempts)).UTC().Truncate(time.Microsecond)
}

// deliver posts one batch, verifies the receipts and records the outcome;
// it runs on the batch's own goroutine and sets f.retries and f.pause.
func (w *worker) deliver(ctx context.Context, f *flight) {
	d, p := w.d, f.peer
	failures := f.failed
	fail := func(it Pending, reason string) {
		next := d.nextAttempt(p, it.Item.Attempts)
		failures = append(failures, Failure{MessageID: it.Item.MessageID, Reason: reason, NextAttemptAt: next})
		f.retries = append(f.retries, next)
	}

	var receipts []*accord.Receipt
	if len(f.batch) > 0 {
		results, err := w.post(ctx, f.client, p, f.batch)
		if err != nil {
			if ctx.Err() != nil {
				return // stopping: the items stay due for the next run
			}
			d.log.Warn("federation delivery failed", "peer", p.ID, "messages", len(f.batch), "reason", err.Error())
			for _, it := range f.batch {
				fail(it, err.Error())
			}
		} else {
			// Verify the receipts on every core; report them in order.
			rcs := make([]*accord.Receipt, len(f.batch))
			reasons := make([]string, len(f.batch))
			parallel(len(f.batch), func(i int) {
				rcs[i], reasons[i] = w.check(p, f.batch[i].Message, results[i])
			})
			receipts = make([]*accord.Receipt, 0, len(f.batch))
			for i, it := range f.batch {
				if reasons[i] != "" {
					d.log.Warn("federation delivery failed", "peer", p.ID, "message", it.Message.ID,
						"attempt", it.Item.Attempts+1, "reason", reasons[i])
					fail(it, reasons[i])
					continue
				}
				receipts = append(receipts, rcs[i])
			}
		}
	}

	if len(receipts) > 0 {
		if err := d.n.Delivered(ctx, p.ID, receipts); err != nil {
			if ctx.Err() == nil {
				d.log.Warn("federation delivery: cannot record receipts", "peer", p.ID, "receipts", len(receipts), "reason", err.Error())
			}
			f.pause = true
		} else {
			if d.delivered != nil {
				d.delivered.WithLabelValues(p.ID).Add(float64(len(receipts)))
			}
			// Each exchange publishes the ledger's checkpoint for the peer to witness.
			w.checkpointDue(f.client, p)
		}
	}
	if len(failures) > 0 {
		if err := d.n.DeliveryFailed(ctx, p.ID, failures); err != nil {
			if ctx.Err() == nil {
				d.log.Warn("federation delivery: cannot record failures", "peer", p.ID, "failures", len(failures), "reason", err.Error())
			}
			f.pause = true
		}
	}
}

// post sends one batch and returns the peer's results, one per message.
// Any error fails the whole batch.
func (w *worker) post(ctx context.Context, client *http.Client, p *accord.Party, batch []Pending) ([]batchResult, error) {
	body := encodeBatch(batch)
	url := p.FederationURL + "messages"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("post to %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post to %s: %w", url, err)
	}
	defer resp.Body.Close()
	// Receipts are small; error messages are bounded by the peer.
	limit := int64(64<<10) + int64(len(batch))*(16<<10)
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read the answer of %s: %w", url, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("the answer of %s exceeds %d bytes", url, limit)
	}
	if resp.StatusCode != http.StatusOK {
		var pd problemDetails
		detail := ""
		if json.Unmarshal(data, &pd) == nil && pd.Detail != "" {
			detail = ": " + truncate(pd.Detail, 300)
		}
		return nil, fmt.Errorf("%s answered %s%s", url, resp.Status, detail)
	}
	var br batchResponse
	if err := json.Unmarshal(data, &br); err != nil {
		return nil, fmt.Errorf("the answer of %s is not a batch result: %v", url, err)
	}
	if len(br.Results) != len(batch) {
		return nil, fmt.Errorf("%s answered %d results for %d messages", url, len(br.Results), len(batch))
	}
	return br.Results, nil
}

// encodeBatch returns the body {"messages": [JWS, …]} of a batch, with the
// same bytes json.Marshal would give (HTML-safe escaping included), without
// copying each envelope into a string first. A compact JWS needs no
// escaping; anything else goes through json.Marshal.
func encodeBatch(batch []Pending) []byte {
	n := len(`{"messages":[]}`)
	for _, it := range batch {
		n += len(it.Message.JWS) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, `{"messages":[`...)
	for i, it := range batch {
		if i > 0 {
			b = append(b, ',')
		}
		if jws := it.Message.JWS; plainJWS(jws) {
			b = append(b, '"')
			b = append(b, jws...)
			b = append(b, '"')
		} else {
			q, _ := json.Marshal(string(jws)) // a string always encodes
			b = append(b, q...)
		}
	}
	return append(b, "]}"...)
}

// plainJWS reports whether s holds only base64url characters and dots,
// which JSON strings carry as they are.
func plainJWS(s []byte) bool {
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// check verifies the peer's result for message m and returns its receipt,
// or the reason the attempt failed. Batch goroutines call it concurrently.
func (w *worker) check(p *accord.Party, m *accord.Message, res batchResult) (*accord.Receipt, string) {
	if res.MessageID != "" && res.MessageID != m.ID {
		return nil, fmt.Sprintf("%s answered for message %q in the place of %s", p.ID, truncate(res.MessageID, 60), m.ID)
	}
	if res.Error != nil {
		return nil, fmt.Sprintf("refused by %s: %s (%s)", p.ID, truncate(strings.TrimSpace(res.Error.Message), 500), truncate(res.Error.Code, 20))
	}
	if res.Receipt == "" {
		return nil, fmt.Sprintf("%s answered neither a receipt nor an error", p.ID)
	}
	rc, err := openReceipt([]byte(res.Receipt), p.SigningKey, false) // a copy of its own already
	if err != nil {
		return nil, fmt.Sprintf("bad receipt from %s: %s", p.ID, accord.ErrorMessage(err))
	}
	switch {
	case rc.MessageID != m.ID:
		return nil, fmt.Sprintf("bad receipt from %s: it is for message %s", p.ID, rc.MessageID)
	case rc.Digest != Digest(m.JWS):
		return nil, fmt.Sprintf("bad receipt from %s: digest %s, the message's is %s", p.ID, rc.Digest, Digest(m.JWS))
	case rc.Sender != w.d.id.Party():
		return nil, fmt.Sprintf("bad receipt from %s: it names sender %s", p.ID, rc.Sender)
	case rc.Receiver != p.ID:
		return nil, fmt.Sprintf("bad receipt from %s: it names receiver %s", p.ID, rc.Receiver)
	}
	return rc, ""
}
