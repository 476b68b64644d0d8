package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
)

// The TAXII methods of accord.Tx: API roots, collections with their grants,
// the object versions of each collection and status resources
// (migrations/00009_taxii.sql).

const (
	apiRootCols    = `id, title, description, max_content_length, is_default, created_at`
	collectionCols = `id, api_root, title, description, alias, audience, max_tlp, created_at, media_types`
	memberCols     = `collection_id, date_added, object_pos, object_id, type, version_key, spec_version, is_last, is_first, tlp`

	sqlTAXIIResolve = `SELECT o.pos, o.id, o.version, o.type, o.spec_version FROM intel_objects o
		JOIN json_each(?) k ON o.id = k.value ->> 0 AND o.version = k.value ->> 1`
	sqlTAXIIHeld = `SELECT object_pos FROM taxii_members
		WHERE collection_id = ? AND object_pos IN (SELECT value FROM json_each(?))`
	sqlTAXIILastAdded = `SELECT max(date_added) FROM taxii_members WHERE collection_id = ?`
	// sqlTAXIIFlags marks, for the objects named in ?2 within collection ?1,
	// the first and the last version among those of the object's latest
	// spec_version (TAXII's default spec_version filter). It reads each
	// named object's rows through taxii_members_object, never the whole
	// collection.
	sqlTAXIIFlags = `UPDATE taxii_members INDEXED BY taxii_members_object SET
			is_first = (spec_version = ` + taxiiLatestSpec + ` AND version_key = (SELECT min(s.version_key) FROM taxii_members s INDEXED BY taxii_members_object
				WHERE s.collection_id = taxii_members.collection_id AND s.object_id = taxii_members.object_id AND s.spec_version = ` + taxiiLatestSpec + `)),
			is_last = (spec_version = ` + taxiiLatestSpec + ` AND version_key = (SELECT max(s.version_key) FROM taxii_members s INDEXED BY taxii_members_object
				WHERE s.collection_id = taxii_members.collection_id AND s.object_id = taxii_members.object_id AND s.spec_version = ` + taxiiLatestSpec + `))
		WHERE collection_id = ?1 AND object_id IN (SELECT value FROM json_each(?2))`
	taxiiLatestSpec = `(SELECT max(l.spec_version) FROM taxii_members l INDEXED BY taxii_members_object
				WHERE l.collection_id = taxii_members.collection_id AND l.object_id = taxii_members.object_id)`
	sqlTAXIIHasObject = `SELECT 1 FROM taxii_members WHERE collection_id = ? AND object_id = ? LIMIT 1`
	sqlObjectCaseTLPs = `SELECT c.object_id, k.tlp FROM case_objects c JOIN cases k ON k.id = c.case_id
		WHERE c.object_id IN (SELECT value FROM json_each(?))`
)

// CreateAPIRoot inserts an API root.
func (t *tx) CreateAPIRoot(r *accord.TAXIIAPIRoot) error {
	if err := t.writable("create API root " + r.ID); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO taxii_api_roots (`+apiRootCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		r.ID, r.Title, r.Description, r.MaxContentLength, r.Default, timeArg(r.CreatedAt))
	return translate(err, "create API root %s", r.ID)
}

// APIRoots returns every API root, ordered by id.
func (t *tx) APIRoots() ([]*accord.TAXIIAPIRoot, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+apiRootCols+` FROM taxii_api_roots ORDER BY id`)
	if err != nil {
		return nil, translate(err, "read API roots")
	}
	defer rows.Close()
	out := []*accord.TAXIIAPIRoot{}
	for rows.Next() {
		r, err := scanAPIRoot(rows)
		if err != nil {
			return nil, translate(err, "read API roots")
		}
		out = append(out, r)
	}
	return out, translate(rows.Err(), "read API roots")
}

// APIRoot returns one API root; ENOTFOUND if absent.
func (t *tx) APIRoot(id string) (*accord.TAXIIAPIRoot, error) {
	r, err := scanAPIRoot(t.tx.QueryRowContext(t.ctx, `SELECT `+apiRootCols+` FROM taxii_api_roots WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accord.Errorf(accord.ENOTFOUND, "API root %s not found", id)
	}
	return r, translate(err, "read API root %s", id)
}

