package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// upload sends content as the raw body of a POST to path with the given
// Content-Type ("" for none).
func (f *fixture) upload(path string, role accord.Role, content []byte, contentType string) *httptest.ResponseRecorder {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(content))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if tok := f.token(role); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec
}

// item decodes an evidence detail answered by the API.
func item(t *testing.T, rec *httptest.ResponseRecorder) node.EvidenceDetail {
	t.Helper()
	var d node.EvidenceDetail
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil || d.Evidence == nil {
		t.Fatalf("evidence detail %s does not parse: %v", rec.Body, err)
	}
	return d
}

// tmpFiles lists what the evidence store holds in its temporary directory.
func (f *fixture) tmpFiles() []string {
	f.t.Helper()
	es, err := os.ReadDir(filepath.Join(f.bdir, "tmp"))
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestEvidenceUploadListShowDownload follows a file through the API: an
// analyst uploads it (larger than the API's JSON body limit, which uploads
// are not held to), lists and shows it; a reviewer downloads it, getting the
// same bytes with its length, name and SHA-256 in the headers, and the
// download is an "accessed" event naming the reviewer in its chain of
// custody; a HEAD request records nothing; custody is recorded by hand.
func TestEvidenceUploadListShowDownload(t *testing.T) {
	f := newFixture(t)
	sp := loadSpec(t)
	ctx := context.Background()
	c, err := f.svc.CreateCase(ctx, admin, node.NewCase{Title: "Intrusion at a grid operator", Category: "intrusions", TLP: accord.TLPAmber})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.CreateRequest(ctx, admin, node.NewRequest{CaseID: c.ID, To: "cncert", Type: accord.TypeEvidence, Priority: accord.PriorityNormal, Subject: "Produce the logs"})
	if err != nil {
		t.Fatal(err)
	}

	content := bytes.Repeat([]byte("2026-03-01T12:00:00Z 192.0.2.17 -> 198.51.100.23:443 tcp 1514\n"), 24000) // ~1.5 MiB
	if int64(len(content)) <= DefaultMaxBodyBytes || int64(len(content)) > evidenceLimit {
		t.Fatalf("content of %d bytes: want more than the body limit %d and at most the evidence limit %d", len(content), DefaultMaxBodyBytes, evidenceLimit)
	}
	sum := sha256.Sum256(content)
	digest := hex.EncodeToString(sum[:])
	name := "netflow März.csv"
	q := url.Values{"name": {name}, "description": {"Flows of the jump host"}, "reason": {"exported from the collector"}}

	path := "/api/v1/cases/" + c.ID + "/evidence?" + q.Encode()
	rec := f.upload(path, accord.RoleAnalyst, content, "application/octet-stream")
	check(t, f, sp, step{method: "POST", path: path, wantStatus: http.StatusCreated,
		wantContains: []string{`"id":"us-cert-E0001"`, `"case_id":"` + c.ID + `"`, `"digest":"` + digest + `"`, fmt.Sprintf(`"size":%d`, len(content)),
			`"name":"` + name + `"`, `"description":"Flows of the jump host"`, `"created_by":"analyst user"`,
			`"event":"collected"`, `"reason":"exported from the collector"`, `"actor":"analyst user"`, `"party":"us-cert"`},
		wantNotContains: []string{`"request_id"`},
		wantHeader:      map[string]string{"Location": "/api/v1/evidence/us-cert-E0001"}}, rec)

	reqPath := "/api/v1/requests/" + r.ID + "/evidence?name=logs.txt"
	rec = f.upload(reqPath, accord.RoleAdmin, []byte("the logs"), "")
	check(t, f, sp, step{method: "POST", path: reqPath, wantStatus: http.StatusCreated,
		wantContains: []string{`"id":"us-cert-E0002"`, `"request_id":"` + r.ID + `"`, `"event":"collected"`}, wantNotContains: []string{`"case_id"`}}, rec)

	run(t, f, sp, []step{
		{name: "the case lists its item", method: "GET", path: "/api/v1/cases/" + c.ID + "/evidence", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"id":"us-cert-E0001"`, `"digest":"` + digest + `"`}, wantNotContains: []string{"us-cert-E0002", `"custody"`}},
		{name: "the request lists its item", method: "GET", path: "/api/v1/requests/" + r.ID + "/evidence", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"id":"us-cert-E0002"`}, wantNotContains: []string{"us-cert-E0001"}},
		{name: "a case without evidence lists none", method: "GET", path: "/api/v1/cases/" + mustCase(t, f) + "/evidence", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`{"evidence":[]}`}},
		{name: "the item with its custody", method: "GET", path: "/api/v1/evidence/us-cert-E0001", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"custody":[{"evidence_id":"us-cert-E0001","seq":1,"event":"collected"`}},
	})

	f.advance(3600e9)
	get := func(method, path string, role accord.Role) *httptest.ResponseRecorder {
		t.Helper()
		rec := f.do(method, path, f.token(role), "")
		_, pattern := f.srv.mux.Handler(httptest.NewRequest(method, path, nil))
		sp.checkResponse(t, pattern, rec.Code, rec.Header(), rec.Body.Bytes())
		return rec
	}
	rec = get("GET", "/api/v1/evidence/us-cert-E0001/content?reason=review+of+the+case", accord.RoleReviewer)
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), content) {
		t.Fatalf("download: status %d, %d bytes; want 200 and the %d bytes uploaded", rec.Code, rec.Body.Len(), len(content))
	}
	wantHeaders := map[string]string{
		"Content-Type":           "application/octet-stream",
		"Content-Length":         fmt.Sprint(len(content)),
		"ETag":                   `"` + digest + `"`,
		"Content-Digest":         "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":",
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
	}
	for h, want := range wantHeaders {
		if got := rec.Header().Get(h); got != want {
			t.Errorf("download header %s = %q, want %q", h, got, want)
		}
	}
	if disp, params, err := mime.ParseMediaType(rec.Header().Get("Content-Disposition")); err != nil || disp != "attachment" || params["filename"] != name {
		t.Errorf("download Content-Disposition = %q (%s, %v, %v); want attachment with filename %q", rec.Header().Get("Content-Disposition"), disp, params, err, name)
	}

	rec = get("HEAD", "/api/v1/evidence/us-cert-E0001/content", accord.RoleReviewer)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("ETag") != wantHeaders["ETag"] || rec.Header().Get("Content-Length") != wantHeaders["Content-Length"] {
		t.Errorf("HEAD content: status %d, %d body bytes, headers %v; want 200, no body, the download's headers", rec.Code, rec.Body.Len(), rec.Header())
	}

	rec = get("GET", "/api/v1/evidence/us-cert-E0001/content", accord.RoleAnalyst)
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), content) {
		t.Fatalf("second download: status %d, %d bytes", rec.Code, rec.Body.Len())
	}

	d := item(t, get("GET", "/api/v1/evidence/us-cert-E0001", accord.RoleReviewer))
	type ev struct{ Seq, Event, Actor, Reason, At string }
	var got []ev
	for _, e := range d.Custody {
		got = append(got, ev{fmt.Sprint(e.Seq), e.Event, e.Actor, e.Reason, e.At.Format("15:04")})
	}
	want := []ev{
		{"1", "collected", "analyst user", "exported from the collector", "09:00"},
		{"2", "accessed", "reviewer user", "review of the case", "10:00"},
		{"3", "accessed", "analyst user", "downloaded through the API", "10:00"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("custody after two downloads and a HEAD = %v, want %v", got, want)
	}

	run(t, f, sp, []step{
		{name: "a reviewer may not record custody", method: "POST", path: "/api/v1/evidence/us-cert-E0001/custody", role: accord.RoleReviewer,
			body: `{"event":"sealed","reason":"before transfer"}`, wantStatus: http.StatusForbidden, wantContains: []string{"role reviewer may not write-cases"}},
		{name: "an analyst seals it", method: "POST", path: "/api/v1/evidence/us-cert-E0001/custody", role: accord.RoleAnalyst,
			body: `{"event":"sealed","reason":"before transfer"}`, wantStatus: http.StatusOK,
			wantContains: []string{`"seq":4,"event":"sealed","actor":"analyst user"`, `"reason":"before transfer"`}},
		{name: "verified re-hashes the file", method: "POST", path: "/api/v1/evidence/us-cert-E0001/custody", role: accord.RoleAnalyst,
			body: `{"event":"verified","reason":"after the hand-over"}`, wantStatus: http.StatusOK, wantContains: []string{`"seq":5,"event":"verified"`}},
		{name: "a step only the node records is refused", method: "POST", path: "/api/v1/evidence/us-cert-E0001/custody", role: accord.RoleAnalyst,
			body: `{"event":"received","reason":"x"}`, wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"event"`, "cannot be recorded by hand"}},
		{name: "custody without a reason is refused", method: "POST", path: "/api/v1/evidence/us-cert-E0001/custody", role: accord.RoleAnalyst,
			body: `{"event":"sealed"}`, wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"reason"`}},
	})
	if rep, err := f.svc.Verify(ctx, admin); err != nil || !rep.OK {
		t.Errorf("verify after the API's evidence steps: %+v, %v", rep, err)
	}
}

// mustCase opens another case and returns its id.
func mustCase(t *testing.T, f *fixture) string {
	t.Helper()
	c, err := f.svc.CreateCase(context.Background(), admin, node.NewCase{Title: "Phishing wave", Category: "fraud"})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// TestEvidenceUploadRefusals drives every streamed upload route with bad
// input: no or an unknown token, a role without the route's permission
// (refused before the body is read, even an oversize one), a missing or too
// long name, an undocumented parameter, an unknown case or request (404
// naming it), a form-encoded body (415) and a file over the evidence limit
// (413 naming the limit). Each is a problem documented for the route, and
// neither the store nor the evidence store changes. Then a valid upload is
// accepted.
func TestEvidenceUploadRefusals(t *testing.T) {
	f := newFixture(t)
	sp := loadSpec(t)
	ids := f.setupStates(map[string]accord.Status{"request": accord.StatusSent})
	owners := map[string]string{"cases": ids["case"], "requests": ids["request"]}
	small := []byte("192.0.2.17,198.51.100.23,443\n")
	over := bytes.Repeat([]byte("x"), int(evidenceLimit)+1)

	streamed := 0
	for _, rt := range f.srv.routes() {
		if !rt.ep.stream || !strings.HasSuffix(rt.pattern, "/evidence") {
			continue // the import route: TestImportRoute
		}
		streamed++
		t.Run(rt.pattern, func(t *testing.T) {
			_, pattern, _ := strings.Cut(rt.pattern, " ")
			kind := strings.Split(pattern, "/")[3] // cases or requests
			id, ok := owners[kind]
			if !ok {
				t.Fatalf("no owner for %s", pattern)
			}
			base := strings.Replace(pattern, "{id}", id, 1)
			unknown := strings.Replace(pattern, "{id}", "us-cert-X0404", 1)
			role, ok := roleWithout(rt.perm)
			if !ok {
				t.Fatalf("every role holds %s", rt.perm)
			}
			cases := []struct {
				name        string
				path        string
				role        accord.Role
				content     []byte
				contentType string
				wantStatus  int
				wantField   string
				wantDetail  string
			}{
				{"no token", base + "?name=a.csv", "", small, "", 401, "", "missing bearer token"},
				{"unknown token", base + "?name=a.csv", "nobody", small, "", 401, "", "unknown token"},
				{"role " + string(role), base + "?name=a.csv", role, small, "", 403, "", "may not " + string(rt.perm)},
				{"role reviewer", base + "?name=a.csv", accord.RoleReviewer, small, "", 403, "", "may not " + string(rt.perm)},
				{"role " + string(role) + " with an oversize file", base + "?name=a.csv", role, over, "", 403, "", "may not " + string(rt.perm)},
				{"no name", base, accord.RoleAnalyst, small, "", 400, "name", "required"},
				{"blank name", base + "?name=+", accord.RoleAnalyst, small, "", 400, "name", "required"},
				{"name too long", base + "?name=" + strings.Repeat("n", 301), accord.RoleAnalyst, small, "", 400, "name", "300 bytes"},
				{"undocumented parameter", base + "?name=a.csv&case=x", accord.RoleAnalyst, small, "", 400, "case", "not a query parameter"},
				{"name given twice", base + "?name=a.csv&name=b.csv", accord.RoleAnalyst, small, "", 400, "name", "2 times"},
				{"unknown " + kind, unknown + "?name=a.csv", accord.RoleAnalyst, small, "", 404, "", "us-cert-X0404 not found"},
				{"form encoded", base + "?name=a.csv", accord.RoleAnalyst, small, "application/x-www-form-urlencoded", 415, "", "the file's bytes"},
				{"multipart", base + "?name=a.csv", accord.RoleAnalyst, small, "multipart/form-data; boundary=x", 415, "", "the file's bytes"},
				{"over the evidence limit", base + "?name=big.bin", accord.RoleAnalyst, over, "application/octet-stream", 413, "content", fmt.Sprintf("exceeds the limit of %d bytes", evidenceLimit)},
			}
			before := f.snapshot()
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					rec := f.upload(tc.path, tc.role, tc.content, tc.contentType)
					p := problemOf(t, rec, tc.wantStatus)
					if p.Field != tc.wantField {
						t.Errorf("problem field = %q, want %q; detail: %s", p.Field, tc.wantField, p.Detail)
					}
					if !strings.Contains(p.Detail, tc.wantDetail) {
						t.Errorf("problem detail = %q, want it to contain %q", p.Detail, tc.wantDetail)
					}
					sp.checkResponse(t, rt.pattern, rec.Code, rec.Header(), rec.Body.Bytes())
				})
			}
			if diff := diffSnapshots(before, f.snapshot()); diff != "" {
				t.Fatalf("refused uploads to %s changed the stores (-before +after):\n%s", rt.pattern, diff)
			}
			if tmp := f.tmpFiles(); len(tmp) != 0 {
				t.Errorf("refused uploads left %v in the evidence store's tmp/", tmp)
			}

			t.Run("valid upload accepted", func(t *testing.T) {
				rec := f.upload(base+"?name=a.csv", accord.RoleAnalyst, small, "application/octet-stream")
				if rec.Code != http.StatusCreated {
					t.Fatalf("valid upload: status %d, want 201; body: %s", rec.Code, rec.Body)
				}
				sp.checkResponse(t, rt.pattern, rec.Code, rec.Header(), rec.Body.Bytes())
			})
		})
	}
	if streamed == 0 {
		t.Fatal("no streamed route in the route table")
	}
}

// TestEvidenceNotFound: each evidence route answers an unknown case,
// request or item with 404 naming it, and a download of an unknown item
// records nothing.
func TestEvidenceNotFound(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()
	run(t, f, loadSpec(t), []step{
		{name: "evidence of an unknown case", method: "GET", path: "/api/v1/cases/us-cert-C0404/evidence", role: accord.RoleReviewer,
			wantStatus: http.StatusNotFound, wantContains: []string{"case us-cert-C0404 not found", `"code":"not_found"`}},
		{name: "evidence of an unknown request", method: "GET", path: "/api/v1/requests/us-cert-R0404/evidence", role: accord.RoleReviewer,
			wantStatus: http.StatusNotFound, wantContains: []string{"request us-cert-R0404 not found"}},
		{name: "an unknown item", method: "GET", path: "/api/v1/evidence/us-cert-E0404", role: accord.RoleReviewer,
			wantStatus: http.StatusNotFound, wantContains: []string{"evidence us-cert-E0404 not found"}},
		{name: "the file of an unknown item", method: "GET", path: "/api/v1/evidence/us-cert-E0404/content", role: accord.RoleReviewer,
			wantStatus: http.StatusNotFound, wantContains: []string{"evidence us-cert-E0404 not found"}},
		{name: "custody of an unknown item", method: "POST", path: "/api/v1/evidence/us-cert-E0404/custody", role: accord.RoleAnalyst,
			body: `{"event":"sealed","reason":"x"}`, wantStatus: http.StatusNotFound, wantContains: []string{"evidence us-cert-E0404 not found"}},
		{name: "verified custody of an unknown item", method: "POST", path: "/api/v1/evidence/us-cert-E0404/custody", role: accord.RoleAnalyst,
			body: `{"event":"verified","reason":"x"}`, wantStatus: http.StatusNotFound, wantContains: []string{"evidence us-cert-E0404 not found"}},
		{name: "without a token nothing is said about the item", method: "GET", path: "/api/v1/evidence/us-cert-E0404/content",
			wantStatus: http.StatusUnauthorized, wantNotContains: []string{"us-cert-E0404 not found"}},
	})
	if diff := diffSnapshots(before, f.snapshot()); diff != "" {
		t.Errorf("requests for unknown evidence changed the stores:\n%s", diff)
	}
}

// slowBody yields n chunks of size bytes, pausing between them: a client on
// a slow link.
type slowBody struct {
	n, size int
	pause   time.Duration
}

func (b *slowBody) Read(p []byte) (int, error) {
	if b.n == 0 {
		return 0, io.EOF
	}
	time.Sleep(b.pause)
	b.n--
	return copy(p, bytes.Repeat([]byte("x"), min(b.size, len(p)))), nil
}

// TestEvidenceUploadOutlastsReadTimeout: over a real connection, an upload
// that keeps coming may take longer than the server's ReadTimeout, which
// bounds every other request.
func TestEvidenceUploadOutlastsReadTimeout(t *testing.T) {
	f := newFixture(t)
	ids := f.setupStates(nil)
	ts := httptest.NewUnstartedServer(f.srv)
	ts.Config.ReadTimeout = 300 * time.Millisecond
	ts.Start()
	defer ts.Close()

	body := &slowBody{n: 8, size: 4096, pause: 100 * time.Millisecond} // 800 ms in all
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/api/v1/cases/"+ids["case"]+"/evidence?name=slow.bin", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 8 * 4096
	req.Header.Set("Authorization", "Bearer "+f.token(accord.RoleAnalyst))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("slow upload: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(b), `"size":32768`) {
		t.Errorf("slow upload: status %d, body %s; want 201 with all 32768 bytes stored", resp.StatusCode, b)
	}
}
