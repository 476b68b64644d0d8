-- The review of the joint dialogue (package report) selects requests by the
-- time their request message was received, which the receipt fixes: an
-- index on receipts by that time makes a period an index range.

-- +goose Up
CREATE INDEX receipts_received ON receipts (received_at);

-- +goose Down
DROP INDEX receipts_received;
