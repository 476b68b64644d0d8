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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/internal/shareddata"
	"github.com/accord-cyber/accord/stix"
)

// The PyMISP test material is read where it lies (shared/data/misp), never
// copied into the project.
func pymispTests(t testing.TB) string { return shareddata.Path(t, "misp", "pymisp-tests") }

func readShared(t testing.TB, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(shareddata.Path(t, append([]string{"misp"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeString(s string) (*Event, error) { return Decode(strings.NewReader(s)) }

// importDay is the moment of the imports whose result must not depend on
// the day the test runs: an event with neither date nor timestamp is
// dated by it.
var importDay = DecodeOptions{Now: time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)}

func typeCounts(objs []*stix.Object) map[string]int {
	m := map[string]int{}
	for _, o := range objs {
		m[o.Type()]++
	}
	return m
}

// skipSummary counts Skipped by type and reason.
func skipSummary(s []Skip) map[string]int {
	m := map[string]int{}
	for _, k := range s {
		m[k.Type+": "+k.Reason]++
	}
	return m
}

// checkObjects asserts what every import must give: each object passes
// Validate, ids are unique, and every reference (any *_ref or *_refs
// property) names an object of the same import.
func checkObjects(t testing.TB, objs []*stix.Object) {
	t.Helper()
	ids := map[string]bool{}
	for _, o := range objs {
		if err := o.Validate(); err != nil {
			t.Errorf("%s does not validate: %v", o.ID(), err)
		}
		if ids[o.ID()] {
			t.Errorf("id %s appears twice", o.ID())
		}
		ids[o.ID()] = true
	}
	for _, o := range objs {
		for _, n := range o.Names() {
			var refs []string
			switch {
			case strings.HasSuffix(n, "_ref"):
				var r string
				if _, err := o.Get(n, &r); err != nil {
					t.Errorf("%s.%s: %v", o.ID(), n, err)
				}
				refs = []string{r}
			case strings.HasSuffix(n, "_refs"):
				if _, err := o.Get(n, &refs); err != nil {
					t.Errorf("%s.%s: %v", o.ID(), n, err)
				}
			}
			for _, r := range refs {
				if !ids[r] {
					t.Errorf("%s.%s names %s, which the import does not hold", o.ID(), n, r)
				}
			}
		}
	}
}

func byID(objs []*stix.Object) map[string]*stix.Object {
	m := map[string]*stix.Object{}
	for _, o := range objs {
		m[o.ID()] = o
	}
	return m
}

func get[T any](t testing.TB, o *stix.Object, name string) T {
	t.Helper()
	var v T
	if o == nil {
		t.Fatalf("no object to read %s from", name)
	}
	if ok, err := o.Get(name, &v); err != nil || !ok {
		t.Fatalf("%s.%s: present %v, error %v", o.ID(), name, ok, err)
	}
	return v
}

// TestDecodeSharedFiles imports every file of PyMISP's test material.
// Not all of them are events: each is classified here, and a file this
// table does not know fails the test, so that new material gets a
// decision.
func TestDecodeSharedFiles(t *testing.T) {
	tests := map[string]struct {
		what    string         // what the file is
		wantErr string         // the refusal, for files that are not events
		counts  map[string]int // STIX objects by type
		skipped map[string]int // Skipped by type and reason
	}{
		"57c4445b-c548-4654-af0b-4be3950d210f.json": {
			what:   "a MISP export ({\"Event\": …}), published, tlp:white",
			counts: map[string]int{"marking-definition": 1, "identity": 1, "report": 1, "note": 2, "file": 4, "indicator": 5, "relationship": 5, "windows-registry-key": 1},
		},
		"misp_event.json": {
			what:   "a bare event as PyMISP writes it, unpublished, no TLP",
			counts: map[string]int{"identity": 1, "grouping": 1, "url": 1, "note": 1},
		},
		"mispevent_testfiles__attribute_del.json": {
			what:    "a partial event (PyMISP fixture: no uuid, no timestamp) whose only attribute is deleted",
			counts:  map[string]int{"grouping": 1, "note": 1},
			skipped: map[string]int{"filename: deleted in MISP": 1},
		},
		"mispevent_testfiles__event_obj_attr_tag.json": {
			what: "a PyMISP fixture of two objects with placeholder uuids (\"a\", \"b\") and a reference from a to b, " +
				"without the date, timestamp or info the MISP core format requires: dated the day of import, uuids derived",
			counts: map[string]int{"grouping": 1, "file": 1, "url": 1, "indicator": 2, "relationship": 3},
			skipped: map[string]int{
				"Event: the input has neither a date nor a timestamp: dated 2025-03-14, the day of import, as MISP dates an event it adds":                             1,
				`file: uuid "a" is not a UUID: replaced by 9ef74abf-1617-551a-9b2d-b8c6a210e5d6 (derived from the event's uuid and "a"), and so are references to "a"`: 1,
				`url: uuid "b" is not a UUID: replaced by c6c56e76-6661-5f20-9524-a188ccb2af38 (derived from the event's uuid and "b"), and so are references to "b"`:  1,
			},
		},
		"mispevent_testfiles__event_tags.json": {
			what:   "a partial event with tags only: an empty event",
			counts: map[string]int{"grouping": 1, "note": 1},
		},
		"mispevent_testfiles__existing_event.json": {
			what:   "a bare full event: attributes, 49 objects with references, galaxies",
			counts: map[string]int{"marking-definition": 1, "identity": 1, "grouping": 1, "note": 1, "domain-name": 18, "ipv4-addr": 11, "file": 37, "indicator": 56, "relationship": 89, "threat-actor": 1, "malware": 7, "tool": 6},
			skipped: map[string]int{
				`text: relation "state" of MISP object "file" has no STIX mapping`: 37,
			},
		},
		"mispevent_testfiles__galaxy.json": {
			what:    "a galaxy, not an event",
			wantErr: "the input is not a MISP event: it is a MISP galaxy",
		},
		"mispevent_testfiles__proposals.json": {
			what:   "a partial event with proposals on an attribute and on the event",
			counts: map[string]int{"grouping": 1, "file": 1, "indicator": 1, "relationship": 1},
			skipped: map[string]int{
				"filename: a proposal (shadow attribute) that the event's creator has not accepted": 2,
			},
		},
		"mispevent_testfiles__shadow.json": {
			what:   "a full event with proposals on an attribute and on an object's attribute",
			counts: map[string]int{"identity": 1, "grouping": 1, "file": 2, "indicator": 1, "relationship": 1},
			skipped: map[string]int{
				"filename: a proposal (shadow attribute) that the event's creator has not accepted": 2,
				`text: relation "state" of MISP object "file" has no STIX mapping`:                  1,
			},
		},
		"mispevent_testfiles__sighting.json": {
			what:    "one sighting ({timestamp, type, value}), not an event",
			wantErr: "the input is not a MISP event: it has a type and a value, as a MISP attribute or sighting does",
		},
		"mispevent_testfiles__simple.json": {
			what:    "{}, what PyMISP writes for a new, empty MISPEvent: nothing that makes it an event",
			wantErr: "the input is not a MISP event: it is an empty object",
		},
		"reportlab_testfiles__galaxy_1.json": {
			what:   "a MISP export with galaxies MISP has no STIX type for, an attachment and a virustotal-report object",
			counts: map[string]int{"marking-definition": 1, "identity": 1, "grouping": 1, "note": 1, "file": 3, "artifact": 1, "indicator": 2, "relationship": 8, "intrusion-set": 2, "malware": 2, "attack-pattern": 1, "course-of-action": 1},
			skipped: map[string]int{
				`guidelines: no STIX mapping for MISP galaxy "guidelines"`:                                          4,
				`virustotal-report: no STIX mapping for MISP object template "virustotal-report"`:                   1,
				"ObjectReference: its target eefb6d88-9cc1-4d65-b266-b2e82a2464b9 (analysed-with) was not imported": 1,
			},
		},
		"reportlab_testfiles__mainly_objects_1.json": {
			what:   "a MISP export of objects only (file, pe, pe-section, original-imported-file)",
			counts: map[string]int{"marking-definition": 1, "identity": 1, "report": 1, "file": 6, "indicator": 3, "relationship": 3, "malware": 2},
			skipped: map[string]int{
				`original-imported-file: no STIX mapping for MISP object template "original-imported-file"`:       1,
				`pe-section: no STIX mapping for MISP object template "pe-section"`:                               8,
				`pe: no STIX mapping for MISP object template "pe"`:                                               2,
				`float: relation "entropy" of MISP object "file" has no STIX mapping`:                             3,
				`mime-type: relation "mimetype" of MISP object "file" has no STIX mapping`:                        3,
				"ObjectReference: its target 5afacb97-2453-4507-84cf-2e4c5d9c3fa4 (included-in) was not imported": 1,
				"ObjectReference: its target 5dd2cbdd-b576-4e07-970f-dc3c40164068 (included-in) was not imported": 1,
			},
		},
		"reportlab_testfiles__sighting_1.json": {
			what:   "a MISP export with sightings of three types",
			counts: map[string]int{"identity": 2, "report": 1, "malware": 1, "domain-name": 4, "url": 1, "indicator": 5, "relationship": 5, "sighting": 2, "opinion": 3},
			skipped: map[string]int{
				"Sighting: an expiration sighting has no STIX counterpart": 1,
			},
		},
		"search_index_result.json": {
			what:   "MISP's event index: a list of one event's metadata, tagged TLP:GREEN",
			counts: map[string]int{"marking-definition": 1, "identity": 1, "grouping": 1, "note": 1},
		},
		"sharing_groups.json": {
			what:    "a list of sharing groups, not events",
			wantErr: "[0] is not a MISP event: it is a MISP sharing group",
		},
		"stix2.json": {
			what:    "a STIX 2.0 bundle (PyMISP's STIX export), not a MISP event",
			wantErr: "the input is not a MISP event: it is a STIX bundle (import it as STIX)",
		},
	}
	dir := pymispTests(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no MISP test material in %s", dir)
	}
	for _, f := range files {
		name := filepath.Base(f)
		tc, ok := tests[name]
		if !ok {
			t.Errorf("%s: not classified in this test; decide what it is", name)
			continue
		}
		delete(tests, name)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			e, err := DecodeWith(bytes.NewReader(data), importDay)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Decode(%s, %s) = nil error, want %q", name, tc.what, tc.wantErr)
				}
				if got := err.Error(); got != tc.wantErr || accord.ErrorCode(err) != accord.EINVALID {
					t.Fatalf("Decode(%s) error = %q (code %s), want %q (invalid)", name, got, accord.ErrorCode(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%s, %s): %v", name, tc.what, err)
			}
			checkObjects(t, e.Objects)
			if diff := cmp.Diff(tc.counts, typeCounts(e.Objects)); diff != "" {
				t.Errorf("Decode(%s) objects by type (-want +got):\n%s", name, diff)
			}
			want := tc.skipped
			if want == nil {
				want = map[string]int{}
			}
			if diff := cmp.Diff(want, skipSummary(e.Skipped)); diff != "" {
				t.Errorf("Decode(%s).Skipped (-want +got):\n%s", name, diff)
			}
			// The same input gives the same objects, to the byte.
			again, err := DecodeWith(bytes.NewReader(data), importDay)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(objectBytes(e.Objects), objectBytes(again.Objects)); diff != "" {
				t.Errorf("second Decode(%s) differs (-first +second):\n%s", name, diff)
			}
		})
	}
	for name := range tests {
		t.Errorf("%s: in the table but not in %s", name, dir)
	}
}

func objectBytes(objs []*stix.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = string(o.Bytes())
	}
	return out
}

// TestDecodeXorist checks one MISP export value by value: metadata, the
// report, observables with the ids STIX 2.1 section 2.9 gives them
// (computed independently with Python's uuid5 over the canonical JSON),
// indicators, links and TLP.
func TestDecodeXorist(t *testing.T) {
	e, err := Decode(bytes.NewReader(readShared(t, "pymisp-tests", "57c4445b-c548-4654-af0b-4be3950d210f.json")))
	if err != nil {
		t.Fatal(err)
	}
	meta := *e
	meta.Objects, meta.Skipped = nil, nil
	want := Event{
		UUID: "57c4445b-c548-4654-af0b-4be3950d210f", Info: "Ransomware - Xorist",
		Date: time.Date(2016, 8, 29, 0, 0, 0, 0, time.UTC), ThreatLevel: 3, Analysis: 2,
		Org: "CIRCL", OrgUUID: "55f6ea5e-2c60-40e5-964f-47a8950d210f", Published: true,
		Timestamp: time.Unix(1472541011, 0).UTC(), TLP: accord.TLPClear,
		Tags: []string{"tlp:white", `circl:incident-classification="malware"`, `ms-caro-malware:malware-type="Ransom"`, `malware_classification:malware-category="Ransomware"`},
	}
	if diff := cmp.Diff(want, meta); diff != "" {
		t.Errorf("Decode metadata (-want +got):\n%s", diff)
	}
	objs := byID(e.Objects)
	report := objs["report--57c4445b-c548-4654-af0b-4be3950d210f"]
	if got := get[string](t, report, "published"); got != "2016-08-30T09:10:31.000Z" {
		t.Errorf("report published = %s, want the publish_timestamp 2016-08-30T09:10:31.000Z", got)
	}
	if got := get[string](t, report, "created_by_ref"); got != "identity--55f6ea5e-2c60-40e5-964f-47a8950d210f" {
		t.Errorf("report created_by_ref = %s, want CIRCL's identity", got)
	}
	if got, want := report.Labels(), want.Tags[1:]; !slices.Equal(got, want) {
		t.Errorf("report labels = %q, want the tags other than TLP %q", got, want)
	}
	var urls []string
	for _, r := range report.ExternalReferences() {
		urls = append(urls, r.URL)
	}
	if want := []string{
		"https://www.virustotal.com/file/b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68/analysis/1469554268/",
		"http://www.xylibox.com/2011/06/have-fun-with-trojan-ransomwin32xorist.html",
	}; !slices.Equal(urls, want) {
		t.Errorf("report external references = %q, want the two link attributes %q", urls, want)
	}
	if refs := report.ObjectRefs(); len(refs) != len(e.Objects)-3 {
		t.Errorf("report has %d object_refs, want every object but itself, the identity and the marking (%d)", len(refs), len(e.Objects)-3)
	}
	for id, wantJSON := range map[string]string{
		"file--025f0899-9f72-5034-88cb-c26685316730":                 `{"type":"file","spec_version":"2.1","id":"file--025f0899-9f72-5034-88cb-c26685316730","hashes":{"MD5":"0749bae92ca336a02c83d126e04ec628"},"object_marking_refs":["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"]}`,
		"file--deeeb324-9764-53e2-ac38-a6d4117fc313":                 `{"type":"file","spec_version":"2.1","id":"file--deeeb324-9764-53e2-ac38-a6d4117fc313","name":"3Z4wnG9603it23y.exe","object_marking_refs":["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"]}`,
		"windows-registry-key--ec66736c-127d-5670-b524-28882682889d": `{"type":"windows-registry-key","spec_version":"2.1","id":"windows-registry-key--ec66736c-127d-5670-b524-28882682889d","key":"Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Run","values":[{"data":"%TEMP%\\3Z4wnG9603it23y.exe"}],"object_marking_refs":["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"]}`,
	} {
		if got := string(objs[id].Bytes()); got != wantJSON {
			t.Errorf("%s =\n%s\nwant\n%s", id, got, wantJSON)
		}
	}
	ind, err := objs["indicator--57c54b0f-27a4-458b-8e63-4455950d210f"].Indicator()
	if err != nil {
		t.Fatal(err)
	}
	if want := `[windows-registry-key:key = 'Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Run' AND windows-registry-key:values[*].data = '%TEMP%\\3Z4wnG9603it23y.exe']`; ind.Pattern != want {
		t.Errorf("regkey|value indicator pattern = %s, want %s", ind.Pattern, want)
	}
	if got := ind.ValidFrom.String(); got != "2016-08-30T08:59:59.000Z" {
		t.Errorf("indicator valid_from = %s, want the attribute's timestamp", got)
	}
	rel, err := objs["relationship--"+derive("relationship", "indicator--57c54b0f-27a4-458b-8e63-4455950d210f", "based-on", "windows-registry-key--ec66736c-127d-5670-b524-28882682889d")].Relationship()
	if err != nil {
		t.Fatalf("no based-on relationship from the regkey|value indicator to its key: %v", err)
	}
	if rel.RelationshipType != "based-on" {
		t.Errorf("relationship type %s, want based-on", rel.RelationshipType)
	}
	note := objs["note--57c444c0-8004-48fa-9c33-8aca950d210f"]
	if got := get[string](t, note, "content"); got != "UPX packed" {
		t.Errorf("comment attribute's note content = %q, want %q", got, "UPX packed")
	}
	for _, o := range e.Objects {
		if o.Type() == "marking-definition" {
			if o.ID() != stix.TLP2Clear {
				t.Errorf("marking %s, want only TLP:CLEAR (tlp:white)", o.ID())
			}
			continue
		}
		if got := o.ObjectMarkingRefs(); !slices.Equal(got, []string{stix.TLP2Clear}) {
			t.Errorf("%s object_marking_refs = %q, want TLP:CLEAR", o.ID(), got)
		}
	}
}

// TestDecodeSightings checks the sightings, false positives and an
// expiration of one MISP export.
func TestDecodeSightings(t *testing.T) {
	e, err := Decode(bytes.NewReader(readShared(t, "pymisp-tests", "reportlab_testfiles__sighting_1.json")))
	if err != nil {
		t.Fatal(err)
	}
	objs := byID(e.Objects)
	s, err := objs["sighting--5c7641bf-a4e8-4d5d-a653-03240a00020f"].Sighting()
	if err != nil {
		t.Fatal(err)
	}
	want := stix.Sighting{
		SightingOfRef:    "indicator--5b6464ca-e73c-4707-9b8a-d0350acd0835",
		WhereSightedRefs: []string{"identity--5c6983c8-3af8-4304-869c-4800d6c1883c"},
		Count:            new(int),
	}
	*want.Count = 1
	if s.SightingOfRef != want.SightingOfRef || !slices.Equal(s.WhereSightedRefs, want.WhereSightedRefs) || *s.Count != 1 ||
		s.FirstSeen.String() != "2019-02-27T07:52:30.000Z" || s.LastSeen.String() != s.FirstSeen.String() {
		t.Errorf("sighting = %+v, want of %s at %s seen once at 2019-02-27T07:52:30Z", s, want.SightingOfRef, want.WhereSightedRefs)
	}
	if got := objs["identity--5c6983c8-3af8-4304-869c-4800d6c1883c"].Name(); got != "ORGNAME" {
		t.Errorf("sighting organisation name = %q, want ORGNAME", got)
	}
	op := objs["opinion--5c7641db-a9a0-49b0-b536-05f10a00020f"]
	if got := get[string](t, op, "opinion"); got != "strongly-disagree" {
		t.Errorf("false-positive sighting's opinion = %s, want strongly-disagree", got)
	}
	if got := get[string](t, op, "explanation"); got != "MISP sighting: false positive (dede)" {
		t.Errorf("opinion explanation = %q, want the source named", got)
	}
	want2 := []Skip{{Path: "Event.Attribute[3].Sighting[0]", Type: "Sighting", Reason: "an expiration sighting has no STIX counterpart"}}
	if diff := cmp.Diff(want2, e.Skipped); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
	var malware *stix.Object
	for _, o := range e.Objects {
		if o.Type() == "malware" {
			malware = o
		}
	}
	if malware.Name() != "Gozi" || !slices.Equal(malware.Aliases(), []string{"Ursnif", "CRM", "Snifula", "Papras"}) || !get[bool](t, malware, "is_family") {
		t.Errorf("banker cluster = %s, want malware family Gozi with its synonyms as aliases", malware.Bytes())
	}
	if got := objs["report--5b646415-7b48-40d5-86b4-c0070acd0835"].Labels(); !slices.Equal(got, []string{"PasteBin: MALWAREMESSIAGH"}) {
		t.Errorf("report labels = %q, want the one tag that is neither TLP nor galaxy", got)
	}
}

// TestDecodeGalaxies checks the clusters of an event with threat actor,
// tools, exploit kits and malware: one SDO per cluster even where the
// (older) export gives all clusters of a galaxy one uuid, the actor's
// synonyms as aliases, and the actor using each malware and tool.
func TestDecodeGalaxies(t *testing.T) {
	e, err := Decode(bytes.NewReader(readShared(t, "pymisp-tests", "mispevent_testfiles__existing_event.json")))
	if err != nil {
		t.Fatal(err)
	}
	objs := byID(e.Objects)
	actor := objs["threat-actor--7cdff317-a673-4474-84ec-4f1754947823"]
	if actor == nil || actor.Name() != "Sofacy" || len(actor.Aliases()) != 13 {
		t.Fatalf("Sofacy = %v, want threat-actor--<its cluster uuid> with 13 aliases", actor)
	}
	var names []string
	uses := 0
	for _, o := range e.Objects {
		switch o.Type() {
		case "malware", "tool":
			names = append(names, o.Type()+":"+o.Name())
		case "relationship":
			r, _ := o.Relationship()
			if r.RelationshipType == "uses" {
				uses++
				if r.SourceRef != actor.ID() {
					t.Errorf("uses relationship from %s, want from Sofacy", r.SourceRef)
				}
			}
		}
	}
	sort.Strings(names)
	want := []string{"malware:ADVSTORESHELL", "malware:CHOPSTICK", "malware:Downdelph", "malware:JHUHUGIT", "malware:USBStealer", "malware:XAgentOSX", "malware:XTunnel",
		"tool:DealersChoice", "tool:EVILTOSS", "tool:GAMEFISH", "tool:Sednit EK", "tool:X-Agent", "tool:X-Tunnel"}
	if !slices.Equal(names, want) {
		t.Errorf("clusters = %q, want %q", names, want)
	}
	if uses != len(want) {
		t.Errorf("%d uses relationships, want one from the actor to each of %d malware and tools", uses, len(want))
	}
	// An object reference becomes a relationship between what the objects
	// became: a file communicating with a domain.
	r, err := objs["relationship--5a3cdba2-2fdc-4f9a-a4eb-4dae950d210f"].Relationship()
	if err != nil {
		t.Fatal(err)
	}
	if r.RelationshipType != "communicates-with" || stix.IDType(r.SourceRef) != "file" || stix.IDType(r.TargetRef) != "domain-name" {
		t.Errorf("object reference = %+v, want a file communicates-with a domain-name", r)
	}
}

// TestDecodeForms reads one event wrapped, bare, in a list and in a REST
// response: the same objects each time.
func TestDecodeForms(t *testing.T) {
	ev := `{"uuid":"5758ebf5-c898-48e6-9fe9-5665c0a83866","info":"x","date":"2024-01-02","timestamp":"1704153600","Attribute":[{"type":"ip-dst","category":"Network activity","value":"198.51.100.7","to_ids":true,"uuid":"5758ebf5-0000-48e6-9fe9-5665c0a83866"}]}`
	forms := map[string]string{
		"wrapped":  `{"Event":` + ev + `}`,
		"bare":     ev,
		"list":     `[` + ev + `]`,
		"response": `{"response":[{"Event":` + ev + `}]}`,
	}
	var first []string
	for _, name := range []string{"wrapped", "bare", "list", "response"} {
		e, err := decodeString(forms[name])
		if err != nil {
			t.Fatalf("Decode(%s): %v", name, err)
		}
		got := objectBytes(e.Objects)
		if first == nil {
			first = got
			if diff := cmp.Diff(map[string]int{"grouping": 1, "ipv4-addr": 1, "indicator": 1, "relationship": 1}, typeCounts(e.Objects)); diff != "" {
				t.Errorf("Decode(%s) (-want +got):\n%s", name, diff)
			}
			continue
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("Decode(%s) differs from Decode(wrapped):\n%s", name, diff)
		}
	}
	all, err := DecodeAll(strings.NewReader(`{"response":[{"Event":` + ev + `},` + strings.Replace(ev, "5758ebf5-c898", "6758ebf5-c898", 1) + `]}`))
	if err != nil || len(all) != 2 {
		t.Fatalf("DecodeAll(response of 2) = %d events, %v; want 2", len(all), err)
	}
	if all[1].UUID != "6758ebf5-c898-48e6-9fe9-5665c0a83866" {
		t.Errorf("DecodeAll second event uuid = %s", all[1].UUID)
	}
	one, err := DecodeAll(strings.NewReader(forms["wrapped"]))
	if err != nil || len(one) != 1 {
		t.Errorf("DecodeAll(one event) = %d events, %v; want 1", len(one), err)
	}
}

// sample gives a valid value for each attribute type Decode maps.
func sample(typ string) string {
	hexOf := func(n int) string { return strings.Repeat("a1", n/2) }
	if h, ok := hashTypes[typ]; ok {
		switch typ {
		case "ssdeep":
			return "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"
		case "tlsh":
			return "T1" + strings.ToUpper(hexOf(70))
		}
		return hexOf(h.hex)
	}
	if t, ok := strings.CutPrefix(typ, "filename|"); ok {
		return "payload.exe|" + sample(t)
	}
	return map[string]string{
		"ip-src": "198.51.100.1", "ip-dst": "2001:db8::1", "ip-src|port": "198.51.100.2|8080",
		"ip-dst|port": "198.51.100.3|443", "hostname": "host.example.com", "domain": "example.org",
		"domain|ip": "example.net|198.51.100.4", "hostname|port": "mail.example.com|25",
		"url": "https://example.com/x", "link": "https://blog.example.com/post",
		"email": "a@example.com", "email-src": "b@example.com", "email-dst": "c@example.com",
		"email-reply-to": "d@example.com", "target-email": "e@example.com",
		"whois-registrant-email": "f@example.com", "dns-soa-email": "g@example.com",
		"email-subject": "Invoice", "email-body": "Please pay", "email-attachment": "invoice.pdf.exe",
		"filename": "evil.exe", "malware-sample": "evil.exe|" + hexOf(32), "attachment": "shot.png",
		"regkey": `HKLM\Software\Evil`, "regkey|value": `HKLM\Software\Run|evil.exe`,
		"mutex": `Global\evil`, "AS": "AS64500", "mac-address": "00:1A:2B:3C:4D:5E",
		"x509-fingerprint-md5": hexOf(32), "x509-fingerprint-sha1": hexOf(40), "x509-fingerprint-sha256": hexOf(64),
		"vulnerability": "CVE-2021-44228", "threat-actor": "APT0", "campaign-name": "Operation X",
		"yara": "rule x { condition: true }", "snort": `alert tcp any any -> any 80 (msg:"x"; sid:1;)`,
		"suricata": `alert http any any -> any any (msg:"x"; sid:2;)`, "sigma": "title: x\ndetection:\n  condition: x",
		"stix2-pattern": "[ipv4-addr:value = '198.51.100.9']", "text": "some text", "comment": "a comment",
	}[typ]
}

// TestDecodeEveryType imports one attribute of each of the types of
// MISP's describeTypes (shared/data/misp/pymisp-schema): the types Decode
// maps convert, and Skipped lists exactly the others.
func TestDecodeEveryType(t *testing.T) {
	var dt struct {
		Result struct {
			Types []string `json:"types"`
		} `json:"result"`
	}
	if err := json.Unmarshal(readShared(t, "pymisp-schema", "describeTypes.json"), &dt); err != nil {
		t.Fatal(err)
	}
	types := dt.Result.Types
	for typ := range attributeTypes {
		if !slices.Contains(types, typ) {
			t.Errorf("Decode maps %q, which is not a MISP attribute type", typ)
		}
	}
	var attrs []map[string]any
	var wantSkipped []Skip
	for i, typ := range types {
		v := sample(typ)
		if _, ok := attributeTypes[typ]; !ok {
			v = "anything"
			wantSkipped = append(wantSkipped, Skip{Path: fmt.Sprintf("Event.Attribute[%d]", i), Type: typ,
				Reason: fmt.Sprintf("no STIX mapping for MISP attribute type %q", typ)})
		} else if v == "" {
			t.Fatalf("no sample value for %s", typ)
		}
		a := map[string]any{"type": typ, "value": v, "to_ids": true, "category": "Other",
			"uuid": fmt.Sprintf("5c000000-0000-4000-8000-%012d", i), "timestamp": "1704153600"}
		if typ == "attachment" {
			a["data"] = "aGVsbG8="
		}
		attrs = append(attrs, a)
	}
	ev, _ := json.Marshal(map[string]any{"Event": map[string]any{
		"uuid": "5c000000-0000-4000-8000-ffffffffffff", "info": "every type", "date": "2024-01-02",
		"Attribute": attrs,
	}})
	e, err := Decode(bytes.NewReader(ev))
	if err != nil {
		t.Fatalf("Decode(every type): %v", err)
	}
	checkObjects(t, e.Objects)
	if diff := cmp.Diff(wantSkipped, e.Skipped); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
	// Every mapped type left its mark: an indicator (to_ids is set), a
	// note, a domain object or an external reference.
	objs := byID(e.Objects)
	for i, typ := range types {
		if _, ok := attributeTypes[typ]; !ok {
			continue
		}
		u := fmt.Sprintf("5c000000-0000-4000-8000-%012d", i)
		found := false
		for _, p := range []string{"indicator", "note", "vulnerability", "threat-actor", "campaign"} {
			found = found || objs[p+"--"+u] != nil
		}
		if !found && typ != "link" {
			t.Errorf("%s: no indicator, note or domain object named by its uuid", typ)
		}
	}
}

// TestDecodeMappings checks the STIX a few attributes become.
func TestDecodeMappings(t *testing.T) {
	tests := []struct {
		typ, value string
		pattern    string
		scos       []string // the observables, as JSON without id
	}{
		{"ip-dst|port", "198.51.100.7|443",
			"[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]",
			[]string{`{"type":"network-traffic","spec_version":"2.1","dst_ref":"ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db","dst_port":443,"protocols":["ipv4"]}`, `{"type":"ipv4-addr","spec_version":"2.1","value":"198.51.100.7"}`}},
		{"domain|ip", "example.com|2001:db8::7",
			"[domain-name:value = 'example.com' AND domain-name:resolves_to_refs[*].value = '2001:db8::7']", nil},
		{"filename|sha256", "a b.exe|" + strings.Repeat("0f", 32),
			"[file:name = 'a b.exe' AND file:hashes.'SHA-256' = '" + strings.Repeat("0f", 32) + "']", nil},
		{"AS", "as3356", "[autonomous-system:number = 3356]",
			[]string{`{"type":"autonomous-system","spec_version":"2.1","number":3356}`}},
		{"mac-address", "00-1A-2B-3C-4D-5E", "[mac-addr:value = '00:1a:2b:3c:4d:5e']", nil},
		{"tlsh", "T1" + strings.Repeat("A", 70), "[file:hashes.'TLSH' = '" + strings.Repeat("A", 70) + "']", nil},
		{"regkey", `hkcu\Software\x`, `[windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\x']`, nil},
		{"url", "http://example.com/it's", `[url:value = 'http://example.com/it\'s']`, nil},
		{"x509-fingerprint-sha1", "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67",
			"[x509-certificate:hashes.'SHA-1' = '0123456789abcdef0123456789abcdef01234567']", nil},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			ev, _ := json.Marshal(map[string]any{"info": "x", "date": "2024-01-02", "Attribute": []any{map[string]any{
				"type": tc.typ, "value": tc.value, "to_ids": true, "uuid": "5c000000-0000-4000-8000-000000000001"}}})
			e, err := Decode(bytes.NewReader(ev))
			if err != nil {
				t.Fatal(err)
			}
			checkObjects(t, e.Objects)
			ind, err := byID(e.Objects)["indicator--5c000000-0000-4000-8000-000000000001"].Indicator()
			if err != nil {
				t.Fatal(err)
			}
			if ind.Pattern != tc.pattern {
				t.Errorf("pattern = %s, want %s", ind.Pattern, tc.pattern)
			}
			var scos []string
			for _, o := range e.Objects {
				if stix.HasIDContributing(o.Type()) {
					c := o.Clone()
					c.Delete("id")
					scos = append(scos, string(c.Bytes()))
				}
			}
			if tc.scos != nil {
				if diff := cmp.Diff(tc.scos, scos); diff != "" {
					t.Errorf("observables (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestDecodeTLP checks that the event's TLP marks every object and an
// attribute's own, stricter TLP the objects made of it.
func TestDecodeTLP(t *testing.T) {
	e, err := decodeString(`{"Event":{"info":"x","date":"2024-01-02","Tag":[{"name":"TLP:GREEN"},{"name":"tlp:amber"}],
		"Attribute":[
			{"type":"domain","value":"red.example","to_ids":true,"uuid":"5c000000-0000-4000-8000-000000000001","Tag":[{"name":"tlp:red"}]},
			{"type":"domain","value":"amber.example","to_ids":true,"uuid":"5c000000-0000-4000-8000-000000000002","Tag":[{"name":"tlp:clear"}]}]}}`)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, e.Objects)
	if e.TLP != accord.TLPAmber {
		t.Errorf("event TLP = %q, want amber, the stricter of its two tlp tags", e.TLP)
	}
	for _, o := range e.Objects {
		if o.Type() == "marking-definition" {
			continue
		}
		want := stix.TLP2Amber
		if strings.Contains(string(o.Bytes()), "red.example") || strings.HasSuffix(o.ID(), "0001") ||
			o.Type() == "relationship" && strings.Contains(string(o.Bytes()), "0001") {
			want = stix.TLP2Red
		}
		if got := o.ObjectMarkingRefs(); !slices.Equal(got, []string{want}) {
			t.Errorf("%s marked %q, want %s", o.ID(), got, want)
		}
	}
	if c := typeCounts(e.Objects)["marking-definition"]; c != 2 {
		t.Errorf("%d marking definitions, want amber and red", c)
	}
}

// TestDecodeObjects converts one object of each supported template.
func TestDecodeObjects(t *testing.T) {
	obj := func(name, u string, attrs ...[3]string) map[string]any {
		var l []any
		for i, a := range attrs {
			l = append(l, map[string]any{"object_relation": a[0], "type": a[1], "value": a[2], "to_ids": true,
				"uuid": fmt.Sprintf("%s-%012d", u[:23], i+100)})
		}
		return map[string]any{"name": name, "uuid": u, "Attribute": l}
	}
	objects := []any{
		obj("file", "5c000000-0000-4000-8000-000000000001", [3]string{"filename", "filename", "a.exe"}, [3]string{"md5", "md5", strings.Repeat("ab", 16)},
			[3]string{"sha256", "sha256", strings.Repeat("cd", 32)}, [3]string{"size-in-bytes", "size-in-bytes", "1024"}, [3]string{"state", "text", "Malicious"}),
		obj("domain-ip", "5c000000-0000-4000-8000-000000000002", [3]string{"domain", "domain", "c2.example"}, [3]string{"ip", "ip-dst", "198.51.100.1"}, [3]string{"ip", "ip-dst", "198.51.100.2"}),
		obj("url", "5c000000-0000-4000-8000-000000000003", [3]string{"url", "url", "https://c2.example/gate.php"}, [3]string{"host", "hostname", "c2.example"}),
		obj("ip-port", "5c000000-0000-4000-8000-000000000004", [3]string{"ip", "ip-dst", "198.51.100.3"}, [3]string{"dst-port", "port", "8443"}),
		obj("network-connection", "5c000000-0000-4000-8000-000000000005", [3]string{"ip-src", "ip-src", "10.0.0.1"}, [3]string{"ip-dst", "ip-dst", "198.51.100.4"},
			[3]string{"dst-port", "port", "53"}, [3]string{"layer4-protocol", "text", "UDP"}),
		obj("email", "5c000000-0000-4000-8000-000000000006", [3]string{"from", "email-src", "x@example.com"}, [3]string{"to", "email-dst", "y@example.com"},
			[3]string{"subject", "email-subject", "Invoice"}),
		obj("registry-key", "5c000000-0000-4000-8000-000000000007", [3]string{"key", "regkey", `HKLM\Software\Run`}, [3]string{"name", "text", "evil"},
			[3]string{"data", "text", `C:\evil.exe`}, [3]string{"data-type", "text", "REG_SZ"}),
		obj("x509", "5c000000-0000-4000-8000-000000000008", [3]string{"x509-fingerprint-sha1", "x509-fingerprint-sha1", strings.Repeat("ef", 20)},
			[3]string{"serial-number", "text", "01"}, [3]string{"validity-not-before", "datetime", "2024-01-01T00:00:00+00:00"}),
		obj("asn", "5c000000-0000-4000-8000-000000000009", [3]string{"asn", "AS", "64500"}, [3]string{"description", "text", "Example"}),
		obj("pe", "5c000000-0000-4000-8000-00000000000a", [3]string{"number-sections", "counter", "3"}),
	}
	objects[0].(map[string]any)["ObjectReference"] = []any{
		map[string]any{"relationship_type": "communicates-with", "referenced_uuid": "5c000000-0000-4000-8000-000000000002", "uuid": "5c000000-0000-4000-8000-0000000000ff"},
		map[string]any{"relationship_type": "included-in", "referenced_uuid": "5c000000-0000-4000-8000-00000000000a"},
	}
	ev, _ := json.Marshal(map[string]any{"info": "objects", "date": "2024-01-02", "Object": objects})
	e, err := Decode(bytes.NewReader(ev))
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, e.Objects)
	objs := byID(e.Objects)
	patterns := map[string]string{}
	for _, o := range e.Objects {
		if o.Type() == "indicator" {
			ind, _ := o.Indicator()
			patterns[o.ID()] = ind.Pattern
		}
	}
	want := map[string]string{
		"indicator--5c000000-0000-4000-8000-000000000001": "[file:name = 'a.exe' AND file:hashes.'MD5' = 'abababababababababababababababab' AND file:hashes.'SHA-256' = '" + strings.Repeat("cd", 32) + "' AND file:size = 1024]",
		"indicator--5c000000-0000-4000-8000-000000000002": "[(domain-name:resolves_to_refs[*].value = '198.51.100.1' OR domain-name:resolves_to_refs[*].value = '198.51.100.2') AND domain-name:value = 'c2.example']",
		"indicator--5c000000-0000-4000-8000-000000000003": "[url:value = 'https://c2.example/gate.php']",
		"indicator--5c000000-0000-4000-8000-000000000004": "[network-traffic:dst_ref.value = '198.51.100.3' AND network-traffic:dst_port = 8443]",
		"indicator--5c000000-0000-4000-8000-000000000005": "[network-traffic:src_ref.value = '10.0.0.1' AND network-traffic:dst_ref.value = '198.51.100.4' AND network-traffic:dst_port = 53 AND network-traffic:protocols[*] = 'udp']",
		"indicator--5c000000-0000-4000-8000-000000000006": "[email-message:from_ref.value = 'x@example.com' AND email-message:to_refs[*].value = 'y@example.com' AND email-message:subject = 'Invoice']",
		"indicator--5c000000-0000-4000-8000-000000000007": `[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\Software\\Run' AND windows-registry-key:values[*].name = 'evil' AND windows-registry-key:values[*].data = 'C:\\evil.exe' AND windows-registry-key:values[*].data_type = 'REG_SZ']`,
		"indicator--5c000000-0000-4000-8000-000000000008": "[x509-certificate:hashes.'SHA-1' = '" + strings.Repeat("ef", 20) + "' AND x509-certificate:serial_number = '01']",
		"indicator--5c000000-0000-4000-8000-000000000009": "[autonomous-system:number = 64500]",
	}
	if diff := cmp.Diff(want, patterns); diff != "" {
		t.Errorf("object indicators (-want +got):\n%s", diff)
	}
	ref, err := objs["relationship--5c000000-0000-4000-8000-0000000000ff"].Relationship()
	if err != nil {
		t.Fatal(err)
	}
	if stix.IDType(ref.SourceRef) != "file" || stix.IDType(ref.TargetRef) != "domain-name" || ref.RelationshipType != "communicates-with" {
		t.Errorf("object reference = %+v, want file communicates-with domain-name", ref)
	}
	wantSkipped := map[string]int{
		`text: relation "state" of MISP object "file" has no STIX mapping`:                                1,
		`hostname: relation "host" of MISP object "url" has no STIX mapping`:                              1,
		`pe: no STIX mapping for MISP object template "pe"`:                                               1,
		"ObjectReference: its target 5c000000-0000-4000-8000-00000000000a (included-in) was not imported": 1,
	}
	if diff := cmp.Diff(wantSkipped, skipSummary(e.Skipped)); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
}

// TestDecodeAttributeGalaxy relates an attribute's cluster to its
// indicator (indicates) or, for an observable only, to it (related-to).
func TestDecodeAttributeGalaxy(t *testing.T) {
	e, err := decodeString(`{"info":"x","date":"2024-01-02","Attribute":[
		{"type":"domain","value":"c2.example","to_ids":true,"uuid":"5c000000-0000-4000-8000-000000000001",
		 "Galaxy":[{"type":"mitre-attack-pattern","GalaxyCluster":[{"value":"Spearphishing Link - T1566.002","uuid":"2b742742-28c3-4e1b-bab7-8350d6300fa7"}]}]},
		{"type":"domain","value":"other.example","to_ids":false,"uuid":"5c000000-0000-4000-8000-000000000002",
		 "Tag":[{"name":"misp-galaxy:ransomware=\"WannaCry\""}]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, e.Objects)
	var got []string
	for _, o := range e.Objects {
		if o.Type() == "relationship" {
			r, _ := o.Relationship()
			got = append(got, stix.IDType(r.SourceRef)+" "+r.RelationshipType+" "+stix.IDType(r.TargetRef))
		}
	}
	sort.Strings(got)
	want := []string{"domain-name related-to malware", "indicator based-on domain-name", "indicator indicates attack-pattern"}
	if !slices.Equal(got, want) {
		t.Errorf("relationships = %q, want %q", got, want)
	}
	ap := byID(e.Objects)["attack-pattern--2b742742-28c3-4e1b-bab7-8350d6300fa7"]
	if refs := ap.ExternalReferences(); len(refs) != 1 || refs[0].SourceName != "mitre-attack" || refs[0].ExternalID != "T1566.002" {
		t.Errorf("attack pattern external references = %+v, want mitre-attack T1566.002", refs)
	}
}

// TestDecodeInvalid checks that wrong input is refused whole, with an
// EINVALID error naming the place.
func TestDecodeInvalid(t *testing.T) {
	attr := func(typ, value string) string {
		return `{"Event":{"info":"x","date":"2024-01-02","Attribute":[{"type":"` + typ + `","value":` + value + `}]}}`
	}
	objTag, err := os.ReadFile(filepath.Join(pymispTests(t), "mispevent_testfiles__event_obj_attr_tag.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's reference names "c", which no element of it carries.
	objTagDangling := strings.Replace(string(objTag), `"referenced_uuid": "b"`, `"referenced_uuid": "c"`, 1)
	tests := []struct {
		name, input, want string
		all               bool // DecodeAll rather than Decode
	}{
		{"not JSON", `{"Event": {`, "MISP input is not JSON: it ends early", false},
		{"trailing data", `{"Event":{"info":"x","date":"2024-01-02"}} {}`, "MISP input is not JSON: data after the first JSON value", false},
		{"string", `"event"`, "the input is a string, not a MISP event", false},
		{"not UTF-8", "{\"info\":\"\xff\"}", "MISP input is not valid UTF-8", false},
		{"two events for Decode", `[{"info":"a","date":"2024-01-01"},{"info":"b","date":"2024-01-01"}]`, "the input is a list of 2 MISP events; Decode reads one (DecodeAll reads lists)", false},
		{"repeated key", `{"Event":{"info":"a","info":"b","date":"2024-01-01"}}`, "Event.info: appears twice in one object", false},
		{"deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), "MISP input is nested deeper than 64 levels at " + strings.Repeat("[0]", 65), false},
		{"Event not an object", `{"Event":[]}`, "Event: must be an object, not a list", false},
		{"bad date", `{"Event":{"info":"x","date":"02/01/2024"}}`, `Event.date: "02/01/2024" is not a date (YYYY-MM-DD)`, false},
		// The event's uuid names the event in every import and export
		// (report--<uuid>); a malformed one is not replaced. Nor are the
		// uuids of organisations and galaxy clusters, which name the same
		// thing across events.
		{"bad event uuid", `{"Event":{"info":"x","date":"2024-01-02","uuid":"xyz"}}`, `Event.uuid: "xyz" is not a UUID`, false},
		{"bad Orgc uuid", `{"Event":{"info":"x","date":"2024-01-02","Orgc":{"name":"o","uuid":"5c000000-0000-4000-8000-00000000001"}}}`, `Event.Orgc.uuid: "5c000000-0000-4000-8000-00000000001" is not a UUID`, false},
		{"bad cluster uuid", `{"Event":{"info":"x","date":"2024-01-02","Galaxy":[{"type":"tool","GalaxyCluster":[{"value":"t","uuid":"t"}]}]}}`, `Event.Galaxy[0].GalaxyCluster[0].uuid: "t" is not a UUID`, false},
		{"attribute uuid not a string", `{"Event":{"info":"x","date":"2024-01-02","Attribute":[{"type":"domain","value":"a.example","uuid":["a"]}]}}`, "Event.Attribute[0].uuid: must be a string, not a list", false},
		{"bad threat level", `{"Event":{"info":"x","date":"2024-01-02","threat_level_id":"9"}}`, `Event.threat_level_id: "9" is not one of 1 to 4`, false},
		{"Attribute not a list", `{"Event":{"info":"x","date":"2024-01-02","Attribute":{}}}`, "Event.Attribute: must be a list, not an object", false},
		{"attribute without type", `{"Event":{"info":"x","date":"2024-01-02","Attribute":[{"value":"a"}]}}`, "Event.Attribute[0].type: is required", false},
		{"attribute without value", `{"Event":{"info":"x","date":"2024-01-02","Attribute":[{"type":"domain"}]}}`, "Event.Attribute[0].value: is required", false},
		{"bad timestamp", `{"Event":{"info":"x","date":"2024-01-02","Attribute":[{"type":"domain","value":"a.example","timestamp":"yesterday"}]}}`, `Event.Attribute[0].timestamp: "yesterday" is not a Unix timestamp (seconds since 1970)`, false},
		{"bad IP", `{"Event":{"info":"x","date":"2024-01-02","Attribute":[
			{"type":"domain","value":"a.example"},{"type":"text","value":"t"},{"type":"comment","value":"c"},
			{"type":"ip-dst","value":"999.1.1.1"}]}}`, `Event.Attribute[3].value: "999.1.1.1" is not an IP address`, false},
		{"bad port", attr("ip-dst|port", `"198.51.100.1|70000"`), `Event.Attribute[0].value: "198.51.100.1|70000" does not end in a port number (0 to 65535)`, false},
		{"composite without bar", attr("domain|ip", `"example.com"`), `Event.Attribute[0].value: "example.com" is not of the form domain|IP`, false},
		{"bad md5", attr("md5", `"abc"`), `Event.Attribute[0].value: "abc" is not a md5 hash (32 hexadecimal digits)`, false},
		{"bad domain", attr("domain", `"exa mple.com"`), `Event.Attribute[0].value: does not make a valid STIX domain-name: value: "exa mple.com" is not a domain name`, false},
		{"relative URL", attr("url", `"example.com/x"`), `Event.Attribute[0].value: "example.com/x" is not an absolute URL`, false},
		{"bad email", attr("email-src", `"nobody"`), `Event.Attribute[0].value: does not make a valid STIX email-addr: value: "nobody" is not an email address (local@domain)`, false},
		{"bad AS", attr("AS", `"ASx"`), `Event.Attribute[0].value: "ASx" is not an autonomous system number`, false},
		{"bad STIX pattern", attr("stix2-pattern", `"[ipv4-addr:value = ]"`), `Event.Attribute[0].value: does not make a valid STIX indicator: pattern: `, false},
		{"value not a string", attr("domain", `{"a":1}`), "Event.Attribute[0].value: must be a string, not an object", false},
		{"bad to_ids", `{"Event":{"info":"x","date":"2024-01-02","Attribute":[{"type":"domain","value":"a.example","to_ids":"maybe"}]}}`, `Event.Attribute[0].to_ids: "maybe" is not a boolean`, false},
		{"uuid twice", `{"Event":{"info":"x","date":"2024-01-02","Attribute":[
			{"type":"domain","value":"a.example","to_ids":true,"uuid":"5c000000-0000-4000-8000-000000000001"},
			{"type":"domain","value":"b.example","to_ids":true,"uuid":"5c000000-0000-4000-8000-000000000001"}]}}`,
			"Event.Attribute[1]: has the uuid of another element of the event (indicator--5c000000-0000-4000-8000-000000000001)", false},
		{"object attribute", `{"Event":{"info":"x","date":"2024-01-02","Object":[{"name":"domain-ip","Attribute":[
			{"object_relation":"domain","type":"domain","value":"a.example"},{"object_relation":"ip","type":"ip-dst","value":"1.2.3.999"}]}]}}`,
			`Event.Object[0].Attribute[1].value: "1.2.3.999" is not an IP address`, false},
		// A placeholder uuid ("a") is replaced, but a reference must
		// name an element of the event.
		{"PyMISP fixture referring to nothing", objTagDangling, `Event.Object[0].ObjectReference[0].referenced_uuid: "c" is not a UUID, nor the placeholder uuid of an attribute or object of the event`, false},
		{"sighting of nothing", `{"Event":{"info":"x","date":"2024-01-02","Attribute":[{"type":"domain","value":"a.example","to_ids":true,"uuid":"a"}],
			"Sighting":[{"type":"0","date_sighting":"1704153600","attribute_uuid":"b"}]}}`,
			`Event.Sighting[0].attribute_uuid: "b" is not a UUID, nor the placeholder uuid of an attribute or object of the event`, false},
		{"galaxy cluster without value", `{"Event":{"info":"x","date":"2024-01-02","Galaxy":[{"type":"tool","GalaxyCluster":[{"uuid":""}]}]}}`, "Event.Galaxy[0].GalaxyCluster[0].value: is required", false},
		{"sighting without date", `{"Event":{"info":"x","date":"2024-01-02","Attribute":[{"type":"domain","value":"a.example","to_ids":true,"Sighting":[{"type":"0"}]}]}}`, "Event.Attribute[0].Sighting[0].date_sighting: is required", false},
		{"response member", `{"response":[{"Event":{"info":"a","date":"2024-01-01"}},{"Event":{"info":"b","date":"2024-01-01","Attribute":[{"type":"ip-src","value":"1.2.3"}]}}]}`,
			`response[1].Event.Attribute[0].value: "1.2.3" is not an IP address`, true},
		{"list member not an event", `[{"info":"a","date":"2024-01-01"},{"name":"x"}]`, "[1] is not a MISP event: it has none of the keys of an event (info, uuid, date, Attribute, Object, Tag)", true},
		{"response not a list", `{"response":{}}`, "response: must be a list of MISP events, not an object", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.all {
				_, err = DecodeAll(strings.NewReader(tc.input))
			} else {
				_, err = decodeString(tc.input)
			}
			if err == nil {
				t.Fatalf("Decode(%s) = nil error, want %q", tc.name, tc.want)
			}
			var ae *accord.Error
			if !errors.As(err, &ae) || ae.Code != accord.EINVALID {
				t.Errorf("Decode(%s) error %v is not an *accord.Error with code invalid", tc.name, err)
			}
			if got := err.Error(); got != tc.want && !(strings.HasSuffix(tc.want, ": ") && strings.HasPrefix(got, tc.want)) {
				t.Errorf("Decode(%s) error =\n%q\nwant\n%q", tc.name, got, tc.want)
			}
		})
	}
}

// TestDocumentation checks that doc.go's tables name every attribute type
// and object template Decode maps, and count the unsupported types right.
func TestDocumentation(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for typ := range attributeTypes {
		if strings.HasPrefix(typ, "filename|") {
			continue // "filename|<each of those hashes>"
		}
		if !strings.Contains(text, typ) {
			t.Errorf("doc.go does not name the attribute type %s", typ)
		}
	}
	for name := range objectTemplates {
		if !strings.Contains(text, "//\t"+name) && !strings.Contains(text, "  "+name) {
			t.Errorf("doc.go's object table does not name %s", name)
		}
	}
	var dt struct {
		Result struct {
			Types []string `json:"types"`
		} `json:"result"`
	}
	if err := json.Unmarshal(readShared(t, "pymisp-schema", "describeTypes.json"), &dt); err != nil {
		t.Fatal(err)
	}
	others := len(dt.Result.Types) - len(attributeTypes)
	if want := fmt.Sprintf("other %d types of MISP's describeTypes", others); !strings.Contains(text, want) {
		t.Errorf("doc.go does not say %q", want)
	}
}

// TestDecodeMergesObservables: one observable from two attributes is one
// object, whose domain resolves to the addresses of both.
func TestDecodeMergesObservables(t *testing.T) {
	e, err := decodeString(`{"info":"x","date":"2024-01-02","Attribute":[
		{"type":"domain|ip","value":"c2.example|198.51.100.1"},
		{"type":"domain|ip","value":"c2.example|198.51.100.2"},
		{"type":"domain","value":"c2.example"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, e.Objects)
	if diff := cmp.Diff(map[string]int{"grouping": 1, "domain-name": 1, "ipv4-addr": 2}, typeCounts(e.Objects)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	for _, o := range e.Objects {
		if o.Type() == "domain-name" {
			if refs := get[[]string](t, o, "resolves_to_refs"); len(refs) != 2 {
				t.Errorf("c2.example resolves to %q, want both addresses", refs)
			}
		}
	}
}

// TestDecodeImportDay: an event with neither date nor timestamp is dated
// midnight UTC of the day of import, as MISP dates an event it adds, and
// says so in Skipped; on one day every import of it is the same, to the
// byte, and on another only the dates differ. PyMISP's fixture of
// objects with placeholder uuids is such an event.
func TestDecodeImportDay(t *testing.T) {
	data := readShared(t, "pymisp-tests", "mispevent_testfiles__event_obj_attr_tag.json")
	decode := func(now time.Time) *Event {
		t.Helper()
		e, err := DecodeWith(bytes.NewReader(data), DecodeOptions{Now: now})
		if err != nil {
			t.Fatalf("DecodeWith(Now %s): %v", now, err)
		}
		checkObjects(t, e.Objects)
		return e
	}
	morning := decode(time.Date(2025, 3, 14, 0, 0, 1, 0, time.UTC))
	// 23:59 UTC, given in another zone where it is already the 15th.
	evening := decode(time.Date(2025, 3, 15, 1, 59, 0, 0, time.FixedZone("CEST", 2*3600)))
	if want := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC); !morning.Date.Equal(want) || morning.Date.Location() != time.UTC {
		t.Errorf("DecodeWith(2025-03-14T00:00:01Z).Date = %s, want %s", morning.Date, want)
	}
	if diff := cmp.Diff(objectBytes(morning.Objects), objectBytes(evening.Objects)); diff != "" {
		t.Errorf("two imports on 2025-03-14 differ (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(morning.Skipped, evening.Skipped); diff != "" {
		t.Errorf("two imports on 2025-03-14 skip differently (-first +second):\n%s", diff)
	}
	if want := (Skip{Path: "Event", Type: "Event", Reason: "the input has neither a date nor a timestamp: dated 2025-03-14, the day of import, as MISP dates an event it adds"}); len(morning.Skipped) == 0 || morning.Skipped[0] != want {
		t.Errorf("DecodeWith Skipped = %v, want first %v", morning.Skipped, want)
	}
	next := decode(time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC))
	var ids, nextIDs []string
	for i, o := range morning.Objects {
		ids, nextIDs = append(ids, o.ID()), append(nextIDs, next.Objects[i].ID())
	}
	if !slices.Equal(ids, nextIDs) {
		t.Errorf("the ids of an import on another day = %q, want the same %q", nextIDs, ids)
	}
	container := morning.Objects[0]
	if got := get[string](t, next.Objects[0], "created"); got != "2025-03-15T00:00:00.000Z" {
		t.Errorf("container created on the next day = %s, want 2025-03-15T00:00:00.000Z", got)
	}

	// No info: the container is named by the (derived) event uuid.
	evUUID, ok := strings.CutPrefix(container.ID(), "grouping--")
	if !ok {
		t.Fatalf("first object %s, want the grouping of the unpublished event", container.ID())
	}
	if got, want := get[string](t, container, "name"), "MISP event "+evUUID; got != want || morning.Info != "" || morning.UUID != "" {
		t.Errorf("container name = %q (Info %q, UUID %q), want %q and no Info or UUID", got, morning.Info, morning.UUID, want)
	}
	// The placeholders "a" and "b" name the objects and the reference.
	a, b := derive("placeholder", evUUID, "a"), derive("placeholder", evUUID, "b")
	objs := byID(morning.Objects)
	fileInd, urlInd := objs["indicator--"+a], objs["indicator--"+b]
	if fileInd == nil || urlInd == nil {
		t.Fatalf("no indicator--%s (object a) or indicator--%s (object b) among %q", a, b, ids)
	}
	var baz []stix.Relationship
	for _, o := range morning.Objects {
		if r, err := o.Relationship(); err == nil && r.RelationshipType == "baz" {
			baz = append(baz, *r)
		}
	}
	if len(baz) != 1 || stix.IDType(baz[0].SourceRef) != "file" || stix.IDType(baz[0].TargetRef) != "url" || baz[0].Description != "foo" {
		t.Fatalf("the reference a→b = %+v, want one relationship baz from the file of a to the url of b", baz)
	}
	for _, r := range []struct {
		ind *stix.Object
		ref string
	}{{fileInd, baz[0].SourceRef}, {urlInd, baz[0].TargetRef}} {
		want := "relationship--" + derive("relationship", r.ind.ID(), "based-on", r.ref)
		if objs[want] == nil {
			t.Errorf("%s is not based on %s, which the reference names", r.ind.ID(), r.ref)
		}
	}
}

// TestDecodeNow: Decode and DecodeAll import at time.Now(), and
// DecodeAllWith dates every undated event of a list alike.
func TestDecodeNow(t *testing.T) {
	const undated = `{"Event":{"info":"x","Attribute":[{"type":"domain","value":"a.example"}]}}`
	before := time.Now().UTC().Truncate(24 * time.Hour)
	e, err := decodeString(undated)
	after := time.Now().UTC().Truncate(24 * time.Hour)
	if err != nil {
		t.Fatalf("Decode(undated): %v", err)
	}
	if !e.Date.Equal(before) && !e.Date.Equal(after) {
		t.Errorf("Decode(undated).Date = %s, want today, %s", e.Date, before)
	}
	all, err := DecodeAllWith(strings.NewReader(`[`+undated+`,{"info":"y","timestamp":"1704153600"}]`), importDay)
	if err != nil {
		t.Fatalf("DecodeAllWith: %v", err)
	}
	if want := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC); len(all) != 2 || !all[0].Date.Equal(want) || !all[1].Date.IsZero() {
		t.Fatalf("DecodeAllWith dates = %v, want %s and none (the second has a timestamp)", all, want)
	}
	want := []Skip{{Path: "[0].Event", Type: "Event", Reason: "the input has neither a date nor a timestamp: dated 2025-03-14, the day of import, as MISP dates an event it adds"}}
	if diff := cmp.Diff(want, all[0].Skipped); diff != "" {
		t.Errorf("DecodeAllWith first event Skipped (-want +got):\n%s", diff)
	}
	if len(all[1].Skipped) != 0 {
		t.Errorf("DecodeAllWith second event Skipped = %v, want none: it has a timestamp", all[1].Skipped)
	}
}

// TestDecodePlaceholders: an attribute's uuid that is not a UUID is
// replaced by one derived from the event's uuid and it, which a sighting
// naming it names too; the replacement is listed. An uuid that is not a
// string, or a reference to a placeholder nothing carries, is refused
// (TestDecodeInvalid).
func TestDecodePlaceholders(t *testing.T) {
	const ev = "5c000000-0000-4000-8000-0000000000ee"
	e, err := decodeString(`{"Event":{"uuid":"` + ev + `","info":"x","date":"2024-01-02","Attribute":[
		{"type":"domain","value":"a.example","to_ids":true,"uuid":"attr-1"}],
		"Sighting":[{"type":"0","date_sighting":"1704153600","attribute_uuid":"attr-1","uuid":"5c000000-0000-4000-8000-0000000000f0"}]}}`)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, e.Objects)
	u := derive("placeholder", ev, "attr-1")
	objs := byID(e.Objects)
	if objs["indicator--"+u] == nil {
		t.Fatalf("no indicator--%s for the attribute with uuid attr-1", u)
	}
	if got := get[string](t, objs["sighting--5c000000-0000-4000-8000-0000000000f0"], "sighting_of_ref"); got != "indicator--"+u {
		t.Errorf("sighting_of_ref = %s, want indicator--%s", got, u)
	}
	want := []Skip{{Path: "Event.Attribute[0]", Type: "domain",
		Reason: `uuid "attr-1" is not a UUID: replaced by ` + u + ` (derived from the event's uuid and "attr-1"), and so are references to "attr-1"`}}
	if diff := cmp.Diff(want, e.Skipped); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
}

// TestDecodeSkipsUntyped: a proposal and a galaxy cluster without a type
// are listed under their element name, so that every Skip says what it
// is (FuzzDecode found the proposal).
func TestDecodeSkipsUntyped(t *testing.T) {
	e, err := decodeString(`{"info":"x","date":"2024-01-02","Galaxy":[{"GalaxyCluster":[{"value":"x"}]}],
		"Attribute":[{"type":"domain","value":"a.example","ShadowAttribute":[{}]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Skip{
		{Path: "Event.Galaxy[0].GalaxyCluster[0]", Type: "GalaxyCluster", Reason: "a galaxy cluster of no type (neither its galaxy nor it has one) has no STIX mapping"},
		{Path: "Event.Attribute[0].ShadowAttribute[0]", Type: "ShadowAttribute", Reason: "a proposal (shadow attribute) that the event's creator has not accepted"},
	}
	if diff := cmp.Diff(want, e.Skipped); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
}
