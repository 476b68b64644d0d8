package report_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/report"
)

// reviewSections are the ids and headings of the review's sections, in
// order.
var reviewSections = [][2]string{
	{"summary", "Summary"},
	{"timeliness", "Timeliness by request type and responding party"},
	{"overdue", "Overdue requests"},
	{"declines", "Declined requests"},
	{"ratings", "Ratings of answers"},
	{"trend", "Trend against the previous period"},
	{"escalations", "Escalations to the dialogue"},
}

func renderHTML(t *testing.T, r *report.Review) *html.Node {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteReviewHTML(&buf, r); err != nil {
		t.Fatalf("WriteReviewHTML: %v", err)
	}
	doc, err := html.Parse(&buf)
	if err != nil {
		t.Fatalf("the page does not parse as HTML: %v", err)
	}
	return doc
}

// elements returns the elements under n (n included) that match.
func elements(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	if n.Type == html.ElementNode && match(n) {
		out = append([]*html.Node{n}, out...)
	}
	return out
}

func byTag(n *html.Node, a atom.Atom) []*html.Node {
	return elements(n, func(e *html.Node) bool { return e.DataAtom == a })
}

func byID(t *testing.T, n *html.Node, id string) *html.Node {
	t.Helper()
	found := elements(n, func(e *html.Node) bool { return attr(e, "id") == id })
	if len(found) != 1 {
		t.Fatalf("%d elements with id %q, want 1", len(found), id)
	}
	return found[0]
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text is n's text content with runs of white space as one space.
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
			b.WriteString(" ")
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// rows returns the cell texts of the rows of a table part (tbody, tfoot).
func rows(part *html.Node) [][]string {
	var out [][]string
	for _, tr := range byTag(part, atom.Tr) {
		var row []string
		for c := range tr.ChildNodes() {
			if c.Type == html.ElementNode && (c.DataAtom == atom.Td || c.DataAtom == atom.Th) {
				row = append(row, text(c))
			}
		}
		out = append(out, row)
	}
	return out
}

// TestReviewHTML renders the scenario's review and checks the page: it
// parses, its sections come in order with their headings, the summary
// holds the digest and the checkpoint, the timeliness table holds every
// group's figures, each chart is one non-empty inline SVG with a title,
// and the page loads nothing from elsewhere.
func TestReviewHTML(t *testing.T) {
	r := scenarioReport(t)
	doc := renderHTML(t, r)

	var ids []string
	for _, s := range byTag(doc, atom.Section) {
		ids = append(ids, attr(s, "id"))
	}
	var want []string
	for _, s := range reviewSections {
		want = append(want, s[0])
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("sections (-want +got):\n%s", diff)
	}
	for _, s := range reviewSections {
		sec := byID(t, doc, s[0])
		h := byTag(sec, atom.H2)
		if len(h) != 1 || text(h[0]) != s[1] {
			t.Errorf("section %s: headings %d, first %q; want one, %q", s[0], len(h), textOr(h), s[1])
		}
	}

	summary := text(byID(t, doc, "summary"))
	for _, want := range []string{r.Digest, r.Agreement, r.Checkpoint.Origin, r.Checkpoint.Root, "2026-03-02 to 2026-03-15", "2026-02-16 to 2026-03-01",
		"2026-03-16 00:00 UTC", "Messages counted 24", "Requests 7", "Answered within deadline 33% (1 of 3 owed)",
		"Both nodes compute the same digest from the messages and receipts both hold"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q:\n%s", want, summary)
		}
	}
	if len(r.Digest) != 64 {
		t.Errorf("the scenario's digest is %q", r.Digest)
	}
	mono := elements(byID(t, doc, "summary"), func(e *html.Node) bool { return attr(e, "class") == "mono" })
	if len(mono) != 1 || !strings.Contains(text(mono[0]), r.Digest) || !strings.Contains(text(mono[0]), "checkpoint size "+strconv.FormatInt(r.Checkpoint.Size, 10)) {
		t.Errorf("the monospace box does not hold the digest and checkpoint: %q", textOr(mono))
	}

	// The timeliness table: every group, then the totals.
	tl := byID(t, doc, "timeliness")
	tables := byTag(tl, atom.Table)
	if len(tables) != 1 {
		t.Fatalf("the timeliness section has %d tables, want 1", len(tables))
	}
	wantRows := [][]string{
		{"evidence", "cncert", "1", "1", "4 h", "4 h", "4 h", "0", "—", "—", "—", "0", "0", "—", "0", "1", "0"},
		{"information", "cncert", "1", "1", "2 h", "2 h", "2 h", "1", "2 d", "2 d", "2 d", "1", "1", "100%", "0", "0", "0"},
		{"information", "us-cert", "1", "1", "6 h", "6 h", "6 h", "0", "—", "—", "—", "0", "0", "—", "0", "0", "1"},
		{"investigation", "cncert", "1", "1", "1 h", "1 h", "1 h", "0", "—", "—", "—", "0", "0", "—", "0", "0", "0"},
		{"mitigation", "us-cert", "1", "1", "30 min", "30 min", "30 min", "1", "3 d", "3 d", "3 d", "1", "0", "0%", "0", "0", "0"},
		{"notification", "cncert", "1", "1", "1 d", "1 d", "1 d", "0", "—", "—", "—", "0", "0", "—", "0", "0", "0"},
		{"preservation", "cncert", "1", "0", "—", "—", "—", "0", "—", "—", "—", "1", "0", "0%", "1", "0", "0"},
	}
	if diff := cmp.Diff(wantRows, rows(byTag(tables[0], atom.Tbody)[0])); diff != "" {
		t.Errorf("timeliness rows (-want +got):\n%s", diff)
	}
	wantFoot := [][]string{{"All", "", "7", "6", "2 h", "1 d", "1 d", "2", "2 d", "3 d", "3 d", "3", "1", "33%", "1", "1", "1"}}
	if diff := cmp.Diff(wantFoot, rows(byTag(tables[0], atom.Tfoot)[0])); diff != "" {
		t.Errorf("timeliness totals (-want +got):\n%s", diff)
	}

	// One inline SVG per chart, titled, labelled, with bars and text.
	charts := []struct {
		section, figure string
		texts           []string
	}{
		{"timeliness", "figure-timeliness", []string{"Time to final answer", "median", "90th percentile", "days", "share of answers owed",
			"information → cncert", "2 d", "3 d", "100% (1 of 1)", "33% (1 of 3)", "no final answer", "no answer owed"}},
		{"ratings", "figure-ratings", []string{"rating", "final answers", "unusable", "excellent"}},
		{"trend", "figure-trend", []string{"Requests", "this period", "previous period", "requests received", "all requests", "7", "100% (1 of 1)", "33% (1 of 3)"}},
	}
	for _, c := range charts {
		sec := byID(t, doc, c.section)
		svgs := byTag(sec, atom.Svg)
		if len(svgs) != 1 {
			t.Errorf("section %s holds %d svg elements, want 1", c.section, len(svgs))
			continue
		}
		svg := svgs[0]
		if fig := byID(t, doc, c.figure); len(byTag(fig, atom.Svg)) != 1 || len(byTag(fig, atom.Figcaption)) != 1 {
			t.Errorf("figure %s does not hold the chart and a caption", c.figure)
		}
		titles := elements(svg, func(e *html.Node) bool { return e.Data == "title" })
		if len(titles) != 1 || text(titles[0]) == "" || attr(svg, "aria-label") != text(titles[0]) || attr(svg, "role") != "img" {
			t.Errorf("chart %s: title %q, aria-label %q, role %q; want one title, the same aria-label, role img", c.figure, textOr(titles), attr(svg, "aria-label"), attr(svg, "role"))
		}
		bars := elements(svg, func(e *html.Node) bool { return e.Data == "rect" && attr(e, "height") != "" && attr(e, "width") != "0" })
		if len(bars) < 3 {
			t.Errorf("chart %s has %d rect elements; want bars", c.figure, len(bars))
		}
		var labels []string
		for _, e := range elements(svg, func(e *html.Node) bool { return e.Data == "text" }) {
			labels = append(labels, text(e))
		}
		for _, want := range c.texts {
			found := false
			for _, l := range labels {
				found = found || l == want
			}
			if !found {
				t.Errorf("chart %s has no text %q; it has %q", c.figure, want, labels)
			}
		}
	}
	// Exactly three charts in the page.
	if n := len(byTag(doc, atom.Svg)); n != 3 {
		t.Errorf("the page holds %d svg elements, want 3", n)
	}

	// The other sections' contents.
	for _, c := range []struct{ section, want string }{
		{"overdue", "us-cert-R0004 preservation emergency us-cert cncert to acknowledge 2026-03-05 11:00 UTC 10 d 13 h"},
		{"declines", "national-law 1"},
		{"declines", "us-cert-R0003 evidence us-cert cncert national-law 2026-03-05 08:00 UTC"},
		{"ratings", "Mean rating 3.0 from 2 ratings"},
		{"ratings", "All 2 3.0 0 1 0 1 0"},
		{"trend", "All 1 7 +6 100% 33%"},
		{"escalations", "us-cert-R0003 evidence us-cert cncert declined (national-law)"},
		{"escalations", "us-cert-R0004 preservation us-cert cncert overdue to acknowledge"},
	} {
		if got := text(byID(t, doc, c.section)); !strings.Contains(got, c.want) {
			t.Errorf("section %s lacks %q:\n%s", c.section, c.want, got)
		}
	}

	checkSelfContained(t, doc)
}

