-- Checkpoints a peer presented that did not extend the last one this node
-- witnessed (a fork, or a log that shrank): kept as evidence and raised by
-- accord verify and the API until an operator has looked into them.

-- +goose Up
CREATE TABLE ledger_alarms (
    pos    INTEGER PRIMARY KEY,
    party  TEXT NOT NULL CHECK (party <> ''),
    size   INTEGER NOT NULL CHECK (size >= 0),
    note   BLOB NOT NULL CHECK (length(note) > 0),
    reason TEXT NOT NULL CHECK (reason <> ''),
    at     TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE ledger_alarms;
