package node

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/ledger"
)

// NewEvidence describes a file being added to a case as evidence.
type NewEvidence struct {
	// CaseID or RequestID (or both) says what the item belongs to.
	CaseID      string `json:"case_id,omitempty"`
	RequestID   string `json:"request_id,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Reason is why it was collected; it opens the chain of custody.
	Reason string `json:"reason"`
}

// EvidenceDetail is an item of evidence with its chain of custody.
type EvidenceDetail struct {
	*accord.Evidence
	Custody []*accord.CustodyEvent `json:"custody"`
}

// custodyRecord is the ledger record of a custody event: the SHA-256 of the
// event's JSON, under the reference EVIDENCE-ID/SEQ.
func custodyRecord(e *accord.CustodyEvent) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, accord.Internal(err, "encode custody event")
	}
	d := sha256.Sum256(b)
	return ledger.Record(ledger.KindCustody, fmt.Sprintf("%s/%d", e.EvidenceID, e.Seq), d[:])
}

// AddEvidence streams r into the blob store (never whole in memory; a
// partial upload never becomes visible) and records it as evidence of a
// case with id PARTY-E0001…, opening its chain of custody with "collected"
// in the ledger. Needs PermWriteCases. EINVALID for an unknown case, a
// missing name or a file over the size limit; EUNAVAILABLE without a blob
// store.
func (s *Service) AddEvidence(ctx context.Context, actor accord.Actor, in NewEvidence, r io.Reader) (*EvidenceDetail, error) {
	if err := actor.Require(accord.PermWriteCases); err != nil {
		return nil, err
	}
	if s.blobs == nil {
		return nil, accord.Errorf(accord.EUNAVAILABLE, "this node has no evidence store")
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 300 {
		return nil, accord.FieldError("name", "is required, at most 300 bytes")
	}
	if in.CaseID == "" && in.RequestID == "" {
		return nil, accord.FieldError("case_id", "an item belongs to a case or a request: name one")
	}
	err := s.store.View(ctx, func(tx accord.Tx) error {
		if in.CaseID != "" {
			if _, err := tx.Case(in.CaseID); accord.ErrorCode(err) == accord.ENOTFOUND {
				return accord.FieldError("case_id", "unknown case %q", in.CaseID)
			} else if err != nil {
				return err
			}
		}
		if in.RequestID != "" {
			if _, err := tx.Request(in.RequestID); accord.ErrorCode(err) == accord.ENOTFOUND {
				return accord.FieldError("request_id", "unknown request %q", in.RequestID)
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The file first, outside any transaction: it may be large. A file
	// stored for a transaction that then fails is harmless (content-addressed).
	info, err := s.blobs.Put(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("store evidence: %w", err)
	}
	now := s.Now()
	var d *EvidenceDetail
	err = s.store.Update(ctx, func(tx accord.Tx) error {
		n, err := tx.NextSeq("evidence")
		if err != nil {
			return err
		}
		e := &accord.Evidence{ID: fmt.Sprintf("%s-E%04d", s.self, n), CaseID: in.CaseID, RequestID: in.RequestID, Digest: info.Digest, Size: info.Size,
			Name: in.Name, Description: strings.TrimSpace(in.Description), CreatedBy: actor.Name, CreatedAt: now}
		if err := tx.CreateEvidence(e); err != nil {
			return err
		}
		ev, err := s.custody(tx, e, 1, accord.CustodyCollected, actor.Name, in.Reason, now)
		if err != nil {
			return err
		}
		d = &EvidenceDetail{Evidence: e, Custody: []*accord.CustodyEvent{ev}}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add evidence: %w", err)
	}
	s.log.Info("evidence collected", "evidence", d.ID, "case", d.CaseID, "sha256", d.Digest, "size", d.Size, "by", actor.Name)
	return d, nil
}

// custody records one custody event of e, and its ledger entry, in tx.
func (s *Service) custody(tx accord.Tx, e *accord.Evidence, seq int, event, actor, reason string, now time.Time) (*accord.CustodyEvent, error) {
	ev := &accord.CustodyEvent{EvidenceID: e.ID, Seq: seq, Event: event, Actor: actor, Party: s.self, At: now,
		Reason: strings.TrimSpace(reason), Digest: e.Digest}
	if err := tx.AddCustodyEvent(ev); err != nil {
		return nil, err
	}
	rec, err := custodyRecord(ev)
	if err != nil {
		return nil, err
	}
	return ev, appendLedger(tx, [][]byte{rec})
}

// EvidenceItem returns an item with its chain of custody. Needs PermRead.
// ENOTFOUND for an unknown item.
func (s *Service) EvidenceItem(ctx context.Context, actor accord.Actor, id string) (*EvidenceDetail, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var d *EvidenceDetail
	err := s.store.View(ctx, func(tx accord.Tx) error {
		e, err := tx.Evidence(id)
		if err != nil {
			return err
		}
		evs, err := tx.CustodyEvents(id)
		d = &EvidenceDetail{Evidence: e, Custody: evs}
		return err
	})
	return d, err
}

// EvidenceList returns the items of a case (every item for ""). Needs PermRead.
func (s *Service) EvidenceList(ctx context.Context, actor accord.Actor, caseID string) ([]*accord.Evidence, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var out []*accord.Evidence
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		out, err = tx.EvidenceOf(caseID)
		return err
	})
	return out, err
}

// RecordCustody records a custody event (sealed, accessed, verified) on an
// item, with a reason; "verified" first re-hashes the stored file and is
// refused (ECONFLICT) if it no longer matches. Needs PermWriteCases.
// EINVALID for another event; ENOTFOUND for an unknown item.
func (s *Service) RecordCustody(ctx context.Context, actor accord.Actor, id, event, reason string) (*EvidenceDetail, error) {
	if err := actor.Require(accord.PermWriteCases); err != nil {
		return nil, err
	}
	if !slices.Contains([]string{accord.CustodySealed, accord.CustodyAccessed, accord.CustodyVerified}, event) {
		return nil, accord.FieldError("event", "%q cannot be recorded by hand (sealed, accessed, verified)", event)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, accord.FieldError("reason", "is required: a chain of custody says why")
	}
	if event == accord.CustodyVerified {
		if s.blobs == nil {
			return nil, accord.Errorf(accord.EUNAVAILABLE, "this node has no evidence store: evidence %s cannot be verified here", id)
		}
		d, err := s.EvidenceItem(ctx, actor, id)
		if err != nil {
			return nil, err
		}
		if err := s.blobs.Verify(ctx, d.Digest); err != nil {
			return nil, fmt.Errorf("verify evidence %s: %w", id, err)
		}
	}
	now := s.Now()
	var d *EvidenceDetail
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		e, err := tx.Evidence(id)
		if err != nil {
			return err
		}
		evs, err := tx.CustodyEvents(id)
		if err != nil {
			return err
		}
		ev, err := s.custody(tx, e, len(evs)+1, event, actor.Name, reason, now)
		if err != nil {
			return err
		}
		d = &EvidenceDetail{Evidence: e, Custody: append(evs, ev)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record custody of %s: %w", id, err)
	}
	return d, nil
}
