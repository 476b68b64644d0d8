package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

func partyTests() []test {
	return []test{
		{"RoundTrip", testPartyRoundTrip},
		{"ZeroFields", testPartyZeroFields},
		{"EmptyKeys", testPartyEmptyKeys},
		{"Replace", testPartyReplace},
		{"List", testPartyList},
		{"NotFound", testPartyNotFound},
		{"Invalid", testPartyInvalid},
	}
}

func testPartyRoundTrip(t *testing.T, s accord.Store) {
	p := newParty(self, "US", accord.PartySelf)
	update(t, s, func(tx accord.Tx) error { return tx.PutParty(p) })
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Party(p.ID)
		if err != nil {
			t.Fatalf("Party(%q): %v", p.ID, err)
		}
		checkDiff(t, "Party", p, got)
		checkUTC(t, "Party", got)
		return nil
	})
}

func testPartyZeroFields(t *testing.T, s accord.Store) {
	p := &accord.Party{ID: "kcert", Name: "KrCERT", Country: "KR", Kind: accord.PartyLocal}
	update(t, s, func(tx accord.Tx) error { return tx.PutParty(p) })
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Party(p.ID)
		if err != nil {
			t.Fatalf("Party(%q): %v", p.ID, err)
		}
		checkDiff(t, "Party", p, got)
		if !got.CreatedAt.IsZero() || !got.UpdatedAt.IsZero() {
			t.Errorf("Party: CreatedAt %v, UpdatedAt %v, want zero times", got.CreatedAt, got.UpdatedAt)
		}
		return nil
	})
}

func testPartyEmptyKeys(t *testing.T, s accord.Store) {
	p := newParty(peer, "CN", accord.PartyPeer)
	p.SigningKey, p.TLSCert = []byte{}, []byte{}
	update(t, s, func(tx accord.Tx) error { return tx.PutParty(p) })
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Party(p.ID)
		if err != nil {
			t.Fatalf("Party(%q): %v", p.ID, err)
		}
		// An empty key or certificate is an absent one.
		if got.SigningKey != nil || got.TLSCert != nil {
			t.Errorf("Party: SigningKey %#v, TLSCert %#v after storing empty ones, want nil", got.SigningKey, got.TLSCert)
		}
		want := *p
		want.SigningKey, want.TLSCert = nil, nil
		checkDiff(t, "Party with empty keys", &want, got)
		return nil
	})
}

func testPartyReplace(t *testing.T, s accord.Store) {
	p := newParty(peer, "CN", accord.PartyLocal)
	update(t, s, func(tx accord.Tx) error { return tx.PutParty(p) })
	// p2 has no federation identity: replacing clears p's.
	p2 := &accord.Party{ID: peer, Name: "CNCERT/CC", Country: "HK", Kind: accord.PartyPeer,
		Endpoint: "https://node.cncert.example", CreatedAt: at(time.Minute), UpdatedAt: at(2 * time.Minute)}
	update(t, s, func(tx accord.Tx) error { return tx.PutParty(p2) })
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Party(peer)
		if err != nil {
			t.Fatalf("Party(%q): %v", peer, err)
		}
		checkDiff(t, "Party after the second PutParty", p2, got)
		all, err := tx.Parties()
		if err != nil {
			t.Fatalf("Parties: %v", err)
		}
		checkDiff(t, "Parties", []*accord.Party{p2}, all)
		return nil
	})
}

