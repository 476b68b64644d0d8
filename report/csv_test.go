package report_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord/report"
)

// scenario caches the review of the fixed scenario (review_test.go): the
// renderers' tests only read it.
var scenario struct {
	sync.Mutex
	r *report.Review
}

// scenarioReport returns the us-cert node's review of the scenario,
// computed once per test binary. Callers must not change what it points to.
func scenarioReport(t *testing.T) *report.Review {
	t.Helper()
	scenario.Lock()
	defer scenario.Unlock()
	if scenario.r == nil {
		ctx, us, _, opts := scenarioReview(t)
		r, err := report.BuildReview(ctx, us.svc, reviewer, opts)
		if err != nil {
			t.Fatal(err)
		}
		scenario.r = r
	}
	return scenario.r
}

// readZip returns the CSV files of an archive, parsed, in archive order.
func readZip(t *testing.T, b []byte) ([]string, map[string][][]string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("WriteReviewCSV did not write a ZIP archive: %v", err)
	}
	var names []string
	files := map[string][][]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
			t.Errorf("%s starts with a byte-order mark", f.Name)
		}
		if !bytes.HasSuffix(raw, []byte("\r\n")) {
			t.Errorf("%s does not end its lines with CRLF (RFC 4180)", f.Name)
		}
		recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		if err != nil {
			t.Fatalf("%s is not CSV: %v", f.Name, err)
		}
		names = append(names, f.Name)
		files[f.Name] = recs
	}
	return names, files
}

// TestReviewCSV writes the scenario's review as a ZIP of CSV files and
// checks each table's header and row count, and a few cells.
func TestReviewCSV(t *testing.T) {
	r := scenarioReport(t)
	var buf bytes.Buffer
	if err := report.WriteReviewCSV(&buf, r); err != nil {
		t.Fatalf("WriteReviewCSV: %v", err)
	}
	names, files := readZip(t, buf.Bytes())
	want := []struct {
		name   string
		header string
		rows   int
	}{
		{"summary.csv", "key,value", 19},
		{"groups.csv", "type,responder,requests,acknowledged,time_to_acknowledge_count,time_to_acknowledge_median_seconds,time_to_acknowledge_p90_seconds,time_to_acknowledge_max_seconds," +
			"answer_owed,answered,time_to_answer_count,time_to_answer_median_seconds,time_to_answer_p90_seconds,time_to_answer_max_seconds," +
			"answered_within_deadline,answered_within_deadline_share,overdue,declined,withdrawn,ratings_count,ratings_sum,ratings_mean,ratings_1,ratings_2,ratings_3,ratings_4,ratings_5", 8},
		{"overdue.csv", "request_id,type,priority,requester,responder,deadline,due,late_seconds", 1},
		{"declines.csv", "request_id,type,requester,responder,ground,at", 1},
		{"declines_by_ground.csv", "ground,count", 1},
		{"ratings.csv", "rating,count", 5},
		{"trend.csv", "type,responder,current_requests,current_median_answer_seconds,current_answer_owed,current_answered_within_deadline,current_overdue,current_declined," +
			"current_rating_count,current_rating_sum,current_median_acknowledge_seconds,previous_requests,previous_median_answer_seconds,previous_answer_owed," +
			"previous_answered_within_deadline,previous_overdue,previous_declined,previous_rating_count,previous_rating_sum,previous_median_acknowledge_seconds", 8},
		{"escalations.csv", "request_id,type,requester,responder,reason", 2},
	}
	var wantNames []string
	for _, w := range want {
		wantNames = append(wantNames, w.name)
	}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Fatalf("archive files (-want +got):\n%s", diff)
	}
	for _, w := range want {
		recs := files[w.name]
		if got := strings.Join(recs[0], ","); got != w.header {
			t.Errorf("%s header:\n got %s\nwant %s", w.name, got, w.header)
		}
		if got := len(recs) - 1; got != w.rows {
			t.Errorf("%s has %d rows, want %d", w.name, got, w.rows)
		}
		for i, rec := range recs {
			if len(rec) != len(recs[0]) {
				t.Errorf("%s row %d has %d fields, the header %d", w.name, i, len(rec), len(recs[0]))
			}
		}
	}

	summary := map[string]string{}
	for _, rec := range files["summary.csv"][1:] {
		summary[rec[0]] = rec[1]
	}
	for k, v := range map[string]string{"digest": r.Digest, "node": "us-cert", "parties": "cncert us-cert", "period_from": "2026-03-02T00:00:00Z",
		"period_to": "2026-03-16T00:00:00Z", "messages": "24", "checkpoint_origin": "us-cert", "checkpoint_root": r.Checkpoint.Root, "agreement_digest": r.Agreement} {
		if summary[k] != v {
			t.Errorf("summary.csv %s = %q, want %q", k, summary[k], v)
		}
	}
	groups := files["groups.csv"]
	if diff := cmp.Diff([]string{"information", "cncert", "1", "1", "1", "7200", "7200", "7200", "1", "1", "1", "172800", "172800", "172800", "1", "1", "0", "0", "0",
		"1", "4", "4", "0", "0", "0", "1", "0"}, groups[2]); diff != "" {
		t.Errorf("groups.csv information/cncert (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"all", "all", "7", "6", "6", "7200", "86400", "86400", "3", "2", "2", "172800", "259200", "259200", "1", "0.3333333333333333", "1", "1", "1",
		"2", "6", "3", "0", "1", "0", "1", "0"}, groups[len(groups)-1]); diff != "" {
		t.Errorf("groups.csv totals (-want +got):\n%s", diff)
	}
	if got := files["trend.csv"][1][:5]; !cmp.Equal(got, []string{"all", "all", "7", "172800", "3"}) {
		t.Errorf("trend.csv's first row starts %q, want the totals", got)
	}
	if got := files["overdue.csv"][1]; !cmp.Equal(got, []string{"us-cert-R0004", "preservation", "emergency", "us-cert", "cncert", "acknowledge", "2026-03-05T11:00:00Z", "910800"}) {
		t.Errorf("overdue.csv row %q", got)
	}
	if got := files["ratings.csv"][1:]; !cmp.Equal(got, [][]string{{"1", "0"}, {"2", "1"}, {"3", "0"}, {"4", "1"}, {"5", "0"}}) {
		t.Errorf("ratings.csv rows %q", got)
	}
}

// TestTableCSVQuotes: fields with commas, quotes, line breaks and non-ASCII
// text come back as they went in.
func TestTableCSVQuotes(t *testing.T) {
	tab := report.Table{Name: "x", Header: []string{"a", "b"}, Rows: [][]string{{`law, "art. 29"`, "line\nbreak"}, {"中文 «ü»", ""}}}
	var buf bytes.Buffer
	if err := tab.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(append([][]string{tab.Header}, tab.Rows...), recs); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// TestReviewTablesMatchCSV: the archive holds exactly ReviewTables.
func TestReviewTablesMatchCSV(t *testing.T) {
	r := scenarioReport(t)
	var buf bytes.Buffer
	if err := report.WriteReviewCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	_, files := readZip(t, buf.Bytes())
	for _, tab := range report.ReviewTables(r) {
		want := append([][]string{tab.Header}, tab.Rows...)
		if diff := cmp.Diff(want, files[tab.Name+".csv"]); diff != "" {
			t.Errorf("%s.csv differs from ReviewTables (-want +got):\n%s", tab.Name, diff)
		}
	}
}
