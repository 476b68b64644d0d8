package node

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
)

// maxAttached bounds the items attached to one answer.
const maxAttached = 50

// attachable returns the items st attaches (only an answer to a peer may
// carry evidence), in the order given.
func (s *Service) attachable(tx accord.Tx, st Step, other *accord.Party) ([]*accord.Evidence, error) {
	if len(st.Evidence) == 0 {
		return nil, nil
	}
	if st.Action != accord.ActionAnswerPartial && st.Action != accord.ActionAnswerFinal {
		return nil, accord.FieldError("evidence", "only an answer carries evidence, not %s", st.Action)
	}
	if other.Kind != accord.PartyPeer {
		return nil, accord.FieldError("evidence", "%s is not on accord: hand its evidence over outside it and record the custody events", other.ID)
	}
	if len(st.Evidence) > maxAttached {
		return nil, accord.FieldError("evidence", "%d items; at most %d per answer", len(st.Evidence), maxAttached)
	}
	var out []*accord.Evidence
	seen := map[string]bool{}
	for _, id := range st.Evidence {
		if seen[id] {
			return nil, accord.FieldError("evidence", "%s is listed twice", id)
		}
		seen[id] = true
		e, err := tx.Evidence(id)
		if accord.ErrorCode(err) == accord.ENOTFOUND {
			return nil, accord.FieldError("evidence", "unknown item %q", id)
		} else if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// transferOut records, with the answer message m that carries them, that
// items go to m's recipient: a "transferred" custody event each (in the
// ledger), and the transfers that entitle the peer to fetch the files.
func (s *Service) transferOut(tx accord.Tx, m *accord.Message, r *accord.Request, items []*accord.Evidence, actor accord.Actor, now time.Time) error {
	for i, e := range items {
		if err := tx.AddTransfer(&accord.EvidenceTransfer{MessageID: m.ID, Index: i, Direction: accord.TransferOut, Peer: m.Recipient,
			RequestID: r.ID, SourceID: e.ID, Digest: e.Digest, Size: e.Size, Name: e.Name, Description: e.Description,
			EvidenceID: e.ID, DoneAt: now}); err != nil {
			return err
		}
		evs, err := tx.CustodyEvents(e.ID)
		if err != nil {
			return err
		}
		reason := fmt.Sprintf("attached to the answer to request %s for %s (message %s)", r.ID, m.Recipient, m.ID)
		if _, err := s.custody(tx, e, len(evs)+1, accord.CustodyTransferred, actor.Name, reason, now); err != nil {
			return err
		}
	}
	return nil
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// transfersIn checks the evidence an answer from peer lists and returns the
// incoming transfers to record with it.
func transfersIn(m *accord.Message, refs []evidenceRef) ([]*accord.EvidenceTransfer, error) {
	if len(refs) > maxAttached {
		return nil, accord.FieldError("evidence", "message %s lists %d items; at most %d", m.ID, len(refs), maxAttached)
	}
	var out []*accord.EvidenceTransfer
	for i, ref := range refs {
		switch {
		case m.Kind != accord.KindAnswer:
			return nil, accord.FieldError("evidence", "message %s: only an answer carries evidence", m.ID)
		case !sha256Hex.MatchString(ref.SHA256):
			return nil, accord.FieldError("evidence", "message %s: item %d: sha256 %q is not 64 lowercase hex digits", m.ID, i, ref.SHA256)
		case ref.Size < 0:
			return nil, accord.FieldError("evidence", "message %s: item %d: negative size", m.ID, i)
		case strings.TrimSpace(ref.ID) == "" || strings.TrimSpace(ref.Name) == "" || len(ref.Name) > 300:
			return nil, accord.FieldError("evidence", "message %s: item %d needs an id and a name (at most 300 bytes)", m.ID, i)
		}
		out = append(out, &accord.EvidenceTransfer{MessageID: m.ID, Index: i, Direction: accord.TransferIn, Peer: m.Sender,
			RequestID: m.RequestID, SourceID: ref.ID, Digest: ref.SHA256, Size: ref.Size, Name: ref.Name, Description: ref.Description})
	}
	return out, nil
}

// OpenShared implements federation.Node: it opens a file attached to an
// answer sent to peer. ENOTFOUND for any other file, whether or not this
// node holds it.
func (s *Service) OpenShared(ctx context.Context, peer, digest string) (io.ReadCloser, int64, error) {
	var ok bool
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		ok, err = tx.Shared(peer, digest)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	if !ok || s.blobs == nil {
		return nil, 0, accord.Errorf(accord.ENOTFOUND, "no evidence %s was sent to %s", digest, peer)
	}
	rc, info, err := s.blobs.Open(digest)
	if err != nil {
		return nil, 0, err
	}
	s.log.Info("evidence fetched by peer", "peer", peer, "sha256", digest, "size", info.Size)
	return rc, info.Size, nil
}

// DueFetches implements federation.Node: the files peer attached to its
// answers that wait to be fetched.
func (s *Service) DueFetches(ctx context.Context, peer string, now time.Time, limit int) ([]*accord.EvidenceTransfer, error) {
	var out []*accord.EvidenceTransfer
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		out, err = tx.PendingTransfers(peer, now, limit)
		return err
	})
	return out, err
}

// PendingFetches implements federation.Node: how many files from peer wait
// to be fetched, due or not.
func (s *Service) PendingFetches(ctx context.Context, peer string) (int, error) {
	xs, err := s.DueFetches(ctx, peer, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 0)
	return len(xs), err
}

// Fetched implements federation.Node: it streams body, the file of
// transfer x, into the blob store and, only if its SHA-256 and size are the
// ones the signed answer named, records it as evidence of x's request (and
// of its case) with a "received" custody event in the ledger.
func (s *Service) Fetched(ctx context.Context, peer string, x *accord.EvidenceTransfer, body io.Reader) error {
	if s.blobs == nil {
		return accord.Errorf(accord.EUNAVAILABLE, "this node has no evidence store")
	}
	info, err := s.blobs.Put(ctx, body)
	if err != nil {
		return fmt.Errorf("store evidence from %s: %w", peer, err)
	}
	if info.Digest != x.Digest || info.Size != x.Size {
		return accord.Errorf(accord.ECONFLICT, "the file %s sent for %s (message %s) is not the one its answer named: sha256 %s, %d bytes; want %s, %d bytes",
			x.SourceID, x.RequestID, x.MessageID, info.Digest, info.Size, x.Digest, x.Size)
	}
	now := s.Now()
	var id string
	err = s.store.Update(ctx, func(tx accord.Tx) error {
		xs, err := tx.Transfers(x.MessageID)
		if err != nil {
			return err
		}
		if x.Index >= len(xs) || xs[x.Index].Direction != accord.TransferIn || xs[x.Index].Peer != peer {
			return accord.Errorf(accord.ENOTFOUND, "no evidence transfer %s/%d from %s", x.MessageID, x.Index, peer)
		}
		cur := xs[x.Index]
		if !cur.DoneAt.IsZero() {
			id = cur.EvidenceID
			return nil // recorded by an earlier attempt
		}
		r, err := tx.Request(cur.RequestID)
		if err != nil {
			return err
		}
		n, err := tx.NextSeq("evidence")
		if err != nil {
			return err
		}
		e := &accord.Evidence{ID: fmt.Sprintf("%s-E%04d", s.self, n), CaseID: r.CaseID, RequestID: r.ID, Digest: cur.Digest, Size: cur.Size,
			Name: cur.Name, Description: cur.Description, CreatedBy: peer, CreatedAt: now}
		if err := tx.CreateEvidence(e); err != nil {
			return err
		}
		reason := fmt.Sprintf("received from %s (its %s) with the answer to request %s (message %s); SHA-256 checked", peer, cur.SourceID, r.ID, cur.MessageID)
		if _, err := s.custody(tx, e, 1, accord.CustodyReceived, peer, reason, now); err != nil {
			return err
		}
		cur.EvidenceID, cur.DoneAt, cur.LastError, cur.NextAttemptAt = e.ID, now, "", time.Time{}
		cur.Attempts++
		id = e.ID
		return tx.UpdateTransfer(cur)
	})
	if err != nil {
		return fmt.Errorf("record evidence from %s: %w", peer, err)
	}
	s.log.Info("evidence received", "peer", peer, "evidence", id, "request", x.RequestID, "sha256", x.Digest, "size", x.Size)
	return nil
}

// FetchFailed implements federation.Node: it records a failed fetch and
// when to try again.
func (s *Service) FetchFailed(ctx context.Context, peer string, x *accord.EvidenceTransfer, reason string, next time.Time) error {
	return s.store.Update(ctx, func(tx accord.Tx) error {
		xs, err := tx.Transfers(x.MessageID)
		if err != nil {
			return err
		}
		if x.Index >= len(xs) || xs[x.Index].Peer != peer || !xs[x.Index].DoneAt.IsZero() {
			return nil
		}
		cur := xs[x.Index]
		cur.Attempts++
		cur.LastError = reason
		if len(cur.LastError) > 1000 {
			cur.LastError = cur.LastError[:1000]
		}
		cur.NextAttemptAt = next.UTC().Truncate(time.Microsecond)
		return tx.UpdateTransfer(cur)
	})
}

var _ federation.Node = (*Service)(nil)
