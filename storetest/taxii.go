package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

func taxiiTests() []test {
	return []test{
		{"RootsAndCollections", testTAXIIRootsAndCollections},
		{"Refusals", testTAXIIRefusals},
		{"DatesStrictlyIncrease", testTAXIIDates},
		{"Filters", testTAXIIFilters},
		{"Paging", testTAXIIPaging},
		{"CaseTLPs", testTAXIICaseTLPs},
		{"Status", testTAXIIStatus},
	}
}

const (
	taxiiRoot = "trustgroup1"
	taxiiColl = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
)

func newAPIRoot(id string, def bool) *accord.TAXIIAPIRoot {
	return &accord.TAXIIAPIRoot{ID: id, Title: "Root «" + id + "»", Description: "for tests", MaxContentLength: 9765625, Default: def, CreatedAt: at(0)}
}

func newCollection(id string) *accord.TAXIICollection {
	return &accord.TAXIICollection{ID: id, APIRoot: taxiiRoot, Title: "Collection " + id, Description: "d", Alias: "alias-" + id[:4],
		Audience: peer, MaxTLP: accord.TLPAmberStrict, MediaTypes: []string{"application/stix+json;version=2.1"},
		Grants: []accord.TAXIIGrant{{User: "alice", Read: true, Write: true}, {Role: accord.RoleReviewer, Read: true}}, CreatedAt: elsewhere(at(time.Hour))}
}

// stixVersion returns an object version whose JSON has the given modified
// time (none when modified is "") and spec_version (none when "").
func stixVersion(id, modified, spec string) *accord.IntelObject {
	m := map[string]any{"type": stixType(id), "id": id, "created": "2014-01-01T00:00:00.000Z"}
	version := "2014-01-01T00:00:00.000Z"
	if modified != "" {
		m["modified"] = modified
		version = modified
	}
	if spec != "" {
		m["spec_version"] = spec
	}
	obj, _ := json.Marshal(m)
	sum := sha256.Sum256(obj)
	return &accord.IntelObject{ID: id, Type: stixType(id), Version: version, SpecVersion: spec, AddedAt: at(0),
		Source: "taxii:test", Digest: hex.EncodeToString(sum[:]), Object: obj}
}

func stixType(id string) string {
	for i := 0; i+1 < len(id); i++ {
		if id[i] == '-' && id[i+1] == '-' {
			return id[:i]
		}
	}
	return id
}

// seedTAXII stores seed data, the API root, collection taxiiColl and the
// given object versions, and puts those in the collection in order, a day
// apart from at(0).
func seedTAXII(t *testing.T, s accord.Store, objs ...*accord.IntelObject) []*accord.CollectionEntry {
	t.Helper()
	seed(t, s)
	var es []*accord.CollectionEntry
	for i, o := range objs {
		es = append(es, &accord.CollectionEntry{Object: accord.ObjectKey{ID: o.ID, Version: o.Version}, DateAdded: at(time.Duration(i) * 24 * time.Hour), TLP: accord.TLPGreen})
	}
	update(t, s, func(tx accord.Tx) error {
		if err := tx.CreateAPIRoot(newAPIRoot(taxiiRoot, true)); err != nil {
			return err
		}
		if err := tx.CreateCollection(newCollection(taxiiColl)); err != nil {
			return err
		}
		if err := tx.AddObjects(objs); err != nil {
			return err
		}
		return tx.AddCollectionObjects(taxiiColl, es)
	})
	return es
}

