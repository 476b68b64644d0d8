package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/report"
)

// spec is the parsed openapi.json with a JSON Schema compiler over it, to
// check the document against the route table and responses against the
// document.
type spec struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema
}

// specURL is the address the document is loaded under for the compiler.
const specURL = "mem:///openapi.json"

func loadSpec(t *testing.T) *spec {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(openapiJSON))
	if err != nil {
		t.Fatalf("jsonschema.UnmarshalJSON(openapi.json): %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(specURL, inst); err != nil {
		t.Fatalf("AddResource: %v", err)
	}
	return &spec{doc: doc, compiler: c, schemas: map[string]*jsonschema.Schema{}}
}

// pointer escapes JSON pointer tokens.
func pointer(tokens ...string) string {
	var b strings.Builder
	for _, tok := range tokens {
		b.WriteString("/")
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(tok))
	}
	return b.String()
}

// at returns the value at a JSON pointer of the document, following a
// $ref found on the way at the end.
func (s *spec) at(ptr string) (any, string, bool) {
	var v any = s.doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[tok]; !ok {
				return nil, "", false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, "", false
			}
			v = c[i]
		default:
			return nil, "", false
		}
	}
	if m, ok := v.(map[string]any); ok {
		if ref, ok := m["$ref"].(string); ok && strings.HasPrefix(ref, "#/") {
			return s.at(strings.TrimPrefix(ref, "#"))
		}
	}
	return v, ptr, true
}

// schemaAt compiles (once) the schema at a JSON pointer of the document.
func (s *spec) schemaAt(t *testing.T, ptr string) *jsonschema.Schema {
	t.Helper()
	if sch, ok := s.schemas[ptr]; ok {
		return sch
	}
	sch, err := s.compiler.Compile(specURL + "#" + ptr)
	if err != nil {
		t.Fatalf("compile schema at %s: %v", ptr, err)
	}
	s.schemas[ptr] = sch
	return sch
}

// checkResponse checks that the response to a request matched by route
// pattern is documented for its status and media type, and that a JSON
// body is valid against the documented schema.
func (s *spec) checkResponse(t *testing.T, pattern string, status int, header http.Header, body []byte) {
	t.Helper()
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	method, path, _ := strings.Cut(pattern, " ")
	var respPtr string
	if pattern == "" {
		// 404 and 405 are answered outside any operation, always as problems.
		respPtr = "/components/responses/NotFound"
	} else {
		var ok bool
		_, respPtr, ok = s.at(pointer("paths", path, strings.ToLower(method), "responses", strconv.Itoa(status)))
		if !ok {
			t.Errorf("%s answered %d, which its operation does not document", pattern, status)
			return
		}
	}
	if _, _, ok := s.at(respPtr + pointer("content", mt)); !ok {
		t.Errorf("%s answered %d as %q, which is not documented at %s", pattern, status, mt, respPtr)
		return
	}
	if mt != "application/json" && mt != "application/problem+json" {
		return
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Errorf("%s answered %d with invalid JSON: %v", pattern, status, err)
		return
	}
	sch := s.schemaAt(t, respPtr+pointer("content", mt, "schema"))
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s answered %d with a body that does not match the document: %#v\nbody: %s", pattern, status, err, body)
	}
}

