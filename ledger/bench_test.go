package ledger

import (
	"crypto/sha256"
	"testing"
	"time"
)

// shaTime returns how long raw SHA-256 takes over the same bytes: one
// sha256.Sum256 of recs[i%len(recs)] for i < n. The benchmarks report
// their own time as a multiple of it ("x-sha256"), a figure that travels
// between machines better than the absolute ones.
func shaTime(recs [][]byte, n int) time.Duration {
	var sink byte
	start := time.Now()
	for i := range n {
		h := sha256.Sum256(recs[i%len(recs)])
		sink ^= h[0]
	}
	d := time.Since(start)
	if sink == 1 && d < 0 { // keep the loop from being optimised away
		panic("unreachable")
	}
	return d
}

// BenchmarkAppend appends one record at a time to a MemStore (an entry of
// a typical 112-byte Record).
func BenchmarkAppend(b *testing.B) {
	recs := testRecords(1 << 12)
	b.SetBytes(int64(len(recs[0])))
	s := &MemStore{}
	n := 0
	for b.Loop() {
		if _, err := Append(s, recs[n%len(recs)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	elapsed := b.Elapsed()
	b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(elapsed)/float64(shaTime(recs, n)), "x-sha256")
}

// BenchmarkAppendMany appends batches of 1000 records to a MemStore.
func BenchmarkAppendMany(b *testing.B) {
	const batch = 1000
	recs := testRecords(batch)
	b.SetBytes(int64(batch * len(recs[0])))
	s := &MemStore{}
	n := 0
	for b.Loop() {
		if _, err := AppendMany(s, recs); err != nil {
			b.Fatal(err)
		}
		n += batch
	}
	elapsed := b.Elapsed()
	b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(elapsed)/float64(shaTime(recs, n)), "x-sha256")
}

// BenchmarkVerify times a full Verify of a ledger of one million entries
// held in a MemStore, the records in memory.
func BenchmarkVerify(b *testing.B) {
	const n = 1_000_000
	recs := testRecords(n)
	s := &MemStore{}
	if _, err := AppendMany(s, recs); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(n * len(recs[0])))
	records := recordsFunc(recs)
	runs := 0
	for b.Loop() {
		if _, err := Verify(records, n, s); err != nil {
			b.Fatal(err)
		}
		runs++
	}
	elapsed := b.Elapsed()
	b.ReportMetric(float64(n*runs)/elapsed.Seconds(), "entries/s")
	b.ReportMetric(float64(elapsed)/float64(runs)/float64(shaTime(recs, n)), "x-sha256")
}
