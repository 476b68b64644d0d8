package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/ledger"
)

// Notary signs this node's ledger checkpoints and cosigns its peers'.
// *federation.Identity implements it with the node's Ed25519 key.
type Notary interface {
	SignCheckpoint(c ledger.Checkpoint) ([]byte, error)
	Cosign(checkpointNote []byte, witness string, now time.Time) ([]byte, error)
}

// LogOrigin is the C2SP origin (and note key name) of party's ledger.
func LogOrigin(party string) string { return "accord/" + party + "/ledger" }

// WitnessName is the note key name under which party cosigns its peers'
// checkpoints.
func WitnessName(party string) string { return "accord/" + party + "/witness" }

// Offer is this node's signed checkpoint for a peer to witness, with the
// consistency proof from the size the peer last witnessed (From; no proof
// when From is 0 or the checkpoint's size).
type Offer = federation.CheckpointOffer

// Offer signs a checkpoint of the ledger as it is now (or reuses the last
// one if the ledger did not grow), stores it, and returns it for peer to
// witness with the proof from the size peer last witnessed, as far as this
// node knows (see Witnessed). EUNAVAILABLE without a notary.
func (s *Service) Offer(ctx context.Context, peer string) (*Offer, error) {
	if s.notary == nil {
		return nil, accord.Errorf(accord.EUNAVAILABLE, "this node has no key to sign checkpoints with")
	}
	now := s.Now()
	from := s.witnessedSize(peer)
	var off Offer
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		l := ledger.Over(tx)
		n, err := l.Size()
		if err != nil {
			return err
		}
		latest, err := tx.LatestCheckpoint(s.self)
		switch {
		case err == nil && latest.Size == n:
			off.Note = latest.Note
		case err == nil || accord.ErrorCode(err) == accord.ENOTFOUND:
			root, err := ledger.TreeHash(l, n)
			if err != nil {
				return err
			}
			c := ledger.Checkpoint{Origin: LogOrigin(s.self), Size: n, Hash: root}
			if off.Note, err = s.notary.SignCheckpoint(c); err != nil {
				return fmt.Errorf("sign checkpoint: %w", err)
			}
			if err := tx.AddCheckpoint(&accord.StoredCheckpoint{Party: s.self, Size: n, Hash: root, Note: off.Note, CreatedAt: now}); err != nil {
				return err
			}
		default:
			return err
		}
		if from > 0 && from < n {
			proof, err := ledger.ConsistencyProof(l, from, n)
			if err != nil {
				return err
			}
			off.From = from
			for _, h := range proof {
				off.Proof = append(off.Proof, [32]byte(h))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("offer a checkpoint to %s: %w", peer, err)
	}
	return &off, nil
}

// Witnessed records that peer has witnessed this node's ledger up to size,
// so that the next Offer proves consistency from there.
func (s *Service) Witnessed(peer string, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.witnessed == nil {
		s.witnessed = map[string]int64{}
	}
	s.witnessed[peer] = size
}

func (s *Service) witnessedSize(peer string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.witnessed[peer]
}

// ErrWrongBase is wrapped by Witness's EUNAVAILABLE error when a proof
// starts from another size than the one this node last witnessed; the
// caller learns the size from Witness's second result and offers again.
var ErrWrongBase = errors.New("consistency proof from the wrong size")

// Witness checks a checkpoint offered by peer: its signature by peer's key,
// and that it extends the last checkpoint of peer this node witnessed
// (same size: same hash; larger: the consistency proof holds). It then
// cosigns it, stores it with the cosignature, and returns the cosigned
// note and the size now witnessed. A checkpoint that does not extend the
// last one — a fork, or a log that shrank — is ECONFLICT and is logged at
// error level: either party rewrote its record. A proof from another size
// than the last witnessed is EUNAVAILABLE wrapping ErrWrongBase, with that
// size as the second result. EINVALID for a bad note or signature.
func (s *Service) Witness(ctx context.Context, peer string, off *Offer) ([]byte, int64, error) {
	if s.notary == nil {
		return nil, 0, accord.Errorf(accord.EUNAVAILABLE, "this node has no key to cosign with")
	}
	now := s.Now()
	var cosigned []byte
	var last, offered int64
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		p, err := tx.Party(peer)
		if err != nil {
			return err
		}
		verifier, err := ledger.NoteVerifier(LogOrigin(peer), ed25519.PublicKey(p.SigningKey))
		if err != nil {
			return err
		}
		c, err := ledger.OpenCheckpoint(off.Note, LogOrigin(peer), verifier)
		if err != nil {
			return err
		}
		offered = c.Size
		prev, err := tx.LatestCheckpoint(peer)
		switch {
		case accord.ErrorCode(err) == accord.ENOTFOUND:
		case err != nil:
			return err
		default:
			last = prev.Size
			pc := &ledger.Checkpoint{Origin: LogOrigin(peer), Size: prev.Size, Hash: prev.Hash}
			if c.Size == prev.Size && c.Hash == tlog.Hash(prev.Hash) {
				cosigned = prev.Cosigned
				return nil
			}
			var proof tlog.TreeProof
			if c.Size > prev.Size {
				if off.From != prev.Size {
					return &accord.Error{Code: accord.EUNAVAILABLE, Message: fmt.Sprintf("the proof starts at size %d; %s's ledger was last witnessed at %d: offer again", off.From, peer, prev.Size), Err: ErrWrongBase}
				}
				for _, h := range off.Proof {
					proof = append(proof, tlog.Hash(h))
				}
			}
			if err := ledger.CheckUpdate(pc, c, proof); err != nil {
				return err
			}
		}
		if cosigned, err = s.notary.Cosign(off.Note, WitnessName(s.self), now); err != nil {
			return fmt.Errorf("cosign: %w", err)
		}
		last = c.Size
		return tx.AddCheckpoint(&accord.StoredCheckpoint{Party: peer, Size: c.Size, Hash: c.Hash, Note: off.Note,
			Cosigned: cosigned, CosignedAt: now, CreatedAt: now})
	})
	if accord.ErrorCode(err) == accord.ECONFLICT {
		s.log.Error("PEER LEDGER INCONSISTENT: the checkpoint does not extend the last one witnessed (a fork or a rewritten log)",
			"peer", peer, "last_witnessed_size", last, "err", err.Error())
		// Keep the offending checkpoint as evidence, in its own transaction
		// (the witnessing one rolled back); verify and the API raise it.
		aerr := s.store.Update(ctx, func(tx accord.Tx) error {
			return tx.AddLedgerAlarm(&accord.LedgerAlarm{Party: peer, Size: offered, Note: off.Note, Reason: accord.ErrorMessage(err), At: now})
		})
		if aerr != nil {
			s.log.Error("cannot record the ledger alarm", "peer", peer, "err", aerr)
		}
	}
	if err != nil {
		return nil, last, fmt.Errorf("witness %s's checkpoint: %w", peer, err)
	}
	return cosigned, last, nil
}

// Cosigned stores peer's cosignature of one of this node's checkpoints,
// after checking it against both keys, and records the size as witnessed.
// EINVALID when the note or a signature does not verify; ENOTFOUND when
// this node never signed a checkpoint of that size.
func (s *Service) Cosigned(ctx context.Context, peer string, cosigned []byte) error {
	var size int64
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		self, err := tx.Party(s.self)
		if err != nil {
			return err
		}
		p, err := tx.Party(peer)
		if err != nil {
			return err
		}
		verifier, err := ledger.NoteVerifier(LogOrigin(s.self), ed25519.PublicKey(self.SigningKey))
		if err != nil {
			return err
		}
		c, err := ledger.OpenCheckpoint(cosigned, LogOrigin(s.self), verifier)
		if err != nil {
			return err
		}
		at, err := ledger.VerifyCosignature(cosigned, LogOrigin(s.self), verifier, WitnessName(peer), ed25519.PublicKey(p.SigningKey))
		if err != nil {
			return err
		}
		size = c.Size
		return tx.SetCosigned(s.self, c.Size, cosigned, at.UTC())
	})
	if err != nil {
		return fmt.Errorf("record %s's cosignature: %w", peer, err)
	}
	s.Witnessed(peer, size)
	return nil
}
