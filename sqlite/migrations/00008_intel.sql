-- Threat intelligence: the STIX 2.1 objects the node holds (imported from
-- STIX, MISP or IODEF files, pulled over TAXII, shared by a peer, or made
-- here), the cases each belongs to, and the normalised observable values
-- taken from them, which correlation looks up.
--
-- The conventions of 00001_init.sql hold: times are RFC 3339 UTC text with
-- six fractional digits, columns filtered on come first, long values last.

-- +goose Up
-- One row per version of an object: (id, version) is unique, version being
-- the object's modified time, else its created time, else '' (cyber
-- observables carry neither). pos orders objects as they were added (TAXII's
-- date_added order); added_at is that time, never decreasing. object is the
-- object's JSON exactly as received (every property, custom ones and
-- extensions included); digest is the SHA-256 of those bytes, which tells a
-- re-import of the same version (skipped) from another object under the
-- same id and version (refused). tlp is the object's own TLP marking ('' for
-- none: it then takes its case's).
CREATE TABLE intel_objects (
    pos          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL CHECK (id LIKE '%--%'),
    version      TEXT NOT NULL,
    type         TEXT NOT NULL CHECK (type <> ''),
    spec_version TEXT NOT NULL,
    tlp          TEXT NOT NULL CHECK (tlp IN ('', 'clear', 'green', 'amber', 'amber+strict', 'red')),
    added_at     TEXT NOT NULL,
    source       TEXT NOT NULL,
    digest       TEXT NOT NULL CHECK (length(digest) = 64),
    object       TEXT NOT NULL CHECK (json_valid(object)),
    UNIQUE (id, version)
) STRICT;

CREATE INDEX intel_objects_type ON intel_objects (type);
CREATE INDEX intel_objects_added ON intel_objects (added_at);

-- Which cases an object belongs to (an object may be in several).
CREATE TABLE case_objects (
    case_id   TEXT NOT NULL REFERENCES cases (id),
    object_id TEXT NOT NULL,
    PRIMARY KEY (case_id, object_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX case_objects_object ON case_objects (object_id);

-- Normalised values taken from objects: kind is ip, cidr, domain, url,
-- email, md5, sha1, sha256 or sha512; value its normal form. For ip and
-- cidr, addr is the 16-byte address (IPv4 mapped into IPv6) and bits the
-- prefix length in that space (128 for an address), so that addresses in a
-- network are an index range.
CREATE TABLE observables (
    kind      TEXT NOT NULL CHECK (kind IN ('ip', 'cidr', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256', 'sha512')),
    value     TEXT NOT NULL CHECK (value <> ''),
    object_id TEXT NOT NULL,
    addr      BLOB CHECK (addr IS NULL OR length(addr) = 16),
    bits      INTEGER CHECK (bits IS NULL OR bits BETWEEN 0 AND 128),
    PRIMARY KEY (kind, value, object_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX observables_object ON observables (object_id);
CREATE INDEX observables_addr ON observables (addr) WHERE addr IS NOT NULL;

-- +goose Down
DROP TABLE observables;
DROP TABLE case_objects;
DROP TABLE intel_objects;