func testTAXIIRootsAndCollections(t *testing.T, s accord.Store) {
	seed(t, s)
	roots := []*accord.TAXIIAPIRoot{newAPIRoot("api1", false), newAPIRoot(taxiiRoot, true)}
	c1, c2 := newCollection(taxiiColl), newCollection("52892447-4d7e-4f70-b94d-d7f22742ff63")
	c2.Alias, c2.Grants, c2.MediaTypes, c2.Audience, c2.MaxTLP = "", []accord.TAXIIGrant{}, []string{}, accord.AudienceCommunity, accord.TLPGreen
	update(t, s, func(tx accord.Tx) error {
		for _, r := range []*accord.TAXIIAPIRoot{roots[1], roots[0]} {
			if err := tx.CreateAPIRoot(r); err != nil {
				return err
			}
		}
		for _, c := range []*accord.TAXIICollection{c1, c2} {
			if err := tx.CreateCollection(c); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.APIRoots()
		if err != nil {
			return err
		}
		checkDiff(t, "APIRoots", roots, got)
		r, err := tx.APIRoot(taxiiRoot)
		if err != nil {
			return err
		}
		checkDiff(t, "APIRoot", roots[1], r)
		checkUTC(t, "APIRoot", r)
		cs, err := tx.Collections(taxiiRoot)
		if err != nil {
			return err
		}
		// Ordered by id: 52892447… before 91a7b528….
		checkDiff(t, "Collections", []*accord.TAXIICollection{c2, c1}, cs)
		c, err := tx.Collection(taxiiColl)
		if err != nil {
			return err
		}
		checkDiff(t, "Collection", c1, c)
		checkUTC(t, "Collection", c)
		none, err := tx.Collections("api1")
		checkEmpty(t, "Collections of an empty root", none)
		return err
	})
	checkCode(t, "APIRoot(absent)", tryView(s, func(tx accord.Tx) error { _, err := tx.APIRoot("api9"); return err }), accord.ENOTFOUND)
	checkCode(t, "Collection(absent)", tryView(s, func(tx accord.Tx) error { _, err := tx.Collection("nope"); return err }), accord.ENOTFOUND)
	checkCode(t, "Status(absent)", tryView(s, func(tx accord.Tx) error { _, err := tx.Status(taxiiRoot, "nope"); return err }), accord.ENOTFOUND)
}

func testTAXIIRefusals(t *testing.T, s accord.Store) {
	seedTAXII(t, s)
	checkCode(t, "CreateAPIRoot(same id)", tryUpdate(s, func(tx accord.Tx) error { return tx.CreateAPIRoot(newAPIRoot(taxiiRoot, false)) }), accord.ECONFLICT)
	checkCode(t, "CreateAPIRoot(second default)", tryUpdate(s, func(tx accord.Tx) error { return tx.CreateAPIRoot(newAPIRoot("api2", true)) }), accord.ECONFLICT)
	checkCode(t, "CreateCollection(same id)", tryUpdate(s, func(tx accord.Tx) error { return tx.CreateCollection(newCollection(taxiiColl)) }), accord.ECONFLICT)
	orphan := newCollection("365fed99-08fa-fdcd-a1b3-fb247eb41d01")
	orphan.APIRoot = "api9"
	checkCode(t, "CreateCollection(unknown root)", tryUpdate(s, func(tx accord.Tx) error { return tx.CreateCollection(orphan) }), accord.EINVALID)
	open := newCollection("472c94ae-3113-4e3e-a4dd-a9f4ac7471d4")
	open.Audience, open.MaxTLP = accord.AudienceCommunity, accord.TLPAmber
	checkCode(t, "CreateCollection(amber for the community)", tryUpdate(s, func(tx accord.Tx) error { return tx.CreateCollection(open) }), accord.EINVALID)
	view(t, s, func(tx accord.Tx) error {
		_, err := tx.Collection(open.ID)
		checkCode(t, "Collection after a refused create", err, accord.ENOTFOUND)
		return nil
	})
	absent := &accord.CollectionEntry{Object: accord.ObjectKey{ID: ind1, Version: "2030-01-01T00:00:00.000Z"}, TLP: accord.TLPGreen}
	checkCode(t, "AddCollectionObjects(unknown version)", tryUpdate(s, func(tx accord.Tx) error { return tx.AddCollectionObjects(taxiiColl, []*accord.CollectionEntry{absent}) }), accord.EINVALID)
	o := stixVersion(ind1, "2015-01-01T00:00:00.000Z", "2.1")
	err := tryUpdate(s, func(tx accord.Tx) error {
		if err := tx.AddObjects([]*accord.IntelObject{o}); err != nil {
			return err
		}
		return tx.AddCollectionObjects("absent", []*accord.CollectionEntry{{Object: accord.ObjectKey{ID: ind1, Version: o.Version}, TLP: accord.TLPGreen}})
	})
	checkCode(t, "AddCollectionObjects(unknown collection)", err, accord.EINVALID)
	ro := tryView(s, func(tx accord.Tx) error { return tx.CreateAPIRoot(newAPIRoot("api3", false)) })
	checkCode(t, "CreateAPIRoot in a View", ro, accord.EINTERNAL)
}

func testTAXIIDates(t *testing.T, s accord.Store) {
	a := stixVersion(ind1, "2015-01-01T00:00:00.000Z", "2.1")
	b := stixVersion(ind2, "2015-01-01T00:00:00.000Z", "2.1")
	c := stixVersion(ind1, "2016-01-01T00:00:00.000Z", "2.1")
	es := seedTAXII(t, s, a, b)
	if !es[1].DateAdded.Equal(at(24 * time.Hour)) {
		t.Errorf("DateAdded of the second entry = %v, want %v", es[1].DateAdded, at(24*time.Hour))
	}
	// A date before the collection's last, a tie, and a version held already.
	more := []*accord.CollectionEntry{
		{Object: accord.ObjectKey{ID: c.ID, Version: c.Version}, DateAdded: at(0), TLP: accord.TLPGreen},
		{Object: accord.ObjectKey{ID: a.ID, Version: a.Version}, DateAdded: at(72 * time.Hour), TLP: accord.TLPGreen},
	}
	update(t, s, func(tx accord.Tx) error {
		if err := tx.AddObjects([]*accord.IntelObject{c}); err != nil {
			return err
		}
		return tx.AddCollectionObjects(taxiiColl, more)
	})
	if want := at(24*time.Hour + time.Microsecond); !more[0].DateAdded.Equal(want) {
		t.Errorf("DateAdded of an entry dated before the last = %v, want %v (a microsecond after the last)", more[0].DateAdded, want)
	}
	if !more[1].DateAdded.IsZero() {
		t.Errorf("DateAdded of a version held already = %v, want zero (kept as it was)", more[1].DateAdded)
	}
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.ObjectsByKey([]accord.ObjectKey{{ID: a.ID, Version: a.Version}, {ID: a.ID, Version: "2031-01-01T00:00:00.000Z"}})
		if err != nil {
			return err
		}
		checkDiff(t, "ObjectsByKey", map[accord.ObjectKey]*accord.IntelObject{{ID: a.ID, Version: a.Version}: a}, got)
		return nil
	})
	var dates []time.Time
	view(t, s, func(tx accord.Tx) error {
		_, err := tx.CollectionObjects(accord.CollectionQuery{Collection: taxiiColl, Versions: []string{"all"}}, func(o *accord.CollectionObject) error {
			checkUTC(t, "CollectionObjects", o)
			dates = append(dates, o.DateAdded)
			return nil
		})
		return err
	})
	if len(dates) != 3 {
		t.Fatalf("CollectionObjects(all) returned %d versions, want 3", len(dates))
	}
	for i := 1; i < len(dates); i++ {
		if !dates[i].After(dates[i-1]) {
			t.Errorf("date_added %v after %v: not strictly increasing", dates[i], dates[i-1])
		}
	}
}

