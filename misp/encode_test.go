package misp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	jskind "github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/internal/shareddata"
	"github.com/accord-cyber/accord/stix"
)

// pymispSchemas compiles PyMISP's two schemas of the MISP event format
// (shared/data/misp/pymisp-schema): schema.json, which PyMISP applies with
// strict_validation, and schema-lax.json, its default.
var pymispSchemas = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	dir, err := shareddata.Dir()
	if err != nil {
		return nil, err
	}
	out := map[string]*jsonschema.Schema{}
	for _, name := range []string{"schema.json", "schema-lax.json"} {
		f, err := os.Open(filepath.Join(dir, "misp", "pymisp-schema", name))
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		// PyMISP's schema.json has a slip draft-04 refuses: in
		// defs.sharing_group, a "required": ["uuid"] inside "properties"
		// (where each member must be a schema) besides the right one
		// beside "properties". It is dropped here, in memory: the file
		// stays as published, and the rules it states are unchanged.
		if sg, ok := dig(doc, "defs", "sharing_group", "properties").(map[string]any); ok {
			if _, slip := sg["required"].([]any); slip {
				delete(sg, "required")
			}
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource(name, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s, err := c.Compile(name)
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", name, err)
		}
		out[name] = s
	}
	return out, nil
})

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func schemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	s, err := pymispSchemas()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validateEvent checks out against both PyMISP schemas. The strict one
// predates MISP sightings, so with sightings it may refuse only an
// attribute's "Sighting".
func validateEvent(t *testing.T, out []byte, sightings bool) {
	t.Helper()
	for _, e := range schemaErrors(t, out, sightings) {
		t.Error(e)
	}
}

func schemaErrors(t *testing.T, out []byte, sightings bool) []string {
	t.Helper()
	var errs []string
	for _, name := range []string{"schema.json", "schema-lax.json"} {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		err = schemas(t)[name].Validate(inst)
		if err == nil {
			continue
		}
		var ve *jsonschema.ValidationError
		if name == "schema.json" && sightings && errors.As(err, &ve) && onlySightings(ve) {
			continue
		}
		errs = append(errs, fmt.Sprintf("export does not validate against PyMISP's %s: %v", name, err))
	}
	return errs
}

// onlySightings reports whether every leaf of a validation error is the
// strict schema refusing an attribute's Sighting and nothing else.
func onlySightings(ve *jsonschema.ValidationError) bool {
	if len(ve.Causes) == 0 {
		ap, ok := ve.ErrorKind.(*jskind.AdditionalProperties)
		loc := ve.InstanceLocation
		return ok && slices.Equal(ap.Properties, []string{"Sighting"}) &&
			len(loc) == 3 && loc[0] == "Event" && loc[1] == "Attribute"
	}
	for _, c := range ve.Causes {
		if !onlySightings(c) {
			return false
		}
	}
	return true
}

// TestSchemaCheck makes sure the allowance for sightings lets nothing
// else through: an event with a MISP object (which the strict schema
// predates too) fails.
func TestSchemaCheck(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Export(&buf, testCase(), caseObjects(t)); err != nil {
		t.Fatal(err)
	}
	if errs := schemaErrors(t, buf.Bytes(), true); len(errs) > 0 {
		t.Fatalf("export with sightings: %v", errs)
	}
	if errs := schemaErrors(t, buf.Bytes(), false); len(errs) != 1 || !strings.Contains(errs[0], "schema.json") {
		t.Errorf("export with sightings against the strict schema without allowance: %v, want one refusal", errs)
	}
	withObject := bytes.Replace(buf.Bytes(), []byte(`"Attribute":[`), []byte(`"Object":[],"Attribute":[`), 1)
	if errs := schemaErrors(t, withObject, true); len(errs) != 1 || !strings.Contains(errs[0], "'Object'") {
		t.Errorf("export with an Object list: %v, want the strict schema's refusal of Object", errs)
	}
}

func testCase() *accord.Case {
	return &accord.Case{
		ID: "us-cert-C0001", Title: "Spear-phishing against the energy sector", Summary: "Lures carrying a loader.",
		Category: "intrusions", TLP: accord.TLPAmber, Status: accord.CaseOpen, CreatedBy: "alice",
		CreatedAt: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), UpdatedAt: time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC),
	}
}

