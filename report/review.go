package report

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"slices"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// ReviewSchema names the JSON form of a Review; see schema/review.json.
const ReviewSchema = "https://accord.example/schemas/report/review/1"

// Review is the semi-annual joint-dialogue review: the timeliness and
// quality of the answers to requests between this node's party and its
// peers over a period, computed only from what both nodes hold — the
// signed messages and the receipts that fixed when each arrived — so that
// both delegations hold the same figures and the same Digest.
//
// Sections, in the order the formats print them: Timeliness (per request
// type and responding party), Overdue, Declines, Ratings, Trend,
// Escalations. Later sections (norms, attribution) slot in as further
// fields; the shared figures are those under the digest.
type Review struct {
	Schema string `json:"schema"`
	// Node is the party whose node computed the report; Peer the one
	// party it is about, or "" for every peer.
	Node string `json:"node"`
	Peer string `json:"peer,omitempty"`
	// Period is [From, To); Previous the period of the same length before
	// it, which the trend compares with. AsOf is the moment the figures
	// hold at: the period's end. Only messages whose receipts say they
	// arrived before it count.
	Period   Period    `json:"period"`
	Previous Period    `json:"previous_period"`
	AsOf     time.Time `json:"as_of"`
	// GeneratedAt is when this node computed the report (not shared).
	GeneratedAt time.Time `json:"generated_at"`
	// Agreement is the digest of the agreement whose deadlines apply.
	Agreement string `json:"agreement_digest"`
	// Parties are the parties of the exchanges, sorted.
	Parties []string `json:"parties"`

	// Digest is the hex SHA-256 of the RFC 8785 canonical JSON of the
	// shared part: the period, the agreement, the parties, every message
	// and receipt counted (by id, envelope digest, kind, sender, seq and
	// receipt time) and every figure below. Both nodes compute the same.
	Digest string `json:"digest"`
	// Checkpoint is this node's ledger checkpoint when the report was
	// computed: what a delegation checks the messages against.
	Checkpoint Checkpoint `json:"checkpoint"`
	// Messages is how many messages the figures were computed from.
	Messages int `json:"messages"`
	// AwaitingReceipts is how many messages this node has sent (about any
	// request) whose receipts have not come back: while there are any,
	// the other node may hold facts this one lacks, and the two digests
	// may differ. Not under the digest.
	AwaitingReceipts int `json:"awaiting_receipts"`

	// Totals sums Groups; Groups are per request type and responding
	// party, by type then party.
	Totals Group   `json:"totals"`
	Groups []Group `json:"groups"`
	// Overdue lists the requests past a deadline unmet at AsOf.
	Overdue []OverdueItem `json:"overdue"`
	// Declines lists the requests declined in the period, with ground.
	Declines []DeclineItem `json:"declines"`
	// Trend compares Totals and each group with the previous period.
	Trend []TrendRow `json:"trend"`
	// Escalations are the requests the dialogue should take up: overdue,
	// or declined.
	Escalations []Escalation `json:"escalations"`
}

// Period is a half-open interval of time, [From, To), in UTC.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Checkpoint identifies a state of a node's ledger.
type Checkpoint struct {
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Root   string `json:"root"` // base64, as the checkpoint note writes it
	// Signed says whether the checkpoint is one the node signed (else the
	// ledger's head, before any checkpoint); CosignedAt when the peer
	// cosigned it (zero if not yet).
	Signed     bool      `json:"signed"`
	CosignedAt time.Time `json:"cosigned_at,omitzero"`
}

