package storetest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/google/go-cmp/cmp"
)

// test is one subtest of the suite, run on a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s accord.Store)
}

// Run runs the contract suite of accord.Store as subtests of t, grouped by
// entity. Each subtest calls open for a fresh, empty store (see the package
// documentation for what open must do). Run reports failures through t and
// returns nothing.
func Run(t *testing.T, open func(t *testing.T) accord.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Party", partyTests()},
		{"User", userTests()},
		{"NextSeq", counterTests()},
		{"Case", caseTests()},
		{"Request", requestTests()},
		{"Event", eventTests()},
		{"Answer", answerTests()},
		{"Federation", federationTests()},
		{"Ledger", ledgerTests()},
		{"Evidence", evidenceTests()},
		{"Batch", batchTests()},
		{"Intel", intelTests()},
		{"TAXII", taxiiTests()},
		{"Tx", txTests()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					s := open(t)
					if s == nil {
						t.Fatal("open returned a nil store")
					}
					tc.fn(t, s)
				})
			}
		})
	}
}

// ---- times ----

// at returns the suite's reference instant, which has microseconds, plus d.
func at(d time.Duration) time.Time {
	return time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC).Add(d)
}

// elsewhere returns t in a zone other than UTC: stores must return it in UTC.
func elsewhere(t time.Time) time.Time {
	return t.In(time.FixedZone("UTC+8", 8*60*60))
}

// ---- fixtures: every field set ----

func newParty(id, country string, kind accord.PartyKind) *accord.Party {
	return &accord.Party{
		ID: id, Name: "National CERT " + strings.ToUpper(id), Country: country, Kind: kind,
		Endpoint:      "https://" + id + ".example:8443",
		FederationURL: "https://" + id + ".example:8444/federation/v1",
		SigningKey:    signingKey(id), TLSCert: tlsCert(id),
		CreatedAt: elsewhere(at(-48 * time.Hour)), UpdatedAt: at(-47*time.Hour + time.Microsecond),
	}
}

// signingKey returns an Ed25519 public key for party id, the same every
// time: fixtures built twice compare equal.
func signingKey(id string) []byte {
	seed := sha256.Sum256([]byte("signing key of " + id))
	return []byte(ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey))
}

// tlsCert returns bytes standing for the DER of party id's TLS certificate.
// The store keeps them opaque; they include a zero byte and bytes that are
// not UTF-8, which a store keeping them as text would lose.
func tlsCert(id string) []byte {
	return append([]byte{0x30, 0x82, 0x01, 0x0a, 0x00, 0xff, 0xfe, 0x80}, "CN="+id...)
}

func newUser(name string, role accord.Role) *accord.User {
	return &accord.User{Name: name, Role: role, TokenHash: accord.HashToken("token of " + name), CreatedAt: elsewhere(at(-24 * time.Hour))}
}

func newCase(id string, created time.Time) *accord.Case {
	return &accord.Case{
		ID: id, Title: "Credential phishing " + id, Summary: "Phishing against ministries.\nSecond line: «UTF-8» ✓",
		Category: "fraud", Sectors: []string{"banking", "public-administration"},
		AffectedCountry: "US", OriginCountry: "CN", TLP: accord.TLPAmberStrict, Status: accord.CaseClosed,
		CreatedBy: "alice", CreatedAt: created, UpdatedAt: created.Add(time.Minute + time.Microsecond),
		ClosedAt: elsewhere(created.Add(time.Hour)),
	}
}

// newRequest returns a request with every field set, sent at sent.
func newRequest(id, caseID, from, to string, sent time.Time) *accord.Request {
	h := func(n int) time.Time { return sent.Add(time.Duration(n)*time.Hour + time.Duration(n)*time.Microsecond) }
	return &accord.Request{
		ID: id, CaseID: caseID, From: from, To: to,
		Type: accord.TypePreservation, Priority: accord.PriorityHigh,
		Subject: "Logs of 203.0.113.7 for " + id, Body: "Please preserve the logs.\n«UTF-8» ✓ 'quotes' \"double\"",
		LegalBasis: "Article 5(2) of the accord", ExternalRef: "REF-" + id, Status: accord.StatusRated,
		SentAt: sent, ReceivedAt: elsewhere(h(1)), AcknowledgeBy: h(24), AnswerBy: h(72),
		AgreementDigest: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		AcknowledgedAt:  h(2), AcceptedAt: h(3), DeclinedAt: h(4), DeclineGround: "sovereignty",
		DeclineText: "Not applicable here.", FirstAnsweredAt: h(5), AnsweredAt: h(6), RatedAt: h(7),
		Rating: 4, RatingComment: "useful", ClosedAt: h(8), WithdrawnAt: h(9), PreserveUntil: h(90 * 24),
		CreatedBy: "bob", CreatedAt: sent, UpdatedAt: h(9), Seq: 7,
	}
}

