package node

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/stix"
)

// TAXII: the service behind package taxii's server (taxii.Service), and
// the operator's calls that set up API roots and collections.
//
// Who may read or write a collection is said by its grants alone
// (accord.TAXIICollection.Access). What a collection serves is decided
// again on every read, per version, by TLP (accord.TAXIICollection.Serves):
// the version's effective TLP is the most restrictive of the TLP it was
// shared under when it joined the collection, its own marking and the
// TLPs of every case holding it — so a case made stricter later withholds
// its objects from then on, and nothing is ever served more openly than
// its most restrictive label.

// CreateTAXIIAPIRoot adds an API root. Needs PermAdmin. EINVALID for an
// empty id or title; ECONFLICT if the id is taken, or if r is the default
// and another root is.
func (s *Service) CreateTAXIIAPIRoot(ctx context.Context, actor accord.Actor, r accord.TAXIIAPIRoot) (*accord.TAXIIAPIRoot, error) {
	if err := actor.Require(accord.PermAdmin); err != nil {
		return nil, err
	}
	if r.ID == "" {
		return nil, accord.FieldError("id", "is required")
	}
	if r.Title == "" {
		r.Title = r.ID
	}
	if r.MaxContentLength <= 0 {
		r.MaxContentLength = 10 << 20
	}
	r.CreatedAt = s.Now()
	if err := s.store.Update(ctx, func(tx accord.Tx) error { return tx.CreateAPIRoot(&r) }); err != nil {
		return nil, fmt.Errorf("create API root %s: %w", r.ID, err)
	}
	s.log.Info("TAXII API root created", "root", r.ID, "by", actor.Name)
	return &r, nil
}

// CreateTAXIICollection adds a collection to an API root, with a new UUID
// unless c.ID is set and STIX 2.1 as media type unless others are given.
// Needs PermAdmin. EINVALID names a bad field (an unknown API root, an
// audience that is neither a party nor the community, a community
// collection above TLP:GREEN); ECONFLICT if the id or alias is taken.
func (s *Service) CreateTAXIICollection(ctx context.Context, actor accord.Actor, c accord.TAXIICollection) (*accord.TAXIICollection, error) {
	if err := actor.Require(accord.PermAdmin); err != nil {
		return nil, err
	}
	if c.ID == "" {
		c.ID = uuid.NewString()
	}
	if len(c.MediaTypes) == 0 {
		c.MediaTypes = []string{"application/stix+json;version=2.1"}
	}
	if c.Grants == nil {
		c.Grants = []accord.TAXIIGrant{}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.CreatedAt = s.Now()
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		if _, err := tx.APIRoot(c.APIRoot); err != nil {
			if accord.ErrorCode(err) == accord.ENOTFOUND {
				return accord.FieldError("api_root", "API root %s does not exist", c.APIRoot)
			}
			return err
		}
		if c.Audience != accord.AudienceCommunity {
			if _, err := tx.Party(c.Audience); accord.ErrorCode(err) == accord.ENOTFOUND {
				return accord.FieldError("audience", "party %s is not known to this node", c.Audience)
			} else if err != nil {
				return err
			}
		}
		return tx.CreateCollection(&c)
	})
	if err != nil {
		return nil, fmt.Errorf("create collection %s: %w", c.Title, err)
	}
	s.log.Info("TAXII collection created", "collection", c.ID, "root", c.APIRoot, "audience", c.Audience, "max_tlp", c.MaxTLP, "by", actor.Name)
	return &c, nil
}

// TAXIIAPIRoots returns every API root, by id. Needs PermRead.
func (s *Service) TAXIIAPIRoots(ctx context.Context, actor accord.Actor) ([]*accord.TAXIIAPIRoot, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var out []*accord.TAXIIAPIRoot
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		out, err = tx.APIRoots()
		return err
	})
	return out, err
}

// TAXIIAPIRoot returns one API root. Needs PermRead; ENOTFOUND if absent.
func (s *Service) TAXIIAPIRoot(ctx context.Context, actor accord.Actor, root string) (*accord.TAXIIAPIRoot, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var out *accord.TAXIIAPIRoot
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		out, err = tx.APIRoot(root)
		return err
	})
	return out, err
}

// TAXIICollections returns the collections of an API root (of every root
// when root is ""), each with its grants, so that the caller can tell the
// actor's rights. Needs PermRead; ENOTFOUND for an unknown root.
func (s *Service) TAXIICollections(ctx context.Context, actor accord.Actor, root string) ([]*accord.TAXIICollection, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var out []*accord.TAXIICollection
	err := s.store.View(ctx, func(tx accord.Tx) error {
		if root != "" {
			if _, err := tx.APIRoot(root); err != nil {
				return err
			}
		}
		var err error
		out, err = tx.Collections(root)
		return err
	})
	return out, err
}

// TAXIICollection returns one collection of an API root. Needs PermRead;
// ENOTFOUND for an unknown root or collection, or one of another root.
func (s *Service) TAXIICollection(ctx context.Context, actor accord.Actor, root, id string) (*accord.TAXIICollection, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var out *accord.TAXIICollection
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		out, err = taxiiCollection(tx, root, id)
		return err
	})
	return out, err
}