func testPartyList(t *testing.T, s accord.Store) {
	view(t, s, func(tx accord.Tx) error {
		all, err := tx.Parties()
		if err != nil {
			t.Fatalf("Parties: %v", err)
		}
		checkEmpty(t, "Parties of an empty store", all)
		return nil
	})
	a, b, c := newParty(peer, "CN", accord.PartyPeer), newParty(local, "JP", accord.PartyLocal), newParty(self, "US", accord.PartySelf)
	update(t, s, func(tx accord.Tx) error {
		// Not in id order, so that insertion order cannot pass for it.
		for _, p := range []*accord.Party{c, a, b} {
			if err := tx.PutParty(p); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx accord.Tx) error {
		all, err := tx.Parties()
		if err != nil {
			t.Fatalf("Parties: %v", err)
		}
		checkDiff(t, "Parties (ordered by id)", []*accord.Party{a, b, c}, all)
		return nil
	})
}

func testPartyNotFound(t *testing.T, s accord.Store) {
	seed(t, s)
	err := tryView(s, func(tx accord.Tx) error {
		p, err := tx.Party("nocert")
		if p != nil {
			t.Errorf("Party(nocert) = %+v, want nil", p)
		}
		return err
	})
	checkCode(t, "Party(nocert)", err, accord.ENOTFOUND)
	checkMessage(t, "Party(nocert)", err, "nocert")
}

func testPartyInvalid(t *testing.T, s accord.Store) {
	tests := []struct {
		name   string
		change func(p *accord.Party)
	}{
		{"empty id", func(p *accord.Party) { p.ID = "" }},
		{"unknown kind", func(p *accord.Party) { p.Kind = "friend" }},
	}
	for _, tc := range tests {
		p := newParty(peer, "CN", accord.PartyPeer)
		tc.change(p)
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.PutParty(p) })
		checkCode(t, "PutParty with "+tc.name, err, accord.EINVALID)
	}
	view(t, s, func(tx accord.Tx) error {
		all, err := tx.Parties()
		if err != nil {
			t.Fatalf("Parties: %v", err)
		}
		checkEmpty(t, "Parties after refused puts", all)
		return nil
	})
}

func userTests() []test {
	return []test{
		{"RoundTrip", testUserRoundTrip},
		{"List", testUserList},
		{"NotFound", testUserNotFound},
		{"Conflict", testUserConflict},
		{"NoToken", testUserNoToken},
		{"Invalid", testUserInvalid},
	}
}

func testUserRoundTrip(t *testing.T, s accord.Store) {
	u := newUser("Alice Martin", accord.RoleLiaison)
	update(t, s, func(tx accord.Tx) error { return tx.CreateUser(u) })
	if u.ID == 0 {
		t.Fatal("CreateUser left ID zero, want it set")
	}
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.UserByName(u.Name)
		if err != nil {
			t.Fatalf("UserByName(%q): %v", u.Name, err)
		}
		checkDiff(t, "UserByName", u, got)
		checkUTC(t, "UserByName", got)
		got, err = tx.UserByTokenHash(u.TokenHash)
		if err != nil {
			t.Fatalf("UserByTokenHash: %v", err)
		}
		checkDiff(t, "UserByTokenHash", u, got)
		return nil
	})
}

func testUserList(t *testing.T, s accord.Store) {
	view(t, s, func(tx accord.Tx) error {
		all, err := tx.Users()
		if err != nil {
			t.Fatalf("Users: %v", err)
		}
		checkEmpty(t, "Users of an empty store", all)
		return nil
	})
	// Not in name order, so that a name order cannot pass for id order.
	users := []*accord.User{newUser("zed", accord.RoleAdmin), newUser("amy", accord.RoleAnalyst), newUser("mia", accord.RoleReviewer)}
	for _, u := range users {
		update(t, s, func(tx accord.Tx) error { return tx.CreateUser(u) })
	}
	for i := 1; i < len(users); i++ {
		if users[i].ID <= users[i-1].ID {
			t.Errorf("CreateUser ids %d then %d, want increasing", users[i-1].ID, users[i].ID)
		}
	}
	view(t, s, func(tx accord.Tx) error {
		all, err := tx.Users()
		if err != nil {
			t.Fatalf("Users: %v", err)
		}
		checkDiff(t, "Users (ordered by id)", users, all)
		return nil
	})
}

