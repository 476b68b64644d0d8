package federation

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

// deliveryPair is a sending node us-cert (a) whose Deliverer posts to a
// receiving node cncert (b) served by NewHandler on a real mutual-TLS
// listener on 127.0.0.1.
type deliveryPair struct {
	us, cn *Identity
	a, b   *memNode
	srv    *httptest.Server
	logs   *syncBuffer
	// unavailable is how many of the next requests b answers with 503.
	unavailable atomic.Int32
	requests    atomic.Int32
	// hook, when set, sees each request (its body read into body) before b
	// answers it.
	hook atomic.Pointer[func(body []byte)]
}

func newDeliveryPair(t *testing.T) *deliveryPair {
	t.Helper()
	p := &deliveryPair{us: newIdentity(t, "us-cert"), cn: newIdentity(t, "cncert"), logs: &syncBuffer{}}
	p.a, p.b = newMemNode(p.us), newMemNode(p.cn)
	p.b.setPeers(peerOf(p.us, "https://127.0.0.1:1/federation/v1/"))
	h := NewHandler(p.b, HandlerOptions{Logger: testLogger(p.logs)})
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if hook := p.hook.Load(); hook != nil {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			(*hook)(body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		if p.unavailable.Add(-1) >= 0 {
			writeJSON(w, http.StatusServiceUnavailable, "application/problem+json",
				problemDetails{Type: "about:blank", Status: 503, Detail: "down for maintenance", Code: accord.EUNAVAILABLE})
			return
		}
		h.ServeHTTP(w, r)
	}))
	p.srv.TLS = ServerTLSConfig(p.cn, KnownPeer(p.b, testLogger(p.logs)))
	p.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	p.srv.StartTLS()
	t.Cleanup(p.srv.Close)
	p.a.setPeers(peerOf(p.cn, p.srv.URL+BasePath))
	return p
}

func (p *deliveryPair) deliverer(opts DelivererOptions) *Deliverer {
	if opts.Logger == nil {
		opts.Logger = testLogger(p.logs)
	}
	return NewDeliverer(p.a, p.us, opts)
}

// start runs d until the test ends (or stop is called) and checks that Run
// returns nil promptly on cancel.
func start(t *testing.T, d *Deliverer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var stopped bool
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run after cancel: %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return within 10s of cancel")
		}
	}
	t.Cleanup(stop)
	return stop
}

func idle(t *testing.T, d *Deliverer, peer string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := d.Idle(ctx, peer); err != nil {
		t.Fatalf("Idle(%s): %v", peer, err)
	}
}

func TestDelivererDeliversInOrder(t *testing.T) {
	p := newDeliveryPair(t)
	var want []string
	for i := range 10 {
		req := []string{"us-cert-R0001", "us-cert-R0002"}[i%2]
		want = append(want, p.a.enqueue(t, "cncert", req).ID)
	}
	d := p.deliverer(DelivererOptions{Batch: 3})
	start(t, d)
	idle(t, d, "cncert")

	if got := p.b.receivedIDs(); !slices.Equal(got, want) {
		t.Errorf("cncert received\n%v\nwant, in enqueue order,\n%v", got, want)
	}
	if n := p.b.calls(); n != 4 {
		t.Errorf("Receive called %d times for 10 messages in batches of 3, want 4", n)
	}
	for _, id := range want {
		if it := p.a.item(id); it.DeliveredAt.IsZero() || it.Attempts != 0 {
			t.Errorf("outbox item %s: delivered at %v after %d failed attempts, want delivered at first attempt", id, it.DeliveredAt, it.Attempts)
		}
	}
	if f := p.a.failureRecords(); len(f) != 0 {
		t.Errorf("failures recorded: %+v", f)
	}
}

func TestDelivererRetriesRefusedMessages(t *testing.T) {
	p := newDeliveryPair(t)
	refused := map[string]bool{}
	p.b.refuse = func(m *accord.Message) error { // called under b's lock
		if !refused[m.ID] {
			refused[m.ID] = true
			return accord.Errorf(accord.EUNAVAILABLE, "message %s is out of order; retry later", m.ID)
		}
		return nil
	}
	var ids []string
	for range 3 {
		ids = append(ids, p.a.enqueue(t, "cncert", "us-cert-R0001").ID)
	}
	base := 20 * time.Millisecond
	d := p.deliverer(DelivererOptions{BaseDelay: base, MaxDelay: 100 * time.Millisecond, IdleInterval: 50 * time.Millisecond})
	start(t, d)
	idle(t, d, "cncert")

	fails := p.a.failureRecords()
	if len(fails) != 3 {
		t.Fatalf("%d failures recorded, want 3 (one per message): %+v", len(fails), fails)
	}
	for _, f := range fails {
		if !strings.Contains(f.Reason, "refused by cncert") || !strings.Contains(f.Reason, "(unavailable)") {
			t.Errorf("failure reason %q does not say who refused and why", f.Reason)
		}
		if f.attempts != 0 || f.NextAttemptAt.Before(f.at.Add(-time.Millisecond)) || f.NextAttemptAt.After(f.at.Add(base)) {
			t.Errorf("first failure at %v: next attempt %v, want within [0, %v]", f.at, f.NextAttemptAt, base)
		}
	}
	for _, id := range ids {
		if it := p.a.item(id); it.DeliveredAt.IsZero() || it.Attempts != 1 {
			t.Errorf("outbox item %s: delivered %v after %d failures, want delivered after 1", id, !it.DeliveredAt.IsZero(), it.Attempts)
		}
	}
	if !strings.Contains(p.logs.String(), "federation delivery failed") {
		t.Errorf("failures not logged:\n%s", p.logs)
	}
}

