package report

import (
	"bytes"
	"context"
	_ "embed" // WeeklyJSONSchema
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/accord-cyber/accord"
)

// WeeklyJSONSchema is the JSON Schema (draft 2020-12) of a Weekly as
// WriteWeeklyJSON writes it; its $id is WeeklySchema.
//
//go:embed schema/weekly.json
var WeeklyJSONSchema []byte

// WriteWeeklyJSON writes w as indented JSON (two spaces, a final newline),
// the form WeeklyJSONSchema describes.
func WriteWeeklyJSON(out io.Writer, w *Weekly) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(w); err != nil {
		return accord.Internal(err, "encode the weekly report")
	}
	if _, err := buf.WriteTo(out); err != nil {
		return fmt.Errorf("write the weekly report: %w", err)
	}
	return nil
}

// WriteWeeklyHTML writes w as one self-contained HTML page, as
// WriteReviewHTML does the review: sections summary, cases, requests and
// intel, with charts of the cases opened by category and the requests
// opened by type and direction, each this week beside the week before.
func WriteWeeklyHTML(out io.Writer, w *Weekly) error { return writeDocument(out, weeklyDocument(w)) }

// WriteWeeklyPDF prints WriteWeeklyHTML's page with headless Chromium (see
// WriteReviewPDF).
func WriteWeeklyPDF(ctx context.Context, out io.Writer, w *Weekly) error {
	var page bytes.Buffer
	if err := WriteWeeklyHTML(&page, w); err != nil {
		return err
	}
	return printPDF(ctx, out, page.Bytes())
}

// WriteWeeklyCSV writes WeeklyTables as a ZIP archive of <table>.csv files.
func WriteWeeklyCSV(out io.Writer, w *Weekly) error {
	return writeTablesZip(out, WeeklyTables(w), w.GeneratedAt)
}

// WeeklyTables returns the tables of w: summary (key and value rows),
// cases (opened and closed), cases_by_category, cases_by_origin_country,
// cases_by_sector, cases_by_affected_country, requests (by type and
// direction, then a row of totals whose type and direction are "all") and
// intel. Each count has the week's figure, the previous week's and the
// change.
func WeeklyTables(w *Weekly) []Table {
	itoa := strconv.Itoa
	rfc := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	wc := func(c WeekCount) []string { return []string{itoa(c.Week), itoa(c.Previous), itoa(c.Change())} }
	counts := func(names ...string) []string {
		var h []string
		for _, n := range names {
			h = append(h, n, n+"_previous", n+"_change")
		}
		return h
	}
	summary := Table{Name: "summary", Header: []string{"key", "value"}, Rows: [][]string{
		{"schema", w.Schema}, {"node", w.Node}, {"week", w.Week},
		{"period_from", rfc(w.Period.From)}, {"period_to", rfc(w.Period.To)},
		{"previous_period_from", rfc(w.Previous.From)}, {"previous_period_to", rfc(w.Previous.To)},
		{"generated_at", rfc(w.GeneratedAt)},
		{"checkpoint_origin", w.Checkpoint.Origin}, {"checkpoint_size", strconv.FormatInt(w.Checkpoint.Size, 10)},
		{"checkpoint_root", w.Checkpoint.Root}, {"checkpoint_signed", strconv.FormatBool(w.Checkpoint.Signed)},
		{"checkpoint_cosigned_at", rfc(w.Checkpoint.CosignedAt)},
	}}
	cases := Table{Name: "cases", Header: append([]string{"what"}, counts("cases")...), Rows: [][]string{
		append([]string{"opened"}, wc(w.Cases.Opened)...),
		append([]string{"closed"}, wc(w.Cases.Closed)...),
	}}
	breakdown := func(name, key string, rows []CaseRow) Table {
		t := Table{Name: name, Header: append([]string{key}, counts("opened", "closed")...), Rows: [][]string{}}
		for _, r := range rows {
			t.Rows = append(t.Rows, append(append([]string{r.Key}, wc(r.Opened)...), wc(r.Closed)...))
		}
		return t
	}
	reqs := Table{Name: "requests", Header: append([]string{"type", "direction"}, counts("opened", "answered", "overdue")...), Rows: [][]string{}}
	for _, r := range append(append([]RequestRow{}, w.Requests.Rows...), w.Requests.Totals) {
		typ, dir := string(r.Type), string(r.Direction)
		if typ == "" {
			typ, dir = allLabel, allLabel
		}
		reqs.Rows = append(reqs.Rows, append(append(append([]string{typ, dir}, wc(r.Opened)...), wc(r.Answered)...), wc(r.Overdue)...))
	}
	intel := Table{Name: "intel", Header: append([]string{"what"}, counts("count")...), Rows: [][]string{
		append([]string{"objects_out"}, wc(w.Intel.ObjectsOut)...),
		append([]string{"objects_in"}, wc(w.Intel.ObjectsIn)...),
		append([]string{"observables"}, wc(w.Intel.Observables)...),
		append([]string{"correlated"}, wc(w.Intel.Correlated)...),
	}}
	return []Table{summary, cases,
		breakdown("cases_by_category", "category", w.Cases.ByCategory),
		breakdown("cases_by_origin_country", "origin_country", w.Cases.ByOriginCountry),
		breakdown("cases_by_sector", "sector", w.Cases.BySector),
		breakdown("cases_by_affected_country", "affected_country", w.Cases.ByAffectedCountry),
		reqs, intel}
}

