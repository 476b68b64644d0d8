package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"iter"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/ledger"
)

// VerifyReport is the outcome of Verify: what was checked and, when
// something does not hold, the first thing that does not.
type VerifyReport struct {
	OK       bool   `json:"ok"`
	Entries  int64  `json:"entries"`
	Root     string `json:"root"`
	Messages int    `json:"messages"`
	Receipts int    `json:"receipts"`
	// Problem names the first bad entry, message or receipt and what is
	// wrong with it; empty when OK.
	Problem string `json:"problem,omitempty"`
}

// Verify checks, in one read transaction, that the node's record was not
// rewritten: it recomputes the ledger's Merkle tree from the stored entries
// and compares every stored hash; then, for every stored message and
// receipt, that its bytes still match its digest, that its signature
// verifies with its signer's key, and that its ledger entry is there. It
// stops at the first fault and names it in the report (OK false); the error
// is for failures to read the store. Needs PermRead.
func (s *Service) Verify(ctx context.Context, actor accord.Actor) (*VerifyReport, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	rep := &VerifyReport{}
	err := s.store.View(ctx, func(tx accord.Tx) error {
		problem, err := s.verify(tx, rep)
		if err != nil {
			return err
		}
		rep.Problem, rep.OK = problem, problem == ""
		return nil
	})
	return rep, err
}

// verify returns the first problem found, or "".
func (s *Service) verify(tx accord.Tx, rep *VerifyReport) (string, error) {
	// n is the number of entries actually stored, not the size the highest
	// index implies: a deleted entry must show as a mismatch where it was.
	var n int64
	if err := tx.LedgerEntries(0, func(int64, []byte) error { n++; return nil }); err != nil {
		return "", err
	}
	rep.Entries = n
	next, stop := iter.Pull2(func(yield func(int64, []byte) bool) {
		_ = tx.LedgerEntries(0, func(i int64, rec []byte) error {
			if !yield(i, rec) { // the store hands out copies
				return errStop
			}
			return nil
		})
	})
	defer stop()
	root, err := ledger.Verify(func(i int64) ([]byte, error) {
		_, rec, ok := next()
		if !ok {
			return nil, accord.Errorf(accord.ECONFLICT, "entry %d: missing", i)
		}
		return rec, nil
	}, n, ledger.Over(tx))
	if err != nil {
		if code := accord.ErrorCode(err); code == accord.ECONFLICT || code == accord.EINVALID || code == accord.ENOTFOUND {
			return "ledger " + err.Error(), nil
		}
		return "", err
	}
	rep.Root = hex.EncodeToString(root[:])

	keys := map[string]ed25519.PublicKey{}
	parties, err := tx.Parties()
	if err != nil {
		return "", err
	}
	for _, p := range parties {
		if len(p.SigningKey) == ed25519.PublicKeySize {
			keys[p.ID] = ed25519.PublicKey(p.SigningKey)
		}
	}
	keyOf := func(party string) (ed25519.PublicKey, error) {
		if k, ok := keys[party]; ok {
			return k, nil
		}
		return nil, accord.Errorf(accord.EUNAUTHORIZED, "no signing key is known for %s", party)
	}
	inLedger := func(rec []byte) bool {
		_, err := tx.LedgerEntryIndex(rec)
		return err == nil
	}
	if problem, err := s.verifyCheckpoints(tx, parties); problem != "" || err != nil {
		return problem, err
	}
	if problem, err := s.verifyEvidence(tx, inLedgerFn(tx)); problem != "" || err != nil {
		return problem, err
	}
	alarms, err := tx.LedgerAlarms()
	if err != nil {
		return "", err
	}
	if len(alarms) > 0 {
		a := alarms[0]
		return fmt.Sprintf("%s presented a ledger checkpoint at size %d on %s inconsistent with the one this node witnessed: %s (%d alarm(s) in all)",
			a.Party, a.Size, a.At.Format(time.RFC3339), a.Reason, len(alarms)), nil
	}
	requests, err := tx.Requests(accord.RequestFilter{})
	if err != nil {
		return "", err
	}
	for _, r := range requests {
		msgs, err := tx.Messages(r.ID)
		if err != nil {
			return "", err
		}
		for _, m := range msgs {
			rep.Messages++
			where := fmt.Sprintf("message %s (%s %d of %s, request %s)", m.ID, m.Kind, m.Seq, m.Sender, m.RequestID)
			if sum := sha256.Sum256(m.JWS); hex.EncodeToString(sum[:]) != m.Digest {
				return where + ": the stored envelope does not match its digest", nil
			}
			opened, err := federation.OpenMessage(m.JWS, keyOf)
			if err != nil {
				return where + ": " + accord.ErrorMessage(err), nil
			}
			if opened.ID != m.ID || opened.Kind != m.Kind || opened.Sender != m.Sender || opened.Recipient != m.Recipient ||
				opened.RequestID != m.RequestID || opened.Seq != m.Seq || !opened.CreatedAt.Equal(m.CreatedAt) || !bytes.Equal(opened.Body, m.Body) {
				return where + ": the stored fields differ from the signed envelope", nil
			}
			rec, err := messageRecord(m)
			if err != nil {
				return where + ": " + accord.ErrorMessage(err), nil
			}
			if !inLedger(rec) {
				return where + ": not in the ledger", nil
			}
			rc, err := tx.Receipt(m.ID)
			if accord.ErrorCode(err) == accord.ENOTFOUND {
				continue // not delivered yet
			} else if err != nil {
				return "", err
			}
			rep.Receipts++
			rwhere := "receipt for " + where
			key, err := keyOf(rc.Receiver)
			if err != nil {
				return rwhere + ": " + accord.ErrorMessage(err), nil
			}
			ro, err := federation.OpenReceipt(rc.JWS, key)
			if err != nil {
				return rwhere + ": " + accord.ErrorMessage(err), nil
			}
			if ro.MessageID != m.ID || ro.Digest != m.Digest || ro.Receiver != rc.Receiver || !ro.ReceivedAt.Equal(rc.ReceivedAt) {
				return rwhere + ": the signed receipt does not match the stored one or the message", nil
			}
			rrec, err := receiptRecord(rc)
			if err != nil {
				return rwhere + ": " + accord.ErrorMessage(err), nil
			}
			if !inLedger(rrec) {
				return rwhere + ": not in the ledger", nil
			}
		}
	}
	return "", nil
}

