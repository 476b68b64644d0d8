-- The ledger: the records of the node's Merkle log, the tree's stored
-- hashes, and the signed checkpoints of this node's log and of its peers'.
--
-- The conventions of 00001_init.sql hold: times are RFC 3339 UTC text with
-- six fractional digits (NULL for a zero time), columns filtered on come
-- first and long values last.
--
-- The store keeps bytes; package ledger does the tree maths. An entry's idx
-- is its position in the log (0, 1, …); a hash's idx is its position in
-- tlog's stored-hash layout (tlog.StoredHashIndex), about two per entry.
-- Both are INTEGER PRIMARY KEYs, aliases of the rowid, so that reading them
-- in order or by range walks the table itself, not an index beside it.
--
-- Append-only: the triggers below refuse every UPDATE and DELETE of an entry
-- or a stored hash. They guard against bugs of this program; the ledger's
-- hashes and the signed checkpoints are what guard against people, and
-- `accord verify` finds an edit made behind the triggers' back. A raw
-- connection that edits the file on purpose (the tamper tests, a forensic
-- exercise) must first DROP TRIGGER the trigger in its way; nothing
-- recreates it, since this migration is not run again. (INSERT OR REPLACE
-- would also slip past the DELETE triggers, which fire for rows REPLACE
-- removes only under PRAGMA recursive_triggers; the store never uses it,
-- nor upserts, on these tables.)

-- +goose Up
-- record is the canonical Record bytes of package ledger. Records name
-- unique message ids and digests, so they are unique themselves; the unique
-- index answers LedgerEntryIndex, which looks an entry up by its record.
CREATE TABLE ledger_entries (
    idx    INTEGER PRIMARY KEY CHECK (idx >= 0),
    record BLOB NOT NULL CHECK (length(record) > 0)
) STRICT;

CREATE UNIQUE INDEX ledger_entries_record ON ledger_entries (record);

CREATE TABLE ledger_hashes (
    idx  INTEGER PRIMARY KEY CHECK (idx >= 0),
    hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;

-- +goose StatementBegin
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only: no UPDATE');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only: no DELETE');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER ledger_hashes_no_update BEFORE UPDATE ON ledger_hashes
BEGIN
    SELECT RAISE(ABORT, 'ledger hashes are append-only: no UPDATE');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER ledger_hashes_no_delete BEFORE DELETE ON ledger_hashes
BEGIN
    SELECT RAISE(ABORT, 'ledger hashes are append-only: no DELETE');
END;
-- +goose StatementEnd

-- Signed checkpoints (C2SP signed notes) of a party's log: this node's own
-- and its peers', one per party and size. party is deliberately not a
-- foreign key, like a message's request_id: a peer's checkpoint is kept as
-- received. cosigned is the note with the witness's cosignature added, NULL
-- until it is; cosigned_at when this node stored it.
CREATE TABLE checkpoints (
    party       TEXT NOT NULL CHECK (party <> ''),
    size        INTEGER NOT NULL CHECK (size >= 0),
    hash        BLOB NOT NULL CHECK (length(hash) = 32),
    created_at  TEXT NOT NULL,
    cosigned_at TEXT,
    note        BLOB NOT NULL CHECK (length(note) > 0),
    cosigned    BLOB CHECK (length(cosigned) > 0),
    PRIMARY KEY (party, size)
) STRICT;

-- +goose Down
DROP TABLE checkpoints;
DROP TABLE ledger_hashes;
DROP TABLE ledger_entries;
