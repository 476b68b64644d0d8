package misp

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
)

// FuzzDecode feeds arbitrary bytes to Decode and checks that
//   - it refuses input only with EINVALID (the reader cannot fail);
//   - what it accepts holds together: every object validates, ids are
//     unique, references resolve, every skip names its place;
//   - a second Decode, and DecodeAll, at the same moment give the same
//     objects;
//   - exporting what it read works, the event validates against PyMISP's
//     schemas and imports again.
//
// It is seeded with every file of PyMISP's test material in shared/data
// (events and the non-events among them) and a few events written here
// that use the objects and attribute types the material lacks.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(pymispTests(f), "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in %s: %v", pymispTests(f), err)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		`{"Event":{"info":"x","date":"2024-01-02","Tag":[{"name":"tlp:amber"}],"Attribute":[` +
			`{"type":"ip-dst|port","value":"198.51.100.7|443","to_ids":true,"Tag":[{"name":"tlp:red"},{"name":"misp-galaxy:tool=\"x\""}]},` +
			`{"type":"domain|ip","value":"a.example|2001:db8::1","to_ids":true,"Sighting":[{"type":"0","date_sighting":"1704153600","Organisation":{"name":"o"}}]},` +
			`{"type":"regkey|value","value":"HKLM\\x|y","to_ids":true},{"type":"link","value":"https://x.example/"},` +
			`{"type":"stix2-pattern","value":"[url:value = 'http://a/']"},{"type":"yara","value":"rule a {condition: true}"}]}}`,
		`{"info":"o","date":"2024-01-02","Object":[{"name":"email","uuid":"5c000000-0000-4000-8000-000000000001","Attribute":[` +
			`{"object_relation":"from","type":"email-src","value":"a@example.com","to_ids":true},{"object_relation":"subject","type":"email-subject","value":"s"}],` +
			`"ObjectReference":[{"relationship_type":"related-to","referenced_uuid":"5c000000-0000-4000-8000-000000000002"}]},` +
			`{"name":"ip-port","uuid":"5c000000-0000-4000-8000-000000000002","Attribute":[{"object_relation":"ip","type":"ip-dst","value":"198.51.100.1"},` +
			`{"object_relation":"dst-port","type":"port","value":"80","to_ids":true}]}]}`,
		`{"response":[{"Event":{"info":"a","timestamp":"1704153600","Galaxy":[{"type":"mitre-intrusion-set","GalaxyCluster":[{"value":"APT1 - G0006","meta":{"synonyms":["Comment Crew"]}}]}]}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The fuzzing engine reports no hangs; a panic from the timer
		// makes the worker die, which it reports with the input.
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("hang on %q", data)) })
		defer watchdog.Stop()
		// One moment for every import of the input, so that an undated
		// event does not change date between them at midnight.
		e, err := DecodeWith(bytes.NewReader(data), importDay)
		if err != nil {
			if accord.ErrorCode(err) != accord.EINVALID || err.Error() == "" {
				t.Fatalf("Decode refused with %v (code %s), want an EINVALID error saying why", err, accord.ErrorCode(err))
			}
			return
		}
		checkObjects(t, e.Objects)
		for _, s := range e.Skipped {
			if s.Path == "" || s.Type == "" || s.Reason == "" {
				t.Errorf("skip %+v does not say what, where and why", s)
			}
		}
		if len(data) > 64<<10 {
			// The large seeds (an event carrying a 200 KB attachment)
			// take a quarter of a second per Decode; the checks below run
			// on the smaller inputs, which the fuzzer mostly makes.
			return
		}
		again, err := DecodeWith(bytes.NewReader(data), importDay)
		if err != nil {
			t.Fatalf("second Decode: %v", err)
		}
		if diff := cmp.Diff(objectBytes(e.Objects), objectBytes(again.Objects)); diff != "" {
			t.Fatalf("second Decode differs:\n%s", diff)
		}
		all, err := DecodeAllWith(bytes.NewReader(data), importDay)
		if err != nil || len(all) != 1 {
			t.Fatalf("DecodeAll of what Decode reads = %d events, %v; want 1", len(all), err)
		}
		if diff := cmp.Diff(objectBytes(e.Objects), objectBytes(all[0].Objects)); diff != "" {
			t.Fatalf("DecodeAll differs from Decode:\n%s", diff)
		}
		c := testCase()
		if strings.TrimSpace(e.Info) != "" {
			c.Title = e.Info
		}
		var buf bytes.Buffer
		if _, err := Export(&buf, c, e.Objects); err != nil {
			t.Fatalf("Export of what Decode read: %v", err)
		}
		validateEvent(t, buf.Bytes(), true)
		back, err := Decode(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("Decode(Export()): %v\n%s", err, buf.Bytes())
		}
		checkObjects(t, back.Objects)
	})
}
