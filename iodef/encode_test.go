package iodef

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/stix"
)

var (
	t0   = time.Date(2026, 11, 3, 8, 30, 0, 0, time.UTC)
	opts = Options{Party: "us-cert", Name: "US-CERT", Email: "soc@us-cert.example"}
)

func testCase() *accord.Case {
	return &accord.Case{
		ID: "case-0193a1b2", Title: "Spear phishing against energy operators", Summary: "Lures with a Word dropper.\n\nC2 over TLS to\ntwo hosts.",
		Category: "intrusions", Sectors: []string{"energy"}, TLP: accord.TLPAmber, Status: accord.CaseOpen,
		CreatedBy: "alice", CreatedAt: t0, UpdatedAt: t0.Add(time.Hour),
	}
}

func mustSCO(t testing.TB, typ string, props ...prop) *stix.Object {
	t.Helper()
	o, err := newSCO(typ, props...)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("fixture %s: %v", o.Bytes(), err)
	}
	return o
}

func mustSDO(t testing.TB, typ string, props ...prop) *stix.Object {
	t.Helper()
	ts := stix.NewTimestamp(t0)
	o, err := newObject(append([]prop{{"type", typ}, {"spec_version", "2.1"}, {"id", stix.NewID(typ)}, {"created", ts}, {"modified", ts}}, props...))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("fixture %s: %v", o.Bytes(), err)
	}
	return o
}

func indicatorSDO(t testing.TB, name, pattern, patternType string, extra ...prop) *stix.Object {
	t.Helper()
	props := []prop{{"name", name}, {"pattern", pattern}, {"pattern_type", patternType}}
	if patternType == "stix" {
		props = append(props, prop{"pattern_version", "2.1"})
	}
	props = append(props, prop{"valid_from", stix.NewTimestamp(t0)})
	return mustSDO(t, "indicator", append(props, extra...)...)
}

// fixture is one object of every type Encode writes, and two it does not.
func fixture(t testing.TB) []*stix.Object {
	t.Helper()
	src := mustSCO(t, "ipv4-addr", prop{"value", "192.0.2.10"})
	dst := mustSCO(t, "ipv4-addr", prop{"value", "203.0.113.5"})
	from := mustSCO(t, "email-addr", prop{"value", "phisher@evil.example.com"})
	to := mustSCO(t, "email-addr", prop{"value", "ops@grid.example.org"})
	red := []string{stix.TLP2Red}
	return []*stix.Object{
		src, dst,
		mustSCO(t, "ipv4-addr", prop{"value", "198.51.100.0/24"}),
		mustSCO(t, "ipv6-addr", prop{"value", "2001:db8::5"}),
		mustSCO(t, "domain-name", prop{"value", "evil.example.com"}),
		mustSCO(t, "url", prop{"value", "https://evil.example.com/drop?id=1&k=2"}),
		mustSCO(t, "mac-addr", prop{"value", "00:1a:2b:3c:4d:5e"}),
		mustSCO(t, "autonomous-system", prop{"number", 64500}),
		mustSCO(t, "domain-name", prop{"value", "secret.example.net"}, prop{"object_marking_refs", red}),
		mustSCO(t, "network-traffic", prop{"src_ref", src.ID()}, prop{"dst_ref", dst.ID()},
			prop{"src_port", 49152}, prop{"dst_port", 443}, prop{"protocols", []string{"ipv4", "tcp"}}),
		from, to,
		mustSCO(t, "email-message", prop{"is_multipart", false}, prop{"from_ref", from.ID()}, prop{"to_refs", []string{to.ID()}},
			prop{"subject", "Outage schedule Q4"}, prop{"additional_header_fields", map[string]string{"X-Mailer": "Sendinator 2"}}),
		mustSCO(t, "file", prop{"hashes", map[string]string{
			"MD5":     "2e8880980d62447e9790afa89513f0a4",
			"SHA-256": "141accec23e7e5157de60853cb1e01bc38042d08f9086040815300b7fe75c184",
		}}, prop{"size", 152}, prop{"name", "schedule.doc"}),
		mustSCO(t, "file", prop{"hashes", map[string]string{"SSDEEP": "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"}}, prop{"name", "dropper.exe"}),
		mustSCO(t, "windows-registry-key", prop{"key", `HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Run\updater`},
			prop{"values", []map[string]string{{"data": `C:\Users\Public\upd.exe`}}}),
		mustSCO(t, "x509-certificate", prop{"serial_number", "36:f7:d4:32:f4:ab:70:ea"}, prop{"issuer", "CN=Fake CA"}, prop{"subject", "CN=evil.example.com"}),
		indicatorSDO(t, "C2 address", "[ipv4-addr:value = '192.0.2.10']", "stix"),
		indicatorSDO(t, "Dropper", "[file:hashes.'SHA-256' = '141accec23e7e5157de60853cb1e01bc38042d08f9086040815300b7fe75c184']", "stix",
			prop{"valid_until", stix.NewTimestamp(t0.Add(90 * 24 * time.Hour))}),
		indicatorSDO(t, "Lure", "[email-message:subject = 'Outage schedule Q4'] AND [domain-name:value = 'evil.example.com']", "stix",
			prop{"object_marking_refs", red}),
		indicatorSDO(t, "YARA rule", "rule dropper { strings: $a = \"upd.exe\" condition: $a }", "yara"),
		mustSDO(t, "vulnerability", prop{"name", "CVE-2017-11882"},
			prop{"external_references", []map[string]string{{"source_name": "cve", "external_id": "CVE-2017-11882"}}}),
		mustSDO(t, "attack-pattern", prop{"name", "Spearphishing Attachment"},
			prop{"external_references", []map[string]string{{"source_name": "mitre-attack", "external_id": "T1566.001", "url": "https://attack.mitre.org/techniques/T1566/001/"}}}),
		mustSDO(t, "malware", prop{"name", "Dropper"}, prop{"is_family", false}),
		must(stix.TLP2("red")).Object(),
	}
}