// taxiiFixture is medallion's collection 91a7b528 in its date_added order:
// indicator 6770 in three versions, malware c093 in 2.1 and then 2.0.
func taxiiFixture() []*accord.IntelObject {
	const rel, cd98, i677, mark, mal = "relationship--2f9a9aa9-108a-4333-83e2-4fb25add0463", "indicator--cd981c25-8042-4166-8945-51178443bdac",
		"indicator--6770298f-0fd8-471a-ab8c-1c658a46574e", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec"
	return []*accord.IntelObject{
		stixVersion(rel, "2014-05-08T09:00:00.000Z", "2.1"),
		stixVersion(cd98, "2014-05-08T09:00:00.000Z", "2.1"),
		stixVersion(i677, "2016-11-03T12:30:59.000Z", "2.1"),
		stixVersion(i677, "2016-12-25T12:30:59.444Z", "2.1"),
		stixVersion(mark, "", "2.1"),
		stixVersion(mal, "2017-01-27T13:49:53.997Z", "2.1"),
		stixVersion(mal, "2018-02-23T18:30:00.000Z", ""),
		stixVersion(i677, "2017-01-27T13:49:53.935Z", "2.1"),
	}
}

func listVersions(t *testing.T, s accord.Store, q accord.CollectionQuery) (got []string, more bool) {
	t.Helper()
	q.Collection = taxiiColl
	view(t, s, func(tx accord.Tx) error {
		var err error
		more, err = tx.CollectionObjects(q, func(o *accord.CollectionObject) error {
			got = append(got, fmt.Sprintf("%s %s %s", o.ID[:12], o.Version, o.SpecVersion))
			if q.NoObject != (len(o.Object) == 0) {
				t.Errorf("%s: Object %q with NoObject %v", o.ID, o.Object, q.NoObject)
			}
			return nil
		})
		return err
	})
	return got, more
}

