package node_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gowebpki/jcs"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/internal/shareddata"
	"github.com/accord-cyber/accord/node"
)

// bundleFiles lists the OASIS example bundles.
func bundleFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	root := shareddata.Path(t, "stix", "examples")
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(`"bundle"`)) {
				files = append(files, p)
			}
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatalf("no bundles under %s", root)
	}
	return files
}

// canonicalObjects returns the canonical JSON of each object of a bundle,
// keyed by id and version.
func canonicalObjects(t *testing.T, data []byte) map[string]string {
	t.Helper()
	var b struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, raw := range b.Objects {
		var head struct{ ID, Modified, Created string }
		json.Unmarshal(raw, &head)
		c, err := jcs.Transform(raw)
		if err != nil {
			t.Fatal(err)
		}
		out[head.ID+"|"+head.Modified+"|"+head.Created] = string(c)
	}
	return out
}

// TestImportExportSTIX: every OASIS example bundle imports into a new case;
// the case exports as a bundle holding the same objects, byte for byte in
// canonical form; importing the export into another case adds nothing new
// (every object is unchanged), and a second export equals the first.
func TestImportExportSTIX(t *testing.T) {
	f := newFixture(t)
	for _, file := range bundleFiles(t) {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var seen []int
			rep, err := f.svc.ImportSTIX(f.ctx, analyst, bytes.NewReader(in), node.ImportOptions{Source: "stix:" + name,
				NewCase: node.NewCase{Title: name, Category: "other"}, Progress: func(n int) { seen = append(seen, n) }})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			want := canonicalObjects(t, in)
			// Objects several examples share (TLP markings, identities) are
			// held already from an earlier file: unchanged, not added.
			if rep.Objects != len(want) || rep.Added+rep.Unchanged != len(want) || rep.Added == 0 || len(rep.Skipped) != 0 || len(seen) == 0 || seen[len(seen)-1] != rep.Objects {
				t.Errorf("import report %+v (progress %v), want %d objects added or unchanged", rep, seen, len(want))
			}
			var out bytes.Buffer
			n, err := f.svc.ExportSTIX(f.ctx, reviewer, rep.CaseID, &out)
			if err != nil || n != len(want) {
				t.Fatalf("export: %d objects, %v", n, err)
			}
			if got := canonicalObjects(t, out.Bytes()); !mapsEqual(got, want) {
				t.Errorf("export differs from the import:\n got %v\nwant %v", got, want)
			}
			// Round trip into another case.
			rep2, err := f.svc.ImportSTIX(f.ctx, analyst, bytes.NewReader(out.Bytes()), node.ImportOptions{Source: "stix:export",
				NewCase: node.NewCase{Title: "again " + name, Category: "other"}})
			if err != nil || rep2.Unchanged != len(want) || rep2.Added != 0 {
				t.Fatalf("re-import: %+v, %v", rep2, err)
			}
			var out2 bytes.Buffer
			if _, err := f.svc.ExportSTIX(f.ctx, reviewer, rep2.CaseID, &out2); err != nil {
				t.Fatal(err)
			}
			if !mapsEqual(canonicalObjects(t, out2.Bytes()), want) {
				t.Errorf("the second export differs")
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

const c2Bundle = `{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
  "created": "2026-03-01T10:00:00.000Z", "modified": "2026-03-01T10:00:00.000Z", "name": "C2",
  "pattern": "[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'C2.Example.NET.']", "pattern_type": "stix",
  "valid_from": "2026-03-01T10:00:00Z"},
 {"type": "file", "spec_version": "2.1", "id": "file--5b1a3b5f-6e0c-5d2a-8c4e-1e2f3a4b5c6d",
  "hashes": {"SHA-256": "AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F"}}
]}`

const netBundle = `{"type": "bundle", "id": "bundle--6d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
 {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.0/24"},
 {"type": "domain-name", "spec_version": "2.1", "id": "domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5", "value": "c2.example.net"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1",
  "created": "2026-03-02T10:00:00.000Z", "modified": "2026-03-02T10:00:00.000Z",
  "pattern": "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", "pattern_type": "stix",
  "valid_from": "2026-03-02T10:00:00Z"}
]}`

// TestCorrelation: an address in one case correlates with the network
// holding it in another, equal domains and hashes correlate whatever their
// case and spelling, and nothing correlates with its own case.
func TestCorrelation(t *testing.T) {
	f := newFixture(t)
	a, err := f.svc.ImportSTIX(f.ctx, analyst, strings.NewReader(c2Bundle), node.ImportOptions{Source: "a", NewCase: node.NewCase{Title: "US case", Category: "intrusions"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.ImportSTIX(f.ctx, analyst, strings.NewReader(netBundle), node.ImportOptions{Source: "b", NewCase: node.NewCase{Title: "CN case", Category: "intrusions"}})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := f.svc.Correlations(f.ctx, reviewer, a.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, c := range cs {
		for _, m := range c.Matches {
			got[string(c.Kind)+" "+c.Value] = append(got[string(c.Kind)+" "+c.Value], m.CaseID+" "+string(m.Kind)+" "+m.Value)
		}
	}
	want := map[string][]string{
		"ip 198.51.100.7":       {b.CaseID + " cidr 198.51.100.0/24"},
		"domain c2.example.net": {b.CaseID + " domain c2.example.net"},
		"sha256 aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f": {b.CaseID + " sha256 aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"},
	}
	if len(got) != len(want) {
		t.Errorf("correlations of %s: %v, want %v", a.CaseID, got, want)
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("correlations of %s for %s: %v, want %v", a.CaseID, k, got[k], v)
		}
	}
	// A network: the address inside it, the network holding it.
	hits, err := f.svc.Correlate(f.ctx, reviewer, accord.ObsCIDR, "198.51.100.0/25")
	if err != nil || len(hits) != 2 || hits[0].CaseID != a.CaseID || hits[0].Value != "198.51.100.7" || hits[1].CaseID != b.CaseID || hits[1].Value != "198.51.100.0/24" {
		t.Errorf("Correlate(198.51.100.0/25) = %+v, %v; want the address in %s and the /24 in %s", hits, err, a.CaseID, b.CaseID)
	}
	if hits, err := f.svc.Correlate(f.ctx, reviewer, accord.ObsCIDR, "198.51.101.0/24"); err != nil || len(hits) != 0 {
		t.Errorf("Correlate(198.51.101.0/24) = %+v, %v; want nothing", hits, err)
	}
	if _, err := f.svc.Correlate(f.ctx, reviewer, accord.ObsIP, "not-an-ip"); accord.ErrorCode(err) != accord.EINVALID {
		t.Errorf("Correlate of a bad value: %v", err)
	}
}

// TestImportRefusesInvalidFile: one invalid object refuses the whole file,
// naming the object and the property, and nothing is stored — not even
// the case the import would have opened.
func TestImportRefusesInvalidFile(t *testing.T) {
	f := newFixture(t)
	bad := strings.Replace(c2Bundle, `"valid_from": "2026-03-01T10:00:00Z"`, `"valid_from": "2026-03-01T10:00:00Z", "valid_until": "2020-01-01T00:00:00Z"`, 1)
	_, err := f.svc.ImportSTIX(f.ctx, analyst, strings.NewReader(bad), node.ImportOptions{Source: "bad", NewCase: node.NewCase{Title: "x", Category: "other"}})
	if accord.ErrorCode(err) != accord.EINVALID || !strings.Contains(err.Error(), "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f") || !strings.Contains(err.Error(), "valid_until") {
		t.Errorf("import of an invalid bundle: %v; want EINVALID naming the indicator and valid_until", err)
	}
	for _, in := range []string{`{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [`, `[]`, `not json`} {
		if _, err := f.svc.ImportSTIX(f.ctx, analyst, strings.NewReader(in), node.ImportOptions{Source: "bad", NewCase: node.NewCase{Title: "x", Category: "other"}}); accord.ErrorCode(err) != accord.EINVALID {
			t.Errorf("import of %q: %v, want EINVALID", in, err)
		}
	}
	cases, err := f.svc.Cases(f.ctx, reviewer, accord.CaseFilter{})
	if err != nil || len(cases) != 0 {
		t.Errorf("cases after refused imports: %+v, %v; want none", cases, err)
	}
	if _, err := f.svc.ImportSTIX(f.ctx, reviewer, strings.NewReader(c2Bundle), node.ImportOptions{Source: "x", NewCase: node.NewCase{Title: "x", Category: "other"}}); accord.ErrorCode(err) != accord.EFORBIDDEN {
		t.Errorf("import by a reviewer: %v, want EFORBIDDEN", err)
	}
	// A changed object under a held id and version is skipped with the reason.
	rep, err := f.svc.ImportSTIX(f.ctx, analyst, strings.NewReader(c2Bundle), node.ImportOptions{Source: "a", NewCase: node.NewCase{Title: "a", Category: "other"}})
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(c2Bundle, `"name": "C2"`, `"name": "C2 renamed"`, 1)
	rep, err = f.svc.ImportSTIX(f.ctx, analyst, strings.NewReader(changed), node.ImportOptions{Source: "b", CaseID: rep.CaseID})
	if err != nil || rep.Unchanged != 1 || len(rep.Skipped) != 1 || !strings.Contains(rep.Skipped[0].Reason, "another object") {
		t.Errorf("import of a changed object without a new version: %+v, %v", rep, err)
	}
	objs, err := f.svc.CaseObjects(f.ctx, reviewer, rep.CaseID)
	if err != nil || len(objs) != 2 || objs[0].Name() != "C2" {
		t.Errorf("objects after the skipped change: %v, %v", objs, err)
	}
}

// TestImportMISPAndIODEF: a MISP event and an IODEF document from the
// public samples each open a case titled and marked as the file says,
// with what has no STIX counterpart listed; each case exports as a MISP
// event and an IODEF document, and an IODEF export imported into another
// case correlates with the first.
func TestImportMISPAndIODEF(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		format string
		file   []string
	}{
		{"misp", []string{"misp", "pymisp-tests", "misp_event.json"}},
		{"iodef", []string{"iodef", "iodef2stix-samples", "GuidanceDraft_DDoS.xml"}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			data, err := os.ReadFile(shareddata.Path(t, tc.file...))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := f.svc.Import(f.ctx, analyst, tc.format, bytes.NewReader(data), node.ImportOptions{Source: tc.format + ":sample",
				SourceTitle: true, NewCase: node.NewCase{Title: "fallback", Category: "other"}})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			c, err := f.svc.Case(f.ctx, reviewer, rep.CaseID)
			if err != nil || rep.Added == 0 || c.Title == "fallback" {
				t.Fatalf("import: %+v, case %+v, %v", rep, c, err)
			}
			t.Logf("%s: case %q (TLP %s): %d objects, %d skipped", tc.format, c.Title, c.TLP, rep.Objects, len(rep.Skipped))
			for _, format := range node.ExportFormats {
				var out bytes.Buffer
				skipped, err := f.svc.Export(f.ctx, reviewer, format, rep.CaseID, "", &out)
				if err != nil || out.Len() == 0 {
					t.Errorf("export %s: %d bytes, %v", format, out.Len(), err)
				}
				t.Logf("export %s: %d bytes, %d left out", format, out.Len(), len(skipped))
				if format == "iodef" {
					again, err := f.svc.Import(f.ctx, analyst, "iodef", &out, node.ImportOptions{Source: "iodef:export", NewCase: node.NewCase{Title: "again", Category: "other"}})
					if err != nil {
						t.Fatalf("re-import of the IODEF export: %v", err)
					}
					cs, err := f.svc.Correlations(f.ctx, reviewer, again.CaseID)
					if err != nil || len(cs) == 0 {
						t.Errorf("the re-imported IODEF export correlates with nothing: %v, %v", cs, err)
					}
				}
			}
		})
	}
	if _, err := f.svc.Import(f.ctx, analyst, "misp", strings.NewReader(`{"Event": {"info": "x", "date": "2026-03-01", "timestamp": "1772323200", "Attribute": [{"type": "ip-dst", "value": "999.1.1.1"}]}}`),
		node.ImportOptions{Source: "bad", NewCase: node.NewCase{Title: "x", Category: "other"}}); accord.ErrorCode(err) != accord.EINVALID || !strings.Contains(err.Error(), "999.1.1.1") {
		t.Errorf("a MISP event with a bad address: %v", err)
	}
	if _, err := f.svc.Import(f.ctx, analyst, "csv", strings.NewReader(""), node.ImportOptions{}); accord.ErrorCode(err) != accord.EINVALID {
		t.Errorf("an unknown format: %v", err)
	}
}

// TestExportForAudience: exported for the community, a GREEN case gives
// only what is GREEN or CLEAR (an AMBER object is left out, named); for a
// peer it gives AMBER too, and RED only when the object names the peer; an
// AMBER case is not exported for the community at all.
func TestExportForAudience(t *testing.T) {
	f := newFixture(t)
	const bundle = `{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
 {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.1"},
 {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742de", "value": "198.51.100.2",
  "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]},
 {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742df", "value": "198.51.100.3",
  "object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"], "x_accord_recipients": ["jpcert"]}
]}`
	green, err := f.svc.ImportSTIX(f.ctx, analyst, strings.NewReader(bundle), node.ImportOptions{Source: "t", NewCase: node.NewCase{Title: "green", Category: "other", TLP: accord.TLPGreen}})
	if err != nil {
		t.Fatal(err)
	}
	count := func(audience string) (int, []node.SkippedItem) {
		t.Helper()
		var out bytes.Buffer
		left, err := f.svc.Export(f.ctx, reviewer, "stix", green.CaseID, audience, &out)
		if err != nil {
			t.Fatalf("export for %q: %v", audience, err)
		}
		return len(canonicalObjects(t, out.Bytes())), left
	}
	for _, tc := range []struct {
		audience string
		n        int
	}{{"", 3}, {"community", 1}, {"jpcert", 3}} {
		n, left := count(tc.audience)
		if n != tc.n || n+len(left) != 3 {
			t.Errorf("export for %q: %d objects, left out %v; want %d", tc.audience, n, left, tc.n)
		}
	}
	if _, err := f.svc.Export(f.ctx, reviewer, "stix", green.CaseID, "cncert", io.Discard); accord.ErrorCode(err) != accord.EINVALID {
		t.Errorf("export for a party that is not a peer: %v", err)
	}
	amber, err := f.svc.ImportSTIX(f.ctx, analyst, strings.NewReader(c2Bundle), node.ImportOptions{Source: "t", NewCase: node.NewCase{Title: "amber", Category: "other", TLP: accord.TLPAmber}})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range node.ExportFormats {
		if _, err := f.svc.Export(f.ctx, reviewer, format, amber.CaseID, "community", io.Discard); accord.ErrorCode(err) != accord.EFORBIDDEN {
			t.Errorf("%s export of an AMBER case for the community: %v", format, err)
		}
	}
}
