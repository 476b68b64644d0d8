package report

import (
	"bytes"
	_ "embed" // ReviewJSONSchema
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
)

// This file holds what the renderers share: tables as text (for CSV and any
// other tabular output), the wording of durations, shares and dates, and the
// document model that html.go prints — sections of blocks (paragraphs,
// facts, tables, charts) — so that a report (the review, later the weekly
// statistics) is rendered by building sections in Go, not by a template of
// its own.

// Table is one table of a report as text: a name that is also its file name
// in an archive (lower case, underscores: "groups", "overdue"), a header
// row and the data rows, each as long as the header. Numbers are plain
// decimals (durations in seconds, shares as fractions), times RFC 3339 in
// UTC: a Table is for programs and spreadsheets; the HTML prints the same
// content for people.
type Table struct {
	Name   string
	Header []string
	Rows   [][]string
}

// allLabel stands in a table's type and responder columns for the row of
// totals over every request type and responding party.
const allLabel = "all"

// ReviewTables returns the tables of r, in the order of its sections: the
// summary (key and value rows: the node, period, agreement, digest and
// checkpoint), groups (the timeliness figures per request type and
// responding party, then a row of totals whose type and responder are
// "all"), overdue, declines, declines_by_ground, ratings (the distribution
// of ratings 1 to 5 over every group), trend (the totals' row first, then
// each group's) and escalations. A table with no data rows still has its
// header. Any caller may use it; it does not fail.
func ReviewTables(r *Review) []Table {
	rfc := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	itoa := strconv.Itoa
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	float := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

	summary := Table{Name: "summary", Header: []string{"key", "value"}, Rows: [][]string{
		{"schema", r.Schema},
		{"node", r.Node},
		{"peer", r.Peer},
		{"parties", strings.Join(r.Parties, " ")},
		{"period_from", rfc(r.Period.From)},
		{"period_to", rfc(r.Period.To)},
		{"previous_period_from", rfc(r.Previous.From)},
		{"previous_period_to", rfc(r.Previous.To)},
		{"as_of", rfc(r.AsOf)},
		{"generated_at", rfc(r.GeneratedAt)},
		{"agreement_digest", r.Agreement},
		{"messages", itoa(r.Messages)},
		{"awaiting_receipts", itoa(r.AwaitingReceipts)},
		{"digest", r.Digest},
		{"checkpoint_origin", r.Checkpoint.Origin},
		{"checkpoint_size", i64(r.Checkpoint.Size)},
		{"checkpoint_root", r.Checkpoint.Root},
		{"checkpoint_signed", strconv.FormatBool(r.Checkpoint.Signed)},
		{"checkpoint_cosigned_at", rfc(r.Checkpoint.CosignedAt)},
	}}

	groups := Table{Name: "groups", Header: []string{"type", "responder", "requests",
		"acknowledged", "time_to_acknowledge_count", "time_to_acknowledge_median_seconds", "time_to_acknowledge_p90_seconds", "time_to_acknowledge_max_seconds",
		"answer_owed", "answered", "time_to_answer_count", "time_to_answer_median_seconds", "time_to_answer_p90_seconds", "time_to_answer_max_seconds",
		"answered_within_deadline", "answered_within_deadline_share", "overdue", "declined", "withdrawn",
		"ratings_count", "ratings_sum", "ratings_mean", "ratings_1", "ratings_2", "ratings_3", "ratings_4", "ratings_5"}}
	groupRow := func(typ, responder string, g Group) []string {
		row := []string{typ, responder, itoa(g.Requests),
			itoa(g.Acknowledged), itoa(g.AcknowledgeTime.Count), i64(g.AcknowledgeTime.Median), i64(g.AcknowledgeTime.P90), i64(g.AcknowledgeTime.Max),
			itoa(g.AnswerOwed), itoa(g.Answered), itoa(g.AnswerTime.Count), i64(g.AnswerTime.Median), i64(g.AnswerTime.P90), i64(g.AnswerTime.Max),
			itoa(g.WithinDeadline), float(g.WithinDeadlineShare), itoa(g.Overdue), itoa(g.Declined), itoa(g.Withdrawn),
			itoa(g.Ratings.Count), itoa(g.Ratings.Sum), float(g.Ratings.Mean)}
		for _, n := range g.Ratings.Distribution {
			row = append(row, itoa(n))
		}
		return row
	}
	for _, g := range r.Groups {
		groups.Rows = append(groups.Rows, groupRow(string(g.Type), g.Responder, g))
	}
	groups.Rows = append(groups.Rows, groupRow(allLabel, allLabel, r.Totals))

	overdue := Table{Name: "overdue", Header: []string{"request_id", "type", "priority", "requester", "responder", "deadline", "due", "late_seconds"}}
	for _, o := range r.Overdue {
		overdue.Rows = append(overdue.Rows, []string{o.RequestID, string(o.Type), string(o.Priority), o.Requester, o.Responder, string(o.Deadline), rfc(o.Due), i64(o.Late)})
	}

	declines := Table{Name: "declines", Header: []string{"request_id", "type", "requester", "responder", "ground", "at"}}
	for _, d := range r.Declines {
		declines.Rows = append(declines.Rows, []string{d.RequestID, string(d.Type), d.Requester, d.Responder, d.Ground, rfc(d.At)})
	}

	byGround := Table{Name: "declines_by_ground", Header: []string{"ground", "count"}}
	for _, c := range r.Totals.DeclinesByGround {
		byGround.Rows = append(byGround.Rows, []string{c.Key, itoa(c.Count)})
	}

	ratings := Table{Name: "ratings", Header: []string{"rating", "count"}}
	for i, n := range r.Totals.Ratings.Distribution {
		ratings.Rows = append(ratings.Rows, []string{itoa(i + 1), itoa(n)})
	}

	figures := []string{"requests", "median_answer_seconds", "answer_owed", "answered_within_deadline", "overdue", "declined", "rating_count", "rating_sum", "median_acknowledge_seconds"}
	trend := Table{Name: "trend", Header: []string{"type", "responder"}}
	for _, p := range []string{"current_", "previous_"} {
		for _, f := range figures {
			trend.Header = append(trend.Header, p+f)
		}
	}
	for _, t := range r.Trend {
		typ, responder := string(t.Type), t.Responder
		if typ == "" && responder == "" {
			typ, responder = allLabel, allLabel
		}
		row := []string{typ, responder}
		for _, f := range []TrendFigures{t.Current, t.Previous} {
			row = append(row, itoa(f.Requests), i64(f.MedianAnswer), itoa(f.AnswerOwed), itoa(f.WithinDeadline), itoa(f.Overdue), itoa(f.Declined),
				itoa(f.RatingCount), itoa(f.RatingSum), i64(f.MedianAcknowledge))
		}
		trend.Rows = append(trend.Rows, row)
	}

	escalations := Table{Name: "escalations", Header: []string{"request_id", "type", "requester", "responder", "reason"}}
	for _, e := range r.Escalations {
		escalations.Rows = append(escalations.Rows, []string{e.RequestID, string(e.Type), e.Requester, e.Responder, e.Reason})
	}

	return []Table{summary, groups, overdue, declines, byGround, ratings, trend, escalations}
}

