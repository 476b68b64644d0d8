package stix

import (
	"encoding/json"
	"testing"
	"time"
)

func TestObjectKeepsOrderAndText(t *testing.T) {
	in := `{ "type": "x-accord-note", "id": "x-accord-note--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		"zeta": 1.50, "alpha": "caf\u00e9", "nested": {"b": [1, 2], "a": null} }`
	o, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"x-accord-note","id":"x-accord-note--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","zeta":1.50,"alpha":"caf\u00e9","nested":{"b":[1,2],"a":null}}`
	if got := string(o.Bytes()); got != want {
		t.Errorf("Bytes:\ngot  %s\nwant %s", got, want)
	}
	if got := o.Names(); len(got) != 5 || got[2] != "zeta" || got[3] != "alpha" {
		t.Errorf("Names: got %v, want the input's order", got)
	}
	if o.Type() != "x-accord-note" || o.ID() != "x-accord-note--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" {
		t.Errorf("Type, ID: got %q, %q", o.Type(), o.ID())
	}
}

func TestObjectSetDelete(t *testing.T) {
	o, err := Parse(encodeFixture(t, validFixtures["indicator"]))
	if err != nil {
		t.Fatal(err)
	}
	before := o.Names()
	if err := o.Set("name", "renamed"); err != nil {
		t.Fatal(err)
	}
	if o.Name() != "renamed" {
		t.Errorf("Name after Set: got %q", o.Name())
	}
	if got := o.Names(); len(got) != len(before) {
		t.Errorf("Set of an existing property changed the names: %v", got)
	}
	if err := o.Set("x_accord_rank", 3); err != nil {
		t.Fatal(err)
	}
	if names := o.Names(); names[len(names)-1] != "x_accord_rank" {
		t.Errorf("Set of a new property: got names %v, want it last", names)
	}
	if err := o.Set("x_bad", json.RawMessage(`{"a":1,"a":2}`)); err == nil {
		t.Error("Set of a value with a repeated key: got nil, want an error")
	}
	if o.Has("x_bad") {
		t.Error("a refused Set changed the object")
	}
	o.Delete("x_accord_rank")
	if o.Has("x_accord_rank") {
		t.Error("Delete left the property")
	}
	if err := o.Set("id", "indicator--11111111-1111-4111-8111-111111111111"); err != nil || o.ID() != "indicator--11111111-1111-4111-8111-111111111111" {
		t.Errorf("Set id: got %q, %v", o.ID(), err)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("Validate after changes: %v", err)
	}
	c := o.Clone()
	_ = c.Set("name", "clone")
	if o.Name() == "clone" {
		t.Error("changing a clone changed the original")
	}
}

func TestTimestamp(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want time.Time
	}{
		{"2016-04-06T20:03:48Z", true, time.Date(2016, 4, 6, 20, 3, 48, 0, time.UTC)},
		{"2016-04-06T20:03:48.123456789123Z", true, time.Date(2016, 4, 6, 20, 3, 48, 123456789, time.UTC)},
		{"2016-12-31T23:59:60Z", true, time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2016-02-29T00:00:00Z", true, time.Date(2016, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"2015-02-29T00:00:00Z", false, time.Time{}},
		{"2016-04-06t20:03:48Z", false, time.Time{}},
		{"2016-04-06T20:03:48z", false, time.Time{}},
		{"2016-04-06T20:03:48+00:00", false, time.Time{}},
		{"2016-04-06T20:03:48.Z", false, time.Time{}},
		{"2016-04-06T24:00:00Z", false, time.Time{}},
	}
	for _, tc := range tests {
		ts, err := ParseTimestamp(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseTimestamp(%q): got error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && (!ts.Time().Equal(tc.want) || ts.String() != tc.in) {
			t.Errorf("ParseTimestamp(%q): got %v (%s), want %v", tc.in, ts.Time(), ts, tc.want)
		}
	}
	a, _ := ParseTimestamp("2016-04-06T20:03:48.1234567891Z")
	b, _ := ParseTimestamp("2016-04-06T20:03:48.1234567890Z")
	c, _ := ParseTimestamp("2016-04-06T20:03:48.123456789Z")
	if a.Compare(b) != 1 || b.Compare(c) != 0 || c.Compare(a) != -1 {
		t.Errorf("Compare beyond nanoseconds: got %d %d %d, want 1 0 -1", a.Compare(b), b.Compare(c), c.Compare(a))
	}
	if got := NewTimestamp(time.Date(2024, 1, 2, 3, 4, 5, 6789000, time.FixedZone("x", 3600))).String(); got != "2024-01-02T02:04:05.006Z" {
		t.Errorf("NewTimestamp: got %s", got)
	}
}

func TestEncoderEmptyBundle(t *testing.T) {
	var out []byte
	w := writerFunc(func(p []byte) (int, error) { out = append(out, p...); return len(p), nil })
	enc, err := NewEncoder(w, bundleID)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), `{"type":"bundle","id":"`+bundleID+`"}`; got != want {
		t.Errorf("empty bundle: got %s, want %s", got, want)
	}
	if _, err := NewEncoder(w, "report--5d0092c5-5f74-4287-9642-33f4c354e56d"); err == nil {
		t.Error("NewEncoder with a report id: got nil, want an error")
	}
}

func TestEncoderRefusesInvalid(t *testing.T) {
	var out []byte
	w := writerFunc(func(p []byte) (int, error) { out = append(out, p...); return len(p), nil })
	enc, _ := NewEncoder(w, bundleID)
	bad, _ := Parse(encodeFixture(t, with(t, "indicator", map[string]any{"pattern": nil})))
	if err := enc.Encode(bad); err == nil {
		t.Error("Encode of an invalid object: got nil, want its errors")
	}
	good, _ := Parse(encodeFixture(t, validFixtures["indicator"]))
	if err := enc.Encode(good); err != nil {
		t.Fatalf("Encode after a refusal: %v", err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	var b struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(out, &b); err != nil || len(b.Objects) != 1 {
		t.Errorf("bundle: got %d objects (%v), want the valid one only", len(b.Objects), err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
