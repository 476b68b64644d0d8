package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/blob"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/sqlite"
)

// start is the fixture clock's first reading.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// evidenceLimit is the fixture's evidence.max_bytes: 2 MiB, more than the
// API's default body limit (1 MiB), which uploads must not be held to.
const evidenceLimit int64 = 2 << 20

// fixture is one node: a real SQLite store and a real evidence store
// (limited to evidenceLimit) in a temporary directory, a real node.Service
// with a clock the test moves, and the handler under test. The node belongs
// to us-cert (US) and knows cncert (CN) as a local party.
type fixture struct {
	t      *testing.T
	db     *sqlite.DB
	blobs  *blob.Store
	bdir   string // the evidence store's directory
	svc    *node.Service
	srv    *server
	now    time.Time
	tokens map[accord.Role]string
	log    *bytes.Buffer
	opts   Options
}

// admin is the operator at the command line, who sets the node up.
var admin = accord.Actor{Name: "test", Role: accord.RoleAdmin}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "accord.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	bdir := filepath.Join(t.TempDir(), "evidence")
	blobs, err := blob.Open(bdir, blob.Options{MaxSize: evidenceLimit})
	if err != nil {
		t.Fatalf("blob.Open: %v", err)
	}
	f := &fixture{t: t, db: db, blobs: blobs, bdir: bdir, now: start, tokens: map[accord.Role]string{}, log: &bytes.Buffer{}}
	ident, err := federation.GenerateIdentity("us-cert", nil)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = node.New(node.Config{
		Sealer:    ident,
		Store:     db,
		Blobs:     blobs,
		Agreement: accord.DefaultAgreement(),
		Clock:     accord.ClockFunc(func() time.Time { return f.now }),
		Self:      "us-cert",
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if _, err := f.svc.InitSelf(ctx, accord.Party{ID: "us-cert", Name: "US-CERT", Country: "US"}); err != nil {
		t.Fatalf("InitSelf: %v", err)
	}
	if _, _, err := f.svc.AddParty(ctx, admin, accord.Party{ID: "cncert", Name: "CNCERT/CC", Country: "CN"}); err != nil {
		t.Fatalf("AddParty: %v", err)
	}
	for _, role := range accord.Roles {
		_, token, err := f.svc.AddUser(ctx, admin, string(role)+" user", role)
		if err != nil {
			t.Fatalf("AddUser %s: %v", role, err)
		}
		f.tokens[role] = token
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f.opts = Options{Logger: slog.New(slog.NewTextHandler(f.log, nil)), Registry: reg}
	f.srv = newServer(f.svc, f.opts)
	return f
}

// advance moves the fixture clock forward.
func (f *fixture) advance(d time.Duration) { f.now = f.now.Add(d) }

// token returns the API token of the fixture's user with the given role:
// "" for no role (no token), a well-formed but unknown token for a role no
// user has.
func (f *fixture) token(role accord.Role) string {
	if role == "" {
		return ""
	}
	if tok, ok := f.tokens[role]; ok {
		return tok
	}
	return "acc_" + strings.Repeat("A", 43)
}

// do sends one request to the handler and returns the recorded response. A
// POST with a body is sent as application/json.
func (f *fixture) do(method, path, token, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.send(method, path, token, body, "application/json")
}

func (f *fixture) send(method, path, token, body, contentType string) *httptest.ResponseRecorder {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec
}

// snapshot is everything the stores hold that the API can change.
type snapshot struct {
	Parties  []*accord.Party
	Users    []*accord.User
	Cases    []*accord.Case
	Requests []*accord.Request
	Events   map[string][]*accord.Event
	Answers  map[string][]*accord.Answer
	Evidence []*accord.Evidence
	Custody  map[string][]*accord.CustodyEvent
	Blobs    []blob.Info
}

// snapshot reads the whole store in one View transaction, and lists the
// evidence store.
func (f *fixture) snapshot() snapshot {
	f.t.Helper()
	s := snapshot{Events: map[string][]*accord.Event{}, Answers: map[string][]*accord.Answer{}, Custody: map[string][]*accord.CustodyEvent{}}
	err := f.db.View(context.Background(), func(tx accord.Tx) (err error) {
		if s.Parties, err = tx.Parties(); err != nil {
			return err
		}
		if s.Users, err = tx.Users(); err != nil {
			return err
		}
		if s.Cases, err = tx.Cases(accord.CaseFilter{}); err != nil {
			return err
		}
		if s.Requests, err = tx.Requests(accord.RequestFilter{}); err != nil {
			return err
		}
		for _, r := range s.Requests {
			if s.Events[r.ID], err = tx.Events(r.ID); err != nil {
				return err
			}
			if s.Answers[r.ID], err = tx.Answers(r.ID); err != nil {
				return err
			}
		}
		if s.Evidence, err = tx.EvidenceOf(""); err != nil {
			return err
		}
		for _, e := range s.Evidence {
			if s.Custody[e.ID], err = tx.CustodyEvents(e.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatalf("snapshot: %v", err)
	}
	err = f.blobs.Walk(context.Background(), func(i blob.Info) error {
		s.Blobs = append(s.Blobs, i)
		return nil
	})
	if err != nil {
		f.t.Fatalf("snapshot: walk blobs: %v", err)
	}
	return s
}

// problemOf checks that rec is an RFC 9457 problem with the given status and
// returns it.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder, wantStatus int) problem {
	t.Helper()
	if rec.Code != wantStatus {
		t.Errorf("status = %d, want %d; body: %s", rec.Code, wantStatus, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p problem
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body %q does not parse: %v", rec.Body, err)
	}
	if p.Status != rec.Code || p.Type != "about:blank" || p.Title != http.StatusText(rec.Code) || p.Code == "" || p.Detail == "" || p.Instance == "" {
		t.Errorf("problem %+v is incomplete or disagrees with status %d", p, rec.Code)
	}
	return p
}

// setupStates opens two cases (us-cert-C0001 for requests, us-cert-C0002
// to close) with an item of evidence of the first, and records, through the
// service, one outgoing request of us-cert to cncert per entry of states,
// driven to the named status. cncert is a local party, so its steps may be
// recorded here. It returns the ids by key, with "case" and "case2" for the
// cases and "evidence" for the item.
func (f *fixture) setupStates(states map[string]accord.Status) map[string]string {
	f.t.Helper()
	ctx := context.Background()
	ids := map[string]string{}
	for _, key := range []string{"case", "case2"} {
		c, err := f.svc.CreateCase(ctx, admin, node.NewCase{Title: "Intrusion at a grid operator", Category: "intrusions", Sectors: []string{"energy"}, TLP: accord.TLPAmber})
		if err != nil {
			f.t.Fatalf("CreateCase: %v", err)
		}
		ids[key] = c.ID
	}
	e, err := f.svc.AddEvidence(ctx, admin, node.NewEvidence{CaseID: ids["case"], Name: "netflow.csv", Reason: "exported from the collector"},
		strings.NewReader("192.0.2.17,198.51.100.23,443\n"))
	if err != nil {
		f.t.Fatalf("AddEvidence: %v", err)
	}
	ids["evidence"] = e.ID
	path := map[accord.Status][]accord.Action{
		accord.StatusSent:          nil,
		accord.StatusAcknowledged:  {accord.ActionAcknowledge},
		accord.StatusAccepted:      {accord.ActionAcknowledge, accord.ActionAccept},
		accord.StatusAnsweredFinal: {accord.ActionAcknowledge, accord.ActionAccept, accord.ActionAnswerFinal},
	}
	keys := make([]string, 0, len(states))
	for k := range states {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		actions, ok := path[states[key]]
		if !ok {
			f.t.Fatalf("setupStates: no path to status %s", states[key])
		}
		d, err := f.svc.CreateRequest(ctx, admin, node.NewRequest{CaseID: ids["case"], To: "cncert", Type: accord.TypeInformation, Priority: accord.PriorityNormal, Subject: "Request for " + key})
		if err != nil {
			f.t.Fatalf("CreateRequest: %v", err)
		}
		for _, a := range actions {
			if _, err := f.svc.Act(ctx, admin, d.ID, node.Step{Action: a, Body: "the answer"}); err != nil {
				f.t.Fatalf("Act %s on %s: %v", a, d.ID, err)
			}
		}
		ids[key] = d.ID
	}
	return ids
}

// setupShare registers kisa (KR) as a peer that runs accord, imports an
// indicator into case "case" of ids, and records an outgoing request to
// kisa about it, whose id it sets as ids["share"]. The request's message
// waits in the outbox: nothing delivers it.
func (f *fixture) setupShare(ids map[string]string) {
	f.t.Helper()
	ctx := context.Background()
	ident, err := federation.GenerateIdentity("kisa", nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.AddPeer(ctx, admin, accord.Party{ID: "kisa", Name: "KISA", Country: "KR", FederationURL: "https://accord.kisa.example/federation/v1/",
		SigningKey: ident.PublicKey(), TLSCert: ident.CertDER()}); err != nil {
		f.t.Fatalf("AddPeer: %v", err)
	}
	bundle := `{"type":"bundle","id":"bundle--0b5f7a4e-8c1e-4a53-9f3e-2f6c1d0e9a11","objects":[{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--0b5f7a4e-8c1e-4a53-9f3e-2f6c1d0e9a12","value":"198.51.100.23"}]}`
	if _, err := f.svc.ImportSTIX(ctx, admin, strings.NewReader(bundle), node.ImportOptions{CaseID: ids["case"]}); err != nil {
		f.t.Fatalf("ImportSTIX: %v", err)
	}
	d, err := f.svc.CreateRequest(ctx, admin, node.NewRequest{CaseID: ids["case"], To: "kisa", Type: accord.TypeInformation, Priority: accord.PriorityNormal, Subject: "Who runs 198.51.100.23?"})
	if err != nil {
		f.t.Fatalf("CreateRequest: %v", err)
	}
	ids["share"] = d.ID
}

// diffSnapshots reports the difference between two snapshots, "" if none.
func diffSnapshots(before, after snapshot) string { return cmp.Diff(before, after) }
