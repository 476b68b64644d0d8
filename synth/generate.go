package synth

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// Options shape a history. The zero value gives 1,000 requests between
// us-cert and cncert over the year 2025 under the default agreement.
type Options struct {
	// Requests is the number of requests (default 1,000).
	Requests int
	// Start is when the history begins (default 2025-01-01T00:00:00Z); it
	// is kept in UTC to the microsecond, as every store keeps times.
	Start time.Time
	// Span is how long it lasts (default 365 days). Requests are sent
	// during the span, and the history is a snapshot at its end: whatever
	// would have happened later has not happened yet.
	Span time.Duration
	// Parties are the two parties; ID, Name and Country are required,
	// FederationURL is optional (default https://127.0.0.1:8481/federation/v1/
	// and :8482). The default is us-cert (US) and cncert (CN).
	Parties [2]accord.Party
	// Agreement supplies the request types, deadlines and decline grounds
	// (default accord.DefaultAgreement()).
	Agreement *accord.Agreement
}

// History is a generated record of cooperation between two parties: the
// cases each opened and every request with the lifecycle steps taken on it.
// It is the same for the same seed and options.
type History struct {
	Seed int64
	// Start and End bound the history; End is the moment it is a snapshot of.
	Start, End time.Time
	// Parties are the two parties (Kind and keys unset).
	Parties   [2]accord.Party
	Agreement *accord.Agreement
	// Cases in the order they were opened (ties by owner and id).
	Cases []*Case
	// Requests in the order they were sent.
	Requests []Request
}

// Case is a case as its owner (the requesting party) stores it at the end
// of the history: opened at CreatedAt, and closed at ClosedAt if it was.
type Case struct {
	Owner string
	accord.Case
}

// Request is one request and its lifecycle. ID and CaseID are the ids the
// requesting node gives them; Actor is the liaison who sent it. SentAt is
// when it was sent, ReceivedAt when the requested party received it (and
// signed the receipt that came back at once).
type Request struct {
	ID          string
	CaseID      string
	From, To    string
	Type        accord.RequestType
	Priority    accord.Priority
	Subject     string
	Body        string
	LegalBasis  string
	ExternalRef string
	Actor       string
	SentAt      time.Time
	ReceivedAt  time.Time
	// Steps are the lifecycle steps after delivery, in order; each was
	// legal (accord.Transition) where it was taken.
	Steps []Step
}

// Step is one lifecycle step taken by one side: Actor took Action at At
// (the time of its message), and the other party received the message at
// ReceivedAt. Ground and Text are a decline's; Text is also an answer's
// body and a rating's comment; Score is a rating's.
type Step struct {
	Action     accord.Action
	Actor      string
	At         time.Time
	ReceivedAt time.Time
	Ground     string
	Text       string
	Score      int
	Note       string
}

// NodeStep returns s as node.Service.Act takes it.
func (s *Step) NodeStep() node.Step {
	st := node.Step{Action: s.Action, Note: s.Note}
	switch s.Action {
	case accord.ActionDecline:
		st.Ground, st.Text = s.Ground, s.Text
	case accord.ActionAnswerPartial, accord.ActionAnswerFinal:
		st.Body = s.Text
	case accord.ActionRate:
		st.Score, st.Comment = s.Score, s.Text
	}
	return st
}

// Messages returns how many messages the history's requests exchanged:
// one per request and one per step. Each has one receipt.
func (h *History) Messages() int {
	n := len(h.Requests)
	for i := range h.Requests {
		n += len(h.Requests[i].Steps)
	}
	return n
}

var defaultParties = [2]accord.Party{
	{ID: "us-cert", Name: "US-CERT (CISA)", Country: "US"},
	{ID: "cncert", Name: "CNCERT/CC", Country: "CN"},
}

