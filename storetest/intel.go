package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

func intelTests() []test {
	return []test{
		{"RoundTrip", testIntelRoundTrip},
		{"Conflict", testIntelConflict},
		{"Links", testIntelLinks},
		{"Observables", testIntelObservables},
		{"Addresses", testIntelAddresses},
		{"Shared", testIntelShared},
	}
}

// newObject returns version v (an hour from at(0) per v) of an indicator,
// every field set; its JSON keeps spacing and a custom property, which a
// store must not rewrite.
func newObject(id string, v int) *accord.IntelObject {
	mod := at(time.Duration(v)*time.Hour + time.Microsecond)
	obj := json.RawMessage(fmt.Sprintf(`{"type": "indicator", "spec_version": "2.1", "id": %q, "created": "2025-03-14T09:26:53.589Z", "modified": %q, "x_accord_«v»": %d}`,
		id, mod.Format("2006-01-02T15:04:05.000Z"), v))
	sum := sha256.Sum256(obj)
	return &accord.IntelObject{ID: id, Type: "indicator", Version: mod.Format("2006-01-02T15:04:05.000Z"), SpecVersion: "2.1",
		TLP: accord.TLPGreen, AddedAt: elsewhere(mod.Add(time.Second)), Source: "stix:bundle «1».json", Digest: hex.EncodeToString(sum[:]), Object: obj}
}

func objectKeys(objs ...*accord.IntelObject) []accord.ObjectKey {
	var ks []accord.ObjectKey
	for _, o := range objs {
		ks = append(ks, accord.ObjectKey{ID: o.ID, Version: o.Version})
	}
	return ks
}

const (
	ind1 = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	ind2 = "indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1"
)

func testIntelRoundTrip(t *testing.T, s accord.Store) {
	seed(t, s)
	objs := []*accord.IntelObject{newObject(ind1, 1), newObject(ind2, 1), newObject(ind1, 2)}
	objs[2].TLP = ""
	update(t, s, func(tx accord.Tx) error {
		if err := tx.AddObjects(objs); err != nil {
			return err
		}
		return tx.LinkObjects(case1, []string{ind1, ind2})
	})
	var got []*accord.IntelObject
	var n int
	view(t, s, func(tx accord.Tx) error {
		if err := tx.CaseObjects(case1, func(o *accord.IntelObject) error { got = append(got, o); return nil }); err != nil {
			return err
		}
		var err error
		n, err = tx.CountCaseObjects(case1)
		return err
	})
	checkDiff(t, "CaseObjects", objs, got)
	for _, o := range got {
		checkUTC(t, "CaseObjects", o)
	}
	if n != 3 {
		t.Errorf("CountCaseObjects = %d, want 3", n)
	}
	view(t, s, func(tx accord.Tx) error {
		d, err := tx.ObjectDigests(append(objectKeys(objs...), accord.ObjectKey{ID: ind2, Version: "2030-01-01T00:00:00.000Z"}))
		if err != nil {
			return err
		}
		want := map[accord.ObjectKey]string{}
		for _, o := range objs {
			want[accord.ObjectKey{ID: o.ID, Version: o.Version}] = o.Digest
		}
		checkDiff(t, "ObjectDigests", want, d)
		return nil
	})
}

func testIntelConflict(t *testing.T, s accord.Store) {
	seed(t, s)
	a := newObject(ind1, 1)
	update(t, s, func(tx accord.Tx) error { return tx.AddObjects([]*accord.IntelObject{a}) })
	b := newObject(ind2, 1)
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddObjects([]*accord.IntelObject{b, a}) })
	checkCode(t, "AddObjects of a stored version", err, accord.ECONFLICT)
	bad := newObject(ind2, 2)
	bad.TLP = "purple"
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.AddObjects([]*accord.IntelObject{bad}) })
	checkCode(t, "AddObjects with an unknown TLP", err, accord.EINVALID)
	view(t, s, func(tx accord.Tx) error {
		d, err := tx.ObjectDigests(objectKeys(b, bad))
		if err == nil && len(d) != 0 {
			t.Errorf("versions of failed batches stored: %v", d)
		}
		return err
	})
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.LinkObjects("us-cert-C0404", []string{ind1}) })
	checkCode(t, "LinkObjects to a missing case", err, accord.EINVALID)
}

