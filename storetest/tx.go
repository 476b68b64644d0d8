package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

func txTests() []test {
	return []test{
		{"UpdateCommits", testUpdateCommits},
		{"UpdateRollsBackOnError", testUpdateRollsBackOnError},
		{"UpdateRollsBackOnPanic", testUpdateRollsBackOnPanic},
		{"UpdateKeepsErrorCode", testUpdateKeepsErrorCode},
		{"ViewSnapshot", testViewSnapshot},
		{"ViewCannotWrite", testViewCannotWrite},
		{"ViewReturnsError", testViewReturnsError},
		{"CancelledContext", testCancelledContext},
		{"TimePrecision", testTimePrecision},
		{"Closed", testClosed},
	}
}

// writeAll writes one row of every kind (party, user, counter, case,
// request, event, answer) in tx.
func writeAll(tx accord.Tx) error {
	if err := tx.PutParty(newParty(self, "US", accord.PartySelf)); err != nil {
		return err
	}
	if err := tx.PutParty(newParty(peer, "CN", accord.PartyPeer)); err != nil {
		return err
	}
	if err := tx.CreateUser(newUser("alice", accord.RoleAdmin)); err != nil {
		return err
	}
	if _, err := tx.NextSeq("case"); err != nil {
		return err
	}
	if err := tx.CreateCase(newCase(case1, at(0))); err != nil {
		return err
	}
	if err := tx.CreateRequest(newRequest(request1, case1, self, peer, at(0))); err != nil {
		return err
	}
	if err := tx.AddEvent(newEvent(request1, 1)); err != nil {
		return err
	}
	return tx.AddAnswer(newAnswer(request1, 1, true))
}

// checkNothingWritten reports anything writeAll would have left behind.
func checkNothingWritten(t *testing.T, s accord.Store, after string) {
	t.Helper()
	view(t, s, func(tx accord.Tx) error {
		parties, err := tx.Parties()
		if err != nil {
			t.Fatalf("Parties: %v", err)
		}
		users, err := tx.Users()
		if err != nil {
			t.Fatalf("Users: %v", err)
		}
		cases, err := tx.Cases(accord.CaseFilter{})
		if err != nil {
			t.Fatalf("Cases: %v", err)
		}
		requests, err := tx.Requests(accord.RequestFilter{})
		if err != nil {
			t.Fatalf("Requests: %v", err)
		}
		events, err := tx.Events(request1)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		answers, err := tx.Answers(request1)
		if err != nil {
			t.Fatalf("Answers: %v", err)
		}
		if len(parties)+len(users)+len(cases)+len(requests)+len(events)+len(answers) != 0 {
			t.Errorf("after %s: %d parties, %d users, %d cases, %d requests, %d events, %d answers; want none",
				after, len(parties), len(users), len(cases), len(requests), len(events), len(answers))
		}
		return nil
	})
	errDiscard := errors.New("discard")
	err := tryUpdate(s, func(tx accord.Tx) error {
		n, err := tx.NextSeq("case")
		if err != nil {
			return err
		}
		if n != 1 {
			t.Errorf("after %s: NextSeq(case) = %d, want 1 (the increment rolled back)", after, n)
		}
		return errDiscard // leave the counter as it was
	})
	if !errors.Is(err, errDiscard) {
		t.Errorf("after %s: NextSeq(case): %v", after, err)
	}
}

func testUpdateCommits(t *testing.T, s accord.Store) {
	update(t, s, writeAll)
	view(t, s, func(tx accord.Tx) error {
		for _, fn := range []func() error{
			func() error { _, err := tx.Party(self); return err },
			func() error { _, err := tx.UserByName("alice"); return err },
			func() error { _, err := tx.Case(case1); return err },
			func() error { _, err := tx.Request(request1); return err },
		} {
			if err := fn(); err != nil {
				t.Errorf("after a committed Update: %v", err)
			}
		}
		events, err := tx.Events(request1)
		if err != nil || len(events) != 1 {
			t.Errorf("Events after a committed Update = %d events, %v; want 1", len(events), err)
		}
		answers, err := tx.Answers(request1)
		if err != nil || len(answers) != 1 {
			t.Errorf("Answers after a committed Update = %d answers, %v; want 1", len(answers), err)
		}
		return nil
	})
}

