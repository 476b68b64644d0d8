package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-cyber/accord"
)

// TestDemoTwoNodesAgree runs the whole demo: two real nodes with real
// listeners and certificates on loopback, every step delivered as a signed
// message and receipted.
func TestDemoTwoNodesAgree(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Clock: accord.SystemClock{}}
	code := m.Run(context.Background(), []string{"demo", "--exit", "--json", "--dir", dir})
	var sum demoSummary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("demo --exit --json printed no single JSON object (%v):\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	if code != 0 || !sum.OK || !sum.Agree {
		t.Fatalf("demo: exit %d, ok %v, agree %v, problems %v\nstderr:\n%s", code, sum.OK, sum.Agree, sum.Problems, errb.String())
	}
	us, cn := sum.Nodes["us-cert"], sum.Nodes["cncert"]
	if us.RequestsSent != 6 || us.RequestsReceived != 6 || cn.RequestsSent != 6 || cn.RequestsReceived != 6 {
		t.Errorf("requests: us %+v, cn %+v; want 6 sent and 6 received each", us, cn)
	}
	if us.Messages != cn.Messages || us.Receipts != cn.Receipts || us.Messages != us.Receipts {
		t.Errorf("messages/receipts: us %d/%d, cn %d/%d; both nodes must hold every message and its receipt", us.Messages, us.Receipts, cn.Messages, cn.Receipts)
	}
	// us-cert shares three of its four objects (the fourth is TLP:RED for no
	// one), cncert two; each side's case correlates with the other's share.
	if len(us.ReviewDigest) != 64 || us.ReviewDigest != cn.ReviewDigest {
		t.Errorf("review digests: us %q, cn %q; both nodes must compute the same", us.ReviewDigest, cn.ReviewDigest)
	}
	if us.SharedOut != 3 || cn.SharedIn != 3 || cn.SharedOut != 2 || us.SharedIn != 2 || us.PeerCorrelations == 0 || cn.PeerCorrelations == 0 {
		t.Errorf("shared out/in: us %d/%d, cn %d/%d; correlations with the peer's share: us %d, cn %d",
			us.SharedOut, us.SharedIn, cn.SharedOut, cn.SharedIn, us.PeerCorrelations, cn.PeerCorrelations)
	}
	if us.Cosigned == 0 || cn.Cosigned == 0 || us.Verify != "ok" || cn.Verify != "ok" {
		t.Errorf("checkpoints cosigned: us %d, cn %d; verify %q / %q", us.Cosigned, cn.Cosigned, us.Verify, cn.Verify)
	}
	for _, st := range []string{"declined", "withdrawn", "closed", "rated", "answered-partial"} {
		if us.ByStatus[st] == 0 {
			t.Errorf("no request ended %s: %v", st, us.ByStatus)
		}
	}
	if strings.Count(out.String(), "\n") != strings.Count(strings.TrimSpace(out.String()), "\n")+1 || out.String()[0] != '{' {
		t.Errorf("stdout holds more than one JSON object:\n%s", out.String())
	}

	// A home the demo left can be served again.
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 2)
	s := &Main{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }, Clock: accord.SystemClock{},
		OnListen: func(name, addr string) {
			if name == "api" {
				addrc <- addr
			}
		}}
	done := make(chan int, 1)
	go func() {
		done <- s.Run(ctx, []string{"--home", filepath.Join(dir, "us-cert"), "serve", "--api-addr", "127.0.0.1:0", "--peer-addr", "127.0.0.1:0"})
	}()
	select {
	case addr := <-addrc:
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("healthz of the served demo home: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}
	case c := <-done:
		t.Fatalf("serve of the demo home exited %d", c)
	}
	cancel()
	if c := <-done; c != 0 {
		t.Errorf("serve exit %d", c)
	}
}