// operations returns the document's operations as "METHOD /path" → operation.
func (s *spec) operations(t *testing.T) map[string]map[string]any {
	t.Helper()
	paths, ok := s.doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.json has no paths object")
	}
	out := map[string]map[string]any{}
	for path, item := range paths {
		for method, op := range item.(map[string]any) {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				out[strings.ToUpper(method)+" "+path] = op.(map[string]any)
			}
		}
	}
	return out
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	s := loadSpec(t)
	if v := s.doc["openapi"]; v != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", v)
	}
	ops := s.operations(t)
	srv := &server{}
	routes := srv.routes()

	var inTable, inDoc []string
	for _, rt := range routes {
		inTable = append(inTable, rt.pattern)
	}
	for k := range ops {
		inDoc = append(inDoc, k)
	}
	sort.Strings(inTable)
	sort.Strings(inDoc)
	if diff := cmp.Diff(inTable, inDoc); diff != "" {
		t.Fatalf("routes in routes.go (-) and in openapi.json (+) differ:\n%s", diff)
	}

	opIDs := map[string]string{}
	wildcard := regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`)
	for _, rt := range routes {
		t.Run(rt.pattern, func(t *testing.T) {
			op := ops[rt.pattern]
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Error("no operationId")
			} else if other, dup := opIDs[id]; dup {
				t.Errorf("operationId %s is also used by %s", id, other)
			}
			opIDs[id] = rt.pattern
			if op["summary"] != rt.summary {
				t.Errorf("summary = %q, want the route table's %q", op["summary"], rt.summary)
			}
			resp, _ := op["responses"].(map[string]any)
			if len(resp) == 0 {
				t.Fatal("no responses")
			}
			hasSuccess := false
			for code := range resp {
				if strings.HasPrefix(code, "2") {
					hasSuccess = true
				}
				if _, _, ok := s.at(pointer("paths", strings.SplitN(rt.pattern, " ", 2)[1], strings.ToLower(strings.SplitN(rt.pattern, " ", 2)[0]), "responses", code)); !ok {
					t.Errorf("response %s does not resolve", code)
				}
			}
			if !hasSuccess {
				t.Error("no 2xx response")
			}
			sec, hasSec := op["security"].([]any)
			perm, _ := op["x-permission"].(string)
			if rt.perm == public {
				if !hasSec || len(sec) != 0 {
					t.Errorf("public route: want security: [], got %v", op["security"])
				}
				if perm != "" {
					t.Errorf("public route has x-permission %q", perm)
				}
			} else {
				if hasSec {
					t.Errorf("route needing %s overrides security with %v", rt.perm, sec)
				}
				if perm != string(rt.perm) {
					t.Errorf("x-permission = %q, want %q", perm, rt.perm)
				}
				for _, code := range []string{"401", "403"} {
					if _, ok := resp[code]; !ok {
						t.Errorf("authenticated route does not document %s", code)
					}
				}
			}
			for _, code := range []string{"400", "500"} {
				if _, ok := resp[code]; !ok {
					t.Errorf("route does not document %s", code)
				}
			}

			// Path parameters: exactly the pattern's wildcards.
			var wantParams, gotParams []string
			for _, m := range wildcard.FindAllStringSubmatch(rt.pattern, -1) {
				wantParams = append(wantParams, m[1])
			}
			params, _ := op["parameters"].([]any)
			for i := range params {
				p, _, ok := s.at(pointer("paths", strings.SplitN(rt.pattern, " ", 2)[1], strings.ToLower(strings.SplitN(rt.pattern, " ", 2)[0]), "parameters", strconv.Itoa(i)))
				if !ok {
					t.Errorf("parameter %d does not resolve", i)
					continue
				}
				pm := p.(map[string]any)
				if pm["in"] == "path" {
					gotParams = append(gotParams, pm["name"].(string))
					if pm["required"] != true {
						t.Errorf("path parameter %v is not required", pm["name"])
					}
				}
			}
			if diff := cmp.Diff(wantParams, gotParams); diff != "" {
				t.Errorf("path parameters (-pattern +document):\n%s", diff)
			}

			// Request body: present exactly when the route reads one, with
			// the Go body type's fields and no others.
			rb, hasBody := op["requestBody"].(map[string]any)
			reads := rt.ep.body != nil || rt.ep.stream
			if reads != hasBody {
				t.Fatalf("route reads a body: %v; document has requestBody: %v", reads, hasBody)
			}
			if !hasBody {
				return
			}
			if rb["required"] != true {
				t.Error("requestBody is not required")
			}
			for _, code := range []string{"413", "415"} {
				if _, ok := resp[code]; !ok {
					t.Errorf("route with a body does not document %s", code)
				}
			}
			method, path, _ := strings.Cut(rt.pattern, " ")
			if rt.ep.stream {
				// A streamed body is a file's bytes, not JSON.
				if _, _, ok := s.at(pointer("paths", path, strings.ToLower(method), "requestBody", "content", "application/octet-stream")); !ok {
					t.Error("a streamed body is not documented as application/octet-stream")
				}
				if _, _, ok := s.at(pointer("paths", path, strings.ToLower(method), "requestBody", "content", "application/json")); ok {
					t.Error("a streamed body is documented as application/json")
				}
				return
			}
			sch, _, ok := s.at(pointer("paths", path, strings.ToLower(method), "requestBody", "content", "application/json", "schema"))
			if !ok {
				t.Fatal("requestBody has no application/json schema")
			}
			sm := sch.(map[string]any)
			if sm["additionalProperties"] != false {
				t.Error("request body schema does not set additionalProperties: false, but the decoder refuses unknown fields")
			}
			props, _ := sm["properties"].(map[string]any)
			var docFields []string
			for name := range props {
				docFields = append(docFields, name)
			}
			goFields := jsonFields(rt.ep.body)
			sort.Strings(docFields)
			sort.Strings(goFields)
			if diff := cmp.Diff(goFields, docFields); diff != "" {
				t.Errorf("body fields of %v (-) and of the document (+) differ:\n%s", rt.ep.body, diff)
			}
		})
	}
}

// enumSchemas maps each named enum schema of the document to the domain
// list it must equal, in order.
func enumSchemas() map[string][]string {
	return map[string][]string{
		"RequestType":      strs(accord.RequestTypes),
		"Priority":         strs(accord.Priorities),
		"Status":           strs(accord.Statuses),
		"Action":           strs(accord.Actions),
		"Category":         strs(accord.Categories),
		"Sector":           accord.Sectors,
		"TLP":              strs(accord.TLPs),
		"Role":             strs(accord.Roles),
		"Permission":       strs(accord.Permissions),
		"Direction":        strs([]accord.Direction{accord.Outgoing, accord.Incoming}),
		"Overdue":          strs([]accord.Overdue{accord.OverdueAcknowledge, accord.OverdueAnswer}),
		"CaseStatus":       strs([]accord.CaseStatus{accord.CaseOpen, accord.CaseClosed}),
		"PartyKind":        strs([]accord.PartyKind{accord.PartySelf, accord.PartyLocal, accord.PartyPeer}),
		"MessageKind":      strs(accord.MessageKinds),
		"CustodyEventKind": accord.CustodyEvents,
		"ImportFormat":     node.ImportFormats,
		"ExportFormat":     node.ExportFormats,
		"ObservableKind":   strs(accord.ObservableKinds),
		"SharedDirection":  {accord.SharedIn, accord.SharedOut},
		"ReportFormat":     report.Formats,
		"ErrorCode":        {accord.EINVALID, accord.ENOTFOUND, accord.ECONFLICT, accord.EUNAUTHORIZED, accord.EFORBIDDEN, accord.EUNAVAILABLE, accord.EINTERNAL},
	}
}

func strs[S ~string](xs []S) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func TestOpenAPIEnumsMatchDomain(t *testing.T) {
	s := loadSpec(t)
	for name, want := range enumSchemas() {
		t.Run(name, func(t *testing.T) {
			v, _, ok := s.at(pointer("components", "schemas", name, "enum"))
			if !ok {
				t.Fatalf("components.schemas.%s has no enum", name)
			}
			var got []string
			for _, e := range v.([]any) {
				got = append(got, fmt.Sprint(e))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("components.schemas.%s.enum (-domain +document):\n%s", name, diff)
			}
		})
	}
	// Every enum of the document is one of the named schemas above, so none
	// can drift unchecked inline.
	var walk func(ptr string, v any)
	walk = func(ptr string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["enum"]; ok {
				name := strings.TrimPrefix(ptr, "/components/schemas/")
				if _, known := enumSchemas()[name]; !known || !strings.HasPrefix(ptr, "/components/schemas/") {
					t.Errorf("enum at %s is not one of the named enum schemas checked against the domain; use a $ref", ptr)
				}
			}
			for k, e := range v {
				walk(ptr+pointer(k), e)
			}
		case []any:
			for i, e := range v {
				walk(ptr+pointer(strconv.Itoa(i)), e)
			}
		}
	}
	walk("", s.doc)
}

func TestOpenAPIReferencesResolveAndSchemasCompile(t *testing.T) {
	s := loadSpec(t)
	var walk func(ptr string, v any)
	walk = func(ptr string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if !strings.HasPrefix(ref, "#/") {
					t.Errorf("%s: $ref %q is not local", ptr, ref)
				} else if _, _, ok := s.at(strings.TrimPrefix(ref, "#")); !ok {
					t.Errorf("%s: $ref %q does not resolve", ptr, ref)
				}
			}
			for k, e := range v {
				walk(ptr+pointer(k), e)
			}
		case []any:
			for i, e := range v {
				walk(ptr+pointer(strconv.Itoa(i)), e)
			}
		}
	}
	walk("", s.doc)
	schemas, _ := s.doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name := range schemas {
		s.schemaAt(t, pointer("components", "schemas", name))
	}
	for _, name := range []string{"Case", "NewCase", "Party", "User", "Request", "RequestView", "RequestDetail", "Event", "Answer", "Agreement", "Problem",
		"DeliverBody", "AcknowledgeBody", "AcceptBody", "DeclineBody", "AnswerBody", "RatingBody", "WithdrawBody", "CloseBody",
		"Evidence", "EvidenceDetail", "EvidenceList", "CustodyEvent", "CustodyBody"} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("components.schemas.%s is missing", name)
		}
	}
}

// TestOpenAPIServed checks that the document is served as JSON to anyone.
func TestOpenAPIServed(t *testing.T) {
	f := newFixture(t)
	rec := f.do("GET", "/api/v1/openapi.json", "", "")
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), openapiJSON) {
		t.Fatalf("GET /api/v1/openapi.json = %d, %d bytes; want 200 and the embedded document", rec.Code, rec.Body.Len())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

// TestOpenAPIQueryParameters checks that every GET route accepts each query
// parameter the document gives it (with a value of the documented type) and
// refuses one it does not document.
func TestOpenAPIQueryParameters(t *testing.T) {
	f := newFixture(t)
	sp := loadSpec(t)
	for _, rt := range f.srv.routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if method != http.MethodGet || rt.pattern == "GET /metrics" {
			continue
		}
		t.Run(rt.pattern, func(t *testing.T) {
			target := strings.ReplaceAll(path, "{id}", "1")
			params, _, _ := sp.at(pointer("paths", path, "get", "parameters"))
			list, _ := params.([]any)
			// Required parameters go with every probe; each documented one
			// is then added in turn.
			var query []map[string]any
			required := url.Values{}
			for i := range list {
				p, _, ok := sp.at(pointer("paths", path, "get", "parameters", strconv.Itoa(i)))
				if !ok {
					t.Fatalf("parameter %d does not resolve", i)
				}
				pm := p.(map[string]any)
				if pm["in"] != "query" {
					continue
				}
				query = append(query, pm)
				if req, _ := pm["required"].(bool); req {
					required.Set(pm["name"].(string), sampleValue(t, sp, pm["schema"]))
				}
			}
			for _, pm := range query {
				name := pm["name"].(string)
				value := sampleValue(t, sp, pm["schema"])
				q := url.Values{}
				maps.Copy(q, required)
				q.Set(name, value)
				rec := f.do("GET", target+"?"+q.Encode(), f.token(accord.RoleAdmin), "")
				if rec.Code == http.StatusBadRequest {
					t.Errorf("GET %s?%s = 400, want the documented parameter accepted: %s", target, q.Encode(), rec.Body)
				}
			}
			probe := url.Values{}
			maps.Copy(probe, required)
			probe.Set("undocumented", "1")
			rec := f.do("GET", target+"?"+probe.Encode(), f.token(accord.RoleAdmin), "")
			if p := problemOf(t, rec, http.StatusBadRequest); p.Field != "undocumented" {
				t.Errorf("GET %s?undocumented=1: problem field %q, want undocumented", target, p.Field)
			}
		})
	}
}

// sampleValue returns a query value valid for a parameter schema: the first
// value of an enum, true for a boolean, the minimum (else 1) for an integer.
func sampleValue(t *testing.T, sp *spec, schema any) string {
	t.Helper()
	m, _ := schema.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		v, _, ok := sp.at(strings.TrimPrefix(ref, "#"))
		if !ok {
			t.Fatalf("$ref %s does not resolve", ref)
		}
		m = v.(map[string]any)
	}
	if e, ok := m["enum"].([]any); ok {
		return fmt.Sprint(e[0])
	}
	if ex, ok := m["example"]; ok { // a value that must be well formed
		return fmt.Sprint(ex)
	}
	switch m["type"] {
	case "array":
		return sampleValue(t, sp, m["items"])
	case "boolean":
		return "true"
	case "integer":
		if min, ok := m["minimum"].(float64); ok {
			return strconv.Itoa(int(min)) // the least value is valid on an empty node too
		}
		return "1"
	}
	return "x"
}