func must[T any](v T, ok bool) T {
	if !ok {
		panic("must")
	}
	return v
}

func encode(t testing.TB, c *accord.Case, objs []*stix.Object, o Options) ([]byte, []Skip) {
	t.Helper()
	var buf bytes.Buffer
	skipped, err := Encode(&buf, c, objs, o)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes(), skipped
}

func TestEncodeValidates(t *testing.T) {
	s := rfcSchema(t)
	objs := fixture(t)
	out, skipped := encode(t, testCase(), append(objs, objs[len(objs)-6]), opts)
	if err := s.validate(t, out); err != nil {
		t.Fatalf("the export does not validate against the RFC 7970 XSD: %v\n%s", err, out)
	}
	var malware, ssdeep string
	for _, o := range objs {
		switch {
		case o.Type() == "malware":
			malware = o.ID()
		case o.Type() == "file" && o.Hashes()["SSDEEP"] != "":
			ssdeep = o.ID()
		}
	}
	want := []Skip{
		{objs[len(objs)-6].ID(), "it is given more than once; written once"},
		{ssdeep, "hashes.SSDEEP: only digests of MD5, SHA-1, SHA-224, SHA-256, SHA-384, SHA-512, SHA3-224, SHA3-256, SHA3-384, SHA3-512 are written"},
		{malware, "objects of type malware have no IODEF counterpart in accord's export"},
	}
	if diff := cmp.Diff(want, skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	for _, s := range []string{
		`<IncidentID name="us-cert">case-0193a1b2</IncidentID>`,
		`<Incident purpose="reporting" status="in-progress" restriction="amber">`,
		`<GenerationTime>2026-11-03T09:30:00Z</GenerationTime>`,
		`<Description>Spear phishing against energy operators</Description>`,
		`<ContactName>US-CERT</ContactName>`,
		`<System restriction="red">`,
		`<Indicator restriction="red">`,
		`<Address category="ipv4-net">198.51.100.0/24</Address>`,
		`<Port>443</Port>`,
		`>3960867712613970154</X509SerialNumber>`,
	} {
		if !bytes.Contains(out, []byte(s)) {
			t.Errorf("the export lacks %s", s)
		}
	}
	if bytes.Contains(out, []byte("alice")) {
		t.Errorf("the export names the user who created the case; it must name only the party")
	}
}

// TestRoundTrip: what Encode writes, Decode reads back to the same
// observables (the same deterministic ids), indicators with the same
// patterns and markings, and the same case fields.
func TestRoundTrip(t *testing.T) {
	objs := fixture(t)
	c := testCase()
	out, _ := encode(t, c, objs, opts)
	doc, err := Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("Decode(Encode(…)): %v\n%s", err, out)
	}
	if len(doc.Skipped) != 0 {
		t.Errorf("Decode passed over parts of Encode's output: %+v", doc.Skipped)
	}
	in := doc.Incidents[0]
	if got := in.ID.String(); got != "us-cert#case-0193a1b2" {
		t.Errorf("incident id = %s", got)
	}
	got := in.Case()
	want := accord.Case{Title: c.Title, Summary: c.Summary, Category: c.Category, TLP: c.TLP, Status: c.Status, Sectors: []string{}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Case() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Contact{{Role: "creator", Type: "organization", Names: []string{"US-CERT"}, Emails: []string{"soc@us-cert.example"}}}, in.Contacts); diff != "" {
		t.Errorf("Contacts (-want +got):\n%s", diff)
	}

	byID := map[string]*stix.Object{}
	for _, o := range in.Objects {
		byID[o.ID()] = o
	}
	patterns := map[string]*stix.Object{}
	for _, o := range in.Objects {
		if o.Type() == "indicator" {
			ind, _ := o.Indicator()
			patterns[ind.Pattern] = o
		}
	}
	for _, o := range objs {
		switch {
		case o.Type() == "indicator":
			ind, _ := o.Indicator()
			back, ok := patterns[ind.Pattern]
			if !ok {
				t.Errorf("indicator %q lost: no indicator with pattern %s", ind.Name, ind.Pattern)
				continue
			}
			bi, _ := back.Indicator()
			if bi.PatternType != ind.PatternType || !bi.ValidFrom.Time().Equal(ind.ValidFrom.Time()) || !bi.ValidUntil.Time().Equal(ind.ValidUntil.Time()) {
				t.Errorf("indicator %q came back as %s", ind.Name, back.Bytes())
			}
			if !slices.Equal(back.ObjectMarkingRefs(), o.ObjectMarkingRefs()) {
				t.Errorf("indicator %q: markings %v, want %v", ind.Name, back.ObjectMarkingRefs(), o.ObjectMarkingRefs())
			}
		case o.Type() == "vulnerability" || o.Type() == "attack-pattern":
			found := false
			for _, b := range in.Objects {
				if b.Type() == o.Type() && b.ExternalReferences()[0].ExternalID == o.ExternalReferences()[0].ExternalID && b.Name() == o.Name() {
					found = true
				}
			}
			if !found {
				t.Errorf("%s %s lost", o.Type(), o.Name())
			}
		case strings.Contains("malware marking-definition", o.Type()):
		case o.Type() == "x509-certificate":
			// X509SerialNumber is an integer: a hex serial comes back in
			// decimal, so under another id.
			var found bool
			for _, b := range in.Objects {
				var serial, issuer string
				b.Get("serial_number", &serial)
				b.Get("issuer", &issuer)
				found = found || b.Type() == o.Type() && serial == "3960867712613970154" && issuer == "CN=Fake CA"
			}
			if !found {
				t.Errorf("certificate lost: %s", o.Bytes())
			}
		case o.Type() == "file" && o.Hashes()["SSDEEP"] != "":
			// Written by name only (IODEF has no SSDEEP digest): another id.
		default: // cyber-observables: the very same object.
			b, ok := byID[o.ID()]
			if !ok {
				t.Errorf("%s %s lost in the round trip", o.ID(), o.Bytes())
				continue
			}
			if !bytes.Equal(b.Bytes(), o.Bytes()) {
				t.Errorf("round trip changed\n%s\ninto\n%s", o.Bytes(), b.Bytes())
			}
		}
	}
}

