package federation

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

// postedIDs returns the ids of the messages a batch body carries, in order.
func postedIDs(t *testing.T, body []byte) []string {
	t.Helper()
	var br batchRequest
	if err := json.Unmarshal(body, &br); err != nil {
		t.Errorf("posted body is not a batch: %v", err)
		return nil
	}
	ids := make([]string, len(br.Messages))
	for i, jws := range br.Messages {
		ids[i] = claimedID(jws)
	}
	return ids
}

// gate makes the requests b receives wait until it is opened, and tells
// how many are waiting at most.
type gate struct {
	arrived chan struct{}
	open    chan struct{}
	once    sync.Once
	inside  atomic.Int32
	most    atomic.Int32
}

func newGate(t *testing.T) *gate {
	g := &gate{arrived: make(chan struct{}, 100), open: make(chan struct{})}
	t.Cleanup(g.release) // before the server closes, which waits for its requests
	return g
}

func (g *gate) hook(hold time.Duration) func([]byte) {
	return func([]byte) {
		n := g.inside.Add(1)
		for m := g.most.Load(); n > m && !g.most.CompareAndSwap(m, n); m = g.most.Load() {
		}
		g.arrived <- struct{}{}
		<-g.open
		time.Sleep(hold)
		g.inside.Add(-1)
	}
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

func (g *gate) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-g.arrived:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no request within 10s", what)
	}
}

func TestDelivererPipelinesBatches(t *testing.T) {
	p := newDeliveryPair(t)
	g := newGate(t)
	var want []string
	for i := range 6 {
		want = append(want, p.a.enqueue(t, "cncert", fmt.Sprintf("us-cert-R%04d", i+1)).ID)
	}
	hook := g.hook(0)
	p.hook.Store(&hook)
	d := p.deliverer(DelivererOptions{Batch: 2, InFlight: 2})
	start(t, d)

	// The first two batches are posted while neither is answered.
	g.wait(t, "first batch")
	g.wait(t, "second batch while the first is in flight")
	select {
	case <-g.arrived:
		t.Fatal("a third batch was posted while two were in flight (InFlight 2)")
	case <-time.After(100 * time.Millisecond):
	}
	g.release()
	idle(t, d, "cncert")

	if got := p.b.receivedIDs(); !sameSet(got, want) {
		t.Errorf("cncert received %v, want %v", got, want)
	}
	if n := p.b.calls(); n != 3 {
		t.Errorf("Receive called %d times for 6 messages in batches of 2, want 3", n)
	}
	if most := g.most.Load(); most != 2 {
		t.Errorf("at most %d requests at once, want 2", most)
	}
	if f := p.a.failureRecords(); len(f) != 0 {
		t.Errorf("failures recorded: %+v", f)
	}
}

func TestDelivererInFlightOneIsSequential(t *testing.T) {
	p := newDeliveryPair(t)
	g := newGate(t)
	g.release()
	for i := range 6 {
		p.a.enqueue(t, "cncert", fmt.Sprintf("us-cert-R%04d", i+1))
	}
	hook := g.hook(5 * time.Millisecond)
	p.hook.Store(&hook)
	d := p.deliverer(DelivererOptions{Batch: 1, InFlight: 1})
	start(t, d)
	idle(t, d, "cncert")
	if most := g.most.Load(); most != 1 {
		t.Errorf("%d requests at once with InFlight 1, want 1", most)
	}
	if n := p.b.calls(); n != 6 {
		t.Errorf("Receive called %d times, want 6", n)
	}
}