func testUserNotFound(t *testing.T, s accord.Store) {
	update(t, s, func(tx accord.Tx) error { return tx.CreateUser(newUser("alice", accord.RoleAdmin)) })
	tests := []struct {
		call string
		fn   func(tx accord.Tx) (*accord.User, error)
	}{
		{"UserByName(ghost)", func(tx accord.Tx) (*accord.User, error) { return tx.UserByName("ghost") }},
		{"UserByTokenHash(unknown)", func(tx accord.Tx) (*accord.User, error) { return tx.UserByTokenHash(accord.HashToken("acc_unknown")) }},
		{"UserByTokenHash(\"\")", func(tx accord.Tx) (*accord.User, error) { return tx.UserByTokenHash("") }},
	}
	for _, tc := range tests {
		err := tryView(s, func(tx accord.Tx) error {
			u, err := tc.fn(tx)
			if u != nil {
				t.Errorf("%s = %+v, want nil", tc.call, u)
			}
			return err
		})
		checkCode(t, tc.call, err, accord.ENOTFOUND)
	}
	err := tryView(s, func(tx accord.Tx) error { _, err := tx.UserByName("ghost"); return err })
	checkMessage(t, "UserByName(ghost)", err, "ghost")
	// A token hash is a credential: it must not be echoed to whoever tried it.
	hash := accord.HashToken("acc_unknown")
	err = tryView(s, func(tx accord.Tx) error { _, err := tx.UserByTokenHash(hash); return err })
	if msg := err.Error(); strings.Contains(msg, hash) {
		t.Errorf("UserByTokenHash: error %q repeats the hash", msg)
	}
}

func testUserConflict(t *testing.T, s accord.Store) {
	first := newUser("alice", accord.RoleAdmin)
	update(t, s, func(tx accord.Tx) error { return tx.CreateUser(first) })

	sameName := newUser("alice", accord.RoleLiaison)
	sameName.TokenHash = accord.HashToken("another token")
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.CreateUser(sameName) })
	checkCode(t, "CreateUser with a taken name", err, accord.ECONFLICT)

	sameHash := newUser("bob", accord.RoleLiaison)
	sameHash.TokenHash = first.TokenHash
	err = tryUpdate(s, func(tx accord.Tx) error { return tx.CreateUser(sameHash) })
	checkCode(t, "CreateUser with a taken token hash", err, accord.ECONFLICT)

	view(t, s, func(tx accord.Tx) error {
		all, err := tx.Users()
		if err != nil {
			t.Fatalf("Users: %v", err)
		}
		checkDiff(t, "Users after conflicts", []*accord.User{first}, all)
		return nil
	})
}

func testUserNoToken(t *testing.T, s accord.Store) {
	a, b := newUser("amy", accord.RoleReviewer), newUser("ben", accord.RoleReviewer)
	a.TokenHash, b.TokenHash = "", ""
	update(t, s, func(tx accord.Tx) error {
		if err := tx.CreateUser(a); err != nil {
			return err
		}
		return tx.CreateUser(b)
	})
	view(t, s, func(tx accord.Tx) error {
		all, err := tx.Users()
		if err != nil {
			t.Fatalf("Users: %v", err)
		}
		checkDiff(t, "Users without tokens", []*accord.User{a, b}, all)
		return nil
	})
	err := tryView(s, func(tx accord.Tx) error {
		_, err := tx.UserByTokenHash("")
		return err
	})
	checkCode(t, `UserByTokenHash("") with users lacking tokens`, err, accord.ENOTFOUND)
}

func testUserInvalid(t *testing.T, s accord.Store) {
	tests := []struct {
		name   string
		change func(u *accord.User)
	}{
		{"empty name", func(u *accord.User) { u.Name = "" }},
		{"unknown role", func(u *accord.User) { u.Role = "root" }},
	}
	for _, tc := range tests {
		u := newUser("alice", accord.RoleAdmin)
		tc.change(u)
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.CreateUser(u) })
		checkCode(t, "CreateUser with "+tc.name, err, accord.EINVALID)
	}
}
