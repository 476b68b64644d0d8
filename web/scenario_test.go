package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

// step is one request of a scenario and what its answer must and must not
// contain. Steps of one scenario run in order on one node.
type step struct {
	name            string
	advance         time.Duration // moved on the node's clock before the request
	method, path    string
	role            accord.Role // whose token is sent; "" sends none
	body            string
	wantStatus      int
	wantContains    []string
	wantNotContains []string
	wantHeader      map[string]string // header → substring its value must contain
}

// run plays steps on f, checking each answer against the step and against
// the OpenAPI document.
func run(t *testing.T, f *fixture, sp *spec, steps []step) {
	t.Helper()
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.advance(st.advance)
			rec := f.do(st.method, st.path, f.token(st.role), st.body)
			check(t, f, sp, st, rec)
		})
	}
}

func check(t *testing.T, f *fixture, sp *spec, st step, rec *httptest.ResponseRecorder) {
	t.Helper()
	body := rec.Body.String()
	if rec.Code != st.wantStatus {
		t.Errorf("%s %s = %d, want %d; body: %s", st.method, st.path, rec.Code, st.wantStatus, body)
	}
	for _, s := range st.wantContains {
		if !strings.Contains(body, s) {
			t.Errorf("%s %s: body does not contain %q; body: %s", st.method, st.path, s, body)
		}
	}
	for _, s := range st.wantNotContains {
		if strings.Contains(body, s) {
			t.Errorf("%s %s: body contains %q, which it must not; body: %s", st.method, st.path, s, body)
		}
	}
	for h, want := range st.wantHeader {
		if got := rec.Header().Get(h); !strings.Contains(got, want) {
			t.Errorf("%s %s: header %s = %q, want it to contain %q", st.method, st.path, h, got, want)
		}
	}
	if rec.Code >= 400 {
		problemOf(t, rec, rec.Code)
	}
	_, pattern := f.srv.mux.Handler(httptest.NewRequest(st.method, st.path, nil))
	sp.checkResponse(t, pattern, rec.Code, rec.Header(), rec.Body.Bytes())
}