// formatDuration writes whole seconds for a person: the largest unit (d, h,
// min, s) that fits and the next one when not zero, truncated: "2 h 30
// min", "3 d 4 h", "45 s", "0 s".
func formatDuration(secs int64) string {
	if secs < 0 {
		return "−" + formatDuration(-secs)
	}
	units := []struct {
		n    int64
		name string
	}{{86400, "d"}, {3600, "h"}, {60, "min"}, {1, "s"}}
	for i, u := range units {
		if secs < u.n && u.n > 1 {
			continue
		}
		s := strconv.FormatInt(secs/u.n, 10) + " " + u.name
		if i+1 < len(units) {
			next := units[i+1]
			if rest := secs % u.n / next.n; rest > 0 {
				s += " " + strconv.FormatInt(rest, 10) + " " + next.name
			}
		}
		return s
	}
	return "0 s"
}

// formatStat writes one figure of Stats, or a dash when nothing was timed.
func formatStat(s Stats, v int64) string {
	if s.Count == 0 {
		return "—"
	}
	return formatDuration(v)
}

// formatPercent writes a share (0 to 1) as a whole percentage that is 0 or
// 100 only when the share is exactly that, so that "100%" never hides a
// miss.
func formatPercent(share float64) string {
	p := math.Round(share * 100)
	switch {
	case p >= 100 && share < 1:
		p = 99
	case p <= 0 && share > 0:
		p = 1
	}
	return strconv.FormatFloat(p, 'f', 0, 64) + "%"
}

// formatShare writes n of total as a percentage, or a dash when total is
// zero (no share to speak of).
func formatShare(n, total int) string {
	if total == 0 {
		return "—"
	}
	return formatPercent(float64(n) / float64(total))
}

