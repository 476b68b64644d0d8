-- TAXII 2.1: the API roots and collections the node serves under /taxii2/,
-- who may read and write each collection, which object versions each
-- collection holds (with TAXII's per-collection date_added), and the status
-- resources of object additions.
--
-- The conventions of 00001_init.sql hold: times are RFC 3339 UTC text with
-- six fractional digits (so that comparing the text compares the instants),
-- columns filtered on come first, long values last.

-- +goose Up
-- An API root: id is its path segment under /taxii2/ ("trustgroup1").
-- is_default marks the one discovery names as default (at most one).
CREATE TABLE taxii_api_roots (
    id                 TEXT PRIMARY KEY CHECK (id <> '' AND id NOT GLOB '*[^a-zA-Z0-9._-]*'),
    title              TEXT NOT NULL CHECK (title <> ''),
    description        TEXT NOT NULL,
    max_content_length INTEGER NOT NULL CHECK (max_content_length > 0),
    is_default         INTEGER NOT NULL CHECK (is_default IN (0, 1)),
    created_at         TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX taxii_api_roots_default ON taxii_api_roots (is_default) WHERE is_default = 1;

-- A collection is one sharing audience: a peer party (its id) or
-- 'community', and the most open TLP level it may carry (max_tlp; never
-- beyond green for the community). media_types is a JSON array of strings.
CREATE TABLE taxii_collections (
    id          TEXT PRIMARY KEY CHECK (id <> ''),
    api_root    TEXT NOT NULL REFERENCES taxii_api_roots (id),
    title       TEXT NOT NULL CHECK (title <> ''),
    description TEXT NOT NULL,
    alias       TEXT,
    audience    TEXT NOT NULL CHECK (audience <> ''),
    max_tlp     TEXT NOT NULL CHECK (max_tlp IN ('clear', 'green', 'amber', 'amber+strict', 'red')),
    created_at  TEXT NOT NULL,
    media_types TEXT NOT NULL CHECK (json_valid(media_types) AND json_type(media_types) = 'array'),
    CHECK (audience <> 'community' OR max_tlp IN ('clear', 'green'))
) STRICT;

CREATE INDEX taxii_collections_root ON taxii_collections (api_root, id);
CREATE UNIQUE INDEX taxii_collections_alias ON taxii_collections (api_root, alias) WHERE alias IS NOT NULL;

-- Who may read and write a collection: a named user (kind 'user') or every
-- user of a role (kind 'role'). No row, no access.
CREATE TABLE taxii_grants (
    collection_id TEXT NOT NULL REFERENCES taxii_collections (id),
    kind          TEXT NOT NULL CHECK (kind IN ('user', 'role')),
    grantee       TEXT NOT NULL CHECK (grantee <> ''),
    can_read      INTEGER NOT NULL CHECK (can_read IN (0, 1)),
    can_write     INTEGER NOT NULL CHECK (can_write IN (0, 1)),
    PRIMARY KEY (collection_id, kind, grantee)
) STRICT, WITHOUT ROWID;

-- The object versions of a collection. date_added is TAXII's date_added:
-- per collection, strictly increasing (the store gives each new row at
-- least a microsecond more than the collection's last), so that it alone
-- orders and pages a collection exactly; (collection_id, date_added) is the
-- key every page reads as an index range.
--
-- object_pos is the version's row in intel_objects; object_id, type,
-- version_key and spec_version are copied from it for the filters.
-- version_key is the version as fixed-width UTC text with nanoseconds
-- (comparable as text, unlike STIX timestamps of varying precision), ''
-- for unversioned objects; spec_version is '2.0' for objects without one.
-- is_last and is_first mark, among an object's versions in the collection
-- of its latest spec_version (TAXII's default spec_version filter), the
-- last and the first: the default "last version" page is a range of the
-- key filtered on is_last, or of the partial index taxii_members_last when
-- most rows are old versions. tlp is the TLP the version was shared under when it
-- joined (its own marking, else its cases', else the collection's);
-- reads check it again against the object and its cases.
CREATE TABLE taxii_members (
    collection_id TEXT NOT NULL REFERENCES taxii_collections (id),
    date_added    TEXT NOT NULL,
    object_pos    INTEGER NOT NULL REFERENCES intel_objects (pos),
    object_id     TEXT NOT NULL,
    type          TEXT NOT NULL,
    version_key   TEXT NOT NULL,
    spec_version  TEXT NOT NULL,
    is_last       INTEGER NOT NULL CHECK (is_last IN (0, 1)),
    is_first      INTEGER NOT NULL CHECK (is_first IN (0, 1)),
    tlp           TEXT NOT NULL CHECK (tlp IN ('clear', 'green', 'amber', 'amber+strict', 'red')),
    PRIMARY KEY (collection_id, date_added)
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX taxii_members_version ON taxii_members (collection_id, object_pos);
CREATE INDEX taxii_members_object ON taxii_members (collection_id, object_id, version_key);
CREATE INDEX taxii_members_last ON taxii_members (collection_id, date_added) WHERE is_last = 1;
CREATE INDEX taxii_members_type ON taxii_members (collection_id, type, date_added);

-- A status resource (TAXII 2.1 section 4.3): the outcome of one request to
-- add objects. status is 'complete' or 'pending'.
CREATE TABLE taxii_status (
    id                TEXT PRIMARY KEY CHECK (id <> ''),
    api_root          TEXT NOT NULL REFERENCES taxii_api_roots (id),
    status            TEXT NOT NULL CHECK (status IN ('complete', 'pending')),
    request_timestamp TEXT NOT NULL,
    total_count       INTEGER NOT NULL CHECK (total_count >= 0),
    created_by        TEXT NOT NULL
) STRICT;

-- The objects of a status resource, in the order of the request: each a
-- success, a failure or still pending, with its message.
CREATE TABLE taxii_status_details (
    status_id TEXT NOT NULL REFERENCES taxii_status (id),
    seq       INTEGER NOT NULL CHECK (seq >= 0),
    outcome   TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'pending')),
    object_id TEXT NOT NULL,
    version   TEXT NOT NULL,
    message   TEXT NOT NULL,
    PRIMARY KEY (status_id, seq)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE taxii_status_details;
DROP TABLE taxii_status;
DROP TABLE taxii_members;
DROP TABLE taxii_grants;
DROP TABLE taxii_collections;
DROP TABLE taxii_api_roots;
