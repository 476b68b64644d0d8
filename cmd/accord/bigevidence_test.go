package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord/federation"
)

// TestLargeEvidenceBoundedMemory adds a large evidence file (2 GiB unless
// ACCORD_BIG_EVIDENCE_BYTES says otherwise) with `accord evidence add` and
// attaches it to an answer that crosses the border between two `accord
// serve` processes, and checks that no process's peak resident memory
// reaches 100 MiB, that the receiving node stores the very bytes that were
// added and that both ledgers verify. Every process is the real binary with
// its own home, certificates and loopback listeners. Run only with
// ACCORD_BIG_EVIDENCE=1: it writes about three times the size to disk.
func TestLargeEvidenceBoundedMemory(t *testing.T) {
	if os.Getenv("ACCORD_BIG_EVIDENCE") != "1" {
		t.Skip("writes, adds and transfers a 2 GiB evidence file between two real nodes; set ACCORD_BIG_EVIDENCE=1 to run it (and ACCORD_BIG_EVIDENCE_BYTES=N for another size)")
	}
	size := int64(2 << 30)
	if s := os.Getenv("ACCORD_BIG_EVIDENCE_BYTES"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			t.Fatalf("ACCORD_BIG_EVIDENCE_BYTES=%q is not a positive number of bytes", s)
		}
		size = n
	}
	const limit = 100 << 20

	bin := buildAccord(t)
	us, cn := pairHomes(t, federation.DelivererOptions{})

	// The file first, while no node runs: pseudo-random bytes (nothing a
	// filesystem or a transport could compress), hashed as they are written.
	file := filepath.Join(t.TempDir(), "disk.img")
	start := time.Now()
	want := writeRandom(t, file, size, 20261202)
	t.Logf("evidence file: %d bytes (%.0f MiB), sha256 %s, written in %s", size, mib(size), want, time.Since(start).Round(time.Millisecond))

	usp, cnp := startServe(t, bin, us.home), startServe(t, bin, cn.home)
	mustAccord(t, bin, us.home, "case", "new", "--title", "Command servers of a botnet", "--category", "malicious-code")
	var req struct{ ID string }
	if err := json.Unmarshal([]byte(mustAccord(t, bin, us.home, "request", "new", "--case", "us-cert-C0001", "--to", "cncert",
		"--type", "evidence", "--priority", "normal", "--subject", "Disk image of the command server", "--json")), &req); err != nil || req.ID == "" {
		t.Fatalf("request new --json: id %q, %v", req.ID, err)
	}
	waitUntil(t, 30*time.Second, "cncert holds the request", func() bool {
		return accordProc(t, bin, cn.home, "request", "show", req.ID).Code == 0
	})
	mustAccord(t, bin, cn.home, "request", "ack", req.ID)
	mustAccord(t, bin, cn.home, "request", "accept", req.ID)

	// evidence add in its own process: its peak memory is the figure.
	add := accordProc(t, bin, cn.home, "evidence", "add", "--request", req.ID, "--reason", "imaged under warrant", file, "--json")
	if add.Code != 0 {
		t.Fatalf("evidence add: exit %d\n%s%s", add.Code, add.Stdout, add.Stderr)
	}
	var ev struct {
		ID, Digest string
		Size       int64
	}
	if err := json.Unmarshal([]byte(add.Stdout), &ev); err != nil {
		t.Fatalf("evidence add --json: %v\n%s", err, add.Stdout)
	}
	if ev.Digest != want || ev.Size != size {
		t.Fatalf("evidence add stored sha256 %s, %d bytes; want %s, %d", ev.Digest, ev.Size, want, size)
	}
	t.Logf("accord evidence add: %s, %.0f MB/s; peak RSS %.1f MiB (VmHWM), wait4 maxrss %.1f MiB", add.Elapsed.Round(time.Millisecond),
		float64(size)/1e6/add.Elapsed.Seconds(), mib(add.HWM), mib(add.MaxRSS))

	answered := time.Now()
	mustAccord(t, bin, cn.home, "request", "answer", req.ID, "--final", "--body", "The image of the server's disk is attached.", "--evidence", ev.ID)
	got := usp.logLine(t, 10*time.Minute, `msg="evidence received"`, "sha256="+want)
	arrived := time.Now()
	sent := cnp.logLine(t, time.Second, `msg="evidence fetched by peer"`, "sha256="+want)
	transfer := logTime(t, got).Sub(logTime(t, sent))
	t.Logf("transfer: %s from the peer opening the file to the item recorded, %.0f MB/s; %s from answer to received, %.0f MB/s",
		transfer.Round(time.Millisecond), float64(size)/1e6/transfer.Seconds(), arrived.Sub(answered).Round(time.Millisecond),
		float64(size)/1e6/arrived.Sub(answered).Seconds())

	usHWM, cnHWM := usp.HWM(t), cnp.HWM(t)
	usRSS, cnRSS := usp.stop(t), cnp.stop(t)
	t.Logf("accord serve us-cert (receiving): peak RSS %.1f MiB (VmHWM), wait4 maxrss %.1f MiB", mib(usHWM), mib(usRSS))
	t.Logf("accord serve cncert (sending): peak RSS %.1f MiB (VmHWM), wait4 maxrss %.1f MiB", mib(cnHWM), mib(cnRSS))
	self, _ := procStatus(os.Getpid(), "VmHWM")
	t.Logf("this test process: peak RSS %.1f MiB (the floor of every wait4 maxrss above)", mib(self))

	for _, p := range []struct {
		name        string
		hwm, maxrss int64
	}{{"accord evidence add", add.HWM, add.MaxRSS}, {"accord serve (us-cert, receiving)", usHWM, usRSS}, {"accord serve (cncert, sending)", cnHWM, cnRSS}} {
		if p.hwm == 0 || p.hwm >= limit {
			t.Errorf("%s: peak RSS %.1f MiB; want under %d MiB", p.name, mib(p.hwm), limit>>20)
		}
		// wait4's figure is trustworthy only above this process's own peak.
		if p.maxrss >= limit && p.maxrss > self {
			t.Errorf("%s: wait4 maxrss %.1f MiB; want under %d MiB", p.name, mib(p.maxrss), limit>>20)
		}
	}

	// The receiving node holds the same bytes, as an item of the request.
	var list struct {
		Evidence []struct {
			ID        string `json:"id"`
			RequestID string `json:"request_id"`
			Digest    string `json:"digest"`
			Size      int64  `json:"size"`
			CreatedBy string `json:"created_by"`
		}
	}
	if err := json.Unmarshal([]byte(mustAccord(t, bin, us.home, "evidence", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Evidence) != 1 || list.Evidence[0].Digest != want || list.Evidence[0].Size != size || list.Evidence[0].CreatedBy != "cncert" || list.Evidence[0].RequestID != req.ID {
		t.Errorf("us-cert's evidence: %+v; want one item of %s from cncert, sha256 %s, %d bytes", list.Evidence, req.ID, want, size)
	}
	if h := hashFile(t, filepath.Join(us.home, evidenceDir, "sha256", want[:2], want[2:])); h != want {
		t.Errorf("the blob us-cert stored hashes to %s; want %s", h, want)
	}
	for _, home := range []string{us.home, cn.home} {
		if r := accordProc(t, bin, home, "verify"); r.Code != 0 || !strings.HasPrefix(r.Stdout, "ok: ") {
			t.Errorf("verify %s: exit %d\n%s%s", filepath.Base(home), r.Code, r.Stdout, r.Stderr)
		}
	}
}

// writeRandom writes size pseudo-random bytes (ChaCha8 from seed) to path in
// 1 MiB chunks and returns their SHA-256.
func writeRandom(t *testing.T, path string, size int64, seed uint64) string {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	rng := rand.NewChaCha8(s)
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		chunk := buf[:min(int64(len(buf)), left)]
		rng.Read(chunk)
		h.Write(chunk)
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
		left -= int64(len(chunk))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashFile returns the SHA-256 of the file at path.
func hashFile(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, bufio.NewReaderSize(f, 1<<20)); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