// errStop ends a LedgerEntries walk early.
var errStop = accord.Errorf(accord.ECONFLICT, "stop")

// verifyCheckpoints checks every checkpoint this node signed: its signature,
// that it names the root of the (already verified) ledger at its size, and
// the peer's cosignature when there is one; and the signature of every
// checkpoint of a peer this node witnessed.
func (s *Service) verifyCheckpoints(tx accord.Tx, parties []*accord.Party) (string, error) {
	for _, p := range parties {
		if len(p.SigningKey) != ed25519.PublicKeySize || (p.Kind != accord.PartySelf && p.Kind != accord.PartyPeer) {
			continue
		}
		verifier, err := ledger.NoteVerifier(LogOrigin(p.ID), ed25519.PublicKey(p.SigningKey))
		if err != nil {
			return "", err
		}
		cps, err := tx.Checkpoints(p.ID)
		if err != nil {
			return "", err
		}
		for _, cp := range cps {
			where := fmt.Sprintf("checkpoint of %s at size %d", p.ID, cp.Size)
			c, err := ledger.OpenCheckpoint(cp.Note, LogOrigin(p.ID), verifier)
			if err != nil {
				return where + ": " + accord.ErrorMessage(err), nil
			}
			if c.Size != cp.Size || [32]byte(c.Hash) != cp.Hash {
				return where + ": the signed note differs from the stored size or hash", nil
			}
			if p.Kind != accord.PartySelf {
				continue
			}
			root, err := ledger.TreeHash(ledger.Over(tx), cp.Size)
			if err != nil {
				return where + ": " + accord.ErrorMessage(err), nil
			}
			if root != c.Hash {
				return where + ": it does not name the ledger's root at that size", nil
			}
			if len(cp.Cosigned) == 0 {
				continue
			}
			ok := false
			for _, w := range parties {
				if w.Kind == accord.PartyPeer && len(w.SigningKey) == ed25519.PublicKeySize {
					if _, err := ledger.VerifyCosignature(cp.Cosigned, LogOrigin(p.ID), verifier, WitnessName(w.ID), ed25519.PublicKey(w.SigningKey)); err == nil {
						ok = true
						break
					}
				}
			}
			if !ok {
				return where + ": no peer's cosignature verifies", nil
			}
		}
	}
	return "", nil
}

func inLedgerFn(tx accord.Tx) func([]byte) bool {
	return func(rec []byte) bool {
		_, err := tx.LedgerEntryIndex(rec)
		return err == nil
	}
}

// verifyEvidence checks every item of evidence: its file re-hashed against
// its digest, and every custody event naming that digest and present in the
// ledger.
func (s *Service) verifyEvidence(tx accord.Tx, inLedger func([]byte) bool) (string, error) {
	items, err := tx.EvidenceOf("")
	if err != nil {
		return "", err
	}
	for _, e := range items {
		where := fmt.Sprintf("evidence %s (%s, sha256 %s)", e.ID, e.Name, e.Digest)
		if s.blobs == nil {
			return where + ": no evidence store to check it in", nil
		}
		if err := s.blobs.Verify(context.Background(), e.Digest); err != nil {
			return where + ": " + accord.ErrorMessage(err), nil
		}
		evs, err := tx.CustodyEvents(e.ID)
		if err != nil {
			return "", err
		}
		for _, ev := range evs {
			if ev.Digest != e.Digest {
				return fmt.Sprintf("%s: custody event %d (%s) names another digest", where, ev.Seq, ev.Event), nil
			}
			rec, err := custodyRecord(ev)
			if err != nil {
				return "", err
			}
			if !inLedger(rec) {
				return fmt.Sprintf("%s: custody event %d (%s) is not in the ledger", where, ev.Seq, ev.Event), nil
			}
		}
	}
	return "", nil
}
