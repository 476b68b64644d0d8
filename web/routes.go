package web

import (
	"net/http"
	"reflect"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/accord-cyber/accord"
)

// public marks a route that needs no token.
const public accord.Permission = ""

// route is one row of the route table: a Go 1.22 ServeMux pattern
// ("METHOD /path/{wildcard}"), the permission the caller's role must hold
// (checked before any body is read), the endpoint and a one-line summary
// (which the OpenAPI document repeats).
type route struct {
	pattern string
	perm    accord.Permission
	ep      endpoint
	summary string
}

// routes is the whole API. openapi.json documents exactly these rows, and
// the tests drive every POST row with bad input (TestWriteRoutesRefuseBadInput
// the JSON ones, TestEvidenceUploadRefusals the streamed ones); add a row
// here and both follow.
func (s *server) routes() []route {
	return []route{
		{"GET /healthz", public, plain(s.healthz), "Report whether the node and its store answer."},
		{"GET /metrics", public, std(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})), "Prometheus metrics of this node."},
		{"GET /api/v1/openapi.json", public, plain(s.openapi), "This API's OpenAPI 3.1 document."},

		{"GET /api/v1/me", accord.PermRead, plain(s.me), "The authenticated user, its role and permissions."},
		{"GET /api/v1/agreement", accord.PermRead, plain(s.agreement), "The agreement this node applies: request types, deadlines, decline grounds."},

		{"GET /api/v1/parties", accord.PermRead, plain(s.listParties), "List the parties this node knows."},
		{"POST /api/v1/parties", accord.PermAdmin, body(s, s.addParty), "Register or update a party that does not run accord."},
		{"GET /api/v1/parties/{id}", accord.PermRead, plain(s.getParty), "Show one party."},

		{"GET /api/v1/users", accord.PermAdmin, plain(s.listUsers), "List the users of this node."},
		{"POST /api/v1/users", accord.PermAdmin, body(s, s.addUser), "Create a user and its API token (shown once)."},
		{"GET /api/v1/users/{id}", accord.PermAdmin, plain(s.getUser), "Show one user."},

		{"GET /api/v1/cases", accord.PermRead, plain(s.listCases), "List cases, newest first."},
		{"POST /api/v1/cases", accord.PermWriteCases, body(s, s.createCase), "Open a case."},
		{"GET /api/v1/cases/{id}", accord.PermRead, plain(s.getCase), "Show one case."},
		{"POST /api/v1/cases/{id}/close", accord.PermWriteCases, body(s, s.closeCase), "Close an open case."},
		{"GET /api/v1/cases/{id}/evidence", accord.PermRead, plain(s.listCaseEvidence), "List a case's evidence."},
		{"POST /api/v1/cases/{id}/evidence", accord.PermWriteCases, stream(s.uploadCaseEvidence), "Store the request body, streamed, as evidence of a case and open its chain of custody."},

		{"POST /api/v1/imports", accord.PermWriteCases, stream(s.importIntel), "Import a threat intelligence file (the raw body) into a case, all or nothing."},
		{"GET /api/v1/cases/{id}/export", accord.PermRead, plain(s.exportIntel), "Export a case's threat intelligence as a STIX 2.1 bundle, a MISP event or an IODEF v2 document."},
		{"GET /api/v1/cases/{id}/correlations", accord.PermRead, plain(s.caseCorrelations), "The observables of a case that other cases hold too."},
		{"GET /api/v1/correlate", accord.PermRead, plain(s.correlate), "The cases holding a value: equal, or for addresses and networks, containing or contained."},

		{"GET /api/v1/requests", accord.PermRead, plain(s.listRequests), "List requests, most recently sent first, with the total matching."},
		{"POST /api/v1/requests", accord.PermWriteRequests, body(s, s.createRequest), "Record an outgoing request, or an incoming one received by other means."},
		{"GET /api/v1/requests/{id}", accord.PermRead, plain(s.getRequest), "Show one request with its events, answers and allowed actions."},
		{"GET /api/v1/requests/{id}/messages", accord.PermRead, plain(s.listMessages), "The signed messages exchanged about one request, with their receipts."},
		{"GET /api/v1/requests/{id}/evidence", accord.PermRead, plain(s.listRequestEvidence), "List the evidence of a request: its own items and those attached to this node's answers."},
		{"POST /api/v1/requests/{id}/evidence", accord.PermWriteCases, stream(s.uploadRequestEvidence), "Store the request body, streamed, as evidence of a request and open its chain of custody."},
		{"POST /api/v1/requests/{id}/share", accord.PermWriteRequests, body(s, s.shareObjects), "Send objects of a case (all the peer may receive under TLP, or those named) to the peer of a request, in signed notifications."},
		{"GET /api/v1/requests/{id}/objects", accord.PermRead, plain(s.listShared), "The threat intelligence objects the messages about a request carried, both ways."},
		{"GET /api/v1/reports/weekly", accord.PermRead, plain(s.weeklyReport), "This node's statistics of an ISO week, each beside the week before, as HTML, PDF, JSON or CSV."},
		{"GET /api/v1/reports/review", accord.PermRead, plain(s.reviewReport), "The joint-dialogue review of a period, computed from what both nodes hold, with its digest, as HTML, PDF, JSON or CSV."},
		{"GET /api/v1/ledger", accord.PermRead, plain(s.ledgerHead), "The ledger's current size and RFC 6962 root hash."},
		{"GET /api/v1/ledger/inclusion", accord.PermRead, plain(s.ledgerInclusion), "Prove that a message or its receipt is in the ledger."},
		{"GET /api/v1/ledger/consistency", accord.PermRead, plain(s.ledgerConsistency), "Prove that the ledger at one size is a prefix of the ledger at a larger size."},
		{"POST /api/v1/requests/{id}/deliver", accord.PermWriteRequests, act[deliverBody](s), "Record that the requested party received the request."},
		{"POST /api/v1/requests/{id}/acknowledge", accord.PermWriteRequests, act[acknowledgeBody](s), "Record the requested party's acknowledgement."},
		{"POST /api/v1/requests/{id}/accept", accord.PermWriteRequests, act[acceptBody](s), "Record that the requested party accepts the request."},
		{"POST /api/v1/requests/{id}/decline", accord.PermWriteRequests, act[declineBody](s), "Record that the requested party declines, on one of the agreement's grounds."},
		{"POST /api/v1/requests/{id}/answers", accord.PermWriteRequests, act[answerBody](s), "Record a partial or final answer of the requested party."},
		{"POST /api/v1/requests/{id}/rating", accord.PermWriteRequests, act[ratingBody](s), "Record the requester's rating (1–5) of the final answer."},
		{"POST /api/v1/requests/{id}/withdraw", accord.PermWriteRequests, act[withdrawBody](s), "Record that the requester withdraws the request."},
		{"POST /api/v1/requests/{id}/close", accord.PermWriteRequests, act[closeBody](s), "Record that the requester closes the request."},

		{"GET /api/v1/evidence/{id}", accord.PermRead, plain(s.getEvidence), "Show one item of evidence with its chain of custody."},
		{"GET /api/v1/evidence/{id}/content", accord.PermRead, plain(s.evidenceContent), "Download an item's file; the download is recorded in its chain of custody."},
		{"POST /api/v1/evidence/{id}/custody", accord.PermWriteCases, body(s, s.recordCustody), "Record a custody event (sealed, accessed, verified) on an item."},
	}
}

