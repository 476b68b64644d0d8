package report_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// day is a date of the scenario, at 08:00 UTC.
func day(d int) time.Time { return time.Date(2026, 3, d, 8, 0, 0, 0, time.UTC) }

// scenarioStep is one thing a party does in the fixed scenario, at a time.
type scenarioStep struct {
	at  time.Time
	by  string // "us" or "cn"
	req string // key of the request, or "" to open one
	key string // key of the request opened
	new node.NewRequest
	st  node.Step
	// kase, when set, opens a case under key; closes, the case to close.
	kase   *node.NewCase
	closes string
}

// playScenario runs the fixed scenario of the review tests on a pair: a
// request answered on time and rated, one declined, one never
// acknowledged, one answered in part only, one answered late, one
// withdrawn, a notification closed; one request of the previous period for
// the trend. Every step is delivered and receipted at once. It returns the
// request ids by key.
func playScenario(t *testing.T, ctx context.Context, clock *testClock, us, cn *peer) map[string]string {
	t.Helper()
	cases := map[string]string{}
	for _, p := range []*peer{us, cn} {
		c, err := p.svc.CreateCase(ctx, analyst, node.NewCase{Title: "Intrusion", Category: "intrusions"})
		if err != nil {
			t.Fatal(err)
		}
		cases[p.id] = c.ID
	}
	nr := func(to string, typ accord.RequestType, prio accord.Priority, subject string) node.NewRequest {
		from := "us-cert"
		if to == "us-cert" {
			from = "cncert"
		}
		return node.NewRequest{CaseID: cases[from], To: to, Type: typ, Priority: prio, Subject: subject}
	}
	steps := []scenarioStep{
		// The previous period (16 Feb – 1 Mar).
		{at: day(1).AddDate(0, 0, -10), by: "us", key: "R0", new: nr("cncert", accord.TypeInformation, accord.PriorityNormal, "earlier")},
		{at: day(1).AddDate(0, 0, -10).Add(5 * time.Hour), by: "cn", req: "R0", st: node.Step{Action: accord.ActionAcknowledge}},
		{at: day(1).AddDate(0, 0, -8), by: "cn", req: "R0", st: node.Step{Action: accord.ActionAccept}},
		{at: day(1).AddDate(0, 0, -3), by: "cn", req: "R0", st: node.Step{Action: accord.ActionAnswerFinal, Body: "done"}},
		{at: day(1).AddDate(0, 0, -2), by: "us", req: "R0", st: node.Step{Action: accord.ActionRate, Score: 5}},
		// The period (2 – 15 March).
		{at: day(2), by: "us", key: "R1", new: nr("cncert", accord.TypeInformation, accord.PriorityHigh, "on time")},
		{at: day(2).Add(2 * time.Hour), by: "cn", req: "R1", st: node.Step{Action: accord.ActionAcknowledge}},
		{at: day(2).Add(3 * time.Hour), by: "cn", req: "R1", st: node.Step{Action: accord.ActionAccept}},
		{at: day(4), by: "cn", req: "R1", st: node.Step{Action: accord.ActionAnswerFinal, Body: "records"}},
		{at: day(4).Add(time.Hour), by: "us", req: "R1", st: node.Step{Action: accord.ActionRate, Score: 4}},
		{at: day(3), by: "us", key: "R2", new: nr("cncert", accord.TypeEvidence, accord.PriorityNormal, "declined")},
		{at: day(3).Add(4 * time.Hour), by: "cn", req: "R2", st: node.Step{Action: accord.ActionAcknowledge}},
		{at: day(5), by: "cn", req: "R2", st: node.Step{Action: accord.ActionDecline, Ground: "national-law", Text: "needs a treaty request"}},
		{at: day(5).Add(time.Hour), by: "us", key: "R3", new: nr("cncert", accord.TypePreservation, accord.PriorityEmergency, "never acknowledged")},
		{at: day(6), by: "us", key: "R4", new: nr("cncert", accord.TypeInvestigation, accord.PriorityHigh, "answered in part")},
		{at: day(6).Add(time.Hour), by: "cn", req: "R4", st: node.Step{Action: accord.ActionAcknowledge}},
		{at: day(6).Add(2 * time.Hour), by: "cn", req: "R4", st: node.Step{Action: accord.ActionAccept}},
		{at: day(9), by: "cn", req: "R4", st: node.Step{Action: accord.ActionAnswerPartial, Body: "some"}},
		{at: day(7), by: "cn", key: "R5", new: nr("us-cert", accord.TypeMitigation, accord.PriorityEmergency, "answered late")},
		{at: day(7).Add(30 * time.Minute), by: "us", req: "R5", st: node.Step{Action: accord.ActionAcknowledge}},
		{at: day(7).Add(40 * time.Minute), by: "us", req: "R5", st: node.Step{Action: accord.ActionAccept}},
		{at: day(10), by: "us", req: "R5", st: node.Step{Action: accord.ActionAnswerFinal, Body: "offline now"}},
		{at: day(10).Add(time.Hour), by: "cn", req: "R5", st: node.Step{Action: accord.ActionRate, Score: 2, Comment: "three days late"}},
		{at: day(8), by: "cn", key: "R6", new: nr("us-cert", accord.TypeInformation, accord.PriorityNormal, "withdrawn")},
		{at: day(8).Add(6 * time.Hour), by: "us", req: "R6", st: node.Step{Action: accord.ActionAcknowledge}},
		{at: day(9).Add(6 * time.Hour), by: "cn", req: "R6", st: node.Step{Action: accord.ActionWithdraw}},
		{at: day(11), by: "us", key: "R7", new: nr("cncert", accord.TypeNotification, accord.PriorityLow, "for awareness")},
		{at: day(12), by: "cn", req: "R7", st: node.Step{Action: accord.ActionAcknowledge}},
		{at: day(12).Add(time.Hour), by: "us", req: "R7", st: node.Step{Action: accord.ActionClose}},
		// Cases, for the weekly statistics: the review does not read them.
		{at: day(3).Add(time.Hour), by: "us", kase: &node.NewCase{Title: "Ransomware at a hospital", Category: "malicious-code", Sectors: []string{"health"}, OriginCountry: "CN", AffectedCountry: "US", TLP: accord.TLPAmber}},
		{at: day(4).Add(time.Hour), by: "us", key: "C2", kase: &node.NewCase{Title: "Phishing of bank customers", Category: "fraud", Sectors: []string{"banking", "digital-infrastructure"}, AffectedCountry: "US"}},
		{at: day(6).Add(time.Hour), by: "us", closes: "C2"},
		{at: day(9).Add(time.Hour), by: "us", kase: &node.NewCase{Title: "Scanning", Category: "intrusions", OriginCountry: "RU"}},
		// After the period: not counted, whatever it does.
		{at: day(16), by: "cn", req: "R4", st: node.Step{Action: accord.ActionAnswerFinal, Body: "rest"}},
		{at: day(17), by: "us", key: "R8", new: nr("cncert", accord.TypeInformation, accord.PriorityHigh, "next period")},
	}
	slices.SortStableFunc(steps, func(a, b scenarioStep) int { return a.at.Compare(b.at) })
	ids := map[string]string{}
	nodes := map[string]*peer{"us": us, "cn": cn}
	for _, s := range steps {
		if d := s.at.Sub(clock.Now()); d > 0 {
			clock.Advance(d)
		} else if d < 0 {
			t.Fatalf("scenario step at %s is before the clock (%s)", s.at, clock.Now())
		}
		p := nodes[s.by]
		switch {
		case s.kase != nil:
			c, err := p.svc.CreateCase(ctx, analyst, *s.kase)
			if err != nil {
				t.Fatal(err)
			}
			ids[s.key] = c.ID
			continue
		case s.closes != "":
			if _, err := p.svc.CloseCase(ctx, analyst, ids[s.closes]); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if s.req == "" {
			d, err := p.svc.CreateRequest(ctx, liaison, s.new)
			if err != nil {
				t.Fatal(err)
			}
			ids[s.key] = d.ID
		} else if _, err := p.svc.Act(ctx, liaison, ids[s.req], s.st); err != nil {
			t.Fatalf("%s %s %s: %v", s.by, s.st.Action, s.req, err)
		}
		settle(t, ctx, us, cn)
	}
	clock.Advance(5 * 24 * time.Hour)
	return ids
}

func scenarioReview(t *testing.T) (context.Context, *peer, *peer, report.ReviewOptions) {
	t.Helper()
	ctx, clock, us, cn := pair(t, day(1).AddDate(0, 0, -12))
	playScenario(t, ctx, clock, us, cn)
	return ctx, us, cn, report.ReviewOptions{From: day(2), To: day(15)}
}

// shared blanks what differs between the two nodes' copies of a review.
func shared(r *report.Review) report.Review {
	x := *r
	x.Node, x.GeneratedAt, x.Checkpoint = "", time.Time{}, report.Checkpoint{}
	return x
}

// TestReviewBothNodesAgree: the two nodes of the scenario compute the same
// figures and the same digest; altering one receipt's time on one side
// changes that side's digest.
func TestReviewBothNodesAgree(t *testing.T) {
	ctx, us, cn, opts := scenarioReview(t)
	a, err := report.BuildReview(ctx, us.svc, reviewer, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := report.BuildReview(ctx, cn.svc, reviewer, opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest == "" || a.Digest != b.Digest {
		t.Errorf("digests differ: us %s, cn %s", a.Digest, b.Digest)
	}
	if diff := cmp.Diff(shared(a), shared(b)); diff != "" {
		t.Errorf("the nodes' reviews differ (-us +cn):\n%s", diff)
	}
	if a.Checkpoint.Origin != "us-cert" || b.Checkpoint.Origin != "cncert" || a.Checkpoint.Size == 0 {
		t.Errorf("checkpoints: us %+v, cn %+v", a.Checkpoint, b.Checkpoint)
	}

	// A message sent and not yet receipted is counted as awaiting, and
	// changes nothing under the digest.
	if a.AwaitingReceipts != 0 {
		t.Errorf("awaiting receipts after the scenario: %d, want 0", a.AwaitingReceipts)
	}
	if _, err := us.svc.CreateRequest(ctx, liaison, node.NewRequest{CaseID: "us-cert-C0001", To: "cncert", Type: accord.TypeInformation, Priority: accord.PriorityLow, Subject: "in flight"}); err != nil {
		t.Fatal(err)
	}
	inFlight, err := report.BuildReview(ctx, us.svc, reviewer, opts)
	if err != nil {
		t.Fatal(err)
	}
	if inFlight.AwaitingReceipts != 1 || inFlight.Digest != a.Digest {
		t.Errorf("with a message in flight: awaiting %d (want 1), digest %s (want %s)", inFlight.AwaitingReceipts, inFlight.Digest, a.Digest)
	}

	// One receipt time, one microsecond later, on cncert's side only.
	db, err := sql.Open("sqlite", cn.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.ExecContext(ctx, `UPDATE receipts SET received_at = strftime('%Y-%m-%dT%H:%M:%f', received_at, '+1 second') || '000Z'
		WHERE message_id = (SELECT m.id FROM messages m WHERE m.kind = 'answer' AND m.request_id = 'cncert-R0001' LIMIT 1)`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("altered %d receipts, want 1", n)
	}
	c, err := report.BuildReview(ctx, cn.svc, reviewer, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.Digest == a.Digest {
		t.Errorf("a receipt time altered on cncert's side leaves its digest as us-cert's (%s)", c.Digest)
	}
	again, err := report.BuildReview(ctx, us.svc, reviewer, opts)
	if err != nil || again.Digest != a.Digest {
		t.Errorf("us-cert's digest changed without a change on its side: %s → %s (%v)", a.Digest, again.Digest, err)
	}
}

// TestReviewGolden checks the JSON of the scenario's review, less what
// changes from run to run (keys, message ids, hence the digest; the
// checkpoint; when it was generated), against testdata/review.golden.json.
// go test ./report -run Golden -update rewrites it.
func TestReviewGolden(t *testing.T) {
	ctx, us, _, opts := scenarioReview(t)
	r, err := report.BuildReview(ctx, us.svc, reviewer, opts)
	if err != nil {
		t.Fatal(err)
	}
	x := shared(r)
	x.Node, x.Digest = "us-cert", "(varies: keys and message ids are random)"
	got, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "review.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("review JSON differs from %s (-want +got):\n%s", golden, cmp.Diff(string(want), string(got)))
	}
}

// TestReviewRefusals: a period not over yet, a reversed one, a reviewer
// without read permission.
func TestReviewRefusals(t *testing.T) {
	ctx, clock, us, _ := pair(t, day(2))
	if _, err := report.BuildReview(ctx, us.svc, reviewer, report.ReviewOptions{From: day(1), To: clock.Now()}); accord.ErrorField(err) != "to" {
		t.Errorf("a period ending after now: %v; want an error on to", err)
	}
	if _, err := report.BuildReview(ctx, us.svc, reviewer, report.ReviewOptions{From: day(1), To: day(1).AddDate(0, 0, -1)}); accord.ErrorField(err) != "to" {
		t.Errorf("a reversed period: %v; want an error on to", err)
	}
	if _, err := report.BuildReview(ctx, us.svc, accord.Actor{Name: "x"}, report.ReviewOptions{From: day(1).AddDate(0, 0, -20), To: day(1).AddDate(0, 0, -10)}); accord.ErrorCode(err) != accord.EFORBIDDEN {
		t.Errorf("no role: %v; want forbidden", err)
	}
}
