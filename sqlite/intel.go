package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/accord-cyber/accord"
)

const (
	intelCols = `id, version, type, spec_version, tlp, added_at, source, digest, object`

	sqlObjectDigests = `SELECT o.id, o.version, o.digest FROM intel_objects o
		JOIN json_each(?) k ON o.id = k.value ->> 0 AND o.version = k.value ->> 1`
	sqlCaseObjects = `SELECT ` + intelCols + ` FROM intel_objects
		WHERE id IN (SELECT object_id FROM case_objects WHERE case_id = ?) ORDER BY pos`
	sqlCountCaseObjects = `SELECT count(*) FROM intel_objects
		WHERE id IN (SELECT object_id FROM case_objects WHERE case_id = ?)`
	// The observables' holders are cases (case_objects) and, for what peers
	// shared, the peer and the request (shared_objects, direction 'in'):
	// each query is two lookups by index, one per holder, and lists a
	// value's holders cases first.
	sqlObservableCases = `SELECT o.kind, o.value, o.object_id, o.addr, o.bits, c.case_id, '', '', 0
		FROM json_each(?) k
		JOIN observables o ON o.kind = k.value ->> 0 AND o.value = k.value ->> 1
		JOIN case_objects c ON c.object_id = o.object_id
		UNION ALL
		SELECT DISTINCT o.kind, o.value, o.object_id, o.addr, o.bits, '', s.peer, s.request_id, 1
		FROM json_each(?) k
		JOIN observables o ON o.kind = k.value ->> 0 AND o.value = k.value ->> 1
		JOIN shared_objects s ON s.object_id = o.object_id AND s.direction = 'in'
		ORDER BY 1, 2, 9, 6, 7, 8, 3`
	sqlAddressCases = `SELECT o.kind, o.value, o.object_id, o.addr, o.bits, c.case_id, '', '', 0
		FROM observables o JOIN case_objects c ON c.object_id = o.object_id
		WHERE o.addr BETWEEN ?1 AND ?2 AND o.bits >= ?3
		UNION ALL
		SELECT DISTINCT o.kind, o.value, o.object_id, o.addr, o.bits, '', s.peer, s.request_id, 1
		FROM observables o JOIN shared_objects s ON s.object_id = o.object_id AND s.direction = 'in'
		WHERE o.addr BETWEEN ?1 AND ?2 AND o.bits >= ?3
		ORDER BY 4, 5, 9, 6, 7, 8, 3`
	sqlCaseExists      = `SELECT 1 FROM cases WHERE id = ?`
	sqlCaseObservables = `SELECT o.kind, o.value, o.object_id, o.addr, o.bits
		FROM case_objects c JOIN observables o ON o.object_id = c.object_id
		WHERE c.case_id = ? ORDER BY o.kind, o.value, o.object_id`
)

