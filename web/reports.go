package web

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/report"
)

// reportFormat reads ?format= (html by default) and checks it.
func reportFormat(format string) (string, error) {
	if format == "" {
		format = "html"
	}
	return format, report.CheckFormat(format)
}

// sendReport writes a rendered report as a download named name.
func (s *server) sendReport(w http.ResponseWriter, format, name string, body []byte) {
	media := report.Media[format]
	w.Header().Set("Content-Type", media.ContentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+media.Suffix+`"`)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// weeklyReport writes the statistics of ?week= (YYYY-Www; by default the
// last full week) in ?format= (html, pdf, json, csv; html by default).
// Any role.
func (s *server) weeklyReport(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	q, err := query(r, "week", "format")
	if err != nil {
		return err
	}
	format, err := reportFormat(q.Get("format"))
	if err != nil {
		return err
	}
	week := q.Get("week")
	if week == "" {
		week = report.WeekOf(s.svc.Now().AddDate(0, 0, -7))
	}
	monday, err := report.ParseWeek(week)
	if err != nil {
		return err
	}
	wk, err := report.BuildWeekly(r.Context(), s.svc, a, monday)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.WriteWeekly(r.Context(), &buf, format, wk); err != nil {
		return err
	}
	s.sendReport(w, format, "accord-weekly-"+wk.Node+"-"+wk.Week, buf.Bytes())
	return nil
}

// reviewReport writes the joint-dialogue review of ?from= to ?to= (both
// YYYY-MM-DD, inclusive), of every peer or ?peer=, in ?format=. Any role.
// The digest is also in the header Accord-Review-Digest.
func (s *server) reviewReport(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	q, err := query(r, "from", "to", "peer", "format")
	if err != nil {
		return err
	}
	format, err := reportFormat(q.Get("format"))
	if err != nil {
		return err
	}
	var opts report.ReviewOptions
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &opts.From}, {"to", &opts.To}} {
		v := strings.TrimSpace(q.Get(f.name))
		if v == "" {
			return accord.FieldError(f.name, "is required (YYYY-MM-DD)")
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return accord.FieldError(f.name, "%q is not a date (YYYY-MM-DD)", v)
		}
		*f.dst = t
	}
	opts.Peer = q.Get("peer")
	rev, err := report.BuildReview(r.Context(), s.svc, a, opts)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.WriteReview(r.Context(), &buf, format, rev); err != nil {
		return err
	}
	w.Header().Set("Accord-Review-Digest", rev.Digest)
	s.sendReport(w, format, "accord-review-"+rev.Node+"-"+rev.Period.From.Format(time.DateOnly), buf.Bytes())
	return nil
}
