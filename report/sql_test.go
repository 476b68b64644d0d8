package report_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/report"
)

// playRandom plays n random requests between the pair, one after the
// other, each step delivered at once: random types, priorities and
// directions; some never acknowledged, some declined on a random ground,
// answered in part, in full (on time or late) or never, rated, withdrawn
// or closed. Times are whole minutes.
func playRandom(t *testing.T, ctx context.Context, r *rand.Rand, clock *testClock, us, cn *peer, n int) {
	t.Helper()
	a := us.svc.Agreement()
	cases := map[*peer]string{}
	for _, p := range []*peer{us, cn} {
		c, err := p.svc.CreateCase(ctx, analyst, node.NewCase{Title: "random", Category: "intrusions"})
		if err != nil {
			t.Fatal(err)
		}
		cases[p] = c.ID
	}
	minutes := func(lo, hi int) time.Duration { return time.Duration(lo+r.IntN(hi-lo+1)) * time.Minute }
	for i := 0; i < n; i++ {
		from, to := us, cn
		if r.IntN(2) == 0 {
			from, to = cn, us
		}
		typ := accord.RequestTypes[r.IntN(len(accord.RequestTypes))]
		prio := accord.Priorities[r.IntN(len(accord.Priorities))]
		d, err := from.svc.CreateRequest(ctx, liaison, node.NewRequest{CaseID: cases[from], To: to.id, Type: typ, Priority: prio, Subject: fmt.Sprint("request ", i)})
		if err != nil {
			t.Fatal(err)
		}
		settle(t, ctx, us, cn)
		dl, _ := a.Deadline(typ, prio)
		terms, _ := a.Terms(typ)
		act := func(p *peer, st node.Step, after time.Duration) {
			clock.Advance(after)
			if _, err := p.svc.Act(ctx, liaison, d.ID, st); err != nil {
				t.Fatalf("%s %s %s: %v", p.id, st.Action, d.ID, err)
			}
			settle(t, ctx, us, cn)
		}
		ackIn := time.Duration(float64(dl.Acknowledge) * (0.2 + 1.3*r.Float64())).Truncate(time.Minute)
		switch x := r.IntN(10); {
		case x == 0: // never acknowledged
		case x == 1: // withdrawn before acknowledgement
			act(from, node.Step{Action: accord.ActionWithdraw}, minutes(10, 600))
		default:
			act(to, node.Step{Action: accord.ActionAcknowledge}, ackIn)
			if !terms.AnswerRequired {
				if r.IntN(2) == 0 {
					act(from, node.Step{Action: accord.ActionClose}, minutes(10, 600))
				}
				break
			}
			if r.IntN(6) == 0 {
				grounds := a.DeclineGrounds
				act(to, node.Step{Action: accord.ActionDecline, Ground: grounds[r.IntN(len(grounds))].ID, Text: "no"}, minutes(10, 3000))
				break
			}
			act(to, node.Step{Action: accord.ActionAccept}, minutes(1, 120))
			if r.IntN(3) == 0 {
				act(to, node.Step{Action: accord.ActionAnswerPartial, Body: "part"}, minutes(10, 3000))
			}
			if r.IntN(5) == 0 {
				break // never answered in full
			}
			answerIn := time.Duration(float64(dl.Answer) * (0.1 + 1.2*r.Float64())).Truncate(time.Minute)
			act(to, node.Step{Action: accord.ActionAnswerFinal, Body: "all"}, answerIn)
			if r.IntN(3) > 0 {
				act(from, node.Step{Action: accord.ActionRate, Score: 1 + r.IntN(5)}, minutes(10, 600))
			}
		}
		clock.Advance(minutes(30, 3000))
	}
}

// sqlGroup is what plain SQL computes for one request type and responder.
type sqlGroup struct {
	Type, Responder                       string
	Requests, Acknowledged, Answered      int
	AnswerOwed, WithinDeadline, Overdue   int
	Declined, Withdrawn                   int
	RatingCount, RatingSum                int
	AckMedian, AckMax, AnswerMax, AnsMedn int64
}

