package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

func counterTests() []test {
	return []test{
		{"Counts", testNextSeq},
		{"RolledBack", testNextSeqRolledBack},
	}
}

func testNextSeq(t *testing.T, s accord.Store) {
	steps := []struct {
		name string
		want int64
	}{
		{"case", 1}, {"request", 1}, {"case", 2}, {"incoming", 1}, {"request", 2}, {"case", 3}, {"case", 4},
	}
	// The first half in one transaction, the rest in one transaction each:
	// counts carry over between transactions.
	update(t, s, func(tx accord.Tx) error {
		for _, st := range steps[:4] {
			got, err := tx.NextSeq(st.name)
			if err != nil {
				t.Fatalf("NextSeq(%q): %v", st.name, err)
			}
			if got != st.want {
				t.Errorf("NextSeq(%q) = %d, want %d", st.name, got, st.want)
			}
		}
		return nil
	})
	for _, st := range steps[4:] {
		update(t, s, func(tx accord.Tx) error {
			got, err := tx.NextSeq(st.name)
			if err != nil {
				t.Fatalf("NextSeq(%q): %v", st.name, err)
			}
			if got != st.want {
				t.Errorf("NextSeq(%q) = %d, want %d", st.name, got, st.want)
			}
			return nil
		})
	}
}

func testNextSeqRolledBack(t *testing.T, s accord.Store) {
	update(t, s, func(tx accord.Tx) error {
		_, err := tx.NextSeq("case")
		return err
	})
	errAbort := errors.New("abort")
	err := tryUpdate(s, func(tx accord.Tx) error {
		if _, err := tx.NextSeq("case"); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	update(t, s, func(tx accord.Tx) error {
		got, err := tx.NextSeq("case")
		if err != nil {
			t.Fatalf("NextSeq(case): %v", err)
		}
		if got != 2 {
			t.Errorf("NextSeq(case) after a rolled back increment = %d, want 2", got)
		}
		return nil
	})
}

func caseTests() []test {
	return []test{
		{"RoundTrip", testCaseRoundTrip},
		{"ZeroFields", testCaseZeroFields},
		{"Update", testCaseUpdate},
		{"UpdateMissing", testCaseUpdateMissing},
		{"Duplicate", testCaseDuplicate},
		{"NotFound", testCaseNotFound},
		{"Invalid", testCaseInvalid},
		{"Filter", testCaseFilter},
	}
}

// getCase reads one case in its own View, failing the test on an error.
func getCase(t *testing.T, s accord.Store, id string) *accord.Case {
	t.Helper()
	var c *accord.Case
	view(t, s, func(tx accord.Tx) (err error) {
		c, err = tx.Case(id)
		return err
	})
	return c
}

func testCaseRoundTrip(t *testing.T, s accord.Store) {
	c := newCase(case1, elsewhere(at(0)))
	update(t, s, func(tx accord.Tx) error { return tx.CreateCase(c) })
	got := getCase(t, s, c.ID)
	checkDiff(t, "Case", c, got)
	checkUTC(t, "Case", got)
}

func testCaseZeroFields(t *testing.T, s accord.Store) {
	c := &accord.Case{ID: case1, Title: "t", Category: "other", TLP: accord.TLPClear, Status: accord.CaseOpen, CreatedAt: at(0)}
	update(t, s, func(tx accord.Tx) error { return tx.CreateCase(c) })
	got := getCase(t, s, c.ID)
	want := *c
	want.Sectors = []string{} // nil comes back empty, never nil
	checkDiff(t, "Case with zero fields", &want, got)
	if got.Sectors == nil {
		t.Error("Case.Sectors is nil, want an empty slice")
	}
}

func testCaseUpdate(t *testing.T, s accord.Store) {
	c := newCase(case1, at(0))
	c.Status, c.ClosedAt = accord.CaseOpen, time.Time{}
	update(t, s, func(tx accord.Tx) error { return tx.CreateCase(c) })
	c2 := &accord.Case{
		ID: case1, Title: "Ransomware at hospitals", Summary: "Changed.", Category: "malicious-code",
		Sectors: []string{"health"}, AffectedCountry: "JP", OriginCountry: "KP", TLP: accord.TLPRed,
		Status: accord.CaseClosed, CreatedBy: "bob", CreatedAt: at(time.Hour), UpdatedAt: at(3 * time.Hour),
		ClosedAt: elsewhere(at(3 * time.Hour)),
	}
	update(t, s, func(tx accord.Tx) error { return tx.UpdateCase(c2) })
	checkDiff(t, "Case after UpdateCase", c2, getCase(t, s, case1))

	// And back to zero values.
	c3 := &accord.Case{ID: case1, Title: "x", Category: "other", TLP: accord.TLPGreen, Status: accord.CaseOpen, CreatedAt: at(0)}
	update(t, s, func(tx accord.Tx) error { return tx.UpdateCase(c3) })
	want := *c3
	want.Sectors = []string{}
	checkDiff(t, "Case after UpdateCase to zero fields", &want, getCase(t, s, case1))
}

func testCaseUpdateMissing(t *testing.T, s accord.Store) {
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.UpdateCase(newCase(case1, at(0))) })
	checkCode(t, "UpdateCase of a missing case", err, accord.ENOTFOUND)
	err = tryView(s, func(tx accord.Tx) error {
		_, err := tx.Case(case1)
		return err
	})
	checkCode(t, "Case after UpdateCase of a missing case", err, accord.ENOTFOUND)
}

