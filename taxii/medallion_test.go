package taxii_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/internal/shareddata"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/sqlite"
	"github.com/accord-cyber/accord/taxii"
)

// The reference server's test suite (oasis-open/cti-taxii-server,
// medallion 3.0.0, medallion/test/test_backends.py) runs against
// default_data.json with these endpoints, user admin and max_page_size 20.
const (
	apiRootEP       = "/taxii2/trustgroup1/"
	collectionsEP   = apiRootEP + "collections/"
	getObjectsEP    = collectionsEP + "91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/"
	getManifestsEP  = collectionsEP + "91a7b528-80eb-42ed-a74d-c6fbd5a26116/manifest/"
	addObjectsEP    = collectionsEP + "365fed99-08fa-fdcd-a1b3-fb247eb41d01/objects/"
	addManifestsEP  = collectionsEP + "365fed99-08fa-fdcd-a1b3-fb247eb41d01/manifest/"
	forbiddenEP     = collectionsEP + "64993447-4d7e-4f70-b94d-d7f33742ee63/"
	nonExistentEP   = collectionsEP + "12345678-1234-1234-1234-123456789012/"
	malware         = "malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec"
	indicator6770   = "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e"
	relationship    = "relationship--2f9a9aa9-108a-4333-83e2-4fb25add0463"
	indicatorCD98   = "indicator--cd981c25-8042-4166-8945-51178443bdac"
	markingGreen    = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	testObjectID    = "course-of-action--68794cd5-28db-429d-ab1e-1256704ef906"
	testObjectBatch = `{"objects":[{"type":"course-of-action","spec_version":"2.1","id":"` + testObjectID +
		`","created":"2017-01-27T13:49:53.935Z","modified":"2017-01-27T13:49:53.935Z","name":"Test object"}]}`
)

