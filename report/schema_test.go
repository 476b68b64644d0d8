package report_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/accord-cyber/accord/report"
)

func compileReviewSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(report.ReviewJSONSchema))
	if err != nil {
		t.Fatalf("schema/review.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(report.ReviewSchema, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(report.ReviewSchema)
	if err != nil {
		t.Fatalf("compile schema/review.json: %v", err)
	}
	return sch
}

func reviewJSON(t *testing.T, r *report.Review) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteReviewJSON(&buf, r); err != nil {
		t.Fatalf("WriteReviewJSON: %v", err)
	}
	return buf.Bytes()
}

// TestReviewJSONSchema validates the scenario's review, and the same with
// the optional fields set, against schema/review.json; and checks that the
// schema refuses a field it does not document.
func TestReviewJSONSchema(t *testing.T) {
	sch := compileReviewSchema(t)
	r := scenarioReport(t)
	withOptional := *r
	withOptional.Peer = "cncert"
	withOptional.Checkpoint.Signed = true
	withOptional.Checkpoint.CosignedAt = time.Date(2026, 3, 22, 8, 0, 0, 0, time.UTC)
	for name, x := range map[string]*report.Review{"scenario": r, "with peer and cosignature": &withOptional} {
		b := reviewJSON(t, x)
		if !bytes.HasPrefix(b, []byte("{\n  \"schema\": ")) || !bytes.HasSuffix(b, []byte("}\n")) {
			t.Errorf("%s: the JSON is not indented by two spaces with a final newline: %.40q", name, b)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: the review's JSON does not match schema/review.json: %v", name, err)
		}
		var back report.Review
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&back); err != nil {
			t.Fatalf("%s: decode the JSON back: %v", name, err)
		}
		if diff := cmp.Diff(*x, back); diff != "" {
			t.Errorf("%s: the JSON does not decode to the review (-want +got):\n%s", name, diff)
		}
	}

	// A field the schema does not name, anywhere, is refused.
	for _, path := range [][]string{{}, {"totals"}, {"checkpoint"}, {"period"}, {"totals", "ratings"}, {"totals", "time_to_answer"}} {
		var doc map[string]any
		if err := json.Unmarshal(reviewJSON(t, r), &doc); err != nil {
			t.Fatal(err)
		}
		obj := doc
		for _, p := range path {
			obj = obj[p].(map[string]any)
		}
		obj["undocumented"] = 1
		if err := sch.Validate(doc); err == nil {
			t.Errorf("the schema accepts an undocumented field in /%s", strings.Join(path, "/"))
		}
	}
}

// TestReviewJSONSchemaCoversTheType walks Review's Go type: every JSON
// field, optional ones included, has a property with a description in the
// schema, every property is a field, and every object refuses additional
// properties.
func TestReviewJSONSchemaCoversTheType(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(report.ReviewJSONSchema, &root); err != nil {
		t.Fatal(err)
	}
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" || root["$id"] != report.ReviewSchema {
		t.Errorf("$schema %v, $id %v; want draft 2020-12 and %s", root["$schema"], root["$id"], report.ReviewSchema)
	}
	resolve := func(s map[string]any) map[string]any {
		for {
			ref, ok := s["$ref"].(string)
			if !ok {
				return s
			}
			name, found := strings.CutPrefix(ref, "#/$defs/")
			def, ok2 := root["$defs"].(map[string]any)[name].(map[string]any)
			if !found || !ok2 {
				t.Fatalf("$ref %q does not name a definition", ref)
			}
			s = def
		}
	}
	var walk func(s map[string]any, typ reflect.Type, path string)
	walk = func(s map[string]any, typ reflect.Type, path string) {
		s = resolve(s)
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch {
		case typ == reflect.TypeFor[time.Time]():
			if s["format"] != "date-time" {
				t.Errorf("%s: a time without format date-time", path)
			}
			return
		case typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array:
			items, ok := s["items"].(map[string]any)
			if !ok {
				t.Errorf("%s: an array without items", path)
				return
			}
			walk(items, typ.Elem(), path+"[]")
			return
		case typ.Kind() != reflect.Struct:
			return
		}
		if s["additionalProperties"] != false {
			t.Errorf("%s: the object allows additional properties", path)
		}
		props, _ := s["properties"].(map[string]any)
		seen := map[string]bool{}
		for f := range typ.Fields() {
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			seen[name] = true
			p, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("the schema misses %s.%s", path, name)
				continue
			}
			if d, _ := p["description"].(string); d == "" {
				t.Errorf("%s.%s has no description", path, name)
			}
			optional := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
			required := false
			for _, r := range s["required"].([]any) {
				required = required || r == name
			}
			if required == optional {
				t.Errorf("%s.%s: required %v in the schema, but omitted when empty %v in Go", path, name, required, optional)
			}
			walk(p, f.Type, path+"."+name)
		}
		for name := range props {
			if !seen[name] {
				t.Errorf("the schema documents %s.%s, which Review does not have", path, name)
			}
		}
	}
	walk(root, reflect.TypeFor[report.Review](), "review")
}
