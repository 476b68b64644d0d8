package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/node"
)

// pairHomes initialises two node homes that trust each other and returns
// a Main for each (not serving).
func pairHomes(t testing.TB, opts federation.DelivererOptions) (us, cn *Main) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	mk := func(id, name, cc string) *Main {
		api, _ := freeAddr()
		peer, _ := freeAddr()
		m := &Main{Stdout: &bytes.Buffer{}, Stderr: &syncBuffer{}, Getenv: func(string) string { return "" }, Clock: accord.SystemClock{},
			home: filepath.Join(dir, id), Delivery: opts}
		if err := m.runInit(ctx, accord.Party{ID: id, Name: name, Country: cc}, api, peer, ""); err != nil {
			t.Fatal(err)
		}
		return m
	}
	us, cn = mk("us-cert", "US-CERT", "US"), mk("cncert", "CNCERT/CC", "CN")
	admin := accord.Actor{Name: "test", Role: accord.RoleAdmin}
	for _, pair := range [][2]*Main{{us, cn}, {cn, us}} {
		other, err := pair[1].open(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		self, _ := other.svc.Self(ctx, admin)
		other.Close()
		e, err := pair[0].open(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddPeer(ctx, admin, *self); err != nil {
			t.Fatal(err)
		}
		e.Close()
	}
	return us, cn
}

// serveInProcess opens m's home and serves it in this process until the
// test ends.
func serveInProcess(t testing.TB, m *Main) (*env, *running) {
	t.Helper()
	e, err := m.open(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	r, err := m.start(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.stop() }) // runs before e.Close
	return e, r
}

// syncBuffer is a goroutine-safe log sink for tests.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// sendRequests opens the home and records n outgoing requests to cncert,
// withdrawing every one of them when withdraw is set (two messages each).
func sendRequests(t *testing.T, m *Main, n int, withdraw bool) {
	t.Helper()
	ctx := context.Background()
	e, err := m.open(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	op := accord.Actor{Name: "test", Role: accord.RoleAdmin}
	c, err := e.svc.CreateCase(ctx, op, node.NewCase{Title: "Botnet", Category: "malicious-code"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		d, err := e.svc.CreateRequest(ctx, op, node.NewRequest{CaseID: c.ID, To: "cncert", Type: accord.TypeInformation,
			Priority: accord.PriorityNormal, Subject: fmt.Sprintf("Command server %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if withdraw {
			if _, err := e.svc.Act(ctx, op, d.ID, node.Step{Action: accord.ActionWithdraw, Note: "resolved"}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// received counts the messages the recipient env holds from us-cert.
func received(t *testing.T, e *env) int {
	t.Helper()
	var n int
	err := e.store.View(context.Background(), func(tx accord.Tx) (err error) {
		n, err = tx.CountMessages("us-cert")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type tally struct {
	requests, messagesSent, messagesReceived, receipts, pending int
	byStatus                                                    map[accord.Status]int
}

func count(t *testing.T, m *Main, self string) tally {
	t.Helper()
	ctx := context.Background()
	e, err := m.open(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tl := tally{byStatus: map[accord.Status]int{}}
	err = e.store.View(ctx, func(tx accord.Tx) error {
		rs, err := tx.Requests(accord.RequestFilter{})
		if err != nil {
			return err
		}
		tl.requests = len(rs)
		for _, r := range rs {
			tl.byStatus[r.Status]++
			es, err := tx.Events(r.ID)
			if err != nil {
				return err
			}
			for i, ev := range es {
				if ev.Seq != i+1 {
					return fmt.Errorf("request %s: event %d has seq %d", r.ID, i, ev.Seq)
				}
			}
		}
		if tl.messagesSent, err = tx.CountMessages(self); err != nil {
			return err
		}
		all, err := tx.CountMessages("")
		if err != nil {
			return err
		}
		tl.messagesReceived = all - tl.messagesSent
		if tl.receipts, err = tx.CountReceipts(""); err != nil {
			return err
		}
		tl.pending, err = tx.PendingOutbox("")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// TestRecipientDownThenBack: 100 requests (each sent then withdrawn) are
// queued while the recipient is down; once it is back, all arrive exactly
// once and in order per request.
func TestRecipientDownThenBack(t *testing.T) {
	us, cn := pairHomes(t, federation.DelivererOptions{BaseDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond})
	ctx := context.Background()
	ue, ur := serveInProcess(t, us)
	sendRequests(t, us, 100, true)

	// Let the sender fail against the closed port before the recipient comes up.
	deadline := time.Now().Add(30 * time.Second)
	for {
		due, err := ue.svc.DueOutbox(ctx, "cncert", time.Now().Add(time.Hour), 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) > 0 && due[0].Item.Attempts >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sender never tried the absent recipient")
		}
		<-time.After(5 * time.Millisecond)
	}

	ce, _ := serveInProcess(t, cn)
	ur.deliverer.Notify("cncert")
	ictx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := ur.deliverer.Idle(ictx, "cncert"); err != nil {
		t.Fatal(err)
	}
	got := count(t, cn, "cncert")
	if got.requests != 100 || got.messagesReceived != 200 || got.byStatus[accord.StatusWithdrawn] != 100 {
		t.Errorf("recipient holds %d requests (%v) from %d messages; want 100 withdrawn from 200", got.requests, got.byStatus, got.messagesReceived)
	}
	sent := count(t, us, "us-cert")
	if sent.messagesSent != 200 || sent.receipts != 200 || sent.pending != 0 || sent.byStatus[accord.StatusWithdrawn] != 100 {
		t.Errorf("sender: %d sent, %d receipts, %d pending, %v", sent.messagesSent, sent.receipts, sent.pending, sent.byStatus)
	}
	// Withdrawn before they arrived, yet both sides hold the same record.
	views := map[string]map[string]sharedView{}
	for _, pair := range []struct {
		id string
		e  *env
	}{{"us-cert", ue}, {"cncert", ce}} {
		views[pair.id] = map[string]sharedView{}
		err := pair.e.store.View(ctx, func(tx accord.Tx) error {
			rs, err := tx.Requests(accord.RequestFilter{})
			for _, r := range rs {
				views[pair.id][r.ID] = shareable(r)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for id, v := range views["us-cert"] {
		if w := views["cncert"][id]; v != w {
			t.Fatalf("request %s differs:\nus-cert %+v\ncncert  %+v", id, v, w)
		}
	}
}

// TestSenderKilledMidDelivery kills a real sender process with SIGKILL ten
// times while it delivers, restarting it each time: nothing may be lost or
// duplicated on either side.
func TestSenderKilledMidDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "accord")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	us, cn := pairHomes(t, federation.DelivererOptions{BaseDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond})
	ctx := context.Background()
	ce, _ := serveInProcess(t, cn)

	const perRound, rounds = 400, 10
	var midDelivery int
	for round := 1; round <= rounds; round++ {
		sendRequests(t, us, perRound, round%2 == 0)
		before, beforeSent := count(t, cn, "cncert"), count(t, us, "us-cert")
		cmd := exec.Command(bin, "--home", us.home, "serve")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill it as soon as the recipient sees its first delivery of the
		// round, plus a random moment: while it delivers.
		sc := bufio.NewScanner(stderr)
		for sc.Scan() && !strings.Contains(sc.Text(), "msg=serving") {
		}
		deadline := time.Now().Add(20 * time.Second)
		for received(t, ce) == before.messagesReceived && time.Now().Before(deadline) {
			<-time.After(time.Millisecond)
		}
		<-time.After(time.Duration(rand.IntN(30)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		go func() { _, _ = io.Copy(io.Discard, stderr) }()
		cmd.Wait()
		after, sent := count(t, cn, "cncert"), count(t, us, "us-cert")
		// Mid-delivery: the process moved messages this round and was killed
		// with more left to send, or with a batch received but not receipted.
		progressed := after.messagesReceived > before.messagesReceived || sent.receipts > beforeSent.receipts
		if progressed && sent.pending > 0 || after.messagesReceived > sent.receipts {
			midDelivery++
		}
		t.Logf("round %d: recipient holds %d messages (was %d); sender holds %d receipts (was %d), %d pending",
			round, after.messagesReceived, before.messagesReceived, sent.receipts, beforeSent.receipts, sent.pending)
	}
	if midDelivery == 0 {
		t.Errorf("no kill landed mid-delivery; the test proved nothing")
	}

	// Restart the sender for good and let it drain.
	_, ur := serveInProcess(t, us)
	ictx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	if err := ur.deliverer.Idle(ictx, "cncert"); err != nil {
		t.Fatal(err)
	}
	total := perRound * rounds
	withdrawn := perRound * rounds / 2
	wantMsgs := total + withdrawn
	got := count(t, cn, "cncert")
	sent := count(t, us, "us-cert")
	if got.requests != total || got.messagesReceived != wantMsgs || got.byStatus[accord.StatusWithdrawn] != withdrawn {
		t.Errorf("recipient: %d requests (%v) from %d messages; want %d requests, %d withdrawn, %d messages", got.requests, got.byStatus, got.messagesReceived, total, withdrawn, wantMsgs)
	}
	if sent.requests != total || sent.messagesSent != wantMsgs || sent.receipts != wantMsgs || sent.pending != 0 {
		t.Errorf("sender: %d requests, %d messages, %d receipts, %d pending; want %d, %d, %d, 0", sent.requests, sent.messagesSent, sent.receipts, sent.pending, total, wantMsgs, wantMsgs)
	}
	t.Logf("%d of %d kills landed mid-delivery", midDelivery, rounds)
}