// ObjectDigests returns the digests of the stored object versions among keys.
func (t *tx) ObjectDigests(keys []accord.ObjectKey) (map[accord.ObjectKey]string, error) {
	out := make(map[accord.ObjectKey]string, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := t.tx.QueryContext(t.ctx, sqlObjectDigests, objectKeysArg(keys))
	if err != nil {
		return nil, translate(err, "read object digests")
	}
	defer rows.Close()
	for rows.Next() {
		var k accord.ObjectKey
		var d string
		if err := rows.Scan(&k.ID, &k.Version, &d); err != nil {
			return nil, translate(err, "read object digests")
		}
		out[k] = d
	}
	return out, translate(rows.Err(), "read object digests")
}

// AddObjects stores object versions, many per statement, all or none.
// ECONFLICT names the version stored already; EINVALID a value the schema
// refuses (an id without "--", an unknown TLP, an object that is not JSON).
func (t *tx) AddObjects(objs []*accord.IntelObject) error {
	return t.insertRows("intel_objects ("+intelCols+")", 9, len(objs), func(i int, args []any) []any {
		o := objs[i]
		return append(args, o.ID, o.Version, o.Type, o.SpecVersion, string(o.TLP), timeArg(o.AddedAt), o.Source, o.Digest, string(o.Object))
	}, func(i int) error {
		o := objs[i]
		_, err := t.tx.ExecContext(t.ctx, `INSERT INTO intel_objects (`+intelCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.ID, o.Version, o.Type, o.SpecVersion, string(o.TLP), timeArg(o.AddedAt), o.Source, o.Digest, string(o.Object))
		return translate(err, "add object %s version %q", o.ID, o.Version)
	})
}

// LinkObjects puts objects in a case; existing links are kept.
func (t *tx) LinkObjects(caseID string, objectIDs []string) error {
	if err := t.writable("link objects to case " + caseID); err != nil {
		return err
	}
	if len(objectIDs) == 0 {
		return nil
	}
	var one int
	if err := t.tx.QueryRowContext(t.ctx, sqlCaseExists, caseID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return &accord.Error{Code: accord.EINVALID, Field: "case_id", Message: "case " + caseID + " does not exist"}
	} else if err != nil {
		return translate(err, "link objects to case %s", caseID)
	}
	per := min(maxBatchParams/2, maxRowsPerInsert)
	for lo := 0; lo < len(objectIDs); lo += per {
		hi := min(lo+per, len(objectIDs))
		args := make([]any, 0, 2*(hi-lo))
		for _, id := range objectIDs[lo:hi] {
			args = append(args, caseID, id)
		}
		// ON CONFLICT DO NOTHING, not INSERT OR IGNORE, which would also drop
		// rows that break a CHECK.
		q := valuesInsert("case_objects (case_id, object_id)", 2, hi-lo) + " ON CONFLICT DO NOTHING"
		if _, err := t.tx.ExecContext(t.ctx, q, args...); err != nil {
			return translate(err, "link objects to case %s", caseID)
		}
	}
	return nil
}

// CaseObjects calls fn with every version of every object of a case, in
// the order added, streaming: the objects are never all in memory.
func (t *tx) CaseObjects(caseID string, fn func(*accord.IntelObject) error) error {
	rows, err := t.tx.QueryContext(t.ctx, sqlCaseObjects, caseID)
	if err != nil {
		return translate(err, "read the objects of case %s", caseID)
	}
	defer rows.Close()
	for rows.Next() {
		var o accord.IntelObject
		var obj string
		if err := rows.Scan(&o.ID, &o.Version, &o.Type, &o.SpecVersion, &o.TLP, timeDest{&o.AddedAt}, &o.Source, &o.Digest, &obj); err != nil {
			return translate(err, "read the objects of case %s", caseID)
		}
		o.Object = json.RawMessage(obj)
		if err := fn(&o); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "read the objects of case %s", caseID)
}

// CountCaseObjects returns how many object versions a case holds.
func (t *tx) CountCaseObjects(caseID string) (int, error) {
	var n int
	err := t.tx.QueryRowContext(t.ctx, sqlCountCaseObjects, caseID).Scan(&n)
	return n, translate(err, "count the objects of case %s", caseID)
}

// AddObservables stores observables, keeping those stored already.
func (t *tx) AddObservables(obs []*accord.Observable) error {
	if err := t.writable("add observables"); err != nil {
		return err
	}
	per := min(maxBatchParams/5, maxRowsPerInsert)
	for lo := 0; lo < len(obs); lo += per {
		hi := min(lo+per, len(obs))
		args := make([]any, 0, 5*(hi-lo))
		for _, o := range obs[lo:hi] {
			var addr, bits any
			if o.Addr != nil {
				addr, bits = o.Addr, o.Bits
			}
			args = append(args, string(o.Kind), o.Value, o.ObjectID, addr, bits)
		}
		q := valuesInsert("observables (kind, value, object_id, addr, bits)", 5, hi-lo) + " ON CONFLICT DO NOTHING"
		if _, err := t.tx.ExecContext(t.ctx, q, args...); err != nil {
			return translate(err, "add observables %s %q to %s %q", obs[lo].Kind, obs[lo].Value, obs[hi-1].Kind, obs[hi-1].Value)
		}
	}
	return nil
}

// ObservableCases returns the cases holding observables equal to keys.
func (t *tx) ObservableCases(keys []accord.Observable) ([]accord.ObservableHit, error) {
	out := []accord.ObservableHit{}
	if len(keys) == 0 {
		return out, nil
	}
	pairs := make([][2]string, len(keys))
	for i, k := range keys {
		pairs[i] = [2]string{string(k.Kind), k.Value}
	}
	arg, err := json.Marshal(pairs)
	if err != nil {
		return nil, accord.Internal(err, "look up observables")
	}
	return t.hits("look up observables", sqlObservableCases, string(arg), string(arg))
}

// AddressCases returns the cases holding ip or cidr observables in [lo, hi]
// with a prefix of at least bits.
func (t *tx) AddressCases(lo, hi []byte, bits int) ([]accord.ObservableHit, error) {
	return t.hits("look up addresses", sqlAddressCases, lo, hi, bits)
}

func (t *tx) hits(op, q string, args ...any) ([]accord.ObservableHit, error) {
	rows, err := t.tx.QueryContext(t.ctx, q, args...)
	if err != nil {
		return nil, translate(err, "%s", op)
	}
	defer rows.Close()
	out := []accord.ObservableHit{}
	for rows.Next() {
		var h accord.ObservableHit
		var bits sql.NullInt64
		var shared int
		if err := rows.Scan(&h.Kind, &h.Value, &h.ObjectID, blobDest{&h.Addr}, &bits, &h.CaseID, &h.Peer, &h.RequestID, &shared); err != nil {
			return nil, translate(err, "%s", op)
		}
		h.Bits = int(bits.Int64)
		out = append(out, h)
	}
	return out, translate(rows.Err(), "%s", op)
}

// CaseObservables returns the observables of a case's objects (empty,
// non-nil for none).
func (t *tx) CaseObservables(caseID string) ([]accord.Observable, error) {
	hs, err := t.hits("read the observables of case "+caseID, `SELECT kind, value, object_id, addr, bits, ?, '', '', 0 FROM (`+sqlCaseObservables+`)`, caseID, caseID)
	out := make([]accord.Observable, len(hs))
	for i, h := range hs {
		out[i] = h.Observable
	}
	return out, err
}

// objectKeysArg encodes object keys as the JSON array of [id, version]
// pairs that json_each reads in the queries by key.
func objectKeysArg(keys []accord.ObjectKey) string {
	pairs := make([][2]string, len(keys))
	for i, k := range keys {
		pairs[i] = [2]string{k.ID, k.Version}
	}
	b, _ := json.Marshal(pairs) // strings always encode
	return string(b)
}

const sharedCols = `message_id, object_id, version, request_id, peer, direction, type, at`

// AddSharedObjects records the object versions messages carried.
func (t *tx) AddSharedObjects(objs []*accord.SharedObject) error {
	return t.insertRows("shared_objects ("+sharedCols+")", 8, len(objs), func(i int, args []any) []any {
		o := objs[i]
		return append(args, o.MessageID, o.ObjectID, o.Version, o.RequestID, o.Peer, o.Direction, o.Type, timeArg(o.At))
	}, func(i int) error {
		o := objs[i]
		_, err := t.tx.ExecContext(t.ctx, `INSERT INTO shared_objects (`+sharedCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			o.MessageID, o.ObjectID, o.Version, o.RequestID, o.Peer, o.Direction, o.Type, timeArg(o.At))
		return translate(err, "record object %s version %q of message %s", o.ObjectID, o.Version, o.MessageID)
	})
}

// SharedObjects returns what the messages about a request carried.
func (t *tx) SharedObjects(requestID string) ([]*accord.SharedObject, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+sharedCols+` FROM shared_objects
		WHERE request_id = ? ORDER BY at, message_id, object_id, version`, requestID)
	if err != nil {
		return nil, translate(err, "read the objects shared about request %s", requestID)
	}
	defer rows.Close()
	out := []*accord.SharedObject{}
	for rows.Next() {
		var o accord.SharedObject
		if err := rows.Scan(&o.MessageID, &o.ObjectID, &o.Version, &o.RequestID, &o.Peer, &o.Direction, &o.Type, timeDest{&o.At}); err != nil {
			return nil, translate(err, "read the objects shared about request %s", requestID)
		}
		out = append(out, &o)
	}
	return out, translate(rows.Err(), "read the objects shared about request %s", requestID)
}

