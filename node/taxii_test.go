package node_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// tlpIDs are the TLP marking definitions by level, as the FIRST and OASIS
// publications fix them (TLP 1.0 white is TLP 2.0 clear), written out here
// rather than taken from package stix so that the test checks the node
// against the publications.
var tlpIDs = map[string]accord.TLP{
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": accord.TLPClear,
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": accord.TLPGreen,
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": accord.TLPAmber,
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": accord.TLPAmberStrict,
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": accord.TLPRed,
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": accord.TLPClear,
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": accord.TLPGreen,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": accord.TLPAmber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": accord.TLPRed,
}

var rankOf = map[accord.TLP]int{accord.TLPClear: 0, accord.TLPGreen: 1, accord.TLPAmber: 2, accord.TLPAmberStrict: 3, accord.TLPRed: 4}

// entitled is the TLP 2.0 rule of the issue, written independently of the
// code under test: may an audience ("community" or a party id) reading a
// collection of ceiling max see information marked t, naming recipients?
// RED only to named recipients, AMBER+STRICT and AMBER only to a recipient
// organisation (a peer), GREEN and CLEAR to the community.
func entitled(t accord.TLP, audience string, max accord.TLP, recipients []string) bool {
	r, ok := rankOf[t]
	if !ok || r > rankOf[max] {
		return false
	}
	switch {
	case r <= rankOf[accord.TLPGreen]:
		return true
	case audience == accord.AudienceCommunity:
		return false
	case t == accord.TLPRed:
		return slices.Contains(recipients, audience)
	}
	return true
}

// tlpObject is a generated object and what the oracle knows of it.
type tlpObject struct {
	raw        json.RawMessage
	id         string
	own        accord.TLP // "" for none
	recipients []string
	cases      []string
}

func randomTLPObject(r *rand.Rand, i int) *tlpObject {
	o := &tlpObject{id: fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", r.Uint32(), i)}
	m := map[string]any{"type": "indicator", "spec_version": "2.1", "id": o.id, "created": "2026-01-01T00:00:00.000Z",
		"modified": "2026-01-01T00:00:00.000Z", "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}
	ids := make([]string, 0, len(tlpIDs))
	for id := range tlpIDs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var refs []string
	for n := r.IntN(3); n > 0; n-- { // none, one or two markings
		refs = append(refs, ids[r.IntN(len(ids))])
	}
	if len(refs) > 0 {
		m["object_marking_refs"] = refs
		for _, ref := range refs {
			if t := tlpIDs[ref]; o.own == "" || rankOf[t] > rankOf[o.own] {
				o.own = t
			}
		}
	}
	for _, p := range []string{"cncert", "jpcert", "kisa"} {
		if r.IntN(3) == 0 {
			o.recipients = append(o.recipients, p)
		}
	}
	if len(o.recipients) > 0 {
		m[accord.RecipientsProperty] = o.recipients
	}
	o.raw, _ = json.Marshal(m)
	return o
}

// TestTAXIITLPProperty generates random objects (TLP 1.0 and 2.0
// markings, none, several; named recipients; cases of random TLPs, some
// made stricter after the objects were shared) and random collections (the
// community and two peers, every ceiling), shares the objects both through
// TAXII POST and straight into the store (as a buggy or older writer
// might, under any TLP), and checks that no collection serves an object
// version to an audience the TLP rule does not entitle, on every read path.
func TestTAXIITLPProperty(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { tlpProperty(t, seed) })
	}
}