func textOr(ns []*html.Node) string {
	if len(ns) == 0 {
		return ""
	}
	return text(ns[0])
}

// checkSelfContained fails if the page holds a script or anything that
// loads from elsewhere: an external stylesheet, image, frame or font, a
// link off the page.
func checkSelfContained(t *testing.T, doc *html.Node) {
	t.Helper()
	for _, e := range elements(doc, func(*html.Node) bool { return true }) {
		switch e.DataAtom {
		case atom.Script, atom.Link, atom.Img, atom.Iframe, atom.Object, atom.Embed, atom.Image, atom.Video, atom.Audio:
			t.Errorf("the page holds a <%s> element", e.Data)
		}
		if e.Data == "image" || e.Data == "use" || e.Data == "foreignObject" {
			t.Errorf("the page holds an SVG <%s> element", e.Data)
		}
		for _, a := range e.Attr {
			switch {
			case a.Key == "src" || a.Key == "srcset" || a.Key == "xlink:href" || (a.Namespace == "xlink" && a.Key == "href"):
				t.Errorf("<%s> has %s=%q", e.Data, a.Key, a.Val)
			case a.Key == "href" && !strings.HasPrefix(a.Val, "#"):
				t.Errorf("<%s> links to %q", e.Data, a.Val)
			case strings.HasPrefix(a.Key, "on"):
				t.Errorf("<%s> has a script attribute %s", e.Data, a.Key)
			case strings.Contains(a.Val, "url(") && !strings.HasPrefix(a.Val, "url(#"):
				t.Errorf("<%s %s=%q> refers to a URL", e.Data, a.Key, a.Val)
			}
		}
	}
	styles := byTag(doc, atom.Style)
	if len(styles) != 1 {
		t.Errorf("the page has %d style elements, want 1 (inline)", len(styles))
	}
	for _, s := range styles {
		css := text(s)
		if strings.Contains(css, "@import") || strings.Contains(css, "url(") || strings.Contains(css, "@font-face") {
			t.Errorf("the style loads from elsewhere:\n%s", css)
		}
		for _, want := range []string{"@media print", "size: A4", "break-before: page"} {
			if !strings.Contains(css, want) {
				t.Errorf("the style lacks %q", want)
			}
		}
	}
}