func testUpdateRollsBackOnError(t *testing.T, s accord.Store) {
	errAbort := errors.New("abort")
	err := s.Update(context.Background(), func(tx accord.Tx) error {
		if err := writeAll(tx); err != nil {
			t.Errorf("writeAll: %v", err)
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	checkNothingWritten(t, s, "an Update that failed")
}

func testUpdateRollsBackOnPanic(t *testing.T, s accord.Store) {
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the function's panic value \"boom\"", r)
			}
		}()
		s.Update(context.Background(), func(tx accord.Tx) error {
			if err := writeAll(tx); err != nil {
				t.Errorf("writeAll: %v", err)
			}
			panic("boom")
		})
		t.Error("Update returned, want it to panic again")
	}()
	checkNothingWritten(t, s, "an Update that panicked")
	// The store still works.
	update(t, s, writeAll)
}

func testUpdateKeepsErrorCode(t *testing.T, s accord.Store) {
	want := accord.Errorf(accord.EFORBIDDEN, "not yours")
	err := s.Update(context.Background(), func(tx accord.Tx) error { return want })
	if !errors.Is(err, want) {
		t.Errorf("Update = %v, want the function's error", err)
	}
	checkCode(t, "Update returning EFORBIDDEN", err, accord.EFORBIDDEN)
}

func testViewReturnsError(t *testing.T, s accord.Store) {
	want := accord.Errorf(accord.ECONFLICT, "stop")
	err := s.View(context.Background(), func(tx accord.Tx) error { return want })
	if !errors.Is(err, want) {
		t.Errorf("View = %v, want the function's error", err)
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the function's panic value \"boom\"", r)
			}
		}()
		s.View(context.Background(), func(tx accord.Tx) error { panic("boom") })
	}()
	view(t, s, func(tx accord.Tx) error { _, err := tx.Parties(); return err })
}

func testViewSnapshot(t *testing.T, s accord.Store) {
	seed(t, s)
	kcert := newParty("kcert", "KR", accord.PartyLocal)
	view(t, s, func(tx accord.Tx) error {
		before, err := tx.Parties()
		if err != nil {
			t.Fatalf("Parties: %v", err)
		}
		// Another transaction commits while this one is open.
		update(t, s, func(w accord.Tx) error {
			if err := w.PutParty(kcert); err != nil {
				return err
			}
			c := newCase(case1, at(0))
			c.Title = "changed"
			return w.UpdateCase(c)
		})
		after, err := tx.Parties()
		if err != nil {
			t.Fatalf("Parties: %v", err)
		}
		checkDiff(t, "Parties within one View around a commit", before, after)
		_, err = tx.Party(kcert.ID)
		checkCode(t, "Party of a party committed after the View started", err, accord.ENOTFOUND)
		c, err := tx.Case(case1)
		if err != nil {
			t.Fatalf("Case: %v", err)
		}
		if c.Title == "changed" {
			t.Error("Case within a View shows a change committed after the View started")
		}
		return nil
	})
	view(t, s, func(tx accord.Tx) error {
		if _, err := tx.Party(kcert.ID); err != nil {
			t.Errorf("Party in a later View: %v", err)
		}
		return nil
	})
}

