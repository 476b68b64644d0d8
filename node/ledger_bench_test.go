package node

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/ledger"
	"github.com/accord-cyber/accord/sqlite"
)

// benchRecords returns n ledger records like those of messages.
func benchRecords(b *testing.B, from, n int) [][]byte {
	b.Helper()
	out := make([][]byte, n)
	for i := range out {
		d := sha256.Sum256([]byte(fmt.Sprint(from + i)))
		rec, err := ledger.Record(ledger.KindMessage, fmt.Sprintf("0196a1c2-%012d", from+i), d[:])
		if err != nil {
			b.Fatal(err)
		}
		out[i] = rec
	}
	return out
}

// rawHash returns the time SHA-256 takes over the records, the raw limit
// of any ledger work on them.
func rawHash(recs [][]byte) time.Duration {
	t0 := time.Now()
	for _, r := range recs {
		sha256.Sum256(r)
	}
	return time.Since(t0)
}

// BenchmarkLedgerAppend appends one record per transaction, commit
// included, as the node does for a message sent alone; the ratio is to
// SHA-256 of the same records measured in the same run.
func BenchmarkLedgerAppend(b *testing.B) {
	store, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "accord.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	recs := benchRecords(b, 0, b.N)
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		if err := store.Update(context.Background(), func(tx accord.Tx) error { return appendLedger(tx, recs[i:i+1]) }); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	raw := rawHash(recs)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
	b.ReportMetric(float64(elapsed)/float64(raw), "x-sha256")
}

// BenchmarkLedgerVerify1M builds a ledger of 1,000,000 entries in SQLite
// (not timed) and times `accord verify`'s ledger check over it: every
// record streamed from the store, the tree recomputed and every stored
// hash compared; the ratio is to SHA-256 of the same records.
func BenchmarkLedgerVerify1M(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "accord.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	var all [][]byte
	for lo := 0; lo < n; lo += 20_000 {
		recs := benchRecords(b, lo, 20_000)
		all = append(all, recs...)
		if err := store.Update(ctx, func(tx accord.Tx) error { return appendLedger(tx, recs) }); err != nil {
			b.Fatal(err)
		}
	}
	svc := New(Config{Store: store, Agreement: accord.DefaultAgreement(), Self: "us-cert"})
	b.ResetTimer()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		rep, err := svc.Verify(ctx, accord.Actor{Name: "bench", Role: accord.RoleReviewer})
		elapsed += time.Since(t0)
		if err != nil || !rep.OK || rep.Entries != n {
			b.Fatalf("verify: %+v %v", rep, err)
		}
	}
	b.StopTimer()
	raw := rawHash(all)
	per := elapsed / time.Duration(b.N)
	b.ReportMetric(per.Seconds(), "s/verify")
	b.ReportMetric(float64(per)/float64(raw), "x-sha256")
}
