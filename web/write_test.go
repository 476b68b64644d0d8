package web

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

// writeSample is a valid request to one POST route: the key (in the ids
// setupStates returns) of the {id} it acts on, a body the route accepts
// there, and the status it answers.
type writeSample struct {
	id   string
	body string
	want int
}

// writeStates are the requests setupStates prepares for the samples, one
// per action route, each in a status where the action is legal.
func writeStates() map[string]accord.Status {
	return map[string]accord.Status{
		"deliver":     accord.StatusSent,
		"acknowledge": accord.StatusSent,
		"accept":      accord.StatusAcknowledged,
		"decline":     accord.StatusAcknowledged,
		"answers":     accord.StatusAccepted,
		"rating":      accord.StatusAnsweredFinal,
		"withdraw":    accord.StatusSent,
		"close":       accord.StatusAnsweredFinal,
	}
}

// writeSamples has one valid sample per POST route; a POST route without
// one fails TestWriteRoutesRefuseBadInput.
func writeSamples() map[string]writeSample {
	return map[string]writeSample{
		"POST /api/v1/parties":                   {"", `{"id":"jpcert","name":"JPCERT/CC","country":"JP","endpoint":"https://accord.jpcert.example"}`, http.StatusCreated},
		"POST /api/v1/users":                     {"", `{"name":"new liaison","role":"liaison"}`, http.StatusCreated},
		"POST /api/v1/cases":                     {"", `{"title":"Phishing wave","summary":"Bank customers targeted","category":"fraud","sectors":["banking"],"affected_country":"US","origin_country":"CN","tlp":"green"}`, http.StatusCreated},
		"POST /api/v1/cases/{id}/close":          {"case2", `{}`, http.StatusOK},
		"POST /api/v1/requests":                  {"", `{"case_id":"us-cert-C0001","to":"cncert","type":"evidence","priority":"high","subject":"Produce the logs","body":"Of 203.0.113.7","legal_basis":"Budapest art. 31","external_ref":"US-42"}`, http.StatusCreated},
		"POST /api/v1/requests/{id}/deliver":     {"deliver", `{"at":"2026-03-02T09:00:00Z","note":"receipt by mail"}`, http.StatusOK},
		"POST /api/v1/requests/{id}/acknowledge": {"acknowledge", `{"at":"2026-03-02T09:00:00Z","note":"by phone"}`, http.StatusOK},
		"POST /api/v1/requests/{id}/accept":      {"accept", `{"at":"2026-03-02T09:00:00Z","note":"by phone"}`, http.StatusOK},
		"POST /api/v1/requests/{id}/decline":     {"decline", `{"ground":"national-law","text":"Not under our law.","at":"2026-03-02T09:00:00Z","note":"by mail"}`, http.StatusOK},
		"POST /api/v1/requests/{id}/answers":     {"answers", `{"body":"Here are the logs.","final":true,"at":"2026-03-02T09:00:00Z","note":"by mail"}`, http.StatusOK},
		"POST /api/v1/requests/{id}/rating":      {"rating", `{"score":5,"comment":"Complete."}`, http.StatusOK},
		"POST /api/v1/requests/{id}/withdraw":    {"withdraw", `{"note":"No longer needed."}`, http.StatusOK},
		"POST /api/v1/requests/{id}/close":       {"close", `{"note":"Done."}`, http.StatusOK},
		"POST /api/v1/evidence/{id}/custody":     {"evidence", `{"event":"sealed","reason":"before transfer"}`, http.StatusOK},
		"POST /api/v1/requests/{id}/share":       {"share", `{"objects":["ipv4-addr--0b5f7a4e-8c1e-4a53-9f3e-2f6c1d0e9a12"],"note":"the address"}`, http.StatusAccepted},
	}
}

// agreementEnums are body fields whose values come from the agreement
// rather than from a fixed list, so the document cannot give their enum.
func agreementEnums() []string { return []string{"ground"} }

// badInput is one way of getting a write wrong, and how it must be answered.
type badInput struct {
	name        string
	token       string
	contentType string
	body        string
	wantStatus  int
	wantField   string // "" : no field expected
	wantDetail  string // substring of the detail
}

