-- Threat intelligence shared between the nodes: which object versions each
-- signed message about a request carried, sent (out) or received (in).
-- The objects themselves are in intel_objects; the messages, which prove
-- what was shared, in messages. Correlation reads the received ones (a
-- peer's observables seen again here) through the object index.
--
-- The conventions of 00001_init.sql hold.

-- +goose Up
CREATE TABLE shared_objects (
    message_id TEXT NOT NULL REFERENCES messages (id),
    object_id  TEXT NOT NULL,
    version    TEXT NOT NULL,
    request_id TEXT NOT NULL,
    peer       TEXT NOT NULL REFERENCES parties (id),
    direction  TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    type       TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (message_id, object_id, version),
    FOREIGN KEY (object_id, version) REFERENCES intel_objects (id, version)
) STRICT, WITHOUT ROWID;

CREATE INDEX shared_objects_object ON shared_objects (object_id) WHERE direction = 'in';
CREATE INDEX shared_objects_request ON shared_objects (request_id);

-- +goose Down
DROP TABLE shared_objects;
