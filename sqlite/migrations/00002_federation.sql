-- Federation: the parties' federation identities, the signed messages sent
-- and received, the receipts for them, and the outbox of messages waiting
-- for delivery to a peer.
--
-- The conventions of 00001_init.sql hold: times are RFC 3339 UTC text with
-- six fractional digits (NULL for a zero time), enumerations are checked,
-- columns filtered on come first and long values last.
--
-- Messages and outbox items are listed in the order they were stored. That
-- order is an INTEGER PRIMARY KEY (pos), an alias of the rowid: a rowid that
-- is not aliased may be renumbered by VACUUM. The message id is therefore a
-- UNIQUE key rather than the primary key; SQLite implements both the same
-- way (a unique index beside the rowid table), and foreign keys may refer
-- to it.

-- +goose Up
-- Set for the self party and for peers, from their party cards. A key or
-- certificate that is absent is NULL, not an empty blob.
ALTER TABLE parties ADD COLUMN federation_url TEXT NOT NULL DEFAULT '';
ALTER TABLE parties ADD COLUMN signing_key BLOB;
ALTER TABLE parties ADD COLUMN tls_cert BLOB;

-- request_id is deliberately not a foreign key: a message may name a request
-- this node does not hold (a request refused on receipt is never stored, a
-- query may name an unknown id) or arrive before the step that creates it.
-- body is the JSON body exactly as signed ('' for none); jws holds the
-- signed bytes, digest their hex SHA-256. received_at is NULL for a message
-- this node sent. One sender numbers its messages about one request from 1:
-- a number used twice is a replay or a bug, hence the unique key, whose index
-- also answers LastSeq.
CREATE TABLE messages (
    pos         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE CHECK (id <> ''),
    request_id  TEXT NOT NULL,
    sender      TEXT NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    kind        TEXT NOT NULL CHECK (kind IN ('request', 'acknowledge', 'accept', 'decline', 'answer', 'rate', 'withdraw', 'close', 'notification', 'query')),
    recipient   TEXT NOT NULL,
    created_at  TEXT,
    received_at TEXT,
    digest      TEXT NOT NULL CHECK (digest <> ''),
    body        TEXT NOT NULL CHECK (body = '' OR json_valid(body)),
    jws         BLOB NOT NULL CHECK (length(jws) > 0),
    UNIQUE (request_id, sender, seq)
) STRICT;

-- Messages of one request in the order stored (every index ends with the
-- rowid, pos), and CountMessages by sender.
CREATE INDEX messages_request ON messages (request_id);
CREATE INDEX messages_sender ON messages (sender);

-- One receipt per message: the receiver's signed statement that it received
-- the message with this digest at received_at.
CREATE TABLE receipts (
    message_id  TEXT NOT NULL PRIMARY KEY REFERENCES messages (id),
    receiver    TEXT NOT NULL,
    sender      TEXT NOT NULL,
    received_at TEXT,
    digest      TEXT NOT NULL,
    jws         BLOB NOT NULL CHECK (length(jws) > 0)
) STRICT;

CREATE INDEX receipts_receiver ON receipts (receiver);

-- Messages waiting for delivery to a peer, in enqueue order (pos). An item
-- stays when delivered, with delivered_at set. A zero next_attempt_at (NULL)
-- is due at once.
CREATE TABLE outbox (
    pos             INTEGER PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE REFERENCES messages (id),
    peer            TEXT NOT NULL CHECK (peer <> ''),
    delivered_at    TEXT,
    next_attempt_at TEXT,
    request_id      TEXT NOT NULL,
    seq             INTEGER NOT NULL CHECK (seq >= 1),
    attempts        INTEGER NOT NULL CHECK (attempts >= 0),
    created_at      TEXT,
    last_error      TEXT NOT NULL
) STRICT;

-- DueOutbox and PendingOutbox read only the undelivered items, which this
-- index keeps small however many have been delivered.
CREATE INDEX outbox_due ON outbox (peer, next_attempt_at) WHERE delivered_at IS NULL;

-- +goose Down
DROP TABLE outbox;
DROP TABLE receipts;
DROP TABLE messages;
ALTER TABLE parties DROP COLUMN tls_cert;
ALTER TABLE parties DROP COLUMN signing_key;
ALTER TABLE parties DROP COLUMN federation_url;