func scanAPIRoot(row scanner) (*accord.TAXIIAPIRoot, error) {
	var r accord.TAXIIAPIRoot
	err := row.Scan(&r.ID, &r.Title, &r.Description, &r.MaxContentLength, &r.Default, timeDest{&r.CreatedAt})
	return &r, err
}

// CreateCollection inserts a collection and its grants.
func (t *tx) CreateCollection(c *accord.TAXIICollection) error {
	op := "create collection " + c.ID
	if err := t.writable(op); err != nil {
		return err
	}
	mt := c.MediaTypes
	if mt == nil {
		mt = []string{}
	}
	media, err := json.Marshal(mt)
	if err != nil {
		return accord.Internal(err, "%s", op)
	}
	if _, err := t.tx.ExecContext(t.ctx, `SAVEPOINT taxii_collection`); err != nil {
		return translate(err, "%s", op)
	}
	err = t.createCollection(c, string(media))
	if err != nil {
		_, _ = t.tx.ExecContext(t.ctx, `ROLLBACK TO taxii_collection`)
	}
	_, _ = t.tx.ExecContext(t.ctx, `RELEASE taxii_collection`)
	return err
}

func (t *tx) createCollection(c *accord.TAXIICollection, media string) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO taxii_collections (`+collectionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.APIRoot, c.Title, c.Description, textArg(c.Alias), c.Audience, string(c.MaxTLP), timeArg(c.CreatedAt), media)
	if err != nil {
		return translate(err, "create collection %s", c.ID)
	}
	for _, g := range c.Grants {
		kind, who := "user", g.User
		if g.Role != "" {
			kind, who = "role", string(g.Role)
		}
		_, err := t.tx.ExecContext(t.ctx, `INSERT INTO taxii_grants (collection_id, kind, grantee, can_read, can_write) VALUES (?, ?, ?, ?, ?)`,
			c.ID, kind, who, g.Read, g.Write)
		if err != nil {
			return translate(err, "grant %s %s on collection %s", kind, who, c.ID)
		}
	}
	return nil
}

// Collections returns the collections of an API root ("" for all), by API
// root and id, with their grants.
func (t *tx) Collections(apiRoot string) ([]*accord.TAXIICollection, error) {
	q := `SELECT ` + collectionCols + ` FROM taxii_collections`
	var args []any
	if apiRoot != "" {
		q += ` WHERE api_root = ?`
		args = append(args, apiRoot)
	}
	rows, err := t.tx.QueryContext(t.ctx, q+` ORDER BY api_root, id`, args...)
	if err != nil {
		return nil, translate(err, "read collections")
	}
	out := []*accord.TAXIICollection{}
	byID := map[string]*accord.TAXIICollection{}
	for rows.Next() {
		c, err := scanCollection(rows)
		if err != nil {
			rows.Close()
			return nil, translate(err, "read collections")
		}
		out = append(out, c)
		byID[c.ID] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "read collections")
	}
	if err := t.readGrants(byID); err != nil {
		return nil, err
	}
	return out, nil
}

// Collection returns one collection with its grants; ENOTFOUND if absent.
func (t *tx) Collection(id string) (*accord.TAXIICollection, error) {
	c, err := scanCollection(t.tx.QueryRowContext(t.ctx, `SELECT `+collectionCols+` FROM taxii_collections WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accord.Errorf(accord.ENOTFOUND, "collection %s not found", id)
	}
	if err != nil {
		return nil, translate(err, "read collection %s", id)
	}
	return c, t.readGrants(map[string]*accord.TAXIICollection{id: c})
}

