package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
)

// TestForkedPeerDetected runs two real nodes that exchange requests, so that
// each witnesses and cosigns the other's ledger checkpoints; then it stops
// us-cert and serves in its place a node with the same party, keys and
// addresses but another history (a fresh database with other traffic): a
// forked log. At its next exchange cncert must refuse the checkpoint and
// raise it loudly: an error in its log naming us-cert, an alarm in the API's
// ledger head, the inconsistent-checkpoint metric, and `accord verify`
// failing on its home, naming us-cert.
func TestForkedPeerDetected(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three real nodes; skipped with -short")
	}
	bin := buildAccord(t)
	us, cn := pairHomes(t, federation.DelivererOptions{})

	// The honest history: requests both ways, each side's steps delivered,
	// receipted and their checkpoints witnessed by the other.
	usp, cnp := startServe(t, bin, us.home), startServe(t, bin, cn.home)
	mustAccord(t, bin, us.home, "case", "new", "--title", "Phishing kit", "--category", "fraud")
	for i := 1; i <= 2; i++ {
		mustAccord(t, bin, us.home, "request", "new", "--case", "us-cert-C0001", "--to", "cncert", "--type", "information",
			"--priority", "normal", "--subject", fmt.Sprintf("Hosting of phishing site %d", i))
	}
	waitUntil(t, 30*time.Second, "cncert holds us-cert-R0002", func() bool {
		return accordProc(t, bin, cn.home, "request", "show", "us-cert-R0002").Code == 0
	})
	mustAccord(t, bin, cn.home, "request", "ack", "us-cert-R0001")
	waitUntil(t, 30*time.Second, "us-cert holds cncert's acknowledgement", func() bool {
		return strings.Contains(mustAccord(t, bin, us.home, "request", "show", "us-cert-R0001"), "acknowledged")
	})
	mustAccord(t, bin, us.home, "request", "new", "--case", "us-cert-C0001", "--to", "cncert", "--type", "information",
		"--priority", "normal", "--subject", "Hosting of phishing site 3")
	usSize := ledgerSize(t, bin, us.home)
	waitUntil(t, 30*time.Second, "cncert witnessed all of us-cert's ledger", func() bool {
		if n := ledgerSize(t, bin, us.home); n != usSize {
			usSize = n // a receipt landed meanwhile
			return false
		}
		return latestCheckpoint(t, cn, "us-cert") == usSize
	})
	waitUntil(t, 30*time.Second, "us-cert witnessed cncert's ledger", func() bool { return latestCheckpoint(t, us, "cncert") > 0 })
	usp.stop(t)
	t.Logf("cncert witnessed us-cert's ledger at size %d", usSize)
	for _, home := range []string{us.home, cn.home} {
		if r := accordProc(t, bin, home, "verify"); r.Code != 0 {
			t.Fatalf("verify %s before the fork: exit %d\n%s%s", filepath.Base(home), r.Code, r.Stdout, r.Stderr)
		}
	}

	// The fork: us-cert's keys and addresses, a new database, other traffic.
	// It first records requests to a party not on accord so that its request
	// ids do not collide with those cncert holds: cncert accepts its messages
	// (they are validly signed by us-cert) and the exchange that follows a
	// delivery offers the forked checkpoint.
	fork := filepath.Join(t.TempDir(), "us-cert")
	copyDir(t, filepath.Join(us.home, keysDir), filepath.Join(fork, keysDir))
	cfg, err := loadConfig(us.home)
	if err != nil {
		t.Fatal(err)
	}
	mustAccord(t, bin, fork, "init", "--party", "us-cert", "--name", "US-CERT", "--country", "US", "--api-addr", cfg.API.Addr, "--peer-addr", cfg.Federation.Addr)
	if a, b := mustAccord(t, bin, fork, "card", "--json"), mustAccord(t, bin, us.home, "card", "--json"); a != b {
		t.Fatalf("the fork's card differs from us-cert's:\n%s\n%s", a, b)
	}
	card := filepath.Join(t.TempDir(), "cncert.card.json")
	if err := os.WriteFile(card, []byte(mustAccord(t, bin, cn.home, "card", "--json")), 0o600); err != nil {
		t.Fatal(err)
	}
	mustAccord(t, bin, fork, "peer", "add", card)
	mustAccord(t, bin, fork, "party", "add", "--id", "jpcert", "--name", "JPCERT/CC", "--country", "JP")
	mustAccord(t, bin, fork, "case", "new", "--title", "Another history", "--category", "intrusions")
	for i := 1; i <= 3; i++ {
		mustAccord(t, bin, fork, "request", "new", "--case", "us-cert-C0001", "--to", "jpcert", "--type", "information",
			"--priority", "low", "--subject", fmt.Sprintf("Burn id %d", i))
	}
	for i := 1; i <= 6; i++ {
		mustAccord(t, bin, fork, "request", "new", "--case", "us-cert-C0001", "--to", "cncert", "--type", "information",
			"--priority", "low", "--subject", fmt.Sprintf("Rewritten history %d", i))
	}

	fp := startServe(t, bin, fork)
	alarm := cnp.logLine(t, 60*time.Second, "level=ERROR", "PEER LEDGER INCONSISTENT", "peer=us-cert")
	t.Logf("cncert logged: %s", alarm)
	if !strings.Contains(alarm, fmt.Sprintf("last_witnessed_size=%d", usSize)) {
		t.Errorf("cncert's alarm does not name the size it witnessed (%d): %s", usSize, alarm)
	}
	t.Logf("the fork logged: %s", fp.logLine(t, 10*time.Second, "level=ERROR", "OUR LEDGER WAS REFUSED", "peer=cncert"))

	// The API's ledger head carries the alarm with the offending checkpoint.
	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(mustAccord(t, bin, cn.home, "user", "add", "auditor", "--role", "reviewer", "--json")), &tok); err != nil {
		t.Fatal(err)
	}
	var head struct {
		Size   int64
		Alarms []accord.LedgerAlarm
	}
	if err := json.Unmarshal(apiGet(t, cnp.api, "/api/v1/ledger", tok.Token), &head); err != nil {
		t.Fatal(err)
	}
	if len(head.Alarms) == 0 || head.Alarms[0].Party != "us-cert" || !strings.HasPrefix(string(head.Alarms[0].Note), "accord/us-cert/ledger\n") || head.Alarms[0].Reason == "" {
		t.Errorf("GET /api/v1/ledger alarms = %+v; want us-cert's forked checkpoint with a reason", head.Alarms)
	} else {
		t.Logf("GET /api/v1/ledger: %d alarm(s); the first: us-cert at size %d: %s", len(head.Alarms), head.Alarms[0].Size, head.Alarms[0].Reason)
	}
	metrics := string(apiGet(t, cnp.api, "/metrics", ""))
	var inconsistent int
	if m := regexp.MustCompile(`(?m)^accord_federation_inconsistent_checkpoints_total\{peer="us-cert"\} (\d+)$`).FindStringSubmatch(metrics); m != nil {
		inconsistent, _ = strconv.Atoi(m[1])
	}
	if inconsistent < 1 {
		t.Errorf("cncert's /metrics: accord_federation_inconsistent_checkpoints_total{peer=\"us-cert\"} = %d; want at least 1\n%s", inconsistent, metrics)
	} else {
		t.Logf("cncert's /metrics: accord_federation_inconsistent_checkpoints_total{peer=\"us-cert\"} %d", inconsistent)
	}
	fp.stop(t)
	cnp.stop(t)

	// verify on cncert's home fails, naming us-cert; the fork's own record
	// is internally consistent, and so is the honest one.
	r := accordProc(t, bin, cn.home, "verify")
	t.Logf("verify cncert: exit %d: %s", r.Code, strings.TrimSpace(r.Stdout))
	if r.Code != 1 || !strings.Contains(r.Stdout, "us-cert presented a ledger checkpoint") {
		t.Errorf("verify on cncert's home after the fork: exit %d\n%s%s; want exit 1 naming us-cert", r.Code, r.Stdout, r.Stderr)
	}
	for _, home := range []string{us.home, fork} {
		if r := accordProc(t, bin, home, "verify"); r.Code != 0 {
			t.Errorf("verify %s: exit %d\n%s%s", home, r.Code, r.Stdout, r.Stderr)
		}
	}
}

// ledgerSize is the size of home's ledger, from `accord ledger head`.
func ledgerSize(t *testing.T, bin, home string) int64 {
	t.Helper()
	var h struct{ Size int64 }
	if err := json.Unmarshal([]byte(mustAccord(t, bin, home, "ledger", "head", "--json")), &h); err != nil {
		t.Fatal(err)
	}
	return h.Size
}

// latestCheckpoint is the size of the last checkpoint of peer's ledger that
// m's node witnessed (0 for none), read from its store; no command shows it.
func latestCheckpoint(t *testing.T, m *Main, peer string) int64 {
	t.Helper()
	ctx := context.Background()
	e, err := m.open(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var size int64
	err = e.store.View(ctx, func(tx accord.Tx) error {
		c, err := tx.LatestCheckpoint(peer)
		if accord.ErrorCode(err) == accord.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		if len(c.Cosigned) > 0 {
			size = c.Size
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return size
}

// apiGet GETs path from a node's API (with a bearer token unless empty) and
// returns the body, failing the test on anything but 200.
func apiGet(t *testing.T, addr, path, token string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v\n%s", path, resp.Status, err, body)
	}
	return body
}