func TestDelivererRetriesTransportFailures(t *testing.T) {
	p := newDeliveryPair(t)
	p.unavailable.Store(3)
	m := p.a.enqueue(t, "cncert", "us-cert-R0001")
	base := 10 * time.Millisecond
	d := p.deliverer(DelivererOptions{BaseDelay: base, MaxDelay: 25 * time.Millisecond, IdleInterval: 50 * time.Millisecond})
	start(t, d)
	idle(t, d, "cncert")

	fails := p.a.failureRecords()
	if len(fails) != 3 {
		t.Fatalf("%d failures recorded, want 3: %+v", len(fails), fails)
	}
	for i, f := range fails {
		ceiling := min(base<<i, 25*time.Millisecond) // ×2 per attempt, capped
		if f.attempts != i || f.NextAttemptAt.After(f.at.Add(ceiling)) || f.NextAttemptAt.Before(f.at.Add(-time.Millisecond)) {
			t.Errorf("failure %d (after %d attempts): next attempt in %v, want within [0, %v]", i, f.attempts, f.NextAttemptAt.Sub(f.at), ceiling)
		}
		if !strings.Contains(f.Reason, "503") || !strings.Contains(f.Reason, "down for maintenance") {
			t.Errorf("failure reason %q does not give the status and detail", f.Reason)
		}
	}
	if got := p.b.receivedIDs(); !slices.Equal(got, []string{m.ID}) {
		t.Errorf("cncert received %v, want [%s]", got, m.ID)
	}
}

func TestDelivererRefusesBadReceipt(t *testing.T) {
	p := newDeliveryPair(t)
	p.b.id = newIdentity(t, "cncert") // b now signs receipts with a key the card does not have
	p.a.failed = make(chan struct{}, 1)
	m := p.a.enqueue(t, "cncert", "us-cert-R0001")
	d := p.deliverer(DelivererOptions{BaseDelay: time.Hour, MaxDelay: time.Hour})
	start(t, d)
	select {
	case <-p.a.failed:
	case <-time.After(15 * time.Second):
		t.Fatal("no failure recorded within 15s")
	}
	it := p.a.item(m.ID)
	if !it.DeliveredAt.IsZero() || it.Attempts != 1 || !strings.Contains(it.LastError, "bad receipt") {
		t.Errorf("outbox item after a forged receipt: %+v, want undelivered with a bad receipt error", it)
	}
}

func TestDelivererByteCap(t *testing.T) {
	p := newDeliveryPair(t)
	var want []string
	for range 5 {
		want = append(want, p.a.enqueue(t, "cncert", "us-cert-R0001").ID)
	}
	size := len(p.a.outbox[0].msg.JWS)
	d := p.deliverer(DelivererOptions{MaxBodyBytes: 2*size + 50}) // two messages per request
	start(t, d)
	idle(t, d, "cncert")
	if got := p.b.receivedIDs(); !slices.Equal(got, want) {
		t.Errorf("cncert received %v, want %v", got, want)
	}
	if n := p.b.calls(); n != 3 {
		t.Errorf("Receive called %d times, want 3 (2+2+1)", n)
	}
}

func TestDelivererNotifyWakesAtOnce(t *testing.T) {
	p := newDeliveryPair(t)
	d := p.deliverer(DelivererOptions{IdleInterval: time.Second})
	start(t, d)
	p.a.enqueue(t, "cncert", "us-cert-R0001")
	d.Notify("cncert")
	idle(t, d, "cncert") // the connection is up; the loop now sleeps up to 1s

	began := time.Now()
	for range 3 {
		p.a.enqueue(t, "cncert", "us-cert-R0001")
		d.Notify("cncert")
		idle(t, d, "cncert")
	}
	// Without Notify, each would wait for the 1s idle interval.
	if took := time.Since(began); took > 900*time.Millisecond {
		t.Errorf("three notified deliveries took %v; Notify does not wake the loop", took)
	}
}