func (t *tx) readGrants(byID map[string]*accord.TAXIICollection) error {
	if len(byID) == 0 {
		return nil
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	arr, err := jsonArray(ids)
	if err != nil {
		return accord.Internal(err, "read collection grants")
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT collection_id, kind, grantee, can_read, can_write FROM taxii_grants
		WHERE collection_id IN (SELECT value FROM json_each(?)) ORDER BY collection_id, kind DESC, grantee`, arr)
	if err != nil {
		return translate(err, "read collection grants")
	}
	defer rows.Close()
	for rows.Next() {
		var id, kind, who string
		var g accord.TAXIIGrant
		if err := rows.Scan(&id, &kind, &who, &g.Read, &g.Write); err != nil {
			return translate(err, "read collection grants")
		}
		if kind == "role" {
			g.Role = accord.Role(who)
		} else {
			g.User = who
		}
		c := byID[id]
		c.Grants = append(c.Grants, g)
	}
	return translate(rows.Err(), "read collection grants")
}

func scanCollection(row scanner) (*accord.TAXIICollection, error) {
	var c accord.TAXIICollection
	var alias sql.NullString
	var media string
	if err := row.Scan(&c.ID, &c.APIRoot, &c.Title, &c.Description, &alias, &c.Audience, &c.MaxTLP, timeDest{&c.CreatedAt}, &media); err != nil {
		return nil, err
	}
	c.Alias = alias.String
	if err := json.Unmarshal([]byte(media), &c.MediaTypes); err != nil {
		return nil, fmt.Errorf("media types of collection %s: %w", c.ID, err)
	}
	c.Grants = []accord.TAXIIGrant{}
	return &c, nil
}

// heldVersion is an object version as AddCollectionObjects resolves it.
type heldVersion struct {
	pos                        int64
	id, version, typ, spec, vk string
}

// AddCollectionObjects puts object versions in a collection with strictly
// increasing dates, all or none (under a savepoint), then marks the first
// and last versions of the objects it touched.
func (t *tx) AddCollectionObjects(collectionID string, entries []*accord.CollectionEntry) error {
	op := "add objects to collection " + collectionID
	if err := t.writable(op); err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := t.tx.ExecContext(t.ctx, `SAVEPOINT taxii_add`); err != nil {
		return translate(err, "%s", op)
	}
	err := t.addCollectionObjects(collectionID, entries)
	if err != nil {
		_, _ = t.tx.ExecContext(t.ctx, `ROLLBACK TO taxii_add`)
		for _, e := range entries {
			e.DateAdded = time.Time{}
		}
	}
	_, _ = t.tx.ExecContext(t.ctx, `RELEASE taxii_add`)
	return err
}

func (t *tx) addCollectionObjects(collectionID string, entries []*accord.CollectionEntry) error {
	op := "add objects to collection " + collectionID
	var one int
	if err := t.tx.QueryRowContext(t.ctx, `SELECT 1 FROM taxii_collections WHERE id = ?`, collectionID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return &accord.Error{Code: accord.EINVALID, Field: "collection", Message: "collection " + collectionID + " does not exist"}
	} else if err != nil {
		return translate(err, "%s", op)
	}
	held, err := t.resolveVersions(entries)
	if err != nil {
		return err
	}
	// Versions the collection holds already keep their date.
	positions := make([]int64, 0, len(held))
	for _, h := range held {
		positions = append(positions, h.pos)
	}
	in, err := t.memberPositions(collectionID, positions)
	if err != nil {
		return err
	}
	var last time.Time
	var lastText sql.NullString
	if err := t.tx.QueryRowContext(t.ctx, sqlTAXIILastAdded, collectionID).Scan(&lastText); err != nil {
		return translate(err, "%s", op)
	}
	if lastText.Valid {
		if err := (timeDest{&last}).Scan(lastText.String); err != nil {
			return accord.Internal(err, "%s", op)
		}
	}
	type row struct {
		e *accord.CollectionEntry
		h heldVersion
	}
	var rows []row
	var ids []string
	for _, e := range entries {
		h := held[e.Object]
		if in[h.pos] {
			e.DateAdded = time.Time{}
			continue
		}
		in[h.pos] = true
		d := e.DateAdded.UTC().Truncate(time.Microsecond)
		if !last.IsZero() && !d.After(last) {
			d = last.Add(time.Microsecond)
		}
		e.DateAdded, last = d, d
		if accord.TLPRank(e.TLP) < 0 {
			return &accord.Error{Code: accord.EINVALID, Field: "tlp", Message: fmt.Sprintf("%s %q: %q is not a TLP 2.0 label", e.Object.ID, e.Object.Version, e.TLP)}
		}
		rows = append(rows, row{e, h})
		ids = append(ids, h.id)
	}
	if len(rows) == 0 {
		return nil
	}
	err = t.insertChunks("taxii_members ("+memberCols+")", 10, len(rows), func(i int, args []any) []any {
		r := rows[i]
		return append(args, collectionID, timeArg(r.e.DateAdded), r.h.pos, r.h.id, r.h.typ, r.h.vk, r.h.spec, 0, 0, string(r.e.TLP))
	})
	if err != nil {
		return err
	}
	arr, err := jsonArray(ids)
	if err != nil {
		return accord.Internal(err, "%s", op)
	}
	if _, err := t.tx.ExecContext(t.ctx, sqlTAXIIFlags, collectionID, arr); err != nil {
		return translate(err, "%s: mark first and last versions", op)
	}
	return nil
}

// resolveVersions finds the intel_objects rows of the entries' versions;
// EINVALID names the first that is not stored.
func (t *tx) resolveVersions(entries []*accord.CollectionEntry) (map[accord.ObjectKey]heldVersion, error) {
	out := make(map[accord.ObjectKey]heldVersion, len(entries))
	per := 5000
	for lo := 0; lo < len(entries); lo += per {
		hi := min(lo+per, len(entries))
		pairs := make([][2]string, 0, hi-lo)
		for _, e := range entries[lo:hi] {
			pairs = append(pairs, [2]string{e.Object.ID, e.Object.Version})
		}
		arg, err := json.Marshal(pairs)
		if err != nil {
			return nil, accord.Internal(err, "resolve object versions")
		}
		rows, err := t.tx.QueryContext(t.ctx, sqlTAXIIResolve, string(arg))
		if err != nil {
			return nil, translate(err, "resolve object versions")
		}
		for rows.Next() {
			var h heldVersion
			if err := rows.Scan(&h.pos, &h.id, &h.version, &h.typ, &h.spec); err != nil {
				rows.Close()
				return nil, translate(err, "resolve object versions")
			}
			if h.spec == "" {
				h.spec = "2.0" // STIX 2.0 objects carry no spec_version
			}
			if h.version != "" {
				v, err := time.Parse(time.RFC3339Nano, h.version)
				if err != nil {
					rows.Close()
					return nil, accord.Internal(err, "stored version %q of %s", h.version, h.id)
				}
				h.vk = accord.VersionKey(v)
			}
			out[accord.ObjectKey{ID: h.id, Version: h.version}] = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, translate(err, "resolve object versions")
		}
	}
	for _, e := range entries {
		if _, ok := out[e.Object]; !ok {
			return nil, &accord.Error{Code: accord.EINVALID, Field: "object",
				Message: fmt.Sprintf("object %s version %q is not stored", e.Object.ID, e.Object.Version)}
		}
	}
	return out, nil
}

// memberPositions returns which of positions the collection holds.
func (t *tx) memberPositions(collectionID string, positions []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(positions))
	per := 5000
	for lo := 0; lo < len(positions); lo += per {
		hi := min(lo+per, len(positions))
		arg, err := json.Marshal(positions[lo:hi])
		if err != nil {
			return nil, accord.Internal(err, "read collection members")
		}
		rows, err := t.tx.QueryContext(t.ctx, sqlTAXIIHeld, collectionID, string(arg))
		if err != nil {
			return nil, translate(err, "read collection members")
		}
		for rows.Next() {
			var p int64
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return nil, translate(err, "read collection members")
			}
			out[p] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, translate(err, "read collection members")
		}
	}
	return out, nil
}

// collectionQuery builds the SQL of q: a range of the table's key (or,
// for the default page of last versions, of the partial index
// taxii_members_last when the statistics favour it) from the cursor on, in
// date_added order. Reading the key and filtering is_last measured faster
// where most objects have one version (5.6 against 6.1 ms a page of 1,000
// at 1M), the index where most rows are old versions.
func collectionQuery(q accord.CollectionQuery) (string, []any, error) {
	var b strings.Builder
	args := []any{q.Collection}
	b.WriteString(`SELECT m.date_added, m.object_id, m.type, o.version, m.spec_version, m.tlp, o.tlp, `)
	if q.NoObject {
		b.WriteString(`''`)
	} else {
		b.WriteString(`o.object`)
	}
	b.WriteString(` FROM taxii_members m JOIN intel_objects o ON o.pos = m.object_pos WHERE m.collection_id = ?`)
	if !q.After.IsZero() {
		b.WriteString(` AND m.date_added > ?`)
		args = append(args, timeArg(q.After))
	}
	if q.ObjectID != "" {
		b.WriteString(` AND m.object_id = ?`)
		args = append(args, q.ObjectID)
	}
	list := func(col string, vals []string) error {
		if len(vals) == 0 {
			return nil
		}
		if len(vals) == 1 {
			b.WriteString(` AND ` + col + ` = ?`)
			args = append(args, vals[0])
			return nil
		}
		arr, err := jsonArray(vals)
		b.WriteString(` AND ` + col + ` IN (SELECT value FROM json_each(?))`)
		args = append(args, arr)
		return err
	}
	if err := list("m.object_id", q.IDs); err != nil {
		return "", nil, err
	}
	if err := list("m.type", q.Types); err != nil {
		return "", nil, err
	}
	// Version and spec_version conditions.
	var specCond string
	var specArgs []any
	if len(q.SpecVersions) > 0 {
		arr, err := jsonArray(q.SpecVersions)
		if err != nil {
			return "", nil, err
		}
		specCond = `m.spec_version IN (SELECT value FROM json_each(?))`
		specArgs = []any{arr}
	} else {
		specCond = `m.spec_version = (SELECT max(s.spec_version) FROM taxii_members s INDEXED BY taxii_members_object WHERE s.collection_id = m.collection_id AND s.object_id = m.object_id)`
	}
	versions := q.Versions
	if len(versions) == 0 {
		versions = []string{"all"}
	}
	var ors []string
	var orArgs []any
	for _, v := range versions {
		switch {
		case v == "last" && len(q.SpecVersions) == 0:
			ors = append(ors, `m.is_last = 1`)
		case v == "first" && len(q.SpecVersions) == 0:
			ors = append(ors, `m.is_first = 1`)
		case v == "last" || v == "first":
			agg := "max"
			if v == "first" {
				agg = "min"
			}
			ors = append(ors, `(`+specCond+` AND m.version_key = (SELECT `+agg+`(s.version_key) FROM taxii_members s INDEXED BY taxii_members_object
				WHERE s.collection_id = m.collection_id AND s.object_id = m.object_id AND s.spec_version IN (SELECT value FROM json_each(?))))`)
			orArgs = append(orArgs, specArgs...)
			orArgs = append(orArgs, specArgs...)
		case v == "all":
			ors = append(ors, `(`+specCond+`)`)
			orArgs = append(orArgs, specArgs...)
		default:
			ors = append(ors, `(m.version_key = ? AND `+specCond+`)`)
			orArgs = append(orArgs, v)
			orArgs = append(orArgs, specArgs...)
		}
	}
	if len(ors) == 1 {
		b.WriteString(` AND ` + ors[0])
	} else {
		b.WriteString(` AND (` + strings.Join(ors, ` OR `) + `)`)
	}
	args = append(args, orArgs...)
	b.WriteString(` ORDER BY m.date_added`)
	if q.Limit > 0 {
		b.WriteString(` LIMIT ?`)
		args = append(args, q.Limit+1)
	}
	return b.String(), args, nil
}

// CollectionObjects calls fn with the versions q selects, in date_added
// order, streaming; it reads one row past q.Limit to tell whether more follow.
func (t *tx) CollectionObjects(q accord.CollectionQuery, fn func(*accord.CollectionObject) error) (bool, error) {
	op := "read the objects of collection " + q.Collection
	text, args, err := collectionQuery(q)
	if err != nil {
		return false, accord.Internal(err, "%s", op)
	}
	rows, err := t.tx.QueryContext(t.ctx, text, args...)
	if err != nil {
		return false, translate(err, "%s", op)
	}
	defer rows.Close()
	n := 0
	var obj sql.RawBytes
	for rows.Next() {
		if q.Limit > 0 && n == q.Limit {
			return true, nil
		}
		n++
		var o accord.CollectionObject
		if err := rows.Scan(timeDest{&o.DateAdded}, &o.ID, &o.Type, &o.Version, &o.SpecVersion, &o.TLP, &o.OwnTLP, &obj); err != nil {
			return false, translate(err, "%s", op)
		}
		if len(obj) > 0 {
			o.Object = json.RawMessage(append([]byte(nil), obj...))
		}
		if err := fn(&o); err != nil {
			return false, err
		}
	}
	return false, translate(rows.Err(), "%s", op)
}

// HasCollectionObject reports whether a collection holds a version of an object.
func (t *tx) HasCollectionObject(collectionID, objectID string) (bool, error) {
	var one int
	err := t.tx.QueryRowContext(t.ctx, sqlTAXIIHasObject, collectionID, objectID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, translate(err, "look up %s in collection %s", objectID, collectionID)
}

// ObjectsByKey returns the stored versions among keys, by key.
func (t *tx) ObjectsByKey(keys []accord.ObjectKey) (map[accord.ObjectKey]*accord.IntelObject, error) {
	out := make(map[accord.ObjectKey]*accord.IntelObject, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT o.id, o.version, o.type, o.spec_version, o.tlp, o.added_at, o.source, o.digest, o.object
		FROM intel_objects o JOIN json_each(?) k ON o.id = k.value ->> 0 AND o.version = k.value ->> 1`, objectKeysArg(keys))
	if err != nil {
		return nil, translate(err, "read objects")
	}
	defer rows.Close()
	for rows.Next() {
		var o accord.IntelObject
		var obj string
		if err := rows.Scan(&o.ID, &o.Version, &o.Type, &o.SpecVersion, &o.TLP, timeDest{&o.AddedAt}, &o.Source, &o.Digest, &obj); err != nil {
			return nil, translate(err, "read objects")
		}
		o.Object = json.RawMessage(obj)
		out[accord.ObjectKey{ID: o.ID, Version: o.Version}] = &o
	}
	return out, translate(rows.Err(), "read objects")
}

// ObjectCaseTLPs returns the most restrictive TLP of the cases of each of
// objectIDs that has one.
func (t *tx) ObjectCaseTLPs(objectIDs []string) (map[string]accord.TLP, error) {
	out := make(map[string]accord.TLP, len(objectIDs))
	err := t.queryKeysSQL(sqlObjectCaseTLPs, "read the TLP of the objects' cases", objectIDs, func(rows *sql.Rows) error {
		var id string
		var tlp accord.TLP
		if err := rows.Scan(&id, &tlp); err != nil {
			return err
		}
		if prev, ok := out[id]; ok {
			tlp = accord.Stricter(prev, tlp)
		}
		out[id] = tlp
		return nil
	})
	return out, err
}

// queryKeysSQL is queryKeys for an unprepared query.
func (t *tx) queryKeysSQL(q, op string, keys []string, fn func(*sql.Rows) error) error {
	if len(keys) == 0 {
		return nil
	}
	arr, err := jsonArray(keys)
	if err != nil {
		return accord.Internal(err, "%s", op)
	}
	rows, err := t.tx.QueryContext(t.ctx, q, arr)
	if err != nil {
		return translate(err, "%s", op)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return translate(err, "%s", op)
		}
	}
	return translate(rows.Err(), "%s", op)
}