// withDefaults returns o with its defaults filled in, or EINVALID naming
// the first bad option.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Requests < 0:
		return o, accord.FieldError("requests", "%d is negative", o.Requests)
	case o.Requests == 0:
		o.Requests = 1000
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	o.Start = o.Start.UTC().Truncate(time.Microsecond)
	switch {
	case o.Span < 0:
		return o, accord.FieldError("span", "%s is negative", o.Span)
	case o.Span == 0:
		o.Span = 365 * day
	case o.Span < time.Hour:
		return o, accord.FieldError("span", "%s is shorter than an hour", o.Span)
	}
	if o.Parties[0].ID == "" && o.Parties[1].ID == "" {
		o.Parties = defaultParties
	}
	for i := range o.Parties {
		p := &o.Parties[i]
		p.Kind = accord.PartyPeer
		if p.FederationURL == "" {
			p.FederationURL = fmt.Sprintf("https://127.0.0.1:%d/federation/v1/", 8481+i)
		}
		if err := p.Validate(); err != nil {
			return o, fmt.Errorf("party %d: %w", i+1, err)
		}
		p.Kind, p.SigningKey, p.TLSCert = "", nil, nil
	}
	if o.Parties[0].ID == o.Parties[1].ID {
		return o, accord.FieldError("parties", "both parties are %s", o.Parties[0].ID)
	}
	if o.Agreement == nil {
		o.Agreement = accord.DefaultAgreement()
	}
	if len(o.Agreement.Types) == 0 || len(o.Agreement.DeclineGrounds) == 0 {
		return o, accord.FieldError("agreement", "provides no request types or no decline grounds")
	}
	return o, nil
}

// Generate returns the history of seed under opts: the same seed and
// options give the same history (math/rand/v2's PCG, no other source of
// randomness). The distributions it draws from are those of the package
// documentation. A million requests take about 15 s and 1.4 GB.
// EINVALID names a bad option.
func Generate(seed int64, opts Options) (*History, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &generator{
		r: rand.New(rand.NewPCG(uint64(seed), 0x61636f7264)), // "acord"
		h: &History{Seed: seed, Start: o.Start, End: o.Start.Add(o.Span), Parties: o.Parties, Agreement: o.Agreement,
			Requests: make([]Request, o.Requests)},
		caseOf: make([]*Case, o.Requests),
		recent: map[string][]*Case{},
		count:  map[string]int{},
	}
	g.types = newWeighted(o.Agreement.Types, func(t accord.TypeTerms) float64 { return typeWeights[t.Type] })
	if len(g.types.items) == 0 {
		return nil, accord.FieldError("agreement", "provides none of the request types the generator knows")
	}
	g.legalGrounds = groundPicker(o.Agreement, legalGrounds)
	g.technicalGrounds = groundPicker(o.Agreement, technicalGrounds)
	g.categories = newWeighted(accord.Categories, func(c accord.Category) float64 { return categoryWeights[c] })
	g.sectors = newWeighted(accord.Sectors, func(s string) float64 { return sectorWeights[s] })
	g.tlps = newWeighted(accord.TLPs, func(t accord.TLP) float64 { return tlpWeights[t] })

	// Sending times: the order statistics of uniform times over the span.
	sent := make([]time.Time, o.Requests)
	for i := range sent {
		sent[i] = o.Start.Add(time.Duration(g.r.Int64N(int64(o.Span/time.Microsecond))) * time.Microsecond)
	}
	slices.SortFunc(sent, func(a, b time.Time) int { return a.Compare(b) })
	for i := range sent {
		if err := g.request(i, sent[i]); err != nil {
			return nil, err
		}
	}
	g.closeCases()
	g.numberCases()
	return g.h, nil
}

// generator holds the state of one Generate call.
type generator struct {
	r *rand.Rand
	h *History

	types                          weighted[accord.TypeTerms]
	legalGrounds, technicalGrounds weighted[accord.DeclineGround]
	categories                     weighted[accord.Category]
	sectors                        weighted[string]
	tlps                           weighted[accord.TLP]

	cases  []*Case
	caseOf []*Case             // the case of each request
	recent map[string][]*Case  // per party, its cases in the order opened
	count  map[string]int      // per party, requests sent so far
	ended  map[*Case]time.Time // cases whose requests all ended, and when the last did
	open   map[*Case]bool      // cases with a request that did not end
	steps  []Step              // the unused part of the current block of steps
}

// maxSteps is the most steps a request takes: acknowledge, accept, three
// partial answers, the final answer, rate and close.
const maxSteps = 8

func groundPicker(a *accord.Agreement, weights map[string]float64) weighted[accord.DeclineGround] {
	w := newWeighted(a.DeclineGrounds, func(g accord.DeclineGround) float64 {
		if x, ok := weights[g.ID]; ok {
			return x
		}
		return defaultGroundWeight
	})
	if len(w.items) == 0 {
		w = newWeighted(a.DeclineGrounds, func(accord.DeclineGround) float64 { return 1 })
	}
	return w
}