// Group is the figures of one request type and responding party (Type and
// Responder "" in Totals). Times are whole seconds, from the receipt of the
// request to the receipt of the step.
type Group struct {
	Type      accord.RequestType `json:"type,omitempty"`
	Responder string             `json:"responder,omitempty"`
	Requests  int                `json:"requests"`
	// Acknowledged counts the requests acknowledged (or first acted on)
	// before AsOf; AcknowledgeTime their times to acknowledge.
	Acknowledged    int   `json:"acknowledged"`
	AcknowledgeTime Stats `json:"time_to_acknowledge"`
	// AnswerOwed counts the requests whose answer fell due: the agreement
	// requires one, the request was neither declined nor withdrawn, and
	// it was answered in full or its deadline passed before AsOf.
	// Answered counts those answered in full, AnswerTime their times to
	// the final answer, WithinDeadline those answered in full by the
	// deadline.
	AnswerOwed     int   `json:"answer_owed"`
	Answered       int   `json:"answered"`
	AnswerTime     Stats `json:"time_to_answer"`
	WithinDeadline int   `json:"answered_within_deadline"`
	// WithinDeadlineShare is WithinDeadline / AnswerOwed (0 when none is
	// owed); not under the digest, which holds the two counts.
	WithinDeadlineShare float64 `json:"answered_within_deadline_share"`
	Overdue             int     `json:"overdue"`
	Declined            int     `json:"declined"`
	Withdrawn           int     `json:"withdrawn"`
	// DeclinesByGround counts declines by the agreement's ground id.
	DeclinesByGround []Count `json:"declines_by_ground"`
	Ratings          Ratings `json:"ratings"`
}

// Stats summarises durations in whole seconds: the median and 90th
// percentile by the nearest-rank method, and the maximum.
type Stats struct {
	Count  int   `json:"count"`
	Median int64 `json:"median_seconds"`
	P90    int64 `json:"p90_seconds"`
	Max    int64 `json:"max_seconds"`
}

// Count is a labelled count.
type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// Ratings are the requesters' ratings (1–5) of final answers.
type Ratings struct {
	Count int `json:"count"`
	Sum   int `json:"sum"`
	// Distribution[i] counts the ratings of i+1.
	Distribution [5]int `json:"distribution"`
	// Mean is Sum / Count (0 for none); not under the digest.
	Mean float64 `json:"mean"`
}

// OverdueItem is a request past a deadline at AsOf.
type OverdueItem struct {
	RequestID string             `json:"request_id"`
	Type      accord.RequestType `json:"type"`
	Priority  accord.Priority    `json:"priority"`
	Requester string             `json:"requester"`
	Responder string             `json:"responder"`
	// Deadline is which one: acknowledge or answer; Due when it fell;
	// Late how long before AsOf, in seconds.
	Deadline accord.Overdue `json:"deadline"`
	Due      time.Time      `json:"due"`
	Late     int64          `json:"late_seconds"`
}

// DeclineItem is a request declined.
type DeclineItem struct {
	RequestID string             `json:"request_id"`
	Type      accord.RequestType `json:"type"`
	Requester string             `json:"requester"`
	Responder string             `json:"responder"`
	Ground    string             `json:"ground"`
	At        time.Time          `json:"at"`
}

// TrendRow compares one group (or the totals: Type and Responder "") with
// the previous period.
type TrendRow struct {
	Type      accord.RequestType `json:"type,omitempty"`
	Responder string             `json:"responder,omitempty"`
	Current   TrendFigures       `json:"current"`
	Previous  TrendFigures       `json:"previous"`
}

// TrendFigures are the figures a trend compares.
type TrendFigures struct {
	Requests          int   `json:"requests"`
	MedianAnswer      int64 `json:"median_answer_seconds"`
	AnswerOwed        int   `json:"answer_owed"`
	WithinDeadline    int   `json:"answered_within_deadline"`
	Overdue           int   `json:"overdue"`
	Declined          int   `json:"declined"`
	RatingCount       int   `json:"rating_count"`
	RatingSum         int   `json:"rating_sum"`
	MedianAcknowledge int64 `json:"median_acknowledge_seconds"`
}

// Escalation is a request the dialogue should take up, and why.
type Escalation struct {
	RequestID string             `json:"request_id"`
	Type      accord.RequestType `json:"type"`
	Requester string             `json:"requester"`
	Responder string             `json:"responder"`
	// Reason: "overdue to acknowledge", "overdue to answer", or
	// "declined (ground)".
	Reason string `json:"reason"`
}

// ReviewOptions chooses a review.
type ReviewOptions struct {
	// From and To are the first and last days of the period (UTC dates;
	// the period ends at the midnight after To).
	From, To time.Time
	// Peer limits the review to one peer; "" takes every peer.
	Peer string
}