func testIntelLinks(t *testing.T, s accord.Store) {
	seed(t, s)
	update(t, s, func(tx accord.Tx) error {
		if err := tx.AddObjects([]*accord.IntelObject{newObject(ind1, 1), newObject(ind2, 1)}); err != nil {
			return err
		}
		// Twice, and into two cases: one link per case and object.
		for _, c := range []string{case1, case1, case2} {
			if err := tx.LinkObjects(c, []string{ind1}); err != nil {
				return err
			}
		}
		return tx.LinkObjects(case2, []string{ind2})
	})
	for c, want := range map[string]int{case1: 1, case2: 2} {
		view(t, s, func(tx accord.Tx) error {
			n, err := tx.CountCaseObjects(c)
			if n != want {
				t.Errorf("CountCaseObjects(%s) = %d, want %d", c, n, want)
			}
			return err
		})
	}
}

func ipObs(kind accord.ObservableKind, s, object string) *accord.Observable {
	p := netip.MustParsePrefix(s)
	a := p.Addr().As16()
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	return &accord.Observable{Kind: kind, Value: s, ObjectID: object, Addr: a[:], Bits: bits}
}

func testIntelObservables(t *testing.T, s accord.Store) {
	seed(t, s)
	obs := []*accord.Observable{
		{Kind: accord.ObsDomain, Value: "c2.example.net", ObjectID: ind1},
		{Kind: accord.ObsDomain, Value: "c2.example.net", ObjectID: ind2},
		{Kind: accord.ObsSHA256, Value: "ab", ObjectID: ind2},
	}
	update(t, s, func(tx accord.Tx) error {
		if err := tx.AddObservables(obs); err != nil {
			return err
		}
		if err := tx.AddObservables(obs[:1]); err != nil { // again: kept once
			return err
		}
		if err := tx.AddObjects([]*accord.IntelObject{newObject(ind1, 1), newObject(ind2, 1)}); err != nil {
			return err
		}
		if err := tx.LinkObjects(case1, []string{ind1}); err != nil {
			return err
		}
		return tx.LinkObjects(case2, []string{ind2})
	})
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.ObservableCases([]accord.Observable{{Kind: accord.ObsDomain, Value: "c2.example.net"}, {Kind: accord.ObsURL, Value: "c2.example.net"}})
		if err != nil {
			return err
		}
		want := []accord.ObservableHit{{Observable: *obs[0], CaseID: case1}, {Observable: *obs[1], CaseID: case2}}
		checkDiff(t, "ObservableCases", want, got)
		none, err := tx.ObservableCases(nil)
		if err != nil || none == nil || len(none) != 0 {
			t.Errorf("ObservableCases(nil) = %v, %v; want an empty slice", none, err)
		}
		return nil
	})
	err := tryUpdate(s, func(tx accord.Tx) error {
		return tx.AddObservables([]*accord.Observable{{Kind: "phone", Value: "+1", ObjectID: ind1}})
	})
	checkCode(t, "AddObservables of an unknown kind", err, accord.EINVALID)
}

func testIntelAddresses(t *testing.T, s accord.Store) {
	seed(t, s)
	in := []*accord.Observable{
		ipObs(accord.ObsIP, "198.51.100.7/32", ind1),
		ipObs(accord.ObsCIDR, "198.51.100.0/28", ind2),
		ipObs(accord.ObsIP, "198.51.101.1/32", ind2),
		ipObs(accord.ObsIP, "2001:db8::1/128", ind1),
	}
	update(t, s, func(tx accord.Tx) error {
		if err := tx.AddObservables(in); err != nil {
			return err
		}
		if err := tx.AddObjects([]*accord.IntelObject{newObject(ind1, 1), newObject(ind2, 1)}); err != nil {
			return err
		}
		if err := tx.LinkObjects(case1, []string{ind1}); err != nil {
			return err
		}
		return tx.LinkObjects(case2, []string{ind2})
	})
	// What lies in 198.51.100.0/24 with a prefix of /24 or longer.
	p := netip.MustParsePrefix("198.51.100.0/24")
	lo := p.Addr().As16()
	hiAddr := netip.MustParseAddr("198.51.100.255").As16()
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.AddressCases(lo[:], hiAddr[:], 96+24)
		if err != nil {
			return err
		}
		want := []accord.ObservableHit{{Observable: *in[1], CaseID: case2}, {Observable: *in[0], CaseID: case1}}
		checkDiff(t, "AddressCases", want, got)
		return nil
	})
}