func TestScenarioOutgoingRequest(t *testing.T) {
	f := newFixture(t)
	run(t, f, loadSpec(t), []step{
		{name: "analyst opens a case", method: "POST", path: "/api/v1/cases", role: accord.RoleAnalyst,
			body:       `{"title":"Intrusion at a grid operator","summary":"Web shell on an OT jump host","category":"intrusions","sectors":["energy","digital-infrastructure"],"affected_country":"US","origin_country":"CN","tlp":"amber"}`,
			wantStatus: http.StatusCreated, wantContains: []string{`"id":"us-cert-C0001"`, `"sectors":["digital-infrastructure","energy"]`, `"created_by":"analyst user"`, `"status":"open"`},
			wantHeader: map[string]string{"Location": "/api/v1/cases/us-cert-C0001"}},
		{name: "reviewer reads the case", method: "GET", path: "/api/v1/cases/us-cert-C0001", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"title":"Intrusion at a grid operator"`}},
		{name: "open cases list it", method: "GET", path: "/api/v1/cases?status=open", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"id":"us-cert-C0001"`}},
		{name: "liaison sends a request to cncert", method: "POST", path: "/api/v1/requests", role: accord.RoleLiaison,
			body:       `{"case_id":"us-cert-C0001","to":"cncert","type":"information","priority":"high","subject":"Logs of 203.0.113.7","body":"Please share connection logs.","legal_basis":"2015 joint statement"}`,
			wantStatus: http.StatusCreated,
			wantContains: []string{`"id":"us-cert-R0001"`, `"status":"sent"`, `"direction":"outgoing"`, `"from":"us-cert"`, `"to":"cncert"`,
				`"acknowledge_by":"2026-03-02T21:00:00Z"`, `"answer_by":"2026-03-07T09:00:00Z"`, `"allowed_actions":["deliver","acknowledge","withdraw"]`},
			wantHeader: map[string]string{"Location": "/api/v1/requests/us-cert-R0001"}},
		{name: "cncert's acknowledgement by phone is recorded", advance: time.Hour, method: "POST", path: "/api/v1/requests/us-cert-R0001/acknowledge", role: accord.RoleLiaison,
			body:       `{"at":"2026-03-02T09:30:00Z","note":"acknowledged by phone"}`,
			wantStatus: http.StatusOK, wantContains: []string{`"status":"acknowledged"`, `"acknowledged_at":"2026-03-02T09:30:00Z"`, `"note":"acknowledged by phone"`, `"party":"cncert"`}},
		{name: "a step dated in the future is refused", method: "POST", path: "/api/v1/requests/us-cert-R0001/accept", role: accord.RoleLiaison,
			body: `{"at":"2026-03-03T09:00:00Z"}`, wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"at"`, "in the future"}},
		{name: "cncert's acceptance is recorded", method: "POST", path: "/api/v1/requests/us-cert-R0001/accept", role: accord.RoleLiaison,
			body: `{"at":"2026-03-02T09:45:00Z"}`, wantStatus: http.StatusOK, wantContains: []string{`"status":"accepted"`, `"accepted_at":"2026-03-02T09:45:00Z"`}},
		{name: "a partial answer", advance: 24 * time.Hour, method: "POST", path: "/api/v1/requests/us-cert-R0001/answers", role: accord.RoleLiaison,
			body: `{"body":"First logs attached.","final":false}`, wantStatus: http.StatusOK,
			wantContains:    []string{`"status":"answered-partial"`, `"final":false`, `"body":"First logs attached."`, `"first_answered_at":"2026-03-03T10:00:00Z"`},
			wantNotContains: []string{`"answered_at"`}},
		{name: "an answer without final is refused", method: "POST", path: "/api/v1/requests/us-cert-R0001/answers", role: accord.RoleLiaison,
			body: `{"body":"More logs."}`, wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"final"`}},
		{name: "the final answer", advance: time.Hour, method: "POST", path: "/api/v1/requests/us-cert-R0001/answers", role: accord.RoleLiaison,
			body: `{"body":"All logs attached.","final":true}`, wantStatus: http.StatusOK,
			wantContains: []string{`"status":"answered-final"`, `"final":true`, `"answered_at":"2026-03-03T11:00:00Z"`, `"allowed_actions":["rate","close"]`}},
		{name: "a rating off the scale is refused", method: "POST", path: "/api/v1/requests/us-cert-R0001/rating", role: accord.RoleLiaison,
			body: `{"score":9}`, wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"score"`, "1 (unusable) to 5 (excellent)"}},
		{name: "a too long rating comment names the comment", method: "POST", path: "/api/v1/requests/us-cert-R0001/rating", role: accord.RoleLiaison,
			body: `{"score":4,"comment":"` + strings.Repeat("x", 2001) + `"}`, wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"comment"`}},
		{name: "the requester rates the answer", method: "POST", path: "/api/v1/requests/us-cert-R0001/rating", role: accord.RoleLiaison,
			body: `{"score":4,"comment":"Useful and on time."}`, wantStatus: http.StatusOK,
			wantContains: []string{`"status":"rated"`, `"rating":4`, `"rating_comment":"Useful and on time."`, `"party":"us-cert"`}},
		{name: "an illegal action names the action and the status", method: "POST", path: "/api/v1/requests/us-cert-R0001/acknowledge", role: accord.RoleLiaison,
			body: `{}`, wantStatus: http.StatusConflict, wantContains: []string{"cannot acknowledge a request that is rated", `"code":"conflict"`}},
		{name: "the requester closes the request", method: "POST", path: "/api/v1/requests/us-cert-R0001/close", role: accord.RoleLiaison,
			body: `{"note":"Thank you."}`, wantStatus: http.StatusOK, wantContains: []string{`"status":"closed"`, `"allowed_actions":[]`}},
		{name: "the whole history is there", method: "GET", path: "/api/v1/requests/us-cert-R0001", role: accord.RoleReviewer,
			wantStatus: http.StatusOK,
			wantContains: []string{`"action":"send"`, `"action":"acknowledge"`, `"action":"accept"`, `"action":"answer-partial"`, `"action":"answer-final"`,
				`"action":"rate"`, `"action":"close"`, `"seq":7`, `"body":"First logs attached."`, `"body":"All logs attached."`}},
		{name: "the ledger of a node without peers is empty", method: "GET", path: "/api/v1/ledger", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"size":0`, `"root":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="`}},
		{name: "no proof for an unknown message", method: "GET", path: "/api/v1/ledger/inclusion?message=nope", role: accord.RoleReviewer,
			wantStatus: http.StatusNotFound, wantContains: []string{"nope"}},
		{name: "consistency beyond the ledger is refused", method: "GET", path: "/api/v1/ledger/consistency?old=0&new=5", role: accord.RoleReviewer,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"old"`, "ledger's size"}},
		{name: "a request with a party not on accord has no signed messages", method: "GET", path: "/api/v1/requests/us-cert-R0001/messages", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`{"messages":[]}`}},
		{name: "messages of an unknown request", method: "GET", path: "/api/v1/requests/us-cert-R0999/messages", role: accord.RoleReviewer,
			wantStatus: http.StatusNotFound, wantContains: []string{"us-cert-R0999"}},
		{name: "a closed request cannot be withdrawn", method: "POST", path: "/api/v1/requests/us-cert-R0001/withdraw", role: accord.RoleLiaison,
			body: `{}`, wantStatus: http.StatusConflict, wantContains: []string{"cannot withdraw a request that is closed"}},
		{name: "the analyst closes the case", method: "POST", path: "/api/v1/cases/us-cert-C0001/close", role: accord.RoleAnalyst,
			body: `{}`, wantStatus: http.StatusOK, wantContains: []string{`"status":"closed"`, `"closed_at":"2026-03-03T11:00:00Z"`}},
		{name: "a closed case cannot be closed again", method: "POST", path: "/api/v1/cases/us-cert-C0001/close", role: accord.RoleAnalyst,
			body: `{}`, wantStatus: http.StatusConflict, wantContains: []string{"already closed", `"code":"conflict"`}},
		{name: "closed cases list it", method: "GET", path: "/api/v1/cases?status=closed", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"id":"us-cert-C0001"`}},
		{name: "open cases no longer do", method: "GET", path: "/api/v1/cases?status=open", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"cases":[]`}},
	})
}

func TestScenarioIncomingRequest(t *testing.T) {
	f := newFixture(t)
	run(t, f, loadSpec(t), []step{
		{name: "an incoming request needs received_at", method: "POST", path: "/api/v1/requests", role: accord.RoleLiaison,
			body:       `{"from":"cncert","type":"mitigation","priority":"emergency","subject":"Botnet C2 hosted in the US"}`,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"received_at"`}},
		{name: "received_at may not be in the future", method: "POST", path: "/api/v1/requests", role: accord.RoleLiaison,
			body:       `{"from":"cncert","type":"mitigation","priority":"emergency","subject":"Botnet C2 hosted in the US","received_at":"2026-03-02T10:00:00Z"}`,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"received_at"`, "in the future"}},
		{name: "an unknown party is refused", method: "POST", path: "/api/v1/requests", role: accord.RoleLiaison,
			body:       `{"from":"nowhere-cert","type":"mitigation","priority":"emergency","subject":"Botnet","received_at":"2026-03-02T08:30:00Z"}`,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"from"`, "unknown party"}},
		{name: "an incoming request received by phone is recorded", method: "POST", path: "/api/v1/requests", role: accord.RoleLiaison,
			body:       `{"from":"cncert","type":"mitigation","priority":"emergency","subject":"Botnet C2 hosted in the US","body":"Hosts 198.51.100.0/24.","external_ref":"CNCERT-2026-0042","received_at":"2026-03-02T08:30:00Z"}`,
			wantStatus: http.StatusCreated,
			wantContains: []string{`"id":"us-cert-I0001"`, `"direction":"incoming"`, `"status":"delivered"`, `"from":"cncert"`, `"to":"us-cert"`,
				`"received_at":"2026-03-02T08:30:00Z"`, `"acknowledge_by":"2026-03-02T09:30:00Z"`, `"allowed_actions":["acknowledge","withdraw"]`},
			wantHeader: map[string]string{"Location": "/api/v1/requests/us-cert-I0001"}},
		{name: "it is overdue once its acknowledgement is late", advance: 45 * time.Minute, method: "GET", path: "/api/v1/requests/us-cert-I0001", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"overdue":"acknowledge"`}},
		{name: "we acknowledge it", method: "POST", path: "/api/v1/requests/us-cert-I0001/acknowledge", role: accord.RoleLiaison,
			body: `{"note":"Looking into it."}`, wantStatus: http.StatusOK, wantContains: []string{`"status":"acknowledged"`, `"party":"us-cert"`}, wantNotContains: []string{`"overdue"`}},
		{name: "a decline without a known ground is refused", method: "POST", path: "/api/v1/requests/us-cert-I0001/decline", role: accord.RoleLiaison,
			body: `{"ground":"bored","text":"No."}`, wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"ground"`, "not-on-territory"}},
		{name: "a decline without text is refused", method: "POST", path: "/api/v1/requests/us-cert-I0001/decline", role: accord.RoleLiaison,
			body: `{"ground":"not-on-territory"}`, wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"text"`}},
		{name: "we decline on a ground of the agreement", method: "POST", path: "/api/v1/requests/us-cert-I0001/decline", role: accord.RoleLiaison,
			body:       `{"ground":"not-on-territory","text":"The hosts are not in the United States."}`,
			wantStatus: http.StatusOK, wantContains: []string{`"status":"declined"`, `"decline_ground":"not-on-territory"`, `"decline_text":"The hosts are not in the United States."`, `"allowed_actions":["close"]`}},
		{name: "a declined request cannot be answered", method: "POST", path: "/api/v1/requests/us-cert-I0001/answers", role: accord.RoleLiaison,
			body: `{"body":"Here.","final":true}`, wantStatus: http.StatusConflict, wantContains: []string{"cannot answer-final a request that is declined"}},
		{name: "cncert's closing is recorded on its behalf", method: "POST", path: "/api/v1/requests/us-cert-I0001/close", role: accord.RoleLiaison,
			body: `{"note":"closed by cncert by mail"}`, wantStatus: http.StatusOK, wantContains: []string{`"status":"closed"`, `"party":"cncert"`}},
	})
}

func TestScenarioListsWithdrawAndOverdue(t *testing.T) {
	f := newFixture(t)
	run(t, f, loadSpec(t), []step{
		{name: "case", method: "POST", path: "/api/v1/cases", role: accord.RoleAdmin,
			body: `{"title":"DDoS on banks","category":"availability","sectors":["banking"]}`, wantStatus: http.StatusCreated, wantContains: []string{`"tlp":"amber"`}},
		{name: "information request", method: "POST", path: "/api/v1/requests", role: accord.RoleLiaison,
			body: `{"case_id":"us-cert-C0001","to":"cncert","type":"information","priority":"normal","subject":"Who runs 192.0.2.1?"}`, wantStatus: http.StatusCreated, wantContains: []string{`"id":"us-cert-R0001"`}},
		{name: "notification", advance: time.Minute, method: "POST", path: "/api/v1/requests", role: accord.RoleLiaison,
			body:       `{"case_id":"us-cert-C0001","to":"cncert","type":"notification","priority":"low","subject":"For your awareness"}`,
			wantStatus: http.StatusCreated, wantContains: []string{`"id":"us-cert-R0002"`}, wantNotContains: []string{`"answer_by"`}},
		{name: "mitigation request", advance: time.Minute, method: "POST", path: "/api/v1/requests", role: accord.RoleLiaison,
			body: `{"case_id":"us-cert-C0001","to":"cncert","type":"mitigation","priority":"emergency","subject":"Stop the flood from 192.0.2.0/24"}`, wantStatus: http.StatusCreated, wantContains: []string{`"id":"us-cert-R0003"`}},
		{name: "incoming request", advance: time.Minute, method: "POST", path: "/api/v1/requests", role: accord.RoleLiaison,
			body: `{"from":"cncert","type":"evidence","priority":"normal","subject":"Evidence of the flood","received_at":"2026-03-02T08:00:00Z"}`, wantStatus: http.StatusCreated, wantContains: []string{`"id":"us-cert-I0001"`}},
		{name: "the requester withdraws the notification", method: "POST", path: "/api/v1/requests/us-cert-R0002/withdraw", role: accord.RoleLiaison,
			body: `{"note":"Sent by mistake."}`, wantStatus: http.StatusOK, wantContains: []string{`"status":"withdrawn"`, `"withdrawn_at":"2026-03-02T09:03:00Z"`, `"allowed_actions":[]`}},
		{name: "all requests", method: "GET", path: "/api/v1/requests", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"total":4`, "us-cert-R0001", "us-cert-R0002", "us-cert-R0003", "us-cert-I0001"}},
		{name: "nothing overdue yet", method: "GET", path: "/api/v1/requests?overdue=true", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"requests":[]`, `"total":0`}},
		{name: "the emergency request is overdue after two hours", advance: 2 * time.Hour, method: "GET", path: "/api/v1/requests?overdue=true", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"total":1`, `"id":"us-cert-R0003"`, `"overdue":"acknowledge"`}, wantNotContains: []string{"us-cert-R0001", "us-cert-I0001"}},
		{name: "incoming only", method: "GET", path: "/api/v1/requests?direction=incoming", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"total":1`, "us-cert-I0001"}},
		{name: "outgoing and withdrawn", method: "GET", path: "/api/v1/requests?direction=outgoing&status=withdrawn", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"total":1`, "us-cert-R0002"}},
		{name: "statuses comma separated", method: "GET", path: "/api/v1/requests?status=sent,withdrawn", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"total":3`}, wantNotContains: []string{"us-cert-I0001"}},
		{name: "statuses repeated", method: "GET", path: "/api/v1/requests?status=sent&status=delivered", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"total":3`}, wantNotContains: []string{"us-cert-R0002"}},
		{name: "by type", method: "GET", path: "/api/v1/requests?type=notification", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"total":1`, "us-cert-R0002"}},
		{name: "by case", method: "GET", path: "/api/v1/requests?case=us-cert-C0001", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"total":3`}, wantNotContains: []string{"us-cert-I0001"}},
		{name: "by party", method: "GET", path: "/api/v1/requests?party=cncert&type=mitigation&overdue=true", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"total":1`, "us-cert-R0003"}},
		{name: "one page counts all", method: "GET", path: "/api/v1/requests?limit=1&offset=1", role: accord.RoleReviewer,
			wantStatus: http.StatusOK, wantContains: []string{`"total":4`, `"id":"us-cert-R0002"`}, wantNotContains: []string{"us-cert-I0001", "us-cert-R0001", "us-cert-R0003"}},
		{name: "limit zero", method: "GET", path: "/api/v1/requests?limit=0", role: accord.RoleReviewer,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"limit"`}},
		{name: "limit too large", method: "GET", path: "/api/v1/cases?limit=1001", role: accord.RoleReviewer,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"limit"`}},
		{name: "negative offset", method: "GET", path: "/api/v1/requests?offset=-1", role: accord.RoleReviewer,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"offset"`}},
		{name: "overdue not a boolean", method: "GET", path: "/api/v1/requests?overdue=maybe", role: accord.RoleReviewer,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"overdue"`}},
		{name: "unknown direction", method: "GET", path: "/api/v1/requests?direction=sideways", role: accord.RoleReviewer,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"direction"`}},
		{name: "unknown status", method: "GET", path: "/api/v1/requests?status=sent,lost", role: accord.RoleReviewer,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"status"`, "lost"}},
		{name: "unknown type", method: "GET", path: "/api/v1/requests?type=gossip", role: accord.RoleReviewer,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"type"`}},
		{name: "unknown parameter", method: "GET", path: "/api/v1/requests?colour=red", role: accord.RoleReviewer,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"colour"`}},
		{name: "a single-valued parameter twice", method: "GET", path: "/api/v1/requests?type=evidence&type=information", role: accord.RoleReviewer,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"type"`}},
		{name: "unknown case status", method: "GET", path: "/api/v1/cases?status=pending", role: accord.RoleReviewer,
			wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"status"`}},
	})
}

func TestScenarioAdministrationAndErrors(t *testing.T) {
	f := newFixture(t)
	run(t, f, loadSpec(t), []step{
		{name: "me", method: "GET", path: "/api/v1/me", role: accord.RoleLiaison, wantStatus: http.StatusOK,
			wantContains: []string{`"name":"liaison user"`, `"role":"liaison"`, `"party":"us-cert"`, `"permissions":["read","write-requests"]`}},
		{name: "agreement", method: "GET", path: "/api/v1/agreement", role: accord.RoleReviewer, wantStatus: http.StatusOK,
			wantContains: []string{`"id":"not-on-territory"`, `"digest":"` + accord.DefaultAgreement().Digest + `"`, `"emergency":{"acknowledge":"2h","answer":"8h"}`}},
		{name: "parties", method: "GET", path: "/api/v1/parties", role: accord.RoleAnalyst, wantStatus: http.StatusOK,
			wantContains: []string{`"id":"cncert"`, `"kind":"local"`, `"id":"us-cert"`, `"kind":"self"`}},
		{name: "admin registers a party", method: "POST", path: "/api/v1/parties", role: accord.RoleAdmin,
			body: `{"id":"jpcert","name":"JPCERT/CC","country":"JP"}`, wantStatus: http.StatusCreated,
			wantContains: []string{`"id":"jpcert"`, `"kind":"local"`}, wantHeader: map[string]string{"Location": "/api/v1/parties/jpcert"}},
		{name: "admin updates it", method: "POST", path: "/api/v1/parties", role: accord.RoleAdmin,
			body: `{"id":"jpcert","name":"JPCERT Coordination Center","country":"JP"}`, wantStatus: http.StatusOK,
			wantContains: []string{`"name":"JPCERT Coordination Center"`}},
		{name: "the party is there", method: "GET", path: "/api/v1/parties/jpcert", role: accord.RoleReviewer, wantStatus: http.StatusOK,
			wantContains: []string{`"name":"JPCERT Coordination Center"`}},
		{name: "the node's own party cannot be overwritten", method: "POST", path: "/api/v1/parties", role: accord.RoleAdmin,
			body: `{"id":"us-cert","name":"Someone else","country":"US"}`, wantStatus: http.StatusConflict, wantContains: []string{`"code":"conflict"`}},
		{name: "a bad country is refused", method: "POST", path: "/api/v1/parties", role: accord.RoleAdmin,
			body: `{"id":"xcert","name":"X","country":"XX"}`, wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"country"`}},
		{name: "a liaison may not register parties", method: "POST", path: "/api/v1/parties", role: accord.RoleLiaison,
			body: `{"id":"kcert","name":"K","country":"KR"}`, wantStatus: http.StatusForbidden, wantContains: []string{`"code":"forbidden"`, "admin"}},
		{name: "admin creates a user", method: "POST", path: "/api/v1/users", role: accord.RoleAdmin,
			body: `{"name":"Jane Liaison","role":"liaison"}`, wantStatus: http.StatusCreated,
			wantContains: []string{`"name":"Jane Liaison"`, `"token":"acc_`}, wantNotContains: []string{"token_hash"},
			wantHeader: map[string]string{"Location": "/api/v1/users/5", "Cache-Control": "no-store"}},
		{name: "a taken name is refused", method: "POST", path: "/api/v1/users", role: accord.RoleAdmin,
			body: `{"name":"Jane Liaison","role":"analyst"}`, wantStatus: http.StatusConflict, wantContains: []string{`"field":"name"`, "already exists"}},
		{name: "users are listed without tokens", method: "GET", path: "/api/v1/users", role: accord.RoleAdmin, wantStatus: http.StatusOK,
			wantContains: []string{`"name":"Jane Liaison"`, `"name":"admin user"`}, wantNotContains: []string{"acc_", "token"}},
		{name: "one user", method: "GET", path: "/api/v1/users/5", role: accord.RoleAdmin, wantStatus: http.StatusOK,
			wantContains: []string{`"id":5`, `"role":"liaison"`}},
		{name: "a reviewer may not list users", method: "GET", path: "/api/v1/users", role: accord.RoleReviewer, wantStatus: http.StatusForbidden},
		{name: "unknown user", method: "GET", path: "/api/v1/users/999", role: accord.RoleAdmin, wantStatus: http.StatusNotFound},
		{name: "user id not a number", method: "GET", path: "/api/v1/users/jane", role: accord.RoleAdmin, wantStatus: http.StatusNotFound},
		{name: "a TLP:RED case", method: "POST", path: "/api/v1/cases", role: accord.RoleAnalyst,
			body: `{"title":"Red matter: implant in ministry","category":"intrusions","tlp":"red"}`, wantStatus: http.StatusCreated, wantContains: []string{`"tlp":"red"`}},
		{name: "is not shown without a token", method: "GET", path: "/api/v1/cases/us-cert-C0001", wantStatus: http.StatusUnauthorized,
			wantNotContains: []string{"Red matter", "implant"}, wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="accord"`}},
		{name: "nor with an unknown token", method: "GET", path: "/api/v1/cases", role: accord.Role("nobody"), wantStatus: http.StatusUnauthorized,
			wantNotContains: []string{"Red matter"}, wantHeader: map[string]string{"WWW-Authenticate": `error="invalid_token"`}},
		{name: "nor to a list without a token", method: "GET", path: "/api/v1/cases", wantStatus: http.StatusUnauthorized, wantNotContains: []string{"Red matter"}},
		{name: "a reviewer may not open cases", method: "POST", path: "/api/v1/cases", role: accord.RoleReviewer,
			body: `{"title":"X","category":"fraud"}`, wantStatus: http.StatusForbidden, wantContains: []string{"role reviewer may not write-cases"}},
		{name: "an analyst may not send requests", method: "POST", path: "/api/v1/requests", role: accord.RoleAnalyst,
			body: `{"case_id":"us-cert-C0001","to":"cncert","type":"information","priority":"low","subject":"X"}`, wantStatus: http.StatusForbidden},
		{name: "unknown case", method: "GET", path: "/api/v1/cases/us-cert-C9999", role: accord.RoleReviewer, wantStatus: http.StatusNotFound, wantContains: []string{`"code":"not_found"`}},
		{name: "unknown request", method: "GET", path: "/api/v1/requests/us-cert-R9999", role: accord.RoleReviewer, wantStatus: http.StatusNotFound},
		{name: "action on an unknown request", method: "POST", path: "/api/v1/requests/us-cert-R9999/accept", role: accord.RoleLiaison, body: `{}`, wantStatus: http.StatusNotFound},
		{name: "closing an unknown case", method: "POST", path: "/api/v1/cases/us-cert-C9999/close", role: accord.RoleAnalyst, body: `{}`, wantStatus: http.StatusNotFound},
		{name: "unknown party", method: "GET", path: "/api/v1/parties/nowhere", role: accord.RoleReviewer, wantStatus: http.StatusNotFound},
		{name: "request for an unknown case", method: "POST", path: "/api/v1/requests", role: accord.RoleLiaison,
			body: `{"case_id":"us-cert-C9999","to":"cncert","type":"information","priority":"low","subject":"X"}`, wantStatus: http.StatusBadRequest, wantContains: []string{`"field":"case_id"`}},
		{name: "unknown route", method: "GET", path: "/api/v1/nothing", role: accord.RoleAdmin, wantStatus: http.StatusNotFound,
			wantContains: []string{"no route for GET /api/v1/nothing", `"instance":"/api/v1/nothing"`}},
		{name: "unknown route without a token", method: "GET", path: "/wp-login.php", wantStatus: http.StatusNotFound},
		{name: "wrong method", method: "DELETE", path: "/api/v1/cases", role: accord.RoleAdmin, wantStatus: http.StatusMethodNotAllowed,
			wantContains: []string{"DELETE is not allowed"}, wantHeader: map[string]string{"Allow": "POST"}},
		{name: "wrong method on an action", method: "GET", path: "/api/v1/requests/us-cert-R0001/accept", role: accord.RoleAdmin, wantStatus: http.StatusMethodNotAllowed,
			wantHeader: map[string]string{"Allow": "POST"}},
		{name: "unknown query parameter on a route without any", method: "GET", path: "/api/v1/me?debug=1", role: accord.RoleAdmin, wantStatus: http.StatusBadRequest,
			wantContains: []string{`"field":"debug"`}},
	})
}
