-- Initial schema of an accord node.
--
-- Columns are ordered so that those filtered on come first and long text
-- last: a scan then finds them in a row's first page, without following the
-- overflow pages of a long body.
--
-- Times are TEXT in RFC 3339 UTC with exactly six fractional digits
-- ("2006-01-02T15:04:05.000000Z"), so that text order is time order; a zero
-- time is NULL. Optional references and the optional token hash are NULL when
-- empty; other optional text is ''. Enumerations are checked here so that a
-- bug cannot store a value the domain does not know.

-- +goose Up
CREATE TABLE parties (
    id         TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    name       TEXT NOT NULL,
    country    TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('self', 'local', 'peer')),
    endpoint   TEXT NOT NULL,
    created_at TEXT,
    updated_at TEXT
) STRICT;

CREATE TABLE users (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE CHECK (name <> ''),
    role       TEXT NOT NULL CHECK (role IN ('analyst', 'liaison', 'reviewer', 'admin')),
    token_hash TEXT UNIQUE CHECK (token_hash <> ''),
    created_at TEXT
) STRICT;

CREATE TABLE counters (
    name  TEXT NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE cases (
    id               TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    status           TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_at       TEXT NOT NULL,
    updated_at       TEXT,
    closed_at        TEXT,
    category         TEXT NOT NULL,
    tlp              TEXT NOT NULL CHECK (tlp IN ('red', 'amber+strict', 'amber', 'green', 'clear')),
    affected_country TEXT NOT NULL,
    origin_country   TEXT NOT NULL,
    sectors          TEXT NOT NULL CHECK (json_valid(sectors) AND json_type(sectors) = 'array'),
    created_by       TEXT NOT NULL,
    title            TEXT NOT NULL,
    summary          TEXT NOT NULL
) STRICT;

-- Cases are listed newest first, optionally by status.
CREATE INDEX cases_created ON cases (created_at DESC, id DESC);
CREATE INDEX cases_status_created ON cases (status, created_at DESC, id DESC);

CREATE TABLE requests (
    id                TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    case_id           TEXT REFERENCES cases (id),
    from_party        TEXT NOT NULL REFERENCES parties (id),
    to_party          TEXT NOT NULL REFERENCES parties (id),
    type              TEXT NOT NULL CHECK (type IN ('information', 'investigation', 'preservation', 'evidence', 'mitigation', 'notification')),
    priority          TEXT NOT NULL CHECK (priority IN ('emergency', 'high', 'normal', 'low')),
    status            TEXT NOT NULL CHECK (status IN ('sent', 'delivered', 'acknowledged', 'accepted', 'declined', 'answered-partial', 'answered-final', 'rated', 'closed', 'withdrawn')),
    seq               INTEGER NOT NULL CHECK (seq >= 0),
    sent_at           TEXT NOT NULL,
    received_at       TEXT,
    acknowledge_by    TEXT,
    answer_by         TEXT,
    acknowledged_at   TEXT,
    accepted_at       TEXT,
    declined_at       TEXT,
    first_answered_at TEXT,
    answered_at       TEXT,
    rated_at          TEXT,
    closed_at         TEXT,
    withdrawn_at      TEXT,
    preserve_until    TEXT,
    created_at        TEXT,
    updated_at        TEXT,
    rating            INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 5),
    agreement_digest  TEXT NOT NULL,
    decline_ground    TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    external_ref      TEXT NOT NULL,
    subject           TEXT NOT NULL,
    legal_basis       TEXT NOT NULL,
    rating_comment    TEXT NOT NULL,
    decline_text      TEXT NOT NULL,
    body              TEXT NOT NULL
) STRICT;

-- The list order (most recently sent first, ties by id) and the filters of
-- accord.RequestFilter. The case and party indexes carry the list order, so
-- that "the newest 50 of this case / sent by us / sent to us" reads 50 index
-- entries instead of sorting every match. The overdue filter compares the
-- deadline of the statuses that still owe a step, hence (status, deadline).
CREATE INDEX requests_sent ON requests (sent_at DESC, id DESC);
CREATE INDEX requests_case ON requests (case_id, sent_at DESC, id DESC);
CREATE INDEX requests_from ON requests (from_party, sent_at DESC, id DESC);
CREATE INDEX requests_to ON requests (to_party, sent_at DESC, id DESC);
CREATE INDEX requests_status_acknowledge_by ON requests (status, acknowledge_by);
CREATE INDEX requests_status_answer_by ON requests (status, answer_by) WHERE answer_by IS NOT NULL;

CREATE TABLE request_events (
    request_id  TEXT NOT NULL REFERENCES requests (id),
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    action      TEXT NOT NULL CHECK (action IN ('send', 'deliver', 'acknowledge', 'accept', 'decline', 'answer-partial', 'answer-final', 'rate', 'close', 'withdraw')),
    from_status TEXT NOT NULL CHECK (from_status IN ('', 'sent', 'delivered', 'acknowledged', 'accepted', 'declined', 'answered-partial', 'answered-final', 'rated', 'closed', 'withdrawn')),
    to_status   TEXT NOT NULL CHECK (to_status IN ('sent', 'delivered', 'acknowledged', 'accepted', 'declined', 'answered-partial', 'answered-final', 'rated', 'closed', 'withdrawn')),
    party       TEXT NOT NULL,
    at          TEXT,
    recorded_at TEXT,
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE answers (
    request_id TEXT NOT NULL REFERENCES requests (id),
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    final      INTEGER NOT NULL CHECK (final IN (0, 1)),
    at         TEXT,
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
) STRICT;

-- +goose Down
DROP TABLE answers;
DROP TABLE request_events;
DROP TABLE requests;
DROP TABLE cases;
DROP TABLE counters;
DROP TABLE users;
DROP TABLE parties;