// TestReviewHTMLEscapes renders a review whose texts hold markup: every one
// comes out as text, in the tables and in the charts alike.
func TestReviewHTMLEscapes(t *testing.T) {
	evil := `<script>alert("x")</script> & 'q'`
	at := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)
	r := &report.Review{Schema: report.ReviewSchema, Node: "us-cert", Parties: []string{"<b>cn</b>", "us-cert"},
		Period: report.Period{From: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)},
		AsOf:   time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC), Digest: "ab", Agreement: "cd",
		Totals: report.Group{Requests: 1, Declined: 1, DeclinesByGround: []report.Count{{Key: evil, Count: 1}},
			Ratings: report.Ratings{Count: 1, Sum: 3, Distribution: [5]int{0, 0, 1, 0, 0}, Mean: 3}},
		Groups: []report.Group{{Type: accord.TypeEvidence, Responder: "<b>cn</b>", Requests: 1, Declined: 1, DeclinesByGround: []report.Count{{Key: evil, Count: 1}},
			Ratings: report.Ratings{Count: 1, Sum: 3, Distribution: [5]int{0, 0, 1, 0, 0}, Mean: 3}}},
		Overdue:     []report.OverdueItem{},
		Declines:    []report.DeclineItem{{RequestID: "us-cert-R0001", Type: accord.TypeEvidence, Requester: "us-cert", Responder: "<b>cn</b>", Ground: evil, At: at}},
		Trend:       []report.TrendRow{{Current: report.TrendFigures{Requests: 1}}, {Type: accord.TypeEvidence, Responder: "<b>cn</b>", Current: report.TrendFigures{Requests: 1}}},
		Escalations: []report.Escalation{{RequestID: "us-cert-R0001", Type: accord.TypeEvidence, Requester: "us-cert", Responder: "<b>cn</b>", Reason: "declined (" + evil + ")"}},
	}
	doc := renderHTML(t, r)
	if n := len(byTag(doc, atom.Script)); n != 0 {
		t.Errorf("the page holds %d script elements", n)
	}
	if n := len(byTag(doc, atom.B)); n != 0 {
		t.Errorf("the page holds %d b elements: a party id was not escaped", n)
	}
	if got := text(byID(t, doc, "declines")); !strings.Contains(got, evil) {
		t.Errorf("the declines section does not show the ground as text:\n%s", got)
	}
	if got := text(byID(t, doc, "escalations")); !strings.Contains(got, "declined ("+evil+")") {
		t.Errorf("the escalations section does not show the reason as text:\n%s", got)
	}
	svg := byTag(byID(t, doc, "trend"), atom.Svg)
	if len(svg) != 1 || !strings.Contains(text(svg[0]), "evidence → <b>cn</b>") {
		t.Errorf("the trend chart does not show the party id as text: %q", textOr(svg))
	}
	checkSelfContained(t, doc)
}

