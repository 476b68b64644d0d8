package ledger

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
)

// verifyBatch is how many entries Verify recomputes between two reads of
// the stored hashes: large enough that a database store answers few
// queries, small enough to bound the memory of one read.
const verifyBatch = 4096

// Verify checks the ledger in s against its records: it recomputes the
// whole Merkle tree from the records alone, in a fresh MemStore, compares
// every hash stored in s with the recomputed one, and returns the root hash
// of the n entries. records(i) returns the record of entry i; Verify calls
// it for i = 0, 1, …, n-1 in order, once each, so a caller can serve it
// from one ordered cursor, and it does not keep the returned slice.
//
// On the first disagreement, in entry order, it returns ECONFLICT naming
// the entry, e.g. "entry 4812: record does not match the ledger (the
// record's leaf hash is …, the ledger has …)". A record changed, deleted or moved shows as the first entry whose
// record no longer hashes to the stored leaf; a changed tree hash as the
// entry whose append stored it; a ledger longer or shorter than the records
// as the first entry that only one side has. Errors from records or s are
// returned wrapped, with their codes; a negative n is EINVALID.
//
// `accord verify` calls it inside one read transaction. Once it succeeds,
// the stored hashes are those of the records, so TreeHash over s gives the
// root at any earlier size, to compare with the stored checkpoints.
func Verify(records func(i int64) ([]byte, error), n int64, s Store) (tlog.Hash, error) {
	if n < 0 {
		return tlog.Hash{}, accord.Errorf(accord.EINVALID, "verify ledger: negative number of records %d", n)
	}
	size, err := s.Size()
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("verify ledger: read size: %w", err)
	}
	common := min(n, size)
	fresh := &MemStore{hashes: make([]tlog.Hash, 0, tlog.StoredHashCount(common))}
	leaves := make([]tlog.Hash, 0, verifyBatch)
	var indexes []int64
	for lo := int64(0); lo < common; lo += verifyBatch {
		hi := min(lo+verifyBatch, common)
		leaves = leaves[:0]
		for i := lo; i < hi; i++ {
			rec, err := records(i)
			if err != nil {
				return tlog.Hash{}, fmt.Errorf("verify ledger: read the record of entry %d: %w", i, err)
			}
			leaves = append(leaves, tlog.RecordHash(rec))
		}
		if _, err := appendLeaves(fresh, leaves); err != nil {
			return tlog.Hash{}, accord.Internal(err, "verify ledger: recompute entries %d to %d", lo, hi-1)
		}
		from, to := tlog.StoredHashIndex(0, lo), tlog.StoredHashIndex(0, hi)
		indexes = indexes[:0]
		for x := from; x < to; x++ {
			indexes = append(indexes, x)
		}
		stored, err := s.ReadHashes(indexes)
		if err != nil {
			return tlog.Hash{}, fmt.Errorf("verify ledger: read the stored hashes of entries %d to %d: %w", lo, hi-1, err)
		}
		if len(stored) != len(indexes) {
			return tlog.Hash{}, accord.Errorf(accord.EINTERNAL, "verify ledger: store returned %d hashes for %d indexes", len(stored), len(indexes))
		}
		for k, got := range stored {
			if want := fresh.hashes[from+int64(k)]; got != want {
				return tlog.Hash{}, mismatch(from+int64(k), got, want)
			}
		}
	}
	switch {
	case size < n:
		return tlog.Hash{}, accord.Errorf(accord.ECONFLICT,
			"entry %d: record is not in the ledger (the ledger has %d entries, there are %d records)", size, size, n)
	case size > n:
		return tlog.Hash{}, accord.Errorf(accord.ECONFLICT,
			"entry %d: ledger entry has no record (the ledger has %d entries, there are %d records)", n, size, n)
	}
	root, err := tlog.TreeHash(n, fresh)
	if err != nil {
		return tlog.Hash{}, accord.Internal(err, "verify ledger: root hash at size %d", n)
	}
	return root, nil
}

// mismatch describes a stored hash that differs from the recomputed one,
// naming the entry whose append stored it.
func mismatch(index int64, stored, recomputed tlog.Hash) error {
	level, k := tlog.SplitStoredHashIndex(index)
	if level == 0 {
		return accord.Errorf(accord.ECONFLICT,
			"entry %d: record does not match the ledger (the record's leaf hash is %s, the ledger has %s)", k, recomputed, stored)
	}
	first, last := k<<level, (k+1)<<level-1
	return accord.Errorf(accord.ECONFLICT,
		"entry %d: the ledger's hash of entries %d to %d does not match the records (the ledger has %s, the records give %s)",
		last, first, last, stored, recomputed)
}
