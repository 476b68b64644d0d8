package report

import (
	"context"
	"io"
	"slices"
	"strings"

	"github.com/accord-cyber/accord"
)

// Formats lists the formats every report is written in.
var Formats = []string{"html", "pdf", "json", "csv"}

// Media is the media type and file name suffix of each format: csv is a
// ZIP archive of one CSV file per table.
var Media = map[string]struct{ ContentType, Suffix string }{
	"html": {"text/html; charset=utf-8", ".html"},
	"pdf":  {"application/pdf", ".pdf"},
	"json": {"application/json", ".json"},
	"csv":  {"application/zip", ".csv.zip"},
}

// CheckFormat returns EINVALID (field "format") unless f is one of Formats.
func CheckFormat(f string) error {
	if !slices.Contains(Formats, f) {
		return accord.FieldError("format", "%q is not a report format (%s)", f, strings.Join(Formats, ", "))
	}
	return nil
}

// WriteReview writes r in the given format.
func WriteReview(ctx context.Context, w io.Writer, format string, r *Review) error {
	switch format {
	case "html":
		return WriteReviewHTML(w, r)
	case "pdf":
		return WriteReviewPDF(ctx, w, r)
	case "json":
		return WriteReviewJSON(w, r)
	case "csv":
		return WriteReviewCSV(w, r)
	}
	return CheckFormat(format)
}

// WriteWeekly writes wk in the given format.
func WriteWeekly(ctx context.Context, w io.Writer, format string, wk *Weekly) error {
	switch format {
	case "html":
		return WriteWeeklyHTML(w, wk)
	case "pdf":
		return WriteWeeklyPDF(ctx, w, wk)
	case "json":
		return WriteWeeklyJSON(w, wk)
	case "csv":
		return WriteWeeklyCSV(w, wk)
	}
	return CheckFormat(format)
}
