package report

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/accord-cyber/accord"
)

// WriteCSV writes t as CSV (RFC 4180: comma-separated, fields quoted where
// they need it, CRLF line ends), UTF-8 without a byte-order mark: the
// header row, then the rows. Any caller may use it; it returns the
// writer's error.
func (t Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(t.Header); err != nil {
		return fmt.Errorf("write table %s: %w", t.Name, err)
	}
	if err := cw.WriteAll(t.Rows); err != nil { // WriteAll flushes
		return fmt.Errorf("write table %s: %w", t.Name, err)
	}
	return nil
}

// WriteReviewCSV writes r's tables (ReviewTables: summary, groups,
// overdue, declines, declines_by_ground, ratings, trend, escalations) as a
// ZIP archive holding one <name>.csv file per table, in that order, each
// as Table.WriteCSV writes it and dated r.GeneratedAt. A spreadsheet opens
// each file alone; the summary's digest ties them to the review. Any caller
// may use it; it returns the writer's error, or EINTERNAL if the archive
// cannot be made.
func WriteReviewCSV(w io.Writer, r *Review) error {
	return writeTablesZip(w, ReviewTables(r), r.GeneratedAt)
}

// writeTablesZip writes tables as a ZIP archive of <name>.csv files dated
// at. The archive is made in memory first, so a failure writes nothing.
func writeTablesZip(w io.Writer, tables []Table, at time.Time) error {
	if at.IsZero() {
		at = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC) // the earliest date ZIP can hold
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, t := range tables {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: t.Name + ".csv", Method: zip.Deflate, Modified: at.UTC()})
		if err != nil {
			return accord.Internal(err, "add %s.csv to the archive", t.Name)
		}
		if err := t.WriteCSV(f); err != nil {
			return accord.Internal(err, "add %s.csv to the archive", t.Name)
		}
	}
	if err := zw.Close(); err != nil {
		return accord.Internal(err, "close the archive")
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("write the archive: %w", err)
	}
	return nil
}
