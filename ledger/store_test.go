package ledger

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
)

func TestMemStoreWriteHashes(t *testing.T) {
	h := func(b byte) tlog.Hash { return tlog.Hash{b} }
	tests := []struct {
		name     string
		indexes  []int64
		hashes   []tlog.Hash
		wantCode string
		want     []tlog.Hash // the table afterwards
	}{
		{"append", []int64{3, 4}, []tlog.Hash{h(4), h(5)}, "", []tlog.Hash{h(1), h(2), h(3), h(4), h(5)}},
		{"same value again", []int64{1}, []tlog.Hash{h(2)}, "", []tlog.Hash{h(1), h(2), h(3)}},
		{"new value in batch twice", []int64{3, 3}, []tlog.Hash{h(4), h(4)}, "", []tlog.Hash{h(1), h(2), h(3), h(4)}},
		{"overwrite", []int64{1}, []tlog.Hash{h(9)}, accord.ECONFLICT, []tlog.Hash{h(1), h(2), h(3)}},
		{"batch disagrees with itself", []int64{3, 3}, []tlog.Hash{h(4), h(5)}, accord.ECONFLICT, []tlog.Hash{h(1), h(2), h(3)}},
		{"gap", []int64{4}, []tlog.Hash{h(5)}, accord.EINVALID, []tlog.Hash{h(1), h(2), h(3)}},
		{"all or none", []int64{3, 5}, []tlog.Hash{h(4), h(6)}, accord.EINVALID, []tlog.Hash{h(1), h(2), h(3)}},
		{"negative", []int64{-1}, []tlog.Hash{h(1)}, accord.EINVALID, []tlog.Hash{h(1), h(2), h(3)}},
		{"lengths differ", []int64{3}, nil, accord.EINVALID, []tlog.Hash{h(1), h(2), h(3)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &MemStore{}
			if err := s.WriteHashes([]int64{0, 1, 2}, []tlog.Hash{h(1), h(2), h(3)}); err != nil {
				t.Fatal(err)
			}
			err := s.WriteHashes(tc.indexes, tc.hashes)
			wantCode(t, "WriteHashes", err, tc.wantCode)
			got, err := s.ReadHashes([]int64{0, 1, 2, 3, 4}[:len(tc.want)])
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("table after WriteHashes (-want +got):\n%s", diff)
			}
			if _, err := s.ReadHashes([]int64{int64(len(tc.want))}); accord.ErrorCode(err) != accord.ENOTFOUND {
				t.Errorf("ReadHashes(past the end) = %v, want ENOTFOUND", err)
			}
		})
	}
}

func TestMemStoreSize(t *testing.T) {
	s := &MemStore{}
	for n := int64(0); n < 101; n++ {
		got, err := s.Size()
		if err != nil || got != n {
			t.Fatalf("Size() after %d appends = %d, %v; want %d", n, got, err, n)
		}
		if _, err := Append(s, testRecord(int(n))); err != nil {
			t.Fatal(err)
		}
	}
	// An append cut short leaves a table that is no whole number of entries.
	h, _ := tlog.StoredHashes(101, []byte("x"), s)
	if len(h) < 2 {
		t.Fatalf("entry 101 has %d stored hashes, want at least 2 for this test", len(h))
	}
	if err := s.WriteHashes([]int64{tlog.StoredHashIndex(0, 101)}, h[:1]); err != nil {
		t.Fatal(err)
	}
	_, err := s.Size()
	wantCode(t, "Size() of a half-written entry", err, accord.EINTERNAL, "cut short")
	_, err = Append(s, []byte("y"))
	wantCode(t, "Append to a half-written table", err, accord.EINTERNAL)
}

func TestSizeFromHashCount(t *testing.T) {
	for n := int64(0); n < 5000; n++ {
		c := tlog.StoredHashCount(n)
		got, err := SizeFromHashCount(c)
		if err != nil || got != n {
			t.Fatalf("SizeFromHashCount(%d) = %d, %v; want %d", c, got, err, n)
		}
		if tlog.StoredHashCount(n+1) > c+1 {
			_, err := SizeFromHashCount(c + 1)
			wantCode(t, "SizeFromHashCount(partial)", err, accord.EINTERNAL)
		}
	}
	for _, c := range []int64{-1, 2, 6} {
		_, err := SizeFromHashCount(c)
		wantCode(t, "SizeFromHashCount", err, accord.EINTERNAL)
	}
	// A large ledger: 2^40 entries.
	n := int64(1) << 40
	if got, err := SizeFromHashCount(tlog.StoredHashCount(n)); err != nil || got != n {
		t.Errorf("SizeFromHashCount(StoredHashCount(2^40)) = %d, %v; want %d", got, err, n)
	}
}

// TestMemStoreConcurrentReaders runs proofs and tree hashes while one
// writer appends, for the race detector.
func TestMemStoreConcurrentReaders(t *testing.T) {
	s := newLedger(t, testRecords(64))
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				n, err := s.Size()
				if err != nil {
					t.Error(err)
					return
				}
				root, err := TreeHash(s, n)
				if err != nil {
					t.Error(err)
					return
				}
				p, err := InclusionProof(s, n/2, n)
				if err != nil {
					t.Error(err)
					return
				}
				if err := CheckInclusion(p, n, root, n/2, testRecord(int(n/2))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := 64; i < 512; i++ {
		if _, err := Append(s, testRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
}

// failingStore is a MemStore whose chosen method fails as a database that
// cannot be reached would.
type failingStore struct {
	*MemStore
	fail string // "size", "read" or "write"
}

var errUnavailable = accord.Errorf(accord.EUNAVAILABLE, "database unavailable")

func (f failingStore) Size() (int64, error) {
	if f.fail == "size" {
		return 0, errUnavailable
	}
	return f.MemStore.Size()
}

func (f failingStore) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	if f.fail == "read" {
		return nil, errUnavailable
	}
	return f.MemStore.ReadHashes(indexes)
}

func (f failingStore) WriteHashes(indexes []int64, hashes []tlog.Hash) error {
	if f.fail == "write" {
		return errUnavailable
	}
	return f.MemStore.WriteHashes(indexes, hashes)
}

// TestStoreErrors checks that every function passes a Store's error on
// with its code.
func TestStoreErrors(t *testing.T) {
	recs := testRecords(7)
	calls := map[string]func(s Store) error{
		"Append":           func(s Store) error { return second(Append(s, recs[0])) },
		"TreeHash":         func(s Store) error { return second(TreeHash(s, 7)) },
		"Head":             func(s Store) error { return second(Head(s, testOrigin)) },
		"InclusionProof":   func(s Store) error { return second(InclusionProof(s, 2, 7)) },
		"ConsistencyProof": func(s Store) error { return second(ConsistencyProof(s, 3, 7)) },
		"Verify":           func(s Store) error { return second(Verify(recordsFunc(recs), 7, s)) },
	}
	for _, fail := range []string{"size", "read", "write"} {
		for name, call := range calls {
			if fail == "write" && name != "Append" {
				continue
			}
			t.Run(fail+"/"+name, func(t *testing.T) {
				s := failingStore{newLedger(t, recs), fail}
				err := call(s)
				wantCode(t, name, err, accord.EUNAVAILABLE)
			})
		}
	}
	// Appending at 7 reads the hashes of entries 4..5 and 6 from the store.
	s := failingStore{newLedger(t, recs), "read"}
	_, err := Append(s, []byte("x"))
	wantCode(t, "Append(reading fails)", err, accord.EUNAVAILABLE)
}