// TestReviewHTMLEmpty renders a review of a period without requests: every
// section is there and says it has nothing to show; no chart is drawn.
func TestReviewHTMLEmpty(t *testing.T) {
	r := &report.Review{Schema: report.ReviewSchema, Node: "us-cert", Parties: []string{"us-cert"},
		Period:   report.Period{From: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)},
		Previous: report.Period{From: time.Date(2026, 2, 16, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		AsOf:     time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC), Digest: "ab", Agreement: "cd",
		Groups: []report.Group{}, Overdue: []report.OverdueItem{}, Declines: []report.DeclineItem{}, Escalations: []report.Escalation{},
		Trend: []report.TrendRow{{}},
	}
	doc := renderHTML(t, r)
	for _, c := range []struct{ section, want string }{
		{"timeliness", "No request was received in the period 2026-03-02 to 2026-03-15."},
		{"overdue", "No request was overdue at 2026-03-16 00:00 UTC."},
		{"declines", "No request was declined in the period 2026-03-02 to 2026-03-15."},
		{"ratings", "No final answer was rated in the period 2026-03-02 to 2026-03-15."},
		{"trend", "No request was received in the period 2026-03-02 to 2026-03-15 or in the previous period 2026-02-16 to 2026-03-01."},
		{"escalations", "Nothing to escalate"},
	} {
		sec := byID(t, doc, c.section)
		if got := text(sec); !strings.Contains(got, c.want) {
			t.Errorf("section %s lacks %q:\n%s", c.section, c.want, got)
		}
		if len(byTag(sec, atom.H2)) != 1 {
			t.Errorf("section %s has no heading", c.section)
		}
	}
	if n := len(byTag(doc, atom.Svg)); n != 0 {
		t.Errorf("an empty review draws %d charts", n)
	}
}