// medallion is a node loaded with the fixture, served over HTTP.
type medallion struct {
	srv   *httptest.Server
	svc   *node.Service
	store accord.Store
	auth  string // Basic admin:TOKEN
	token string
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newMedallion opens a node on a fresh SQLite store, loads the fixture into
// it — API roots, collections (the audience a peer party, at most
// TLP:AMBER+STRICT, can_read and can_write as grants to user admin),
// objects with their date_added, status resources — and serves /taxii2/.
func newMedallion(t *testing.T) *medallion {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, t.TempDir()+"/accord.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc := node.New(node.Config{Store: store, Agreement: accord.DefaultAgreement(), Self: "us-cert", Logger: quiet})
	op := accord.Actor{Name: "cli:test", Role: accord.RoleAdmin}
	if _, err := svc.InitSelf(ctx, accord.Party{ID: "us-cert", Name: "US-CERT", Country: "US"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.AddParty(ctx, op, accord.Party{ID: "partner", Name: "Partner CERT", Country: "FR"}); err != nil {
		t.Fatal(err)
	}
	_, token, err := svc.AddUser(ctx, op, "admin", accord.RoleAnalyst)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(shareddata.Path(t, "taxii", "medallion-default_data.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fixture map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fixture); err != nil {
		t.Fatal(err)
	}
	var disc struct{ Title, Description, Contact, Default string }
	if err := json.Unmarshal(fixture["/discovery"], &disc); err != nil {
		t.Fatal(err)
	}
	var roots []string
	for k := range fixture {
		if k != "/discovery" {
			roots = append(roots, k)
		}
	}
	sort.Strings(roots)
	for _, id := range roots {
		var root struct {
			Information struct {
				Title, Description string
				MaxContentLength   int64 `json:"max_content_length"`
			}
			Status      []json.RawMessage
			Collections []struct {
				ID, Title, Description string
				CanRead                bool     `json:"can_read"`
				CanWrite               bool     `json:"can_write"`
				MediaTypes             []string `json:"media_types"`
				Objects                []json.RawMessage
				Manifest               []struct {
					ID, Version string
					DateAdded   string `json:"date_added"`
				}
			}
		}
		if err := json.Unmarshal(fixture[id], &root); err != nil {
			t.Fatal(err)
		}
		_, err := svc.CreateTAXIIAPIRoot(ctx, op, accord.TAXIIAPIRoot{ID: id, Title: root.Information.Title, Description: root.Information.Description,
			MaxContentLength: root.Information.MaxContentLength, Default: strings.HasSuffix(disc.Default, "/"+id+"/")})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range root.Collections {
			grants := []accord.TAXIIGrant{}
			if c.CanRead || c.CanWrite {
				grants = append(grants, accord.TAXIIGrant{User: "admin", Read: c.CanRead, Write: c.CanWrite})
			}
			_, err := svc.CreateTAXIICollection(ctx, op, accord.TAXIICollection{ID: c.ID, APIRoot: id, Title: c.Title, Description: c.Description,
				Audience: "partner", MaxTLP: accord.TLPAmberStrict, MediaTypes: c.MediaTypes, Grants: grants})
			if err != nil {
				t.Fatal(err)
			}
			// Each manifest entry names an object version; they join the
			// collection in date_added order, at their date_added.
			byKey := map[accord.ObjectKey]json.RawMessage{}
			for _, o := range c.Objects {
				var h struct{ ID, Modified, Created string }
				json.Unmarshal(o, &h)
				v := h.Modified
				if v == "" {
					v = h.Created
				}
				byKey[accord.ObjectKey{ID: h.ID, Version: v}] = o
			}
			man := c.Manifest
			sort.SliceStable(man, func(i, j int) bool { return man[i].DateAdded < man[j].DateAdded })
			var rows []*accord.IntelObject
			var entries []*accord.CollectionEntry
			for _, m := range man {
				k := accord.ObjectKey{ID: m.ID, Version: m.Version}
				obj, ok := byKey[k]
				if !ok {
					t.Fatalf("manifest entry %v has no object", k)
				}
				var h struct {
					Type        string
					SpecVersion string `json:"spec_version"`
				}
				json.Unmarshal(obj, &h)
				sum := sha256.Sum256(obj)
				rows = append(rows, &accord.IntelObject{ID: k.ID, Type: h.Type, Version: k.Version, SpecVersion: h.SpecVersion,
					AddedAt: time.Now().UTC(), Source: "taxii:medallion-default_data.json", Digest: hex.EncodeToString(sum[:]), Object: obj})
				added, err := time.Parse(time.RFC3339Nano, m.DateAdded)
				if err != nil {
					t.Fatal(err)
				}
				entries = append(entries, &accord.CollectionEntry{Object: k, DateAdded: added, TLP: accord.TLPAmberStrict})
			}
			err = store.Update(ctx, func(tx accord.Tx) error {
				if err := tx.AddObjects(rows); err != nil {
					return err
				}
				return tx.AddCollectionObjects(c.ID, entries)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, raw := range root.Status {
			var st struct {
				ID, Status                    string
				RequestTimestamp              string `json:"request_timestamp"`
				TotalCount                    int    `json:"total_count"`
				Successes, Failures, Pendings []accord.TAXIIStatusDetail
			}
			json.Unmarshal(raw, &st)
			ts, _ := time.Parse(time.RFC3339Nano, st.RequestTimestamp)
			err := store.Update(ctx, func(tx accord.Tx) error {
				return tx.CreateStatus(&accord.TAXIIStatus{ID: st.ID, APIRoot: id, Status: st.Status, RequestTimestamp: ts, TotalCount: st.TotalCount,
					Successes: st.Successes, Failures: st.Failures, Pendings: st.Pendings, CreatedBy: "admin"})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/taxii2/", taxii.NewHandler(svc, taxii.Options{Title: disc.Title, Description: disc.Description, Contact: disc.Contact, MaxPageSize: 20, Logger: quiet}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &medallion{srv: srv, svc: svc, store: store, token: token,
		auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+token))}
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// do sends a request; headers are "Name: value" strings. Accept is
// application/taxii+json;version=2.1 and the admin's Basic credentials are
// sent unless headers set them ("Authorization:" alone sends none).
func (m *medallion) do(t *testing.T, method, path, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, m.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", taxii.MediaType)
	req.Header.Set("Authorization", m.auth)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", taxii.MediaType)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		if v = strings.TrimSpace(v); v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, body: b}
	if ct := res.Header.Get("Content-Type"); ct != taxii.MediaType {
		t.Errorf("%s %s: Content-Type %q, want %q", method, path, ct, taxii.MediaType)
	}
	if err := json.Unmarshal(b, &r.json); err != nil {
		t.Errorf("%s %s: body is not a JSON object: %v: %s", method, path, err, b)
	}
	return r
}

func (m *medallion) get(t *testing.T, path string, headers ...string) response {
	t.Helper()
	return m.do(t, http.MethodGet, path, "", headers...)
}

// list returns the entries of the response's list property (objects or
// versions) and checks more.
func (r response) list(name string) []any {
	l, _ := r.json[name].([]any)
	return l
}

func (r response) ids() []string {
	var out []string
	for _, o := range r.list("objects") {
		out = append(out, o.(map[string]any)["id"].(string))
	}
	return out
}

func (r response) field(name string) []string {
	var out []string
	for _, o := range r.list("objects") {
		v, _ := o.(map[string]any)[name].(string)
		out = append(out, v)
	}
	return out
}

func (r response) strings(name string) []string {
	var out []string
	for _, v := range r.list(name) {
		out = append(out, v.(string))
	}
	return out
}

func (r response) next() string {
	s, _ := r.json["next"].(string)
	return s
}

// page is what a test expects of a page: status 200, more, the ids (or
// versions) in order, and the date headers ("" for none).
type page struct {
	more        bool
	ids         []string
	first, last string
}

func checkPage(t *testing.T, call string, r response, list string, want page) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%s: status %d, want 200: %s", call, r.status, r.body)
	}
	if more, _ := r.json["more"].(bool); more != want.more {
		t.Errorf("%s: more = %v, want %v", call, more, want.more)
	}
	if (r.next() != "") != want.more {
		t.Errorf("%s: next = %q with more %v", call, r.next(), want.more)
	}
	got := r.ids()
	if list == "versions" {
		got = r.strings("versions")
	}
	if d := cmp.Diff(want.ids, got); d != "" {
		t.Errorf("%s: %s (-want +got):\n%s", call, list, d)
	}
	if f := r.header.Get("X-TAXII-Date-Added-First"); f != want.first {
		t.Errorf("%s: X-TAXII-Date-Added-First = %q, want %q", call, f, want.first)
	}
	if l := r.header.Get("X-TAXII-Date-Added-Last"); l != want.last {
		t.Errorf("%s: X-TAXII-Date-Added-Last = %q, want %q", call, l, want.last)
	}
}

// TestMedallionRead replays, against accord loaded with medallion's
// default_data.json, the read requests of medallion's own test suite and
// checks that accord answers as medallion does: counts, order, paging,
// each filter and the date headers.
func TestMedallionRead(t *testing.T) {
	m := newMedallion(t)
	byDate := []string{relationship, indicatorCD98, markingGreen, malware, indicator6770}

	t.Run("discovery", func(t *testing.T) {
		r := m.get(t, "/taxii2/")
		if r.status != 200 || r.json["title"] != "Some TAXII Server" || r.json["contact"] != "string containing contact information" {
			t.Fatalf("discovery = %d %s", r.status, r.body)
		}
		want := []string{m.srv.URL + "/taxii2/api1/", m.srv.URL + "/taxii2/api2/", m.srv.URL + "/taxii2/trustgroup1/"}
		if d := cmp.Diff(want, r.strings("api_roots")); d != "" {
			t.Errorf("api_roots (-want +got):\n%s", d)
		}
		if r.json["default"] != m.srv.URL+"/taxii2/trustgroup1/" {
			t.Errorf("default = %v", r.json["default"])
		}
	})
	t.Run("api root", func(t *testing.T) {
		r := m.get(t, apiRootEP)
		if r.status != 200 || r.json["title"] != "Malware Research Group" || r.json["max_content_length"] != float64(9765625) {
			t.Fatalf("API root = %d %s", r.status, r.body)
		}
		if v := r.strings("versions"); len(v) != 1 || v[0] != taxii.MediaType {
			t.Errorf("versions = %q", v)
		}
	})
	t.Run("status", func(t *testing.T) {
		r := m.get(t, apiRootEP+"status/2d086da7-4bdc-4f91-900e-d77486753710")
		if r.status != 200 {
			t.Fatalf("status = %d %s", r.status, r.body)
		}
		for k, want := range map[string]any{"status": "pending", "total_count": 4.0, "success_count": 1.0, "failure_count": 1.0, "pending_count": 2.0,
			"request_timestamp": "2016-11-02T12:34:34.123456Z"} {
			if r.json[k] != want {
				t.Errorf("status %s = %v, want %v", k, r.json[k], want)
			}
		}
		for _, k := range []string{"successes", "failures", "pendings"} {
			if len(r.list(k)) == 0 {
				t.Errorf("status has no %s: %s", k, r.body)
			}
		}
	})
	t.Run("collections", func(t *testing.T) {
		r := m.get(t, collectionsEP)
		var ids []string
		access := map[string][2]bool{}
		for _, c := range r.list("collections") {
			cm := c.(map[string]any)
			ids = append(ids, cm["id"].(string))
			access[cm["id"].(string)] = [2]bool{cm["can_read"].(bool), cm["can_write"].(bool)}
		}
		want := []string{"365fed99-08fa-fdcd-a1b3-fb247eb41d01", "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4", "52892447-4d7e-4f70-b94d-d7f22742ff63",
			"64993447-4d7e-4f70-b94d-d7f33742ee63", "91a7b528-80eb-42ed-a74d-c6fbd5a26116"}
		if d := cmp.Diff(want, ids); d != "" {
			t.Errorf("collections (-want +got):\n%s", d)
		}
		if access["64993447-4d7e-4f70-b94d-d7f33742ee63"] != [2]bool{false, false} || access["52892447-4d7e-4f70-b94d-d7f22742ff63"] != [2]bool{true, false} {
			t.Errorf("can_read, can_write = %v", access)
		}
		c := m.get(t, collectionsEP+"91a7b528-80eb-42ed-a74d-c6fbd5a26116/")
		if mt := c.json["media_types"].([]any); len(mt) != 2 || c.json["title"] != "High Value Indicator Collection" {
			t.Errorf("collection = %s", c.body)
		}
	})

	t.Run("objects", func(t *testing.T) {
		checkPage(t, "objects", m.get(t, getObjectsEP), "objects", page{false, byDate, "2014-05-08T09:00:00.000000Z", "2017-12-31T13:49:53.935000Z"})
	})
	t.Run("object", func(t *testing.T) {
		checkPage(t, "object", m.get(t, getObjectsEP+malware+"/"), "objects", page{false, []string{malware}, "2017-01-27T13:49:59.997000Z", "2017-01-27T13:49:59.997000Z"})
	})
	t.Run("manifest", func(t *testing.T) {
		r := m.get(t, getManifestsEP)
		checkPage(t, "manifest", r, "objects", page{false, byDate, "2014-05-08T09:00:00.000000Z", "2017-12-31T13:49:53.935000Z"})
		dates := r.field("date_added")
		for i := 1; i < len(dates); i++ {
			if dates[i-1] >= dates[i] {
				t.Errorf("manifest date_added %s then %s: not increasing", dates[i-1], dates[i])
			}
		}
		if mt := r.field("media_type"); mt[0] != taxii.STIXMediaType {
			t.Errorf("manifest media_type = %q", mt)
		}
	})
	t.Run("versions", func(t *testing.T) {
		checkPage(t, "versions", m.get(t, getObjectsEP+relationship+"/versions"), "versions",
			page{false, []string{"2014-05-08T09:00:00.000Z"}, "2014-05-08T09:00:00.000000Z", "2014-05-08T09:00:00.000000Z"})
	})
	t.Run("objects added_after", func(t *testing.T) {
		checkPage(t, "objects?added_after", m.get(t, getObjectsEP+"?added_after=2016-11-03T12:30:59Z"), "objects",
			page{false, []string{markingGreen, malware, indicator6770}, "2017-01-20T00:00:00.000000Z", "2017-12-31T13:49:53.935000Z"})
	})
	t.Run("objects limit and next", func(t *testing.T) {
		r := m.get(t, getObjectsEP+"?limit=3")
		checkPage(t, "objects?limit=3", r, "objects", page{true, byDate[:3], "2014-05-08T09:00:00.000000Z", "2017-01-20T00:00:00.000000Z"})
		checkPage(t, "objects?limit=3&next", m.get(t, getObjectsEP+"?limit=3&next="+r.next()), "objects",
			page{false, byDate[3:], "2017-01-27T13:49:59.997000Z", "2017-12-31T13:49:53.935000Z"})
	})
	t.Run("objects match[id] and match[type]", func(t *testing.T) {
		checkPage(t, "match[id]", m.get(t, getObjectsEP+"?match[id]="+malware), "objects", page{false, []string{malware}, "2017-01-27T13:49:59.997000Z", "2017-01-27T13:49:59.997000Z"})
		checkPage(t, "match[type]", m.get(t, getObjectsEP+"?match[type]=indicator"), "objects",
			page{false, []string{indicatorCD98, indicator6770}, "2016-11-01T03:04:05.000000Z", "2017-12-31T13:49:53.935000Z"})
		checkPage(t, "match[type] list", m.get(t, getObjectsEP+"?match[type]=malware,relationship"), "objects",
			page{false, []string{relationship, malware}, "2014-05-08T09:00:00.000000Z", "2017-01-27T13:49:59.997000Z"})
	})
	t.Run("objects match[version]", func(t *testing.T) {
		r := m.get(t, getObjectsEP+"?match[version]=2016-12-25T12:30:59.444Z")
		checkPage(t, "specific", r, "objects", page{false, []string{indicator6770}, "2016-12-27T13:49:59.000000Z", "2016-12-27T13:49:59.000000Z"})
		first := m.get(t, getObjectsEP+"?match[version]=first")
		checkPage(t, "first", first, "objects", page{false, []string{relationship, indicatorCD98, indicator6770, markingGreen, malware},
			"2014-05-08T09:00:00.000000Z", "2017-01-27T13:49:59.997000Z"})
		if d := cmp.Diff([]string{"2014-05-08T09:00:00.000Z", "2014-05-08T09:00:00.000Z", "2016-11-03T12:30:59.000Z", "", "2017-01-27T13:49:53.997Z"}, first.field("modified")); d != "" {
			t.Errorf("first: modified (-want +got):\n%s", d)
		}
		last := m.get(t, getObjectsEP+"?match[version]=last")
		if d := cmp.Diff([]string{"2014-05-08T09:00:00.000Z", "2014-05-08T09:00:00.000Z", "", "2017-01-27T13:49:53.997Z", "2017-01-27T13:49:53.935Z"}, last.field("modified")); d != "" {
			t.Errorf("last: modified (-want +got):\n%s", d)
		}
		if all := m.get(t, getObjectsEP+"?match[version]=all"); len(all.ids()) != 7 {
			t.Errorf("match[version]=all: %d objects, want 7", len(all.ids()))
		}
	})
	t.Run("objects match[spec_version]", func(t *testing.T) {
		// The fixture dates both versions of the malware 2017-01-27T13:49:59.997000Z;
		// accord keeps a collection's dates strictly increasing, so the 2.0
		// version, added second, is a microsecond later (medallion keeps the tie).
		r := m.get(t, getObjectsEP+"?match[spec_version]=2.0")
		checkPage(t, "2.0", r, "objects", page{false, []string{malware}, "2017-01-27T13:49:59.997001Z", "2017-01-27T13:49:59.997001Z"})
		if sv := r.field("spec_version"); sv[0] != "" {
			t.Errorf("2.0: spec_version = %q, want none", sv)
		}
		for _, q := range []string{"?match[spec_version]=2.0,2.1", "?match[spec_version]=2.1", ""} {
			r := m.get(t, getObjectsEP+q)
			if len(r.ids()) != 5 {
				t.Errorf("objects%s: %d objects, want 5", q, len(r.ids()))
			}
			if sv := strings.Join(r.field("spec_version"), " "); q != "?match[spec_version]=2.0,2.1" && sv != "2.1 2.1 2.1 2.1 2.1" {
				t.Errorf("objects%s: spec versions %s, want 2.1 only", q, sv)
			}
		}
	})
	t.Run("object added_after", func(t *testing.T) {
		r := m.get(t, getObjectsEP+malware+"?added_after=2018-01-27T13:49:59.997000Z")
		if r.status != 200 || len(r.json) != 0 {
			t.Errorf("object?added_after after every version = %d %s, want 200 {}", r.status, r.body)
		}
		checkPage(t, "object?added_after", m.get(t, getObjectsEP+malware+"?added_after=2017-01-27T13:49:59Z"), "objects",
			page{false, []string{malware}, "2017-01-27T13:49:59.997000Z", "2017-01-27T13:49:59.997000Z"})
	})
	t.Run("object limit", func(t *testing.T) {
		checkPage(t, "limit=1", m.get(t, getObjectsEP+indicator6770+"?limit=1"), "objects",
			page{false, []string{indicator6770}, "2017-12-31T13:49:53.935000Z", "2017-12-31T13:49:53.935000Z"})
		r := m.get(t, getObjectsEP+indicator6770+"?match[version]=all&limit=2")
		checkPage(t, "all&limit=2", r, "objects", page{true, []string{indicator6770, indicator6770}, "2016-11-03T12:30:59.001000Z", "2016-12-27T13:49:59.000000Z"})
		if d := cmp.Diff([]string{"2016-11-03T12:30:59.000Z", "2016-12-25T12:30:59.444Z"}, r.field("modified")); d != "" {
			t.Errorf("all&limit=2: modified (-want +got):\n%s", d)
		}
		checkPage(t, "all&limit=2&next", m.get(t, getObjectsEP+indicator6770+"?match[version]=all&limit=2&next="+r.next()), "objects",
			page{false, []string{indicator6770}, "2017-12-31T13:49:53.935000Z", "2017-12-31T13:49:53.935000Z"})
	})
	t.Run("object match[version]", func(t *testing.T) {
		for q, want := range map[string]string{"?match[version]=2016-12-25T12:30:59.444Z": "2016-12-25T12:30:59.444Z",
			"?match[version]=first": "2016-11-03T12:30:59.000Z", "?match[version]=last": "2017-01-27T13:49:53.935Z"} {
			if r := m.get(t, getObjectsEP+indicator6770+q); len(r.ids()) != 1 || r.field("modified")[0] != want {
				t.Errorf("object%s: %s, want the version %s", q, r.body, want)
			}
		}
		if r := m.get(t, getObjectsEP+indicator6770+"?match[version]=all"); len(r.ids()) != 3 {
			t.Errorf("object?match[version]=all: %d, want 3", len(r.ids()))
		}
	})
	t.Run("object match[spec_version]", func(t *testing.T) {
		for q, want := range map[string]string{"?match[spec_version]=2.0": "2018-02-23T18:30:00.000Z", "?match[spec_version]=2.1": "2017-01-27T13:49:53.997Z",
			"?match[spec_version]=2.0,2.1": "2018-02-23T18:30:00.000Z", "": "2017-01-27T13:49:53.997Z"} {
			if r := m.get(t, getObjectsEP+malware+q); len(r.ids()) != 1 || r.field("modified")[0] != want || r.json["more"] != false {
				t.Errorf("object%s: %s, want the version %s", q, r.body, want)
			}
		}
	})
	t.Run("manifest filters", func(t *testing.T) {
		if r := m.get(t, getManifestsEP+"?added_after=2017-01-20T00:00:00.000Z"); len(r.ids()) != 2 {
			t.Errorf("manifest?added_after: %d entries, want 2", len(r.ids()))
		}
		var all []string
		next := ""
		for i, want := range []int{2, 2, 1} {
			q := "?limit=2"
			if next != "" {
				q += "&next=" + next
			}
			r := m.get(t, getManifestsEP+q)
			dates := r.field("date_added")
			checkPage(t, "manifest?limit=2", r, "objects", page{i < 2, r.ids(), dates[0], dates[len(dates)-1]})
			if len(r.ids()) != want {
				t.Errorf("manifest page %d: %d entries, want %d", i, len(r.ids()), want)
			}
			all, next = append(all, r.ids()...), r.next()
		}
		if d := cmp.Diff(byDate, all); d != "" {
			t.Errorf("manifest pages (-want +got):\n%s", d)
		}
		if r := m.get(t, getManifestsEP+"?match[id]="+malware); len(r.ids()) != 1 {
			t.Errorf("manifest?match[id]: %s", r.body)
		}
		if r := m.get(t, getManifestsEP+"?match[type]=indicator"); len(r.ids()) != 2 {
			t.Errorf("manifest?match[type]: %s", r.body)
		}
		r := m.get(t, getManifestsEP+"?match[version]=2016-12-25T12:30:59.444Z")
		if v := r.field("version"); len(v) != 1 || v[0] != "2016-12-25T12:30:59.444Z" {
			t.Errorf("manifest?match[version]=specific: %s", r.body)
		}
		for q, want := range map[string]string{"first": "2016-11-03T12:30:59.000Z", "last": "2017-01-27T13:49:53.935Z"} {
			r := m.get(t, getManifestsEP+"?match[version]="+q)
			if len(r.ids()) != 5 {
				t.Errorf("manifest?match[version]=%s: %d entries, want 5", q, len(r.ids()))
			}
			for i, id := range r.ids() {
				if id == indicator6770 && r.field("version")[i] != want {
					t.Errorf("manifest?match[version]=%s: %s version %s, want %s", q, id, r.field("version")[i], want)
				}
			}
		}
		if r := m.get(t, getManifestsEP+"?match[version]=all"); len(r.ids()) != 7 {
			t.Errorf("manifest?match[version]=all: %d, want 7", len(r.ids()))
		}
		r = m.get(t, getManifestsEP+"?match[spec_version]=2.0")
		if mt := r.field("media_type"); len(mt) != 1 || mt[0] != "application/stix+json;version=2.0" {
			t.Errorf("manifest?match[spec_version]=2.0: %s", r.body)
		}
		for _, q := range []string{"?match[spec_version]=2.1", ""} {
			r := m.get(t, getManifestsEP+q)
			if mt := r.field("media_type"); len(mt) != 5 || strings.Count(strings.Join(mt, " "), taxii.STIXMediaType) != 5 {
				t.Errorf("manifest%s: media types %q, want five 2.1", q, mt)
			}
		}
		r = m.get(t, getManifestsEP+"?match[spec_version]=2.0,2.1")
		for i, id := range r.ids() {
			if id == malware && r.field("version")[i] != "2018-02-23T18:30:00.000Z" {
				t.Errorf("manifest 2.0,2.1: malware version %s, want the 2.0 one of 2018", r.field("version")[i])
			}
		}
		if len(r.ids()) != 5 {
			t.Errorf("manifest 2.0,2.1: %d entries, want 5", len(r.ids()))
		}
	})
	t.Run("versions filters", func(t *testing.T) {
		if r := m.get(t, getObjectsEP+relationship+"/versions?added_after=2014-05-08T09:00:00Z"); r.status != 200 || len(r.json) != 0 {
			t.Errorf("versions?added_after after it = %d %s, want 200 {}", r.status, r.body)
		}
		if r := m.get(t, getObjectsEP+relationship+"/versions?added_after=2014-05-08T08:00:00Z"); len(r.strings("versions")) != 1 || r.json["more"] != false {
			t.Errorf("versions?added_after before it = %s", r.body)
		}
		want := []page{
			{true, []string{"2016-11-03T12:30:59.000Z"}, "2016-11-03T12:30:59.001000Z", "2016-11-03T12:30:59.001000Z"},
			{true, []string{"2016-12-25T12:30:59.444Z"}, "2016-12-27T13:49:59.000000Z", "2016-12-27T13:49:59.000000Z"},
			{false, []string{"2017-01-27T13:49:53.935Z"}, "2017-12-31T13:49:53.935000Z", "2017-12-31T13:49:53.935000Z"},
		}
		next := ""
		for i, w := range want {
			q := "?limit=1"
			if next != "" {
				q += "&next=" + next
			}
			r := m.get(t, getObjectsEP+indicator6770+"/versions"+q)
			checkPage(t, "versions?limit=1 page "+string(rune('1'+i)), r, "versions", w)
			next = r.next()
		}
		for q, want := range map[string][]string{"?match[spec_version]=2.0": {"2018-02-23T18:30:00.000Z"}, "?match[spec_version]=2.1": {"2017-01-27T13:49:53.997Z"},
			"?match[spec_version]=2.0,2.1": {"2017-01-27T13:49:53.997Z", "2018-02-23T18:30:00.000Z"}, "": {"2017-01-27T13:49:53.997Z"}} {
			if got := m.get(t, getObjectsEP+malware+"/versions"+q).strings("versions"); !cmp.Equal(want, got) {
				t.Errorf("versions%s = %q, want %q", q, got, want)
			}
		}
	})
}

// TestMedallionAddObjects: objects posted to a collection are stored, served
// and reported in a status resource; posting them again is no failure.
func TestMedallionAddObjects(t *testing.T) {
	m := newMedallion(t)
	r := m.do(t, http.MethodPost, addObjectsEP, testObjectBatch)
	if r.status != http.StatusAccepted || r.json["success_count"] != 1.0 || r.json["failure_count"] != 0.0 || r.json["status"] != "complete" || r.json["total_count"] != 1.0 {
		t.Fatalf("POST objects = %d %s, want 202 with one success", r.status, r.body)
	}
	id := r.json["id"].(string)
	if !cmp.Equal(m.get(t, addObjectsEP).ids(), []string{testObjectID}) {
		t.Errorf("objects after POST do not hold %s", testObjectID)
	}
	if got := m.get(t, addObjectsEP+"?match[id]="+testObjectID).ids(); len(got) != 1 {
		t.Errorf("objects?match[id] after POST = %q", got)
	}
	st := m.get(t, apiRootEP+"status/"+id+"/")
	if st.status != 200 || st.json["success_count"] != 1.0 {
		t.Errorf("status after POST = %d %s", st.status, st.body)
	}
	if man := m.get(t, addManifestsEP+"?match[id]="+testObjectID); len(man.ids()) != 1 {
		t.Errorf("manifest after POST = %s", man.body)
	}
	// The same object again, and a copy of a held object with and without modified.
	again := m.do(t, http.MethodPost, addObjectsEP, testObjectBatch)
	if again.status != http.StatusAccepted || again.json["success_count"] != 1.0 || again.json["failures"] != nil {
		t.Errorf("POST of a held object = %d %s, want a success and no failures", again.status, again.body)
	}
	dup := `{"objects":[{"created":"2014-05-08T09:00:00.000Z","modified":"2014-05-08T09:00:00.000Z","id":"` + relationship + `","relationship_type":"indicates",` +
		`"source_ref":"` + indicatorCD98 + `","spec_version":"2.1","target_ref":"` + malware + `","type":"relationship"}]}`
	for i := 0; i < 2; i++ {
		if r := m.do(t, http.MethodPost, getObjectsEP, dup); r.status != http.StatusAccepted || r.json["failures"] != nil || r.json["successes"] == nil {
			t.Errorf("POST of a copy of a held object (try %d) = %d %s", i, r.status, r.body)
		}
	}
	// A changed object under a held id and version fails alone.
	mixed := `{"objects":[{"type":"course-of-action","spec_version":"2.1","id":"` + testObjectID + `","created":"2017-01-27T13:49:53.935Z","modified":"2017-01-27T13:49:53.935Z","name":"Changed"},` +
		`{"type":"course-of-action","spec_version":"2.1","id":"course-of-action--aaaaaaaa-28db-429d-ab1e-1256704ef906","created":"2017-01-27T13:49:53.935Z","modified":"2017-01-27T13:49:53.935Z","name":"New"},` +
		`{"type":"indicator","id":"indicator--bbbbbbbb-28db-429d-ab1e-1256704ef906"}]}`
	r = m.do(t, http.MethodPost, addObjectsEP, mixed)
	if r.status != http.StatusAccepted || r.json["success_count"] != 1.0 || r.json["failure_count"] != 2.0 {
		t.Errorf("POST of one new, one changed and one invalid object = %d %s, want 1 success and 2 failures", r.status, r.body)
	}
	if got := m.get(t, addObjectsEP).ids(); len(got) != 2 {
		t.Errorf("objects after the mixed POST = %q, want the two good ones", got)
	}
}

// TestMedallionRefusals: the status codes of medallion's refusal tests,
// and the media type rules.
func TestMedallionRefusals(t *testing.T) {
	m := newMedallion(t)
	noAuth := "Authorization:"
	bearer := "Authorization: Bearer " + m.token
	tcs := []struct {
		name         string
		method, path string
		body         string
		headers      []string
		wantStatus   int
		wantContains string
	}{
		{"collections without credentials", "GET", collectionsEP, "", []string{noAuth}, 401, `"http_status":"401"`},
		{"status without credentials", "GET", apiRootEP + "status/2223/", "", []string{noAuth}, 401, ""},
		{"manifest without credentials", "GET", collectionsEP + "24042009/manifest/", "", []string{noAuth}, 401, ""},
		{"object without credentials", "GET", getObjectsEP + "malware--fdd60b30-b67c-11e3-b0b9-f01faf20d111/", "", []string{noAuth}, 401, ""},
		{"objects without credentials", "GET", addObjectsEP, "", []string{noAuth}, 401, ""},
		{"post without credentials", "POST", addObjectsEP, testObjectBatch, []string{noAuth}, 401, ""},
		{"unknown token", "GET", collectionsEP, "", []string{"Authorization: Bearer acc_nope"}, 401, ""},
		{"token of another user name", "GET", collectionsEP, "", []string{"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("eve:"+m.token))}, 401, ""},
		{"bearer token", "GET", getObjectsEP, "", []string{bearer}, 200, indicator6770},
		{"forbidden manifest", "GET", forbiddenEP + "manifest/", "", nil, 403, `"title":"Forbidden"`},
		{"forbidden object", "GET", forbiddenEP + "objects/indicator--b81f86b9-975b-bb0b-775e-810c5bd45b4f/", "", nil, 403, ""},
		{"forbidden objects", "GET", forbiddenEP + "objects/", "", nil, 403, ""},
		{"forbidden post", "POST", forbiddenEP + "objects/", testObjectBatch, nil, 403, ""},
		{"post to a read-only collection", "POST", collectionsEP + "52892447-4d7e-4f70-b94d-d7f22742ff63/objects/", testObjectBatch, nil, 403, ""},
		{"read a write-only collection", "GET", collectionsEP + "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4/objects/", "", nil, 403, ""},
		{"forbidden before a bad parameter", "GET", forbiddenEP + "objects/?limit=-1", "", nil, 403, ""},
		{"unknown API root", "GET", "/taxii2/trustgroup2/", "", nil, 404, `"http_status":"404"`},
		{"collections of an unknown root", "GET", "/taxii2/carbon1/collections/", "", nil, 404, ""},
		{"collection of an unknown root", "GET", "/taxii2/carbon1/collections/12345678-1234-1234-1234-123456789012/", "", nil, 404, ""},
		{"unknown collection", "GET", nonExistentEP, "", nil, 404, ""},
		{"unknown status", "GET", apiRootEP + "status/22101993/", "", nil, 404, ""},
		{"manifest of an unknown collection", "GET", collectionsEP + "24042009/manifest/", "", nil, 404, ""},
		{"unknown object", "GET", getObjectsEP + "malware--cee60c30-a68c-11e3-b0c1-a01aac20d000/", "", nil, 404, ""},
		{"objects of an unknown collection", "GET", nonExistentEP + "objects/", "", nil, 404, ""},
		{"post to an unknown collection", "POST", nonExistentEP + "objects/", testObjectBatch, nil, 404, ""},
		{"unknown path", "GET", apiRootEP + "nothing/here/", "", nil, 404, ""},
		{"a single object, not an envelope", "POST", addObjectsEP, `{"type":"course-of-action","spec_version":"2.1","id":"` + testObjectID + `","created":"2017-01-27T13:49:53.935Z","modified":"2017-01-27T13:49:53.935Z","name":"Test object"}`,
			nil, 422, `While processing supplied content, an error occurred`},
		{"a body that is not JSON", "POST", addObjectsEP, `{"objects":[`, nil, 400, ""},
		{"negative limit", "GET", getObjectsEP + "?limit=-20", "", nil, 400, `"title":"ProcessingError"`},
		{"limit twice", "GET", getObjectsEP + "?limit=1&limit=2", "", nil, 400, ""},
		{"bad added_after", "GET", getObjectsEP + "?added_after=yesterday", "", nil, 400, "added_after"},
		{"bad match[version]", "GET", getObjectsEP + "?match[version]=newest", "", nil, 400, ""},
		{"bad match[spec_version]", "GET", getObjectsEP + "?match[spec_version]=two", "", nil, 400, ""},
		{"bad next", "GET", getObjectsEP + "?next=xyz", "", nil, 400, ""},
		{"delete", "DELETE", getObjectsEP + malware + "/", "", nil, 405, ""},
		{"Accept STIX", "GET", getObjectsEP, "", []string{"Accept: application/stix+json;version=2.1"}, 406, `"http_status":"406"`},
		{"Accept TAXII 2.0", "GET", getObjectsEP, "", []string{"Accept: application/taxii+json;version=2.0"}, 406, ""},
		{"Accept JSON", "GET", "/taxii2/", "", []string{"Accept: application/json"}, 406, ""},
		{"Accept TAXII with q=0", "GET", "/taxii2/", "", []string{"Accept: application/taxii+json;version=2.1;q=0"}, 406, ""},
		{"Accept TAXII without version", "GET", getObjectsEP, "", []string{"Accept: application/taxii+json"}, 200, malware},
		{"Accept */*", "GET", getObjectsEP, "", []string{"Accept: */*"}, 200, malware},
		{"Accept a list", "GET", getObjectsEP, "", []string{"Accept: text/html, application/taxii+json;version=2.1;q=0.5"}, 200, malware},
		{"Content-Type JSON", "POST", addObjectsEP, testObjectBatch, []string{"Content-Type: application/json"}, 415, `"http_status":"415"`},
		{"Content-Type STIX", "POST", addObjectsEP, testObjectBatch, []string{"Content-Type: application/stix+json;version=2.1"}, 415, ""},
		{"Content-Type TAXII 2.0", "POST", addObjectsEP, testObjectBatch, []string{"Content-Type: application/taxii+json;version=2.0"}, 415, ""},
		{"Content-Type TAXII without version", "POST", addObjectsEP, testObjectBatch, []string{"Content-Type: application/taxii+json"}, 202, `"success_count":1`},
		{"body past max_content_length", "POST", addObjectsEP, `{"objects":[` + strings.Repeat(" ", 9765625) + `]}`, nil, 413, ""},
	}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			r := m.do(t, tc.method, tc.path, tc.body, tc.headers...)
			if r.status != tc.wantStatus {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, r.status, r.body, tc.wantStatus)
			}
			if !bytes.Contains(r.body, []byte(tc.wantContains)) {
				t.Errorf("%s %s body %s, want it to contain %s", tc.method, tc.path, r.body, tc.wantContains)
			}
			if tc.wantStatus >= 400 {
				if r.json["title"] == "" || r.json["http_status"] != itoa(tc.wantStatus) {
					t.Errorf("error message %s: want a title and http_status %q", r.body, itoa(tc.wantStatus))
				}
			}
			if tc.wantStatus == 401 && !strings.Contains(r.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without a Basic challenge: %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("next with other filters", func(t *testing.T) {
		r := m.get(t, getObjectsEP+"?match[version]=all&limit=2")
		r = m.get(t, getObjectsEP+"?match[version]=all&limit=2&next="+r.next())
		if len(r.ids()) != 2 || r.json["more"] != true {
			t.Fatalf("second page = %s", r.body)
		}
		bad := m.get(t, getObjectsEP+"?match[version]=first&limit=2&next="+r.next())
		if bad.status != 400 || bad.json["title"] != "ProcessingError" {
			t.Errorf("next with another match[version] = %d %s, want 400 ProcessingError", bad.status, bad.body)
		}
	})
}

func itoa(n int) string {
	return string(rune('0'+n/100)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}