// formatMean writes a mean rating with one decimal, or a dash for none.
func formatMean(count, sum int) string {
	if count == 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(sum)/float64(count), 'f', 1, 64)
}

// formatTime writes an instant in UTC to the minute, or to the second when
// it has seconds: "2026-03-05 11:00 UTC".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.UTC()
	if t.Second() != 0 || t.Nanosecond() != 0 {
		return t.Format("2006-01-02 15:04:05 UTC")
	}
	return t.Format("2006-01-02 15:04 UTC")
}

// formatPeriod writes [From, To) for a person: as first and last day when
// both ends are midnights ("2026-03-02 to 2026-03-15"), else as instants.
func formatPeriod(p Period) string {
	midnight := func(t time.Time) bool { t = t.UTC(); return t.Equal(t.Truncate(24 * time.Hour)) }
	if midnight(p.From) && midnight(p.To) && p.To.After(p.From) {
		return p.From.UTC().Format(time.DateOnly) + " to " + p.To.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	}
	return formatTime(p.From) + " to " + formatTime(p.To)
}

// groupLabel names a request type and responding party for a person; the
// empty pair is the totals.
func groupLabel(typ, responder string) string {
	if typ == "" && responder == "" {
		return "all requests"
	}
	return typ + " → " + responder
}

// document is a report as html.go prints it: a title and the sections in
// order.
type document struct {
	Title    string
	Subtitle string
	Sections []docSection
}

// docSection is one section: its id (the HTML element's, stable, for links
// and tests), heading, whether print starts it on a new page, and its
// blocks.
type docSection struct {
	ID        string
	Heading   string
	PageBreak bool
	Blocks    []block
}

// block is one piece of a section; exactly one field is set.
type block struct {
	Para  string    // a paragraph
	Empty string    // a paragraph saying the section has nothing to show
	Facts []fact    // a list of labelled values
	Mono  []fact    // the same in a monospace box (digests, checkpoints)
	Table *docTable // a table
	Chart *docChart // an inline SVG chart
	Sub   string    // a subheading
	Notes []string  // a small-print list (definitions, caveats)
}

// fact is a labelled value.
type fact struct{ Key, Value string }

// docTable is a table for people: a caption, optional header groups over
// the columns, the header, the rows and a footer of totals; cells of
// numeric columns are aligned right.
type docTable struct {
	Caption string
	Groups  []headerGroup
	Header  []docCell
	Rows    [][]docCell
	Foot    [][]docCell
}

// headerGroup labels Span consecutive columns in a first header row.
type headerGroup struct {
	Label string
	Span  int
}

type docCell struct {
	Text string
	Num  bool
}

// newDocTable builds a docTable from text rows; num marks the numeric
// columns (nil: none).
func newDocTable(caption string, header []string, num []bool, rows, foot [][]string) *docTable {
	cells := func(row []string) []docCell {
		out := make([]docCell, len(row))
		for i, s := range row {
			out[i] = docCell{Text: s, Num: i < len(num) && num[i]}
		}
		return out
	}
	t := &docTable{Caption: caption, Header: cells(header)}
	for _, r := range rows {
		t.Rows = append(t.Rows, cells(r))
	}
	for _, r := range foot {
		t.Foot = append(t.Foot, cells(r))
	}
	return t
}

// docChart is an SVG chart (from svg.go) with its caption.
type docChart struct {
	ID      string
	Caption string
	SVG     template.HTML
}

// numCols returns a numeric-column mask of n columns, the first skip of
// them text.
func numCols(n, skip int) []bool {
	m := make([]bool, n)
	for i := skip; i < n; i++ {
		m[i] = true
	}
	return m
}

// plural writes n and a noun, with an s when n is not 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// ReviewJSONSchema is the JSON Schema (draft 2020-12) of the JSON form of a
// Review (WriteReviewJSON), schema/review.json: every field, with what it
// means. Its $id is ReviewSchema. Read only.
//
//go:embed schema/review.json
var ReviewJSONSchema []byte

// WriteReviewJSON writes r as indented JSON (two spaces, a final newline),
// the form ReviewJSONSchema describes; text is not HTML-escaped. Any caller
// may use it; it returns the writer's error, or EINTERNAL if r cannot be
// encoded.
func WriteReviewJSON(w io.Writer, r *Review) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return accord.Internal(err, "encode the review")
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("write the review: %w", err)
	}
	return nil
}
