package ledger

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
)

// Append adds one record to the ledger in s and returns its index (the
// number of entries before it). It computes the record's leaf hash and the
// hashes of the subtrees the record completes (tlog.StoredHashes) and
// writes them to s. The caller keeps the record itself (usually a Record
// encoding) at the returned index, in the same transaction.
//
// The node calls Append once per envelope, receipt and custody event,
// inside the transaction that stores it. Appends to one Store must be
// serialised (one writer transaction); readers may run alongside. Errors
// come from the Store and keep its code (EUNAVAILABLE, EINTERNAL, …).
func Append(s Store, record []byte) (int64, error) {
	return AppendMany(s, [][]byte{record})
}

// AppendMany adds records to the ledger in s in order, with one
// Store.WriteHashes call for the whole batch, and returns the index of the
// first (the number of entries before the batch; with no records, the
// current size). It gives the same hashes as calling Append for each record
// and is faster for imports and bulk loads. The same rules as for Append
// hold.
func AppendMany(s Store, records [][]byte) (first int64, err error) {
	leaves := make([]tlog.Hash, len(records))
	for i, rec := range records {
		leaves[i] = tlog.RecordHash(rec)
	}
	return appendLeaves(s, leaves)
}

// appendLeaves appends records given by their leaf hashes
// (tlog.RecordHash) to s and returns the index of the first.
func appendLeaves(s Store, leaves []tlog.Hash) (int64, error) {
	n, err := s.Size()
	if err != nil {
		return 0, fmt.Errorf("ledger append: read size: %w", err)
	}
	if len(leaves) == 0 {
		return n, nil
	}
	hashes, err := storedHashes(s, n, leaves)
	if err != nil {
		return 0, err
	}
	base := tlog.StoredHashIndex(0, n)
	indexes := make([]int64, len(hashes))
	for i := range indexes {
		indexes[i] = base + int64(i)
	}
	if err := s.WriteHashes(indexes, hashes); err != nil {
		return 0, fmt.Errorf("ledger append of entries %d to %d: %w", n, n+int64(len(leaves))-1, err)
	}
	return n, nil
}

// storedHashes returns the stored hashes of the records with the given
// leaf hashes (tlog.RecordHash) appended at index n to a ledger whose first
// n entries' hashes r holds, in the order they are to be written from
// tlog.StoredHashIndex(0, n).
func storedHashes(r tlog.HashReader, n int64, leaves []tlog.Hash) ([]tlog.Hash, error) {
	base := tlog.StoredHashIndex(0, n)
	pending := make([]tlog.Hash, 0, tlog.StoredHashCount(n+int64(len(leaves)))-base)
	// Hashes of the batch are read from pending, earlier ones from r.
	overlay := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		var old []int64
		var at []int
		for i, x := range indexes {
			switch {
			case x >= base+int64(len(pending)):
				return nil, accord.Errorf(accord.EINTERNAL, "ledger: stored hash %d read before it is written", x)
			case x >= base:
				out[i] = pending[x-base]
			default:
				old = append(old, x)
				at = append(at, i)
			}
		}
		if len(old) > 0 {
			h, err := r.ReadHashes(old)
			if err != nil {
				return nil, err
			}
			if len(h) != len(old) {
				return nil, accord.Errorf(accord.EINTERNAL, "ledger: store returned %d hashes for %d indexes", len(h), len(old))
			}
			for j, i := range at {
				out[i] = h[j]
			}
		}
		return out, nil
	})
	for i, leaf := range leaves {
		h, err := tlog.StoredHashesForRecordHash(n+int64(i), leaf, overlay)
		if err != nil {
			return nil, fmt.Errorf("ledger append of entry %d: %w", n+int64(i), err)
		}
		pending = append(pending, h...)
	}
	return pending, nil
}

// TreeHash returns the RFC 6962 root hash of the first size entries of the
// ledger in s (the hash of the empty string for size 0). The node calls it
// to sign a checkpoint; `accord verify` to check a stored checkpoint. It
// returns EINVALID when size is negative or beyond the ledger, and the
// Store's errors otherwise.
func TreeHash(s Store, size int64) (tlog.Hash, error) {
	if err := checkSizes(s, "tree size", size); err != nil {
		return tlog.Hash{}, err
	}
	h, err := tlog.TreeHash(size, s)
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("ledger tree hash at size %d: %w", size, err)
	}
	return h, nil
}

// Head returns the checkpoint of the whole ledger in s under origin: its
// size and root hash, ready to Sign. The node calls it when it publishes a
// checkpoint. Errors are the Store's.
func Head(s Store, origin string) (Checkpoint, error) {
	n, err := s.Size()
	if err != nil {
		return Checkpoint{}, fmt.Errorf("ledger head: read size: %w", err)
	}
	h, err := tlog.TreeHash(n, s)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("ledger head at size %d: %w", n, err)
	}
	return Checkpoint{Origin: origin, Size: n, Hash: h}, nil
}

