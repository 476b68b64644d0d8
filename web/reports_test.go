package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

// TestReportRoutes: the weekly statistics and the review over the API, in
// JSON and HTML and as a CSV archive, with the review's digest in a
// header; bad parameters are problems.
func TestReportRoutes(t *testing.T) {
	f := newFixture(t)
	sp := loadSpec(t)
	f.setupStates(map[string]accord.Status{"a": accord.StatusSent})
	tok := f.token(accord.RoleReviewer)

	rec := f.do("GET", "/api/v1/reports/weekly?format=json&week=2026-W10", tok, "")
	sp.checkResponse(t, "GET /api/v1/reports/weekly", rec.Code, rec.Header(), rec.Body.Bytes())
	var w struct {
		Week     string
		Requests struct {
			Totals struct{ Opened struct{ Week int } }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &w); err != nil || rec.Code != 200 || w.Week != "2026-W10" || w.Requests.Totals.Opened.Week != 1 {
		t.Errorf("weekly json: %d %.300s", rec.Code, rec.Body)
	}
	rec = f.do("GET", "/api/v1/reports/weekly?format=csv&week=2026-W10", tok, "")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/zip" || !strings.HasPrefix(rec.Body.String(), "PK") ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), "accord-weekly-us-cert-2026-W10.csv.zip") {
		t.Errorf("weekly csv: %d %v", rec.Code, rec.Header())
	}

	f.advance(30 * 24 * time.Hour)
	rec = f.do("GET", "/api/v1/reports/review?from=2026-03-01&to=2026-03-20", tok, "")
	sp.checkResponse(t, "GET /api/v1/reports/review", rec.Code, rec.Header(), rec.Body.Bytes())
	digest := rec.Header().Get("Accord-Review-Digest")
	if rec.Code != 200 || len(digest) != 64 || !strings.Contains(rec.Body.String(), digest) || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("review html: %d %v", rec.Code, rec.Header())
	}
	rec = f.do("GET", "/api/v1/reports/review?from=2026-03-01&to=2026-03-20&format=json", tok, "")
	var r struct{ Digest string }
	if json.Unmarshal(rec.Body.Bytes(), &r); r.Digest != digest {
		t.Errorf("review json digest %q, html %q", r.Digest, digest)
	}

	for _, tc := range []struct {
		path, field string
	}{
		{"/api/v1/reports/weekly?week=2026-47", "week"},
		{"/api/v1/reports/weekly?format=docx", "format"},
		{"/api/v1/reports/review?to=2026-03-20", "from"},
		{"/api/v1/reports/review?from=2026-03-01&to=20-03-2026", "to"},
		{"/api/v1/reports/review?from=2026-03-01&to=2099-01-01", "to"},
	} {
		rec := f.do("GET", tc.path, tok, "")
		p := problemOf(t, rec, http.StatusBadRequest)
		if p.Field != tc.field {
			t.Errorf("GET %s: field %q (%s), want %q", tc.path, p.Field, p.Detail, tc.field)
		}
	}
	if rec := f.do("GET", "/api/v1/reports/weekly", "", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("weekly without a token: %d", rec.Code)
	}
}