func tlpProperty(t *testing.T, seed uint64) {
	f := newFixture(t)
	ctx := f.ctx
	r := rand.New(rand.NewPCG(seed, 42))
	writer, token, err := f.svc.AddUser(ctx, admin, "writer", accord.RoleAnalyst)
	if err != nil {
		t.Fatal(err)
	}
	_ = token
	w := accord.Actor{Name: writer.Name, Role: writer.Role}
	if _, err := f.svc.CreateTAXIIAPIRoot(ctx, admin, accord.TAXIIAPIRoot{ID: "accord", Default: true}); err != nil {
		t.Fatal(err)
	}
	var colls []*accord.TAXIICollection
	for _, aud := range []string{accord.AudienceCommunity, "cncert", "jpcert"} {
		for _, max := range accord.TLPs {
			if aud == accord.AudienceCommunity && rankOf[max] > rankOf[accord.TLPGreen] {
				continue
			}
			c, err := f.svc.CreateTAXIICollection(ctx, admin, accord.TAXIICollection{APIRoot: "accord", Title: aud + " " + string(max), Audience: aud, MaxTLP: max,
				Grants: []accord.TAXIIGrant{{User: "writer", Read: true, Write: true}}})
			if err != nil {
				t.Fatal(err)
			}
			colls = append(colls, c)
		}
	}
	// Cases of random TLPs.
	caseTLP := map[string]accord.TLP{}
	var caseIDs []string
	for i := 0; i < 4; i++ {
		c, err := f.svc.CreateCase(ctx, analyst, node.NewCase{Title: fmt.Sprint("case ", i), Category: "intrusions", TLP: accord.TLPs[r.IntN(len(accord.TLPs))]})
		if err != nil {
			t.Fatal(err)
		}
		caseIDs = append(caseIDs, c.ID)
		caseTLP[c.ID] = c.TLP
	}
	objs := map[string]*tlpObject{}
	shared := map[string]accord.TLP{} // collection id + object id → TLP it joined under (store path)
	for i := 0; i < 80; i++ {
		o := randomTLPObject(r, i)
		objs[o.id] = o
		for _, cid := range caseIDs {
			if r.IntN(4) == 0 {
				o.cases = append(o.cases, cid)
			}
		}
		if len(o.cases) > 0 {
			err := f.store.Update(ctx, func(tx accord.Tx) error {
				sum := sha256.Sum256(o.raw)
				row := &accord.IntelObject{ID: o.id, Type: "indicator", Version: "2026-01-01T00:00:00.000Z", SpecVersion: "2.1", TLP: o.own,
					AddedAt: f.clock.Now(), Source: "test", Digest: hex.EncodeToString(sum[:]), Object: o.raw}
				if err := tx.AddObjects([]*accord.IntelObject{row}); err != nil {
					return err
				}
				for _, cid := range o.cases {
					if err := tx.LinkObjects(cid, []string{o.id}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		c := colls[r.IntN(len(colls))]
		if r.IntN(2) == 0 {
			// Through TAXII: refused ones must be failures.
			st, err := f.svc.TAXIIAddObjects(ctx, w, "accord", c.ID, []json.RawMessage{o.raw})
			if err != nil {
				t.Fatal(err)
			}
			joined := o.own
			if joined == "" {
				joined = c.MaxTLP
			}
			if ok := len(st.Successes) == 1; ok && !entitled(joined, c.Audience, c.MaxTLP, o.recipients) {
				t.Errorf("POST of %s (own %q, recipients %v) to %s/%s succeeded", o.id, o.own, o.recipients, c.Audience, c.MaxTLP)
			}
			if len(st.Successes) == 1 {
				shared[c.ID+" "+o.id] = joined
			}
		} else {
			// Straight into the store, under any TLP at all.
			joined := accord.TLPs[r.IntN(len(accord.TLPs))]
			err := f.store.Update(ctx, func(tx accord.Tx) error {
				if len(o.cases) == 0 {
					sum := sha256.Sum256(o.raw)
					row := &accord.IntelObject{ID: o.id, Type: "indicator", Version: "2026-01-01T00:00:00.000Z", SpecVersion: "2.1", TLP: o.own,
						AddedAt: f.clock.Now(), Source: "test", Digest: hex.EncodeToString(sum[:]), Object: o.raw}
					if err := tx.AddObjects([]*accord.IntelObject{row}); err != nil {
						return err
					}
				}
				return tx.AddCollectionObjects(c.ID, []*accord.CollectionEntry{{Object: accord.ObjectKey{ID: o.id, Version: "2026-01-01T00:00:00.000Z"}, DateAdded: f.clock.Now(), TLP: joined}})
			})
			if err != nil {
				t.Fatal(err)
			}
			shared[c.ID+" "+o.id] = joined
		}
		f.clock.Advance(time.Second)
	}
	// Some cases become stricter after their objects were shared.
	for _, cid := range caseIDs {
		if r.IntN(2) == 0 {
			err := f.store.Update(ctx, func(tx accord.Tx) error {
				c, err := tx.Case(cid)
				if err != nil {
					return err
				}
				c.TLP = accord.TLPRed
				caseTLP[cid] = c.TLP
				return tx.UpdateCase(c)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	// The oracle: the object's own marking, else its cases' most
	// restrictive, else what it was shared under.
	oracle := func(c *accord.TAXIICollection, o *tlpObject) bool {
		t := o.own
		if t == "" {
			for _, cid := range o.cases {
				if t == "" || rankOf[caseTLP[cid]] > rankOf[t] {
					t = caseTLP[cid]
				}
			}
		}
		if t == "" {
			t = shared[c.ID+" "+o.id]
		}
		return entitled(t, c.Audience, c.MaxTLP, o.recipients)
	}
	served, servedRed := 0, 0
	for _, c := range colls {
		for _, q := range []accord.CollectionQuery{
			{Versions: []string{"last"}},
			{Versions: []string{"all"}, SpecVersions: []string{"2.0", "2.1"}},
			{Versions: []string{"first"}, NoObject: true},
			{Versions: []string{"all"}, Limit: 3},
		} {
			q.Collection = c.ID
			for {
				pg, err := f.svc.TAXIIObjects(ctx, w, "accord", q)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range pg.Objects {
					served++
					o := objs[v.ID]
					if node.EffectiveTLP(v, "") == accord.TLPRed || o.own == accord.TLPRed {
						servedRed++
					}
					if !oracle(c, o) {
						t.Errorf("collection %s (audience %s, at most %s) served %s: own %q, cases %v, recipients %v, shared under %q",
							c.Title, c.Audience, c.MaxTLP, o.id, o.own, o.cases, o.recipients, shared[c.ID+" "+o.id])
					}
					// The one-object path too.
					one, err := f.svc.TAXIIObjects(ctx, w, "accord", accord.CollectionQuery{Collection: c.ID, ObjectID: v.ID, Versions: []string{"last"}})
					if err != nil || len(one.Objects) != 1 {
						t.Errorf("object %s listed in %s but not served alone: %v", v.ID, c.Title, err)
					}
				}
				if !pg.More {
					break
				}
				q.After = pg.Last
			}
		}
		// Objects withheld are not found alone either.
		for key := range shared {
			var cid, oid string
			fmt.Sscan(key, &cid, &oid)
			if cid != c.ID || oracle(c, objs[oid]) {
				continue
			}
			pg, err := f.svc.TAXIIObjects(ctx, w, "accord", accord.CollectionQuery{Collection: c.ID, ObjectID: oid, Versions: []string{"all"}})
			if accord.ErrorCode(err) != accord.ENOTFOUND && (err != nil || len(pg.Objects) > 0) {
				t.Errorf("%s, withheld from %s, served alone: %v, %d versions", oid, c.Title, err, len(pg.Objects))
			}
		}
	}
	if served == 0 {
		t.Error("no object was served at all: the property holds vacuously")
	}
	t.Logf("%d versions served, %d of them TLP:RED to a named recipient", served, servedRed)
}

// TestTAXIIAccess: grants, not roles, open a collection; an unknown one is
// not found.
func TestTAXIIAccess(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.CreateTAXIIAPIRoot(ctx, admin, accord.TAXIIAPIRoot{ID: "accord"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.CreateTAXIICollection(ctx, admin, accord.TAXIICollection{APIRoot: "accord", Title: "jpcert green", Audience: "jpcert", MaxTLP: accord.TLPGreen,
		Grants: []accord.TAXIIGrant{{Role: accord.RoleReviewer, Read: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.TAXIIObjects(ctx, reviewer, "accord", accord.CollectionQuery{Collection: c.ID}); err != nil {
		t.Errorf("TAXIIObjects by a reviewer granted read: %v", err)
	}
	if _, err := f.svc.TAXIIObjects(ctx, admin, "accord", accord.CollectionQuery{Collection: c.ID}); accord.ErrorCode(err) != accord.EFORBIDDEN {
		t.Errorf("TAXIIObjects by an admin without a grant: %v, want forbidden", err)
	}
	if _, err := f.svc.TAXIIAddObjects(ctx, reviewer, "accord", c.ID, nil); accord.ErrorCode(err) != accord.EFORBIDDEN {
		t.Errorf("TAXIIAddObjects by a reader: %v, want forbidden", err)
	}
	if _, err := f.svc.TAXIIObjects(ctx, reviewer, "other", accord.CollectionQuery{Collection: c.ID}); accord.ErrorCode(err) != accord.ENOTFOUND {
		t.Errorf("TAXIIObjects under another root: %v, want not found", err)
	}
	for _, bad := range []accord.TAXIICollection{
		{APIRoot: "accord", Title: "x", Audience: accord.AudienceCommunity, MaxTLP: accord.TLPAmber},
		{APIRoot: "accord", Title: "x", Audience: "nobody", MaxTLP: accord.TLPGreen},
		{APIRoot: "nope", Title: "x", Audience: "jpcert", MaxTLP: accord.TLPGreen},
	} {
		if _, err := f.svc.CreateTAXIICollection(ctx, admin, bad); accord.ErrorCode(err) != accord.EINVALID {
			t.Errorf("CreateTAXIICollection(%+v) = %v, want invalid", bad, err)
		}
	}
	if _, err := f.svc.CreateTAXIICollection(ctx, analyst, accord.TAXIICollection{APIRoot: "accord", Title: "x", Audience: "jpcert", MaxTLP: accord.TLPGreen}); accord.ErrorCode(err) != accord.EFORBIDDEN {
		t.Errorf("CreateTAXIICollection by an analyst = %v, want forbidden", err)
	}
}