// BuildReview computes the review of a period on svc's node. The period
// must have ended (its end not after the node's clock): the figures hold at
// its end, a moment both nodes agree on. EINVALID for a period that is
// empty, reversed or not yet over.
func BuildReview(ctx context.Context, svc *node.Service, actor accord.Actor, opts ReviewOptions) (*Review, error) {
	p, err := period(opts.From, opts.To)
	if err != nil {
		return nil, err
	}
	now := svc.Now()
	if p.To.After(now) {
		return nil, accord.FieldError("to", "the period ends %s, after now (%s): a review holds at the end of its period, which both nodes must have reached",
			p.To.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	prev := Period{From: p.From.Add(-p.To.Sub(p.From)), To: p.From}
	r := &Review{Schema: ReviewSchema, Node: svc.SelfID(), Peer: opts.Peer, Period: p, Previous: prev, AsOf: p.To,
		GeneratedAt: now, Agreement: svc.Agreement().Digest, Groups: []Group{}, Overdue: []OverdueItem{}, Declines: []DeclineItem{},
		Trend: []TrendRow{}, Escalations: []Escalation{}}

	// The previous period's figures, as they stood at its end.
	prevAcc := newAccumulator(svc.Agreement(), prev.To)
	if err := svc.Exchanges(ctx, actor, opts.Peer, prev.From, prev.To, prev.To, func(x *node.Exchange) error { return prevAcc.add(x) }); err != nil {
		return nil, err
	}
	// The period's: facts go into the digest as they stream by.
	acc := newAccumulator(svc.Agreement(), p.To)
	d := newDigester(r)
	if err := svc.Exchanges(ctx, actor, opts.Peer, p.From, p.To, p.To, func(x *node.Exchange) error {
		r.Messages += len(x.Steps)
		d.fact(x)
		return acc.add(x)
	}); err != nil {
		return nil, err
	}
	acc.finish(r)
	r.Trend = trend(acc, prevAcc)
	parties := map[string]bool{svc.SelfID(): true}
	if opts.Peer != "" {
		parties[opts.Peer] = true
	}
	for k := range acc.parties {
		parties[k] = true
	}
	for k := range parties {
		r.Parties = append(r.Parties, k)
	}
	slices.Sort(r.Parties)
	r.Digest, err = d.sum(r)
	if err != nil {
		return nil, err
	}
	r.Checkpoint, err = checkpoint(ctx, svc, actor)
	if err != nil {
		return nil, err
	}
	if r.AwaitingReceipts, err = svc.PendingOutbox(ctx, opts.Peer); err != nil {
		return nil, err
	}
	return r, nil
}

// period turns inclusive dates into [from, to+1 day).
func period(from, to time.Time) (Period, error) {
	if from.IsZero() || to.IsZero() {
		return Period{}, accord.FieldError("from", "a period needs a first and a last day")
	}
	f := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	t := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	if !t.After(f) {
		return Period{}, accord.FieldError("to", "%s is before %s", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	return Period{From: f, To: t}, nil
}

// checkpoint reads this node's latest signed checkpoint, else its ledger
// head.
func checkpoint(ctx context.Context, svc *node.Service, actor accord.Actor) (Checkpoint, error) {
	cp, err := svc.LatestCheckpoint(ctx, actor)
	if err == nil {
		return Checkpoint{Origin: cp.Party, Size: cp.Size, Root: base64.StdEncoding.EncodeToString(cp.Hash[:]), Signed: true, CosignedAt: cp.CosignedAt}, nil
	}
	if accord.ErrorCode(err) != accord.ENOTFOUND {
		return Checkpoint{}, err
	}
	h, err := svc.Head(ctx, actor)
	if err != nil {
		return Checkpoint{}, err
	}
	return Checkpoint{Origin: svc.SelfID(), Size: h.Size, Root: h.Root}, nil
}

// outcome is what one exchange came to by AsOf.
type outcome struct {
	x                *node.Exchange
	received         time.Time
	ackBy, answerBy  time.Time // answerBy zero: no answer owed
	ackAt, answerAt  time.Time // zero: not yet
	declinedAt       time.Time
	ground           string
	withdrawnAt      time.Time
	rating           int
	overdue          accord.Overdue
	overdueSince     time.Time
	answerOwed, late bool // late: answered in full after the deadline
}

// accumulator gathers the figures of a period, group by group.
type accumulator struct {
	agreement *accord.Agreement
	asOf      time.Time
	groups    map[groupKey]*groupAcc
	parties   map[string]bool
	overdue   []OverdueItem
	declines  []DeclineItem
	escalate  []Escalation
}

type groupKey struct {
	typ       accord.RequestType
	responder string
}

type groupAcc struct {
	Group
	ack, answer []int64
	grounds     map[string]int
}

func newAccumulator(a *accord.Agreement, asOf time.Time) *accumulator {
	return &accumulator{agreement: a, asOf: asOf, groups: map[groupKey]*groupAcc{}, parties: map[string]bool{}}
}

// judge works out an exchange's outcome at asOf.
func judge(a *accord.Agreement, asOf time.Time, x *node.Exchange) (*outcome, error) {
	o := &outcome{x: x, received: x.Received()}
	d, err := a.Deadline(x.Type, x.Priority)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", x.RequestID, err)
	}
	terms, err := a.Terms(x.Type)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", x.RequestID, err)
	}
	o.ackBy = o.received.Add(time.Duration(d.Acknowledge))
	if terms.AnswerRequired {
		o.answerOwed = true
		o.answerBy = o.received.Add(time.Duration(d.Answer))
	}
	for _, st := range x.Steps[1:] {
		byResponder := st.Sender == x.To
		switch {
		case byResponder && o.ackAt.IsZero() && (st.Kind == accord.KindAcknowledge || st.Kind == accord.KindAccept ||
			st.Kind == accord.KindDecline || st.Kind == accord.KindAnswer):
			o.ackAt = st.At
		}
		switch st.Kind {
		case accord.KindAnswer:
			if byResponder && st.Final && o.answerAt.IsZero() {
				o.answerAt = st.At
			}
		case accord.KindDecline:
			if byResponder && o.declinedAt.IsZero() {
				o.declinedAt, o.ground = st.At, st.Ground
			}
		case accord.KindWithdraw:
			if !byResponder && o.withdrawnAt.IsZero() {
				o.withdrawnAt = st.At
			}
		case accord.KindRate:
			if !byResponder && o.rating == 0 && st.Score >= 1 && st.Score <= 5 {
				o.rating = st.Score
			}
		}
	}
	// Overdue, as a node reads it at asOf: a deadline passed with its step
	// not taken, and the request still live (not declined or withdrawn).
	// Steps after asOf are not in x.
	live := o.declinedAt.IsZero() && o.withdrawnAt.IsZero()
	switch {
	case live && o.ackAt.IsZero() && o.ackBy.Before(asOf):
		o.overdue, o.overdueSince = accord.OverdueAcknowledge, o.ackBy
	case live && o.answerOwed && o.answerAt.IsZero() && o.answerBy.Before(asOf):
		o.overdue, o.overdueSince = accord.OverdueAnswer, o.answerBy
	}
	o.late = o.answerOwed && !o.answerAt.IsZero() && o.answerAt.After(o.answerBy)
	return o, nil
}

func (acc *accumulator) add(x *node.Exchange) error {
	o, err := judge(acc.agreement, acc.asOf, x)
	if err != nil {
		return err
	}
	acc.parties[x.From], acc.parties[x.To] = true, true
	k := groupKey{x.Type, x.To}
	g := acc.groups[k]
	if g == nil {
		g = &groupAcc{Group: Group{Type: x.Type, Responder: x.To}, grounds: map[string]int{}}
		acc.groups[k] = g
	}
	g.Requests++
	if !o.ackAt.IsZero() {
		g.Acknowledged++
		g.ack = append(g.ack, seconds(o.ackAt.Sub(o.received)))
	}
	if o.answerOwed && o.declinedAt.IsZero() && o.withdrawnAt.IsZero() && (!o.answerAt.IsZero() || o.answerBy.Before(acc.asOf)) {
		g.AnswerOwed++
	}
	if !o.answerAt.IsZero() {
		g.Answered++
		g.answer = append(g.answer, seconds(o.answerAt.Sub(o.received)))
		if o.answerOwed && !o.late {
			g.WithinDeadline++
		}
	}
	if !o.withdrawnAt.IsZero() {
		g.Withdrawn++
	}
	if o.rating > 0 {
		g.Ratings.Count++
		g.Ratings.Sum += o.rating
		g.Ratings.Distribution[o.rating-1]++
	}
	if !o.declinedAt.IsZero() {
		g.Declined++
		g.grounds[o.ground]++
		acc.declines = append(acc.declines, DeclineItem{RequestID: x.RequestID, Type: x.Type, Requester: x.From, Responder: x.To, Ground: o.ground, At: o.declinedAt})
		acc.escalate = append(acc.escalate, Escalation{RequestID: x.RequestID, Type: x.Type, Requester: x.From, Responder: x.To, Reason: "declined (" + o.ground + ")"})
	}
	if o.overdue != accord.NotOverdue {
		g.Overdue++
		acc.overdue = append(acc.overdue, OverdueItem{RequestID: x.RequestID, Type: x.Type, Priority: x.Priority, Requester: x.From, Responder: x.To,
			Deadline: o.overdue, Due: o.overdueSince, Late: seconds(acc.asOf.Sub(o.overdueSince))})
		acc.escalate = append(acc.escalate, Escalation{RequestID: x.RequestID, Type: x.Type, Requester: x.From, Responder: x.To, Reason: "overdue to " + string(o.overdue)})
	}
	return nil
}

// seconds truncates a duration to whole seconds.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// finish writes the accumulated figures into r.
func (acc *accumulator) finish(r *Review) {
	r.Groups = acc.sortedGroups()
	var all []int64
	var allAnswer []int64
	tot := &groupAcc{grounds: map[string]int{}}
	for _, g := range acc.groups {
		tot.Requests += g.Requests
		tot.Acknowledged += g.Acknowledged
		tot.AnswerOwed += g.AnswerOwed
		tot.Answered += g.Answered
		tot.WithinDeadline += g.WithinDeadline
		tot.Overdue += g.Overdue
		tot.Declined += g.Declined
		tot.Withdrawn += g.Withdrawn
		tot.Ratings.Count += g.Ratings.Count
		tot.Ratings.Sum += g.Ratings.Sum
		for i, n := range g.Ratings.Distribution {
			tot.Ratings.Distribution[i] += n
		}
		for k, n := range g.grounds {
			tot.grounds[k] += n
		}
		all = append(all, g.ack...)
		allAnswer = append(allAnswer, g.answer...)
	}
	tot.ack, tot.answer = all, allAnswer
	r.Totals = tot.group()
	r.Overdue = acc.overdue
	slices.SortFunc(r.Overdue, func(a, b OverdueItem) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.RequestID, b.RequestID))
	})
	r.Declines = acc.declines
	slices.SortFunc(r.Declines, func(a, b DeclineItem) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.RequestID, b.RequestID))
	})
	r.Escalations = acc.escalate
	slices.SortFunc(r.Escalations, func(a, b Escalation) int {
		return cmp.Or(cmp.Compare(a.RequestID, b.RequestID), cmp.Compare(a.Reason, b.Reason))
	})
	if r.Overdue == nil {
		r.Overdue = []OverdueItem{}
	}
	if r.Declines == nil {
		r.Declines = []DeclineItem{}
	}
	if r.Escalations == nil {
		r.Escalations = []Escalation{}
	}
}

