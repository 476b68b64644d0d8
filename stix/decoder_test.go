package stix

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

const bundleID = "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"

func indicatorJSON(i int) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-%012x",`+
		`"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","indicator_types":["malicious-activity"],`+
		`"pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2016-04-06T20:03:48Z"}`,
		i, i, (i>>16)&255, (i>>8)&255, i&255)
}

func TestDecoderMemberOrder(t *testing.T) {
	objs := indicatorJSON(1) + "," + indicatorJSON(2)
	tests := []struct{ name, bundle string }{
		{"type id objects", `{"type":"bundle","id":"` + bundleID + `","objects":[` + objs + `]}`},
		{"objects first", `{"objects":[` + objs + `],"id":"` + bundleID + `","type":"bundle"}`},
		{"objects between", `{"id":"` + bundleID + `","objects":[` + objs + `],"type":"bundle"}`},
		{"custom property", `{"type":"bundle","x_source":{"a":[1,2]},"id":"` + bundleID + `","objects":[` + objs + `]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, got := readAll(t, strings.NewReader(tc.bundle))
			if id != bundleID {
				t.Errorf("BundleID: got %q, want %q", id, bundleID)
			}
			if len(got) != 2 || got[1].ID() != "indicator--00000002-0000-4000-8000-000000000002" {
				t.Errorf("objects: got %d, want the two indicators", len(got))
			}
		})
	}
}

func TestDecoderEmptyBundle(t *testing.T) {
	id, got := readAll(t, strings.NewReader(`{"type":"bundle","id":"`+bundleID+`"}`))
	if id != bundleID || len(got) != 0 {
		t.Errorf("got %q with %d objects, want %q with none", id, len(got), bundleID)
	}
}

// TestDecoderRefuses: each broken bundle stops the decoder with a message
// that names what is at fault.
func TestDecoderRefuses(t *testing.T) {
	obj := indicatorJSON(1)
	tests := []struct {
		name, bundle, want string
	}{
		{"not a bundle", obj, `type: is "indicator"; only a bundle`},
		{"not an object", `[` + obj + `]`, "a bundle must be a JSON object"},
		{"no type", `{"id":"` + bundleID + `","objects":[` + obj + `]}`, "type: is required"},
		{"no id", `{"type":"bundle","objects":[` + obj + `]}`, "id: is required"},
		{"bad id", `{"type":"bundle","id":"bundle--x","objects":[` + obj + `]}`, "id: bundle id"},
		{"id of another type", `{"type":"bundle","id":"report--5d0092c5-5f74-4287-9642-33f4c354e56d"}`, "must start with bundle--"},
		{"objects twice", `{"type":"bundle","id":"` + bundleID + `","objects":[` + obj + `],"objects":[` + obj + `]}`, "objects: bundle property appears more than once"},
		{"objects not a list", `{"type":"bundle","id":"` + bundleID + `","objects":{}}`, "objects: must be a list"},
		{"truncated", `{"type":"bundle","id":"` + bundleID + `","objects":[` + obj, "truncated"},
		{"broken JSON in an object", `{"type":"bundle","id":"` + bundleID + `","objects":[` + obj + `,{"type":}]}`, "objects[1]: not valid JSON"},
		{"data after the bundle", `{"type":"bundle","id":"` + bundleID + `"} {}`, "unexpected data after the bundle"},
		{"bad custom property", `{"type":"bundle","id":"` + bundleID + `","X":1}`, "X: is not a valid property name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(strings.NewReader(tc.bundle))
			var err error
			for err == nil {
				_, err = d.Next()
			}
			if err == io.EOF {
				t.Fatalf("Next: got io.EOF, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Next: got %q, want it to contain %q", err, tc.want)
			}
			if _, again := d.Next(); again == nil || again.Error() != err.Error() {
				t.Errorf("Next after the error: got %v, want the same error again", again)
			}
		})
	}
}

// TestDecoderGoesOnAfterInvalidObject: an invalid object is refused with
// its id and the bundle's other objects are still read.
func TestDecoderGoesOnAfterInvalidObject(t *testing.T) {
	bad := strings.Replace(indicatorJSON(2), `"valid_from":"2016-04-06T20:03:48Z"`, `"valid_from":"2016-04-06T20:03:48Z","valid_until":"2016-04-06T20:03:47Z"`, 1)
	nameless := `{"type":"indicator","spec_version":"2.1"}`
	bundle := `{"type":"bundle","id":"` + bundleID + `","objects":[` + indicatorJSON(1) + "," + bad + "," + nameless + "," + indicatorJSON(3) + `]}`
	d := NewDecoder(strings.NewReader(bundle))
	var ok int
	var errs []string
	for {
		o, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Next: got %v, want Errors", err)
			}
			errs = append(errs, err.Error())
			continue
		}
		if o == nil {
			t.Fatal("Next: nil object without error")
		}
		ok++
	}
	if ok != 2 {
		t.Errorf("valid objects: got %d, want 2", ok)
	}
	if len(errs) != 2 ||
		!strings.HasPrefix(errs[0], "indicator--00000002-0000-4000-8000-000000000002: valid_until: must be later than valid_from") ||
		!strings.HasPrefix(errs[1], "objects[2]: id: is required") {
		t.Errorf("errors: got %q", errs)
	}
}

func TestDecoderObjectTooLarge(t *testing.T) {
	big := strings.Replace(indicatorJSON(1), `"indicator_types"`, `"description":"`+strings.Repeat("a", 4096)+`","indicator_types"`, 1)
	d := NewDecoder(strings.NewReader(`{"type":"bundle","id":"` + bundleID + `","objects":[` + indicatorJSON(2) + "," + big + `]}`))
	d.MaxObjectSize = 2048
	if _, err := d.Next(); err != nil {
		t.Fatalf("first object: %v", err)
	}
	_, err := d.Next()
	if err == nil || !strings.Contains(err.Error(), "objects[1]: larger than the limit of 2048 bytes") {
		t.Errorf("Next: got %v, want objects[1] refused as too large", err)
	}
}

// bundleReader generates a bundle of n indicators on the fly, "objects"
// before "type" and "id", without ever holding the bundle.
type bundleReader struct {
	n, i  int
	buf   []byte
	state int
}

func (r *bundleReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		switch {
		case r.state == 0:
			r.buf = append(r.buf, `{"objects":[`...)
			r.state = 1
		case r.state == 1 && r.i < r.n:
			if r.i > 0 {
				r.buf = append(r.buf, ',')
			}
			r.buf = append(r.buf, indicatorJSON(r.i)...)
			r.i++
		case r.state == 1:
			r.buf = append(r.buf, `],"type":"bundle","id":"`+bundleID+`"}`...)
			r.state = 2
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[:copy(r.buf, r.buf[n:])]
	return n, nil
}

// TestStreamingMemory decodes and validates a bundle of a million objects
// generated on the fly and checks that the heap does not grow with it.
func TestStreamingMemory(t *testing.T) {
	n := 1_000_000
	if testing.Short() || raceEnabled {
		// The race detector makes the full run take minutes; 100,000
		// objects (about 35 MB of JSON) still show whether the heap
		// follows the input.
		n = 100_000
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.HeapInuse
	peak := before

	d := NewDecoder(&bundleReader{n: n})
	count := 0
	for {
		o, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("object %d: %v", count, err)
		}
		_ = o
		count++
		if count%50_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapInuse)
	if count != n {
		t.Fatalf("objects: got %d, want %d", count, n)
	}
	if d.BundleID() != bundleID {
		t.Errorf("BundleID: got %q, want %q", d.BundleID(), bundleID)
	}
	const limit = 64 << 20
	if growth := int64(peak) - int64(before); growth > limit {
		t.Errorf("heap in use grew by %d MiB while decoding %d objects, want under %d MiB", growth>>20, n, limit>>20)
	}
	t.Logf("%d objects; heap in use %d MiB before, %d MiB at the peak", n, before>>20, peak>>20)
}

// BenchmarkDecode reports objects per second for decoding and validating
// generated indicators.
func BenchmarkDecode(b *testing.B) {
	b.Run("validate", func(b *testing.B) { benchDecode(b, false) })
	b.Run("novalidate", func(b *testing.B) { benchDecode(b, true) })
}

func benchDecode(b *testing.B, noValidate bool) {
	var bundle bytes.Buffer
	const perBundle = 10_000
	if _, err := io.Copy(&bundle, &bundleReader{n: perBundle}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(bundle.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	objects := 0
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(bundle.Bytes()))
		d.NoValidate = noValidate
		for {
			_, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			objects++
		}
	}
	b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "objects/s")
}
