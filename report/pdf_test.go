package report_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/report"
)

// TestReviewPDF prints the scenario's review with headless Chromium and
// reads the PDF's text back with pdftotext (poppler-utils): it holds the
// digest, the period and the key figures. It needs both programs and says
// how to install them when they are missing.
func TestReviewPDF(t *testing.T) {
	if _, err := report.FindChromium(); err != nil {
		t.Skipf("no Chromium to print with (%v); to run this test: apt-get install -y chromium poppler-utils", err)
	}
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("no pdftotext to read the PDF back; to run this test: apt-get install -y chromium poppler-utils")
	}
	r := scenarioReport(t)
	out := filepath.Join(t.TempDir(), "review.pdf")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.WriteReviewPDF(t.Context(), f, r); err != nil {
		t.Fatalf("WriteReviewPDF: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	txt, err := exec.CommandContext(t.Context(), pdftotext, "-enc", "UTF-8", out, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", out, err)
	}
	// Text may wrap anywhere a line ends, so compare without white space.
	squeeze := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s)
	}
	got := squeeze(string(txt))
	for _, want := range []string{
		r.Digest,
		"Period 2026-03-02 to 2026-03-15",
		"Requests 7",
		"Answered within deadline 33% (1 of 3 owed)",
		"Overdue requests",
		"us-cert-R0004",
		"national-law",
	} {
		if !strings.Contains(got, squeeze(want)) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, txt)
		}
	}
}

// TestReviewPDFWithoutBrowser: with no browser to be found, the error is
// EUNAVAILABLE and says what to install.
func TestReviewPDFWithoutBrowser(t *testing.T) {
	r := scenarioReport(t)
	t.Setenv("PATH", t.TempDir())
	t.Setenv(report.ChromiumEnv, "")
	err := report.WriteReviewPDF(t.Context(), new(strings.Builder), r)
	if accord.ErrorCode(err) != accord.EUNAVAILABLE || !strings.Contains(err.Error(), "apt-get install -y chromium") {
		t.Errorf("WriteReviewPDF without a browser: %v; want unavailable, naming apt-get install -y chromium", err)
	}
	t.Setenv(report.ChromiumEnv, filepath.Join(t.TempDir(), "no-such-chrome"))
	err = report.WriteReviewPDF(t.Context(), new(strings.Builder), r)
	if accord.ErrorCode(err) != accord.EUNAVAILABLE || !strings.Contains(err.Error(), report.ChromiumEnv) {
		t.Errorf("WriteReviewPDF with %s naming nothing: %v; want unavailable, naming the variable", report.ChromiumEnv, err)
	}
}

// TestReviewPDFCancel: a browser that never finishes is killed when the
// context is cancelled, and WriteReviewPDF returns the cancellation. The
// browser is a script that says it started through a FIFO, then sleeps.
func TestReviewPDFCancel(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in browser is a shell script")
	}
	mkfifo, err := exec.LookPath("mkfifo")
	if err != nil {
		t.Skip("no mkfifo")
	}
	r := scenarioReport(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "started")
	if out, err := exec.Command(mkfifo, fifo).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v: %s", err, out)
	}
	browser := filepath.Join(dir, "chromium")
	script := "#!/bin/sh\necho started > '" + fifo + "'\nexec sleep 600\n"
	if err := os.WriteFile(browser, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(report.ChromiumEnv, browser)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- report.WriteReviewPDF(ctx, new(strings.Builder), r) }()
	started := make(chan error, 1)
	go func() {
		f, err := os.Open(fifo) // blocks until the script opens it to write
		if err == nil {
			_, err = bufio.NewReader(f).ReadString('\n')
			f.Close()
		}
		started <- err
	}()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("read the stand-in browser's FIFO: %v", err)
		}
	case err := <-done:
		t.Fatalf("WriteReviewPDF returned before the browser started: %v", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("WriteReviewPDF after cancel: %v; want context.Canceled", err)
	}
}
