package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/accord-cyber/accord"
)

func TestHealthzAndMetrics(t *testing.T) {
	f := newFixture(t)
	sp := loadSpec(t)
	run(t, f, sp, []step{
		{name: "healthy", method: "GET", path: "/healthz", wantStatus: http.StatusOK, wantContains: []string{`{"status":"ok"}`}},
		{name: "a case that does not exist", method: "GET", path: "/api/v1/cases/us-cert-C0042", role: accord.RoleReviewer, wantStatus: http.StatusNotFound},
		{name: "an unknown route", method: "GET", path: "/no/such/thing", wantStatus: http.StatusNotFound},
		{name: "metrics", method: "GET", path: "/metrics", wantStatus: http.StatusOK,
			wantContains: []string{
				`http_requests_total{code="200",method="GET",route="GET /healthz"} 1`,
				`http_requests_total{code="404",method="GET",route="GET /api/v1/cases/{id}"} 1`,
				`http_requests_total{code="404",method="GET",route="unmatched"} 1`,
				`http_request_duration_seconds_bucket{method="GET",route="GET /healthz",le="+Inf"} 1`,
				"go_goroutines",
				"process_",
			},
			wantNotContains: []string{"us-cert-C0042", "/no/such/thing"}},
	})
	log := f.log.String()
	for _, want := range []string{`msg="http request" method=GET route="GET /api/v1/cases/{id}" path=/api/v1/cases/us-cert-C0042 status=404`, `actor="reviewer user"`, `route="GET /healthz"`} {
		if !strings.Contains(log, want) {
			t.Errorf("access log does not contain %q:\n%s", want, log)
		}
	}
}

// TestStoreDown checks that a node whose store is gone says so: /healthz
// answers 503 and other routes a problem that does not leak the driver's
// error.
func TestStoreDown(t *testing.T) {
	f := newFixture(t)
	token := f.token(accord.RoleAdmin)
	if err := f.db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	rec := f.do("GET", "/healthz", "", "")
	p := problemOf(t, rec, http.StatusServiceUnavailable)
	if p.Code != accord.EUNAVAILABLE {
		t.Errorf("GET /healthz with the store closed: code %q, want %q", p.Code, accord.EUNAVAILABLE)
	}
	rec = f.do("GET", "/api/v1/cases", token, "")
	if rec.Code < 500 {
		t.Errorf("GET /api/v1/cases with the store closed = %d, want 5xx", rec.Code)
	}
	problemOf(t, rec, rec.Code)
	if body := rec.Body.String(); strings.Contains(body, "sql") {
		t.Errorf("problem leaks the store's error: %s", body)
	}
	loadSpec(t).checkResponse(t, "GET /api/v1/cases", rec.Code, rec.Header(), rec.Body.Bytes())
}

// TestNewDefaults checks New without a registry or a body limit: a registry
// with the Go and process collectors, and the default limit.
func TestNewDefaults(t *testing.T) {
	f := newFixture(t)
	h := New(f.svc, Options{Logger: f.opts.Logger})
	srv := h.(*server)
	if srv.maxBody != DefaultMaxBodyBytes {
		t.Errorf("default MaxBodyBytes = %d, want %d", srv.maxBody, DefaultMaxBodyBytes)
	}
	f.srv = srv
	rec := f.do("GET", "/metrics", "", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "go_goroutines") || !strings.Contains(rec.Body.String(), "process_") {
		t.Errorf("GET /metrics with the default registry = %d, want 200 with go_ and process_ metrics:\n%s", rec.Code, rec.Body)
	}
	// A second handler on the same registry shares its metrics.
	newServer(f.svc, f.opts)
	newServer(f.svc, f.opts)
}
