package report_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/report"
)

func TestParseWeek(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2026-W01": time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC),
		"2026-W10": time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		"2026-W47": time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC),
		"2026-W53": time.Date(2026, 12, 28, 0, 0, 0, 0, time.UTC),
		"2021-W01": time.Date(2021, 1, 4, 0, 0, 0, 0, time.UTC),
	} {
		got, err := report.ParseWeek(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseWeek(%q) = %s, %v; want %s", in, got, err, want)
		}
		if report.WeekOf(got) != in {
			t.Errorf("WeekOf(%s) = %s, want %s", got, report.WeekOf(got), in)
		}
	}
	for _, bad := range []string{"", "2026-47", "2026-W4", "2026-W00", "2025-W53", "26-W10", "2026-W1x"} {
		if _, err := report.ParseWeek(bad); accord.ErrorField(err) != "week" {
			t.Errorf("ParseWeek(%q): %v; want an error on week", bad, err)
		}
	}
}

// TestWeekly counts the scenario's week of 2 March on us-cert: six
// requests opened (four sent, two received), one answered in full (and
// one the week before), two
// overdue at the week's end (the preservation request never acknowledged,
// the mitigation request answered only on 10 March), and the case opened
// that week, by its breakdowns.
func TestWeekly(t *testing.T) {
	ctx, clock, us, cn := pair(t, day(1).AddDate(0, 0, -12))
	playScenario(t, ctx, clock, us, cn)
	if _, err := us.svc.CreateCase(ctx, analyst, node.NewCase{Title: "Late case", Category: "fraud", Sectors: []string{"banking", "energy"}, OriginCountry: "CN", AffectedCountry: "US"}); err != nil {
		t.Fatal(err)
	}
	monday, err := report.ParseWeek("2026-W10")
	if err != nil {
		t.Fatal(err)
	}
	w, err := report.BuildWeekly(ctx, us.svc, reviewer, monday)
	if err != nil {
		t.Fatal(err)
	}
	want := report.RequestRow{Opened: report.WeekCount{Week: 6}, Answered: report.WeekCount{Week: 1, Previous: 1}, Overdue: report.WeekCount{Week: 2}}
	if diff := cmp.Diff(want, w.Requests.Totals); diff != "" {
		t.Errorf("request totals (-want +got):\n%s", diff)
	}
	var got []string
	for _, r := range w.Requests.Rows {
		got = append(got, string(r.Type)+"/"+string(r.Direction))
	}
	if diff := cmp.Diff([]string{"evidence/outgoing", "information/incoming", "information/outgoing", "investigation/outgoing", "mitigation/incoming", "preservation/outgoing"}, got); diff != "" {
		t.Errorf("request rows (-want +got):\n%s", diff)
	}
	// The scenario opens two cases in W10 and closes one of them.
	if w.Cases.Opened != (report.WeekCount{Week: 2}) || w.Cases.Closed != (report.WeekCount{Week: 1}) || w.Week != "2026-W10" {
		t.Errorf("cases in W10: opened %+v, closed %+v; week %s", w.Cases.Opened, w.Cases.Closed, w.Week)
	}
	// This week's: the late case is opened now (the clock is past the
	// scenario); the week before, the scenario's scanning case.
	now, err := report.BuildWeekly(ctx, us.svc, reviewer, mondayOf(clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	wantOrigin := []report.CaseRow{{Key: "CN", Opened: report.WeekCount{Week: 1}}, {Key: "RU", Opened: report.WeekCount{Previous: 1}}}
	if now.Cases.Opened != (report.WeekCount{Week: 1, Previous: 1}) || len(now.Cases.BySector) != 3 {
		t.Errorf("this week's cases: %+v", now.Cases)
	}
	if diff := cmp.Diff(wantOrigin, now.Cases.ByOriginCountry); diff != "" {
		t.Errorf("this week's cases by origin country (-want +got):\n%s", diff)
	}
	if _, err := report.BuildWeekly(ctx, us.svc, reviewer, mondayOf(clock.Now()).AddDate(0, 0, 14)); accord.ErrorField(err) != "week" {
		t.Errorf("a week not begun: %v; want an error on week", err)
	}
}

func mondayOf(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// TestWeeklyGolden checks the JSON of the scenario's week of 2 March on
// us-cert, less the ledger checkpoint (keys and message ids differ from run
// to run), against testdata/weekly.golden.json (-update rewrites it).
func TestWeeklyGolden(t *testing.T) {
	ctx, clock, us, cn := pair(t, day(1).AddDate(0, 0, -12))
	playScenario(t, ctx, clock, us, cn)
	w, err := report.BuildWeekly(ctx, us.svc, reviewer, mondayOf(day(2)))
	if err != nil {
		t.Fatal(err)
	}
	w.Checkpoint = report.Checkpoint{}
	var buf bytes.Buffer
	if err := report.WriteWeeklyJSON(&buf, w); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "weekly.golden.json")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("weekly JSON differs from %s (-want +got):\n%s", golden, diff)
	}
}
