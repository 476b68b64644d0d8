package iodef

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/internal/shareddata"
	"github.com/accord-cyber/accord/stix"
)

func decodeFile(t *testing.T, name string) *Document {
	t.Helper()
	f, err := os.Open(shareddata.Path(t, "iodef", "iodef2stix-samples", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := Decode(f)
	if err != nil {
		t.Fatalf("Decode(%s): %v", name, err)
	}
	return doc
}

// countTypes counts objects by STIX type.
func countTypes(objs []*stix.Object) map[string]int {
	m := map[string]int{}
	for _, o := range objs {
		m[o.Type()]++
	}
	return m
}

func values(objs []*stix.Object, typ string) []string {
	var out []string
	for _, o := range objs {
		if o.Type() == typ {
			out = append(out, o.Value())
		}
	}
	return out
}

func find(objs []*stix.Object, typ string) *stix.Object {
	for _, o := range objs {
		if o.Type() == typ {
			return o
		}
	}
	return nil
}

// TestDecodeSamples imports every sample; every object validates and its
// id is unique, and every case an incident suggests is a valid new case.
func TestDecodeSamples(t *testing.T) {
	for _, f := range samples(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			doc := decodeFile(t, filepath.Base(f))
			if len(doc.Incidents) == 0 {
				t.Fatal("Decode returned no incident")
			}
			for _, in := range doc.Incidents {
				seen := map[string]bool{}
				for _, o := range in.Objects {
					if err := o.Validate(); err != nil {
						t.Errorf("object %s does not validate: %v", o.ID(), err)
					}
					if seen[o.ID()] {
						t.Errorf("object %s twice", o.ID())
					}
					seen[o.ID()] = true
				}
				c := in.Case()
				if err := c.ValidateNew(); err != nil {
					t.Errorf("Case() = %+v: ValidateNew: %v", c, err)
				}
			}
		})
	}
}

