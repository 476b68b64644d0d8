package blob

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// stream is a deterministic pseudo-random reader of size bytes, generated on
// the fly: the same seed always yields the same bytes, and nothing but the
// generator's state is held in memory.
type stream struct {
	rng  *rand.ChaCha8
	left int64
}

func newStream(seed uint64, size int64) *stream {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return &stream{rng: rand.NewChaCha8(s), left: size}
}

func (s *stream) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	s.rng.Read(p)
	s.left -= int64(len(p))
	return len(p), nil
}

// TestMemoryPut2GiB puts a 2 GiB stream and checks that the Go heap stays
// small throughout, i.e. that Put streams and never holds the content.
func TestMemoryPut2GiB(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 2 GiB to disk; skipped with -short")
	}
	const (
		size    = 2 << 30
		seed    = 20260301
		maxHeap = 100 << 20
	)
	s, _ := newStore(t, Options{})

	runtime.GC()
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	start := time.Now()
	info, err := s.Put(context.Background(), newStream(seed, size))
	elapsed := time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatalf("Put(2 GiB): %v", err)
	}
	t.Logf("Put of 2 GiB: %v (%.0f MB/s), peak HeapInuse %.1f MiB",
		elapsed, float64(size)/1e6/elapsed.Seconds(), float64(peak)/(1<<20))
	if peak > maxHeap {
		t.Errorf("Put(2 GiB): peak HeapInuse %d bytes, want under %d", peak, maxHeap)
	}
	if info.Size != size {
		t.Errorf("Put(2 GiB): got size %d, want %d", info.Size, size)
	}

	// The same stream, hashed directly, must give the same digest.
	h := sha256.New()
	if _, err := io.CopyBuffer(h, newStream(seed, size), make([]byte, bufSize)); err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(h.Sum(nil)); info.Digest != want {
		t.Errorf("Put(2 GiB): got digest %s, want %s", info.Digest, want)
	}
}