// InclusionProof returns the proof (RFC 6962 audit path, RFC 9162
// inclusion proof) that entry index is in the ledger's tree of the given
// size. The node serves it to a peer or an auditor, who checks it with
// CheckInclusion against a checkpoint of that size. It returns EINVALID
// unless 0 <= index < size <= the ledger's size, and the Store's errors
// otherwise.
func InclusionProof(s Store, index, size int64) (tlog.RecordProof, error) {
	if err := checkSizes(s, "tree size", size); err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, accord.Errorf(accord.EINVALID, "entry %d is not in a ledger tree of size %d", index, size)
	}
	p, err := tlog.ProveRecord(size, index, s)
	if err != nil {
		return nil, fmt.Errorf("ledger inclusion proof of entry %d at size %d: %w", index, size, err)
	}
	return p, nil
}

// ConsistencyProof returns the proof (RFC 6962 / RFC 9162 consistency
// proof) that the ledger's tree of oldSize entries is a prefix of its tree
// of newSize entries. The node serves it with a new checkpoint to its
// witness, which checks it with CheckUpdate or CheckConsistency. From an
// empty tree, or between equal sizes, the proof is empty. It returns
// EINVALID unless 0 <= oldSize <= newSize <= the ledger's size, and the
// Store's errors otherwise.
func ConsistencyProof(s Store, oldSize, newSize int64) (tlog.TreeProof, error) {
	if err := checkSizes(s, "new tree size", newSize); err != nil {
		return nil, err
	}
	if oldSize < 0 || oldSize > newSize {
		return nil, accord.Errorf(accord.EINVALID, "old tree size %d is not between 0 and the new size %d", oldSize, newSize)
	}
	if oldSize == 0 {
		return tlog.TreeProof{}, nil
	}
	p, err := tlog.ProveTree(newSize, oldSize, s)
	if err != nil {
		return nil, fmt.Errorf("ledger consistency proof from size %d to %d: %w", oldSize, newSize, err)
	}
	return p, nil
}

// CheckInclusion reports whether proof shows that record is entry index of
// the tree of the given size whose root hash is root (a checkpoint's Size
// and Hash). It is tlog.CheckRecord over tlog.RecordHash(record), with the
// arguments in tlog's order, and returns nil or EINVALID ("proof does not
// verify", the tlog error kept as the cause). A peer or an auditor calls it
// to check that an envelope it holds is in the other side's ledger. Take
// size and root from one signed checkpoint: an audit path binds the record
// to the root, and the signature binds the root to the size.
func CheckInclusion(proof tlog.RecordProof, size int64, root tlog.Hash, index int64, record []byte) error {
	if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(record)); err != nil {
		return &accord.Error{Code: accord.EINVALID, Err: err,
			Message: fmt.Sprintf("inclusion proof of entry %d in the ledger of size %d (root %s) does not verify", index, size, root)}
	}
	return nil
}

// CheckConsistency reports whether proof shows that the tree of oldSize
// entries with root oldRoot is a prefix of the tree of newSize entries with
// root newRoot. It is tlog.CheckTree, with the arguments in tlog's order
// (new tree first), extended to the empty old tree, which tlog refuses:
// from size 0, oldRoot must be the empty-tree hash and the proof empty.
// Between equal sizes the roots must be equal and the proof empty. It
// returns nil or EINVALID with the tlog error as the cause. An auditor
// holding two roots calls it; CheckUpdate makes the same check on two
// checkpoints and tells a fork or rollback (ECONFLICT) from bad input.
func CheckConsistency(proof tlog.TreeProof, newSize int64, newRoot tlog.Hash, oldSize int64, oldRoot tlog.Hash) error {
	fail := func(err error, why string) error {
		return &accord.Error{Code: accord.EINVALID, Err: err, Message: fmt.Sprintf(
			"consistency proof from size %d (root %s) to size %d (root %s) does not verify: %s",
			oldSize, oldRoot, newSize, newRoot, why)}
	}
	switch {
	case oldSize < 0 || newSize < oldSize:
		return fail(nil, "sizes out of order")
	case oldSize == 0:
		if oldRoot != emptyHash {
			return fail(nil, "the old root is not the empty-tree hash")
		}
		if len(proof) != 0 {
			return fail(nil, "a proof from the empty tree must be empty")
		}
		return nil
	}
	if err := tlog.CheckTree(proof, newSize, newRoot, oldSize, oldRoot); err != nil {
		return fail(err, err.Error())
	}
	return nil
}

// emptyHash is the root hash of the empty tree (RFC 6962, 2.1): SHA-256 of
// the empty string, as tlog computes it.
var emptyHash, _ = tlog.TreeHash(0, nil)

// checkSizes returns EINVALID unless 0 <= size <= the ledger's size.
func checkSizes(s Store, what string, size int64) error {
	n, err := s.Size()
	if err != nil {
		return fmt.Errorf("ledger: read size: %w", err)
	}
	if size < 0 || size > n {
		return accord.Errorf(accord.EINVALID, "%s %d is outside the ledger, which has %d entries", what, size, n)
	}
	return nil
}
