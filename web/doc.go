// Package web serves a node's HTTP JSON API under /api/v1, with /healthz,
// Prometheus /metrics and the OpenAPI 3.1 document of the API at
// /api/v1/openapi.json.
//
// The package is a thin layer over node.Service: it authenticates the bearer
// token of each request, checks the route's permission before reading any
// body, decodes strict JSON bodies (unknown fields, trailing data, wrong
// types and oversize bodies are refused), calls the service, and writes the
// result as JSON or, for every error, as an RFC 9457 problem
// (application/problem+json) whose status follows the accord error code.
//
// Every route is listed once, with its permission, in routes.go; the OpenAPI
// document (openapi.json) describes exactly those routes, which a test
// enforces.
package web