// handlerFunc serves one route for an actor who holds the route's
// permission (the zero Actor on public routes). A returned error is answered
// as a problem; the function must not have written anything then.
type handlerFunc func(w http.ResponseWriter, r *http.Request, a accord.Actor) error

// endpoint is what a route runs: the handler and, for routes that read a
// JSON body, the Go type the body decodes into (for the tests and the
// OpenAPI check), or stream for routes whose body is a file's raw bytes.
type endpoint struct {
	serve  handlerFunc
	body   reflect.Type
	stream bool
}

// plain is an endpoint that reads no body.
func plain(h handlerFunc) endpoint { return endpoint{serve: h} }

// stream is an endpoint whose body is a file's raw bytes, which h reads
// itself as they arrive: not decoded, and not capped by MaxBodyBytes (the
// evidence store's own limit applies).
func stream(h handlerFunc) endpoint { return endpoint{serve: h, stream: true} }

// std adapts a standard handler (one that writes its own errors).
func std(h http.Handler) endpoint {
	return endpoint{serve: func(w http.ResponseWriter, r *http.Request, _ accord.Actor) error {
		h.ServeHTTP(w, r)
		return nil
	}}
}

// body is an endpoint that decodes a strict JSON body of type B (see
// decodeBody) and passes it to h.
func body[B any](s *server, h func(w http.ResponseWriter, r *http.Request, a accord.Actor, in B) error) endpoint {
	return endpoint{
		body: reflect.TypeFor[B](),
		serve: func(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
			var in B
			if err := s.decodeBody(w, r, &in); err != nil {
				return err
			}
			return h(w, r, a, in)
		},
	}
}

// endpoint wraps rt's handler with authentication and the permission check,
// both done before the handler reads the body.
func (s *server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var actor accord.Actor
		if rt.perm != public {
			var err error
			if actor, err = s.authenticate(w, r); err != nil {
				s.writeProblem(w, r, err)
				return
			}
			infoFrom(r.Context()).actor = actor.Name
			if err := actor.Require(rt.perm); err != nil {
				s.writeProblem(w, r, err)
				return
			}
		}
		if err := rt.ep.serve(w, r, actor); err != nil {
			s.writeProblem(w, r, err)
		}
	})
}
