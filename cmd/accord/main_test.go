package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

// run executes one accord command line against home with a fixed clock and
// returns stdout, stderr and the exit code.
func run(t *testing.T, home string, now time.Time, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
		Clock: accord.ClockFunc(func() time.Time { return now })}
	code := m.Run(context.Background(), append([]string{"--home", home}, args...))
	return out.String(), errb.String(), code
}

func mustRun(t *testing.T, home string, now time.Time, args ...string) string {
	t.Helper()
	out, errs, code := run(t, home, now, args...)
	if code != 0 {
		t.Fatalf("accord %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func TestCommandLineWalkthrough(t *testing.T) {
	home := filepath.Join(t.TempDir(), "us")
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	mustRun(t, home, now, "init", "--party", "us-cert", "--name", "US-CERT", "--country", "US")
	if _, errs, code := run(t, home, now, "init", "--party", "us-cert", "--name", "US-CERT", "--country", "US"); code != 1 || !strings.Contains(errs, "already an accord home") {
		t.Errorf("second init: exit %d, %q", code, errs)
	}

	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(mustRun(t, home, now, "user", "add", "li.wei", "--role", "liaison", "--json")), &tok); err != nil || !strings.HasPrefix(tok.Token, "acc_") {
		t.Fatalf("user add --json: token %q, %v", tok.Token, err)
	}
	mustRun(t, home, now, "party", "add", "--id", "cncert", "--name", "CNCERT/CC", "--country", "CN")
	mustRun(t, home, now, "case", "new", "--title", "Theft of trade secrets from a steel maker", "--category", "intrusions",
		"--sectors", "manufacturing", "--affected-country", "US", "--origin-country", "CN")
	out := mustRun(t, home, now, "request", "new", "--case", "us-cert-C0001", "--to", "cncert", "--type", "investigation",
		"--priority", "high", "--subject", "Identify the operators of 198.51.100.23")
	if !strings.Contains(out, "us-cert-R0001") || !strings.Contains(out, "2026-11-20 21:00Z") {
		t.Errorf("request new said %q; want the id and acknowledge-by (sent + 12h)", out)
	}
	mustRun(t, home, now.Add(time.Hour), "request", "ack", "us-cert-R0001", "--at", "2026-11-20T09:30")
	mustRun(t, home, now.Add(time.Hour), "request", "decline", "us-cert-R0001", "--ground", "national-law", "--text", "Needs a court order.")
	out = mustRun(t, home, now.Add(time.Hour), "request", "show", "us-cert-R0001")
	for _, want := range []string{"declined", "national-law: Needs a court order.", "acknowledged", "(recorded 2026-11-20 10:00Z)"} {
		if !strings.Contains(out, want) {
			t.Errorf("request show lacks %q:\n%s", want, out)
		}
	}
	// An illegal step is refused with both names, and exit code 1.
	_, errs, code := run(t, home, now.Add(time.Hour), "request", "accept", "us-cert-R0001")
	if code != 1 || !strings.Contains(errs, "cannot accept a request that is declined") {
		t.Errorf("accept after decline: exit %d, %q", code, errs)
	}
	// Incoming by hand; overdue is derived from the clock.
	mustRun(t, home, now, "request", "new", "--from", "cncert", "--received-at", "2026-11-20T06:00", "--type", "mitigation",
		"--priority", "emergency", "--subject", "Botnet C2 on US hosting", "--ref", "CN-117")
	var list struct {
		Requests []struct {
			ID, Overdue, Direction string
		}
		Total int
	}
	if err := json.Unmarshal([]byte(mustRun(t, home, now, "request", "list", "--overdue", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if list.Total != 1 || list.Requests[0].ID != "us-cert-I0001" || list.Requests[0].Overdue != "acknowledge" || list.Requests[0].Direction != "incoming" {
		t.Errorf("overdue list = %+v", list)
	}
	out = mustRun(t, home, now, "request", "list")
	if !strings.HasPrefix(out, "ID ") || !strings.Contains(out, "to acknowledge") {
		t.Errorf("request list table:\n%s", out)
	}
	// Usage errors exit 2.
	if _, _, code := run(t, home, now, "request", "show"); code != 2 {
		t.Errorf("request show without id: exit %d, want 2", code)
	}
}

func TestMalformedAgreementRefusedAtStart(t *testing.T) {
	home := filepath.Join(t.TempDir(), "us")
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	mustRun(t, home, now, "init", "--party", "us-cert", "--name", "US-CERT", "--country", "US")
	path := filepath.Join(home, "agreement.toml")
	data, _ := os.ReadFile(path)
	bad := strings.Replace(string(data), `normal    = { acknowledge = "2d", answer = "10d" }`, `normal    = { acknowledge = "2 days", answer = "10d" }`, 1)
	os.WriteFile(path, []byte(bad), 0o644)
	line := strings.Count(bad[:strings.Index(bad, `"2 days"`)], "\n") + 1
	_, errs, code := run(t, home, now, "serve", "--api-addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errs, fmt.Sprintf("%s:%d:", path, line)) || !strings.Contains(errs, "2 days") {
		t.Errorf("serve with a malformed agreement: exit %d, stderr %q; want file:line %d and the reason", code, errs, line)
	}
}

func TestServeAndGracefulShutdown(t *testing.T) {
	home := filepath.Join(t.TempDir(), "us")
	now := time.Now().UTC()
	mustRun(t, home, now, "init", "--party", "us-cert", "--name", "US-CERT", "--country", "US")
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	var errb bytes.Buffer
	m := &Main{Stdout: &bytes.Buffer{}, Stderr: &errb, Getenv: func(string) string { return "" }, Clock: accord.SystemClock{},
		OnListen: func(name, addr string) {
			if name == "api" {
				addrc <- addr
			}
		}}
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, []string{"--home", home, "serve", "--api-addr", "127.0.0.1:0"}) }()
	var addr string
	select {
	case addr = <-addrc:
	case code := <-done:
		t.Fatalf("serve exited %d early: %s", code, errb.String())
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exit %d after cancel: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "stopped") {
		t.Errorf("no graceful stop logged: %s", errb.String())
	}
}

func TestCardAndPeerAdd(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().UTC()
	us, cn := filepath.Join(dir, "us"), filepath.Join(dir, "cn")
	mustRun(t, us, now, "init", "--party", "us-cert", "--name", "US-CERT", "--country", "US", "--peer-addr", "127.0.0.1:18481")
	mustRun(t, cn, now, "init", "--party", "cncert", "--name", "CNCERT/CC", "--country", "CN", "--peer-addr", "127.0.0.1:18491")
	// cncert was first registered by hand; its card turns it into a peer.
	mustRun(t, us, now, "party", "add", "--id", "cncert", "--name", "CNCERT", "--country", "CN")
	card := mustRun(t, cn, now, "card", "--json")
	if !strings.Contains(card, `"federation_url": "https://127.0.0.1:18491/federation/v1/"`) || !strings.Contains(card, "BEGIN CERTIFICATE") {
		t.Fatalf("card --json:\n%s", card)
	}
	if human := mustRun(t, cn, now, "card"); !strings.Contains(human, "TLS pin") {
		t.Errorf("card:\n%s", human)
	}
	path := filepath.Join(dir, "cn.card.json")
	if err := os.WriteFile(path, []byte(card), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, us, now, "peer", "add", path)
	if !strings.Contains(out, "Peer cncert (CNCERT/CC, CN) trusted") {
		t.Errorf("peer add: %s", out)
	}
	if list := mustRun(t, us, now, "party", "list"); !strings.Contains(list, "peer") || strings.Contains(list, "local") {
		t.Errorf("after peer add, cncert is still local:\n%s", list)
	}
	// Its own card, a broken card and a missing file are refused with the reason.
	own := filepath.Join(dir, "us.card.json")
	os.WriteFile(own, []byte(mustRun(t, us, now, "card", "--json")), 0o644)
	if _, errs, code := run(t, us, now, "peer", "add", own); code != 1 || !strings.Contains(errs, "own") {
		t.Errorf("own card: exit %d, %s", code, errs)
	}
	broken := filepath.Join(dir, "broken.json")
	os.WriteFile(broken, []byte(strings.Replace(card, `"country": "CN"`, `"country": "XX"`, 1)), 0o644)
	if _, errs, code := run(t, us, now, "peer", "add", broken); code != 1 || !strings.Contains(errs, "country") {
		t.Errorf("broken card: exit %d, %s", code, errs)
	}
}
