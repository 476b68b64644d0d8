package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/ledger"
	"github.com/accord-cyber/accord/node"
)

// TestVerifyCatchesTampering plays the demo, then tampers with copies of
// the us-cert home directly in its database, as someone with access to the
// file would, and checks that `accord verify` fails naming the entry.
func TestVerifyCatchesTampering(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Clock: accord.SystemClock{}}
	if code := m.Run(context.Background(), []string{"demo", "--exit", "--json", "--dir", dir}); code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	var sum demoSummary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	for id, n := range sum.Nodes {
		if n.Verify != "ok" {
			t.Fatalf("%s: verify after the demo = %q, want ok", id, n.Verify)
		}
	}
	home := filepath.Join(dir, "us-cert")
	if stdout, _, code := run(t, home, time.Now().UTC(), "verify"); code != 0 || !strings.HasPrefix(stdout, "ok: ") {
		t.Fatalf("verify of the untouched home: exit %d, %s", code, stdout)
	}

	// Evidence with its chain of custody, to be tampered with below.
	evFile := filepath.Join(t.TempDir(), "capture.pcap")
	os.WriteFile(evFile, bytes.Repeat([]byte("pcap "), 4096), 0o600)
	var ev struct{ ID, Digest string }
	if err := json.Unmarshal([]byte(mustRun(t, home, time.Now().UTC(), "evidence", "add", "--case", "us-cert-C0001", "--reason", "seized", evFile, "--json")), &ev); err != nil {
		t.Fatal(err)
	}

	// A message's inclusion, proved at the command line, checks out with the
	// RFC 6962 maths alone.
	var head struct {
		Size int64
		Root string
	}
	if err := json.Unmarshal([]byte(mustRun(t, home, time.Now().UTC(), "ledger", "head", "--json")), &head); err != nil || head.Size == 0 {
		t.Fatalf("ledger head: %+v %v", head, err)
	}
	db, err := sql.Open("sqlite", filepath.Join(home, "accord.db"))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := firstMessage(t, db)
	db.Close()
	var proof struct {
		Index, Size int64
		Root        string
		Record      string
		Proof       []string
	}
	if err := json.Unmarshal([]byte(mustRun(t, home, time.Now().UTC(), "ledger", "prove", id, "--json")), &proof); err != nil {
		t.Fatal(err)
	}
	var rp tlog.RecordProof
	for _, h := range proof.Proof {
		b, _ := base64.StdEncoding.DecodeString(h)
		rp = append(rp, tlog.Hash(b))
	}
	rootBytes, _ := base64.StdEncoding.DecodeString(proof.Root)
	if proof.Root != head.Root || tlog.CheckRecord(rp, proof.Size, tlog.Hash(rootBytes), proof.Index, tlog.RecordHash([]byte(proof.Record))) != nil {
		t.Errorf("ledger prove %s: the proof does not check against root %s", id, head.Root)
	}

	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, db *sql.DB) string // returns what the problem must name
		want   string
	}{
		{"one byte changed in a stored envelope", func(t *testing.T, db *sql.DB) string {
			id, jws := firstMessage(t, db)
			jws[len(jws)/2] ^= 0x01
			sqlExec(t, db, `UPDATE messages SET jws = ? WHERE id = ?`, jws, id)
			return "message " + id
		}, "does not match its digest"},
		{"envelope rewritten with a matching digest", func(t *testing.T, db *sql.DB) string {
			id, jws := firstMessage(t, db)
			parts := bytes.Split(jws, []byte("."))
			parts[1][len(parts[1])/2] ^= 0x02 // the payload: the signature no longer holds
			forged := bytes.Join(parts, []byte("."))
			sum := sha256.Sum256(forged)
			sqlExec(t, db, `UPDATE messages SET jws = ?, digest = ? WHERE id = ?`, forged, hex.EncodeToString(sum[:]), id)
			return "message " + id
		}, ""},
		{"a ledger row deleted", func(t *testing.T, db *sql.DB) string {
			sqlExec(t, db, `DELETE FROM ledger_entries WHERE idx = 10`)
			return "entry 10"
		}, ""},
		{"two ledger rows swapped", func(t *testing.T, db *sql.DB) string {
			var a, b []byte
			db.QueryRow(`SELECT record FROM ledger_entries WHERE idx = 3`).Scan(&a)
			db.QueryRow(`SELECT record FROM ledger_entries WHERE idx = 4`).Scan(&b)
			sqlExec(t, db, `DELETE FROM ledger_entries WHERE idx IN (3, 4)`)
			sqlExec(t, db, `INSERT INTO ledger_entries (idx, record) VALUES (3, ?), (4, ?)`, b, a)
			return "entry 3"
		}, ""},
		{"the ledger truncated", func(t *testing.T, db *sql.DB) string {
			var n int64
			db.QueryRow(`SELECT count(*) FROM ledger_entries`).Scan(&n)
			sqlExec(t, db, `DELETE FROM ledger_entries WHERE idx >= ?`, n-5)
			sqlExec(t, db, `DELETE FROM ledger_hashes WHERE idx >= ?`, tlog.StoredHashIndex(0, n-5))
			return "not in the ledger"
		}, ""},
		{"a receipt's time rewritten", func(t *testing.T, db *sql.DB) string {
			var id string
			db.QueryRow(`SELECT message_id FROM receipts ORDER BY message_id LIMIT 1`).Scan(&id)
			sqlExec(t, db, `UPDATE receipts SET received_at = '2026-01-01T00:00:00.000000Z' WHERE message_id = ?`, id)
			return "receipt for message " + id
		}, "does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			copyHome := filepath.Join(t.TempDir(), "us-cert")
			copyDir(t, home, copyHome)
			db, err := sql.Open("sqlite", filepath.Join(copyHome, "accord.db"))
			if err != nil {
				t.Fatal(err)
			}
			// The append-only triggers guard against bugs; a person with the
			// file can drop them, so the tamper does.
			for _, tr := range triggers(t, db) {
				sqlExec(t, db, `DROP TRIGGER `+tr)
			}
			name := tc.tamper(t, db)
			db.Close()
			stdout, _, code := run(t, copyHome, time.Now().UTC(), "verify", "--json")
			var rep struct {
				OK      bool
				Problem string
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("verify --json: %v\n%s", err, stdout)
			}
			t.Logf("verify: %s", rep.Problem)
			if code != 1 || rep.OK || !strings.Contains(rep.Problem, name) || !strings.Contains(rep.Problem, tc.want) {
				t.Errorf("verify: exit %d, ok %v, problem %q; want exit 1 naming %q (%q)", code, rep.OK, rep.Problem, name, tc.want)
			}
		})
	}

	// An evidence file replaced on disk.
	t.Run("an evidence blob replaced", func(t *testing.T) {
		copyHome := filepath.Join(t.TempDir(), "us-cert")
		copyDir(t, home, copyHome)
		if err := os.WriteFile(filepath.Join(copyHome, "evidence", "sha256", ev.Digest[:2], ev.Digest[2:]), []byte("not the capture"), 0o600); err != nil {
			t.Fatal(err)
		}
		stdout, _, code := run(t, copyHome, time.Now().UTC(), "verify", "--json")
		t.Logf("verify: %s", stdout)
		if code != 1 || !strings.Contains(stdout, "evidence "+ev.ID) {
			t.Errorf("verify after an evidence file was replaced: exit %d, %s", code, stdout)
		}
	})

	// The node's latest checkpoint replaced by the same tree head signed
	// with another key (someone who rewrote the log and re-signed it, but
	// not with the node's key).
	t.Run("a checkpoint replaced by one signed with another key", func(t *testing.T) {
		copyHome := filepath.Join(t.TempDir(), "us-cert")
		copyDir(t, home, copyHome)
		db, err := sql.Open("sqlite", filepath.Join(copyHome, "accord.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var size int64
		var hash []byte
		if err := db.QueryRow(`SELECT size, hash FROM checkpoints WHERE party = 'us-cert' ORDER BY size DESC LIMIT 1`).Scan(&size, &hash); err != nil {
			t.Fatalf("the demo left no checkpoint of us-cert: %v", err)
		}
		other, err := federation.GenerateIdentity("us-cert", nil)
		if err != nil {
			t.Fatal(err)
		}
		forged, err := other.SignCheckpoint(ledger.Checkpoint{Origin: node.LogOrigin("us-cert"), Size: size, Hash: tlog.Hash(hash)})
		if err != nil {
			t.Fatal(err)
		}
		sqlExec(t, db, `UPDATE checkpoints SET note = ? WHERE party = 'us-cert' AND size = ?`, forged, size)
		stdout, _, code := run(t, copyHome, time.Now().UTC(), "verify", "--json")
		t.Logf("verify: %s", stdout)
		if code != 1 || !strings.Contains(stdout, fmt.Sprintf("checkpoint of us-cert at size %d", size)) {
			t.Errorf("verify after a checkpoint was re-signed by another key: exit %d, %s", code, stdout)
		}
	})
}

func firstMessage(t *testing.T, db *sql.DB) (string, []byte) {
	t.Helper()
	var id string
	var jws []byte
	if err := db.QueryRow(`SELECT id, jws FROM messages ORDER BY pos LIMIT 1`).Scan(&id, &jws); err != nil {
		t.Fatal(err)
	}
	return id, jws
}

func sqlExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func triggers(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'trigger'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}
