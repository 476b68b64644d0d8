package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
)

// ChromiumEnv names the environment variable that overrides the browser
// WriteReviewPDF prints with: a path, or a name looked up on PATH.
const ChromiumEnv = "ACCORD_CHROMIUM"

// chromiumNames are the browsers looked for on PATH, in order.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// pdfTimeout bounds one printing, whatever the caller's context allows.
const pdfTimeout = 2 * time.Minute

// FindChromium returns the path of the browser that prints PDFs: the one
// ACCORD_CHROMIUM names, else the first of chromium, chromium-browser,
// google-chrome and google-chrome-stable on PATH. EUNAVAILABLE, saying
// what to install, when there is none. Any caller may use it.
func FindChromium() (string, error) {
	if name := os.Getenv(ChromiumEnv); name != "" {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", accord.Errorf(accord.EUNAVAILABLE, "%s names %q, which is not an executable: %v", ChromiumEnv, name, err)
		}
		return p, nil
	}
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", accord.Errorf(accord.EUNAVAILABLE,
		"printing a PDF needs Chromium, and none of %s is on PATH: install it (Debian, Ubuntu: apt-get install -y chromium) or name the browser in %s; the HTML format needs nothing",
		strings.Join(chromiumNames, ", "), ChromiumEnv)
}

// WriteReviewPDF writes r as PDF: the page WriteReviewHTML makes (A4, its
// print rules), printed by headless Chromium (FindChromium) in a temporary
// directory that is removed afterwards. The browser is killed when ctx is
// done, or after two minutes. Any caller may use it; it returns
// EUNAVAILABLE when there is no browser, the context's error when it is
// done first, EINTERNAL when the browser fails (with its last words), or
// the writer's error.
func WriteReviewPDF(ctx context.Context, w io.Writer, r *Review) error {
	var page bytes.Buffer
	if err := WriteReviewHTML(&page, r); err != nil {
		return err
	}
	return printPDF(ctx, w, page.Bytes())
}

// printPDF prints an HTML page to PDF with headless Chromium.
func printPDF(ctx context.Context, w io.Writer, page []byte) error {
	browser, err := FindChromium()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "accord-pdf-")
	if err != nil {
		return accord.Internal(err, "make a directory to print in")
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(in, page, 0o600); err != nil {
		return accord.Internal(err, "write the page to print")
	}

	ctx, cancel := context.WithTimeoutCause(ctx, pdfTimeout,
		accord.Errorf(accord.EUNAVAILABLE, "%s did not finish printing the PDF within %s", browser, pdfTimeout))
	defer cancel()
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
		// Its own profile, so that it neither reads nor writes the user's
		// and two printings never share one.
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
		"--disable-background-networking", "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
		"--print-to-pdf="+out,
		(&url.URL{Scheme: "file", Path: in}).String())
	// Killing the browser (CommandContext does, when ctx is done) ends its
	// helper processes too: they exit when their pipe to it closes.
	// WaitDelay bounds the wait for them to let go of its output.
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir) // some builds write under $HOME whatever the profile
	var talk bytes.Buffer
	cmd.Stdout, cmd.Stderr = &talk, &talk
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return fmt.Errorf("print the PDF: %w", context.Cause(ctx))
	}
	pdf, err := os.ReadFile(out)
	if runErr != nil || err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		if runErr == nil {
			runErr = errors.New("it wrote no PDF")
		}
		return accord.Internal(runErr, "print the PDF with %s (it said: %s)", browser, lastLines(talk.String(), 5))
	}
	if _, err := w.Write(pdf); err != nil {
		return fmt.Errorf("write the PDF: %w", err)
	}
	return nil
}

// lastLines returns the last n non-empty lines of s, joined by " / ".
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "nothing"
	}
	return strings.Join(lines, " / ")
}
