package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReportCommands: the weekly statistics and the review from the
// command line, to stdout and to a file, and the refusals.
func TestReportCommands(t *testing.T) {
	home := filepath.Join(t.TempDir(), "us")
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC) // a Friday of 2026-W47
	mustRun(t, home, now, "init", "--party", "us-cert", "--name", "US-CERT", "--country", "US")
	mustRun(t, home, now, "party", "add", "--id", "cncert", "--name", "CNCERT/CC", "--country", "CN")
	mustRun(t, home, now, "case", "new", "--title", "Botnet", "--category", "malicious-code", "--sectors", "energy", "--origin-country", "CN")
	mustRun(t, home, now, "request", "new", "--case", "us-cert-C0001", "--to", "cncert", "--type", "mitigation", "--priority", "emergency", "--subject", "Stop it")
	later := now.Add(48 * time.Hour)

	var w struct {
		Week     string
		Requests struct {
			Totals struct {
				Opened, Overdue struct{ Week int }
			}
		}
		Cases struct {
			ByOriginCountry []struct{ Key string } `json:"by_origin_country"`
		}
	}
	if err := json.Unmarshal([]byte(mustRun(t, home, later, "report", "weekly", "--week", "2026-W47", "--format", "json")), &w); err != nil {
		t.Fatal(err)
	}
	if w.Week != "2026-W47" || w.Requests.Totals.Opened.Week != 1 || w.Requests.Totals.Overdue.Week != 1 || len(w.Cases.ByOriginCountry) != 1 {
		t.Errorf("weekly: %+v", w)
	}
	// Without --week: the last full week, here 2026-W46 (nothing in it).
	if out := mustRun(t, home, later, "report", "weekly", "--format", "json"); !strings.Contains(out, `"week": "2026-W46"`) {
		t.Errorf("default week: %.200s", out)
	}

	file := filepath.Join(t.TempDir(), "review.html")
	_, errs, code := run(t, home, later, "report", "review", "--from", "2026-11-01", "--to", "2026-11-20", "-o", file)
	if code != 0 || !strings.Contains(errs, "review digest ") {
		t.Fatalf("review to a file: exit %d, %s", code, errs)
	}
	page, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	digest := strings.Fields(strings.SplitAfter(errs, "review digest ")[1])[0]
	// No exchange with a peer in the period (cncert does not run accord
	// here): the page says so, and still carries the digest.
	if len(digest) != 64 || !strings.Contains(string(page), digest) || !strings.Contains(string(page), `<section id="timeliness"`) {
		t.Errorf("the review page does not hold its digest %q and sections:\n%.600s", digest, page)
	}
	zipped := mustRun(t, home, later, "report", "review", "--from", "2026-11-01", "--to", "2026-11-20", "--format", "csv")
	if !strings.HasPrefix(zipped, "PK") {
		t.Errorf("csv: not a ZIP archive: %.20q", zipped)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", "weekly", "--format", "docx"}, 2, `"docx" is not a report format`},
		{[]string{"report", "weekly", "--week", "2026-47"}, 1, "not an ISO week"},
		{[]string{"report", "review", "--from", "2026-11-01", "--to", "tomorrow"}, 2, "not a date"},
		{[]string{"report", "review", "--from", "2026-11-10", "--to", "2026-11-01"}, 1, "before"},
		{[]string{"report", "review", "--from", "2026-11-01", "--to", "2026-12-31"}, 1, "after now"},
		{[]string{"report", "review", "--to", "2026-11-20"}, 1, `required flag(s) "from" not set`},
	} {
		if _, errs, code := run(t, home, later, tc.args...); code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("accord %s: exit %d, %q; want %d and %q", strings.Join(tc.args, " "), code, errs, tc.code, tc.want)
		}
	}
}