// formatChange writes a count's change against the week before: "+3",
// "−2", "0".
func formatChange(c WeekCount) string {
	switch d := c.Change(); {
	case d > 0:
		return "+" + strconv.Itoa(d)
	case d < 0:
		return "−" + strconv.Itoa(-d)
	}
	return "0"
}

func weeklyDocument(w *Weekly) document {
	doc := document{
		Title:    "Weekly statistics, " + w.Week,
		Subtitle: fmt.Sprintf("Cases, requests and shared threat intelligence on the node of %s, %s, each beside the week before.", w.Node, formatPeriod(w.Period)),
	}
	cp := []fact{{"Ledger checkpoint", fmt.Sprintf("%s, size %d", w.Checkpoint.Origin, w.Checkpoint.Size)}, {"Root", w.Checkpoint.Root}}
	doc.Sections = append(doc.Sections, docSection{ID: "summary", Heading: "Summary", Blocks: []block{
		{Facts: []fact{{"Node", w.Node}, {"Week", w.Week}, {"Period", formatPeriod(w.Period)}, {"Previous week", formatPeriod(w.Previous)},
			{"Generated", formatTime(w.GeneratedAt)},
			{"Cases opened", fmt.Sprintf("%d (%s)", w.Cases.Opened.Week, formatChange(w.Cases.Opened))},
			{"Requests opened", fmt.Sprintf("%d (%s)", w.Requests.Totals.Opened.Week, formatChange(w.Requests.Totals.Opened))},
			{"Overdue at the week's end", fmt.Sprintf("%d (%s)", w.Requests.Totals.Overdue.Week, formatChange(w.Requests.Totals.Overdue))}}},
		{Mono: cp},
		{Notes: []string{"These figures come from this node's own records; the joint-dialogue review is the report both nodes compute alike.",
			"A week not over yet is counted up to the moment of the report; overdue is read at the week's end."}},
	}})

	cs := docSection{ID: "cases", Heading: "Cases", PageBreak: true}
	cs.Blocks = append(cs.Blocks, block{Table: newDocTable("Cases opened and closed", []string{"", "this week", "previous", "change"}, numCols(4, 1), [][]string{
		{"opened", strconv.Itoa(w.Cases.Opened.Week), strconv.Itoa(w.Cases.Opened.Previous), formatChange(w.Cases.Opened)},
		{"closed", strconv.Itoa(w.Cases.Closed.Week), strconv.Itoa(w.Cases.Closed.Previous), formatChange(w.Cases.Closed)},
	}, nil)})
	if len(w.Cases.ByCategory) > 0 {
		cs.Blocks = append(cs.Blocks, block{Chart: casesChart(w)})
	}
	for _, b := range []struct {
		title, key string
		rows       []CaseRow
	}{
		{"By category", "category", w.Cases.ByCategory},
		{"By origin country (where the activity came from, as the case records it; not an attribution)", "origin country", w.Cases.ByOriginCountry},
		{"By sector (a case of several sectors counts in each)", "sector", w.Cases.BySector},
		{"By affected country", "affected country", w.Cases.ByAffectedCountry},
	} {
		cs.Blocks = append(cs.Blocks, block{Sub: b.title})
		if len(b.rows) == 0 {
			cs.Blocks = append(cs.Blocks, block{Empty: "No case was opened or closed in these two weeks."})
			continue
		}
		var rows [][]string
		for _, r := range b.rows {
			key := r.Key
			if key == "" {
				key = "(not recorded)"
			}
			rows = append(rows, []string{key, strconv.Itoa(r.Opened.Week), strconv.Itoa(r.Opened.Previous), formatChange(r.Opened),
				strconv.Itoa(r.Closed.Week), strconv.Itoa(r.Closed.Previous), formatChange(r.Closed)})
		}
		cs.Blocks = append(cs.Blocks, block{Table: newDocTable(b.title, []string{b.key, "opened", "previous", "change", "closed", "previous", "change"}, numCols(7, 1), rows, nil)})
	}
	doc.Sections = append(doc.Sections, cs)

	rs := docSection{ID: "requests", Heading: "Requests", PageBreak: true}
	if len(w.Requests.Rows) == 0 {
		rs.Blocks = []block{{Empty: "No request was opened, answered or overdue in these two weeks."}}
	} else {
		rs.Blocks = append(rs.Blocks, block{Chart: requestsChart(w)})
		row := func(r RequestRow, typ, dir string) []string {
			return []string{typ, dir, strconv.Itoa(r.Opened.Week), formatChange(r.Opened), strconv.Itoa(r.Answered.Week), formatChange(r.Answered),
				strconv.Itoa(r.Overdue.Week), formatChange(r.Overdue)}
		}
		var rows [][]string
		for _, r := range w.Requests.Rows {
			rows = append(rows, row(r, string(r.Type), string(r.Direction)))
		}
		rs.Blocks = append(rs.Blocks, block{Table: newDocTable("Requests by type and direction: opened and answered in full in the week, overdue at its end; change against the week before",
			[]string{"type", "direction", "opened", "change", "answered", "change", "overdue", "change"}, numCols(8, 2), rows,
			[][]string{row(w.Requests.Totals, "All", "")})})
	}
	doc.Sections = append(doc.Sections, rs)

	in := w.Intel
	doc.Sections = append(doc.Sections, docSection{ID: "intel", Heading: "Threat intelligence shared", Blocks: []block{
		{Table: newDocTable("Shared with peers in signed notifications", []string{"", "this week", "previous", "change"}, numCols(4, 1), [][]string{
			{"objects sent", strconv.Itoa(in.ObjectsOut.Week), strconv.Itoa(in.ObjectsOut.Previous), formatChange(in.ObjectsOut)},
			{"objects received", strconv.Itoa(in.ObjectsIn.Week), strconv.Itoa(in.ObjectsIn.Previous), formatChange(in.ObjectsIn)},
			{"observables in them", strconv.Itoa(in.Observables.Week), strconv.Itoa(in.Observables.Previous), formatChange(in.Observables)},
			{"observables correlated", strconv.Itoa(in.Correlated.Week), strconv.Itoa(in.Correlated.Previous), formatChange(in.Correlated)},
		}, nil)},
		{Notes: []string{"Correlated: a value received that a case of this node holds too, or a value sent that a peer had shared (equal values)."}},
	}})
	return doc
}

