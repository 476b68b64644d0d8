// Package taxii serves and pulls threat intelligence over TAXII 2.1 (OASIS
// Standard, 10 June 2021).
//
// # Server
//
// NewHandler returns the http.Handler that accord mounts at /taxii2/. It
// speaks the protocol — paths, media types, query parameters, paging,
// headers, error messages — and leaves every decision about data to a
// Service (node.Service in accord): authentication, who may read and write
// which collection, and which objects a collection may serve under TLP.
//
//	GET  /taxii2/                                         discovery
//	GET  /taxii2/{root}/                                  API root
//	GET  /taxii2/{root}/status/{id}/                      status resource
//	GET  /taxii2/{root}/collections/                      collections
//	GET  /taxii2/{root}/collections/{id}/                 one collection
//	GET  /taxii2/{root}/collections/{id}/manifest/        manifest
//	GET  /taxii2/{root}/collections/{id}/objects/         objects
//	POST /taxii2/{root}/collections/{id}/objects/         add objects (202 + status)
//	GET  /taxii2/{root}/collections/{id}/objects/{oid}/   one object
//	GET  /taxii2/{root}/collections/{id}/objects/{oid}/versions/
//
// The trailing slash is optional. Every request needs credentials: an
// accord API token as "Authorization: Bearer acc_…", or HTTP Basic with the
// user's name and the token as password (401 otherwise). Then, in order:
// 405 for a method the path does not take, 406 unless Accept allows
// application/taxii+json;version=2.1 (see Acceptable), 404 for an unknown
// API root, collection, object or status, 403 without the right to read
// (or, for POST, write) the collection, 400 for a bad query parameter
// (ParseQuery), 415 for a POST whose Content-Type is not TAXII 2.1, 413
// past the API root's max_content_length, 422 for a body that is not an
// envelope. Errors are TAXII error messages (section 3.6.1) with title,
// description and http_status.
//
// Pages are in date_added order. limit defaults to, and is capped at,
// Options.MaxPageSize. next is an opaque cursor (the date_added of the
// last version the page read, with a digest of the request's filters: a
// next used with other filters is refused with 400). An empty result is
// the empty object {}, as in the reference server (medallion). The date
// headers X-TAXII-Date-Added-First and -Last name the first and last
// date_added of the versions in the page.
//
// Filters: added_after; match[id], match[type], match[version] ("first",
// "last", "all" or timestamps) and match[spec_version], each a
// comma-separated list. The version filter defaults to "last" (objects,
// one object, manifest) or "all" (versions); without match[spec_version]
// each object is seen in its latest spec version only, and "first" and
// "last" are taken among the versions of the spec versions kept.
// Parameters the server does not know are ignored.
//
// # Client
//
// Client reads a TAXII 2.1 server's collections and pages through their
// objects, for `accord taxii pull`.
package taxii
