package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		secs int64
		want string
	}{
		{0, "0 s"},
		{45, "45 s"},
		{60, "1 min"},
		{61, "1 min 1 s"},
		{1800, "30 min"},
		{3600, "1 h"},
		{3661, "1 h 1 min"},
		{9000, "2 h 30 min"},
		{86400, "1 d"},
		{3*86400 + 4*3600, "3 d 4 h"},
		{3*86400 + 4*3600 + 59*60 + 59, "3 d 4 h"}, // truncated
		{3*86400 + 59*60, "3 d"},                   // minutes are not the next unit of days
		{910800, "10 d 13 h"},
	} {
		if got := formatDuration(tc.secs); got != tc.want {
			t.Errorf("formatDuration(%d) = %q, want %q", tc.secs, got, tc.want)
		}
	}
}

func TestFormatPercent(t *testing.T) {
	for _, tc := range []struct {
		share float64
		want  string
	}{
		{0, "0%"}, {1, "100%"}, {1.0 / 3, "33%"}, {2.0 / 3, "67%"}, {0.999, "99%"}, {0.001, "1%"}, {0.5, "50%"},
	} {
		if got := formatPercent(tc.share); got != tc.want {
			t.Errorf("formatPercent(%v) = %q, want %q", tc.share, got, tc.want)
		}
	}
	if got := formatShare(0, 0); got != "—" {
		t.Errorf("formatShare(0, 0) = %q, want a dash", got)
	}
}

func TestFormatPeriod(t *testing.T) {
	d := func(m, day, h int) time.Time { return time.Date(2026, time.Month(m), day, h, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		p    Period
		want string
	}{
		{Period{d(3, 2, 0), d(3, 16, 0)}, "2026-03-02 to 2026-03-15"},
		{Period{d(3, 2, 0), d(3, 3, 0)}, "2026-03-02 to 2026-03-02"},
		{Period{d(3, 2, 8), d(3, 3, 0)}, "2026-03-02 08:00 UTC to 2026-03-03 00:00 UTC"},
	} {
		if got := formatPeriod(tc.p); got != tc.want {
			t.Errorf("formatPeriod(%v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestScales(t *testing.T) {
	labels := func(s scale) []string {
		var out []string
		for _, t := range s.Ticks {
			out = append(out, t.Label)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		s    scale
		max  float64
		want []string
	}{
		{"countScale(7)", countScale(7), 8, []string{"0", "2", "4", "6", "8"}},
		{"countScale(1)", countScale(1), 1, []string{"0", "1"}},
		{"countScale(0)", countScale(0), 1, []string{"0", "1"}},
		{"countScale(23)", countScale(23), 25, []string{"0", "5", "10", "15", "20", "25"}},
		{"percentScale()", percentScale(), 1, []string{"0%", "25%", "50%", "75%", "100%"}},
	} {
		if tc.s.Max != tc.max {
			t.Errorf("%s: max %v, want %v", tc.name, tc.s.Max, tc.max)
		}
		if diff := cmp.Diff(tc.want, labels(tc.s)); diff != "" {
			t.Errorf("%s: ticks (-want +got):\n%s", tc.name, diff)
		}
	}
	for _, tc := range []struct {
		max       float64
		unit      string
		top       float64
		wantTicks []string
	}{
		{3 * 86400, "days", 3 * 86400, []string{"0", "1", "2", "3"}},
		{7200, "hours", 7200, []string{"0", "0.5", "1", "1.5", "2"}},
		{5 * 3600, "hours", 5 * 3600, []string{"0", "1", "2", "3", "4", "5"}},
		{1800, "minutes", 1800, []string{"0", "10", "20", "30"}},
		{0, "seconds", 1, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},
	} {
		s, unit := durationScale(tc.max)
		if unit != tc.unit || s.Max != tc.top {
			t.Errorf("durationScale(%v) = max %v in %s, want %v in %s", tc.max, s.Max, unit, tc.top, tc.unit)
		}
		if diff := cmp.Diff(tc.wantTicks, labels(s)); diff != "" {
			t.Errorf("durationScale(%v) ticks (-want +got):\n%s", tc.max, diff)
		}
	}
}

// TestChartsAreWellFormedSVG: the charts are XML whatever their texts
// hold, with the texts given, escaped, and a title.
func TestChartsAreWellFormedSVG(t *testing.T) {
	evil := `<x> & "y" 'z'`
	bar := &barChart{ID: "c1", Title: "T " + evil, Desc: "D " + evil, Rows: []string{evil, "b"}, Panels: []barPanel{
		{Title: "P1", Axis: "days", Series: []string{"median", evil}, Scale: countScale(3), Values: [][]barValue{{{V: 1, Label: "1 " + evil}, {V: 2, Label: "2"}}, {{None: "none " + evil}}}},
		{Title: "P2", Axis: "share", Scale: percentScale(), Values: [][]barValue{{{V: 0.5, Label: "50%"}}, {{V: 0, Label: "0%"}}}},
	}}
	col := &columnChart{ID: "c2", Title: "T " + evil, Desc: "D", XAxis: "x " + evil, YAxis: "y", Scale: countScale(2),
		Columns: []column{{Label: "1", Sub: evil, V: 2, Text: "2"}, {Label: "2", V: 0, Text: "0"}}}
	for name, svg := range map[string]string{"barChart": string(bar.svg()), "columnChart": string(col.svg())} {
		dec := xml.NewDecoder(strings.NewReader(svg))
		var texts []string
		var title string
		var inTitle bool
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s is not well-formed XML: %v\n%s", name, err, svg)
			}
			switch x := tok.(type) {
			case xml.StartElement:
				inTitle = x.Name.Local == "title"
			case xml.CharData:
				if inTitle {
					title += string(x)
				}
				texts = append(texts, string(x))
			case xml.EndElement:
				inTitle = false
			}
		}
		if title != "T "+evil {
			t.Errorf("%s: title %q, want %q", name, title, "T "+evil)
		}
		if !strings.Contains(strings.Join(texts, "\n"), evil) {
			t.Errorf("%s: the texts do not hold %q: %q", name, evil, texts)
		}
		if !bytes.HasPrefix([]byte(svg), []byte(`<svg xmlns="http://www.w3.org/2000/svg"`)) {
			t.Errorf("%s does not start with an svg element: %.80s", name, svg)
		}
	}
}