func newEvent(requestID string, seq int) *accord.Event {
	return &accord.Event{
		RequestID: requestID, Seq: seq, Action: accord.ActionAcknowledge,
		From: accord.StatusDelivered, To: accord.StatusAcknowledged, Party: "cncert",
		At: elsewhere(at(time.Duration(seq) * time.Hour)), RecordedAt: at(time.Duration(seq)*time.Hour + time.Second + time.Microsecond),
		Actor: "carol", Note: "acknowledged by phone",
	}
}

func newAnswer(requestID string, seq int, final bool) *accord.Answer {
	return &accord.Answer{
		RequestID: requestID, Seq: seq, Final: final, Body: "The logs are attached.\n✓",
		At: elsewhere(at(time.Duration(seq)*time.Hour + time.Microsecond)), Author: "dave",
	}
}

// Party and case ids of the seed data.
const (
	self     = "us-cert"
	peer     = "cncert"
	local    = "jpcert"
	case1    = "us-cert-C0001"
	case2    = "us-cert-C0002"
	request1 = "us-cert-R0001"
)

// seed stores three parties (self, a peer, a local party) and two cases.
func seed(t *testing.T, s accord.Store) {
	t.Helper()
	update(t, s, func(tx accord.Tx) error {
		for _, p := range []*accord.Party{
			newParty(self, "US", accord.PartySelf),
			newParty(peer, "CN", accord.PartyPeer),
			newParty(local, "JP", accord.PartyLocal),
		} {
			if err := tx.PutParty(p); err != nil {
				return err
			}
		}
		for _, c := range []*accord.Case{newCase(case1, at(0)), newCase(case2, at(time.Hour))} {
			if err := tx.CreateCase(c); err != nil {
				return err
			}
		}
		return nil
	})
}

// seedRequest stores seed data and request1 (every field set, case1, from
// self to peer) and returns the request.
func seedRequest(t *testing.T, s accord.Store) *accord.Request {
	t.Helper()
	seed(t, s)
	r := newRequest(request1, case1, self, peer, at(2*time.Hour))
	update(t, s, func(tx accord.Tx) error { return tx.CreateRequest(r) })
	return r
}

// ---- helpers ----

// update runs fn in s.Update and fails the test on an error.
func update(t *testing.T, s accord.Store, fn func(tx accord.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in s.View and fails the test on an error.
func view(t *testing.T, s accord.Store, fn func(tx accord.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// tryUpdate runs fn in its own Update and returns the error. Each expected
// failure gets its own transaction: after a failed statement some databases
// (PostgreSQL) refuse further statements in the same transaction.
func tryUpdate(s accord.Store, fn func(tx accord.Tx) error) error {
	return s.Update(context.Background(), fn)
}

// tryView runs fn in its own View and returns the error.
func tryView(s accord.Store, fn func(tx accord.Tx) error) error {
	return s.View(context.Background(), fn)
}

// checkCode reports an error unless err has code want (see
// accord.ErrorCode) and, when want is not "", is an *accord.Error.
func checkCode(t *testing.T, call string, err error, want string) {
	t.Helper()
	if got := accord.ErrorCode(err); got != want {
		t.Errorf("%s: error %v (code %q), want code %q", call, err, got, want)
		return
	}
	if want == "" {
		return
	}
	var ae *accord.Error
	if !errors.As(err, &ae) {
		t.Errorf("%s: error %v is a %T, want an *accord.Error", call, err, err)
	}
}

// checkDiff reports an error when got differs from want. Times compare with
// time.Time.Equal (cmp uses the Equal method), so zones do not matter here;
// checkUTC checks them.
func checkDiff(t *testing.T, call string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", call, d)
	}
}

// checkUTC reports every time.Time field of the struct v points to whose
// location is not UTC.
func checkUTC(t *testing.T, call string, v any) {
	t.Helper()
	rv := reflect.Indirect(reflect.ValueOf(v))
	for i := range rv.NumField() {
		if tm, ok := rv.Field(i).Interface().(time.Time); ok && tm.Location() != time.UTC {
			t.Errorf("%s: %s is in %s, want UTC", call, rv.Type().Field(i).Name, tm.Location())
		}
	}
}

// checkMessage reports an error unless err's user-facing message (see
// accord.ErrorMessage) contains want.
func checkMessage(t *testing.T, call string, err error, want string) {
	t.Helper()
	if msg := accord.ErrorMessage(err); !strings.Contains(msg, want) {
		t.Errorf("%s: message %q, want it to name %q", call, msg, want)
	}
}

// checkEmpty reports an error unless list is an empty, non-nil slice.
func checkEmpty[T any](t *testing.T, call string, list []T) {
	t.Helper()
	if list == nil || len(list) != 0 {
		t.Errorf("%s = %#v, want an empty non-nil slice", call, list)
	}
}

// checkField reports an error unless err is an *accord.Error naming field.
func checkField(t *testing.T, call string, err error, field string) {
	t.Helper()
	var e *accord.Error
	if !errors.As(err, &e) || e.Field != field {
		t.Errorf("%s: error %v, want one naming the field %q", call, err, field)
	}
}
