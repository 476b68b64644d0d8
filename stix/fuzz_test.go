package stix

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bytes to the bundle decoder (and to Parse) and
// checks, for every object the decoder accepts, that it
//   - encodes, and decodes again to the same bytes (round trip);
//   - validates against the OASIS schema of its type (what Validate
//     accepts, the schemas accept: exports are always schema-valid);
//   - can be read through every accessor without panicking.
//
// It is seeded with every file of the OASIS examples and PyMISP's STIX
// output, read from shared/data.
func FuzzDecode(f *testing.F) {
	seeds := exampleFiles(f)
	seeds = append(seeds, filepath.Join(stixData, "..", "misp", "pymisp-tests", "stix2.json"))
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	schemas := loadSchemas(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		// The fuzzing engine reports no hangs; a panic from the timer
		// makes the worker die, which it reports with the input.
		watchdog := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("hang on %q", data)) })
		defer watchdog.Stop()
		if o, err := Parse(data); err == nil {
			readEverything(o)
			if o.Validate() == nil {
				checkAccepted(t, schemas, o)
			}
		}
		d := NewDecoder(bytes.NewReader(data))
		for range 1000 {
			o, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if o != nil {
					t.Fatalf("Next returned an object with the error %v", err)
				}
				var es Errors
				if errors.As(err, &es) {
					continue // one object refused; the next may be fine
				}
				if _, again := d.Next(); again == nil || again.Error() != err.Error() {
					t.Fatalf("Next after %v: got %v, want the same error", err, again)
				}
				break
			}
			readEverything(o)
			checkAccepted(t, schemas, o)
		}
	})
}

// checkAccepted holds the promises made for an object that passed
// Validate.
func checkAccepted(t *testing.T, schemas *oasisSchemas, o *Object) {
	t.Helper()
	if err := schemas.checkObject(o); err != nil {
		t.Fatalf("Validate accepted %s but the OASIS schema refuses it: %v", o.Bytes(), err)
	}
	var out bytes.Buffer
	enc, err := NewEncoder(&out, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(o); err != nil {
		t.Fatalf("Encode of a validated object: %v", err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(&out)
	back, err := d.Next()
	if err != nil {
		t.Fatalf("decoding the encoder's output %s: %v", out.Bytes(), err)
	}
	if !bytes.Equal(back.Bytes(), o.Bytes()) {
		t.Fatalf("round trip changed the object:\n%s\n%s", o.Bytes(), back.Bytes())
	}
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("after the only object: got %v, want io.EOF", err)
	}
}

// readEverything calls every accessor; none may panic, whatever the object.
func readEverything(o *Object) {
	_, _ = o.Type(), o.ID()
	_, _, _ = o.SpecVersion(), o.Created(), o.Modified()
	_, _, _ = o.CreatedByRef(), o.Revoked(), o.Labels()
	_, _ = o.Confidence()
	_, _, _ = o.Lang(), o.ExternalReferences(), o.ObjectMarkingRefs()
	_, _, _ = o.GranularMarkings(), o.Extensions(), o.KillChainPhases()
	_, _, _, _ = o.Name(), o.Description(), o.Aliases(), o.ObjectRefs()
	_, _ = o.Value(), o.Hashes()
	_, _ = o.TLP()
	_, _ = o.Indicator()
	_, _ = o.Relationship()
	_, _ = o.Sighting()
	_, _ = o.ObservedData()
	_, _ = o.MarkingDefinition()
	_, _ = o.NetworkTraffic()
	_, _ = o.File()
	_, _ = o.EmailMessage()
	if ind, err := o.Indicator(); err == nil && ind.PatternType == "stix" {
		if p, err := ParsePattern(ind.Pattern); err == nil {
			_ = p.Comparisons()
		}
	}
	c := o.Clone()
	_ = c.Set("x_fuzz", []int{1})
	c.Delete("x_fuzz")
}

// FuzzPattern checks that the pattern parser never panics and that what it
// accepts it accepts again from its own String.
func FuzzPattern(f *testing.F) {
	for _, p := range []string{
		"[ipv4-addr:value = '10.0.0.0']",
		"[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']",
		"[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
		"([ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.com']) FOLLOWEDBY [url:value = 'http://x'] WITHIN 600 SECONDS",
		"[network-traffic:dst_port IN (80, 443) AND NOT network-traffic:src_port > -1] REPEATS 5 TIMES",
		"[file:size > 1.5] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00.5Z'",
		"[artifact:payload_bin = b'aGVsbG8=' OR artifact:x_bin = h'00ff'] AND [EXISTS process:pid]",
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePattern(s)
		if err != nil {
			if _, ok := err.(*PatternError); !ok {
				t.Fatalf("ParsePattern: got %T, want *PatternError", err)
			}
			return
		}
		if _, err := ParsePattern(p.String()); err != nil {
			t.Fatalf("ParsePattern(%q) accepted, then refused its String: %v", s, err)
		}
	})
}
