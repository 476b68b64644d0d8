package ledger

import (
	"sort"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
)

// Store is the stored-hash table of one ledger: every hash of the Merkle
// tree that tlog.StoredHashes produces, at the dense position
// tlog.StoredHashIndex gives it (leaf hashes and the hashes of complete
// subtrees, about two per entry). The records themselves are kept by the
// caller, not by the Store.
//
// A database implementation reads and writes inside the caller's
// transaction, so that a record, its hashes and the step that caused them
// commit or roll back together. Every Store is also a tlog.HashReader.
//
// The contract, which MemStore follows and a database store must follow too:
//
//   - Size returns n, the number of entries whose hashes are all stored; the
//     table then holds exactly tlog.StoredHashCount(n) hashes, at indexes 0
//     to tlog.StoredHashCount(n)-1. A store that keeps only the hashes can
//     derive n from their count with SizeFromHashCount.
//   - ReadHashes returns, in order, the hash at each requested index, or an
//     error; never a zero hash for an index it does not hold. The ledger asks
//     only for indexes below tlog.StoredHashCount(Size()), mostly in
//     ascending order; Verify asks for contiguous ascending ranges.
//   - WriteHashes stores hashes[i] at indexes[i]. The ledger writes only new
//     indexes, contiguous and ascending, starting at the current count. A
//     store must refuse to overwrite a stored hash with a different value
//     (ECONFLICT) and refuse a gap (EINVALID), and must write all or none.
//
// Errors are *accord.Error: EUNAVAILABLE when the database cannot be
// reached, ENOTFOUND for a missing index, EINTERNAL otherwise.
type Store interface {
	// Size returns the number of entries in the ledger.
	Size() (int64, error)
	// ReadHashes returns the hashes stored at the given indexes.
	ReadHashes(indexes []int64) ([]tlog.Hash, error)
	// WriteHashes stores hashes at the given indexes.
	WriteHashes(indexes []int64, hashes []tlog.Hash) error
}

// MemStore is a Store that keeps the hash table in memory. It is a real,
// complete store of hashes, not a stand-in for the database: tests and
// tools (Verify's recomputation, benchmarks, a command that checks an
// exported ledger) use it where nothing needs to persist. Its zero value is
// an empty ledger ready to use; it is safe for concurrent use, though
// appends, like those to any Store, must be serialised by the caller.
type MemStore struct {
	mu     sync.RWMutex
	hashes []tlog.Hash
	n      int64 // entries whose hashes are all in hashes
}

// Size returns the number of entries whose hashes are stored. It returns
// EINTERNAL when the table ends part-way through an entry's hashes, which
// only a bug in a caller of WriteHashes can cause.
func (m *MemStore) Size() (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if tlog.StoredHashCount(m.n) != int64(len(m.hashes)) {
		return 0, accord.Errorf(accord.EINTERNAL,
			"ledger: the stored hash table holds %d hashes, which is no whole number of entries (an append was cut short)",
			len(m.hashes))
	}
	return m.n, nil
}

// ReadHashes returns the hashes at the given indexes, in order. It returns
// ENOTFOUND, naming the index, for an index the table does not hold.
func (m *MemStore) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, accord.Errorf(accord.ENOTFOUND,
				"ledger: stored hash %d not found (the table holds %d)", x, len(m.hashes))
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// WriteHashes stores hashes at indexes, all or none. Writing an index
// already held with the same hash is a no-op; with a different hash it is
// refused with ECONFLICT (the table is append-only). An index past the end
// of the table, mismatched slice lengths or a negative index are refused
// with EINVALID.
func (m *MemStore) WriteHashes(indexes []int64, hashes []tlog.Hash) error {
	if len(indexes) != len(hashes) {
		return accord.Errorf(accord.EINVALID, "ledger: %d indexes for %d hashes", len(indexes), len(hashes))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if contiguousFrom(indexes, int64(len(m.hashes))) {
		// The ledger's own appends: new hashes right after the last one.
		m.hashes = append(m.hashes, hashes...)
		m.advance()
		return nil
	}
	// Check everything first so that a refused write changes nothing.
	have := int64(len(m.hashes))
	var added []tlog.Hash
	for i, x := range indexes {
		end := have + int64(len(added))
		switch {
		case x < 0:
			return accord.Errorf(accord.EINVALID, "ledger: negative stored hash index %d", x)
		case x < have:
			if m.hashes[x] != hashes[i] {
				return accord.Errorf(accord.ECONFLICT, "ledger: stored hash %d is already written with another value", x)
			}
		case x < end:
			if added[x-have] != hashes[i] {
				return accord.Errorf(accord.ECONFLICT, "ledger: stored hash %d is given twice with different values", x)
			}
		case x == end:
			added = append(added, hashes[i])
		default:
			return accord.Errorf(accord.EINVALID, "ledger: stored hash %d would leave a gap after %d", x, end-1)
		}
	}
	m.hashes = append(m.hashes, added...)
	m.advance()
	return nil
}

// advance counts the entries whose hashes are now all stored.
func (m *MemStore) advance() {
	for tlog.StoredHashCount(m.n+1) <= int64(len(m.hashes)) {
		m.n++
	}
}

// contiguousFrom reports whether indexes are start, start+1, start+2, ….
func contiguousFrom(indexes []int64, start int64) bool {
	for i, x := range indexes {
		if x != start+int64(i) {
			return false
		}
	}
	return true
}

// SizeFromHashCount returns the number of entries n of a ledger whose
// stored-hash table holds count hashes, that is the n for which
// tlog.StoredHashCount(n) == count. A database Store can implement Size
// with it from "SELECT count(*)" (or max(index)+1) over its hash table. It
// returns EINTERNAL when count is no whole number of entries, the sign of a
// table written part-way or truncated by hand.
func SizeFromHashCount(count int64) (int64, error) {
	if count < 0 {
		return 0, accord.Errorf(accord.EINTERNAL, "ledger: negative stored hash count %d", count)
	}
	// StoredHashCount is strictly increasing and at least n, so n <= count.
	n := int64(sort.Search(int(count)+1, func(n int) bool { return tlog.StoredHashCount(int64(n)) >= count }))
	if tlog.StoredHashCount(n) != count {
		return 0, accord.Errorf(accord.EINTERNAL,
			"ledger: the stored hash table holds %d hashes, which is no whole number of entries (an append was cut short)", count)
	}
	return n, nil
}