// TestDelivererKeepsRequestOrderWhilePipelining splits the messages of four
// requests across batches, several in flight at once, and checks at each
// post that every earlier message of the same request is either earlier in
// the same batch or delivered already (its receipt recorded by the sender).
func TestDelivererKeepsRequestOrderWhilePipelining(t *testing.T) {
	p := newDeliveryPair(t)
	type place struct {
		req string
		seq int
	}
	where := map[string]place{}
	byReq := map[string][]string{} // request → message ids in seq order
	add := func(req string) {
		m := p.a.enqueue(t, "cncert", req)
		where[m.ID] = place{req, m.Seq}
		byReq[req] = append(byReq[req], m.ID)
	}
	for step := range 4 {
		for r := range 4 {
			add(fmt.Sprintf("us-cert-R%04d", r+1))
		}
		for k := range 2 {
			add(fmt.Sprintf("us-cert-S%04d", 2*step+k+1))
		}
	}

	var (
		mu         sync.Mutex
		posts      = map[string]int{}
		violations []string
	)
	g := newGate(t)
	g.release()
	hold := g.hook(10 * time.Millisecond)
	hook := func(body []byte) {
		ids := postedIDs(t, body)
		mu.Lock()
		for k, id := range ids {
			pl, ok := where[id]
			if !ok {
				violations = append(violations, "unknown message "+id)
				continue
			}
			posts[id]++
			for _, earlier := range byReq[pl.req][:pl.seq-1] {
				if slices.Contains(ids[:k], earlier) {
					continue
				}
				if p.a.item(earlier).DeliveredAt.IsZero() {
					violations = append(violations, fmt.Sprintf("%s seq %d posted while seq %d is neither before it in the batch nor delivered",
						pl.req, pl.seq, where[earlier].seq))
				}
			}
		}
		mu.Unlock()
		hold(body)
	}
	p.hook.Store(&hook)
	d := p.deliverer(DelivererOptions{Batch: 3, InFlight: 3})
	start(t, d)
	idle(t, d, "cncert")

	mu.Lock()
	defer mu.Unlock()
	for _, v := range violations {
		t.Error(v)
	}
	for id := range where {
		if posts[id] != 1 {
			t.Errorf("message %s (%v) posted %d times, want once", id, where[id], posts[id])
		}
	}
	got := p.b.receivedIDs()
	for req, ids := range byReq {
		var order []string
		for _, id := range got {
			if where[id].req == req {
				order = append(order, id)
			}
		}
		if !slices.Equal(order, ids) {
			t.Errorf("cncert received the messages of %s in the order %v, want %v", req, order, ids)
		}
	}
	if most := g.most.Load(); most < 2 {
		t.Errorf("never more than %d batch in flight: the test did not pipeline", most)
	}
}