func testTAXIIFilters(t *testing.T, s accord.Store) {
	seedTAXII(t, s, taxiiFixture()...)
	tcs := []struct {
		name string
		q    accord.CollectionQuery
		want []string
	}{
		{"last of the latest spec", accord.CollectionQuery{Versions: []string{"last"}}, []string{
			"relationship 2014-05-08T09:00:00.000Z 2.1", "indicator--c 2014-05-08T09:00:00.000Z 2.1", "marking-defi 2014-01-01T00:00:00.000Z 2.1",
			"malware--c09 2017-01-27T13:49:53.997Z 2.1", "indicator--6 2017-01-27T13:49:53.935Z 2.1"}},
		{"first", accord.CollectionQuery{Versions: []string{"first"}, Types: []string{"indicator"}}, []string{
			"indicator--c 2014-05-08T09:00:00.000Z 2.1", "indicator--6 2016-11-03T12:30:59.000Z 2.1"}},
		{"all of the latest spec", accord.CollectionQuery{Versions: []string{"all"}, IDs: []string{"malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec"}}, []string{
			"malware--c09 2017-01-27T13:49:53.997Z 2.1"}},
		{"last of 2.0 and 2.1", accord.CollectionQuery{Versions: []string{"last"}, SpecVersions: []string{"2.0", "2.1"}, Types: []string{"malware", "marking-definition"}}, []string{
			"marking-defi 2014-01-01T00:00:00.000Z 2.1", "malware--c09 2018-02-23T18:30:00.000Z 2.0"}},
		{"first of 2.0", accord.CollectionQuery{Versions: []string{"first"}, SpecVersions: []string{"2.0"}}, []string{
			"malware--c09 2018-02-23T18:30:00.000Z 2.0"}},
		{"a version key", accord.CollectionQuery{Versions: []string{accord.VersionKey(time.Date(2016, 12, 25, 12, 30, 59, 444e6, time.UTC))}}, []string{
			"indicator--6 2016-12-25T12:30:59.444Z 2.1"}},
		{"first and last of one object", accord.CollectionQuery{Versions: []string{"first", "last"}, ObjectID: "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e"}, []string{
			"indicator--6 2016-11-03T12:30:59.000Z 2.1", "indicator--6 2017-01-27T13:49:53.935Z 2.1"}},
		{"added after", accord.CollectionQuery{Versions: []string{"all"}, SpecVersions: []string{"2.0", "2.1"}, After: at(5 * 24 * time.Hour), NoObject: true}, []string{
			"malware--c09 2018-02-23T18:30:00.000Z 2.0", "indicator--6 2017-01-27T13:49:53.935Z 2.1"}},
	}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			got, more := listVersions(t, s, tc.q)
			checkDiff(t, "CollectionObjects", tc.want, got)
			if more {
				t.Error("CollectionObjects without a limit: more = true")
			}
		})
	}
}

