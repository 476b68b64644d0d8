// Package ledger is the tamper-evident, append-only log of an accord node:
// a Merkle tree over every envelope, receipt and custody event the node
// records, with checkpoints the node signs and its peer cosigns, so that
// either side can detect a history rewritten afterwards.
//
// The package is a building block. It imports no accord package but the
// root (for *accord.Error codes); it stores nothing itself but the hashes,
// through the Store interface, which a database store implements inside
// the caller's transaction; the records stay where the caller keeps them.
// All tree maths is golang.org/x/mod/sumdb/tlog; all note signing and
// parsing is golang.org/x/mod/sumdb/note.
//
// # Tree
//
// The tree is the Merkle hash tree of RFC 6962, section 2.1
// (https://www.rfc-editor.org/rfc/rfc6962#section-2.1, unchanged in RFC
// 9162): a leaf hash is SHA-256(0x00 || record), an interior node
// SHA-256(0x01 || left || right), the empty tree SHA-256(""). Inclusion and
// consistency proofs are those of RFC 6962 sections 2.1.1 and 2.1.2, so any
// RFC 6962 / Certificate Transparency verifier checks them. A Store holds the
// tree's "stored hashes" in tlog's dense layout (tlog.StoredHashIndex, after
// Crosby and Wallach): about two hashes per entry, written once, never
// changed.
//
// # Records
//
// Each leaf is a Record, a canonical and unambiguous line-based encoding:
//
//	accord-ledger-entry/v1
//	<kind>
//	<ref>
//	<lowercase hex digest>
//
// each line ending in a newline. Kind is "message", "receipt" or "custody"
// (lowercase words); ref contains no control characters, so no newline.
//
// # Checkpoints
//
// A checkpoint is a C2SP signed note (https://c2sp.org/signed-note) whose
// text is a C2SP tlog checkpoint (https://c2sp.org/tlog-checkpoint): the
// origin (the log's name), the tree size in decimal, the root hash in
// base64, each on its own line. The node signs it with its existing
// Ed25519 key (signature type 0x01, key ID = first 4 bytes of
// SHA-256(name || "\n" || 0x01 || public key)), under a key name equal to
// the origin. For example (fixed test keys; this note and the cosigned one
// below were checked with github.com/transparency-dev/formats v0.1.1 and
// are kept as test vectors):
//
//	example.com/accord/log
//	5
//	6qwN3g27QH5gIilTqT0WUOwa2dwgK2Smi5JJksN96Nk=
//
//	— example.com/accord/log OAiBnHcIelI/iZ3rbwRgNgCJK4GeHYnuG7YYIUggkrLzJRUhNprRVAaYdWfPASoFPaB1PVstHD8CiRtahLDC0HJ/oQ8=
//
// Extension lines after the hash are allowed by the spec; this package
// never writes them and, when opening a checkpoint, requires them to be
// non-empty and ignores them.
//
// # Cosignatures
//
// The peer, acting as witness, checks each new checkpoint of the node's log
// against the last one it saw (CheckUpdate, with a consistency proof) and
// adds a C2SP cosignature (https://c2sp.org/tlog-cosignature), Ed25519
// cosignature/v1: one more signature line, signature type 0x04, key ID =
// first 4 bytes of SHA-256(name || "\n" || 0x04 || public key), whose
// signature is the 8-byte big-endian POSIX time followed by the Ed25519
// signature of
//
//	cosignature/v1
//	time <POSIX seconds>
//	<the checkpoint text, extension lines included>
//
// The checkpoint above, cosigned at 1700000000 (2023-11-14T22:13:20Z):
//
//	example.com/accord/log
//	5
//	6qwN3g27QH5gIilTqT0WUOwa2dwgK2Smi5JJksN96Nk=
//
//	— example.com/accord/log OAiBnHcIelI/iZ3rbwRgNgCJK4GeHYnuG7YYIUggkrLzJRUhNprRVAaYdWfPASoFPaB1PVstHD8CiRtahLDC0HJ/oQ8=
//	— example.com/accord/witness djCUWwAAAABlU/EAZdLlptxAbax2CdHQYd+UPkU5XhUHX6ACm4M1jeob0zBwltV362u0b/ggwyMg5mtXS966OMJIJPeq/0h/+jKhDQ==
//
// Because the key IDs differ by their type byte, one Ed25519 key can sign
// the node's own checkpoints (0x01) and cosign the peer's (0x04) without
// ambiguity, and the messages cannot be confused with each other or with a
// JWS signing input (which has no newline).
//
// # Who calls what
//
// In the transaction that stores an envelope, receipt or custody event, the
// node calls Record and Append. To publish, it calls Head and
// Checkpoint.Sign and sends the note, with ConsistencyProof from the last
// cosigned size, to its peer; the peer calls OpenCheckpoint, CheckUpdate and
// Cosign and returns the cosigned note, which the node checks with
// VerifyCosignature and keeps. `accord verify` calls Verify over all records
// and then OpenCheckpoint, VerifyCosignature and TreeHash on each stored
// checkpoint.
//
// Errors are *accord.Error: EINVALID for malformed input and proofs or
// signatures that do not verify, ECONFLICT for evidence of tampering (a
// record that does not match its ledger entry, a rolled-back or forked
// log), and the Store's own codes for storage failures.
package ledger
