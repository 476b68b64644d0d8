package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/accord-cyber/accord"
)

const testBundle = `{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
  "created": "2026-03-01T10:00:00.000Z", "modified": "2026-03-01T10:00:00.000Z", "name": "C2",
  "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix", "valid_from": "2026-03-01T10:00:00Z"},
 {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.0/24"}
]}`

// TestImportRoute: a bundle posted to /api/v1/imports opens a case; the
// case exports the same objects; a second bundle in another case
// correlates; an invalid file is refused naming the object and the field,
// with nothing stored; roles and unknown cases are refused.
func TestImportRoute(t *testing.T) {
	f := newFixture(t)
	sp := loadSpec(t)
	rec := f.upload("/api/v1/imports?format=stix&title=C2+feed&tlp=green&source=feed.json", accord.RoleAnalyst, []byte(testBundle), "application/json")
	if rec.Code != http.StatusCreated {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	sp.checkResponse(t, "POST /api/v1/imports", rec.Code, rec.Header(), rec.Body.Bytes())
	var rep struct {
		CaseID                      string `json:"case_id"`
		Source                      string
		Objects, Added, Observables int
	}
	json.Unmarshal(rec.Body.Bytes(), &rep)
	if rep.Objects != 2 || rep.Added != 2 || rep.Observables != 2 || rep.Source != "stix:feed.json" || rec.Header().Get("Location") != "/api/v1/cases/"+rep.CaseID {
		t.Errorf("import report %+v, Location %q", rep, rec.Header().Get("Location"))
	}

	rec = f.do("GET", "/api/v1/cases/"+rep.CaseID+"/export", f.token(accord.RoleReviewer), "")
	var bundle struct {
		Type    string
		Objects []struct{ ID string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &bundle); err != nil || rec.Code != 200 || bundle.Type != "bundle" || len(bundle.Objects) != 2 ||
		!strings.HasPrefix(rec.Header().Get("Content-Type"), "application/stix+json") {
		t.Errorf("export: %d %s %v", rec.Code, rec.Body, err)
	}

	// The network, in another case, holds the address of the first.
	other := strings.Replace(strings.Replace(testBundle, "8e2e2d2b", "9e2e2d2b", 1), "198.51.100.0/24", "203.0.113.0/24", 1)
	rec = f.upload("/api/v1/imports?format=stix&title=Second", accord.RoleAnalyst, []byte(other), "application/octet-stream")
	if rec.Code != http.StatusCreated {
		t.Fatalf("second import: %d %s", rec.Code, rec.Body)
	}
	rec = f.do("GET", "/api/v1/cases/"+rep.CaseID+"/correlations", f.token(accord.RoleReviewer), "")
	sp.checkResponse(t, "GET /api/v1/cases/{id}/correlations", rec.Code, rec.Header(), rec.Body.Bytes())
	if !strings.Contains(rec.Body.String(), `"value":"198.51.100.7"`) {
		t.Errorf("correlations: %s", rec.Body)
	}
	rec = f.do("GET", "/api/v1/correlate?kind=cidr&value=198.51.100.0/25", f.token(accord.RoleReviewer), "")
	sp.checkResponse(t, "GET /api/v1/correlate", rec.Code, rec.Header(), rec.Body.Bytes())
	var m struct {
		Matches []struct{ Value, CaseID string }
	}
	json.Unmarshal(rec.Body.Bytes(), &m)
	if rec.Code != 200 || len(m.Matches) != 3 { // the address in each case, and the /24 that holds the /25
		t.Errorf("correlate: %d %s", rec.Code, rec.Body)
	}

	// Refusals.
	before := f.snapshot()
	bad := strings.Replace(testBundle, `"name": "C2"`, `"name": "C2", "confidence": 400`, 1)
	rec = f.upload("/api/v1/imports?format=stix", accord.RoleAnalyst, []byte(bad), "application/json")
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f") || !strings.Contains(rec.Body.String(), "confidence") {
		t.Errorf("invalid bundle: %d %s", rec.Code, rec.Body)
	}
	for _, tc := range []struct {
		name, path string
		role       accord.Role
		status     int
	}{
		{"a reviewer", "/api/v1/imports?format=stix", accord.RoleReviewer, 403},
		{"no token", "/api/v1/imports?format=stix", "", 401},
		{"an unknown case", "/api/v1/imports?format=stix&case=us-cert-C0404", accord.RoleAnalyst, 404},
		{"no format", "/api/v1/imports", accord.RoleAnalyst, 400},
		{"an unknown format", "/api/v1/imports?format=csv", accord.RoleAnalyst, 400},
		{"a bad category", "/api/v1/imports?format=stix&category=gossip", accord.RoleAnalyst, 400},
	} {
		if rec := f.upload(tc.path, tc.role, []byte(testBundle), "application/json"); rec.Code != tc.status {
			t.Errorf("import by %s: %d %s, want %d", tc.name, rec.Code, rec.Body, tc.status)
		}
	}
	huge := `{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [{"type": "note", "content": "` + strings.Repeat("x", 17<<20) + `"}]}`
	if rec := f.upload("/api/v1/imports?format=stix", accord.RoleAnalyst, []byte(huge), "application/json"); rec.Code != 413 {
		t.Errorf("an object over the decoder's limit: %d %.200s", rec.Code, rec.Body)
	}
	if diff := diffSnapshots(before, f.snapshot()); diff != "" {
		t.Errorf("refused imports changed the store:\n%s", diff)
	}
	if rec := f.do("GET", "/api/v1/cases/us-cert-C0404/export", f.token(accord.RoleReviewer), ""); rec.Code != 404 {
		t.Errorf("export of an unknown case: %d", rec.Code)
	}
	if rec := f.do("GET", "/api/v1/correlate?kind=ip&value=nope", f.token(accord.RoleReviewer), ""); rec.Code != 400 || !strings.Contains(rec.Body.String(), "value") {
		t.Errorf("correlate of a bad value: %d %s", rec.Code, rec.Body)
	}
}

// TestShareRoute: a liaison shares a case's objects with the peer of a
// request; the request's objects list them, out; a TLP:RED object the peer
// is not named in is refused with 403; a local party's request gets 400.
func TestShareRoute(t *testing.T) {
	f := newFixture(t)
	sp := loadSpec(t)
	ids := f.setupStates(map[string]accord.Status{"local": accord.StatusSent})
	f.setupShare(ids)
	red := `{"type":"bundle","id":"bundle--0b5f7a4e-8c1e-4a53-9f3e-2f6c1d0e9a21","objects":[{"type":"note","spec_version":"2.1","id":"note--0b5f7a4e-8c1e-4a53-9f3e-2f6c1d0e9a22","created":"2026-03-01T10:00:00.000Z","modified":"2026-03-01T10:00:00.000Z","content":"ours alone","object_refs":["ipv4-addr--0b5f7a4e-8c1e-4a53-9f3e-2f6c1d0e9a12"],"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}]}`
	if rec := f.upload("/api/v1/imports?format=stix&case="+ids["case"], accord.RoleAnalyst, []byte(red), "application/json"); rec.Code != http.StatusOK && rec.Code != http.StatusCreated {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	path := "/api/v1/requests/" + ids["share"]
	before := f.snapshot()
	for _, tc := range []struct {
		name, path, body string
		role             accord.Role
		status           int
	}{
		{"a TLP:RED object for no peer", path + "/share", `{"objects":["note--0b5f7a4e-8c1e-4a53-9f3e-2f6c1d0e9a22"]}`, accord.RoleLiaison, 403},
		{"a request to a local party", "/api/v1/requests/" + ids["local"] + "/share", `{}`, accord.RoleLiaison, 400},
		{"an analyst", path + "/share", `{}`, accord.RoleAnalyst, 403},
		{"an unknown request", "/api/v1/requests/us-cert-R0404/share", `{}`, accord.RoleLiaison, 404},
	} {
		rec := f.do("POST", tc.path, f.token(tc.role), tc.body)
		if rec.Code != tc.status {
			t.Errorf("share, %s: %d %s, want %d", tc.name, rec.Code, rec.Body, tc.status)
		}
		sp.checkResponse(t, "POST /api/v1/requests/{id}/share", rec.Code, rec.Header(), rec.Body.Bytes())
	}
	if diff := diffSnapshots(before, f.snapshot()); diff != "" {
		t.Errorf("refused shares changed the store:\n%s", diff)
	}
	rec := f.do("POST", path+"/share", f.token(accord.RoleLiaison), `{"note":"what we see"}`)
	sp.checkResponse(t, "POST /api/v1/requests/{id}/share", rec.Code, rec.Header(), rec.Body.Bytes())
	var rep struct {
		Shared   int
		Messages []string
		Withheld []struct{ Item string }
	}
	json.Unmarshal(rec.Body.Bytes(), &rep)
	if rec.Code != http.StatusAccepted || rep.Shared != 1 || len(rep.Messages) != 1 || len(rep.Withheld) != 1 || rep.Withheld[0].Item != "note--0b5f7a4e-8c1e-4a53-9f3e-2f6c1d0e9a22" {
		t.Errorf("share of the whole case: %d %s", rec.Code, rec.Body)
	}
	rec = f.do("GET", path+"/objects", f.token(accord.RoleReviewer), "")
	sp.checkResponse(t, "GET /api/v1/requests/{id}/objects", rec.Code, rec.Header(), rec.Body.Bytes())
	var list struct {
		Objects []struct {
			MessageID string `json:"message_id"`
			Direction string
			Peer      string
		}
	}
	json.Unmarshal(rec.Body.Bytes(), &list)
	if rec.Code != 200 || len(list.Objects) != 1 || list.Objects[0].Direction != "out" || list.Objects[0].Peer != "kisa" || list.Objects[0].MessageID != rep.Messages[0] {
		t.Errorf("objects of the request: %d %s", rec.Code, rec.Body)
	}
}