// TestEncodeTLP: each TLP label is written as a restriction that Decode
// maps back to it.
func TestEncodeTLP(t *testing.T) {
	s := rfcSchema(t)
	for tlp, restr := range map[accord.TLP]string{"clear": "white", "green": "green", "amber": "amber", "amber+strict": "need-to-know", "red": "red"} {
		c := testCase()
		c.TLP, c.Status = tlp, accord.CaseClosed
		out, _ := encode(t, c, nil, Options{Party: "cncert", Purpose: "mitigation"})
		if !bytes.Contains(out, []byte(`purpose="mitigation" status="resolved" restriction="`+restr+`"`)) {
			t.Errorf("TLP %s: export lacks restriction=%q:\n%s", tlp, restr, out)
		}
		if err := s.validate(t, out); err != nil {
			t.Errorf("TLP %s: %v", tlp, err)
		}
		doc, err := Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if got := doc.Incidents[0].TLP; got != tlp {
			t.Errorf("TLP %s came back as %s", tlp, got)
		}
		if got := doc.Incidents[0].Case().Status; got != accord.CaseClosed {
			t.Errorf("status came back as %s", got)
		}
	}
}

// TestEncodeSamples: every sample, imported and exported again, validates.
func TestEncodeSamples(t *testing.T) {
	s := rfcSchema(t)
	for _, f := range samples(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			in := doc.Incidents[0]
			c := in.Case()
			c.ID = in.ID.Value
			out, _ := encode(t, &c, in.Objects, Options{Party: in.ID.Name, GenerationTime: in.GenerationTime})
			if err := s.validate(t, out); err != nil {
				t.Fatalf("export of %s does not validate: %v\n%s", filepath.Base(f), err, out)
			}
			back, err := Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("Decode(export): %v", err)
			}
			ids := map[string]bool{}
			for _, o := range back.Incidents[0].Objects {
				ids[o.ID()] = true
			}
			for _, o := range in.Objects {
				if o.Type() != "indicator" && o.Type() != "network-traffic" && !ids[o.ID()] {
					t.Errorf("%s lost: %s", o.ID(), o.Bytes())
				}
			}
		})
	}
}