// testIntelShared: what messages carried is recorded once per message and
// version, read back per request, and what peers shared is found by the
// observable lookups as hits with the peer and the request.
func testIntelShared(t *testing.T, s accord.Store) {
	seed(t, s)
	const req = "cncert-R0001"
	m1 := newMessage(messageID(peer, 1), accord.KindNotification, peer, self, req, 1)
	m2 := newMessage(messageID(self, 1), accord.KindNotification, self, peer, req, 1)
	o1, o2 := newObject(ind1, 1), newObject(ind2, 1)
	in := []*accord.SharedObject{
		{MessageID: m1.ID, RequestID: req, Peer: peer, Direction: accord.SharedIn, ObjectID: ind1, Version: o1.Version, Type: "indicator", At: elsewhere(at(time.Minute))},
		{MessageID: m1.ID, RequestID: req, Peer: peer, Direction: accord.SharedIn, ObjectID: ind2, Version: o2.Version, Type: "indicator", At: at(time.Minute)},
	}
	out := &accord.SharedObject{MessageID: m2.ID, RequestID: req, Peer: peer, Direction: accord.SharedOut, ObjectID: ind1, Version: o1.Version, Type: "indicator", At: at(2 * time.Minute)}
	obs := []*accord.Observable{{Kind: accord.ObsDomain, Value: "c2.example.net", ObjectID: ind1}, ipObs(accord.ObsIP, "198.51.100.7/32", ind2)}
	update(t, s, func(tx accord.Tx) error {
		if err := tx.AddMessages([]*accord.Message{m1, m2}); err != nil {
			return err
		}
		if err := tx.AddObjects([]*accord.IntelObject{o1, o2}); err != nil {
			return err
		}
		if err := tx.AddObservables(obs); err != nil {
			return err
		}
		if err := tx.LinkObjects(case1, []string{ind1}); err != nil {
			return err
		}
		return tx.AddSharedObjects(append(in, out))
	})
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.SharedObjects(req)
		if err != nil {
			return err
		}
		// By time, message and object id (ind2 sorts before ind1).
		first := *in[0]
		first.At = at(time.Minute)
		want := []*accord.SharedObject{in[1], &first, out}
		checkDiff(t, "SharedObjects", want, got)
		none, err := tx.SharedObjects("cncert-R0404")
		if err != nil || none == nil || len(none) != 0 {
			t.Errorf("SharedObjects of another request = %v, %v; want an empty slice", none, err)
		}
		hits, err := tx.ObservableCases([]accord.Observable{{Kind: accord.ObsDomain, Value: "c2.example.net"}})
		if err != nil {
			return err
		}
		// Held in case1, and shared in by the peer; what was shared out is not a hit.
		wantHits := []accord.ObservableHit{{Observable: *obs[0], CaseID: case1}, {Observable: *obs[0], Peer: peer, RequestID: req}}
		checkDiff(t, "ObservableCases", wantHits, hits)
		lo, hi := netip.MustParseAddr("198.51.100.0").As16(), netip.MustParseAddr("198.51.100.255").As16()
		addr, err := tx.AddressCases(lo[:], hi[:], 96+24)
		if err != nil {
			return err
		}
		checkDiff(t, "AddressCases", []accord.ObservableHit{{Observable: *obs[1], Peer: peer, RequestID: req}}, addr)
		// The domain went out and came in (ind1): correlated; the address
		// came in only, and no case holds it: not. The domain also sits in
		// case1, but by the very object that came in, which does not count.
		st, err := tx.SharedStats(at(0), at(3*time.Minute))
		if err != nil {
			return err
		}
		checkDiff(t, "SharedStats of everything", accord.SharedStats{ObjectsOut: 1, ObjectsIn: 2, Observables: 2, Correlated: 1}, st)
		st, err = tx.SharedStats(at(2*time.Minute), at(3*time.Minute))
		if err != nil {
			return err
		}
		checkDiff(t, "SharedStats of the last minute", accord.SharedStats{ObjectsOut: 1, Observables: 1, Correlated: 1}, st)
		st, err = tx.SharedStats(at(time.Hour), at(2*time.Hour))
		if err != nil {
			return err
		}
		checkDiff(t, "SharedStats of an empty period", accord.SharedStats{}, st)
		return nil
	})
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddSharedObjects(in[:1]) })
	checkCode(t, "AddSharedObjects of a recorded (message, object, version)", err, accord.ECONFLICT)
	err = tryUpdate(s, func(tx accord.Tx) error {
		return tx.AddSharedObjects([]*accord.SharedObject{{MessageID: m1.ID, RequestID: req, Peer: peer, Direction: accord.SharedIn, ObjectID: ind1, Version: "1999-01-01T00:00:00.000Z", Type: "indicator", At: at(0)}})
	})
	checkCode(t, "AddSharedObjects of a version not stored", err, accord.EINVALID)
	err = tryUpdate(s, func(tx accord.Tx) error {
		return tx.AddSharedObjects([]*accord.SharedObject{{MessageID: "no-such-message", RequestID: req, Peer: peer, Direction: accord.SharedIn, ObjectID: ind1, Version: o1.Version, Type: "indicator", At: at(0)}})
	})
	checkCode(t, "AddSharedObjects of a message not stored", err, accord.EINVALID)
}