func (acc *accumulator) sortedGroups() []Group {
	keys := make([]groupKey, 0, len(acc.groups))
	for k := range acc.groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b groupKey) int {
		return cmp.Or(cmp.Compare(a.typ, b.typ), cmp.Compare(a.responder, b.responder))
	})
	out := make([]Group, 0, len(keys))
	for _, k := range keys {
		out = append(out, acc.groups[k].group())
	}
	return out
}

// group completes the derived figures of g.
func (g *groupAcc) group() Group {
	out := g.Group
	out.AcknowledgeTime = stats(g.ack)
	out.AnswerTime = stats(g.answer)
	out.DeclinesByGround = []Count{}
	for k, n := range g.grounds {
		out.DeclinesByGround = append(out.DeclinesByGround, Count{Key: k, Count: n})
	}
	slices.SortFunc(out.DeclinesByGround, func(a, b Count) int { return cmp.Compare(a.Key, b.Key) })
	if out.AnswerOwed > 0 {
		out.WithinDeadlineShare = float64(out.WithinDeadline) / float64(out.AnswerOwed)
	}
	if out.Ratings.Count > 0 {
		out.Ratings.Mean = float64(out.Ratings.Sum) / float64(out.Ratings.Count)
	}
	return out
}

// stats summarises durations (it sorts xs).
func stats(xs []int64) Stats {
	if len(xs) == 0 {
		return Stats{}
	}
	slices.Sort(xs)
	return Stats{Count: len(xs), Median: rank(xs, 50), P90: rank(xs, 90), Max: xs[len(xs)-1]}
}

