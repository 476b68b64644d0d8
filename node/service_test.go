package node_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/sqlite"
)

// testClock is a settable clock for tests.
// quiet discards the services' logs in tests.
var quiet = slog.New(slog.DiscardHandler)

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var (
	admin    = accord.Actor{Name: "ada", Role: accord.RoleAdmin}
	analyst  = accord.Actor{Name: "ana", Role: accord.RoleAnalyst}
	liaison  = accord.Actor{Name: "lia", Role: accord.RoleLiaison}
	reviewer = accord.Actor{Name: "rev", Role: accord.RoleReviewer}
)

type fixture struct {
	svc   *node.Service
	store accord.Store
	clock *testClock
	ctx   context.Context
}

// newFixture opens a real SQLite store with party us-cert (self), a local
// party cncert and a peer party jpcert.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, t.TempDir()+"/accord.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clock := &testClock{now: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)}
	ident, err := federation.GenerateIdentity("us-cert", nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := node.New(node.Config{Store: store, Agreement: accord.DefaultAgreement(), Clock: clock, Self: "us-cert", Sealer: ident, Logger: quiet})
	if _, err := svc.InitSelf(ctx, accord.Party{ID: "us-cert", Name: "US-CERT", Country: "US"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.AddParty(ctx, admin, accord.Party{ID: "cncert", Name: "CNCERT/CC", Country: "CN"}); err != nil {
		t.Fatal(err)
	}
	err = store.Update(ctx, func(tx accord.Tx) error {
		return tx.PutParty(&accord.Party{ID: "jpcert", Name: "JPCERT/CC", Country: "JP", Kind: accord.PartyPeer, CreatedAt: clock.now, UpdatedAt: clock.now})
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, store: store, clock: clock, ctx: ctx}
}

func (f *fixture) newCase(t *testing.T) *accord.Case {
	t.Helper()
	c, err := f.svc.CreateCase(f.ctx, analyst, node.NewCase{Title: "Intrusion into a federal personnel agency", Category: "intrusions",
		Sectors: []string{"public-administration"}, AffectedCountry: "US", OriginCountry: "CN", TLP: accord.TLPAmber})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) act(t *testing.T, id string, st node.Step) *node.RequestDetail {
	t.Helper()
	d, err := f.svc.Act(f.ctx, liaison, id, st)
	if err != nil {
		t.Fatalf("Act(%s, %s): %v", id, st.Action, err)
	}
	return d
}

func TestOutgoingLifecycleRecordedOnBehalfOfLocalParty(t *testing.T) {
	f := newFixture(t)
	c := f.newCase(t)
	sent := f.clock.Now()
	d, err := f.svc.CreateRequest(f.ctx, liaison, node.NewRequest{CaseID: c.ID, To: "cncert", Type: accord.TypeEvidence,
		Priority: accord.PriorityNormal, Subject: "Logs of command server 203.0.113.7", LegalBasis: "Budapest Convention art. 31"})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "us-cert-R0001" || d.Status != accord.StatusSent || d.Direction != accord.Outgoing || d.Seq != 1 {
		t.Fatalf("new request = %s %s %s seq %d; want us-cert-R0001 sent outgoing seq 1", d.ID, d.Status, d.Direction, d.Seq)
	}
	if want := sent.Add(48 * time.Hour); !d.AcknowledgeBy.Equal(want) {
		t.Errorf("acknowledge-by = %s, want %s (evidence/normal: 2d from sending until receipt is known)", d.AcknowledgeBy, want)
	}

	// cncert's side arrives by mail and is recorded here, dated when it happened.
	f.clock.Advance(30 * time.Hour)
	recv := sent.Add(2 * time.Hour)
	d = f.act(t, d.ID, node.Step{Action: accord.ActionDeliver, At: recv})
	if !d.ReceivedAt.Equal(recv) || !d.AcknowledgeBy.Equal(recv.Add(48*time.Hour)) || !d.AnswerBy.Equal(recv.Add(240*time.Hour)) {
		t.Errorf("after delivery: received %s, ack-by %s, answer-by %s; deadlines must run from receipt %s", d.ReceivedAt, d.AcknowledgeBy, d.AnswerBy, recv)
	}
	d = f.act(t, d.ID, node.Step{Action: accord.ActionAcknowledge, At: recv.Add(time.Hour)})
	d = f.act(t, d.ID, node.Step{Action: accord.ActionAccept})
	d = f.act(t, d.ID, node.Step{Action: accord.ActionAnswerPartial, Body: "Preserved; producing."})
	f.clock.Advance(24 * time.Hour)
	d = f.act(t, d.ID, node.Step{Action: accord.ActionAnswerFinal, Body: "Logs attached."})
	d = f.act(t, d.ID, node.Step{Action: accord.ActionRate, Score: 4, Comment: "complete, a day late"})
	d = f.act(t, d.ID, node.Step{Action: accord.ActionClose})

	if d.Status != accord.StatusClosed || d.Seq != 8 || d.Rating != 4 {
		t.Errorf("final: status %s seq %d rating %d; want closed 8 4", d.Status, d.Seq, d.Rating)
	}
	var got []string
	for _, e := range d.Events {
		got = append(got, string(e.Action)+":"+e.Party)
	}
	want := []string{"send:us-cert", "deliver:cncert", "acknowledge:cncert", "accept:cncert", "answer-partial:cncert", "answer-final:cncert", "rate:us-cert", "close:us-cert"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(d.Answers) != 2 || d.Answers[0].Final || !d.Answers[1].Final {
		t.Errorf("answers = %+v; want a partial then a final", d.Answers)
	}
	if !d.Events[1].At.Equal(recv) || d.Events[1].RecordedAt.Equal(recv) {
		t.Errorf("delivery event at %s recorded %s; want dated at receipt and recorded later", d.Events[1].At, d.Events[1].RecordedAt)
	}
	if len(d.Allowed) != 0 {
		t.Errorf("allowed after close = %v, want none", d.Allowed)
	}
}

func TestIncomingRecordedByHand(t *testing.T) {
	f := newFixture(t)
	received := f.clock.Now().Add(-3 * time.Hour)
	in := node.NewRequest{From: "cncert", Type: accord.TypePreservation, Priority: accord.PriorityEmergency,
		Subject: "Preserve logs of a botnet controller", ExternalRef: "CNCERT-2026-117", ReceivedAt: received}
	d, err := f.svc.CreateRequest(f.ctx, liaison, in)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "us-cert-I0001" || d.Direction != accord.Incoming || d.Status != accord.StatusDelivered || d.To != "us-cert" {
		t.Fatalf("incoming = %s %s %s to %s", d.ID, d.Direction, d.Status, d.To)
	}
	// preservation/emergency: acknowledge 2h, answer 8h, from receipt.
	if !d.AcknowledgeBy.Equal(received.Add(2*time.Hour)) || !d.AnswerBy.Equal(received.Add(8*time.Hour)) {
		t.Errorf("deadlines %s / %s, want received+2h / +8h", d.AcknowledgeBy, d.AnswerBy)
	}
	if d.Overdue != accord.OverdueAcknowledge {
		t.Errorf("overdue = %q, want acknowledge (received 3h ago, 2h to acknowledge)", d.Overdue)
	}
	if diff := cmp.Diff([]accord.Action{accord.ActionAcknowledge, accord.ActionWithdraw}, d.Allowed); diff != "" {
		t.Errorf("allowed (-want +got):\n%s", diff)
	}
	d = f.act(t, d.ID, node.Step{Action: accord.ActionAcknowledge})
	d = f.act(t, d.ID, node.Step{Action: accord.ActionAccept})
	if want := f.clock.Now().Add(60 * 24 * time.Hour); !d.PreserveUntil.Equal(want) {
		t.Errorf("preserve until %s, want accepted + 60d = %s", d.PreserveUntil, want)
	}
	// Our own steps are taken now; dating them is refused only with peers.
	if _, err := f.svc.CreateRequest(f.ctx, liaison, node.NewRequest{From: "cncert", Type: accord.TypeInformation, Priority: "normal", Subject: "x"}); accord.ErrorField(err) != "received_at" {
		t.Errorf("incoming without received_at: %v; want invalid received_at", err)
	}
	if _, err := f.svc.CreateRequest(f.ctx, liaison, node.NewRequest{From: "jpcert", Type: accord.TypeInformation, Priority: "normal", Subject: "x", ReceivedAt: received}); accord.ErrorCode(err) != accord.EINVALID {
		t.Errorf("incoming by hand from a peer on accord: %v; want invalid", err)
	}
}

func TestActRefusals(t *testing.T) {
	f := newFixture(t)
	c := f.newCase(t)
	mk := func(to string, typ accord.RequestType) string {
		d, err := f.svc.CreateRequest(f.ctx, liaison, node.NewRequest{CaseID: c.ID, To: to, Type: typ, Priority: accord.PriorityHigh, Subject: "s"})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	local := mk("cncert", accord.TypeInformation)
	peer := mk("jpcert", accord.TypeInformation)
	notif := mk("cncert", accord.TypeNotification)
	f.clock.Advance(time.Hour)

	for _, tc := range []struct {
		name     string
		actor    accord.Actor
		id       string
		step     node.Step
		wantCode string
		wantText string
	}{
		{"illegal pair names both", liaison, local, node.Step{Action: accord.ActionAccept}, accord.ECONFLICT, "cannot accept a request that is sent"},
		{"reviewer may not act", reviewer, local, node.Step{Action: accord.ActionAcknowledge}, accord.EFORBIDDEN, "role reviewer"},
		{"analyst may not act", analyst, local, node.Step{Action: accord.ActionAcknowledge}, accord.EFORBIDDEN, "role analyst"},
		{"peer's step arrives signed", liaison, peer, node.Step{Action: accord.ActionAcknowledge}, accord.EFORBIDDEN, "only jpcert"},
		{"own step with a peer cannot be dated", liaison, peer, node.Step{Action: accord.ActionWithdraw, At: f.clock.Now().Add(-time.Minute)}, accord.EINVALID, "cannot be dated"},
		{"future date", liaison, local, node.Step{Action: accord.ActionAcknowledge, At: f.clock.Now().Add(time.Hour)}, accord.EINVALID, "in the future"},
		{"before previous step", liaison, local, node.Step{Action: accord.ActionAcknowledge, At: f.clock.Now().Add(-2 * time.Hour)}, accord.EINVALID, "before the request's previous step"},
		{"notification owes no answer", liaison, notif, node.Step{Action: accord.ActionDecline}, accord.ECONFLICT, "owes no answer"},
		{"unknown action", liaison, local, node.Step{Action: "escalate"}, accord.EINVALID, "escalate"},
		{"unknown request", liaison, "us-cert-R9999", node.Step{Action: accord.ActionAcknowledge}, accord.ENOTFOUND, "us-cert-R9999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, f)
			_, err := f.svc.Act(f.ctx, tc.actor, tc.id, tc.step)
			if accord.ErrorCode(err) != tc.wantCode || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("Act = %v (code %s); want code %s containing %q", err, accord.ErrorCode(err), tc.wantCode, tc.wantText)
			}
			if diff := cmp.Diff(before, snapshot(t, f)); diff != "" {
				t.Errorf("store changed by a refused step (-before +after):\n%s", diff)
			}
		})
	}

	// Decline needs a ground of the agreement and a text.
	f.act(t, local, node.Step{Action: accord.ActionAcknowledge})
	if _, err := f.svc.Act(f.ctx, liaison, local, node.Step{Action: accord.ActionDecline, Ground: "inconvenient", Text: "no"}); !strings.Contains(err.Error(), "national-law") {
		t.Errorf("decline with unknown ground: %v; want the allowed grounds listed", err)
	}
	if _, err := f.svc.Act(f.ctx, liaison, local, node.Step{Action: accord.ActionDecline, Ground: "national-law"}); accord.ErrorField(err) != "text" {
		t.Errorf("decline without text: %v; want invalid text", err)
	}
	d := f.act(t, local, node.Step{Action: accord.ActionDecline, Ground: "not-on-territory", Text: "The address is not allocated in CN."})
	if d.Status != accord.StatusDeclined || d.DeclineGround != "not-on-territory" {
		t.Errorf("declined = %s %s", d.Status, d.DeclineGround)
	}
	if _, err := f.svc.Act(f.ctx, liaison, local, node.Step{Action: accord.ActionRate, Score: 9}); accord.ErrorCode(err) != accord.ECONFLICT {
		t.Errorf("rating a declined request: %v; want conflict", err)
	}
}

func TestOverdueDerivedFromClock(t *testing.T) {
	f := newFixture(t)
	c := f.newCase(t)
	d, err := f.svc.CreateRequest(f.ctx, liaison, node.NewRequest{CaseID: c.ID, To: "cncert", Type: accord.TypeMitigation, Priority: accord.PriorityEmergency, Subject: "Take down C2"})
	if err != nil {
		t.Fatal(err)
	}
	overdue := func() []string {
		rs, total, err := f.svc.Requests(f.ctx, reviewer, node.RequestQuery{Overdue: true})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.ID+":"+string(r.Overdue))
		}
		if total != len(rs) {
			t.Errorf("total %d, listed %d", total, len(rs))
		}
		return ids
	}
	if got := overdue(); len(got) != 0 {
		t.Errorf("overdue at once: %v", got)
	}
	f.clock.Advance(time.Hour) // mitigation/emergency: acknowledge within 1h — exactly at the deadline is in time
	if got := overdue(); len(got) != 0 {
		t.Errorf("overdue at the deadline: %v", got)
	}
	f.clock.Advance(time.Microsecond)
	if diff := cmp.Diff([]string{d.ID + ":acknowledge"}, overdue()); diff != "" {
		t.Errorf("after ack deadline (-want +got):\n%s", diff)
	}
	f.act(t, d.ID, node.Step{Action: accord.ActionAcknowledge})
	f.act(t, d.ID, node.Step{Action: accord.ActionAccept})
	f.clock.Advance(24 * time.Hour)
	if diff := cmp.Diff([]string{d.ID + ":answer"}, overdue()); diff != "" {
		t.Errorf("after answer deadline (-want +got):\n%s", diff)
	}
	f.act(t, d.ID, node.Step{Action: accord.ActionAnswerFinal, Body: "Server taken offline."})
	if got := overdue(); len(got) != 0 {
		t.Errorf("overdue after final answer: %v", got)
	}
}

func TestCreateValidation(t *testing.T) {
	f := newFixture(t)
	c := f.newCase(t)
	for _, tc := range []struct {
		name      string
		actor     accord.Actor
		in        node.NewRequest
		wantField string
		wantCode  string
	}{
		{"unknown type", liaison, node.NewRequest{CaseID: c.ID, To: "cncert", Type: "spying", Priority: "high", Subject: "s"}, "type", accord.EINVALID},
		{"unknown priority", liaison, node.NewRequest{CaseID: c.ID, To: "cncert", Type: "information", Priority: "urgent", Subject: "s"}, "priority", accord.EINVALID},
		{"no subject", liaison, node.NewRequest{CaseID: c.ID, To: "cncert", Type: "information", Priority: "high", Subject: "  "}, "subject", accord.EINVALID},
		{"unknown party", liaison, node.NewRequest{CaseID: c.ID, To: "krcert", Type: "information", Priority: "high", Subject: "s"}, "to", accord.EINVALID},
		{"unknown case", liaison, node.NewRequest{CaseID: "us-cert-C0099", To: "cncert", Type: "information", Priority: "high", Subject: "s"}, "case_id", accord.EINVALID},
		{"no case", liaison, node.NewRequest{To: "cncert", Type: "information", Priority: "high", Subject: "s"}, "case_id", accord.EINVALID},
		{"to self", liaison, node.NewRequest{CaseID: c.ID, To: "us-cert", Type: "information", Priority: "high", Subject: "s"}, "to", accord.EINVALID},
		{"future receipt", liaison, node.NewRequest{From: "cncert", Type: "information", Priority: "high", Subject: "s", ReceivedAt: f.clock.Now().Add(time.Hour)}, "received_at", accord.EINVALID},
		{"analyst cannot send", analyst, node.NewRequest{CaseID: c.ID, To: "cncert", Type: "information", Priority: "high", Subject: "s"}, "", accord.EFORBIDDEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, f)
			_, err := f.svc.CreateRequest(f.ctx, tc.actor, tc.in)
			if accord.ErrorCode(err) != tc.wantCode || accord.ErrorField(err) != tc.wantField {
				t.Errorf("CreateRequest = %v (code %s, field %q); want code %s field %q", err, accord.ErrorCode(err), accord.ErrorField(err), tc.wantCode, tc.wantField)
			}
			if diff := cmp.Diff(before, snapshot(t, f)); diff != "" {
				t.Errorf("store changed (-before +after):\n%s", diff)
			}
		})
	}
	if _, err := f.svc.CreateCase(f.ctx, reviewer, node.NewCase{Title: "t", Category: "fraud"}); accord.ErrorCode(err) != accord.EFORBIDDEN {
		t.Errorf("reviewer opening a case: %v", err)
	}
	if _, err := f.svc.CreateCase(f.ctx, analyst, node.NewCase{Title: "t", Category: "fraud", Sectors: []string{"banking", "nowhere"}}); accord.ErrorField(err) != "sectors" {
		t.Errorf("unknown sector: %v", err)
	}
	if _, err := f.svc.CreateCase(f.ctx, analyst, node.NewCase{Title: "t", Category: "fraud", AffectedCountry: "XX"}); accord.ErrorField(err) != "affected_country" {
		t.Errorf("unknown country: %v", err)
	}
}

