package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/accord-cyber/accord"
)

//go:embed templates/report.html.tmpl
var templates embed.FS

// WriteReviewHTML writes r as one self-contained HTML page: inline style
// (with print rules for A4), inline SVG charts, no script and nothing
// fetched from elsewhere, so the file can be mailed, archived and printed
// as it is. Sections, in order, each a <section> with an id and a heading:
// summary, timeliness, overdue, declines, ratings, trend, escalations; an
// empty one says so. Every text is escaped. Any caller may use it; it
// returns the writer's error, or EINTERNAL if the page cannot be made.
func WriteReviewHTML(w io.Writer, r *Review) error {
	return writeDocument(w, reviewDocument(r))
}

// writeDocument prints a document with the page template, numbering its
// figures. The page is made in memory first, so a failure writes nothing.
func writeDocument(w io.Writer, doc document) error {
	t, err := template.ParseFS(templates, "templates/report.html.tmpl")
	if err != nil {
		return accord.Internal(err, "parse the report template")
	}
	n := 0
	for i := range doc.Sections {
		for _, b := range doc.Sections[i].Blocks {
			if b.Chart != nil {
				n++
				b.Chart.Caption = fmt.Sprintf("Figure %d. %s", n, b.Chart.Caption)
			}
		}
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, doc); err != nil {
		return accord.Internal(err, "render the report")
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}

// reviewSection builds one section of the review. Later sections (norms,
// attribution) are further entries of reviewSections.
type reviewSection func(r *Review) docSection

// reviewSections lists the review's sections in print order.
func reviewSections() []reviewSection {
	return []reviewSection{summarySection, timelinessSection, overdueSection, declinesSection, ratingsSection, trendSection, escalationsSection}
}

// reviewDocument lays out r as a document.
func reviewDocument(r *Review) document {
	doc := document{
		Title: "Joint dialogue review, " + formatPeriod(r.Period),
		Subtitle: fmt.Sprintf("Requests and answers between %s, computed by the node of %s from the signed messages and receipts both nodes hold.",
			joinAnd(r.Parties), r.Node),
	}
	for _, s := range reviewSections() {
		doc.Sections = append(doc.Sections, s(r))
	}
	return doc
}

// joinAnd writes a list as "a, b and c".
func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return "no party"
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

func summarySection(r *Review) docSection {
	facts := []fact{{"Node", r.Node}}
	if r.Peer != "" {
		facts = append(facts, fact{"Peer", r.Peer})
	}
	facts = append(facts,
		fact{"Parties", joinAnd(r.Parties)},
		fact{"Period", formatPeriod(r.Period)},
		fact{"Previous period", formatPeriod(r.Previous)},
		fact{"Figures as of", formatTime(r.AsOf)},
		fact{"Agreement digest", r.Agreement},
		fact{"Messages counted", strconv.Itoa(r.Messages)},
		fact{"Generated", formatTime(r.GeneratedAt)},
	)
	t := r.Totals
	key := []fact{
		{"Requests", strconv.Itoa(t.Requests)},
		{"Acknowledged", fmt.Sprintf("%d (median %s)", t.Acknowledged, formatStat(t.AcknowledgeTime, t.AcknowledgeTime.Median))},
		{"Answers owed", strconv.Itoa(t.AnswerOwed)},
		{"Answered within deadline", fmt.Sprintf("%s (%d of %d owed)", formatShare(t.WithinDeadline, t.AnswerOwed), t.WithinDeadline, t.AnswerOwed)},
		{"Answered in full", fmt.Sprintf("%d (median %s)", t.Answered, formatStat(t.AnswerTime, t.AnswerTime.Median))},
		{"Overdue", strconv.Itoa(t.Overdue)},
		{"Declined", strconv.Itoa(t.Declined)},
		{"Withdrawn", strconv.Itoa(t.Withdrawn)},
		{"Mean rating", fmt.Sprintf("%s (%s)", formatMean(t.Ratings.Count, t.Ratings.Sum), plural(t.Ratings.Count, "rating"))},
	}
	cp := r.Checkpoint
	signed := "no: the ledger's head, before any signed checkpoint"
	if cp.Signed {
		signed = "yes, by " + cp.Origin
	}
	cosigned := "not yet"
	if !cp.CosignedAt.IsZero() {
		cosigned = formatTime(cp.CosignedAt)
	}
	sec := docSection{ID: "summary", Heading: "Summary", Blocks: []block{
		{Facts: facts},
		{Sub: "Key figures"},
		{Facts: key},
		{Sub: "Digest and ledger checkpoint"},
		{Mono: []fact{
			{"digest", r.Digest},
			{"checkpoint origin", cp.Origin},
			{"checkpoint size", strconv.FormatInt(cp.Size, 10)},
			{"checkpoint root", cp.Root},
			{"signed", signed},
			{"cosigned", cosigned},
		}},
		{Para: "Both nodes compute the same digest from the messages and receipts both hold: it is the SHA-256 of the canonical JSON (RFC 8785) of the period, " +
			"the agreement, the parties, every message and receipt counted and every figure of this review. The delegations compare their digests; " +
			"equal digests mean equal figures. The checkpoint is the state of this node's ledger when the review was computed, which holds every message and " +
			"receipt counted; accord verify checks them against it."},
	}}
	if r.AwaitingReceipts > 0 {
		sec.Blocks = append(sec.Blocks, block{Para: fmt.Sprintf("%s sent by this node still wait for their receipts: until they come back, "+
			"the other node may hold facts this one lacks, and the two digests may differ.", plural(r.AwaitingReceipts, "message"))})
	}
	return sec
}

func timelinessSection(r *Review) docSection {
	s := docSection{ID: "timeliness", Heading: "Timeliness by request type and responding party", PageBreak: true}
	if len(r.Groups) == 0 {
		s.Blocks = []block{{Empty: "No request was received in the period " + formatPeriod(r.Period) + "."}}
		return s
	}
	s.Blocks = append(s.Blocks,
		block{Para: "Times run from the receipt of the request to the receipt of the step, as the signed receipts record them. " +
			"Within deadline counts the requests answered in full by the agreement's deadline, as a share of the answers owed."},
		block{Chart: timelinessChart(r)})
	row := func(label, party string, g Group) []string {
		return []string{label, party, strconv.Itoa(g.Requests),
			strconv.Itoa(g.Acknowledged), formatStat(g.AcknowledgeTime, g.AcknowledgeTime.Median), formatStat(g.AcknowledgeTime, g.AcknowledgeTime.P90), formatStat(g.AcknowledgeTime, g.AcknowledgeTime.Max),
			strconv.Itoa(g.Answered), formatStat(g.AnswerTime, g.AnswerTime.Median), formatStat(g.AnswerTime, g.AnswerTime.P90), formatStat(g.AnswerTime, g.AnswerTime.Max),
			strconv.Itoa(g.AnswerOwed), strconv.Itoa(g.WithinDeadline), formatShare(g.WithinDeadline, g.AnswerOwed),
			strconv.Itoa(g.Overdue), strconv.Itoa(g.Declined), strconv.Itoa(g.Withdrawn)}
	}
	var rows [][]string
	for _, g := range r.Groups {
		rows = append(rows, row(string(g.Type), g.Responder, g))
	}
	header := []string{"Request type", "Responding party", "Requests",
		"Acknowledged", "Median", "P90", "Max",
		"Answered", "Median", "P90", "Max",
		"Owed", "Within deadline", "Share",
		"Overdue", "Declined", "Withdrawn"}
	t := newDocTable("Timeliness per request type and responding party", header, numCols(len(header), 2), rows, [][]string{row("All", "", r.Totals)})
	t.Groups = []headerGroup{{"", 3}, {"Time to acknowledge", 4}, {"Time to final answer", 4}, {"Answers owed", 3}, {"", 3}}
	s.Blocks = append(s.Blocks, block{Table: t}, block{Notes: []string{
		"Acknowledged: acknowledged, or first acted on, before the end of the period. Answered: answered in full.",
		"Owed: the agreement requires an answer, the request was neither declined nor withdrawn, and it was answered in full or its deadline passed.",
		"Median and P90 (90th percentile) by the nearest-rank method; durations truncated to their two largest units.",
	}})
	return s
}

// timelinessChart: per group, bars of the median and 90th percentile time
// to the final answer, and a bar of the share answered within deadline.
func timelinessChart(r *Review) *docChart {
	type row struct {
		label string
		g     Group
	}
	var rows []row
	for _, g := range r.Groups {
		rows = append(rows, row{groupLabel(string(g.Type), g.Responder), g})
	}
	rows = append(rows, row{groupLabel("", ""), r.Totals})
	var longest int64
	for _, x := range rows {
		longest = max(longest, x.g.AnswerTime.P90)
	}
	sc, unit := durationScale(float64(longest))
	times := barPanel{Title: "Time to final answer", Axis: unit, Series: []string{"median", "90th percentile"}, Scale: sc}
	share := barPanel{Title: "Answered within deadline", Axis: "share of answers owed", Scale: percentScale()}
	c := &barChart{ID: "chart-timeliness", Title: "Time to final answer and share answered within deadline, by request type and responding party",
		Desc: "For each request type and responding party, and for all requests: bars of the median and 90th percentile time from the receipt of the request " +
			"to the receipt of the final answer, and a bar of the share of the answers owed that came within the deadline."}
	for _, x := range rows {
		c.Rows = append(c.Rows, x.label)
		g := x.g
		if g.AnswerTime.Count == 0 {
			times.Values = append(times.Values, []barValue{{None: "no final answer"}})
		} else {
			times.Values = append(times.Values, []barValue{
				{V: float64(g.AnswerTime.Median), Label: formatDuration(g.AnswerTime.Median)},
				{V: float64(g.AnswerTime.P90), Label: formatDuration(g.AnswerTime.P90)},
			})
		}
		if g.AnswerOwed == 0 {
			share.Values = append(share.Values, []barValue{{None: "no answer owed"}})
		} else {
			share.Values = append(share.Values, []barValue{{V: g.WithinDeadlineShare,
				Label: fmt.Sprintf("%s (%d of %d)", formatShare(g.WithinDeadline, g.AnswerOwed), g.WithinDeadline, g.AnswerOwed)}})
		}
	}
	c.Panels = []barPanel{times, share}
	return &docChart{ID: "figure-timeliness", Caption: c.Title + ".", SVG: c.svg()}
}

func overdueSection(r *Review) docSection {
	s := docSection{ID: "overdue", Heading: "Overdue requests"}
	if len(r.Overdue) == 0 {
		s.Blocks = []block{{Empty: "No request was overdue at " + formatTime(r.AsOf) + "."}}
		return s
	}
	var rows [][]string
	for _, o := range r.Overdue {
		rows = append(rows, []string{o.RequestID, string(o.Type), string(o.Priority), o.Requester, o.Responder, "to " + string(o.Deadline), formatTime(o.Due), formatDuration(o.Late)})
	}
	header := []string{"Request", "Type", "Priority", "Requester", "Responding party", "Deadline missed", "Due", "Late by"}
	num := numCols(len(header), len(header)-1)
	s.Blocks = []block{
		{Para: fmt.Sprintf("%s past a deadline unmet at %s, the end of the period.", plural(len(r.Overdue), "request"), formatTime(r.AsOf))},
		{Table: newDocTable("", header, num, rows, nil)},
	}
	return s
}

func declinesSection(r *Review) docSection {
	s := docSection{ID: "declines", Heading: "Declined requests"}
	if len(r.Declines) == 0 {
		s.Blocks = []block{{Empty: "No request was declined in the period " + formatPeriod(r.Period) + "."}}
		return s
	}
	var byGround [][]string
	for _, c := range r.Totals.DeclinesByGround {
		byGround = append(byGround, []string{c.Key, strconv.Itoa(c.Count)})
	}
	var rows [][]string
	for _, d := range r.Declines {
		rows = append(rows, []string{d.RequestID, string(d.Type), d.Requester, d.Responder, d.Ground, formatTime(d.At)})
	}
	s.Blocks = []block{
		{Sub: "By ground"},
		{Table: newDocTable("", []string{"Ground (agreement)", "Declines"}, []bool{false, true}, byGround, nil)},
		{Sub: "Requests declined"},
		{Table: newDocTable("", []string{"Request", "Type", "Requester", "Responding party", "Ground", "Declined at"}, nil, rows, nil)},
	}
	return s
}

func ratingsSection(r *Review) docSection {
	s := docSection{ID: "ratings", Heading: "Ratings of answers"}
	t := r.Totals.Ratings
	if t.Count == 0 {
		s.Blocks = []block{{Empty: "No final answer was rated in the period " + formatPeriod(r.Period) + "."}}
		return s
	}
	s.Blocks = append(s.Blocks,
		block{Para: fmt.Sprintf("Mean rating %s from %s of final answers, by the requesters, on a scale from 1 (unusable) to 5 (excellent).",
			formatMean(t.Count, t.Sum), plural(t.Count, "rating"))},
		block{Chart: ratingsChart(r)})
	var rows [][]string
	for _, g := range r.Groups {
		if g.Ratings.Count == 0 {
			continue
		}
		rows = append(rows, ratingsRow(string(g.Type), g.Responder, g.Ratings))
	}
	header := []string{"Request type", "Responding party", "Ratings", "Mean", "1", "2", "3", "4", "5"}
	s.Blocks = append(s.Blocks, block{Table: newDocTable("Ratings per request type and responding party", header, numCols(len(header), 2), rows,
		[][]string{ratingsRow("All", "", t)})})
	return s
}

func ratingsRow(typ, responder string, x Ratings) []string {
	row := []string{typ, responder, strconv.Itoa(x.Count), formatMean(x.Count, x.Sum)}
	for _, n := range x.Distribution {
		row = append(row, strconv.Itoa(n))
	}
	return row
}

// ratingsChart: how many final answers got each rating, 1 to 5.
func ratingsChart(r *Review) *docChart {
	d := r.Totals.Ratings.Distribution
	var most int
	for _, n := range d {
		most = max(most, n)
	}
	c := &columnChart{ID: "chart-ratings", Title: "Distribution of the ratings of final answers",
		Desc:  fmt.Sprintf("How many of the %d rated final answers got each rating from 1 (unusable) to 5 (excellent).", r.Totals.Ratings.Count),
		XAxis: "rating", YAxis: "final answers", Scale: countScale(float64(most))}
	for i, n := range d {
		sub := ""
		switch i {
		case 0:
			sub = "unusable"
		case 4:
			sub = "excellent"
		}
		c.Columns = append(c.Columns, column{Label: strconv.Itoa(i + 1), Sub: sub, V: float64(n), Text: strconv.Itoa(n)})
	}
	return &docChart{ID: "figure-ratings", Caption: c.Title + ".", SVG: c.svg()}
}

func trendSection(r *Review) docSection {
	s := docSection{ID: "trend", Heading: "Trend against the previous period", PageBreak: true}
	var some bool
	for _, t := range r.Trend {
		some = some || t.Current.Requests > 0 || t.Previous.Requests > 0
	}
	if !some {
		s.Blocks = []block{{Empty: fmt.Sprintf("No request was received in the period %s or in the previous period %s.", formatPeriod(r.Period), formatPeriod(r.Previous))}}
		return s
	}
	s.Blocks = append(s.Blocks,
		block{Para: fmt.Sprintf("This period (%s) against the previous one of the same length (%s), each as it stood at its end.", formatPeriod(r.Period), formatPeriod(r.Previous))},
		block{Chart: trendChart(r)})
	var rows [][]string
	for _, t := range r.Trend {
		c, p := t.Current, t.Previous
		typ, party := string(t.Type), t.Responder
		if typ == "" && party == "" {
			typ = "All"
		}
		rows = append(rows, []string{typ, party,
			strconv.Itoa(p.Requests), strconv.Itoa(c.Requests), change(c.Requests - p.Requests),
			formatShare(p.WithinDeadline, p.AnswerOwed), formatShare(c.WithinDeadline, c.AnswerOwed),
			trendDuration(p.MedianAcknowledge), trendDuration(c.MedianAcknowledge),
			trendDuration(p.MedianAnswer), trendDuration(c.MedianAnswer),
			strconv.Itoa(p.Overdue), strconv.Itoa(c.Overdue),
			strconv.Itoa(p.Declined), strconv.Itoa(c.Declined),
			formatMean(p.RatingCount, p.RatingSum), formatMean(c.RatingCount, c.RatingSum)})
	}
	header := []string{"Request type", "Responding party", "Previous", "This", "Change", "Previous", "This", "Previous", "This", "Previous", "This",
		"Previous", "This", "Previous", "This", "Previous", "This"}
	t := newDocTable("Figures per request type and responding party, previous period and this one", header, numCols(len(header), 2), rows, nil)
	t.Groups = []headerGroup{{"", 2}, {"Requests", 3}, {"Within deadline", 2}, {"Median to acknowledge", 2}, {"Median to answer", 2},
		{"Overdue", 2}, {"Declined", 2}, {"Mean rating", 2}}
	s.Blocks = append(s.Blocks, block{Table: t})
	return s
}

// trendDuration writes a median of the trend, a dash for none (the trend
// holds 0 for a median of nothing).
func trendDuration(secs int64) string {
	if secs == 0 {
		return "—"
	}
	return formatDuration(secs)
}

// change writes a signed difference: "+3", "−1", "0".
func change(d int) string {
	switch {
	case d > 0:
		return "+" + strconv.Itoa(d)
	case d < 0:
		return "−" + strconv.Itoa(-d)
	}
	return "0"
}

// trendChart: per group, this period's and the previous period's requests
// and shares answered within deadline.
func trendChart(r *Review) *docChart {
	var most int
	for _, t := range r.Trend {
		most = max(most, t.Current.Requests, t.Previous.Requests)
	}
	series := []string{"this period", "previous period"}
	reqs := barPanel{Title: "Requests", Axis: "requests received", Series: series, Scale: countScale(float64(most))}
	share := barPanel{Title: "Answered within deadline", Axis: "share of answers owed", Series: series, Scale: percentScale()}
	c := &barChart{ID: "chart-trend", Title: "Requests and share answered within deadline, this period and the previous one",
		Desc: "For all requests and for each request type and responding party: bars of the requests received and of the share of answers owed that came " +
			"within the deadline, in this period and in the previous one."}
	for _, t := range r.Trend {
		c.Rows = append(c.Rows, groupLabel(string(t.Type), t.Responder))
		var rv, sv []barValue
		for _, f := range []TrendFigures{t.Current, t.Previous} {
			rv = append(rv, barValue{V: float64(f.Requests), Label: strconv.Itoa(f.Requests)})
			if f.AnswerOwed == 0 {
				sv = append(sv, barValue{None: "none owed"})
			} else {
				sv = append(sv, barValue{V: float64(f.WithinDeadline) / float64(f.AnswerOwed),
					Label: fmt.Sprintf("%s (%d of %d)", formatShare(f.WithinDeadline, f.AnswerOwed), f.WithinDeadline, f.AnswerOwed)})
			}
		}
		reqs.Values = append(reqs.Values, rv)
		share.Values = append(share.Values, sv)
	}
	c.Panels = []barPanel{reqs, share}
	return &docChart{ID: "figure-trend", Caption: c.Title + ".", SVG: c.svg()}
}

func escalationsSection(r *Review) docSection {
	s := docSection{ID: "escalations", Heading: "Escalations to the dialogue"}
	if len(r.Escalations) == 0 {
		s.Blocks = []block{{Empty: "Nothing to escalate: no request was overdue at " + formatTime(r.AsOf) + " or declined in the period."}}
		return s
	}
	var rows [][]string
	for _, e := range r.Escalations {
		rows = append(rows, []string{e.RequestID, string(e.Type), e.Requester, e.Responder, e.Reason})
	}
	s.Blocks = []block{
		{Para: "The requests the dialogue should take up: those overdue at the end of the period and those declined in it."},
		{Table: newDocTable("", []string{"Request", "Type", "Requester", "Responding party", "Reason"}, nil, rows, nil)},
	}
	return s
}