// sqlSharedStats sums up the shares of [?1, ?2): object versions out and
// in, the distinct observables they carry, and those held elsewhere too.
const sqlSharedStats = `WITH s AS (SELECT * FROM shared_objects WHERE at >= ?1 AND at < ?2),
	v AS (SELECT DISTINCT o.kind, o.value, s.direction, o.object_id FROM s JOIN observables o ON o.object_id = s.object_id),
	hit AS (SELECT DISTINCT v.kind, v.value FROM v WHERE
		(v.direction = 'in' AND EXISTS (SELECT 1 FROM observables o2 JOIN case_objects c ON c.object_id = o2.object_id
			WHERE o2.kind = v.kind AND o2.value = v.value AND o2.object_id <> v.object_id))
		OR (v.direction = 'out' AND EXISTS (SELECT 1 FROM observables o2 JOIN shared_objects s2 ON s2.object_id = o2.object_id AND s2.direction = 'in'
			WHERE o2.kind = v.kind AND o2.value = v.value)))
	SELECT (SELECT count(*) FROM s WHERE direction = 'out'), (SELECT count(*) FROM s WHERE direction = 'in'),
		(SELECT count(*) FROM (SELECT DISTINCT kind, value FROM v)), (SELECT count(*) FROM hit)`

// SharedStats sums up what the messages of a period carried.
func (t *tx) SharedStats(from, to time.Time) (accord.SharedStats, error) {
	var st accord.SharedStats
	err := t.tx.QueryRowContext(t.ctx, sqlSharedStats, timeArg(from), timeArg(to)).Scan(&st.ObjectsOut, &st.ObjectsIn, &st.Observables, &st.Correlated)
	return st, translate(err, "sum up what was shared")
}