func testTAXIIPaging(t *testing.T, s accord.Store) {
	es := seedTAXII(t, s, taxiiFixture()...)
	var all []string
	var after time.Time
	for page := 0; page < 5; page++ {
		var got []*accord.CollectionObject
		var more bool
		view(t, s, func(tx accord.Tx) error {
			var err error
			more, err = tx.CollectionObjects(accord.CollectionQuery{Collection: taxiiColl, Versions: []string{"all"}, SpecVersions: []string{"2.0", "2.1"}, After: after, Limit: 3},
				func(o *accord.CollectionObject) error { got = append(got, o); return nil })
			return err
		})
		for _, o := range got {
			all = append(all, o.ID+" "+o.Version)
		}
		if len(got) > 0 {
			after = got[len(got)-1].DateAdded
		}
		if wantMore := len(all) < 8; more != wantMore {
			t.Errorf("page %d: more = %v, want %v", page, more, wantMore)
		}
		if !more {
			break
		}
	}
	if len(all) != 8 {
		t.Fatalf("pages of 3 returned %d versions, want 8: %q", len(all), all)
	}
	for i, e := range es {
		if want := e.Object.ID + " " + e.Object.Version; all[i] != want {
			t.Errorf("version %d = %s, want %s (date_added order)", i, all[i], want)
		}
	}
}

func testTAXIICaseTLPs(t *testing.T, s accord.Store) {
	seed(t, s)
	update(t, s, func(tx accord.Tx) error {
		c := newCase(case2, at(time.Hour))
		c.TLP = accord.TLPRed
		if err := tx.UpdateCase(c); err != nil {
			return err
		}
		if err := tx.LinkObjects(case1, []string{ind1, ind2}); err != nil {
			return err
		}
		return tx.LinkObjects(case2, []string{ind2})
	})
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.ObjectCaseTLPs([]string{ind1, ind2, "indicator--00000000-0000-4000-8000-000000000000"})
		checkDiff(t, "ObjectCaseTLPs", map[string]accord.TLP{ind1: accord.TLPAmberStrict, ind2: accord.TLPRed}, got)
		return err
	})
}

func testTAXIIStatus(t *testing.T, s accord.Store) {
	seedTAXII(t, s)
	st := &accord.TAXIIStatus{ID: "2d086da7-4bdc-4f91-900e-d77486753710", APIRoot: taxiiRoot, Status: "pending", RequestTimestamp: elsewhere(at(time.Microsecond)), TotalCount: 4,
		Successes: []accord.TAXIIStatusDetail{{ID: ind1, Version: "2014-05-08T09:00:00.000Z", Message: "added «ok»"}},
		Failures:  []accord.TAXIIStatusDetail{{ID: ind2, Version: "2015-05-08T09:00:00.000Z", Message: "Unable to process object"}},
		Pendings:  []accord.TAXIIStatusDetail{{ID: ind1, Version: "2016-08-08T09:00:00.000Z"}, {ID: ind2, Version: "2016-06-08T09:00:00.000Z"}},
		CreatedBy: "alice"}
	update(t, s, func(tx accord.Tx) error { return tx.CreateStatus(st) })
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Status(taxiiRoot, st.ID)
		if err != nil {
			return err
		}
		checkDiff(t, "Status", st, got)
		checkUTC(t, "Status", got)
		_, err = tx.Status("api1", st.ID)
		checkCode(t, "Status(another root)", err, accord.ENOTFOUND)
		return nil
	})
	checkCode(t, "CreateStatus(same id)", tryUpdate(s, func(tx accord.Tx) error { return tx.CreateStatus(st) }), accord.ECONFLICT)
}