func testViewCannotWrite(t *testing.T, s accord.Store) {
	r := seedRequest(t, s)
	writes := []struct {
		name string
		fn   func(tx accord.Tx) error
	}{
		{"PutParty", func(tx accord.Tx) error { return tx.PutParty(newParty("kcert", "KR", accord.PartyLocal)) }},
		{"CreateUser", func(tx accord.Tx) error { return tx.CreateUser(newUser("alice", accord.RoleAdmin)) }},
		{"NextSeq", func(tx accord.Tx) error { _, err := tx.NextSeq("case"); return err }},
		{"CreateCase", func(tx accord.Tx) error { return tx.CreateCase(newCase("us-cert-C0003", at(0))) }},
		{"UpdateCase", func(tx accord.Tx) error {
			c := newCase(case1, at(0))
			c.Title = "changed"
			return tx.UpdateCase(c)
		}},
		{"CreateRequest", func(tx accord.Tx) error {
			return tx.CreateRequest(newRequest("us-cert-R0002", case1, self, peer, at(0)))
		}},
		{"UpdateRequest", func(tx accord.Tx) error {
			r2 := *r
			r2.Subject, r2.Seq = "changed", r.Seq+1
			return tx.UpdateRequest(&r2)
		}},
		{"AddEvent", func(tx accord.Tx) error { return tx.AddEvent(newEvent(request1, 1)) }},
		{"AddAnswer", func(tx accord.Tx) error { return tx.AddAnswer(newAnswer(request1, 1, true)) }},
	}
	for _, w := range writes {
		if err := tryView(s, w.fn); err == nil {
			t.Errorf("%s in a View succeeded, want an error", w.name)
		}
	}
	view(t, s, func(tx accord.Tx) error {
		if _, err := tx.Party("kcert"); accord.ErrorCode(err) != accord.ENOTFOUND {
			t.Errorf("PutParty in a View left a party (Party: %v)", err)
		}
		if users, err := tx.Users(); err != nil || len(users) != 0 {
			t.Errorf("CreateUser in a View left %d users (%v)", len(users), err)
		}
		if _, err := tx.Case("us-cert-C0003"); accord.ErrorCode(err) != accord.ENOTFOUND {
			t.Errorf("CreateCase in a View left a case (Case: %v)", err)
		}
		if c, err := tx.Case(case1); err != nil || c.Title == "changed" {
			t.Errorf("UpdateCase in a View changed the case (%v)", err)
		}
		if n, err := tx.CountRequests(accord.RequestFilter{}); err != nil || n != 1 {
			t.Errorf("CreateRequest in a View: %d requests (%v), want 1", n, err)
		}
		got, err := tx.Request(request1)
		if err != nil {
			t.Fatalf("Request: %v", err)
		}
		checkDiff(t, "Request after UpdateRequest in a View", r, got)
		if events, err := tx.Events(request1); err != nil || len(events) != 0 {
			t.Errorf("AddEvent in a View left %d events (%v)", len(events), err)
		}
		if answers, err := tx.Answers(request1); err != nil || len(answers) != 0 {
			t.Errorf("AddAnswer in a View left %d answers (%v)", len(answers), err)
		}
		return nil
	})
	update(t, s, func(tx accord.Tx) error {
		if n, err := tx.NextSeq("case"); err != nil || n != 1 {
			t.Errorf("NextSeq(case) after NextSeq in a View = %d, %v; want 1", n, err)
		}
		return nil
	})
}

func testCancelledContext(t *testing.T, s accord.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Update(ctx, func(tx accord.Tx) error { return tx.PutParty(newParty(self, "US", accord.PartySelf)) })
	if err == nil {
		t.Error("Update with a cancelled context succeeded, want an error")
	}
	err = s.View(ctx, func(tx accord.Tx) error { _, err := tx.Parties(); return err })
	if err == nil {
		t.Error("View with a cancelled context succeeded, want an error")
	}
	checkNothingWritten(t, s, "an Update with a cancelled context")
}

func testTimePrecision(t *testing.T, s accord.Store) {
	p := newParty(self, "US", accord.PartySelf)
	p.CreatedAt = elsewhere(at(0).Add(789 * time.Nanosecond)) // below the stored precision
	update(t, s, func(tx accord.Tx) error { return tx.PutParty(p) })
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Party(self)
		if err != nil {
			t.Fatalf("Party: %v", err)
		}
		if got.CreatedAt.Nanosecond()%1000 != 0 {
			t.Errorf("Party.CreatedAt = %s, want whole microseconds", got.CreatedAt.Format(time.RFC3339Nano))
		}
		if d := got.CreatedAt.Sub(p.CreatedAt).Abs(); d >= time.Microsecond {
			t.Errorf("Party.CreatedAt = %s, want within 1µs of %s", got.CreatedAt.Format(time.RFC3339Nano), p.CreatedAt.UTC().Format(time.RFC3339Nano))
		}
		checkUTC(t, "Party", got)
		return nil
	})
}

func testClosed(t *testing.T, s accord.Store) {
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	called := false
	err := s.Update(context.Background(), func(tx accord.Tx) error { called = true; return nil })
	checkCode(t, "Update after Close", err, accord.EUNAVAILABLE)
	err = s.View(context.Background(), func(tx accord.Tx) error { called = true; return nil })
	checkCode(t, "View after Close", err, accord.EUNAVAILABLE)
	if called {
		t.Error("Update or View after Close called the function")
	}
}
