package federation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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
	DefaultBatch          = 128
	DefaultBaseDelay      = 250 * time.Millisecond
	DefaultMaxDelay       = time.Minute
	DefaultIdleInterval   = time.Second
	DefaultRequestTimeout = 30 * time.Second
	DefaultPeerRefresh    = 10 * time.Second
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
	// Logger receives delivery failures (warn). Default slog.Default().
	Logger *slog.Logger
	// Registry, when set, receives the deliverer's metrics.
	Registry *prometheus.Registry
}

// Deliverer sends the node's outbox to its peers: one loop per peer takes
// the due messages in enqueue order, posts them in batches over mutual TLS
// pinned to the peer's certificate, verifies the signed receipts and records
// them (Node.Delivered), and records failures with a backoff
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

	mu      sync.Mutex
	running bool
	workers map[string]*worker
	invalid map[string]string // peer → why it cannot be delivered to (logged once)
	changed chan struct{}     // closed and replaced after each batch attempt
	refresh chan struct{}     // asks Run to read the peers again
	wg      sync.WaitGroup
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
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	d := &Deliverer{n: n, id: id, opts: opts, log: opts.Logger, workers: map[string]*worker{},
		invalid: map[string]string{}, changed: make(chan struct{}), refresh: make(chan struct{}, 1)}
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
// them and returns nil. It reads the peers at start, every PeerRefresh and
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
		w := &worker{d: d, cancel: cancel, wake: make(chan struct{}, 1)}
		w.peer.Store(p)
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
// is 0) and returns nil, or returns ctx's error. It re-reads the count after
// each batch attempt of any peer loop, so it returns promptly once the
// outbox drains; while no loop runs for peer, it waits for ctx. It returns
// the node's error if the count cannot be read.
func (d *Deliverer) Idle(ctx context.Context, peer string) error {
	for {
		d.mu.Lock()
		changed := d.changed
		d.mu.Unlock()
		n, err := d.n.PendingOutbox(ctx, peer)
		if err != nil {
			return fmt.Errorf("count the outbox of %s: %w", peer, err)
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for delivery to %s (%d pending): %w", peer, n, ctx.Err())
		case <-changed:
		}
	}
}

// batchDone tells Idle callers that an outbox may have changed.
func (d *Deliverer) batchDone() {
	d.mu.Lock()
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

// worker is the delivery loop of one peer.
type worker struct {
	d      *Deliverer
	peer   atomic.Pointer[accord.Party] // replaced by syncPeers when the card changes
	wake   chan struct{}                // capacity 1: a pending wake-up
	cancel context.CancelFunc

	// Owned by the loop goroutine.
	client  *http.Client
	forPeer *accord.Party // the peer client was built for
	retries []time.Time   // next attempts this loop scheduled, to wake for
}

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) run(ctx context.Context) {
	d := w.d
	defer w.closeClient()
	d.log.Info("federation delivery started", "peer", w.peer.Load().ID)
	for ctx.Err() == nil {
		p := w.peer.Load()
		items, err := d.n.DueOutbox(ctx, p.ID, time.Now(), d.opts.Batch)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("federation delivery: cannot read the outbox", "peer", p.ID, "reason", err.Error())
			}
			w.sleep(ctx, d.opts.IdleInterval)
			continue
		}
		if len(items) == 0 {
			w.sleep(ctx, w.untilNextRetry())
			continue
		}
		pause := w.deliver(ctx, p, items)
		d.batchDone()
		if pause {
			// The node could not record the outcome: do not hammer it.
			w.sleep(ctx, d.opts.IdleInterval)
		}
		// Otherwise look again at once: more may be due.
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

func (w *worker) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-w.wake:
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
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       ClientTLSConfig(w.d.id, Pin(p.TLSCert)),
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          4,
		MaxIdleConnsPerHost:   4,
		MaxConnsPerHost:       4,
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