// sqlReview computes the review's figures with plain SQL over one node's
// messages and receipts, independently of package report: the deadlines
// come in as a JSON table of (type, priority, ack seconds, answer seconds).
const sqlReview = `
WITH dl AS (SELECT value ->> 0 AS type, value ->> 1 AS priority, value ->> 2 AS ack, value ->> 3 AS answer FROM json_each(:deadlines)),
req AS (
	SELECT m.request_id AS id, m.recipient AS responder, m.body ->> '$.type' AS type, m.body ->> '$.priority' AS priority,
		unixepoch(r.received_at) AS received
	FROM messages m JOIN receipts r ON r.message_id = m.id
	WHERE m.kind = 'request' AND r.received_at >= :from AND r.received_at < :to),
st AS (
	SELECT req.id, m.kind, m.sender = req.responder AS by_responder, unixepoch(r.received_at) AS at,
		m.body ->> '$.final' AS final, m.body ->> '$.score' AS score
	FROM req JOIN messages m ON m.request_id = req.id JOIN receipts r ON r.message_id = m.id
	WHERE m.kind <> 'request' AND r.received_at < :to),
one AS (
	SELECT req.id, req.type, req.responder, req.received, dl.ack, dl.answer,
		(SELECT min(at) FROM st WHERE st.id = req.id AND by_responder AND kind IN ('acknowledge', 'accept', 'decline', 'answer')) AS ack_at,
		(SELECT min(at) FROM st WHERE st.id = req.id AND by_responder AND kind = 'answer' AND final) AS answer_at,
		EXISTS (SELECT 1 FROM st WHERE st.id = req.id AND kind = 'decline') AS declined,
		EXISTS (SELECT 1 FROM st WHERE st.id = req.id AND kind = 'withdraw') AS withdrawn,
		(SELECT score FROM st WHERE st.id = req.id AND kind = 'rate') AS score
	FROM req JOIN dl ON dl.type = req.type AND dl.priority = req.priority),
fig AS (
	SELECT *, ack_at - received AS ack_s, answer_at - received AS answer_s,
		answer IS NOT NULL AND NOT declined AND NOT withdrawn AND (answer_at IS NOT NULL OR received + answer < unixepoch(:to)) AS owed,
		NOT declined AND NOT withdrawn AND (
			(ack_at IS NULL AND received + ack < unixepoch(:to)) OR
			(ack_at IS NOT NULL AND answer IS NOT NULL AND answer_at IS NULL AND received + answer < unixepoch(:to))) AS overdue
	FROM one),
ackr AS (SELECT type, responder, ack_s, row_number() OVER w AS rn, count(*) OVER (PARTITION BY type, responder) AS n
	FROM fig WHERE ack_s IS NOT NULL WINDOW w AS (PARTITION BY type, responder ORDER BY ack_s)),
ansr AS (SELECT type, responder, answer_s, row_number() OVER w AS rn, count(*) OVER (PARTITION BY type, responder) AS n
	FROM fig WHERE answer_s IS NOT NULL WINDOW w AS (PARTITION BY type, responder ORDER BY answer_s))
SELECT type, responder, count(*), count(ack_at), count(answer_at),
	sum(owed), sum(owed AND answer_at IS NOT NULL AND answer_s <= answer), sum(overdue),
	sum(declined), sum(withdrawn), count(score), coalesce(sum(score), 0),
	coalesce((SELECT ack_s FROM ackr WHERE ackr.type = fig.type AND ackr.responder = fig.responder AND rn = (n + 1) / 2), 0),
	coalesce(max(ack_s), 0), coalesce(max(answer_s), 0),
	coalesce((SELECT answer_s FROM ansr WHERE ansr.type = fig.type AND ansr.responder = fig.responder AND rn = (n + 1) / 2), 0)
FROM fig GROUP BY type, responder ORDER BY type, responder`

// TestReviewAgainstSQL plays random histories and checks the review's
// figures, group by group, against plain SQL over the node's tables.
func TestReviewAgainstSQL(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			start := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
			ctx, clock, us, cn := pair(t, start)
			r := rand.New(rand.NewPCG(seed, 99))
			playRandom(t, ctx, r, clock, us, cn, 40)
			clock.Advance(48 * time.Hour)
			opts := report.ReviewOptions{From: start.AddDate(0, 0, 7), To: clock.Now().AddDate(0, 0, -20)}
			rev, err := report.BuildReview(ctx, us.svc, reviewer, opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []sqlGroup
			for _, g := range rev.Groups {
				got = append(got, sqlGroup{Type: string(g.Type), Responder: g.Responder, Requests: g.Requests, Acknowledged: g.Acknowledged, Answered: g.Answered,
					AnswerOwed: g.AnswerOwed, WithinDeadline: g.WithinDeadline, Overdue: g.Overdue, Declined: g.Declined, Withdrawn: g.Withdrawn,
					RatingCount: g.Ratings.Count, RatingSum: g.Ratings.Sum, AckMedian: g.AcknowledgeTime.Median, AckMax: g.AcknowledgeTime.Max,
					AnswerMax: g.AnswerTime.Max, AnsMedn: g.AnswerTime.Median})
			}
			want := sqlFigures(t, ctx, us, rev.Period)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("review figures differ from plain SQL (-sql +review):\n%s", diff)
			}
			// The history must exercise what is compared.
			var sum sqlGroup
			for _, g := range want {
				sum.Requests += g.Requests
				sum.Overdue += g.Overdue
				sum.Declined += g.Declined
				sum.WithinDeadline += g.WithinDeadline
				sum.Answered += g.Answered
				sum.RatingCount += g.RatingCount
			}
			if len(want) < 4 || sum.Overdue == 0 || sum.Declined == 0 || sum.WithinDeadline == 0 || sum.Answered == sum.WithinDeadline || sum.RatingCount == 0 {
				t.Errorf("the random history is too thin to test: %d groups, totals %+v", len(want), sum)
			}
		})
	}
}

func sqlFigures(t *testing.T, ctx context.Context, p *peer, per report.Period) []sqlGroup {
	t.Helper()
	a := p.svc.Agreement()
	var table [][4]any
	for _, typ := range accord.RequestTypes {
		terms, _ := a.Terms(typ)
		for _, prio := range accord.Priorities {
			d, err := a.Deadline(typ, prio)
			if err != nil {
				t.Fatal(err)
			}
			var answer any
			if terms.AnswerRequired {
				answer = int64(time.Duration(d.Answer) / time.Second)
			}
			table = append(table, [4]any{string(typ), string(prio), int64(time.Duration(d.Acknowledge) / time.Second), answer})
		}
	}
	js, _ := json.Marshal(table)
	db, err := sql.Open("sqlite", p.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ts := func(x time.Time) string { return x.UTC().Format("2006-01-02T15:04:05.000000Z") }
	rows, err := db.QueryContext(ctx, sqlReview, sql.Named("deadlines", string(js)), sql.Named("from", ts(per.From)), sql.Named("to", ts(per.To)))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []sqlGroup
	for rows.Next() {
		var g sqlGroup
		if err := rows.Scan(&g.Type, &g.Responder, &g.Requests, &g.Acknowledged, &g.Answered, &g.AnswerOwed, &g.WithinDeadline, &g.Overdue,
			&g.Declined, &g.Withdrawn, &g.RatingCount, &g.RatingSum, &g.AckMedian, &g.AckMax, &g.AnswerMax, &g.AnsMedn); err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
