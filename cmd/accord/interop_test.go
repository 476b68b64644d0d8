package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord/internal/shareddata"
)

// TestImportExportCommands: accord import stix takes OASIS example files,
// each into a case of its own, refuses a broken file alone (naming the
// object and the field, exit 1), exports a case to a file and imports it
// again unchanged; accord correlate shows what two cases share.
func TestImportExportCommands(t *testing.T) {
	home := filepath.Join(t.TempDir(), "us")
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	mustRun(t, home, now, "init", "--party", "us-cert", "--name", "US-CERT", "--country", "US")
	apt1 := shareddata.Path(t, "stix", "examples", "threat-reports", "apt1.json")
	c2 := shareddata.Path(t, "stix", "examples", "indicator-for-c2-ip-address.json")
	broken := filepath.Join(t.TempDir(), "broken.json")
	data, err := os.ReadFile(c2)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(broken, []byte(strings.Replace(string(data), `"pattern_type": "stix"`, `"pattern_type": "stix", "confidence": 101`, 1)), 0o600)

	out, errs, code := run(t, home, now, "import", "stix", apt1, broken, c2, "--tlp", "green")
	if code != 1 || !strings.Contains(errs, "broken.json: refused, nothing imported") || !strings.Contains(errs, "confidence") {
		t.Errorf("import with a broken file: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "apt1.json: case us-cert-C0001:") || !strings.Contains(out, "indicator-for-c2-ip-address.json: case us-cert-C0002:") {
		t.Errorf("import summary:\n%s", out)
	}

	exported := filepath.Join(t.TempDir(), "c1.json")
	mustRun(t, home, now, "export", "stix", "--case", "us-cert-C0001", "-o", exported)
	var rep struct {
		Imports []struct {
			CaseID             string `json:"case_id"`
			Objects, Unchanged int
		}
	}
	if err := json.Unmarshal([]byte(mustRun(t, home, now, "import", "stix", exported, "--case", "us-cert-C0002", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Imports) != 1 || rep.Imports[0].Objects == 0 || rep.Imports[0].Unchanged != rep.Imports[0].Objects {
		t.Errorf("re-import of the export: %+v, want every object unchanged", rep)
	}
	stdout := mustRun(t, home, now, "export", "stix", "--case", "us-cert-C0002")
	if !strings.HasPrefix(stdout, `{"type":"bundle"`) && !strings.HasPrefix(stdout, "{") {
		t.Errorf("export to stdout: %.80s", stdout)
	}
	// Both cases now hold apt1's objects: they correlate.
	var corr struct {
		Correlations []struct {
			Kind, Value string
			Matches     []struct {
				CaseID string `json:"case_id"`
			}
		}
	}
	if err := json.Unmarshal([]byte(mustRun(t, home, now, "correlate", "us-cert-C0001", "--json")), &corr); err != nil {
		t.Fatal(err)
	}
	if len(corr.Correlations) == 0 || corr.Correlations[0].Matches[0].CaseID != "us-cert-C0002" {
		t.Errorf("correlate: %+v", corr)
	}
	// Sharing needs a party that runs accord: a local party's request is refused.
	mustRun(t, home, now, "party", "add", "--id", "jpcert", "--name", "JPCERT/CC", "--country", "JP")
	mustRun(t, home, now, "request", "new", "--case", "us-cert-C0001", "--to", "jpcert", "--type", "information", "--subject", "APT1 infrastructure")
	if _, errs, code := run(t, home, now, "request", "share", "us-cert-R0001"); code != 1 || !strings.Contains(errs, "jpcert does not run accord") {
		t.Errorf("share with a local party: exit %d, %s", code, errs)
	}
	if out := mustRun(t, home, now, "request", "objects", "us-cert-R0001"); !strings.Contains(out, "No objects were shared about us-cert-R0001") {
		t.Errorf("request objects: %s", out)
	}
	// MISP in, IODEF out: the event's own title names the case.
	mispFile := shareddata.Path(t, "misp", "pymisp-tests", "misp_event.json")
	if out := mustRun(t, home, now, "import", "misp", mispFile); !strings.Contains(out, "case us-cert-C0003") {
		t.Errorf("import misp: %s", out)
	}
	if out := mustRun(t, home, now, "case", "show", "us-cert-C0003"); !strings.Contains(out, "A Random Event") {
		t.Errorf("the MISP event's info does not title its case:\n%s", out)
	}
	if out := mustRun(t, home, now, "export", "iodef", "--case", "us-cert-C0003"); !strings.Contains(out, "urn:ietf:params:xml:ns:iodef-2.0") {
		t.Errorf("export iodef: %.200s", out)
	}
	// For the community: the GREEN case goes, the AMBER one does not.
	mustRun(t, home, now, "export", "stix", "--case", "us-cert-C0001", "--for", "community")
	if _, errs, code := run(t, home, now, "export", "misp", "--case", "us-cert-C0003", "--for", "community"); code != 1 || !strings.Contains(errs, "not for community") {
		t.Errorf("export of an AMBER case for the community: exit %d, %s", code, errs)
	}
	if _, errs, code := run(t, home, now, "import", "csv", apt1); code != 2 || !strings.Contains(errs, "unknown format") {
		t.Errorf("import csv: exit %d, %s", code, errs)
	}
	if _, errs, code := run(t, home, now, "export", "stix", "--case", "us-cert-C0404"); code != 1 || !strings.Contains(errs, "us-cert-C0404") {
		t.Errorf("export of an unknown case: exit %d, %s", code, errs)
	}
}