func TestDelivererIdleWaitsForBatchInFlight(t *testing.T) {
	p := newDeliveryPair(t)
	g := newGate(t)
	m := p.a.enqueue(t, "cncert", "us-cert-R0001")
	hook := g.hook(0)
	p.hook.Store(&hook)
	d := p.deliverer(DelivererOptions{})
	start(t, d)
	g.wait(t, "the batch")

	// The outbox says nothing is pending (as if another path had recorded
	// the delivery), but the batch is still in flight: Idle must wait.
	p.a.mu.Lock()
	p.a.entry(m.ID).item.DeliveredAt = time.Now()
	p.a.mu.Unlock()
	if n, _ := p.a.PendingOutbox(context.Background(), "cncert"); n != 0 {
		t.Fatalf("%d pending, want 0", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if err := d.Idle(ctx, "cncert"); err == nil {
		t.Fatal("Idle returned nil while a batch was in flight")
	} else if !strings.Contains(err.Error(), "1 batches in flight") {
		t.Errorf("Idle: %v, want it to say a batch is in flight", err)
	}

	g.release()
	idle(t, d, "cncert")
	if rc := p.a.item(m.ID); rc.Attempts != 0 {
		t.Errorf("outbox item: %+v, want delivered at the first attempt", rc)
	}
}

// slowRecorder is a node whose Delivered waits to be let go, ignoring its
// context, as a commit in progress would.
type slowRecorder struct {
	*memNode
	entered chan struct{}
	release chan struct{}
}

func (n *slowRecorder) Delivered(ctx context.Context, peer string, receipts []*accord.Receipt) error {
	select {
	case n.entered <- struct{}{}:
	default:
	}
	<-n.release
	return n.memNode.Delivered(ctx, peer, receipts)
}

func TestDelivererRunWaitsForBatchInFlight(t *testing.T) {
	p := newDeliveryPair(t)
	n := &slowRecorder{memNode: p.a, entered: make(chan struct{}, 1), release: make(chan struct{})}
	var once sync.Once
	release := func() { once.Do(func() { close(n.release) }) }
	t.Cleanup(release)
	m := p.a.enqueue(t, "cncert", "us-cert-R0001")
	d := NewDeliverer(n, p.us, DelivererOptions{Logger: testLogger(p.logs)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-n.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("receipts not recorded within 10s")
	}

	cancel()
	select {
	case <-done:
		t.Fatal("Run returned while a batch was still recording its receipts")
	case <-time.After(100 * time.Millisecond):
	}
	release()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of the batch landing")
	}
	if it := p.a.item(m.ID); it.DeliveredAt.IsZero() {
		t.Errorf("the receipt was not recorded: %+v", it)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestParallel(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 1000} {
		out := make([]int, n)
		var calls atomic.Int32
		parallel(n, func(i int) {
			calls.Add(1)
			out[i] = i * i
		})
		if int(calls.Load()) != n {
			t.Errorf("parallel(%d): %d calls", n, calls.Load())
		}
		for i, v := range out {
			if v != i*i {
				t.Fatalf("parallel(%d): out[%d] = %d, want %d", n, i, v, i*i)
			}
		}
	}
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("panic in a call: recovered %v, want boom", v)
			}
		}()
		parallel(100, func(i int) {
			if i == 50 {
				panic("boom")
			}
		})
		t.Error("parallel returned after a call panicked")
	}()
}

// TestHandlerVerifiesInParallelInOrder sends a large batch with refusals
// spread through it: the results, the node's single Receive call and the
// refusal log all keep the input order.
func TestHandlerVerifiesInParallelInOrder(t *testing.T) {
	f := newHandlerFixture(t)
	h := NewHandler(f.node, HandlerOptions{Clock: accord.ClockFunc(func() time.Time { return t0 }), Logger: testLogger(f.logs)})
	var ms []*accord.Message
	var accepted, refused []string
	wantCodes := map[int]string{}
	for i := range 60 {
		var m *accord.Message
		switch i % 5 {
		case 1:
			m, wantCodes[i] = f.msg(t, f.impostor, "cncert", t0), accord.EUNAUTHORIZED
		case 3:
			m, wantCodes[i] = f.msg(t, f.us, "ru-cert", t0), accord.EFORBIDDEN
		default:
			m = f.msg(t, f.us, "cncert", t0)
		}
		ms = append(ms, m)
		if wantCodes[i] == "" {
			accepted = append(accepted, m.ID)
		} else {
			refused = append(refused, m.ID)
		}
	}
	r := httptest.NewRequest(http.MethodPost, MessagesPath, strings.NewReader(batch(ms...)))
	r.Header.Set("Content-Type", "application/json")
	r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, PeerCertificates: []*x509.Certificate{f.us.TLSCertificate().Leaf}}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var resp batchResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != len(ms) {
		t.Fatalf("%d results for %d messages", len(resp.Results), len(ms))
	}
	for i, res := range resp.Results {
		code := ""
		if res.Error != nil {
			code = res.Error.Code
		}
		if res.MessageID != ms[i].ID || code != wantCodes[i] || (code == "") != (res.Receipt != "") {
			t.Errorf("result %d: %+v, want message %s with code %q", i, res, ms[i].ID, wantCodes[i])
		}
	}
	if got := f.node.receivedIDs(); !slices.Equal(got, accepted) {
		t.Errorf("node received %v, want %v", got, accepted)
	}
	if n := f.node.calls(); n != 1 {
		t.Errorf("Receive called %d times, want 1", n)
	}
	logs := f.logs.String()
	at := 0
	for _, id := range refused {
		i := strings.Index(logs[at:], "message="+id)
		if i < 0 {
			t.Fatalf("refusal of %s not logged after the previous one:\n%s", id, logs)
		}
		at += i
	}
}

