package node

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/accord-cyber/accord"
)

// CaseEvidence returns the items of one case in the order stored. Needs
// PermRead. ENOTFOUND for an unknown case (EvidenceList, by contrast,
// answers an empty list).
func (s *Service) CaseEvidence(ctx context.Context, actor accord.Actor, caseID string) ([]*accord.Evidence, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var out []*accord.Evidence
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		if _, err := tx.Case(caseID); err != nil {
			return err
		}
		out, err = tx.EvidenceOf(caseID)
		return err
	})
	return out, err
}

// RequestEvidence returns the evidence of a request: the items that belong
// to it (added for it, or received from the peer with its answers) in the
// order stored, then the items of other cases or requests that this node
// attached to its answers to it, in the order attached. Needs PermRead.
// ENOTFOUND for an unknown request.
func (s *Service) RequestEvidence(ctx context.Context, actor accord.Actor, requestID string) ([]*accord.Evidence, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var out []*accord.Evidence
	err := s.store.View(ctx, func(tx accord.Tx) error {
		if _, err := tx.Request(requestID); err != nil {
			return err
		}
		own, err := tx.EvidenceOfRequest(requestID)
		if err != nil {
			return err
		}
		out = own
		seen := map[string]bool{}
		for _, e := range own {
			seen[e.ID] = true
		}
		ms, err := tx.Messages(requestID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.Kind != accord.KindAnswer {
				continue
			}
			xs, err := tx.Transfers(m.ID)
			if err != nil {
				return err
			}
			for _, x := range xs {
				// An incoming transfer not yet fetched has no item; a fetched
				// one's item belongs to the request and is listed already.
				if x.Direction != accord.TransferOut || x.EvidenceID == "" || seen[x.EvidenceID] {
					continue
				}
				e, err := tx.Evidence(x.EvidenceID)
				if err != nil {
					return err
				}
				seen[e.ID] = true
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}

// EvidenceContent opens the stored file of an item for reading and records,
// before returning it, an "accessed" custody event (in the ledger) naming
// actor and reason. The caller must close the reader; it reads exactly
// d.Size bytes. Needs PermRead: reading a file is not writing to a case, but
// every read is in the chain of custody. EINVALID without a reason;
// ENOTFOUND for an unknown item; ECONFLICT when the stored file's size is
// not the item's (it was changed: `accord verify` tells more); EUNAVAILABLE
// without a blob store.
func (s *Service) EvidenceContent(ctx context.Context, actor accord.Actor, id, reason string) (*EvidenceDetail, io.ReadCloser, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(reason) == "" {
		return nil, nil, accord.FieldError("reason", "is required: a chain of custody says why")
	}
	if s.blobs == nil {
		return nil, nil, accord.Errorf(accord.EUNAVAILABLE, "this node has no evidence store")
	}
	var e *accord.Evidence
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		e, err = tx.Evidence(id)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	// The file is opened before the access is recorded, so that a file that
	// cannot be served leaves no "accessed" event behind.
	rc, info, err := s.blobs.Open(e.Digest)
	if accord.ErrorCode(err) == accord.ENOTFOUND {
		return nil, nil, accord.Internal(err, "evidence %s: its file %s is missing from the evidence store", id, e.Digest)
	} else if err != nil {
		return nil, nil, fmt.Errorf("open evidence %s: %w", id, err)
	}
	if info.Size != e.Size {
		rc.Close()
		return nil, nil, accord.Errorf(accord.ECONFLICT, "the stored file of evidence %s has %d bytes, not the %d recorded: run accord verify", id, info.Size, e.Size)
	}
	now := s.Now()
	var d *EvidenceDetail
	err = s.store.Update(ctx, func(tx accord.Tx) error {
		evs, err := tx.CustodyEvents(id)
		if err != nil {
			return err
		}
		ev, err := s.custody(tx, e, len(evs)+1, accord.CustodyAccessed, actor.Name, reason, now)
		if err != nil {
			return err
		}
		d = &EvidenceDetail{Evidence: e, Custody: append(evs, ev)}
		return nil
	})
	if err != nil {
		rc.Close()
		return nil, nil, fmt.Errorf("record access to %s: %w", id, err)
	}
	s.log.Info("evidence accessed", "evidence", id, "sha256", e.Digest, "size", e.Size, "by", actor.Name)
	return d, rc, nil
}
