// Package storetest is the contract suite of accord.Store: every store
// implementation (package sqlite, later package postgres) runs it unchanged,
// so that the stores behave alike down to error codes, orderings, zero
// values and time precision.
//
// A store package calls Run from one of its tests, giving a function that
// opens a fresh, empty store for one subtest:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) accord.Store {
//			db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "accord.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { db.Close() })
//			return db
//		})
//	}
//
// The open function must return a store holding no data, and arrange (with
// t.Cleanup) for it to be closed and discarded when the subtest ends; Close
// may then be called a second time, after a subtest has closed the store
// itself, and must not fail the test. Subtests run one after another, never
// in parallel, so a server-backed store may reuse one database and empty it
// in open (a store that needs a server should t.Skip with a message when
// none is configured).
//
// The suite checks, for every method of accord.Tx:
//
//   - round trips of every field of every entity, with times at microsecond
//     precision in another zone coming back equal and in UTC, and zero
//     values (zero times, empty optional strings, nil Sectors) coming back
//     zero (Sectors as an empty, non-nil slice; several users may have no
//     token hash, and none is found by the empty hash);
//   - ENOTFOUND for a missing party, user, case or request, with a message
//     naming it (but never repeating a token hash); ECONFLICT for a
//     duplicate id, user name or token hash, a duplicate (request, seq)
//     event or answer, and UpdateRequest with a stale Seq; EINVALID for a
//     reference to a missing case, party or request and for values the
//     schema refuses (unknown enumeration values, empty ids, ratings outside
//     0–5, Seq below 1, a zero Request.SentAt or Case.CreatedAt, a negative
//     Limit or Offset); every such error being an *accord.Error;
//   - NextSeq counting from 1, independently per name, and rolled back with
//     its transaction;
//   - the Cases and Requests filters field by field and combined, Limit and
//     Offset, the order (newest first, ties by id descending), CountRequests,
//     and OverdueAt agreeing with accord.Request.Overdue at and around every
//     deadline (a deadline equal to the instant has not passed);
//   - messages, receipts and the outbox: Body and JWS kept byte for byte
//     (a nil Body and a party's empty keys come back nil), every message
//     kind storable, a message about a request that is not stored accepted;
//     ECONFLICT for a duplicate message id, a duplicate (request, sender,
//     seq), a second receipt for a message and a message enqueued twice;
//     EINVALID for a receipt or outbox item whose message is not stored;
//     ENOTFOUND naming the message for Message, Receipt, OutboxItem and
//     UpdateOutbox; Messages in the order stored, LastSeq per request and
//     sender, the Count* filters; DueOutbox in enqueue order whatever
//     NextAttemptAt says, due when NextAttemptAt is not after now (equal is
//     due, zero is always due), its limit (0: none) counting due items
//     only, and delivered items left out of it and of PendingOutbox;
//   - the ledger: entries and stored hashes round trip byte for byte;
//     AddLedgerEntries refuses a first index other than LedgerSize and
//     mismatched hash indexes and hashes (EINVALID), an empty record or a
//     negative hash index (EINVALID), and a stored hash index or record,
//     or one given twice (ECONFLICT), leaving nothing behind; LedgerHashes
//     answers in the order asked and names the first missing index
//     (ENOTFOUND); LedgerEntries streams from an offset in index order and
//     returns its function's error unchanged; LedgerEntryIndex matches
//     byte-equal records only; 1,000 records appended with package ledger
//     through a Tx adapter verify with ledger.Verify and give the same
//     hashes, root and proofs as a ledger.MemStore;
//   - checkpoints: round trips (a nil Cosigned stays nil), ECONFLICT for a
//     party and size stored twice, EINVALID for an empty party or note, a
//     negative size or a zero CreatedAt; LatestCheckpoint the largest size
//     per party (ENOTFOUND naming the party); Checkpoints by size, per
//     party; SetCosigned replacing the cosigned note, EINVALID for an empty
//     one and ENOTFOUND naming party and size;
//   - lists returning empty, non-nil slices when nothing matches;
//   - Update committing on nil and leaving nothing behind on an error or a
//     panic; View seeing one snapshot while another transaction commits, and
//     failing every write; a cancelled context and a closed store failing
//     (EUNAVAILABLE after Close).
//
// Ids compare bytewise ("C" collation) wherever the suite checks an order.
package storetest