// rank is the p-th percentile of sorted xs by the nearest-rank method: the
// smallest value with at least p% of the values at or below it.
func rank(xs []int64, p int) int64 {
	n := (p*len(xs) + 99) / 100 // ceil(p/100 · len)
	return xs[max(n, 1)-1]
}

// trend pairs each group and the totals with the previous period's.
func trend(cur, prev *accumulator) []TrendRow {
	keys := map[groupKey]bool{}
	for k := range cur.groups {
		keys[k] = true
	}
	for k := range prev.groups {
		keys[k] = true
	}
	sorted := make([]groupKey, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.SortFunc(sorted, func(a, b groupKey) int {
		return cmp.Or(cmp.Compare(a.typ, b.typ), cmp.Compare(a.responder, b.responder))
	})
	figures := func(g *groupAcc) TrendFigures {
		if g == nil {
			return TrendFigures{}
		}
		x := g.group()
		return TrendFigures{Requests: x.Requests, MedianAnswer: x.AnswerTime.Median, MedianAcknowledge: x.AcknowledgeTime.Median, AnswerOwed: x.AnswerOwed,
			WithinDeadline: x.WithinDeadline, Overdue: x.Overdue, Declined: x.Declined, RatingCount: x.Ratings.Count, RatingSum: x.Ratings.Sum}
	}
	total := func(acc *accumulator) TrendFigures {
		var r Review
		acc.finish(&r)
		t := r.Totals
		return TrendFigures{Requests: t.Requests, MedianAnswer: t.AnswerTime.Median, MedianAcknowledge: t.AcknowledgeTime.Median, AnswerOwed: t.AnswerOwed,
			WithinDeadline: t.WithinDeadline, Overdue: t.Overdue, Declined: t.Declined, RatingCount: t.Ratings.Count, RatingSum: t.Ratings.Sum}
	}
	out := []TrendRow{{Current: total(cur), Previous: total(prev)}}
	for _, k := range sorted {
		out = append(out, TrendRow{Type: k.typ, Responder: k.responder, Current: figures(cur.groups[k]), Previous: figures(prev.groups[k])})
	}
	return out
}

// digester hashes the canonical JSON (RFC 8785) of the shared part of a
// review as its facts stream by. Every value in it is a string, an integer
// or a boolean, and every object's fields are written in the order RFC
// 8785 sorts them, so encoding/json's output (HTML escaping off) is
// canonical but for U+2028 and U+2029: the facts cannot hold them and go
// straight to the hash, the rest passes through an RFC 8785
// implementation. A test checks the whole document against one.
type digester struct {
	h     hash.Hash
	w     io.Writer // h, or h and a copy (tests)
	first bool
	err   error
}

func newDigester(r *Review) *digester { return newDigesterTo(r, nil) }

// newDigesterTo is newDigester that also writes the document to copy.
func newDigesterTo(r *Review, copy io.Writer) *digester {
	d := &digester{h: sha256.New(), first: true}
	d.w = d.h
	if copy != nil {
		d.w = io.MultiWriter(d.h, copy)
	}
	// {"agreement":…,"as_of":…,"facts":[
	d.raw(`{"agreement":`)
	d.anyValue(r.Agreement)
	d.raw(`,"as_of":`)
	d.value(canonTime(r.AsOf))
	d.raw(`,"facts":[`)
	return d
}

func (d *digester) raw(s string) {
	if d.err == nil {
		_, d.err = d.w.Write([]byte(s))
	}
}

// value writes v's JSON without the newline json.Encoder adds. Its
// strings must not hold U+2028 or U+2029, which encoding/json escapes and
// RFC 8785 does not: the facts' ids, digests, kinds and party ids cannot.
func (d *digester) value(v any) {
	if d.err != nil {
		return
	}
	b, err := marshalCanon(v)
	if err != nil {
		d.err = err
		return
	}
	_, d.err = d.w.Write(b)
}

// anyValue writes v's RFC 8785 form, whatever its strings hold (a decline
// ground is the peer's text).
func (d *digester) anyValue(v any) {
	if d.err != nil {
		return
	}
	b, err := marshalCanon(v)
	if err == nil {
		b, err = jcs.Transform(b)
	}
	if err != nil {
		d.err = err
		return
	}
	_, d.err = d.w.Write(b)
}

// marshalCanon is json.Marshal without HTML escaping.
func marshalCanon(v any) ([]byte, error) {
	var buf bytesBuffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := buf.b
	return b[:len(b)-1], nil // the newline Encode adds
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// canonFact is one exchange as the digest holds it; fields in RFC 8785
// order.
type canonFact struct {
	Messages []canonMessage `json:"messages"`
	Request  string         `json:"request"`
}

type canonMessage struct {
	At     string `json:"at"`
	Digest string `json:"digest"`
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Sender string `json:"sender"`
	Seq    int    `json:"seq"`
}

func (d *digester) fact(x *node.Exchange) {
	f := canonFact{Request: x.RequestID, Messages: make([]canonMessage, len(x.Steps))}
	for i, st := range x.Steps {
		f.Messages[i] = canonMessage{At: canonTime(st.At), Digest: st.Digest, ID: st.MessageID, Kind: string(st.Kind), Sender: st.Sender, Seq: st.Seq}
	}
	if !d.first {
		d.raw(",")
	}
	d.first = false
	d.value(f)
}

// canonFigures are the figures under the digest; fields in RFC 8785 order.
type canonFigures struct {
	Declines    []canonDecline    `json:"declines"`
	Escalations []canonEscalation `json:"escalations"`
	Groups      []canonGroup      `json:"groups"`
	Messages    int               `json:"messages"`
	Overdue     []canonOverdue    `json:"overdue"`
	Totals      canonGroup        `json:"totals"`
	Trend       []canonTrend      `json:"trend"`
}

type canonStats struct {
	Count  int   `json:"count"`
	Max    int64 `json:"max_seconds"`
	Median int64 `json:"median_seconds"`
	P90    int64 `json:"p90_seconds"`
}

type canonCount struct {
	Count int    `json:"count"`
	Key   string `json:"key"`
}

type canonRatings struct {
	Count        int    `json:"count"`
	Distribution [5]int `json:"distribution"`
	Sum          int    `json:"sum"`
}

type canonGroup struct {
	Acknowledged     int          `json:"acknowledged"`
	AnswerOwed       int          `json:"answer_owed"`
	Answered         int          `json:"answered"`
	WithinDeadline   int          `json:"answered_within_deadline"`
	Declined         int          `json:"declined"`
	DeclinesByGround []canonCount `json:"declines_by_ground"`
	Overdue          int          `json:"overdue"`
	Ratings          canonRatings `json:"ratings"`
	Requests         int          `json:"requests"`
	Responder        string       `json:"responder"`
	AcknowledgeTime  canonStats   `json:"time_to_acknowledge"`
	AnswerTime       canonStats   `json:"time_to_answer"`
	Type             string       `json:"type"`
	Withdrawn        int          `json:"withdrawn"`
}

type canonOverdue struct {
	Deadline  string `json:"deadline"`
	Due       string `json:"due"`
	Late      int64  `json:"late_seconds"`
	Priority  string `json:"priority"`
	RequestID string `json:"request_id"`
	Requester string `json:"requester"`
	Responder string `json:"responder"`
	Type      string `json:"type"`
}

type canonDecline struct {
	At        string `json:"at"`
	Ground    string `json:"ground"`
	RequestID string `json:"request_id"`
	Requester string `json:"requester"`
	Responder string `json:"responder"`
	Type      string `json:"type"`
}

type canonEscalation struct {
	Reason    string `json:"reason"`
	RequestID string `json:"request_id"`
	Requester string `json:"requester"`
	Responder string `json:"responder"`
	Type      string `json:"type"`
}

type canonTrendFigures struct {
	AnswerOwed        int   `json:"answer_owed"`
	WithinDeadline    int   `json:"answered_within_deadline"`
	Declined          int   `json:"declined"`
	MedianAcknowledge int64 `json:"median_acknowledge_seconds"`
	MedianAnswer      int64 `json:"median_answer_seconds"`
	Overdue           int   `json:"overdue"`
	RatingCount       int   `json:"rating_count"`
	RatingSum         int   `json:"rating_sum"`
	Requests          int   `json:"requests"`
}

type canonTrend struct {
	Current   canonTrendFigures `json:"current"`
	Previous  canonTrendFigures `json:"previous"`
	Responder string            `json:"responder"`
	Type      string            `json:"type"`
}

type canonPeriod struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// sum closes the document with the figures, the parties and the period,
// and returns the hex digest.
func (d *digester) sum(r *Review) (string, error) {
	d.raw(`],"figures":`)
	d.anyValue(canonicalFigures(r))
	d.raw(`,"parties":`)
	d.anyValue(r.Parties)
	d.raw(`,"period":`)
	d.value(canonPeriod{From: canonTime(r.Period.From), To: canonTime(r.Period.To)})
	d.raw(`}`)
	if d.err != nil {
		return "", accord.Internal(d.err, "digest the review")
	}
	return hex.EncodeToString(d.h.Sum(nil)), nil
}

// canonTime writes an instant as RFC 3339 UTC with six fractional digits,
// the precision the nodes store.
func canonTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func canonicalFigures(r *Review) canonFigures {
	g := func(x Group) canonGroup {
		c := canonGroup{Acknowledged: x.Acknowledged, AnswerOwed: x.AnswerOwed, Answered: x.Answered, WithinDeadline: x.WithinDeadline,
			Declined: x.Declined, Overdue: x.Overdue, Requests: x.Requests, Responder: x.Responder, Type: string(x.Type), Withdrawn: x.Withdrawn,
			Ratings:          canonRatings{Count: x.Ratings.Count, Distribution: x.Ratings.Distribution, Sum: x.Ratings.Sum},
			AcknowledgeTime:  canonStats{Count: x.AcknowledgeTime.Count, Max: x.AcknowledgeTime.Max, Median: x.AcknowledgeTime.Median, P90: x.AcknowledgeTime.P90},
			AnswerTime:       canonStats{Count: x.AnswerTime.Count, Max: x.AnswerTime.Max, Median: x.AnswerTime.Median, P90: x.AnswerTime.P90},
			DeclinesByGround: []canonCount{}}
		for _, k := range x.DeclinesByGround {
			c.DeclinesByGround = append(c.DeclinesByGround, canonCount{Count: k.Count, Key: k.Key})
		}
		return c
	}
	tf := func(x TrendFigures) canonTrendFigures {
		return canonTrendFigures{AnswerOwed: x.AnswerOwed, WithinDeadline: x.WithinDeadline, Declined: x.Declined, MedianAcknowledge: x.MedianAcknowledge,
			MedianAnswer: x.MedianAnswer, Overdue: x.Overdue, RatingCount: x.RatingCount, RatingSum: x.RatingSum, Requests: x.Requests}
	}
	f := canonFigures{Messages: r.Messages, Totals: g(r.Totals), Groups: []canonGroup{}, Overdue: []canonOverdue{}, Declines: []canonDecline{},
		Escalations: []canonEscalation{}, Trend: []canonTrend{}}
	for _, x := range r.Groups {
		f.Groups = append(f.Groups, g(x))
	}
	for _, o := range r.Overdue {
		f.Overdue = append(f.Overdue, canonOverdue{Deadline: string(o.Deadline), Due: canonTime(o.Due), Late: o.Late, Priority: string(o.Priority),
			RequestID: o.RequestID, Requester: o.Requester, Responder: o.Responder, Type: string(o.Type)})
	}
	for _, x := range r.Declines {
		f.Declines = append(f.Declines, canonDecline{At: canonTime(x.At), Ground: x.Ground, RequestID: x.RequestID, Requester: x.Requester, Responder: x.Responder, Type: string(x.Type)})
	}
	for _, e := range r.Escalations {
		f.Escalations = append(f.Escalations, canonEscalation{Reason: e.Reason, RequestID: e.RequestID, Requester: e.Requester, Responder: e.Responder, Type: string(e.Type)})
	}
	for _, t := range r.Trend {
		f.Trend = append(f.Trend, canonTrend{Current: tf(t.Current), Previous: tf(t.Previous), Responder: t.Responder, Type: string(t.Type)})
	}
	return f
}