// TestWriteRoutesRefuseBadInput is the acceptance test of the write API: for
// every POST route of the route table that reads JSON, malformed JSON, a wrong type for each
// field, an unknown enum value (or, without enum fields, an unknown field),
// trailing data, an empty body, a body of MaxBodyBytes+1 bytes, a missing
// Content-Type, no token, an unknown token and a token of a role without the
// route's permission are each answered with a 4xx problem, and the store is
// the same afterwards. Then the route's valid sample is accepted, which shows
// the refusals were caused by the bad input and not by the route's state.
func TestWriteRoutesRefuseBadInput(t *testing.T) {
	f := newFixture(t)
	sp := loadSpec(t)
	ids := f.setupStates(writeStates())
	f.setupShare(ids)
	samples := writeSamples()
	max := f.srv.maxBody

	for _, rt := range f.srv.routes() {
		method, pattern, _ := strings.Cut(rt.pattern, " ")
		if method != http.MethodPost || rt.ep.stream {
			continue // streamed uploads: TestEvidenceUploadRefusals
		}
		t.Run(rt.pattern, func(t *testing.T) {
			sample, ok := samples[rt.pattern]
			if !ok {
				t.Fatalf("no writeSample for %s: add a valid request to writeSamples", rt.pattern)
			}
			if rt.ep.body == nil {
				t.Fatalf("POST route %s reads no JSON body", rt.pattern)
			}
			path := pattern
			if strings.Contains(pattern, "{id}") {
				id, ok := ids[sample.id]
				if !ok {
					t.Fatalf("sample id key %q is not prepared by setupStates", sample.id)
				}
				path = strings.Replace(pattern, "{id}", id, 1)
			}
			good := f.token(accord.RoleAdmin)
			var cases []badInput
			cases = append(cases,
				badInput{name: "malformed JSON", token: good, body: sample.body[:len(sample.body)-1], wantStatus: 400, wantDetail: "malformed JSON"},
				badInput{name: "JSON syntax error", token: good, body: `{"note": tru}`, wantStatus: 400, wantDetail: "malformed JSON at offset"},
				badInput{name: "trailing data", token: good, body: sample.body + ` {}`, wantStatus: 400, wantDetail: "after the JSON object"},
				badInput{name: "not an object", token: good, body: `[` + sample.body + `]`, wantStatus: 400, wantDetail: "must be a JSON object"},
				badInput{name: "null", token: good, body: `null`, wantStatus: 400, wantDetail: "must be a JSON object"},
				badInput{name: "empty body", token: good, body: ``, wantStatus: 400, wantDetail: "empty"},
				badInput{name: "oversize body", token: good, body: oversize(max), wantStatus: 413, wantDetail: fmt.Sprintf("larger than %d bytes", max)},
				badInput{name: "no content type", token: good, contentType: "-", body: sample.body, wantStatus: 415, wantDetail: "application/json"},
				badInput{name: "form content type", token: good, contentType: "application/x-www-form-urlencoded", body: sample.body, wantStatus: 415, wantDetail: "application/json"},
				badInput{name: "no token", body: sample.body, wantStatus: 401, wantDetail: "missing bearer token"},
				badInput{name: "no token and malformed JSON", body: `{`, wantStatus: 401, wantDetail: "missing bearer token"},
				badInput{name: "unknown token", token: f.token("nobody"), body: sample.body, wantStatus: 401, wantDetail: "unknown token"},
				badInput{name: "not a bearer token", token: "-basic", body: sample.body, wantStatus: 401, wantDetail: "Bearer"},
			)
			if role, ok := roleWithout(rt.perm); ok {
				cases = append(cases,
					badInput{name: "role " + string(role), token: f.token(role), body: sample.body, wantStatus: 403, wantDetail: "may not " + string(rt.perm)},
					// The permission is checked before the body is read.
					badInput{name: "role " + string(role) + " with an oversize body", token: f.token(role), body: oversize(max), wantStatus: 403, wantDetail: "may not " + string(rt.perm)},
				)
			} else {
				t.Errorf("every role holds %s; the wrong-role case cannot be made", rt.perm)
			}
			for _, field := range jsonFields(rt.ep.body) {
				cases = append(cases, badInput{name: "wrong type for " + field, token: good,
					body: fmt.Sprintf(`{%q:%s}`, field, wrongValue(t, rt.ep.body, field)), wantStatus: 400, wantField: field})
			}
			enums := enumFields(t, sp, rt.pattern)
			for _, field := range enums {
				cases = append(cases, badInput{name: "unknown " + field, token: good, body: withField(t, sample.body, field, "no-such-value"),
					wantStatus: 400, wantField: field, wantDetail: "no-such-value"})
			}
			if len(enums) == 0 {
				cases = append(cases, badInput{name: "unknown field", token: good, body: withField(t, sample.body, "no_such_field", 1),
					wantStatus: 400, wantField: "no_such_field", wantDetail: "not a field"})
			}
			cases = append(cases, badInput{name: "unknown field beside the others", token: good, body: withField(t, sample.body, "extra", "x"),
				wantStatus: 400, wantField: "extra"})
			if key, ok := firstKey(t, sample.body); ok {
				upper := strings.ToUpper(key)
				cases = append(cases, badInput{name: "field name " + upper, token: good, body: strings.Replace(sample.body, `"`+key+`"`, `"`+upper+`"`, 1),
					wantStatus: 400, wantField: upper, wantDetail: "case-sensitive"})
			}

			before := f.snapshot()
			for _, bc := range cases {
				t.Run(bc.name, func(t *testing.T) {
					ct := "application/json"
					if bc.contentType == "-" {
						ct = ""
					} else if bc.contentType != "" {
						ct = bc.contentType
					}
					req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(bc.body))
					if ct != "" {
						req.Header.Set("Content-Type", ct)
					}
					switch {
					case bc.token == "-basic":
						req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
					case bc.token != "":
						req.Header.Set("Authorization", "Bearer "+bc.token)
					}
					rec := httptest.NewRecorder()
					f.srv.ServeHTTP(rec, req)
					p := problemOf(t, rec, bc.wantStatus)
					if p.Field != bc.wantField {
						t.Errorf("problem field = %q, want %q; detail: %s", p.Field, bc.wantField, p.Detail)
					}
					if !strings.Contains(p.Detail, bc.wantDetail) {
						t.Errorf("problem detail = %q, want it to contain %q", p.Detail, bc.wantDetail)
					}
					if p.Instance != path {
						t.Errorf("problem instance = %q, want %q", p.Instance, path)
					}
					if rec.Code == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), `Bearer realm="accord"`) {
						t.Errorf("401 without WWW-Authenticate: Bearer realm=\"accord\" (got %q)", rec.Header().Get("WWW-Authenticate"))
					}
					sp.checkResponse(t, rt.pattern, rec.Code, rec.Header(), rec.Body.Bytes())
				})
			}
			if diff := diffSnapshots(before, f.snapshot()); diff != "" {
				t.Fatalf("refused writes to %s changed the store (-before +after):\n%s", rt.pattern, diff)
			}

			t.Run("valid sample accepted", func(t *testing.T) {
				rec := f.do(http.MethodPost, path, good, sample.body)
				if rec.Code != sample.want {
					t.Fatalf("valid sample: status %d, want %d; body: %s", rec.Code, sample.want, rec.Body)
				}
				sp.checkResponse(t, rt.pattern, rec.Code, rec.Header(), rec.Body.Bytes())
			})
		})
	}
}

