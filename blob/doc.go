// Package blob is the content-addressed evidence file store of an accord
// node: every file a party submits as evidence is kept once, under the
// SHA-256 of its bytes, so that the name of a file is also the proof of its
// content. Cases, custody events and the ledger refer to a blob by that
// digest; this package knows nothing of them.
//
// # Integrity
//
// Electronic evidence must keep a chain of custody that would stand up in
// court, so the store is built so that a digest never names anything but
// the bytes it is the hash of:
//
//   - Put streams the content into a temporary file under tmp/ while hashing
//     it, fsyncs it, and only then renames it under its digest (a rename is
//     atomic within one filesystem) and fsyncs the directory. An upload that
//     fails, is cancelled or exceeds Options.MaxSize is removed and never
//     becomes visible under a digest.
//   - A digest is accepted only as exactly 64 lowercase hexadecimal
//     characters, so no caller-supplied digest can name a path outside the
//     store ("../" and the like are refused with EINVALID).
//   - Verify re-hashes a stored blob and reports ECONFLICT when the bytes on
//     disk no longer hash to their name (the file was replaced or changed);
//     Walk lists every blob in digest order, so that "accord verify" can
//     check the whole store.
//
// Content is never held in memory: Put and Verify copy through one fixed
// 1 MiB buffer, whatever the size of the blob.
//
// # Layout
//
//	<dir>/sha256/ab/cdef…   the blob whose hex digest is "abcdef…"
//	<dir>/tmp/              uploads in progress; CleanTemp removes leftovers
//
// Files are created 0600 and directories 0700. tmp/ and sha256/ must be on
// the same filesystem, which they are unless someone mounts over one of them.
//
// # Errors
//
// Every failure is an *accord.Error or wraps one, except where a method says
// otherwise: EINVALID for bad input (a malformed digest, content over the
// limit), ENOTFOUND for an unknown digest, ECONFLICT for a blob whose content
// no longer matches its digest, EINTERNAL for an unexpected filesystem
// failure. A Store is safe for concurrent use.
package blob
