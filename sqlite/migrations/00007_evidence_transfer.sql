-- Evidence crosses the border attached to answers. An item received from a
-- peer belongs to the request it answers (and to that request's case, when
-- it has one), so evidence.case_id becomes optional and evidence.request_id
-- is added; SQLite changes a column's constraints only by rebuilding the
-- table, which must happen with foreign keys off (custody_events refers to
-- evidence), hence no goose transaction and an explicit one inside.
--
-- evidence_transfers lists the items attached to answer messages: on the
-- sending side ('out') it is what the peer may fetch; on the receiving side
-- ('in') it is the fetch queue, done when the file arrived, matched its
-- SHA-256 and was recorded as evidence with a "received" custody event.
-- The migration can run again after a crash between its COMMIT and goose
-- recording the version (no item has a request yet at that point).

-- +goose NO TRANSACTION
-- +goose Up
PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;

CREATE TABLE evidence_v7 (
    id          TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    case_id     TEXT REFERENCES cases (id),
    request_id  TEXT REFERENCES requests (id),
    digest      TEXT NOT NULL CHECK (length(digest) = 64),
    size        INTEGER NOT NULL CHECK (size >= 0),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    pos         INTEGER NOT NULL,
    CHECK (case_id IS NOT NULL OR request_id IS NOT NULL)
) STRICT;

INSERT INTO evidence_v7 (id, case_id, request_id, digest, size, name, description, created_by, created_at, pos)
    SELECT id, case_id, NULL, digest, size, name, description, created_by, created_at, pos FROM evidence;

DROP TABLE evidence;

ALTER TABLE evidence_v7 RENAME TO evidence;

CREATE INDEX IF NOT EXISTS evidence_case ON evidence (case_id, pos);
CREATE INDEX IF NOT EXISTS evidence_request ON evidence (request_id, pos) WHERE request_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS evidence_transfers (
    message_id      TEXT NOT NULL,
    idx             INTEGER NOT NULL CHECK (idx >= 0),
    direction       TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    peer            TEXT NOT NULL CHECK (peer <> ''),
    request_id      TEXT NOT NULL,
    source_id       TEXT NOT NULL,
    digest          TEXT NOT NULL CHECK (length(digest) = 64),
    size            INTEGER NOT NULL CHECK (size >= 0),
    evidence_id     TEXT REFERENCES evidence (id),
    attempts        INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at TEXT,
    done_at         TEXT,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL,
    last_error      TEXT NOT NULL,
    PRIMARY KEY (message_id, idx)
) STRICT;

CREATE INDEX IF NOT EXISTS evidence_transfers_pending ON evidence_transfers (peer) WHERE direction = 'in' AND done_at IS NULL;
CREATE INDEX IF NOT EXISTS evidence_transfers_shared ON evidence_transfers (digest, peer) WHERE direction = 'out';

COMMIT;

PRAGMA foreign_keys = ON;

-- +goose Down
DROP TABLE evidence_transfers;