// request generates request i, sent at sentAt.
func (g *generator) request(i int, sentAt time.Time) error {
	r, h := g.r, g.h
	from, to := h.Parties[0], h.Parties[1]
	if r.Float64() >= pFirstParty {
		from, to = to, from
	}
	terms := g.types.pick(r)
	pw := priorityWeights[terms.Type]
	if pw == [4]float64{} {
		pw = [4]float64{1, 1, 1, 1}
	}
	prio := accord.Priorities[index(r, pw[:])]
	c := g.caseFor(from, to, sentAt)
	g.caseOf[i] = c
	g.count[from.ID]++
	obs := observable(r)
	q := &h.Requests[i]
	*q = Request{
		ID: fmt.Sprintf("%s-R%04d", from.ID, g.count[from.ID]), From: from.ID, To: to.ID,
		Type: terms.Type, Priority: prio,
		Subject: subject(r, terms.Type, c, obs), Body: requestBody(r, terms.Type, c, to.ID, obs, sentAt),
		LegalBasis: legalBasis[terms.Type], Actor: pick(r, liaisons),
		SentAt: sentAt,
	}
	if r.Float64() < pExternalRef {
		q.ExternalRef = fmt.Sprintf("%s-%d-%05d", from.Country, sentAt.Year(), r.IntN(100000))
	}
	q.ReceivedAt = sentAt.Add(g.latency())
	if q.ReceivedAt.After(h.End) {
		q.ReceivedAt = h.End
	}
	d, err := h.Agreement.Deadline(terms.Type, prio)
	if err != nil {
		return err
	}
	l := &lifecycle{g: g, q: q, answer: terms.AnswerRequired, status: accord.StatusDelivered, last: q.ReceivedAt,
		officer: [2]string{q.Actor, pick(r, liaisons)}}
	// The steps of all requests share large blocks: one small slice per
	// request made a million-request history twice as slow to generate.
	if len(g.steps) < maxSteps {
		g.steps = make([]Step, 64<<10)
	}
	q.Steps = g.steps[:0:maxSteps]
	if err := l.run(terms, d); err != nil {
		return err
	}
	q.Steps = q.Steps[:len(q.Steps):len(q.Steps)]
	g.steps = g.steps[len(q.Steps):]
	g.track(c, q)
	return nil
}

// latency returns how long a message takes to reach the peer and its
// receipt to come back.
func (g *generator) latency() time.Duration {
	d := logNormal(g.r, latencyMedian, latencySigma)
	if g.r.Float64() < pOutage {
		d += exponential(g.r, outageMean)
	}
	return max(d, time.Millisecond).Truncate(time.Microsecond)
}

// caseFor returns the case a request of from to `to` sent at sentAt
// concerns: a recent case of from, or a new one.
func (g *generator) caseFor(from, to accord.Party, sentAt time.Time) *Case {
	r := g.r
	if r.Float64() < pFollowUp {
		recent := g.recent[from.ID]
		var cands []*Case
		for j := len(recent) - 1; j >= 0 && len(cands) < followUpCases; j-- {
			if recent[j].CreatedAt.Before(sentAt.Add(-followUpWindow)) {
				break
			}
			cands = append(cands, recent[j])
		}
		if len(cands) > 0 {
			return pick(r, cands)
		}
	}
	created := sentAt.Add(-exponential(r, caseLeadMean)).Truncate(time.Microsecond)
	if created.Before(g.h.Start) {
		created = g.h.Start
	}
	c := &Case{Owner: from.ID, Case: accord.Case{
		Category: g.categories.pick(r), TLP: g.tlps.pick(r), Status: accord.CaseOpen,
		CreatedBy: pick(r, analysts), CreatedAt: created, UpdatedAt: created,
	}}
	n := 1 + index(r, sectorCountWeights)
	for len(c.Sectors) < n {
		if s := g.sectors.pick(r); !slices.Contains(c.Sectors, s) {
			c.Sectors = append(c.Sectors, s)
		}
	}
	slices.Sort(c.Sectors) // as ValidateNew keeps them
	c.AffectedCountry = from.Country
	if r.Float64() >= pAffectedSelf {
		c.AffectedCountry = pickOther(r, affectedThird, from.Country, to.Country)
	}
	switch u := r.Float64(); {
	case u < pOriginPeer:
		c.OriginCountry = to.Country
	case u < pOriginPeer+pOriginThird:
		c.OriginCountry = pickOther(r, originThird, from.Country, to.Country)
	}
	c.Title = caseTitle(c)
	c.Summary = caseSummary(r, c)
	g.cases = append(g.cases, c)
	g.recent[from.ID] = append(g.recent[from.ID], c)
	return c
}