// roleWithout returns the first role that does not hold p.
func roleWithout(p accord.Permission) (accord.Role, bool) {
	for _, r := range accord.Roles {
		if !accord.Can(r, p) {
			return r, true
		}
	}
	return "", false
}

// oversize returns a JSON object of exactly max+1 bytes.
func oversize(max int64) string {
	const head, tail = `{"note":"`, `"}`
	return head + strings.Repeat("a", int(max)+1-len(head)-len(tail)) + tail
}

// wrongValue returns a JSON value of a type the named field of body type bt
// does not decode from.
func wrongValue(t *testing.T, bt reflect.Type, field string) string {
	t.Helper()
	for i := range bt.NumField() {
		sf := bt.Field(i)
		if jsonName(sf) != field {
			continue
		}
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft == reflect.TypeFor[time.Time]():
			return `1772442000`
		case ft.Kind() == reflect.String:
			return `12`
		case ft.Kind() == reflect.Slice:
			return `"energy"`
		default:
			return `"five"`
		}
	}
	t.Fatalf("%v has no field %s", bt, field)
	return ""
}

// withField returns the JSON object body with field set to v.
func withField(t *testing.T, body, field string, v any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("sample body %s: %v", body, err)
	}
	if field == "sectors" {
		v = []any{v}
	}
	m[field] = v
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// enumFields returns the fields of a route's request body whose values are
// drawn from a list: those whose schema in the document refers to one of the
// named enum schemas (directly, through anyOf or as array items), and the
// agreementEnums.
func enumFields(t *testing.T, sp *spec, pattern string) []string {
	t.Helper()
	method, path, _ := strings.Cut(pattern, " ")
	sch, _, ok := sp.at(pointer("paths", path, strings.ToLower(method), "requestBody", "content", "application/json", "schema"))
	if !ok {
		t.Fatalf("%s has no documented JSON body", pattern)
	}
	props, _ := sch.(map[string]any)["properties"].(map[string]any)
	var out []string
	for name, p := range props {
		if slices.Contains(agreementEnums(), name) || refersToEnum(p) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func refersToEnum(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if ref, ok := m["$ref"].(string); ok {
		_, known := enumSchemas()[strings.TrimPrefix(ref, "#/components/schemas/")]
		return known
	}
	if refersToEnum(m["items"]) {
		return true
	}
	anyOf, _ := m["anyOf"].([]any)
	return slices.ContainsFunc(anyOf, refersToEnum)
}

// firstKey returns the first key, in sorted order, of the JSON object body.
func firstKey(t *testing.T, body string) (string, bool) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("sample body %s: %v", body, err)
	}
	keys := slices.Sorted(maps.Keys(m))
	if len(keys) == 0 {
		return "", false
	}
	return keys[0], true
}