func TestDelivererSurvivesRestart(t *testing.T) {
	p := newDeliveryPair(t)
	first := p.a.enqueue(t, "cncert", "us-cert-R0001")
	d1 := p.deliverer(DelivererOptions{})
	stop := start(t, d1)
	idle(t, d1, "cncert")
	stop()

	more := []string{p.a.enqueue(t, "cncert", "us-cert-R0001").ID, p.a.enqueue(t, "cncert", "us-cert-R0001").ID}
	// Nothing runs: Idle waits for its context.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := d1.Idle(ctx, "cncert"); err == nil {
		t.Fatalf("Idle with 2 pending and no deliverer returned nil")
	}

	d2 := p.deliverer(DelivererOptions{})
	start(t, d2)
	idle(t, d2, "cncert")
	if got, want := p.b.receivedIDs(), append([]string{first.ID}, more...); !slices.Equal(got, want) {
		t.Errorf("cncert received %v, want %v", got, want)
	}
}

func TestDelivererPicksUpNewPeer(t *testing.T) {
	p := newDeliveryPair(t)
	peers, _ := p.a.Peers(context.Background())
	p.a.setPeers()
	d := p.deliverer(DelivererOptions{}) // PeerRefresh 10s: only Notify can make this quick
	start(t, d)
	p.a.setPeers(peers...)
	p.a.enqueue(t, "cncert", "us-cert-R0001")
	d.Notify("cncert")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Idle(ctx, "cncert"); err != nil {
		t.Fatalf("Idle after adding a peer and Notify: %v", err)
	}
}

func TestDelivererRunTwice(t *testing.T) {
	p := newDeliveryPair(t)
	d := p.deliverer(DelivererOptions{})
	start(t, d)
	// Let the first Run claim the deliverer: Idle returns once it has
	// delivered this message.
	p.a.enqueue(t, "cncert", "us-cert-R0001")
	idle(t, d, "cncert")
	wantCode(t, "second Run", d.Run(context.Background()), accord.ECONFLICT)
}

func TestBackoff(t *testing.T) {
	d := NewDeliverer(newMemNode(newIdentity(t, "us-cert")), nil, DelivererOptions{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second})
	for attempts, ceiling := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		ceiling *= time.Millisecond
		var top time.Duration
		for range 2000 {
			b := d.backoff(attempts)
			if b < 0 || b > ceiling {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", attempts, b, ceiling)
			}
			top = max(top, b)
		}
		if top < ceiling*9/10 {
			t.Errorf("backoff(%d): largest of 2000 draws %v, want near %v (full jitter)", attempts, top, ceiling)
		}
	}
	if b := d.backoff(1000); b > time.Second {
		t.Errorf("backoff(1000) = %v, want capped at 1s", b)
	}
}

func TestDelivererChecksReceiptMatchesMessage(t *testing.T) {
	us, cn := newIdentity(t, "us-cert"), newIdentity(t, "cncert")
	d := NewDeliverer(newMemNode(us), us, DelivererOptions{})
	w := &worker{d: d}
	peer := peerOf(cn, "https://127.0.0.1:1/federation/v1/")
	m := sealed(t, us, testMessage("us-cert", "cncert", t0))
	receipt := func(edit func(rc *accord.Receipt)) string {
		rc := &accord.Receipt{MessageID: m.ID, Digest: m.Digest, Sender: "us-cert", Receiver: "cncert", ReceivedAt: t0}
		edit(rc)
		if err := cn.SealReceipt(rc); err != nil {
			t.Fatal(err)
		}
		return string(rc.JWS)
	}
	tests := []struct {
		name   string
		res    batchResult
		reason string // "" for a good receipt
	}{
		{"good", batchResult{MessageID: m.ID, Receipt: receipt(func(*accord.Receipt) {})}, ""},
		{"other message", batchResult{MessageID: m.ID, Receipt: receipt(func(rc *accord.Receipt) { rc.MessageID = "m-2" })}, "for message m-2"},
		{"other digest", batchResult{MessageID: m.ID, Receipt: receipt(func(rc *accord.Receipt) { rc.Digest = strings.Repeat("a", 64) })}, "digest"},
		{"other sender", batchResult{MessageID: m.ID, Receipt: receipt(func(rc *accord.Receipt) { rc.Sender = "ru-cert" })}, "sender ru-cert"},
		{"result for another id", batchResult{MessageID: "m-9", Receipt: receipt(func(*accord.Receipt) {})}, "in the place of"},
		{"error", batchResult{MessageID: m.ID, Error: &resultError{Code: accord.ECONFLICT, Message: "seq reused"}}, "refused by cncert: seq reused (conflict)"},
		{"empty", batchResult{MessageID: m.ID}, "neither"},
		{"signed by another key", batchResult{MessageID: m.ID, Receipt: func() string {
			rc := &accord.Receipt{MessageID: m.ID, Digest: m.Digest, Sender: "us-cert", Receiver: "cncert", ReceivedAt: t0}
			newIdentity(t, "cncert").SealReceipt(rc)
			return string(rc.JWS)
		}()}, "bad receipt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc, reason := w.check(peer, m, tc.res)
			if tc.reason == "" {
				if reason != "" || rc == nil {
					t.Fatalf("check of a good receipt: %q", reason)
				}
				return
			}
			if rc != nil || !strings.Contains(reason, tc.reason) {
				t.Errorf("check: receipt %v, reason %q; want refused with %q", rc != nil, reason, tc.reason)
			}
		})
	}
}
