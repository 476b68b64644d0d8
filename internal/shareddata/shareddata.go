// Package shareddata finds the public test material (OASIS STIX schemas and
// examples, the TAXII fixture, MISP events, IODEF samples, …) that tests read
// where it lies, in shared/data beside the repository, never copied into it.
package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Env names the directory explicitly; .ci/run sets it.
const Env = "ACCORD_SHARED_DATA"

var dir = sync.OnceValues(func() (string, error) {
	if d := os.Getenv(Env); d != "" {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return "", fmt.Errorf("%s=%s is not a directory", Env, d)
		}
		return filepath.Abs(d)
	}
	// From the package directory a test runs in, up to the root: the first
	// shared/data found beside an ancestor.
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		c := filepath.Join(d, "shared", "data")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("no shared/data beside %s or any directory above it; set %s to its path", wd, Env)
})

// Dir returns the shared/data directory, or an error saying how to point
// the tests at it.
func Dir() (string, error) { return dir() }

// Path returns the path of a file or directory under shared/data, joining
// parts, or fails the test when shared/data cannot be found.
func Path(tb interface {
	Helper()
	Fatalf(string, ...any)
}, parts ...string) string {
	tb.Helper()
	d, err := dir()
	if err != nil {
		tb.Fatalf("public test material: %v", err)
	}
	return filepath.Join(append([]string{d}, parts...)...)
}
