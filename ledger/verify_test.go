package ledger

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
)

func recordsFunc(recs [][]byte) func(int64) ([]byte, error) {
	return func(i int64) ([]byte, error) {
		if i < 0 || i >= int64(len(recs)) {
			return nil, fmt.Errorf("record %d out of range", i)
		}
		return recs[i], nil
	}
}

func TestVerifyIntact(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 8, 100, verifyBatch - 1, verifyBatch, verifyBatch + 1, 2*verifyBatch + 17} {
		recs := testRecords(n)
		s := &MemStore{}
		if _, err := AppendMany(s, recs); err != nil {
			t.Fatal(err)
		}
		got, err := Verify(recordsFunc(recs), int64(n), s)
		if err != nil {
			t.Fatalf("Verify(%d intact entries) = %v", n, err)
		}
		if want, _ := TreeHash(s, int64(n)); got != want {
			t.Errorf("Verify(%d entries) = %s, want the tree hash %s", n, got, want)
		}
	}
}

// TestVerifyTamper changes a ledger's records or hashes after the fact and
// checks that Verify names the first entry that no longer holds.
func TestVerifyTamper(t *testing.T) {
	const n = 2*verifyBatch + 300
	tests := []struct {
		name      string
		tamper    func(recs [][]byte, s *MemStore) [][]byte
		wantEntry int64
	}{
		{"one record byte changed", func(recs [][]byte, s *MemStore) [][]byte {
			recs[4812] = slices.Clone(recs[4812])
			recs[4812][30] ^= 1
			return recs
		}, 4812},
		{"one byte of the last record changed", func(recs [][]byte, s *MemStore) [][]byte {
			recs[n-1] = append(slices.Clone(recs[n-1]), ' ')
			return recs
		}, n - 1},
		{"a record deleted", func(recs [][]byte, s *MemStore) [][]byte {
			return slices.Delete(recs, 777, 778)
		}, 777},
		{"the first record deleted", func(recs [][]byte, s *MemStore) [][]byte {
			return recs[1:]
		}, 0},
		{"two records swapped", func(recs [][]byte, s *MemStore) [][]byte {
			recs[5000], recs[6000] = recs[6000], recs[5000]
			return recs
		}, 5000},
		{"a record inserted", func(recs [][]byte, s *MemStore) [][]byte {
			return slices.Insert(recs, 123, []byte("forged"))
		}, 123},
		{"the ledger truncated", func(recs [][]byte, s *MemStore) [][]byte {
			s.hashes = s.hashes[:tlog.StoredHashCount(6000)]
			s.n = 6000
			return recs
		}, 6000},
		{"the records truncated", func(recs [][]byte, s *MemStore) [][]byte {
			return recs[:6000]
		}, 6000},
		{"a leaf hash replaced", func(recs [][]byte, s *MemStore) [][]byte {
			s.hashes[tlog.StoredHashIndex(0, 3000)] = tlog.RecordHash([]byte("forged"))
			return recs
		}, 3000},
		{"a subtree hash replaced", func(recs [][]byte, s *MemStore) [][]byte {
			// The hash of entries 4096..8191, stored with entry 8191.
			s.hashes[tlog.StoredHashIndex(12, 1)] = tlog.Hash{}
			return recs
		}, 8191},
		{"a record rewritten with its leaf hash", func(recs [][]byte, s *MemStore) [][]byte {
			// The forger rewrites record 8000 and its leaf hash, which
			// entry 8000's append alone stored; the hash of entries
			// 8000..8001, stored with entry 8001, still covers the old one.
			recs[8000] = []byte("rewritten")
			s.hashes[tlog.StoredHashIndex(0, 8000)] = tlog.RecordHash(recs[8000])
			return recs
		}, 8001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs := testRecords(n)
			s := &MemStore{}
			if _, err := AppendMany(s, recs); err != nil {
				t.Fatal(err)
			}
			recs = tc.tamper(recs, s)
			_, err := Verify(recordsFunc(recs), int64(len(recs)), s)
			wantCode(t, "Verify", err, accord.ECONFLICT, fmt.Sprintf("entry %d:", tc.wantEntry))
			t.Log(err)
		})
	}
}

func TestVerifyErrors(t *testing.T) {
	recs := testRecords(10)
	s := newLedger(t, recs)
	_, err := Verify(recordsFunc(recs), -1, s)
	wantCode(t, "Verify(-1)", err, accord.EINVALID)

	cause := accord.Errorf(accord.EUNAVAILABLE, "database is locked")
	failing := func(i int64) ([]byte, error) {
		if i == 6 {
			return nil, cause
		}
		return recs[i], nil
	}
	_, err = Verify(failing, 10, s)
	wantCode(t, "Verify(failing records)", err, accord.EUNAVAILABLE, "entry 6")
	if !errors.Is(err, cause) {
		t.Errorf("Verify(failing records) = %v, want it to wrap the records' error", err)
	}

	// A table holding fewer hashes than its size claims.
	broken := &MemStore{hashes: s.hashes[:5], n: 10}
	_, err = Verify(recordsFunc(recs), 10, broken)
	wantCode(t, "Verify(table shorter than its size)", err, accord.EINTERNAL)
}
