package iodef

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-cyber/accord/internal/shareddata"
)

// The RFC 7970 XSD imports four schemas by URL. The tests validate offline
// with xmllint (Debian's libxml2-utils) and an XML catalog, written to a
// temporary directory, that maps those URLs onto the copies in testdata/
// (see testdata/README.md for where each comes from).

// imports maps each schemaLocation the two copies of the IODEF XSD in
// shared/data use to the local file.
var imports = map[string]string{
	"http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd": "xmldsig-core-schema.xsd",
	"http://www.iana.org/assignments/xml-registry/schema/iodef-enum-1.0.xsd":      "iodef-enum-1.0.xsd",
	"http://www.iana.org/assignments/xml-registry/schema/iodef-sci-1.0.xsd":       "iodef-sci-1.0.xsd",
	"http://www.w3c.org/2001/xml.xsd":                                             "xml.xsd",
	"http://www.w3.org/2009/01/xml.xsd":                                           "xml.xsd",
	"http://www.w3.org/2001/xml.xsd":                                              "xml.xsd",
}

// schema is an IODEF XSD ready for xmllint.
type schema struct {
	xsd, catalog, lint string
}

// xmllint returns the path of xmllint. Without it the test is skipped, or,
// under CI=true, fails: CI installs it.
func xmllint(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("xmllint is not installed (CI=true): apt-get install -y libxml2-utils")
		}
		t.Skip("xmllint is not installed: apt-get install -y libxml2-utils")
	}
	return p
}

// rfcSchema is the RFC 7970 XSD the export must validate against:
// shared/data/iodef/iodef2stix-samples/iodef-2.0.xsd.
func rfcSchema(t testing.TB) schema {
	t.Helper()
	lint := xmllint(t)
	return schema{xsd: shareddata.Path(t, "iodef", "iodef2stix-samples", "iodef-2.0.xsd"), catalog: catalog(t), lint: lint}
}

// draftSchema is the copy of the XSD in draft-ietf-mile-jsoniodef, which
// imports xmldsig-core-schema.xsd by a relative path: it is copied into a
// temporary directory beside that file.
func draftSchema(t testing.TB) schema {
	t.Helper()
	lint := xmllint(t)
	dir := t.TempDir()
	src, err := os.ReadFile(shareddata.Path(t, "iodef", "draft-ietf-mile-jsoniodef", "iodef-2.0.xsd"))
	if err != nil {
		t.Fatal(err)
	}
	dsig, err := os.ReadFile(filepath.Join("testdata", "xmldsig-core-schema.xsd"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"iodef-2.0.xsd": src, "xmldsig-core-schema.xsd": dsig} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return schema{xsd: filepath.Join(dir, "iodef-2.0.xsd"), catalog: catalog(t), lint: lint}
}

// catalog writes an OASIS XML catalog mapping the imports onto testdata/.
func catalog(t testing.TB) string {
	t.Helper()
	td, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>` + "\n" + `<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">` + "\n")
	for url, file := range imports {
		local := "file://" + filepath.ToSlash(filepath.Join(td, file))
		fmt.Fprintf(&b, "  <system systemId=%q uri=%q/>\n  <uri name=%q uri=%q/>\n", url, local, url, local)
	}
	b.WriteString("</catalog>\n")
	p := filepath.Join(t.TempDir(), "catalog.xml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// validate runs xmllint on doc; it returns nil when doc validates, else an
// error with xmllint's report. --nonet makes any import the catalog does
// not map fail instead of going to the network.
func (s schema) validate(t testing.TB, doc []byte) error {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	return s.validateFile(t, f)
}

func (s schema) validateFile(t testing.TB, path string) error {
	t.Helper()
	cmd := exec.Command(s.lint, "--nonet", "--noout", "--schema", s.xsd, path)
	cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+s.catalog)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); ok {
		return fmt.Errorf("xmllint: %s", out.String())
	}
	if err != nil {
		t.Fatalf("run xmllint: %v", err)
	}
	if strings.Contains(out.String(), "failed to compile") {
		t.Fatalf("xmllint could not compile the schema %s: %s", s.xsd, out.String())
	}
	return nil
}

// samples returns the paths of the IODEF sample documents in shared/data.
func samples(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(shareddata.Path(t, "iodef", "iodef2stix-samples", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no IODEF samples in shared/data (%v)", err)
	}
	return files
}

// TestSamplesValidate proves the harness: every sample validates against
// the RFC's XSD through the catalog, and a document that breaks the schema
// does not.
func TestSamplesValidate(t *testing.T) {
	s := rfcSchema(t)
	for _, f := range samples(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := s.validateFile(t, f); err != nil {
				t.Errorf("%s does not validate against the RFC 7970 XSD: %v", filepath.Base(f), err)
			}
		})
	}
	t.Run("a document without Contact is refused", func(t *testing.T) {
		doc := []byte(`<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0">
  <Incident purpose="reporting"><IncidentID name="x">1</IncidentID><GenerationTime>2015-07-18T09:00:00Z</GenerationTime></Incident>
</IODEF-Document>`)
		err := s.validate(t, doc)
		if err == nil || !strings.Contains(err.Error(), "Contact") {
			t.Errorf("validate(no Contact) = %v, want an error naming Contact", err)
		}
	})
}

// TestDraftSchemaDiffers pins what testdata/README.md says: the XSD in
// draft-ietf-mile-jsoniodef is a revision of RFC 7970's (KeyValue for
// Value, a non-empty Node, …), not a copy, and two samples written to the
// RFC's schema fail it.
func TestDraftSchemaDiffers(t *testing.T) {
	s := draftSchema(t)
	wantFail := map[string]string{
		"GuidanceDraft_DDoS.xml":    "Node",
		"GuidanceDraft_Malware.xml": "KeyValue",
	}
	for _, f := range samples(t) {
		name := filepath.Base(f)
		err := s.validateFile(t, f)
		switch want, bad := wantFail[name]; {
		case bad && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s against the draft XSD: %v, want a failure naming %s", name, err, want)
		case !bad && err != nil:
			t.Errorf("%s against the draft XSD: %v, want valid", name, err)
		}
	}
}