// deliver sends one batch of due items to p and records the outcome. It
// reports whether the node failed to record it.
func (w *worker) deliver(ctx context.Context, p *accord.Party, items []Pending) (pause bool) {
	d := w.d
	var failures []Failure
	fail := func(it Pending, reason string) {
		next := time.Now().Add(d.backoff(it.Item.Attempts)).UTC().Truncate(time.Microsecond)
		failures = append(failures, Failure{MessageID: it.Item.MessageID, Reason: reason, NextAttemptAt: next})
		w.retries = append(w.retries, next)
		if d.failed != nil {
			d.failed.WithLabelValues(p.ID).Inc()
		}
	}

	// Take items in order while they fit in one body; the rest wait for the
	// next round (they stay due, and first).
	var batch []Pending
	var list []string
	size := len(`{"messages":[]}`)
	for _, it := range items {
		if it.Item == nil || it.Message == nil || len(it.Message.JWS) == 0 {
			id := "?"
			if it.Item != nil {
				id = it.Item.MessageID
			} else if it.Message != nil {
				id = it.Message.ID
			}
			if it.Item == nil {
				d.log.Error("federation delivery: outbox entry without its item", "peer", p.ID, "message", id)
				continue
			}
			d.log.Warn("federation delivery failed", "peer", p.ID, "message", id, "reason", "the stored message has no signed envelope")
			fail(it, "the stored message has no signed envelope")
			continue
		}
		add := len(it.Message.JWS) + 3 // quotes and comma
		if len(batch) > 0 && size+add > d.opts.MaxBodyBytes {
			break
		}
		batch, list, size = append(batch, it), append(list, string(it.Message.JWS)), size+add
	}

	var receipts []*accord.Receipt
	if len(batch) > 0 {
		results, err := w.post(ctx, p, list)
		if err != nil {
			if ctx.Err() != nil {
				return false // stopping: the items stay due for the next run
			}
			d.log.Warn("federation delivery failed", "peer", p.ID, "messages", len(batch), "reason", err.Error())
			for _, it := range batch {
				fail(it, err.Error())
			}
		} else {
			for i, it := range batch {
				rc, reason := w.check(p, it.Message, results[i])
				if reason != "" {
					d.log.Warn("federation delivery failed", "peer", p.ID, "message", it.Message.ID,
						"attempt", it.Item.Attempts+1, "reason", reason)
					fail(it, reason)
					continue
				}
				receipts = append(receipts, rc)
			}
		}
	}

	if len(batch) == 0 && len(failures) == 0 {
		return true // nothing could be sent or recorded: do not spin on it
	}
	if len(receipts) > 0 {
		if err := d.n.Delivered(ctx, p.ID, receipts); err != nil {
			if ctx.Err() == nil {
				d.log.Warn("federation delivery: cannot record receipts", "peer", p.ID, "receipts", len(receipts), "reason", err.Error())
			}
			pause = true
		} else if d.delivered != nil {
			d.delivered.WithLabelValues(p.ID).Add(float64(len(receipts)))
		}
	}
	if len(failures) > 0 {
		if err := d.n.DeliveryFailed(ctx, p.ID, failures); err != nil {
			if ctx.Err() == nil {
				d.log.Warn("federation delivery: cannot record failures", "peer", p.ID, "failures", len(failures), "reason", err.Error())
			}
			pause = true
		}
	}
	return pause
}

// post sends one batch and returns the peer's results, one per message.
// Any error fails the whole batch.
func (w *worker) post(ctx context.Context, p *accord.Party, list []string) ([]batchResult, error) {
	body, err := json.Marshal(batchRequest{Messages: list})
	if err != nil {
		return nil, fmt.Errorf("encode the batch: %w", err)
	}
	url := p.FederationURL + "messages"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("post to %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := w.httpClient(p).Do(req)
	if err != nil {
		return nil, fmt.Errorf("post to %s: %w", url, err)
	}
	defer resp.Body.Close()
	// Receipts are small; error messages are bounded by the peer.
	limit := int64(64<<10) + int64(len(list))*(16<<10)
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
	if len(br.Results) != len(list) {
		return nil, fmt.Errorf("%s answered %d results for %d messages", url, len(br.Results), len(list))
	}
	return br.Results, nil
}

// check verifies the peer's result for message m and returns its receipt,
// or the reason the attempt failed.
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
	rc, err := OpenReceipt([]byte(res.Receipt), p.SigningKey)
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