// pickOther picks a country of xs other than a and b.
func pickOther(r *rand.Rand, xs []string, a, b string) string {
	for {
		if x := pick(r, xs); x != a && x != b {
			return x
		}
	}
}

// track notes whether q ended (closed or withdrawn) and when, for closing
// its case.
func (g *generator) track(c *Case, q *Request) {
	if g.ended == nil {
		g.ended, g.open = map[*Case]time.Time{}, map[*Case]bool{}
	}
	n := len(q.Steps)
	if n == 0 || (q.Steps[n-1].Action != accord.ActionClose && q.Steps[n-1].Action != accord.ActionWithdraw) {
		g.open[c] = true
		return
	}
	if at := q.Steps[n-1].ReceivedAt; at.After(g.ended[c]) {
		g.ended[c] = at
	}
}

// closeCases closes some of the cases whose requests all ended.
func (g *generator) closeCases() {
	for _, c := range g.cases {
		last, ok := g.ended[c]
		if !ok || g.open[c] || g.r.Float64() >= pCaseClose {
			continue
		}
		at := last.Add(gapMin + logNormal(g.r, caseCloseMedian, stepSigma)).Truncate(time.Microsecond)
		if at.After(g.h.End) {
			continue
		}
		c.Status, c.ClosedAt, c.UpdatedAt = accord.CaseClosed, at, at
	}
}

// numberCases gives each party's cases their ids in the order they were
// opened, as the owner's node numbers them, and the requests their case ids.
func (g *generator) numberCases() {
	slices.SortStableFunc(g.cases, func(a, b *Case) int { return a.CreatedAt.Compare(b.CreatedAt) })
	n := map[string]int{}
	for _, c := range g.cases {
		n[c.Owner]++
		c.ID = fmt.Sprintf("%s-C%04d", c.Owner, n[c.Owner])
	}
	for i, c := range g.caseOf {
		g.h.Requests[i].CaseID = c.ID
	}
	slices.SortStableFunc(g.cases, func(a, b *Case) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.ID, b.ID))
	})
	g.h.Cases = g.cases
}

// lifecycle draws the steps of one request.
type lifecycle struct {
	g       *generator
	q       *Request
	answer  bool // the type owes an answer
	status  accord.Status
	last    time.Time // when the previous message was received
	cut     bool      // the history ended before the next step
	officer [2]string // the requester's and the requested party's liaison
}

// add takes action at `at` (or as soon after the previous message was
// received as a person would), unless the history ends first. It returns
// when the step was taken, and false when the history ended before it.
func (l *lifecycle) add(st Step, at time.Time) (time.Time, bool, error) {
	if l.cut {
		return time.Time{}, false, nil
	}
	g := l.g
	earliest := l.last.Add(gapMin + time.Duration(g.r.Int64N(int64(gapJitter))))
	if at.Before(earliest) {
		at = earliest
	}
	at = at.Truncate(time.Microsecond)
	recv := at.Add(g.latency())
	if recv.After(g.h.End) {
		l.cut = true
		return time.Time{}, false, nil
	}
	next, err := accord.Transition(l.answer, l.status, st.Action)
	if err != nil {
		return time.Time{}, false, accord.Internal(err, "generate request %s", l.q.ID)
	}
	st.At, st.ReceivedAt = at, recv
	st.Actor = l.officer[1]
	if st.Action.Side() == accord.SideRequester {
		st.Actor = l.officer[0]
	}
	if g.r.Float64() < pNote {
		st.Note = pick(g.r, notes)
	}
	l.q.Steps = append(l.q.Steps, st)
	l.status, l.last = next, recv
	return at, true, nil
}

