-- Electronic evidence attached to cases (the files themselves live in the
-- content-addressed blob store) and each item's chain of custody.

-- +goose Up
CREATE TABLE evidence (
    id          TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    case_id     TEXT NOT NULL REFERENCES cases (id),
    digest      TEXT NOT NULL CHECK (length(digest) = 64),
    size        INTEGER NOT NULL CHECK (size >= 0),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    pos         INTEGER NOT NULL
) STRICT;
CREATE INDEX evidence_case ON evidence (case_id, pos);

CREATE TABLE custody_events (
    evidence_id TEXT NOT NULL REFERENCES evidence (id),
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    event       TEXT NOT NULL CHECK (event IN ('collected', 'sealed', 'transferred', 'received', 'accessed', 'verified')),
    actor       TEXT NOT NULL,
    party       TEXT NOT NULL,
    at          TEXT NOT NULL,
    reason      TEXT NOT NULL,
    digest      TEXT NOT NULL CHECK (length(digest) = 64),
    PRIMARY KEY (evidence_id, seq)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE custody_events;
DROP TABLE evidence;