func TestEncodeRefusals(t *testing.T) {
	bad, err := stix.Parse([]byte(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--6f7a1e2b-57f0-4a4b-9d5e-2a3c1f9e8d7c","value":"999.0.0.1"}`))
	if err != nil {
		t.Fatal(err)
	}
	noTLP := testCase()
	noTLP.TLP = "purple"
	for _, tc := range []struct {
		name      string
		c         *accord.Case
		objs      []*stix.Object
		opt       Options
		wantField string
	}{
		{"no party", testCase(), nil, Options{}, "party"},
		{"no case id", &accord.Case{TLP: accord.TLPRed}, nil, opts, "case.id"},
		{"unknown TLP", noTLP, nil, opts, "case.tlp"},
		{"unknown purpose", testCase(), nil, Options{Party: "x", Purpose: "revenge"}, "purpose"},
		{"invalid object", testCase(), []*stix.Object{bad}, opts, bad.ID()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := Encode(&buf, tc.c, tc.objs, tc.opt)
			if accord.ErrorCode(err) != accord.EINVALID || accord.ErrorField(err) != tc.wantField {
				t.Errorf("Encode = %v (field %q), want EINVALID on %q", err, accord.ErrorField(err), tc.wantField)
			}
			if buf.Len() != 0 {
				t.Errorf("Encode wrote %d bytes before refusing", buf.Len())
			}
		})
	}
}
