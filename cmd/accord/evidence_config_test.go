package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// setEvidenceMaxBytes rewrites the max_bytes line `accord init` wrote into
// home's config.toml.
func setEvidenceMaxBytes(t *testing.T, home, value string) {
	t.Helper()
	path := filepath.Join(home, configFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const written = "max_bytes = 4294967296"
	if !strings.Contains(string(data), "[evidence]\n"+written+"\n") {
		t.Fatalf("config.toml written by init has no [evidence] table with %q:\n%s", written, data)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), written, "max_bytes = "+value, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// evidenceFiles lists every file under home's evidence store: the blobs
// under sha256/ and anything left in tmp/.
func evidenceFiles(t *testing.T, home string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(home, evidenceDir)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return out
}

// TestEvidenceMaxBytes: `accord init` writes evidence.max_bytes (4 GiB); a
// home whose limit is lowered refuses `accord evidence add` of a larger file
// with a message naming the limit and leaves neither an item nor a file
// behind, while a file within the limit is stored.
func TestEvidenceMaxBytes(t *testing.T) {
	home := filepath.Join(t.TempDir(), "us")
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	mustRun(t, home, now, "init", "--party", "us-cert", "--name", "US-CERT", "--country", "US")
	setEvidenceMaxBytes(t, home, "1024")
	mustRun(t, home, now, "case", "new", "--title", "Theft of trade secrets from a steel maker", "--category", "intrusions")

	dir := t.TempDir()
	big := filepath.Join(dir, "netflow.csv")
	if err := os.WriteFile(big, []byte(strings.Repeat("x", 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errs, code := run(t, home, now, "evidence", "add", "--case", "us-cert-C0001", "--reason", "exported from the collector", big)
	if code != 1 || !strings.Contains(errs, "exceeds the limit of 1024 bytes") {
		t.Errorf("evidence add of 4096 bytes under max_bytes = 1024: exit %d, stderr %q; want exit 1 naming the limit", code, errs)
	}
	var list struct {
		Evidence []struct{ ID string } `json:"evidence"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, home, now, "evidence", "list", "--json")), &list); err != nil {
		t.Fatalf("evidence list --json: %v", err)
	}
	if len(list.Evidence) != 0 {
		t.Errorf("after the refused add, evidence list = %+v, want none", list.Evidence)
	}
	if files := evidenceFiles(t, home); len(files) != 0 {
		t.Errorf("after the refused add, the evidence store holds %v, want nothing", files)
	}

	small := filepath.Join(dir, "note.txt")
	if err := os.WriteFile(small, []byte(strings.Repeat("y", 1024)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, home, now, "evidence", "add", "--case", "us-cert-C0001", small); !strings.Contains(out, "us-cert-E0001") {
		t.Errorf("evidence add of exactly 1024 bytes said %q, want us-cert-E0001 stored", out)
	}
	if files := evidenceFiles(t, home); len(files) != 1 || !strings.HasPrefix(files[0], "sha256"+string(filepath.Separator)) {
		t.Errorf("after adding one file, the evidence store holds %v, want one blob under sha256/", files)
	}
}

// TestEvidenceMaxBytesRefusedAtStart: a max_bytes of zero or less, or an
// unknown key of the [evidence] table, is refused when the home is opened,
// naming the key (or, for a wrong type, the file and line).
func TestEvidenceMaxBytesRefusedAtStart(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, value string
		want        []string
	}{
		{"zero", "0", []string{"evidence.max_bytes: must be a positive number of bytes", "got 0"}},
		{"negative", "-1", []string{"evidence.max_bytes: must be a positive number of bytes", "got -1"}},
		{"not a number", `"4 GiB"`, []string{configFile + ":18:", "int64"}},
		{"unknown key", "1024\nmax_size = 1024", []string{configFile + ":19:", "evidence.max_size: unknown key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "us")
			mustRun(t, home, now, "init", "--party", "us-cert", "--name", "US-CERT", "--country", "US")
			setEvidenceMaxBytes(t, home, tc.value)
			_, errs, code := run(t, home, now, "evidence", "list")
			if code != 1 {
				t.Errorf("evidence list with max_bytes = %s: exit %d, want 1", tc.value, code)
			}
			for _, want := range tc.want {
				if !strings.Contains(errs, want) {
					t.Errorf("evidence list with max_bytes = %s: stderr %q does not contain %q", tc.value, errs, want)
				}
			}
		})
	}
}