func parseAll(t *testing.T, objs ...string) []*stix.Object {
	t.Helper()
	var out []*stix.Object
	for _, s := range objs {
		o, err := stix.Parse([]byte(s))
		if err != nil {
			t.Fatalf("parse %s: %v", s, err)
		}
		if err := o.Validate(); err != nil {
			t.Fatalf("fixture %s does not validate: %v", o.ID(), err)
		}
		out = append(out, o)
	}
	return out
}

// sco builds an observable with its deterministic id.
func sco(t *testing.T, typ string, props map[string]any) string {
	t.Helper()
	id, ok := stix.SCOID(typ, props)
	if !ok {
		t.Fatalf("no id for %s %v", typ, props)
	}
	m := map[string]any{"type": typ, "spec_version": "2.1", "id": id}
	for k, v := range props {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func idOf(t *testing.T, s string) string {
	t.Helper()
	var m struct{ ID string }
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// caseObjects is the STIX of a realistic case: observables of every kind
// Export writes, indicators (simple, composite, complex, YARA), a malware
// family they indicate, a sighting and a false positive, a note and a
// vulnerability, all of which MISP attributes and galaxies hold whole.
func caseObjects(t *testing.T) []*stix.Object {
	const ts = `"created":"2026-03-04T10:00:00.000Z","modified":"2026-03-04T10:00:00.000Z"`
	ip := sco(t, "ipv4-addr", map[string]any{"value": "198.51.100.7"})
	ip6 := sco(t, "ipv6-addr", map[string]any{"value": "2001:db8::7"})
	dom := sco(t, "domain-name", map[string]any{"value": "c2.example", "resolves_to_refs": []string{idOf(t, ip)}})
	url := sco(t, "url", map[string]any{"value": "https://c2.example/gate.php?id=1"})
	email := sco(t, "email-addr", map[string]any{"value": "hr@energy.example"})
	mutex := sco(t, "mutex", map[string]any{"name": `Global\loader`})
	as := sco(t, "autonomous-system", map[string]any{"number": 64500})
	mac := sco(t, "mac-addr", map[string]any{"value": "00:1a:2b:3c:4d:5e"})
	reg := sco(t, "windows-registry-key", map[string]any{"key": `HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run`, "values": []map[string]any{{"data": `C:\Users\Public\loader.exe`}}})
	file := sco(t, "file", map[string]any{"name": "invoice.pdf.exe", "hashes": map[string]string{"SHA-256": strings.Repeat("4e", 32)}})
	hash := sco(t, "file", map[string]any{"hashes": map[string]string{"MD5": strings.Repeat("5f", 16)}})
	cert := sco(t, "x509-certificate", map[string]any{"hashes": map[string]string{"SHA-1": strings.Repeat("6a", 20)}})
	traffic := sco(t, "network-traffic", map[string]any{"dst_ref": idOf(t, ip6), "dst_port": 8443, "protocols": []string{"ipv6"}})
	subject := sco(t, "email-message", map[string]any{"is_multipart": false, "subject": "Your invoice"})
	return parseAll(t, ip, ip6, dom, url, email, mutex, as, mac, reg, file, hash, cert, traffic, subject,
		`{"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111",`+ts+`,"description":"C2 address","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-03-04T10:00:00Z","labels":["misp:type=\"ip-src\"","misp:category=\"Network activity\"","kill-chain:c2"]}`,
		`{"type":"relationship","spec_version":"2.1","id":"relationship--11111111-1111-4111-8111-111111111112",`+ts+`,"relationship_type":"based-on","source_ref":"indicator--11111111-1111-4111-8111-111111111111","target_ref":"`+idOf(t, ip)+`"}`,
		`{"type":"indicator","spec_version":"2.1","id":"indicator--22222222-2222-4222-8222-222222222222",`+ts+`,"pattern":"[file:name = 'invoice.pdf.exe' AND file:hashes.'SHA-256' = '`+strings.Repeat("4e", 32)+`']","pattern_type":"stix","valid_from":"2026-03-04T10:00:00Z"}`,
		`{"type":"indicator","spec_version":"2.1","id":"indicator--33333333-3333-4333-8333-333333333333",`+ts+`,"pattern":"[domain-name:value = 'c2.example'] OR [url:value LIKE 'https://c2.example/%']","pattern_type":"stix","valid_from":"2026-03-04T10:00:00Z"}`,
		`{"type":"indicator","spec_version":"2.1","id":"indicator--44444444-4444-4444-8444-444444444444",`+ts+`,"pattern":"rule loader { strings: $a = \"loader\" condition: $a }","pattern_type":"yara","valid_from":"2026-03-04T10:00:00Z"}`,
		`{"type":"malware","spec_version":"2.1","id":"malware--55555555-5555-4555-8555-555555555555",`+ts+`,"name":"LoaderX","is_family":true,"aliases":["LX"],"description":"A loader.","external_references":[{"source_name":"vendor","url":"https://vendor.example/loaderx"}]}`,
		`{"type":"relationship","spec_version":"2.1","id":"relationship--55555555-5555-4555-8555-555555555556",`+ts+`,"relationship_type":"indicates","source_ref":"indicator--22222222-2222-4222-8222-222222222222","target_ref":"malware--55555555-5555-4555-8555-555555555555"}`,
		`{"type":"identity","spec_version":"2.1","id":"identity--66666666-6666-4666-8666-666666666666",`+ts+`,"name":"CERT-X","identity_class":"organization"}`,
		`{"type":"sighting","spec_version":"2.1","id":"sighting--77777777-7777-4777-8777-777777777777",`+ts+`,"first_seen":"2026-03-04T11:00:00Z","last_seen":"2026-03-04T11:00:00Z","count":1,"sighting_of_ref":"indicator--11111111-1111-4111-8111-111111111111","where_sighted_refs":["identity--66666666-6666-4666-8666-666666666666"]}`,
		`{"type":"opinion","spec_version":"2.1","id":"opinion--88888888-8888-4888-8888-888888888888","created_by_ref":"identity--66666666-6666-4666-8666-666666666666",`+ts+`,"opinion":"strongly-disagree","explanation":"false positive","object_refs":["indicator--22222222-2222-4222-8222-222222222222"]}`,
		`{"type":"note","spec_version":"2.1","id":"note--99999999-9999-4999-8999-999999999999",`+ts+`,"content":"Seen in three ministries.","object_refs":["malware--55555555-5555-4555-8555-555555555555"]}`,
		`{"type":"vulnerability","spec_version":"2.1","id":"vulnerability--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",`+ts+`,"name":"CVE-2023-23397","external_references":[{"source_name":"cve","external_id":"CVE-2023-23397"}]}`,
	)
}

// observables returns the cyber-observables of objs by id, as JSON
// without markings (which follow the case's and the event's TLP).
func observables(objs []*stix.Object) map[string]string {
	out := map[string]string{}
	for _, o := range objs {
		if isSCO(o.Type()) {
			c := o.Clone()
			c.Delete("object_marking_refs")
			// Property order is not part of the comparison.
			var v any
			_ = json.Unmarshal(c.Bytes(), &v)
			b, _ := json.Marshal(v)
			out[o.ID()] = string(b)
		}
	}
	return out
}

// TestEncodeRoundTrip exports a case and imports the event back: the
// same observables (ids and content), the indicators under their ids
// with their patterns, the malware under its id, the sighting and the
// false positive, the vulnerability; nothing reported lost but the case's
// own bookkeeping.
func TestEncodeRoundTrip(t *testing.T) {
	objs := caseObjects(t)
	var buf bytes.Buffer
	skipped, err := Export(&buf, testCase(), objs)
	if err != nil {
		t.Fatal(err)
	}
	validateEvent(t, buf.Bytes(), true)
	wantSkipped := []Skip{
		{Path: "identity--66666666-6666-4666-8666-666666666666", Type: "identity", Reason: "MISP events have no place for identity objects"},
	}
	if diff := cmp.Diff(wantSkipped, skipped); diff != "" {
		t.Errorf("Export skipped (-want +got):\n%s", diff)
	}
	e, err := Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("Decode(Export()): %v\n%s", err, buf.Bytes())
	}
	checkObjects(t, e.Objects)
	if len(e.Skipped) > 0 {
		t.Errorf("re-import skipped %v", e.Skipped)
	}
	if diff := cmp.Diff(observables(objs), observables(e.Objects)); diff != "" {
		t.Errorf("observables after the round trip (-exported +imported):\n%s", diff)
	}
	in, back := byID(objs), byID(e.Objects)
	for _, id := range []string{"indicator--11111111-1111-4111-8111-111111111111", "indicator--22222222-2222-4222-8222-222222222222",
		"indicator--33333333-3333-4333-8333-333333333333", "indicator--44444444-4444-4444-8444-444444444444"} {
		want, _ := in[id].Indicator()
		got, err := back[id].Indicator()
		if err != nil {
			t.Errorf("%s did not come back: %v", id, err)
			continue
		}
		if got.Pattern != want.Pattern || got.PatternType != want.PatternType {
			t.Errorf("%s came back as %s %q, want %s %q", id, got.PatternType, got.Pattern, want.PatternType, want.Pattern)
		}
	}
	if got := back["indicator--11111111-1111-4111-8111-111111111111"].Labels(); !slices.Contains(got, `misp:type="ip-src"`) || !slices.Contains(got, "kill-chain:c2") {
		t.Errorf("indicator labels came back as %q, want its MISP type and its other labels", got)
	}
	m := back["malware--55555555-5555-4555-8555-555555555555"]
	if m == nil || m.Name() != "LoaderX" || !slices.Equal(m.Aliases(), []string{"LX"}) || m.Description() != "A loader." {
		t.Errorf("malware came back as %v", m)
	}
	rel := back["relationship--"+derive("relationship", "indicator--22222222-2222-4222-8222-222222222222", "indicates", "malware--55555555-5555-4555-8555-555555555555")]
	if rel == nil {
		t.Errorf("the indicates relationship did not come back")
	}
	s, err := back["sighting--77777777-7777-4777-8777-777777777777"].Sighting()
	if err != nil || s.SightingOfRef != "indicator--11111111-1111-4111-8111-111111111111" || s.FirstSeen.Time() != time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC) ||
		!slices.Equal(s.WhereSightedRefs, []string{"identity--66666666-6666-4666-8666-666666666666"}) {
		t.Errorf("sighting came back as %+v, %v", s, err)
	}
	if op := back["opinion--88888888-8888-4888-8888-888888888888"]; op == nil || get[string](t, op, "opinion") != "strongly-disagree" {
		t.Errorf("false positive came back as %v", op)
	}
	if v := back["vulnerability--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"]; v == nil || v.Name() != "CVE-2023-23397" {
		t.Errorf("vulnerability came back as %v", v)
	}
	if n := back["note--99999999-9999-4999-8999-999999999999"]; n == nil || get[string](t, n, "content") != "Seen in three ministries." {
		t.Errorf("note came back as %v", n)
	}
	if e.UUID != CaseUUID("us-cert-C0001") || e.Info != testCase().Title || e.TLP != accord.TLPAmber || e.Published {
		t.Errorf("event came back as %s %q TLP %s published %v", e.UUID, e.Info, e.TLP, e.Published)
	}
	// A second export is the same, to the byte.
	var again bytes.Buffer
	if _, err := Export(&again, testCase(), objs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("a second export differs")
	}
}

// TestEncodeEvent checks the event's own fields and its shape.
func TestEncodeEvent(t *testing.T) {
	c := testCase()
	c.Status = accord.CaseClosed
	c.TLP = accord.TLPAmberStrict
	red := parseAll(t, `{"type":"domain-name","spec_version":"2.1","id":"domain-name--`+strings.TrimPrefix(idOf(t, sco(t, "domain-name", map[string]any{"value": "red.example"})), "domain-name--")+`","value":"red.example","object_marking_refs":["`+stix.TLP2Red+`"]}`)
	var buf bytes.Buffer
	if err := Encode(&buf, c, red); err != nil {
		t.Fatal(err)
	}
	validateEvent(t, buf.Bytes(), false)
	var doc struct {
		Event struct {
			UUID, Info, Date, Timestamp, Analysis string
			ThreatLevelID                         string `json:"threat_level_id"`
			Distribution                          string
			Published                             bool
			Tag                                   []struct{ Name string }
			Attribute                             []struct {
				Type, Value, Category string
				ToIDs                 bool `json:"to_ids"`
				Tag                   []struct{ Name string }
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	ev := doc.Event
	if ev.UUID != "4f229513-8153-5dd7-8b8d-57512aa99ada" {
		t.Errorf("event uuid = %s, want UUIDv5(Namespace, %q) = 4f229513-8153-5dd7-8b8d-57512aa99ada", ev.UUID, c.ID)
	}
	if ev.Info != c.Title || ev.Date != "2026-03-04" || ev.Timestamp != "1772668800" || ev.Analysis != "2" || ev.ThreatLevelID != "4" || ev.Distribution != "0" || ev.Published {
		t.Errorf("event = %+v", ev)
	}
	if len(ev.Tag) != 1 || ev.Tag[0].Name != "tlp:amber+strict" {
		t.Errorf("event tags = %+v, want tlp:amber+strict", ev.Tag)
	}
	if len(ev.Attribute) != 2 || ev.Attribute[0].Type != "text" || ev.Attribute[0].Value != c.Summary {
		t.Fatalf("attributes = %+v, want the summary and the domain", ev.Attribute)
	}
	d := ev.Attribute[1]
	if d.Type != "domain" || d.Value != "red.example" || d.Category != "Network activity" || d.ToIDs || len(d.Tag) != 1 || d.Tag[0].Name != "tlp:red" {
		t.Errorf("domain attribute = %+v, want a domain tagged tlp:red, stricter than the case", d)
	}
}

// TestEncodeReport checks what Export reports for objects MISP attributes
// cannot hold whole.
func TestEncodeReport(t *testing.T) {
	ip := sco(t, "ipv4-addr", map[string]any{"value": "198.51.100.7"})
	two := sco(t, "file", map[string]any{"name": "a.exe", "hashes": map[string]string{"MD5": strings.Repeat("1a", 16), "SHA-256": strings.Repeat("2b", 32)}, "size": 10})
	tcp := sco(t, "network-traffic", map[string]any{"dst_ref": idOf(t, ip), "dst_port": 443, "protocols": []string{"ipv4", "tcp"}})
	named := sco(t, "email-addr", map[string]any{"value": "x@example.com", "display_name": "X"})
	proc := `{"type":"process","spec_version":"2.1","id":"process--12121212-1212-4121-8121-121212121212","pid":4}`
	report := `{"type":"report","spec_version":"2.1","id":"report--13131313-1313-4131-8131-131313131313","created":"2026-03-04T10:00:00.000Z","modified":"2026-03-04T10:00:00.000Z","name":"r","published":"2026-03-04T10:00:00Z","object_refs":["` + idOf(t, ip) + `"]}`
	pcre := `{"type":"indicator","spec_version":"2.1","id":"indicator--14141414-1414-4141-8141-141414141414","created":"2026-03-04T10:00:00.000Z","modified":"2026-03-04T10:00:00.000Z","pattern":"x","pattern_type":"pcre","valid_from":"2026-03-04T10:00:00Z"}`
	objs := parseAll(t, ip, two, tcp, named, proc, report, pcre)
	var buf bytes.Buffer
	skipped, err := Export(&buf, testCase(), objs)
	if err != nil {
		t.Fatal(err)
	}
	validateEvent(t, buf.Bytes(), false)
	twoID, tcpID := idOf(t, two), idOf(t, tcp)
	sha256File, _ := stix.SCOID("file", map[string]any{"name": "a.exe", "hashes": map[string]string{"SHA-256": strings.Repeat("2b", 32)}})
	tcpBack, _ := stix.SCOID("network-traffic", map[string]any{"dst_ref": idOf(t, ip), "dst_port": 443, "protocols": []string{"ipv4"}})
	want := []Skip{
		{Path: "indicator--14141414-1414-4141-8141-141414141414", Type: "indicator", Reason: "MISP has no attribute type for pcre patterns"},
		{Path: tcpID, Type: "network-traffic", Reason: fmt.Sprintf(`its ip-dst|port attribute "198.51.100.7|443" imports as another network-traffic (%s)`, tcpBack)},
		{Path: tcpID, Type: "network-traffic", Reason: "no MISP attribute imports back as this network-traffic"},
		{Path: twoID, Type: "file", Reason: fmt.Sprintf(`its filename|sha256 attribute "a.exe|%s" imports as another file (%s)`, strings.Repeat("2b", 32), sha256File)},
		{Path: twoID, Type: "file", Reason: "hashes, size not kept as they are: MISP attributes have no place for them"},
		{Path: idOf(t, named), Type: "email-addr", Reason: "display_name not kept as they are: MISP attributes have no place for them"},
		{Path: "process--12121212-1212-4121-8121-121212121212", Type: "process", Reason: "MISP has no attribute type for process"},
		{Path: "report--13131313-1313-4131-8131-131313131313", Type: "report", Reason: "the case itself is the MISP event; its report is not exported"},
	}
	sortSkips := func(s []Skip) {
		sort.SliceStable(s, func(i, j int) bool { return s[i].Path+s[i].Reason < s[j].Path+s[j].Reason })
	}
	sortSkips(want)
	sortSkips(skipped)
	if diff := cmp.Diff(want, skipped); diff != "" {
		t.Errorf("Export skipped (-want +got):\n%s", diff)
	}
}

// TestEncodeSharedRoundTrip exports what every event of the PyMISP
// material imports to, checks the output against PyMISP's schemas and
// imports it back: every observable comes back the same unless Export
// reported it, and every observable that comes back is one of the
// originals or one that Export announced.
func TestEncodeSharedRoundTrip(t *testing.T) {
	for _, name := range []string{
		"57c4445b-c548-4654-af0b-4be3950d210f.json", "misp_event.json", "mispevent_testfiles__existing_event.json",
		"mispevent_testfiles__shadow.json", "reportlab_testfiles__galaxy_1.json", "reportlab_testfiles__mainly_objects_1.json",
		"reportlab_testfiles__sighting_1.json", "search_index_result.json",
	} {
		t.Run(name, func(t *testing.T) {
			e, err := Decode(bytes.NewReader(readShared(t, "pymisp-tests", name)))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			skipped, err := Export(&buf, testCase(), e.Objects)
			if err != nil {
				t.Fatal(err)
			}
			validateEvent(t, buf.Bytes(), true)
			back, err := Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("Decode(Export()): %v", err)
			}
			checkObjects(t, back.Objects)
			reported := map[string]string{}
			for _, s := range skipped {
				reported[s.Path] += s.Reason + "; "
			}
			before, after := observables(e.Objects), observables(back.Objects)
			for id, want := range before {
				if got := after[id]; got != want && reported[id] == "" {
					t.Errorf("%s came back as %q, want %q (Export did not report it)", id, got, want)
				}
			}
			for id := range after {
				if _, ok := before[id]; ok {
					continue
				}
				announced := false
				for _, r := range reported {
					announced = announced || strings.Contains(r, id)
				}
				if !announced {
					t.Errorf("%s came back but was not exported (Export did not announce it)", id)
				}
			}
			// Every indicator comes back under its id.
			for _, o := range e.Objects {
				if o.Type() == "indicator" && byID(back.Objects)[o.ID()] == nil && reported[o.ID()] == "" {
					t.Errorf("%s did not come back and was not reported", o.ID())
				}
			}
		})
	}
}

// TestEncodeCategories checks the category Export gives each attribute
// type against MISP's describeTypes: the default MISP gives that type,
// and one MISP allows for it.
func TestEncodeCategories(t *testing.T) {
	var dt struct {
		Result struct {
			SaneDefaults map[string]struct {
				Category string `json:"default_category"`
			} `json:"sane_defaults"`
			Mappings map[string][]string `json:"category_type_mappings"`
		} `json:"result"`
	}
	if err := json.Unmarshal(readShared(t, "pymisp-schema", "describeTypes.json"), &dt); err != nil {
		t.Fatal(err)
	}
	types := []string{}
	for typ := range defaultCategory {
		types = append(types, typ)
	}
	for typ := range hashTypes {
		types = append(types, typ, "filename|"+typ)
	}
	for _, typ := range types {
		got := categoryOf(typ)
		if want := dt.Result.SaneDefaults[typ].Category; got != want {
			t.Errorf("categoryOf(%s) = %q, want MISP's default %q", typ, got, want)
		}
		if !slices.Contains(dt.Result.Mappings[got], typ) {
			t.Errorf("MISP does not allow %s in category %q", typ, got)
		}
	}
}

// TestEncodeInvalid checks the refusals of Export.
func TestEncodeInvalid(t *testing.T) {
	bad, err := stix.Parse([]byte(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--00000000-0000-4000-8000-000000000000","value":"999.1.1.1"}`))
	if err != nil {
		t.Fatal(err)
	}
	noTitle := testCase()
	noTitle.Title = " "
	tests := []struct {
		name string
		c    *accord.Case
		objs []*stix.Object
		want string
	}{
		{"no case", nil, nil, "no case to export"},
		{"no title", noTitle, nil, "title: is required"},
		{"invalid object", testCase(), []*stix.Object{bad}, `ipv4-addr--00000000-0000-4000-8000-000000000000: value: "999.1.1.1" is not an IPv4 address or CIDR block`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Encode(&buf, tc.c, tc.objs)
			if err == nil || accord.ErrorCode(err) != accord.EINVALID || err.Error() != tc.want {
				t.Errorf("Encode(%s) = %v (code %s), want %q (invalid)", tc.name, err, accord.ErrorCode(err), tc.want)
			}
			if buf.Len() > 0 {
				t.Errorf("Encode(%s) wrote %d bytes despite the error", tc.name, buf.Len())
			}
		})
	}
}

// TestSimplePattern checks which STIX patterns become typed attributes.
func TestSimplePattern(t *testing.T) {
	tests := []struct {
		pattern, preferred string
		typ, value         string
	}{
		{"[ipv4-addr:value = '198.51.100.1']", "", "ip-dst", "198.51.100.1"},
		{"[ipv4-addr:value = '198.51.100.1']", "ip-src", "ip-src", "198.51.100.1"},
		{"[ipv4-addr:value = '198.51.100.1']", "domain", "ip-dst", "198.51.100.1"},
		{"[file:hashes.'SHA-256' = '" + strings.Repeat("ab", 32) + "']", "", "sha256", strings.Repeat("ab", 32)},
		{"[file:hashes.MD5 = '" + strings.Repeat("ab", 16) + "' AND file:name = 'x']", "", "filename|md5", "x|" + strings.Repeat("ab", 16)},
		{"[network-traffic:dst_ref.value = 'c2.example' AND network-traffic:dst_port = 443]", "", "hostname|port", "c2.example|443"},
		{"[windows-registry-key:key = 'HKEY_USERS\\\\x' AND windows-registry-key:values[*].data = 'd']", "", "regkey|value", `HKEY_USERS\x|d`},
		{"[domain-name:value = 'it''s']", "", "", ""},
		{"[domain-name:value = 'a'] OR [domain-name:value = 'b']", "", "", ""},
		{"[domain-name:value = 'a' OR domain-name:value = 'b']", "", "", ""},
		{"[domain-name:value != 'a']", "", "", ""},
		{"[domain-name:value = 'a'] WITHIN 5 SECONDS", "", "", ""},
		{"[url:value LIKE 'http://%']", "", "", ""},
		{"[domain-name:value = 'a' AND url:value = 'http://a/']", "", "", ""},
		{"[file:name = 'a' AND file:size = 3]", "", "", ""},
		{"[url:value = 'http://x/ OR y']", "", "url", "http://x/ OR y"},
	}
	for _, tc := range tests {
		typ, value := simplePattern(tc.pattern, tc.preferred)
		if typ != tc.typ || value != tc.value {
			t.Errorf("simplePattern(%s, %q) = %q, %q; want %q, %q", tc.pattern, tc.preferred, typ, value, tc.typ, tc.value)
		}
	}
}

// TestReimportsAs checks the guard that keeps an indicator whole (as a
// stix2-pattern attribute) when its typed attribute would come back as
// another pattern.
func TestReimportsAs(t *testing.T) {
	tests := []struct {
		typ, value, pattern string
		want                bool
	}{
		{"mac-address", "00:1a:2b:3c:4d:5e", "[mac-addr:value = '00:1a:2b:3c:4d:5e']", true},
		{"mac-address", "00:1A:2B:3C:4D:5E", "[mac-addr:value = '00:1A:2B:3C:4D:5E']", false},
		{"filename|md5", "x|" + strings.Repeat("ab", 16), "[file:hashes.MD5 = '" + strings.Repeat("ab", 16) + "' AND file:name = 'x']", true},
		{"regkey|value", `HKEY_USERS\a|b|c`, `[windows-registry-key:key = 'HKEY_USERS\\a|b' AND windows-registry-key:values[*].data = 'c']`, false},
		{"ip-dst", "198.51.100.1", "[ipv4-addr:value = '198.51.100.1']", true},
	}
	for _, tc := range tests {
		if got := reimportsAs(tc.typ, tc.value, tc.pattern); got != tc.want {
			t.Errorf("reimportsAs(%s, %q, %s) = %v, want %v", tc.typ, tc.value, tc.pattern, got, tc.want)
		}
	}
}

func TestCaseUUID(t *testing.T) {
	// Computed with Python: uuid.uuid5(uuid.UUID(Namespace), "us-cert-C0001").
	if got, want := CaseUUID("us-cert-C0001"), "4f229513-8153-5dd7-8b8d-57512aa99ada"; got != want {
		t.Errorf("CaseUUID(us-cert-C0001) = %s, want %s", got, want)
	}
}

// TestEncodeImportable exports objects that are valid STIX but would make
// attributes Decode refuses: Export leaves those attributes out and says
// so, and what it writes imports.
func TestEncodeImportable(t *testing.T) {
	const ts = `"created":"2026-03-04T10:00:00.000Z","modified":"2026-03-04T10:00:00.000Z"`
	bigAS := sco(t, "autonomous-system", map[string]any{"number": int64(1) << 40})
	objs := parseAll(t, bigAS,
		`{"type":"note","spec_version":"2.1","id":"note--01010101-0101-4101-8101-010101010101",`+ts+`,"content":"","object_refs":["`+idOf(t, bigAS)+`"]}`,
		`{"type":"indicator","spec_version":"2.1","id":"indicator--02020202-0202-4202-8202-020202020202",`+ts+`,"pattern":"[ipv4-addr:value = 'not an address']","pattern_type":"stix","valid_from":"2026-03-04T10:00:00Z"}`,
		`{"type":"sighting","spec_version":"2.1","id":"sighting--03030303-0303-4303-8303-030303030303",`+ts+`,"first_seen":"1960-01-01T00:00:00Z","sighting_of_ref":"indicator--02020202-0202-4202-8202-020202020202"}`,
		`{"type":"malware","spec_version":"2.1","id":"malware--04040404-0404-4404-8404-040404040404",`+ts+`,"name":" ","is_family":true}`,
	)
	var buf bytes.Buffer
	skipped, err := Export(&buf, testCase(), objs)
	if err != nil {
		t.Fatal(err)
	}
	validateEvent(t, buf.Bytes(), true)
	e, err := Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("Decode(Export()): %v\n%s", err, buf.Bytes())
	}
	checkObjects(t, e.Objects)
	got := map[string]string{}
	for _, s := range skipped {
		got[s.Path] = s.Reason
	}
	want := map[string]string{
		idOf(t, bigAS): `not written: its AS attribute would be refused on import ("1099511627776" is not an autonomous system number)`,
		"note--01010101-0101-4101-8101-010101010101":     "not written: its comment attribute would be refused on import (must not be empty)",
		"sighting--03030303-0303-4303-8303-030303030303": "dated before 1970, when MISP sightings cannot be",
		"malware--04040404-0404-4404-8404-040404040404":  "a galaxy cluster needs a name",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Export skipped (-want +got):\n%s", diff)
	}
	ind, err := byID(e.Objects)["indicator--02020202-0202-4202-8202-020202020202"].Indicator()
	if err != nil || ind.Pattern != "[ipv4-addr:value = 'not an address']" {
		t.Errorf("indicator with a pattern no ip-dst holds came back as %+v, %v; want it whole, from a stix2-pattern attribute", ind, err)
	}
}
