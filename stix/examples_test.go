package stix

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gowebpki/jcs"
)

// exampleFiles lists every JSON file under the OASIS examples.
func exampleFiles(tb testing.TB) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(examplesDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".json") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		tb.Fatalf("no examples under %s (shared/ must lie beside the repository): %v", examplesDir, err)
	}
	return files
}

// readAll decodes every object of a bundle, failing the test on any error.
func readAll(t *testing.T, r io.Reader) (string, []*Object) {
	t.Helper()
	d := NewDecoder(r)
	var objs []*Object
	for {
		o, err := d.Next()
		if err == io.EOF {
			return d.BundleID(), objs
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		objs = append(objs, o)
	}
}

// isBundle reports whether a file holds a bundle rather than one object.
func isBundle(data []byte) bool {
	var head struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(data, &head)
	return head.Type == "bundle"
}

// canonical returns the RFC 8785 form of an object, for comparing content
// regardless of property order and white space.
func canonical(t *testing.T, b []byte) string {
	t.Helper()
	c, err := jcs.Transform(b)
	if err != nil {
		t.Fatalf("jcs.Transform: %v", err)
	}
	return string(c)
}

// TestExamples: every example bundle of the OASIS repository imports (the
// examples README names none as invalid), and every export of them
// validates against the OASIS schemas.
func TestExamples(t *testing.T) {
	schemas := loadSchemas(t)
	for _, path := range exampleFiles(t) {
		name, _ := filepath.Rel(examplesDir, path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var objs []*Object
			if isBundle(data) {
				_, objs = readAll(t, bytes.NewReader(data))
			} else {
				// interop-objectmarking-test.json is a lone object.
				o, err := Parse(data)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if err := o.Validate(); err != nil {
					t.Fatalf("Validate: %v", err)
				}
				objs = []*Object{o}
			}
			if len(objs) == 0 {
				t.Fatal("no objects")
			}
			var out bytes.Buffer
			enc, err := NewEncoder(&out, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				if err := enc.Encode(o); err != nil {
					t.Fatalf("Encode(%s): %v", o.ID(), err)
				}
			}
			if err := enc.Close(); err != nil {
				t.Fatal(err)
			}
			if err := schemas.checkBundle(out.Bytes()); err != nil {
				t.Errorf("export does not validate against the OASIS schemas: %v", err)
			}
		})
	}
}

// TestRoundTrip: decode → encode → decode keeps every object's id, version
// and content, and the second encoding is byte for byte the first.
func TestRoundTrip(t *testing.T) {
	for _, path := range exampleFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !isBundle(data) {
			continue
		}
		name, _ := filepath.Rel(examplesDir, path)
		t.Run(name, func(t *testing.T) {
			id, first := readAll(t, bytes.NewReader(data))
			out1 := encodeAll(t, id, first)
			id2, second := readAll(t, bytes.NewReader(out1))
			if id2 != id {
				t.Errorf("bundle id: got %s, want %s", id2, id)
			}
			if len(second) != len(first) {
				t.Fatalf("objects: got %d, want %d", len(second), len(first))
			}
			// The input, object by object, in canonical form.
			var in struct {
				Objects []json.RawMessage `json:"objects"`
			}
			if err := json.Unmarshal(data, &in); err != nil {
				t.Fatal(err)
			}
			for i, o := range second {
				if o.ID() != first[i].ID() || o.Modified() != first[i].Modified() {
					t.Errorf("object %d: got %s@%s, want %s@%s", i, o.ID(), o.Modified(), first[i].ID(), first[i].Modified())
				}
				if diff := cmp.Diff(canonical(t, in.Objects[i]), canonical(t, o.Bytes())); diff != "" {
					t.Errorf("object %d (%s) content changed (-input +round trip):\n%s", i, o.ID(), diff)
				}
				if !bytes.Equal(o.Bytes(), first[i].Bytes()) {
					t.Errorf("object %d: second decode differs from the first:\n%s\n%s", i, first[i].Bytes(), o.Bytes())
				}
			}
			if out2 := encodeAll(t, id, second); !bytes.Equal(out1, out2) {
				t.Error("second encoding differs from the first")
			}
		})
	}
}

func encodeAll(t *testing.T, id string, objs []*Object) []byte {
	t.Helper()
	var out bytes.Buffer
	enc, err := NewEncoder(&out, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if err := enc.Encode(o); err != nil {
			t.Fatalf("Encode(%s): %v", o.ID(), err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestTimestampPrecisionKept: timestamps come back with the digits they
// had, whatever their number.
func TestTimestampPrecisionKept(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(examplesDir, "indicator-for-c2-ip-address.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, objs := readAll(t, bytes.NewReader(data))
	ind, err := objs[0].Indicator()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ind.ValidFrom.String(), "2014-05-08T09:00:00.000000Z"; got != want {
		t.Errorf("ValidFrom: got %s, want %s", got, want)
	}
	if got, want := objs[0].Created().String(), "2014-05-08T09:00:00.000Z"; got != want {
		t.Errorf("Created: got %s, want %s", got, want)
	}
	if !strings.Contains(string(objs[0].Bytes()), `"valid_from":"2014-05-08T09:00:00.000000Z"`) {
		t.Errorf("encoded object lost the precision of valid_from: %s", objs[0].Bytes())
	}
}
