package node

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/ledger"
)

// appendLedger appends records to the node's ledger inside tx, so that a
// fact and its ledger entry are committed together or not at all.
func appendLedger(tx accord.Tx, records [][]byte) error {
	_, err := ledger.AppendEntries(tx, records)
	return err
}

// messageRecord is the ledger record of a message: its id and the SHA-256
// of its envelope bytes.
func messageRecord(m *accord.Message) ([]byte, error) {
	d, err := hex.DecodeString(m.Digest)
	if err != nil || len(d) != sha256.Size {
		return nil, accord.Errorf(accord.EINTERNAL, "message %s has no valid digest", m.ID)
	}
	return ledger.Record(ledger.KindMessage, m.ID, d)
}

// receiptRecord is the ledger record of a receipt: the message it answers
// and the SHA-256 of the receipt's own signed bytes.
func receiptRecord(r *accord.Receipt) ([]byte, error) {
	if len(r.JWS) == 0 {
		return nil, accord.Errorf(accord.EINTERNAL, "receipt for %s is not signed", r.MessageID)
	}
	d := sha256.Sum256(r.JWS)
	return ledger.Record(ledger.KindReceipt, r.MessageID, d[:])
}

// ledgerRecords returns the records of a message and, when given, its receipt.
func ledgerRecords(m *accord.Message, r *accord.Receipt) ([][]byte, error) {
	mr, err := messageRecord(m)
	if err != nil {
		return nil, err
	}
	out := [][]byte{mr}
	if r != nil {
		rr, err := receiptRecord(r)
		if err != nil {
			return nil, err
		}
		out = append(out, rr)
	}
	return out, nil
}
