package ledger

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
)

// CheckUpdate checks that next, a checkpoint of a log, can follow prev, the
// last checkpoint of the same log seen before, with proof, the consistency
// proof from prev.Size to next.Size that the log served with next. It
// returns nil when next extends prev (or repeats it), and otherwise:
//
//   - ECONFLICT when the log was rolled back (next is smaller than prev),
//     forked (same size, different hash) or rewritten (the proof does not
//     show that prev's tree is a prefix of next's: a log that cannot prove
//     consistency between two checkpoints it signed has forked). The
//     message names both sizes and hashes; keep both signed checkpoints, as
//     together they are the evidence.
//   - EINVALID when prev or next is missing, their origins differ, or a
//     checkpoint of size 0 has another hash than the empty tree's.
//
// Checkpoints carry no time, so a stale checkpoint delivered late looks
// like a rollback: a witness answers one with the size it has already
// cosigned (as https://c2sp.org/tlog-witness does, 409 Conflict) and treats
// it as evidence only if the log presents it as its latest.
//
// A witness calls it before Cosign; a node calls it on each cosigned
// checkpoint of its own log and on each checkpoint of its peer's log.
// Both checkpoints should come from OpenCheckpoint, so that they are
// signed by the log.
func CheckUpdate(prev, next *Checkpoint, proof tlog.TreeProof) error {
	if prev == nil || next == nil {
		return accord.Errorf(accord.EINVALID, "checkpoint update: missing checkpoint")
	}
	if prev.Origin != next.Origin {
		return accord.Errorf(accord.EINVALID, "checkpoint update: origin %q follows origin %q", next.Origin, prev.Origin)
	}
	for _, c := range []*Checkpoint{prev, next} {
		if c.Size < 0 || c.Size == 0 && c.Hash != emptyHash {
			return accord.Errorf(accord.EINVALID, "checkpoint update: malformed checkpoint of size %d (hash %s)", c.Size, c.Hash)
		}
	}
	switch {
	case next.Size < prev.Size:
		return accord.Errorf(accord.ECONFLICT,
			"ledger %s rolled back: the new checkpoint has size %d (hash %s), smaller than the size %d (hash %s) seen before",
			next.Origin, next.Size, next.Hash, prev.Size, prev.Hash)
	case next.Size == prev.Size:
		if next.Hash != prev.Hash {
			return accord.Errorf(accord.ECONFLICT,
				"ledger %s forked: two checkpoints of size %d with different hashes, %s now and %s before",
				next.Origin, next.Size, next.Hash, prev.Hash)
		}
		return nil
	case prev.Size == 0:
		return nil // the empty tree is a prefix of every tree
	}
	if err := tlog.CheckTree(proof, next.Size, next.Hash, prev.Size, prev.Hash); err != nil {
		return &accord.Error{Code: accord.ECONFLICT, Err: err, Message: fmt.Sprintf(
			"ledger %s forked: the new checkpoint of size %d (hash %s) is not proved to extend the size %d (hash %s) seen before: %v",
			next.Origin, next.Size, next.Hash, prev.Size, prev.Hash, err)}
	}
	return nil
}