// TestCompactDotsMatchesPattern checks compactDots against the regular
// expression it replaces, on random strings over an alphabet that holds
// every class of character it treats apart.
func TestCompactDotsMatchesPattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`)
	alphabet := []byte("Az09-_....=+/ \n\r\x00\xff{\"")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		b := make([]byte, rng.IntN(10))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		dot1, dot2, ok := compactDots(b)
		if want := pattern.Match(b); ok != want {
			t.Fatalf("compactDots(%q) = %v, the pattern says %v", b, ok, want)
		}
		if ok && (b[dot1] != '.' || b[dot2] != '.' || strings.Count(string(b), ".") != 2) {
			t.Fatalf("compactDots(%q) = %d, %d", b, dot1, dot2)
		}
	}
}

// objectFieldsCases are inputs on which objectFields' one-scan path must
// answer exactly as encoding/json's decoder does.
var objectFieldsCases = []string{
	`{"a":1,"b":"x"}`,
	` { "a" : 1 , "b" : "x" } `,
	"\t{\n\"a\":\r[1, {\"x\": [\"]\", \"}\"]}],\"b\":{\"c\":\"\\\"}\"}}\n",
	`{"b":"x","a":-1.5e+10}`,
	`{"a":true,"b":null}`,
	`{"a":false}`,
	`{"a":1,"b":2,"c":3}`,
	`{"a":1,"a":2,"b":3}`,
	`{"A":1,"b":2}`,
	`{"\u0061":1,"b":2}`,
	`{"a":1,"\u0061":2,"b":3}`,
	`{"a\u0000":1,"b":2}`,
	"{\"a\xff\":1,\"b\":2}",
	`{"b":"\ud800","a":"é"}`,
	`{}`,
	`[]`,
	`"a"`,
	`1`,
	`null`,
	``,
	` `,
	`{"a":1}x`,
	`{"a":1}{}`,
	`{"a":1,}`,
	`{"a" 1}`,
	`{"a":1`,
	`{"a":01,"b":2}`,
	`{"a":[1,2,],"b":2}`,
	`{"a":"x` + "\n" + `","b":2}`,
	`{"c":1}`,
}

func TestObjectFieldsScanMatchesDecoder(t *testing.T) {
	for _, in := range objectFieldsCases {
		checkObjectFields(t, []byte(in))
	}
}

func FuzzObjectFields(f *testing.F) {
	for _, in := range objectFieldsCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkObjectFields(t, data) })
}

func checkObjectFields(t *testing.T, data []byte) {
	t.Helper()
	want := []string{"a", "b"}
	got, gotErr := objectFields(data, want...)
	exp, expErr := objectFieldsDecoder(data, want)
	if fmt.Sprint(gotErr) != fmt.Sprint(expErr) || accord.ErrorCode(gotErr) != accord.ErrorCode(expErr) {
		t.Fatalf("objectFields(%q): error %v, the decoder's %v", data, gotErr, expErr)
	}
	if len(got) != len(exp) {
		t.Fatalf("objectFields(%q) = %q, the decoder's %q", data, got, exp)
	}
	for k, v := range exp {
		if string(got[k]) != string(v) {
			t.Fatalf("objectFields(%q)[%q] = %q, the decoder's %q", data, k, got[k], v)
		}
	}
	for name := range got {
		s, err := stringField(got, name)
		var u string
		uerr := json.Unmarshal(got[name], &u)
		if (err == nil) != (uerr == nil && len(got[name]) > 0 && got[name][0] == '"') || s != u && err == nil {
			t.Fatalf("stringField(%q) = %q, %v; json.Unmarshal: %q, %v", got[name], s, err, u, uerr)
		}
	}
}

func TestEncodeBatch(t *testing.T) {
	us := newIdentity(t, "us-cert")
	var batch []Pending
	for _, jws := range []string{
		string(sealed(t, us, testMessage("us-cert", "cncert", t0)).JWS),
		"a.b.c",
		`not "a" <jws> & ` + "\u2028\x01\xff",
		string(sealed(t, us, testMessage("us-cert", "cncert", t0)).JWS),
	} {
		batch = append(batch, Pending{Item: &accord.OutboxItem{}, Message: &accord.Message{JWS: []byte(jws)}})
	}
	for n := range len(batch) + 1 {
		var list []string
		for _, it := range batch[:n] {
			list = append(list, string(it.Message.JWS))
		}
		want, err := json.Marshal(batchRequest{Messages: list})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			want = []byte(`{"messages":[]}`) // what a batch of none would be; never posted
		}
		if got := encodeBatch(batch[:n]); string(got) != string(want) {
			t.Errorf("encodeBatch of %d:\n%s\nwant\n%s", n, got, want)
		}
	}
}

// stallNode is a node whose DueOutbox first calls before with the number of
// the call.
type stallNode struct {
	*memNode
	calls  atomic.Int32
	before func(call int)
}

func (n *stallNode) DueOutbox(ctx context.Context, peer string, now time.Time, limit int, skip []string) ([]Pending, error) {
	n.before(int(n.calls.Add(1)))
	return n.memNode.DueOutbox(ctx, peer, now, limit, skip)
}

// TestDelivererHoldsRequestWhileItsBatchLands covers the moment a batch
// has recorded its failure but the loop has not taken it back yet: the
// failed message is no longer due, the next message of its request is, and
// must still wait.
func TestDelivererHoldsRequestWhileItsBatchLands(t *testing.T) {
	p := newDeliveryPair(t)
	r1 := p.a.enqueue(t, "cncert", "us-cert-R0001")
	r2 := p.a.enqueue(t, "cncert", "us-cert-R0001")
	s1 := p.a.enqueue(t, "cncert", "us-cert-R0002")
	p.b.refuse = func(m *accord.Message) error {
		if m.ID == r1.ID {
			return accord.Errorf(accord.EUNAVAILABLE, "not now")
		}
		return nil
	}
	p.a.failed = make(chan struct{}, 1)

	var (
		mu    sync.Mutex
		posts [][]string
		seen  = make(chan struct{}, 10)
	)
	hook := func(body []byte) {
		mu.Lock()
		posts = append(posts, postedIDs(t, body))
		mu.Unlock()
		seen <- struct{}{}
	}
	p.hook.Store(&hook)
	waitFor := func(ch chan struct{}, what string) {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Errorf("no %s within 10s", what)
		}
	}
	n := &stallNode{memNode: p.a, before: func(call int) {
		switch call {
		case 2: // the first batch (r1) is in flight: read once its failure is recorded
			waitFor(p.a.failed, "failure recorded")
		case 3: // let the second batch reach the peer before a third is chosen
			waitFor(seen, "first post")
			waitFor(seen, "second post")
		}
	}}
	d := NewDeliverer(n, p.us, DelivererOptions{Batch: 1, InFlight: 2, BaseDelay: time.Hour, MaxDelay: time.Hour, Logger: testLogger(p.logs)})
	start(t, d)
	deadline := time.Now().Add(10 * time.Second)
	for p.a.item(s1.ID).DeliveredAt.IsZero() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(posts) < 2 || !slices.Equal(posts[0], []string{r1.ID}) || !slices.Equal(posts[1], []string{s1.ID}) {
		t.Errorf("posts %v; want [%s] (r1) then [%s] (s1): r2 (%s) must wait while r1's batch lands", posts, r1.ID, s1.ID, r2.ID)
	}
}
