package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"testing"
	"time"
)

// BenchmarkPut measures Put (hash, write, fsync, rename, fsync) of 16 MiB
// blobs, each different, and in the same run a raw SHA-256 of the same
// bytes, reporting its MB/s and the ratio put/sha256: how close Put comes to
// the cost of hashing alone.
func BenchmarkPut(b *testing.B) {
	const size = 16 << 20
	data := make([]byte, size)
	if _, err := io.ReadFull(newStream(1, size), data); err != nil {
		b.Fatal(err)
	}
	s, _ := newStore(b, Options{})
	ctx := context.Background()
	b.SetBytes(size)
	var n uint64
	for b.Loop() {
		n++
		binary.LittleEndian.PutUint64(data, n) // a new blob every time
		if _, err := s.Put(ctx, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	putMBs := float64(size) * float64(n) / 1e6 / b.Elapsed().Seconds()

	start := time.Now()
	for i := uint64(1); i <= n; i++ {
		binary.LittleEndian.PutUint64(data, i)
		sha256.Sum256(data)
	}
	rawMBs := float64(size) * float64(n) / 1e6 / time.Since(start).Seconds()
	b.ReportMetric(rawMBs, "sha256-MB/s")
	b.ReportMetric(putMBs/rawMBs, "put/sha256")
}