func TestDecodeDDoS(t *testing.T) {
	doc := decodeFile(t, "GuidanceDraft_DDoS.xml")
	if len(doc.Incidents) != 1 {
		t.Fatalf("got %d incidents, want 1", len(doc.Incidents))
	}
	in := doc.Incidents[0]
	if got, want := in.ID, (IncidentID{Name: "csirt.example.com", Value: "189701"}); got != want {
		t.Errorf("ID = %+v, want %+v", got, want)
	}
	if in.Purpose != "reporting" || in.Restriction != "default" || in.TLP != accord.TLPAmber {
		t.Errorf("purpose, restriction, TLP = %q, %q, %q; want reporting, default, amber", in.Purpose, in.Restriction, in.TLP)
	}
	wantTimes := map[string][2]time.Time{
		"DetectTime":     {in.DetectTime, time.Date(2013, 2, 5, 1, 15, 45, 0, time.UTC)},
		"StartTime":      {in.StartTime, time.Date(2013, 2, 5, 0, 34, 45, 0, time.UTC)},
		"ReportTime":     {in.ReportTime, time.Date(2013, 2, 5, 1, 34, 45, 0, time.UTC)},
		"GenerationTime": {in.GenerationTime, time.Date(2013, 2, 5, 1, 15, 45, 0, time.UTC)},
	}
	for name, tt := range wantTimes {
		if !tt[0].Equal(tt[1]) {
			t.Errorf("%s = %v, want %v", name, tt[0], tt[1])
		}
	}
	if diff := cmp.Diff([]string{"DDoS Traffic Seen", "Dummy Test sharing with ISP1"}, in.Descriptions); diff != "" {
		t.Errorf("Descriptions (-want +got):\n%s", diff)
	}
	wantContacts := []Contact{{Role: "creator", Type: "organization", Names: []string{"Dummy Test"}, Emails: []string{"contact@dummytest.com"}}}
	if diff := cmp.Diff(wantContacts, in.Contacts); diff != "" {
		t.Errorf("Contacts (-want +got):\n%s", diff)
	}
	wantAssessment := []Assessment{{Occurrence: "actual", Confidence: "high", Impacts: []Impact{{
		Class: "SystemImpact", Type: "availability-system", Severity: "medium", Descriptions: []string{"DDoS Traffic"},
	}}}}
	if diff := cmp.Diff(wantAssessment, in.Assessments); diff != "" {
		t.Errorf("Assessments (-want +got):\n%s", diff)
	}
	wantMethods := []Method{{References: []Reference{{
		URLs: []string{
			"http://blog.spiderlabs.com/2011/01/loic-ddos-analysis-and-detection.html", // wrapped over two lines
			"http://en.wikipedia.org/wiki/Low_Orbit_Ion_Cannon",
		},
		Descriptions: []string{"Low Orbit Ion Cannon User Agent"},
	}}}}
	if diff := cmp.Diff(wantMethods, in.Methods); diff != "" {
		t.Errorf("Methods (-want +got):\n%s", diff)
	}
	// Four sources (two IPv4, a /24, an IPv6) and one target; each source
	// to the target is one flow, TCP from port 1337 to 80.
	if diff := cmp.Diff(map[string]int{"ipv4-addr": 4, "ipv6-addr": 1, "network-traffic": 4}, countTypes(in.Objects)); diff != "" {
		t.Errorf("objects by type (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"192.0.2.104", "192.0.2.106", "198.51.100.0/24", "203.0.113.1"}, values(in.Objects, "ipv4-addr")); diff != "" {
		t.Errorf("ipv4-addr values (-want +got):\n%s", diff)
	}
	nt, err := find(in.Objects, "network-traffic").NetworkTraffic()
	if err != nil {
		t.Fatal(err)
	}
	if *nt.SrcPort != 1337 || *nt.DstPort != 80 || !cmp.Equal(nt.Protocols, []string{"ipv4", "tcp"}) {
		t.Errorf("network traffic = %+v, want 1337 → 80 over ipv4, tcp", nt)
	}
	// The sensor's description, the Expectation and the user-agent
	// indicator (no STIX observable) are listed, not dropped.
	wantSkipped := []Skip{
		{"IODEF-Document/Incident/EventData/Flow/System[6]/Description", "Description is not mapped"},
		{"IODEF-Document/Incident/EventData/Expectation", "expected actions are not mapped"},
		{"IODEF-Document/Incident/IndicatorData/Indicator", `no STIX indicator made: its BulkObservable: bulk observables of type http-user-agent are not mapped`},
	}
	if diff := cmp.Diff(wantSkipped, doc.Skipped); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
}

func TestDecodeMalware(t *testing.T) {
	doc := decodeFile(t, "GuidanceDraft_Malware.xml")
	in := doc.Incidents[0]
	if in.ID.String() != "csirt.example.com#189234" {
		t.Errorf("ID = %s, want csirt.example.com#189234", in.ID)
	}
	// No restriction: RFC 7970's default, private, is TLP:RED.
	if in.Restriction != "private" || in.TLP != accord.TLPRed {
		t.Errorf("restriction, TLP = %q, %q; want private, red", in.Restriction, in.TLP)
	}
	want := map[string]int{
		"ipv4-addr": 4, "ipv6-addr": 1, "url": 2, "file": 5, "windows-registry-key": 7,
		"network-traffic": 1, "indicator": 1,
	}
	if diff := cmp.Diff(want, countTypes(in.Objects)); diff != "" {
		t.Errorf("objects by type (-want +got):\n%s", diff)
	}
	// The hashes, written as the base64 of hex text, and as hex.
	var got []string
	for _, o := range in.Objects {
		for alg, h := range o.Hashes() {
			got = append(got, alg+":"+h)
		}
	}
	wantHashes := []string{
		"SHA-1:6751a253483a67d86e0f84760f61f10bbcc2edff",
		"MD5:2e8880980d62447e9790afa89513f0a4",
		"SHA-1:7263fe0d3a095d59c8e0c895a9c585e343e7141c",
		"MD5:43cd850fcdade4330a5bea6f16ee971c",
		"SHA-256:141accec23e7e5157de60853cb1e01bc38042d08f9086040815300b7fe75c184",
	}
	if diff := cmp.Diff(wantHashes, got); diff != "" {
		t.Errorf("hashes (-want +got):\n%s", diff)
	}
	// A registry key wrapped over two lines, its hive written in full.
	var key string
	for _, o := range in.Objects {
		if o.Type() == "windows-registry-key" {
			o.Get("key", &key)
			break
		}
	}
	if key != `HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Run\tamg` {
		t.Errorf("first registry key = %q", key)
	}
	ind, err := find(in.Objects, "indicator").Indicator()
	if err != nil {
		t.Fatal(err)
	}
	if ind.Name != "ind-91011" || !ind.ValidFrom.Time().Equal(in.GenerationTime.Truncate(time.Millisecond)) {
		t.Errorf("indicator name, valid_from = %q, %v", ind.Name, ind.ValidFrom)
	}
	// The expression's three branches, the references resolved.
	for _, s := range []string{
		"[ipv4-addr:value = '203.0.113.200']",
		"[file:hashes.'SHA-256' = '141accec23e7e5157de60853cb1e01bc38042d08f9086040815300b7fe75c184'] AND (",
		"([file:hashes.'SHA-1' = '6751a253483a67d86e0f84760f61f10bbcc2edff'] OR [file:hashes.'MD5' = '2e8880980d62447e9790afa89513f0a4']) AND (",
	} {
		if !strings.Contains(ind.Pattern, s) {
			t.Errorf("pattern %s\ndoes not contain %s", ind.Pattern, s)
		}
	}
}

func TestDecodeSpearPhishing(t *testing.T) {
	doc := decodeFile(t, "GuidanceDraft_SpearPhishing.xml")
	in := doc.Incidents[0]
	want := map[string]int{
		"url": 1, "ipv4-addr": 3, "autonomous-system": 2, "domain-name": 2, "email-addr": 1,
		"email-message": 1, "network-traffic": 1, "file": 1, "x509-certificate": 1,
	}
	if diff := cmp.Diff(want, countTypes(in.Objects)); diff != "" {
		t.Errorf("objects by type (-want +got):\n%s", diff)
	}
	var em map[string]any
	for _, o := range in.Objects {
		if o.Type() == "email-message" {
			o.Get("additional_header_fields", &em)
			var subj string
			o.Get("subject", &subj)
			if subj != "Join us at Dummy Con" {
				t.Errorf("subject = %q", subj)
			}
		}
	}
	if em["X-Mailer"] != "StormRider 4.0" {
		t.Errorf("X-Mailer = %v", em["X-Mailer"])
	}
	f, err := find(in.Objects, "file").File()
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "Dummy Con Sign Up Sheet.txt" || *f.Size != 152 {
		t.Errorf("file = %+v", f)
	}
	// The ids are STIX's deterministic ones, checked against Python's
	// uuid.uuid5 over the same canonical JSON.
	if id := find(in.Objects, "file").ID(); id != "file--713b95b1-79ea-5276-b550-2887de85aedd" {
		t.Errorf("file id = %s", id)
	}
	if got := doc.Skipped[0]; got.Path != "IODEF-Document/Incident/EventData/Flow[1]/System/Node/Address[4]" || !strings.Contains(got.Reason, `"as-name"`) {
		t.Errorf("Skipped[0] = %+v, want the as-name Address", got)
	}
}

func TestDecodeCampaignIndicator(t *testing.T) {
	doc := decodeFile(t, "RFC7970_CampaignIndicator.xml")
	in := doc.Incidents[0]
	if in.ID.Value != "897923" || in.Purpose != "watch" || in.TLP != accord.TLPGreen {
		t.Errorf("ID, purpose, TLP = %s, %s, %s", in.ID, in.Purpose, in.TLP)
	}
	if diff := cmp.Diff(map[string]int{"domain-name": 4, "indicator": 1}, countTypes(in.Objects)); diff != "" {
		t.Errorf("objects by type (-want +got):\n%s", diff)
	}
	ind, _ := find(in.Objects, "indicator").Indicator()
	const want = "([domain-name:value = 'kj290023j09r34.example.com'] OR [domain-name:value = '09ijk23jfj0k8.example.net'] OR " +
		"[domain-name:value = 'klknjwfjiowjefr923.example.org'] OR [domain-name:value = 'oimireik79msd.example.org'])"
	if ind.Pattern != want {
		t.Errorf("pattern = %s, want %s", ind.Pattern, want)
	}
	if got := ind.ValidFrom.String(); got != "2014-12-02T16:18:00.000Z" {
		t.Errorf("valid_from = %s, want the StartTime 2014-12-02T16:18:00.000Z", got)
	}
	// Same document, same ids.
	again := decodeFile(t, "RFC7970_CampaignIndicator.xml")
	if a, b := find(in.Objects, "indicator").ID(), find(again.Incidents[0].Objects, "indicator").ID(); a != b {
		t.Errorf("indicator ids differ between two imports: %s, %s", a, b)
	}
}

// doc wraps an Incident's content in a minimal valid document.
func doc(incidentAttrs, body string) string {
	if incidentAttrs == "" {
		incidentAttrs = `purpose="reporting"`
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<Incident ` + incidentAttrs + `>
<IncidentID name="csirt.example.com">1</IncidentID>
<GenerationTime>2024-05-01T10:00:00Z</GenerationTime>
<Contact role="creator" type="organization"><ContactName>CSIRT</ContactName></Contact>
` + body + `
</Incident>
</IODEF-Document>`
}

func flow(addresses string) string {
	return `<EventData><Flow><System category="source"><Node>` + addresses + `</Node></System></Flow></EventData>`
}

type invalidDoc struct {
	name, in           string
	wantField, wantMsg string
}

// invalidDocs are documents Decode refuses, with the place and message.
func invalidDocs() []invalidDoc {
	sha256 := `<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>`
	return []invalidDoc{
		{"not XML", "this is not XML", "", "not well-formed XML"},
		{"empty", "", "", "no root element"},
		{"unclosed", `<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0"><Incident>`, "IODEF-Document/Incident", "not well-formed XML"},
		{"wrong root", `<foo/>`, "foo", "not an IODEF-Document"},
		{"no namespace", `<IODEF-Document version="2.00"/>`, "IODEF-Document", `namespace "" is not IODEF v2's`},
		{"IODEF v1", `<IODEF-Document version="1.00" xmlns="urn:ietf:params:xml:ns:iodef-1.0"/>`, "{urn:ietf:params:xml:ns:iodef-1.0}IODEF-Document", "IODEF v1 (RFC 5070"},
		{"wrong version", strings.Replace(doc("", ""), `version="2.00"`, `version="1.00"`, 1), "IODEF-Document", `version "1.00" is not accepted`},
		{"no version", strings.Replace(doc("", ""), `version="2.00"`, ``, 1), "IODEF-Document", "version attribute is required"},
		{"no incident", `<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0"/>`, "IODEF-Document", "at least one Incident"},
		{"no purpose", doc(`restriction="green"`, ""), "IODEF-Document/Incident", "purpose attribute is required"},
		{"bad purpose", doc(`purpose="gossip"`, ""), "IODEF-Document/Incident", `purpose "gossip" is not one of`},
		{"ext-value without ext-purpose", doc(`purpose="ext-value"`, ""), "IODEF-Document/Incident", "ext-purpose is missing"},
		{"bad restriction", doc(`purpose="reporting" restriction="secret"`, ""), "IODEF-Document/Incident", `restriction "secret"`},
		{"no IncidentID", strings.Replace(doc("", ""), `<IncidentID name="csirt.example.com">1</IncidentID>`, "", 1), "IODEF-Document/Incident", "IncidentID is required"},
		{"IncidentID without name", strings.Replace(doc("", ""), `IncidentID name="csirt.example.com"`, "IncidentID", 1), "IODEF-Document/Incident/IncidentID", "name attribute is required"},
		{"no GenerationTime", strings.Replace(doc("", ""), `<GenerationTime>2024-05-01T10:00:00Z</GenerationTime>`, "", 1), "IODEF-Document/Incident", "GenerationTime is required"},
		{"bad GenerationTime", strings.Replace(doc("", ""), `2024-05-01T10:00:00Z`, "yesterday", 1), "IODEF-Document/Incident/GenerationTime", `"yesterday" is not a date-time`},
		{"GenerationTime without zone", strings.Replace(doc("", ""), `2024-05-01T10:00:00Z`, "2024-05-01T10:00:00", 1), "IODEF-Document/Incident/GenerationTime", "no time zone"},
		{"no Contact", strings.Replace(doc("", ""), `<Contact role="creator" type="organization"><ContactName>CSIRT</ContactName></Contact>`, "", 1), "IODEF-Document/Incident", "at least one Contact"},
		{"Contact without role", strings.Replace(doc("", ""), `role="creator" `, "", 1), "IODEF-Document/Incident/Contact", "role attribute is required"},
		{"bad IPv4", doc("", `<EventData/><EventData>`+`<Flow><System><Node><Address category="ipv4-addr">999.1.1.1</Address></Node></System></Flow></EventData>`),
			"IODEF-Document/Incident/EventData[2]/Flow/System/Node/Address", `"999.1.1.1" is not an ipv4-addr`},
		{"IPv6 as IPv4", doc("", flow(`<Address category="ipv4-addr">2001:db8::1</Address>`)), "IODEF-Document/Incident/EventData/Flow/System/Node/Address", "is not an ipv4-addr"},
		{"default category is ipv6-addr", doc("", flow(`<Address>192.0.2.1</Address>`)), "IODEF-Document/Incident/EventData/Flow/System/Node/Address", `"192.0.2.1" is not an ipv6-addr`},
		{"bad network", doc("", flow(`<Address category="ipv4-net">192.0.2.0/33</Address>`)), "IODEF-Document/Incident/EventData/Flow/System/Node/Address", "is not an ipv4-net"},
		{"bad netmask", doc("", flow(`<Address category="ipv4-net-mask">192.0.2.0/255.0.255.0</Address>`)), "IODEF-Document/Incident/EventData/Flow/System/Node/Address", "is not an ipv4-net-mask"},
		{"bad MAC", doc("", flow(`<Address category="mac">00:11:22</Address>`)), "IODEF-Document/Incident/EventData/Flow/System/Node/Address", "is not a MAC address"},
		{"bad ASN", doc("", flow(`<Address category="asn">AS-BIG</Address>`)), "IODEF-Document/Incident/EventData/Flow/System/Node/Address", "is not an autonomous system number"},
		{"bad e-mail", doc("", flow(`<Address category="e-mail">nobody</Address>`)), "IODEF-Document/Incident/EventData/Flow/System/Node/Address", `"nobody" is not an e-mail address`},
		{"relative URL", doc("", flow(`<Address category="site-uri">/evil/cc.php</Address>`)), "IODEF-Document/Incident/EventData/Flow/System/Node/Address", "is not an absolute URL"},
		{"unknown category", doc("", flow(`<Address category="carrier-pigeon">x</Address>`)), "IODEF-Document/Incident/EventData/Flow/System/Node/Address", `category "carrier-pigeon"`},
		{"bad domain", doc("", flow(`<DomainData><Name>bad_domain!</Name></DomainData>`)), "IODEF-Document/Incident/EventData/Flow/System/Node/DomainData/Name", "is not a domain name"},
		{"DomainData without Name", doc("", flow(`<DomainData/>`)), "IODEF-Document/Incident/EventData/Flow/System/Node/DomainData", "Name is required"},
		{"System without Node", doc("", `<EventData><Flow><System/></Flow></EventData>`), "IODEF-Document/Incident/EventData/Flow/System", "Node is required"},
		{"bad port", doc("", `<EventData><Flow><System><Node><Address category="ipv4-addr">192.0.2.1</Address></Node><Service><Port>70000</Port></Service></System></Flow></EventData>`),
			"IODEF-Document/Incident/EventData/Flow/System/Service/Port", `"70000" is not an integer from 0 to 65535`},
		{"bad digest", doc("", `<EventData><Record><RecordData><FileData><File><HashData scope="file-contents"><Hash>`+sha256+`<ds:DigestValue>abcd</ds:DigestValue></Hash></HashData></File></FileData></RecordData></Record></EventData>`),
			"IODEF-Document/Incident/EventData/Record/RecordData/FileData/File/HashData/Hash/ds:DigestValue", `"abcd" is not a SHA-256 digest`},
		{"HashData without scope", doc("", `<EventData><Record><RecordData><FileData><File><HashData><Hash>`+sha256+`<ds:DigestValue>abcd</ds:DigestValue></Hash></HashData></File></FileData></RecordData></Record></EventData>`),
			"IODEF-Document/Incident/EventData/Record/RecordData/FileData/File/HashData", "scope attribute is required"},
		{"negative file size", doc("", `<EventData><Record><RecordData><FileData><File><FileName>a</FileName><FileSize>-1</FileSize></File></FileData></RecordData></Record></EventData>`),
			"IODEF-Document/Incident/EventData/Record/RecordData/FileData/File/FileSize", "is not an integer"},
		{"dangling ObservableReference", doc("", `<IndicatorData><Indicator><IndicatorID name="x" version="1">i1</IndicatorID><ObservableReference uid-ref="nowhere"/></Indicator></IndicatorData>`),
			"IODEF-Document/Incident/IndicatorData/Indicator/ObservableReference", `uid-ref "nowhere" names no element`},
		{"duplicate observable-id", doc("", flow(`<Address category="ipv4-addr" observable-id="a">192.0.2.1</Address><Address category="ipv4-addr" observable-id="a">192.0.2.2</Address>`)),
			"IODEF-Document/Incident/EventData/Flow/System/Node/Address[2]", `observable-id "a" is already that of IODEF-Document/Incident/EventData/Flow/System/Node/Address[1]`},
		{"Indicator without IndicatorID", doc("", `<IndicatorData><Indicator><Observable><Address category="ipv4-addr">192.0.2.1</Address></Observable></Indicator></IndicatorData>`),
			"IODEF-Document/Incident/IndicatorData/Indicator", "IndicatorID is required"},
		{"indicator ends before it starts", doc("", `<IndicatorData><Indicator><IndicatorID name="x" version="1">i1</IndicatorID><StartTime>2024-05-02T00:00:00Z</StartTime><EndTime>2024-05-01T00:00:00Z</EndTime><Observable><Address category="ipv4-addr">192.0.2.1</Address></Observable></Indicator></IndicatorData>`),
			"IODEF-Document/Incident/IndicatorData/Indicator/EndTime", "is not after"},
		{"bad pattern", doc("", `<IndicatorData><Indicator><IndicatorID name="x" version="1">i1</IndicatorID><Observable><AdditionalData dtype="string" meaning="pattern">[ipv4-addr:value = </AdditionalData></Observable></Indicator></IndicatorData>`),
			"IODEF-Document/Incident/IndicatorData/Indicator/Observable/AdditionalData", "invalid STIX pattern"},
		{"bad bulk line", doc("", `<IndicatorData><Indicator><IndicatorID name="x" version="1">i1</IndicatorID><Observable><BulkObservable type="ipv4-addr"><BulkObservableList>192.0.2.1
192.0.2.300</BulkObservableList></BulkObservable></Observable></Indicator></IndicatorData>`),
			"IODEF-Document/Incident/IndicatorData/Indicator/Observable/BulkObservable/BulkObservableList", `line 2: "192.0.2.300" is not an ipv4-addr`},
		{"DTD", `<?xml version="1.0"?><!DOCTYPE IODEF-Document [<!ENTITY a "b">]>` + doc("", ""), "", "DTD"},
		{"not UTF-8", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><IODEF-Document version=\"2.00\" xmlns=\"urn:ietf:params:xml:ns:iodef-2.0\">\xe9</IODEF-Document>", "", "not UTF-8"},
		{"declared Latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?><IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0"/>`, "", "only UTF-8"},
		{"two roots", doc("", "") + `<IODEF-Document/>`, "", "more than one root"},
	}
}

func TestDecodeInvalid(t *testing.T) {
	for _, tc := range invalidDocs() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("Decode = %+v, nil; want an error", got)
			}
			if code := accord.ErrorCode(err); code != accord.EINVALID {
				t.Errorf("Decode: code %q (%v), want %q", code, err, accord.EINVALID)
			}
			if f := accord.ErrorField(err); f != tc.wantField {
				t.Errorf("Decode: field %q, want %q (error: %v)", f, tc.wantField, err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Decode: %q does not say %q", err, tc.wantMsg)
			}
		})
	}
}

// TestDecodeMappings covers the mappings the samples do not use.
func TestDecodeMappings(t *testing.T) {
	t.Run("restriction to TLP", func(t *testing.T) {
		for restr, want := range map[string]accord.TLP{
			"public": "clear", "white": "clear", "partner": "green", "green": "green", "default": "amber",
			"amber": "amber", "need-to-know": "amber+strict", "private": "red", "red": "red",
			`ext-value" ext-restriction="amber+strict`: "amber+strict", `ext-value" ext-restriction="TLP:CLEAR`: "clear",
			`ext-value" ext-restriction="our-own-rules`: "red",
		} {
			d, err := Decode(strings.NewReader(doc(`purpose="reporting" restriction="`+restr+`"`, "")))
			if err != nil {
				t.Fatalf("restriction %s: %v", restr, err)
			}
			if got := d.Incidents[0].TLP; got != want {
				t.Errorf("restriction %s: TLP %s, want %s", restr, got, want)
			}
		}
	})
	t.Run("a stricter nested restriction marks the objects, a looser one does not", func(t *testing.T) {
		d, err := Decode(strings.NewReader(doc(`purpose="reporting" restriction="amber"`, `<EventData restriction="red"><Flow><System><Node>
<Address category="ipv4-addr">192.0.2.1</Address></Node></System></Flow></EventData>
<EventData restriction="public"><Flow><System><Node><Address category="ipv4-addr">192.0.2.2</Address></Node></System></Flow></EventData>`)))
		if err != nil {
			t.Fatal(err)
		}
		objs := d.Incidents[0].Objects
		if tl, ok := objs[0].TLP(); !ok || tl.ID != stix.TLP2Red {
			t.Errorf("object under restriction=red: marking %+v, want TLP:RED", tl)
		}
		if refs := objs[1].ObjectMarkingRefs(); len(refs) != 0 {
			t.Errorf("object under restriction=public in an amber incident: marked %v, want none (it takes the case's amber)", refs)
		}
	})
	t.Run("network traffic takes the stricter restriction of its Systems", func(t *testing.T) {
		d, err := Decode(strings.NewReader(doc(`purpose="reporting" restriction="green"`, `<EventData><Flow>
<System category="source" restriction="need-to-know"><Node><Address category="ipv4-addr">192.0.2.1</Address></Node></System>
<System category="target"><Node><Address category="ipv4-addr">192.0.2.2</Address></Node><Service ip-protocol="17"><Port>53</Port></Service></System>
</Flow></EventData>`)))
		if err != nil {
			t.Fatal(err)
		}
		nt := find(d.Incidents[0].Objects, "network-traffic")
		if tl, ok := nt.TLP(); !ok || tl.Level != "amber+strict" {
			t.Errorf("network traffic %s: want TLP:AMBER+STRICT", nt.Bytes())
		}
		if v, _ := nt.NetworkTraffic(); !cmp.Equal(v.Protocols, []string{"ipv4", "udp"}) || *v.DstPort != 53 || v.SrcPort != nil {
			t.Errorf("network traffic %s, want ipv4/udp to port 53", nt.Bytes())
		}
	})
	t.Run("addresses", func(t *testing.T) {
		d, err := Decode(strings.NewReader(doc("", flow(`
<Address category="ipv4-net-mask">192.0.2.0/255.255.255.0</Address>
<Address category="ipv6-net">2001:db8::/32</Address>
<Address category="ipv6-addr">::ffff:192.0.2.9</Address>
<Address category="mac">00-1A-2B-3C-4D-5E</Address>
<Address category="asn">AS64500</Address>
<Address category="e-mail">Eve &lt;eve@example.org&gt;</Address>
<Address category="site-uri">https://example.org/a
   /b?c=d</Address>
<DomainData><Name>WWW.Example.ORG.</Name></DomainData>`))))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range d.Incidents[0].Objects {
			v := o.Value()
			if o.Type() == "autonomous-system" {
				var n int
				o.Get("number", &n)
				v = strconv.Itoa(n)
			}
			got = append(got, o.Type()+" "+v)
		}
		want := []string{
			"ipv4-addr 192.0.2.0/24", "ipv6-addr 2001:db8::/32", "ipv4-addr 192.0.2.9", "mac-addr 00:1a:2b:3c:4d:5e",
			"autonomous-system 64500", "email-addr eve@example.org", "url https://example.org/a/b?c=d", "domain-name www.example.org",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}
	})
	t.Run("CVE and ATT&CK references", func(t *testing.T) {
		d, err := Decode(strings.NewReader(doc("", `<Method>
<Reference><enum:ReferenceName xmlns:enum="urn:ietf:params:xml:ns:iodef-enum-1.0" specIndex="1"><enum:ID>CVE-2021-44228</enum:ID></enum:ReferenceName><URL>https://nvd.nist.gov/vuln/detail/CVE-2021-44228</URL><Description>Log4Shell</Description></Reference>
<Reference><URL>https://attack.mitre.org/techniques/T1566/001/</URL><Description>Spearphishing Attachment</Description></Reference>
</Method>`)))
		if err != nil {
			t.Fatal(err)
		}
		in := d.Incidents[0]
		if diff := cmp.Diff(map[string]int{"vulnerability": 1, "attack-pattern": 1}, countTypes(in.Objects)); diff != "" {
			t.Fatalf("objects by type (-want +got):\n%s", diff)
		}
		v := find(in.Objects, "vulnerability")
		if v.Name() != "CVE-2021-44228" || v.ExternalReferences()[0].ExternalID != "CVE-2021-44228" {
			t.Errorf("vulnerability = %s", v.Bytes())
		}
		a := find(in.Objects, "attack-pattern")
		if a.Name() != "Spearphishing Attachment" || a.ExternalReferences()[0].ExternalID != "T1566.001" {
			t.Errorf("attack-pattern = %s", a.Bytes())
		}
		if got := in.Methods[0].References[0]; got.SpecIndex != 1 || got.ID != "CVE-2021-44228" {
			t.Errorf("reference = %+v, want specIndex 1 and the enum:ID element's CVE-2021-44228", got)
		}
		for _, s := range d.Skipped {
			if strings.Contains(s.Path, "ReferenceName") {
				t.Errorf("Skipped has %+v, want enum:ReferenceName and its enum:ID read", s)
			}
		}
	})
	t.Run("and with an unmapped term makes no indicator", func(t *testing.T) {
		d, err := Decode(strings.NewReader(doc("", `<IndicatorData><Indicator><IndicatorID name="x" version="1">i1</IndicatorID>
<IndicatorExpression operator="and"><Observable><Address category="ipv4-addr">192.0.2.1</Address></Observable>
<Observable><BulkObservable type="http-user-agent"><BulkObservableList>curl</BulkObservableList></BulkObservable></Observable></IndicatorExpression>
</Indicator></IndicatorData>`)))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]int{"ipv4-addr": 1}, countTypes(d.Incidents[0].Objects)); diff != "" {
			t.Errorf("objects by type (-want +got):\n%s", diff)
		}
		if len(d.Skipped) != 1 || d.Skipped[0].Path != "IODEF-Document/Incident/IndicatorData/Indicator" {
			t.Errorf("Skipped = %+v, want the Indicator", d.Skipped)
		}
	})
	t.Run("or leaves out the unmapped term", func(t *testing.T) {
		d, err := Decode(strings.NewReader(doc("", `<IndicatorData><Indicator><IndicatorID name="x" version="1">i1</IndicatorID>
<IndicatorExpression operator="or"><Observable><Address category="ipv4-addr">192.0.2.1</Address></Observable>
<Observable><BulkObservable type="http-user-agent"><BulkObservableList>curl</BulkObservableList></BulkObservable></Observable></IndicatorExpression>
</Indicator></IndicatorData>`)))
		if err != nil {
			t.Fatal(err)
		}
		ind, err := find(d.Incidents[0].Objects, "indicator").Indicator()
		if err != nil {
			t.Fatal(err)
		}
		if ind.Pattern != "[ipv4-addr:value = '192.0.2.1']" {
			t.Errorf("pattern = %s", ind.Pattern)
		}
		want := []Skip{{
			"IODEF-Document/Incident/IndicatorData/Indicator/IndicatorExpression/Observable[2]/BulkObservable",
			"bulk observables of type http-user-agent are not mapped",
		}}
		if diff := cmp.Diff(want, d.Skipped); diff != "" {
			t.Errorf("Skipped (-want +got):\n%s", diff)
		}
	})
}

// TestDecodeLimits: XML bombs and the like are refused before they cost
// anything.
func TestDecodeLimits(t *testing.T) {
	billionLaughs := `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0">&lol3;</IODEF-Document>`
	external := `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0">&e;</IODEF-Document>`
	deep := `<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0">` + strings.Repeat("<EventData>", MaxDepth) + strings.Repeat("</EventData>", MaxDepth) + `</IODEF-Document>`
	many := `<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0">` + strings.Repeat("<a/>", MaxElements) + `</IODEF-Document>`
	big := `<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0"><!--` + strings.Repeat("x", MaxSize) + `--></IODEF-Document>`
	manyAttrs := `<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0"><Incident`
	for i := 0; i <= maxAttrs; i++ {
		manyAttrs += " a" + strconv.Itoa(i) + `="x"`
	}
	manyAttrs += `/></IODEF-Document>`
	for _, tc := range []struct{ name, in, want string }{
		{"billion laughs", billionLaughs, "DTD"},
		{"external entity", external, "DTD"},
		{"deep", deep, "nested deeper than 64"},
		{"many elements", many, "more than 200000 elements"},
		{"large", big, "larger than 8388608 bytes"},
		{"many attributes", manyAttrs, "more than 64 attributes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tc.in))
			if accord.ErrorCode(err) != accord.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode = %v, want EINVALID saying %q", err, tc.want)
			}
		})
	}
}

// TestEncodingXMLEntities confirms what the DTD refusal relies on besides:
// encoding/xml expands only the predefined entities and never resolves an
// external one, so even without the refusal no file would be read.
func TestEncodingXMLEntities(t *testing.T) {
	d := xml.NewDecoder(strings.NewReader(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd"><!ENTITY i "internal">]><x>&e;&i;</x>`))
	var err error
	var text bytes.Buffer
	for {
		var tok xml.Token
		tok, err = d.Token()
		if err != nil {
			break
		}
		if cd, ok := tok.(xml.CharData); ok {
			text.Write(cd)
		}
	}
	var se *xml.SyntaxError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "invalid character entity &e;") {
		t.Errorf("encoding/xml on an external entity: %v, want a syntax error about &e;", err)
	}
	if strings.Contains(text.String(), "root:") {
		t.Errorf("encoding/xml read /etc/passwd: %q", text.String())
	}
}

// TestIndicatorPatterns: the STIX pattern each kind of Observable makes.
func TestIndicatorPatterns(t *testing.T) {
	sha1 := `<HashData scope="file-contents"><Hash><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/><ds:DigestValue>Z1GiU0g6Z9huD4R2D2HxC7zC7f8=</ds:DigestValue></Hash></HashData>`
	tests := []struct{ name, observable, want string }{
		{"System", `<Observable><System><Node><Address category="ipv4-addr">192.0.2.1</Address><DomainData><Name>a.example</Name></DomainData></Node></System></Observable>`,
			"[ipv4-addr:value = '192.0.2.1' OR domain-name:value = 'a.example']"},
		{"network", `<Observable><Address category="ipv6-net">2001:db8::/32</Address></Observable>`,
			"[ipv6-addr:value ISSUBSET '2001:db8::/32']"},
		{"EmailData", `<Observable><EmailData><EmailTo>b@example.org</EmailTo><EmailFrom>a@example.org</EmailFrom><EmailSubject>it's here</EmailSubject></EmailData></Observable>`,
			`[email-message:to_refs[*].value = 'b@example.org' AND email-message:from_ref.value = 'a@example.org' AND email-message:subject = 'it\'s here']`},
		{"Service with EmailData", `<Observable><Service><EmailData><EmailFrom>a@example.org</EmailFrom></EmailData></Service></Observable>`,
			"[email-message:from_ref.value = 'a@example.org']"},
		{"FileData", `<Observable><FileData><File><FileName>x.exe</FileName>` + sha1 + `</File></FileData></Observable>`,
			"[file:hashes.'SHA-1' = '6751a253483a67d86e0f84760f61f10bbcc2edff']"},
		{"file by name", `<Observable><FileData><File><FileName>it's.exe</FileName></File></FileData></Observable>`,
			`[file:name = 'it\'s.exe']`},
		{"registry key", `<Observable><WindowsRegistryKeysModified><Key><KeyName>HKCU\Software\x</KeyName><Value>1</Value></Key></WindowsRegistryKeysModified></Observable>`,
			`[windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\x' AND windows-registry-key:values[*].data = '1']`},
		{"certificate", `<Observable><CertificateData><Certificate><ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>CN=CA</ds:X509IssuerName><ds:X509SerialNumber>42</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data></Certificate></CertificateData></Observable>`,
			"[x509-certificate:serial_number = '42' AND x509-certificate:issuer = 'CN=CA']"},
		{"RecordData", `<Observable><RecordData><FileData><File><FileName>a</FileName></File><File><FileName>b</FileName></File></FileData></RecordData></Observable>`,
			"([file:name = 'a'] OR [file:name = 'b'])"},
		{"bulk mutex", `<Observable><BulkObservable type="mutex"><BulkObservableList>m1
m2</BulkObservableList></BulkObservable></Observable>`, "([mutex:name = 'm1'] OR [mutex:name = 'm2'])"},
		{"references to each kind", `<IndicatorExpression operator="and">
<ObservableReference uid-ref="sys"/><ObservableReference uid-ref="file"/><ObservableReference uid-ref="key"/><ObservableReference uid-ref="cert"/><ObservableReference uid-ref="mail"/>
</IndicatorExpression>`,
			"([ipv4-addr:value = '198.51.100.7'] AND [file:name = 'evil.doc'] AND [windows-registry-key:key = 'HKEY_USERS\\\\x'] AND [x509-certificate:subject = 'CN=evil'] AND [email-message:subject = 'hi'])"},
		{"nested", `<IndicatorExpression operator="or"><IndicatorExpression><Observable><Address category="ipv4-addr">192.0.2.1</Address></Observable><Observable><Address category="ipv4-addr">192.0.2.2</Address></Observable></IndicatorExpression><Observable><Address category="ipv4-addr">192.0.2.3</Address></Observable></IndicatorExpression>`,
			"(([ipv4-addr:value = '192.0.2.1'] AND [ipv4-addr:value = '192.0.2.2']) OR [ipv4-addr:value = '192.0.2.3'])"},
		{"not", `<IndicatorExpression operator="not"><Observable><Address category="ipv4-addr">192.0.2.1</Address></Observable></IndicatorExpression>`, ""},
		{"xor", `<IndicatorExpression operator="xor"><Observable><Address category="ipv4-addr">192.0.2.1</Address></Observable><Observable><Address category="ipv4-addr">192.0.2.2</Address></Observable></IndicatorExpression>`, ""},
		{"IndicatorReference", `<IndicatorReference uid-ref="x"/>`, ""},
		{"reference to an Assessment", `<ObservableReference uid-ref="assess"/>`, ""},
		{"yara pattern", `<Observable><AdditionalData dtype="string" meaning="pattern" formatid="yara">rule a { condition: true }</AdditionalData></Observable>`, "rule a { condition: true }"},
	}
	event := `<Assessment observable-id="assess"><SystemImpact/></Assessment>
<EventData><Flow><System observable-id="sys"><Node><Address category="ipv4-addr">198.51.100.7</Address></Node></System>
<System><Node><Address category="ipv4-addr">198.51.100.8</Address></Node><Service><EmailData observable-id="mail"><EmailSubject>hi</EmailSubject></EmailData></Service></System></Flow>
<Record><RecordData><FileData><File observable-id="file"><FileName>evil.doc</FileName></File></FileData>
<WindowsRegistryKeysModified><Key observable-id="key"><KeyName>HKU\x</KeyName></Key></WindowsRegistryKeysModified>
<CertificateData><Certificate observable-id="cert"><ds:X509Data><ds:X509SubjectName>CN=evil</ds:X509SubjectName></ds:X509Data></Certificate></CertificateData>
</RecordData></Record></EventData>`
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Decode(strings.NewReader(doc("", event+`<IndicatorData><Indicator><IndicatorID name="x" version="1">i1</IndicatorID>`+tc.observable+`</Indicator></IndicatorData>`)))
			if err != nil {
				t.Fatal(err)
			}
			o := find(d.Incidents[0].Objects, "indicator")
			switch {
			case tc.want == "" && o != nil:
				t.Errorf("indicator %s, want none", o.Bytes())
			case tc.want == "":
				last := d.Skipped[len(d.Skipped)-1]
				if last.Path != "IODEF-Document/Incident/IndicatorData/Indicator" || !strings.HasPrefix(last.Reason, "no STIX indicator made: ") {
					t.Errorf("Skipped ends with %+v, want the Indicator", last)
				}
			case o == nil:
				t.Fatalf("no indicator; skipped %+v", d.Skipped)
			default:
				ind, _ := o.Indicator()
				if ind.Pattern != tc.want {
					t.Errorf("pattern\n%s\nwant\n%s", ind.Pattern, tc.want)
				}
			}
		})
	}
}

func TestCaseTitle(t *testing.T) {
	in := Incident{ID: IncidentID{Name: "n", Value: "1"}, TLP: accord.TLPRed, Descriptions: []string{strings.Repeat("é", 400)}}
	c := in.Case()
	if len(c.Title) > accord.MaxSubjectLen || !strings.HasSuffix(c.Title, "…") || !utf8.ValidString(c.Title) {
		t.Errorf("Case().Title of 800 bytes = %q (%d bytes)", c.Title, len(c.Title))
	}
	if err := c.ValidateNew(); err != nil {
		t.Error(err)
	}
	if got := (&Incident{ID: IncidentID{Name: "n", Value: "1"}, TLP: accord.TLPRed}).Case().Title; got != "IODEF incident n#1" {
		t.Errorf("title without descriptions = %q", got)
	}
}
