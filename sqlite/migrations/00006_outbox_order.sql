-- The due outbox is read in enqueue order (pos), a batch at a time. The
-- first index, on (peer, next_attempt_at), made SQLite read every
-- undelivered item of the peer and sort them by pos before taking the
-- first batch: a read that grew with the backlog. An index on peer alone
-- holds its entries in rowid (pos) order within a peer, so the read walks
-- it in order, skips the items that are not due yet, and stops at the
-- limit.

-- +goose Up
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (peer) WHERE delivered_at IS NULL;

-- +goose Down
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (peer, next_attempt_at) WHERE delivered_at IS NULL;