// run draws the request's steps from the distributions of the package
// documentation, relative to the deadlines d of its type and priority.
func (l *lifecycle) run(terms accord.TypeTerms, d accord.Deadline) error {
	g, r, q := l.g, l.g.r, l.q
	base := q.ReceivedAt
	switch u := r.Float64(); {
	case u < pWithdrawEarly:
		_, _, err := l.add(Step{Action: accord.ActionWithdraw}, base.Add(logNormal(r, frac(d.Acknowledge, 0.5), stepSigma)))
		return err
	case u < pWithdrawEarly+pNeverAck:
		return nil
	}
	ack, ok, err := l.add(Step{Action: accord.ActionAcknowledge}, base.Add(logNormal(r, frac(d.Acknowledge, ackMedian), ackSigma)))
	if !ok || err != nil {
		return err
	}
	if !l.answer {
		if r.Float64() < pCloseNotified {
			_, _, err = l.add(Step{Action: accord.ActionClose}, ack.Add(logNormal(r, closeMedian, stepSigma)))
		}
		return err
	}
	if r.Float64() < declineShare[terms.Type] {
		grounds := g.technicalGrounds
		if legalTypes[terms.Type] {
			grounds = g.legalGrounds
		}
		gr := grounds.pick(r)
		text := declineTexts[gr.ID]
		if text == "" {
			text = gr.Text + "."
		}
		dec, ok, err := l.add(Step{Action: accord.ActionDecline, Ground: gr.ID, Text: text}, ack.Add(logNormal(r, frac(d.Answer, declineMedian), stepSigma)))
		if !ok || err != nil {
			return err
		}
		if r.Float64() < pCloseDeclined {
			_, _, err = l.add(Step{Action: accord.ActionClose}, dec.Add(logNormal(r, closeMedian, stepSigma)))
		}
		return err
	}
	acc, ok, err := l.add(Step{Action: accord.ActionAccept}, ack.Add(logNormal(r, frac(d.Acknowledge, acceptMedian), stepSigma)))
	if !ok || err != nil {
		return err
	}
	final := base.Add(logNormal(r, frac(d.Answer, answerMedian), answerSigma))
	if !final.After(acc) {
		final = acc.Add(max(logNormal(r, frac(d.Answer, lateAnswerMin), stepSigma), time.Microsecond))
	}
	pw := partialWeights
	if terms.Type == accord.TypeInvestigation {
		pw = partialWeightsInvestigation
	}
	partials := make([]time.Time, index(r, pw))
	window := int64(final.Sub(acc))
	for i := range partials {
		partials[i] = acc.Add(time.Duration(r.Int64N(window)))
	}
	slices.SortFunc(partials, func(a, b time.Time) int { return a.Compare(b) })
	fate := r.Float64()
	var withdraw time.Time
	if fate < pWithdrawLate {
		withdraw = acc.Add(time.Duration(r.Int64N(window)))
	}
	for _, at := range partials {
		if !withdraw.IsZero() && at.After(withdraw) {
			break
		}
		if _, ok, err := l.add(Step{Action: accord.ActionAnswerPartial, Text: pick(r, partialTexts)}, at); !ok || err != nil {
			return err
		}
	}
	switch {
	case fate < pWithdrawLate:
		_, _, err = l.add(Step{Action: accord.ActionWithdraw}, withdraw)
		return err
	case fate < pWithdrawLate+pStall:
		return nil
	}
	fin, ok, err := l.add(Step{Action: accord.ActionAnswerFinal, Text: pick(r, finalTexts)}, final)
	if !ok || err != nil {
		return err
	}
	last := fin
	if r.Float64() < pRate {
		weights := ratingOnTime
		if fin.After(base.Add(time.Duration(d.Answer))) {
			weights = ratingLate
		}
		score := 1 + index(r, weights)
		st := Step{Action: accord.ActionRate, Score: score}
		if r.Float64() < pComment {
			st.Text = pick(r, ratingComments[score-1])
		}
		if last, ok, err = l.add(st, fin.Add(logNormal(r, rateMedian, stepSigma))); !ok || err != nil {
			return err
		}
	}
	if r.Float64() < pCloseAnswered {
		_, _, err = l.add(Step{Action: accord.ActionClose}, last.Add(logNormal(r, closeMedian, stepSigma)))
	}
	return err
}
