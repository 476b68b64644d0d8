package node

import (
	"context"
	"encoding/base64"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/ledger"
)

// LedgerHead is the current size and RFC 6962 root hash of the node's
// ledger; hashes are standard base64, as in C2SP checkpoints.
type LedgerHead struct {
	Size int64  `json:"size"`
	Root string `json:"root"`
	// Alarms lists checkpoints peers presented that were inconsistent with
	// those this node witnessed (a fork or a rewritten log).
	Alarms []*accord.LedgerAlarm `json:"alarms"`
}

// InclusionProof shows that one message or receipt is entry Index of the
// ledger of the given Size and Root: anyone holding the record can check it
// with RFC 6962 (tlog.CheckRecord).
type InclusionProof struct {
	Kind   string   `json:"kind"`
	Ref    string   `json:"ref"`
	Index  int64    `json:"index"`
	Size   int64    `json:"size"`
	Root   string   `json:"root"`
	Record string   `json:"record"`
	Proof  []string `json:"proof"`
}

// ConsistencyProof shows that the ledger of size Old with root OldRoot is a
// prefix of the ledger of size New with root NewRoot.
type ConsistencyProof struct {
	Old     int64    `json:"old"`
	OldRoot string   `json:"old_root"`
	New     int64    `json:"new"`
	NewRoot string   `json:"new_root"`
	Proof   []string `json:"proof"`
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func b64s(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = b64(h)
	}
	return out
}

// Head returns the ledger's current size and root. Needs PermRead.
func (s *Service) Head(ctx context.Context, actor accord.Actor) (*LedgerHead, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var h LedgerHead
	err := s.store.View(ctx, func(tx accord.Tx) error {
		l := ledger.Over(tx)
		n, err := l.Size()
		if err != nil {
			return err
		}
		root, err := ledger.TreeHash(l, n)
		if err != nil {
			return err
		}
		alarms, err := tx.LedgerAlarms()
		if err != nil {
			return err
		}
		h = LedgerHead{Size: n, Root: b64(root), Alarms: alarms}
		return nil
	})
	return &h, err
}

// ProveInclusion returns the proof that the message with the given id (or,
// with receipt, its receipt) is in the ledger at its current size. Needs
// PermRead. ENOTFOUND when the message or receipt is not stored.
func (s *Service) ProveInclusion(ctx context.Context, actor accord.Actor, messageID string, receipt bool) (*InclusionProof, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var p *InclusionProof
	err := s.store.View(ctx, func(tx accord.Tx) error {
		m, err := tx.Message(messageID)
		if err != nil {
			return err
		}
		rec, err := messageRecord(m)
		if err != nil {
			return err
		}
		kind := ledger.KindMessage
		if receipt {
			rc, err := tx.Receipt(messageID)
			if err != nil {
				return err
			}
			if rec, err = receiptRecord(rc); err != nil {
				return err
			}
			kind = ledger.KindReceipt
		}
		idx, err := tx.LedgerEntryIndex(rec)
		if err != nil {
			return accord.Errorf(accord.ENOTFOUND, "the %s of message %s is not in the ledger", kind, messageID)
		}
		l := ledger.Over(tx)
		n, err := l.Size()
		if err != nil {
			return err
		}
		root, err := ledger.TreeHash(l, n)
		if err != nil {
			return err
		}
		proof, err := ledger.InclusionProof(l, idx, n)
		if err != nil {
			return err
		}
		p = &InclusionProof{Kind: kind, Ref: messageID, Index: idx, Size: n, Root: b64(root), Record: string(rec), Proof: b64s(proof)}
		return nil
	})
	return p, err
}

// ProveConsistency returns the proof that the ledger at size old is a
// prefix of the ledger at size new (0 ≤ old ≤ new ≤ the current size).
// Needs PermRead. EINVALID for sizes out of range.
func (s *Service) ProveConsistency(ctx context.Context, actor accord.Actor, old, new int64) (*ConsistencyProof, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var p *ConsistencyProof
	err := s.store.View(ctx, func(tx accord.Tx) error {
		l := ledger.Over(tx)
		n, err := l.Size()
		if err != nil {
			return err
		}
		if old < 0 || old > new || new > n {
			return accord.FieldError("old", "sizes must satisfy 0 ≤ old ≤ new ≤ %d (the ledger's size), got old %d, new %d", n, old, new)
		}
		oldRoot, err := ledger.TreeHash(l, old)
		if err != nil {
			return err
		}
		newRoot, err := ledger.TreeHash(l, new)
		if err != nil {
			return err
		}
		var proof tlog.TreeProof
		if old > 0 && old < new {
			if proof, err = ledger.ConsistencyProof(l, old, new); err != nil {
				return err
			}
		}
		p = &ConsistencyProof{Old: old, OldRoot: b64(oldRoot), New: new, NewRoot: b64(newRoot), Proof: b64s(proof)}
		return nil
	})
	return p, err
}