// taxiiCollection reads a collection of a root; ENOTFOUND for either.
func taxiiCollection(tx accord.Tx, root, id string) (*accord.TAXIICollection, error) {
	if _, err := tx.APIRoot(root); err != nil {
		return nil, err
	}
	c, err := tx.Collection(id)
	if err != nil {
		return nil, err
	}
	if c.APIRoot != root {
		return nil, accord.Errorf(accord.ENOTFOUND, "collection %s not found", id)
	}
	return c, nil
}

// TAXIIObjects returns the page of a collection's versions that q selects,
// without those TLP keeps from the collection's audience. Needs the right to
// read the collection (EFORBIDDEN); ENOTFOUND for an unknown root or
// collection, and, when q.ObjectID is set, for an object the collection
// does not hold or whose every version TLP withholds.
func (s *Service) TAXIIObjects(ctx context.Context, actor accord.Actor, root string, q accord.CollectionQuery) (*accord.TAXIIPage, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	pg := &accord.TAXIIPage{}
	err := s.store.View(ctx, func(tx accord.Tx) error {
		*pg = accord.TAXIIPage{}
		c, err := taxiiCollection(tx, root, q.Collection)
		if err != nil {
			return err
		}
		if read, _ := c.Access(actor); !read {
			return accord.Errorf(accord.EFORBIDDEN, "you may not read collection %s", c.ID)
		}
		if c.MaxTLP == accord.TLPRed {
			q.NoObject = false // a TLP:RED object names its recipients inside
		}
		if q.ObjectID != "" {
			all := accord.CollectionQuery{Collection: c.ID, ObjectID: q.ObjectID, Versions: []string{"all"}, SpecVersions: []string{"2.0", "2.1"}, NoObject: q.NoObject}
			rows, _, err := collectionRows(tx, all)
			if err != nil {
				return err
			}
			if shown, err := serveable(tx, c, rows); err != nil {
				return err
			} else if len(shown) == 0 {
				return accord.Errorf(accord.ENOTFOUND, "object %s not found in collection %s", q.ObjectID, c.ID)
			}
		}
		rows, more, err := collectionRows(tx, q)
		if err != nil {
			return err
		}
		pg.More = more
		if len(rows) > 0 {
			pg.Last = rows[len(rows)-1].DateAdded
		}
		pg.Objects, err = serveable(tx, c, rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	return pg, nil
}

func collectionRows(tx accord.Tx, q accord.CollectionQuery) ([]*accord.CollectionObject, bool, error) {
	var rows []*accord.CollectionObject
	more, err := tx.CollectionObjects(q, func(o *accord.CollectionObject) error {
		rows = append(rows, o)
		return nil
	})
	return rows, more, err
}

// serveable returns the rows that collection c may serve, in order: each
// under the most restrictive of the TLP it joined under, its own marking
// and its cases' TLPs (see accord.TAXIICollection.Serves).
func serveable(tx accord.Tx, c *accord.TAXIICollection, rows []*accord.CollectionObject) ([]*accord.CollectionObject, error) {
	if len(rows) == 0 {
		return rows, nil
	}
	seen := map[string]bool{}
	var ids []string
	for _, o := range rows {
		if !seen[o.ID] {
			seen[o.ID] = true
			ids = append(ids, o.ID)
		}
	}
	caseTLP, err := tx.ObjectCaseTLPs(ids)
	if err != nil {
		return nil, err
	}
	out := rows[:0:0]
	for _, o := range rows {
		t := EffectiveTLP(o, caseTLP[o.ID])
		var recipients []string
		if t == accord.TLPRed {
			recipients = recipientsOf(o.Object) // read only where they matter
		}
		if c.Serves(t, recipients) {
			out = append(out, o)
		}
	}
	return out, nil
}

// EffectiveTLP is the TLP a collection version is served under: the most
// restrictive of the TLP it joined under, its own marking and caseTLP (the
// most restrictive TLP of its cases; "" when it is in none).
func EffectiveTLP(o *accord.CollectionObject, caseTLP accord.TLP) accord.TLP {
	t := o.TLP
	if o.OwnTLP != "" {
		t = accord.Stricter(t, o.OwnTLP)
	}
	if caseTLP != "" {
		t = accord.Stricter(t, caseTLP)
	}
	return t
}

// recipientsOf returns the party ids an object names in
// accord.RecipientsProperty; nil when it names none or cannot be read.
func recipientsOf(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var v map[string]json.RawMessage
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	if json.Unmarshal(v[accord.RecipientsProperty], &out) != nil {
		return nil
	}
	return out
}

// TAXIIAddObjects adds the objects of an envelope to a collection in one
// transaction, each on its own: an object that does not parse or validate,
// whose TLP the collection may not carry, or that differs from the object
// held under its id and version, is a failure with its reason; the others
// are stored (those held already, unchanged, are successes too) and join
// the collection, and the returned status resource, which is stored, lists
// each. A version without a TLP marking of its own is shared under the
// collection's TLP ceiling. Needs the right to write the collection
// (EFORBIDDEN); ENOTFOUND for an unknown root or collection.
func (s *Service) TAXIIAddObjects(ctx context.Context, actor accord.Actor, root, collection string, raws []json.RawMessage) (*accord.TAXIIStatus, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	now := s.Now()
	st := &accord.TAXIIStatus{ID: uuid.NewString(), APIRoot: root, Status: "complete", RequestTimestamp: now, TotalCount: len(raws), CreatedBy: actor.Name}
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		st.Successes, st.Failures, st.Pendings = []accord.TAXIIStatusDetail{}, []accord.TAXIIStatusDetail{}, []accord.TAXIIStatusDetail{}
		c, err := taxiiCollection(tx, root, collection)
		if err != nil {
			return err
		}
		if _, write := c.Access(actor); !write {
			return accord.Errorf(accord.EFORBIDDEN, "you may not add objects to collection %s", c.ID)
		}
		type candidate struct {
			o   *stix.Object
			row *accord.IntelObject
			tlp accord.TLP
		}
		var cands []candidate
		var keys []accord.ObjectKey
		for i, raw := range raws {
			o, err := stix.Parse(raw)
			if err == nil {
				err = o.Validate()
			}
			if err != nil {
				id, version := headOf(raw)
				if id == "" {
					id = fmt.Sprintf("objects[%d]", i)
				}
				st.Failures = append(st.Failures, accord.TAXIIStatusDetail{ID: id, Version: version, Message: accord.ErrorMessage(firstReason(err))})
				continue
			}
			row := intelRow(o, now, "taxii:"+c.ID)
			t := row.TLP
			if t == "" {
				t = c.MaxTLP
			}
			if !c.Serves(t, recipientsOf(raw)) {
				st.Failures = append(st.Failures, accord.TAXIIStatusDetail{ID: row.ID, Version: row.Version,
					Message: fmt.Sprintf("TLP:%s is not shared with %s in this collection (at most TLP:%s; TLP:RED only for recipients named in %s)",
						upper(t), c.Audience, upper(c.MaxTLP), accord.RecipientsProperty)})
				continue
			}
			cands = append(cands, candidate{o, row, t})
			keys = append(keys, accord.ObjectKey{ID: row.ID, Version: row.Version})
		}
		held, err := tx.ObjectDigests(keys)
		if err != nil {
			return err
		}
		var add []*accord.IntelObject
		var obs []*accord.Observable
		var entries []*accord.CollectionEntry
		for i, cd := range cands {
			k := keys[i]
			msg := "added to collection " + c.ID
			if d, ok := held[k]; ok {
				if differs(tx, k, d, cd.row) {
					st.Failures = append(st.Failures, accord.TAXIIStatusDetail{ID: k.ID, Version: k.Version,
						Message: "another object with this id and version is held already; a changed object needs a new modified time"})
					continue
				}
				msg = "held already; in collection " + c.ID
			} else {
				held[k] = cd.row.Digest
				add = append(add, cd.row)
				for _, ob := range observablesOf(cd.o) {
					obs = append(obs, &ob)
				}
			}
			st.Successes = append(st.Successes, accord.TAXIIStatusDetail{ID: k.ID, Version: k.Version, Message: msg})
			entries = append(entries, &accord.CollectionEntry{Object: k, DateAdded: now, TLP: cd.tlp})
		}
		if err := tx.AddObjects(add); err != nil {
			return err
		}
		if err := tx.AddObservables(obs); err != nil {
			return err
		}
		if err := tx.AddCollectionObjects(c.ID, entries); err != nil {
			return err
		}
		return tx.CreateStatus(st)
	})
	if err != nil {
		return nil, fmt.Errorf("add objects to collection %s: %w", collection, err)
	}
	s.log.Info("TAXII objects added", "collection", collection, "status", st.ID, "objects", st.TotalCount,
		"successes", len(st.Successes), "failures", len(st.Failures), "by", actor.Name)
	return st, nil
}

// sameContent reports whether the stored version k is the same JSON as
// raw, but for white space and member order (RFC 8785 canonical forms).
func upper(t accord.TLP) string {
	b := []byte(t)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// headOf returns the id and version of an object that did not parse, as
// far as they can be read.
func headOf(raw json.RawMessage) (id, version string) {
	var h struct{ ID, Modified, Created any }
	if json.Unmarshal(raw, &h) != nil {
		return "", ""
	}
	id, _ = h.ID.(string)
	if version, _ = h.Modified.(string); version == "" {
		version, _ = h.Created.(string)
	}
	return id, version
}

// TAXIIStatus returns a status resource of an API root, to the user who
// made the request or an admin (to anyone else it does not exist:
// ENOTFOUND). Needs PermRead.
func (s *Service) TAXIIStatus(ctx context.Context, actor accord.Actor, root, id string) (*accord.TAXIIStatus, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var st *accord.TAXIIStatus
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		if _, err := tx.APIRoot(root); err != nil {
			return err
		}
		st, err = tx.Status(root, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if st.CreatedBy != actor.Name && actor.Role != accord.RoleAdmin {
		return nil, accord.Errorf(accord.ENOTFOUND, "status %s not found", id)
	}
	return st, nil
}