// casesChart draws the cases opened by category, this week and the week
// before.
func casesChart(w *Weekly) *docChart {
	most := 1
	for _, r := range w.Cases.ByCategory {
		most = max(most, r.Opened.Week, r.Opened.Previous)
	}
	p := barPanel{Title: "Cases opened", Axis: "cases", Series: []string{"this week", "previous week"}, Scale: countScale(float64(most))}
	c := &barChart{ID: "chart-cases", Title: "Cases opened by category, this week and the week before",
		Desc: "For each category: bars of the cases opened this week and in the week before."}
	for _, r := range w.Cases.ByCategory {
		c.Rows = append(c.Rows, r.Key)
		p.Values = append(p.Values, []barValue{{V: float64(r.Opened.Week), Label: strconv.Itoa(r.Opened.Week)}, {V: float64(r.Opened.Previous), Label: strconv.Itoa(r.Opened.Previous)}})
	}
	c.Panels = []barPanel{p}
	return &docChart{ID: "figure-cases", Caption: c.Title + ".", SVG: c.svg()}
}

// requestsChart draws the requests opened and overdue by type and
// direction, this week and the week before.
func requestsChart(w *Weekly) *docChart {
	most := 1
	for _, r := range w.Requests.Rows {
		most = max(most, r.Opened.Week, r.Opened.Previous, r.Overdue.Week, r.Overdue.Previous)
	}
	series := []string{"this week", "previous week"}
	opened := barPanel{Title: "Requests opened", Axis: "requests", Series: series, Scale: countScale(float64(most))}
	overdue := barPanel{Title: "Overdue at the week's end", Axis: "requests", Series: series, Scale: countScale(float64(most))}
	c := &barChart{ID: "chart-requests", Title: "Requests opened and overdue by type and direction, this week and the week before",
		Desc: "For each request type and direction: bars of the requests opened and of those overdue at the end of the week, this week and the week before."}
	for _, r := range w.Requests.Rows {
		c.Rows = append(c.Rows, string(r.Type)+" "+string(r.Direction))
		opened.Values = append(opened.Values, []barValue{{V: float64(r.Opened.Week), Label: strconv.Itoa(r.Opened.Week)}, {V: float64(r.Opened.Previous), Label: strconv.Itoa(r.Opened.Previous)}})
		overdue.Values = append(overdue.Values, []barValue{{V: float64(r.Overdue.Week), Label: strconv.Itoa(r.Overdue.Week)}, {V: float64(r.Overdue.Previous), Label: strconv.Itoa(r.Overdue.Previous)}})
	}
	c.Panels = []barPanel{opened, overdue}
	return &docChart{ID: "figure-requests", Caption: c.Title + ".", SVG: c.svg()}
}
