package report_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/net/html"

	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/report"
)

func scenarioWeekly(t *testing.T) *report.Weekly {
	t.Helper()
	ctx, clock, us, cn := pair(t, day(1).AddDate(0, 0, -12))
	playScenario(t, ctx, clock, us, cn)
	for _, c := range []node.NewCase{
		{Title: "Phishing", Category: "fraud", Sectors: []string{"banking", "energy"}, OriginCountry: "CN", AffectedCountry: "US"},
		{Title: "Scan", Category: "intrusions", AffectedCountry: "US"},
	} {
		if _, err := us.svc.CreateCase(ctx, analyst, c); err != nil {
			t.Fatal(err)
		}
	}
	w, err := report.BuildWeekly(ctx, us.svc, reviewer, mondayOf(day(9)))
	if err != nil {
		t.Fatal(err)
	}
	// The week of 9 March holds the scenario's later requests; the cases
	// were opened on the clock's day, so count this week's too.
	now, err := report.BuildWeekly(ctx, us.svc, reviewer, mondayOf(clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	w.Cases = now.Cases
	return w
}

// TestWeeklyFormats renders one week in every format: the JSON matches
// schema/weekly.json; the HTML parses and holds each section, chart and
// figure; the CSV archive holds every table with its rows.
func TestWeeklyFormats(t *testing.T) {
	w := scenarioWeekly(t)

	var js bytes.Buffer
	if err := report.WriteWeeklyJSON(&js, w); err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(report.WeeklyJSONSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(report.WeeklySchema, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(report.WeeklySchema)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("the weekly JSON does not match schema/weekly.json: %v", err)
	}

	var page bytes.Buffer
	if err := report.WriteWeeklyHTML(&page, w); err != nil {
		t.Fatal(err)
	}
	root, err := html.Parse(bytes.NewReader(page.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	svgs := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "id" && n.Data == "section" {
					ids[a.Val] = true
				}
			}
			if n.Data == "svg" {
				svgs++
			}
			if n.Data == "script" || (n.Data == "link" && len(n.Attr) > 0) {
				t.Errorf("the page loads something: <%s>", n.Data)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	for _, id := range []string{"summary", "cases", "requests", "intel"} {
		if !ids[id] {
			t.Errorf("the page has no section %q", id)
		}
	}
	if svgs != 2 {
		t.Errorf("%d charts, want 2 (cases, requests)", svgs)
	}
	text := page.String()
	for _, s := range []string{w.Week, "not an attribution", "mitigation", "incoming", "banking", "CN"} {
		if !strings.Contains(text, s) {
			t.Errorf("the page does not say %q", s)
		}
	}

	var zbuf bytes.Buffer
	if err := report.WriteWeeklyCSV(&zbuf, w); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zbuf.Bytes()), int64(zbuf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"summary.csv": 13, "cases.csv": 2, "cases_by_category.csv": 2, "cases_by_origin_country.csv": 3, "cases_by_sector.csv": 3,
		"cases_by_affected_country.csv": 2, "requests.csv": len(w.Requests.Rows) + 1, "intel.csv": 4}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(rc).ReadAll()
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		n, ok := want[f.Name]
		if !ok {
			t.Errorf("unexpected table %s", f.Name)
			continue
		}
		delete(want, f.Name)
		if len(recs)-1 != n {
			t.Errorf("%s: %d rows, want %d", f.Name, len(recs)-1, n)
		}
	}
	if len(want) > 0 {
		t.Errorf("tables missing: %v", want)
	}
}
