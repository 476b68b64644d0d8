package ledger

import (
	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
)

// EntryStore is the part of a store transaction the ledger needs; accord.Tx
// implements it. The store keeps records and their tree hashes together, so
// an append hands both over in one call.
type EntryStore interface {
	LedgerSize() (int64, error)
	LedgerHashes(indexes []int64) ([][32]byte, error)
	AddLedgerEntries(first int64, records [][]byte, hashIndexes []int64, hashes [][32]byte) error
}

// txStore adapts an EntryStore to Store. WriteHashes holds the hashes of one
// append until AppendEntries stores them with their records.
type txStore struct {
	tx      EntryStore
	indexes []int64
	hashes  [][32]byte
}

// Over returns a Store over tx for reading: TreeHash, the proofs and Verify.
// Its WriteHashes only holds hashes; append with AppendEntries.
func Over(tx EntryStore) Store { return &txStore{tx: tx} }

func (l *txStore) Size() (int64, error) { return l.tx.LedgerSize() }

func (l *txStore) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	hs, err := l.tx.LedgerHashes(indexes)
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		out[i] = tlog.Hash(h)
	}
	return out, nil
}

func (l *txStore) WriteHashes(indexes []int64, hashes []tlog.Hash) error {
	if len(l.indexes) > 0 {
		return accord.Errorf(accord.EINTERNAL, "ledger append: the hashes of an earlier append are not stored yet")
	}
	l.indexes = append(l.indexes, indexes...)
	for _, h := range hashes {
		l.hashes = append(l.hashes, [32]byte(h))
	}
	return nil
}

// AppendEntries appends records to the ledger held in tx, storing each
// record with the tree's new hashes in one call, and returns the index of
// the first. The node calls it inside the transaction that stores the facts
// the records name, so both commit or neither does. Errors keep the store's
// codes.
func AppendEntries(tx EntryStore, records [][]byte) (int64, error) {
	l := &txStore{tx: tx}
	first, err := AppendMany(l, records)
	if err != nil || len(records) == 0 {
		return first, err
	}
	return first, tx.AddLedgerEntries(first, records, l.indexes, l.hashes)
}
