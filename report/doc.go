// Package report computes and writes accord's reports: the weekly
// statistics of one node (BuildWeekly) and the semi-annual review of the
// joint dialogue (BuildReview), which both nodes compute alike from the
// signed messages and receipts they hold and seal with the same digest.
// Each is written as one self-contained HTML page with inline SVG charts,
// a PDF of that page (headless Chromium), JSON with a JSON Schema
// (schema/*.json), and CSV (a ZIP archive of one file per table).
package report