func TestUsersAndTokens(t *testing.T) {
	f := newFixture(t)
	u, token, err := f.svc.AddUser(f.ctx, admin, "li.wei", accord.RoleLiaison)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "acc_") || u.TokenHash == token || u.TokenHash == "" {
		t.Errorf("token %q hash %q: want an acc_ token stored only as its hash", token, u.TokenHash)
	}
	a, err := f.svc.Authenticate(f.ctx, token)
	if err != nil || a.Name != "li.wei" || a.Role != accord.RoleLiaison {
		t.Errorf("Authenticate = %+v, %v", a, err)
	}
	if _, err := f.svc.Authenticate(f.ctx, token+"x"); accord.ErrorCode(err) != accord.EUNAUTHORIZED {
		t.Errorf("Authenticate(wrong) = %v, want unauthorized", err)
	}
	if _, _, err := f.svc.AddUser(f.ctx, admin, "li.wei", accord.RoleAdmin); accord.ErrorCode(err) != accord.ECONFLICT {
		t.Errorf("duplicate user: %v", err)
	}
	if _, _, err := f.svc.AddUser(f.ctx, liaison, "mallory", accord.RoleAdmin); accord.ErrorCode(err) != accord.EFORBIDDEN {
		t.Errorf("liaison adding a user: %v", err)
	}
	if _, _, err := f.svc.AddParty(f.ctx, admin, accord.Party{ID: "us-cert", Name: "x", Country: "US"}); accord.ErrorCode(err) != accord.ECONFLICT {
		t.Errorf("re-registering the own party as local: %v", err)
	}
}

// state is everything a node stores, for before/after comparisons.
type state struct {
	Parties  []*accord.Party
	Users    []*accord.User
	Cases    []*accord.Case
	Requests []*accord.Request
	Events   []*accord.Event
	Answers  []*accord.Answer
}

func snapshot(t *testing.T, f *fixture) state {
	t.Helper()
	var s state
	err := f.store.View(f.ctx, func(tx accord.Tx) (err error) {
		if s.Parties, err = tx.Parties(); err != nil {
			return err
		}
		if s.Users, err = tx.Users(); err != nil {
			return err
		}
		if s.Cases, err = tx.Cases(accord.CaseFilter{}); err != nil {
			return err
		}
		if s.Requests, err = tx.Requests(accord.RequestFilter{}); err != nil {
			return err
		}
		for _, r := range s.Requests {
			es, err := tx.Events(r.ID)
			if err != nil {
				return err
			}
			as, err := tx.Answers(r.ID)
			if err != nil {
				return err
			}
			s.Events, s.Answers = append(s.Events, es...), append(s.Answers, as...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