// CreateStatus inserts a status resource and its details.
func (t *tx) CreateStatus(st *accord.TAXIIStatus) error {
	op := "create status " + st.ID
	if err := t.writable(op); err != nil {
		return err
	}
	type detail struct {
		outcome string
		d       accord.TAXIIStatusDetail
	}
	var ds []detail
	for _, d := range st.Successes {
		ds = append(ds, detail{"success", d})
	}
	for _, d := range st.Failures {
		ds = append(ds, detail{"failure", d})
	}
	for _, d := range st.Pendings {
		ds = append(ds, detail{"pending", d})
	}
	if _, err := t.tx.ExecContext(t.ctx, `SAVEPOINT taxii_status`); err != nil {
		return translate(err, "%s", op)
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO taxii_status (id, api_root, status, request_timestamp, total_count, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
		st.ID, st.APIRoot, st.Status, timeArg(st.RequestTimestamp), st.TotalCount, st.CreatedBy)
	err = translate(err, "%s", op)
	if err == nil {
		err = t.insertChunks("taxii_status_details (status_id, seq, outcome, object_id, version, message)", 6, len(ds), func(i int, args []any) []any {
			return append(args, st.ID, i, ds[i].outcome, ds[i].d.ID, ds[i].d.Version, ds[i].d.Message)
		})
	}
	if err != nil {
		_, _ = t.tx.ExecContext(t.ctx, `ROLLBACK TO taxii_status`)
	}
	_, _ = t.tx.ExecContext(t.ctx, `RELEASE taxii_status`)
	return err
}

// Status returns a status resource of an API root; ENOTFOUND if absent.
func (t *tx) Status(apiRoot, id string) (*accord.TAXIIStatus, error) {
	st := &accord.TAXIIStatus{Successes: []accord.TAXIIStatusDetail{}, Failures: []accord.TAXIIStatusDetail{}, Pendings: []accord.TAXIIStatusDetail{}}
	err := t.tx.QueryRowContext(t.ctx, `SELECT id, api_root, status, request_timestamp, total_count, created_by FROM taxii_status WHERE api_root = ? AND id = ?`, apiRoot, id).
		Scan(&st.ID, &st.APIRoot, &st.Status, timeDest{&st.RequestTimestamp}, &st.TotalCount, &st.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accord.Errorf(accord.ENOTFOUND, "status %s not found", id)
	}
	if err != nil {
		return nil, translate(err, "read status %s", id)
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT outcome, object_id, version, message FROM taxii_status_details WHERE status_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, translate(err, "read status %s", id)
	}
	defer rows.Close()
	for rows.Next() {
		var outcome string
		var d accord.TAXIIStatusDetail
		if err := rows.Scan(&outcome, &d.ID, &d.Version, &d.Message); err != nil {
			return nil, translate(err, "read status %s", id)
		}
		switch outcome {
		case "success":
			st.Successes = append(st.Successes, d)
		case "failure":
			st.Failures = append(st.Failures, d)
		default:
			st.Pendings = append(st.Pendings, d)
		}
	}
	return st, translate(rows.Err(), "read status %s", id)
}