func testCaseDuplicate(t *testing.T, s accord.Store) {
	c := newCase(case1, at(0))
	update(t, s, func(tx accord.Tx) error { return tx.CreateCase(c) })
	dup := newCase(case1, at(time.Hour))
	dup.Title = "another"
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.CreateCase(dup) })
	checkCode(t, "CreateCase with a taken id", err, accord.ECONFLICT)
	checkDiff(t, "Case after a refused duplicate", c, getCase(t, s, case1))
}

func testCaseNotFound(t *testing.T, s accord.Store) {
	seed(t, s)
	err := tryView(s, func(tx accord.Tx) error {
		c, err := tx.Case("us-cert-C0099")
		if c != nil {
			t.Errorf("Case(us-cert-C0099) = %+v, want nil", c)
		}
		return err
	})
	checkCode(t, "Case(us-cert-C0099)", err, accord.ENOTFOUND)
	checkMessage(t, "Case(us-cert-C0099)", err, "us-cert-C0099")
}

func testCaseInvalid(t *testing.T, s accord.Store) {
	tests := []struct {
		name   string
		change func(c *accord.Case)
	}{
		{"empty id", func(c *accord.Case) { c.ID = "" }},
		{"unknown TLP", func(c *accord.Case) { c.TLP = "white" }},
		{"empty TLP", func(c *accord.Case) { c.TLP = "" }},
		{"unknown status", func(c *accord.Case) { c.Status = "pending" }},
		{"zero CreatedAt", func(c *accord.Case) { c.CreatedAt = time.Time{} }},
	}
	for _, tc := range tests {
		c := newCase(case1, at(0))
		tc.change(c)
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.CreateCase(c) })
		checkCode(t, "CreateCase with "+tc.name, err, accord.EINVALID)
	}
	c := newCase(case1, at(0))
	update(t, s, func(tx accord.Tx) error { return tx.CreateCase(c) })
	for _, tc := range tests[1:] { // an empty id is simply not found
		c2 := newCase(case1, at(0))
		tc.change(c2)
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.UpdateCase(c2) })
		checkCode(t, "UpdateCase with "+tc.name, err, accord.EINVALID)
	}
	checkDiff(t, "Case after refused updates", c, getCase(t, s, case1))

	for _, f := range []accord.CaseFilter{{Limit: -1}, {Offset: -1}} {
		err := tryView(s, func(tx accord.Tx) error {
			_, err := tx.Cases(f)
			return err
		})
		checkCode(t, "Cases with a negative limit or offset", err, accord.EINVALID)
	}
}

func testCaseFilter(t *testing.T, s accord.Store) {
	mk := func(id string, created time.Time, status accord.CaseStatus) *accord.Case {
		c := newCase(id, created)
		c.Status = status
		if status == accord.CaseOpen {
			c.ClosedAt = time.Time{}
		}
		return c
	}
	const c1, c2, c3, c4, c5 = "us-cert-C0001", "us-cert-C0002", "us-cert-C0003", "us-cert-C0004", "us-cert-C0005"
	cases := []*accord.Case{
		// C0003 before C0002, both created at the same instant: the order
		// must come from the ids, not from the order of insertion.
		mk(c3, at(time.Hour), accord.CaseOpen),
		mk(c1, at(0), accord.CaseOpen),
		mk(c5, at(3*time.Hour), accord.CaseOpen),
		mk(c2, at(time.Hour), accord.CaseOpen),
		mk(c4, at(2*time.Hour), accord.CaseClosed),
	}
	update(t, s, func(tx accord.Tx) error {
		for _, c := range cases {
			if err := tx.CreateCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name   string
		filter accord.CaseFilter
		want   []string
	}{
		{"all, newest first, ties by id descending", accord.CaseFilter{}, []string{c5, c4, c3, c2, c1}},
		{"open", accord.CaseFilter{Status: accord.CaseOpen}, []string{c5, c3, c2, c1}},
		{"closed", accord.CaseFilter{Status: accord.CaseClosed}, []string{c4}},
		{"limit", accord.CaseFilter{Limit: 2}, []string{c5, c4}},
		{"limit and offset", accord.CaseFilter{Limit: 2, Offset: 2}, []string{c3, c2}},
		{"offset only", accord.CaseFilter{Offset: 3}, []string{c2, c1}},
		{"offset past the end", accord.CaseFilter{Offset: 5}, []string{}},
		{"limit past the end", accord.CaseFilter{Limit: 10}, []string{c5, c4, c3, c2, c1}},
		{"status, limit and offset", accord.CaseFilter{Status: accord.CaseOpen, Limit: 1, Offset: 1}, []string{c3}},
	}
	byID := map[string]*accord.Case{}
	for _, c := range cases {
		byID[c.ID] = c
	}
	for _, tc := range tests {
		view(t, s, func(tx accord.Tx) error {
			got, err := tx.Cases(tc.filter)
			if err != nil {
				t.Fatalf("Cases(%s): %v", tc.name, err)
			}
			if got == nil {
				t.Errorf("Cases(%s) = nil, want a non-nil slice", tc.name)
			}
			want := []*accord.Case{}
			for _, id := range tc.want {
				want = append(want, byID[id])
			}
			checkDiff(t, "Cases("+tc.name+")", want, got)
			return nil
		})
	}
}
