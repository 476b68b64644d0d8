package taxii

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
)

// Service is what the server needs of a node. Every method but
// Authenticate takes the authenticated actor and returns ENOTFOUND for an
// unknown API root, collection, object or status, EFORBIDDEN when the actor
// may not read (or write) the collection, EINVALID for bad input.
type Service interface {
	// Authenticate returns the actor an API token belongs to, or EUNAUTHORIZED.
	Authenticate(ctx context.Context, token string) (accord.Actor, error)
	// TAXIIAPIRoots returns the API roots, by id.
	TAXIIAPIRoots(ctx context.Context, actor accord.Actor) ([]*accord.TAXIIAPIRoot, error)
	// TAXIIAPIRoot returns one API root.
	TAXIIAPIRoot(ctx context.Context, actor accord.Actor, root string) (*accord.TAXIIAPIRoot, error)
	// TAXIICollections returns the collections of an API root, by id.
	TAXIICollections(ctx context.Context, actor accord.Actor, root string) ([]*accord.TAXIICollection, error)
	// TAXIICollection returns one collection of an API root.
	TAXIICollection(ctx context.Context, actor accord.Actor, root, id string) (*accord.TAXIICollection, error)
	// TAXIIObjects returns a page of the versions of a collection that q
	// selects and TLP lets the collection serve.
	TAXIIObjects(ctx context.Context, actor accord.Actor, root string, q accord.CollectionQuery) (*accord.TAXIIPage, error)
	// TAXIIAddObjects adds objects to a collection, each on its own, and
	// returns the status resource saying what became of each.
	TAXIIAddObjects(ctx context.Context, actor accord.Actor, root, collection string, objects []json.RawMessage) (*accord.TAXIIStatus, error)
	// TAXIIStatus returns a status resource.
	TAXIIStatus(ctx context.Context, actor accord.Actor, root, id string) (*accord.TAXIIStatus, error)
}

// Options tunes the handler. The zero value is usable.
type Options struct {
	// Prefix is the path the handler is mounted at; default "/taxii2/".
	Prefix string
	// Title, Description and Contact are discovery's.
	Title, Description, Contact string
	// MaxPageSize caps limit and is the page size when limit is absent;
	// default 1,000.
	MaxPageSize int
	// Logger receives internal errors with their cause; default slog.Default().
	Logger *slog.Logger
}

// DefaultMaxPageSize is the page size when Options.MaxPageSize is zero.
const DefaultMaxPageSize = 1000

type server struct {
	svc  Service
	opts Options
	log  *slog.Logger
}

// NewHandler returns the TAXII 2.1 server over svc (see the package
// documentation for its resources and rules).
func NewHandler(svc Service, opts Options) http.Handler {
	if opts.Prefix == "" {
		opts.Prefix = "/taxii2/"
	}
	if !strings.HasSuffix(opts.Prefix, "/") {
		opts.Prefix += "/"
	}
	if opts.MaxPageSize <= 0 {
		opts.MaxPageSize = DefaultMaxPageSize
	}
	if opts.Title == "" {
		opts.Title = "accord TAXII 2.1 server"
	}
	s := &server{svc: svc, opts: opts, log: opts.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Error is a TAXII error message (section 3.6.1).
type Error struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	ErrorID     string `json:"error_id,omitempty"`
	ErrorCode   string `json:"error_code,omitempty"`
	HTTPStatus  string `json:"http_status,omitempty"`
}

// Error returns the title and description.
func (e *Error) Error() string {
	if e.Description == "" {
		return e.Title
	}
	return e.Title + ": " + e.Description
}

// httpError is an error with the status to answer it with.
type httpError struct {
	status int
	title  string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func statusError(status int, title, msg string) error { return &httpError{status, title, msg} }

// route is a parsed request path.
type route struct {
	kind       string // discovery, root, status, collections, collection, manifest, objects, object, versions
	root, coll string
	id         string // object or status id
}

func parsePath(p string) (route, bool) {
	p = strings.Trim(p, "/")
	if p == "" {
		return route{kind: "discovery"}, true
	}
	seg := strings.Split(p, "/")
	for _, s := range seg {
		if s == "" {
			return route{}, false
		}
	}
	r := route{root: seg[0]}
	switch {
	case len(seg) == 1:
		r.kind = "root"
	case len(seg) == 3 && seg[1] == "status":
		r.kind, r.id = "status", seg[2]
	case len(seg) == 2 && seg[1] == "collections":
		r.kind = "collections"
	case len(seg) >= 3 && seg[1] == "collections":
		r.coll = seg[2]
		switch {
		case len(seg) == 3:
			r.kind = "collection"
		case len(seg) == 4 && seg[3] == "manifest":
			r.kind = "manifest"
		case len(seg) == 4 && seg[3] == "objects":
			r.kind = "objects"
		case len(seg) == 5 && seg[3] == "objects":
			r.kind, r.id = "object", seg[4]
		case len(seg) == 6 && seg[3] == "objects" && seg[5] == "versions":
			r.kind, r.id = "versions", seg[4]
		default:
			return route{}, false
		}
	default:
		return route{}, false
	}
	return r, true
}

// ServeHTTP answers one TAXII request.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rel, ok := strings.CutPrefix(r.URL.Path, strings.TrimSuffix(s.opts.Prefix, "/"))
	if !ok {
		s.fail(w, r, accord.Errorf(accord.ENOTFOUND, "no TAXII resource at %s", r.URL.Path))
		return
	}
	actor, err := s.authenticate(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="accord TAXII", charset="UTF-8", Bearer realm="accord TAXII"`)
		s.fail(w, r, err)
		return
	}
	rt, ok := parsePath(rel)
	if !ok {
		s.fail(w, r, accord.Errorf(accord.ENOTFOUND, "no TAXII resource at %s", r.URL.Path))
		return
	}
	allowed := "GET, HEAD"
	methodOK := r.Method == http.MethodGet || r.Method == http.MethodHead
	if rt.kind == "objects" {
		allowed = "GET, HEAD, POST"
		methodOK = methodOK || r.Method == http.MethodPost
	}
	if !methodOK {
		w.Header().Set("Allow", allowed)
		s.fail(w, r, statusError(http.StatusMethodNotAllowed, "Method Not Allowed", "method "+r.Method+" is not allowed here (allowed: "+allowed+")"))
		return
	}
	if !Acceptable(r.Header.Get("Accept")) {
		s.fail(w, r, statusError(http.StatusNotAcceptable, "Not Acceptable", "the Accept header must allow "+MediaType))
		return
	}
	ctx := r.Context()
	switch {
	case rt.kind == "discovery":
		err = s.discovery(ctx, w, r, actor)
	case rt.kind == "root":
		err = s.apiRoot(ctx, w, actor, rt)
	case rt.kind == "status":
		err = s.status(ctx, w, actor, rt)
	case rt.kind == "collections":
		err = s.collections(ctx, w, actor, rt)
	case rt.kind == "collection":
		err = s.collection(ctx, w, actor, rt)
	case rt.kind == "objects" && r.Method == http.MethodPost:
		err = s.addObjects(ctx, w, r, actor, rt)
	default:
		err = s.page(ctx, w, r, actor, rt)
	}
	if err != nil {
		s.fail(w, r, err)
	}
}

// authenticate reads the token from "Bearer TOKEN" or HTTP Basic (any
// user name, the token as password; a user name that is not the token's
// user is refused).
func (s *server) authenticate(r *http.Request) (accord.Actor, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return accord.Actor{}, accord.Errorf(accord.EUNAUTHORIZED, "credentials required: HTTP Basic with your accord token as password, or a Bearer token")
	}
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	var user, token string
	switch strings.ToLower(scheme) {
	case "bearer":
		token = cred
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return accord.Actor{}, accord.Errorf(accord.EUNAUTHORIZED, "malformed Basic credentials")
		}
		var ok bool
		user, token, ok = strings.Cut(string(raw), ":")
		if !ok {
			return accord.Actor{}, accord.Errorf(accord.EUNAUTHORIZED, "malformed Basic credentials")
		}
	default:
		return accord.Actor{}, accord.Errorf(accord.EUNAUTHORIZED, "unsupported authorization scheme %q", scheme)
	}
	if token == "" {
		return accord.Actor{}, accord.Errorf(accord.EUNAUTHORIZED, "empty token")
	}
	a, err := s.svc.Authenticate(r.Context(), token)
	if err != nil {
		return accord.Actor{}, err
	}
	if user != "" && user != a.Name {
		return accord.Actor{}, accord.Errorf(accord.EUNAUTHORIZED, "the token does not belong to user %q", user)
	}
	return a, nil
}

// fail answers err as a TAXII error message.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, title := http.StatusInternalServerError, "Internal Server Error"
	msg := accord.ErrorMessage(err)
	var he *httpError
	if errors.As(err, &he) {
		status, title, msg = he.status, he.title, he.msg
	} else {
		switch accord.ErrorCode(err) {
		case accord.EUNAUTHORIZED:
			status, title = http.StatusUnauthorized, "Unauthorized"
		case accord.EFORBIDDEN:
			status, title = http.StatusForbidden, "Forbidden"
		case accord.ENOTFOUND:
			status, title = http.StatusNotFound, "Not Found"
		case accord.EINVALID:
			status, title = http.StatusBadRequest, "ProcessingError"
		case accord.ECONFLICT:
			status, title = http.StatusConflict, "Conflict"
		case accord.EUNAVAILABLE:
			status, title = http.StatusServiceUnavailable, "Service Unavailable"
		default:
			s.log.Error("TAXII request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
	s.write(w, status, &Error{Title: title, Description: msg, HTTPStatus: strconv.Itoa(status)})
}

// write answers v as TAXII JSON.
func (s *server) write(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"title":"Internal Server Error","http_status":"500"}`)
	}
	s.writeBytes(w, status, b)
}

func (s *server) writeBytes(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", MediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// baseURL is the absolute URL of the server's prefix for links in discovery.
func (s *server) baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + s.opts.Prefix
}

func (s *server) discovery(ctx context.Context, w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	roots, err := s.svc.TAXIIAPIRoots(ctx, a)
	if err != nil {
		return err
	}
	out := struct {
		Title       string   `json:"title"`
		Description string   `json:"description,omitempty"`
		Contact     string   `json:"contact,omitempty"`
		Default     string   `json:"default,omitempty"`
		APIRoots    []string `json:"api_roots,omitempty"`
	}{Title: s.opts.Title, Description: s.opts.Description, Contact: s.opts.Contact}
	for _, rt := range roots {
		u := s.baseURL(r) + rt.ID + "/"
		out.APIRoots = append(out.APIRoots, u)
		if rt.Default {
			out.Default = u
		}
	}
	s.write(w, http.StatusOK, out)
	return nil
}

func (s *server) apiRoot(ctx context.Context, w http.ResponseWriter, a accord.Actor, rt route) error {
	root, err := s.svc.TAXIIAPIRoot(ctx, a, rt.root)
	if err != nil {
		return err
	}
	s.write(w, http.StatusOK, struct {
		Title            string   `json:"title"`
		Description      string   `json:"description,omitempty"`
		Versions         []string `json:"versions"`
		MaxContentLength int64    `json:"max_content_length"`
	}{root.Title, root.Description, []string{MediaType}, root.MaxContentLength})
	return nil
}

// collectionJSON is a collection resource as the actor sees it.
type collectionJSON struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

func toCollectionJSON(c *accord.TAXIICollection, a accord.Actor) collectionJSON {
	read, write := c.Access(a)
	return collectionJSON{ID: c.ID, Title: c.Title, Description: c.Description, Alias: c.Alias, CanRead: read, CanWrite: write, MediaTypes: c.MediaTypes}
}

func (s *server) collections(ctx context.Context, w http.ResponseWriter, a accord.Actor, rt route) error {
	cs, err := s.svc.TAXIICollections(ctx, a, rt.root)
	if err != nil {
		return err
	}
	out := struct {
		Collections []collectionJSON `json:"collections,omitempty"`
	}{}
	for _, c := range cs {
		out.Collections = append(out.Collections, toCollectionJSON(c, a))
	}
	s.write(w, http.StatusOK, out)
	return nil
}

func (s *server) collection(ctx context.Context, w http.ResponseWriter, a accord.Actor, rt route) error {
	c, err := s.svc.TAXIICollection(ctx, a, rt.root, rt.coll)
	if err != nil {
		return err
	}
	s.write(w, http.StatusOK, toCollectionJSON(c, a))
	return nil
}

// statusJSON is a status resource (section 4.3.1).
type statusJSON struct {
	ID               string                     `json:"id"`
	Status           string                     `json:"status"`
	RequestTimestamp string                     `json:"request_timestamp,omitempty"`
	TotalCount       int                        `json:"total_count"`
	SuccessCount     int                        `json:"success_count"`
	Successes        []accord.TAXIIStatusDetail `json:"successes,omitempty"`
	FailureCount     int                        `json:"failure_count"`
	Failures         []accord.TAXIIStatusDetail `json:"failures,omitempty"`
	PendingCount     int                        `json:"pending_count"`
	Pendings         []accord.TAXIIStatusDetail `json:"pendings,omitempty"`
}

func toStatusJSON(st *accord.TAXIIStatus) statusJSON {
	return statusJSON{ID: st.ID, Status: st.Status, RequestTimestamp: timestamp(st.RequestTimestamp), TotalCount: st.TotalCount,
		SuccessCount: len(st.Successes), Successes: st.Successes, FailureCount: len(st.Failures), Failures: st.Failures,
		PendingCount: len(st.Pendings), Pendings: st.Pendings}
}

func (s *server) status(ctx context.Context, w http.ResponseWriter, a accord.Actor, rt route) error {
	st, err := s.svc.TAXIIStatus(ctx, a, rt.root, rt.id)
	if err != nil {
		return err
	}
	s.write(w, http.StatusOK, toStatusJSON(st))
	return nil
}

// timestamp formats a TAXII timestamp: UTC, six fractional digits.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

func (s *server) addObjects(ctx context.Context, w http.ResponseWriter, r *http.Request, a accord.Actor, rt route) error {
	// Who may write is checked before the body is read.
	c, err := s.svc.TAXIICollection(ctx, a, rt.root, rt.coll)
	if err != nil {
		return err
	}
	if _, write := c.Access(a); !write {
		return accord.Errorf(accord.EFORBIDDEN, "you may not add objects to collection %s", c.ID)
	}
	if !SupportedContentType(r.Header.Get("Content-Type")) {
		return statusError(http.StatusUnsupportedMediaType, "Unsupported Media Type", "the Content-Type must be "+MediaType)
	}
	root, err := s.svc.TAXIIAPIRoot(ctx, a, rt.root)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, root.MaxContentLength+1))
	if err != nil {
		return statusError(http.StatusBadRequest, "ProcessingError", "reading the request body: "+err.Error())
	}
	if int64(len(body)) > root.MaxContentLength {
		return statusError(http.StatusRequestEntityTooLarge, "Request Entity Too Large",
			"the body is larger than this API root's max_content_length ("+strconv.FormatInt(root.MaxContentLength, 10)+" bytes)")
	}
	objs, err := parseEnvelope(body)
	if err != nil {
		return err
	}
	st, err := s.svc.TAXIIAddObjects(ctx, a, rt.root, rt.coll, objs)
	if err != nil {
		return err
	}
	s.write(w, http.StatusAccepted, toStatusJSON(st))
	return nil
}

// parseEnvelope returns the objects of an envelope: 400 for a body that is
// not JSON, 422 for JSON that is not an envelope with an objects list.
func parseEnvelope(body []byte) ([]json.RawMessage, error) {
	if !json.Valid(body) {
		return nil, statusError(http.StatusBadRequest, "ProcessingError", "the body is not JSON")
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, statusError(http.StatusUnprocessableEntity, "ProcessingError",
			"While processing supplied content, an error occurred: the body is not a TAXII envelope (a JSON object)")
	}
	raw, ok := env["objects"]
	var objs []json.RawMessage
	if !ok || json.Unmarshal(raw, &objs) != nil {
		return nil, statusError(http.StatusUnprocessableEntity, "ProcessingError",
			"While processing supplied content, an error occurred: an envelope needs an \"objects\" list")
	}
	if _, hasType := env["type"]; hasType {
		return nil, statusError(http.StatusUnprocessableEntity, "ProcessingError",
			"While processing supplied content, an error occurred: the body is a STIX object or bundle, not a TAXII envelope")
	}
	return objs, nil
}

// page answers the objects, manifest, object and versions resources.
func (s *server) page(ctx context.Context, w http.ResponseWriter, r *http.Request, a accord.Actor, rt route) error {
	ep := map[string]Endpoint{"objects": EndpointObjects, "manifest": EndpointManifest, "object": EndpointObject, "versions": EndpointVersions}[rt.kind]
	// The collection first: 404 and 403 come before a bad parameter's 400.
	c, err := s.svc.TAXIICollection(ctx, a, rt.root, rt.coll)
	if err != nil {
		return err
	}
	if read, _ := c.Access(a); !read {
		return accord.Errorf(accord.EFORBIDDEN, "you may not read collection %s", c.ID)
	}
	q, err := ParseQuery(r.URL.Query(), ep)
	if err != nil {
		return err
	}
	cq := accord.CollectionQuery{Collection: rt.coll, ObjectID: rt.id, IDs: q.IDs, Types: q.Types, Versions: q.Versions,
		SpecVersions: q.SpecVersions, After: q.AddedAfter, NoObject: ep == EndpointManifest || ep == EndpointVersions}
	if len(cq.Versions) == 0 {
		cq.Versions = []string{"last"}
		if ep == EndpointVersions {
			cq.Versions = []string{"all"}
		}
	}
	cq.Limit = s.opts.MaxPageSize
	if q.Limit > 0 && q.Limit < cq.Limit {
		cq.Limit = q.Limit
	}
	fp := fingerprint(rt.kind+"\x00"+rt.root+"\x00"+rt.coll+"\x00"+rt.id, q)
	if q.Next != "" {
		cur, err := decodeNext(q.Next, fp)
		if err != nil {
			return err
		}
		if cur.After(cq.After) {
			cq.After = cur
		}
	}
	pg, err := s.svc.TAXIIObjects(ctx, a, rt.root, cq)
	if err != nil {
		return err
	}
	if n := len(pg.Objects); n > 0 {
		w.Header().Set("X-TAXII-Date-Added-First", timestamp(pg.Objects[0].DateAdded))
		w.Header().Set("X-TAXII-Date-Added-Last", timestamp(pg.Objects[n-1].DateAdded))
	}
	if len(pg.Objects) == 0 && !pg.More {
		s.writeBytes(w, http.StatusOK, []byte("{}"))
		return nil
	}
	var b bytes.Buffer
	b.WriteString(`{"more":`)
	b.WriteString(strconv.FormatBool(pg.More))
	if pg.More {
		b.WriteString(`,"next":`)
		writeJSONString(&b, encodeNext(pg.Last, fp))
	}
	switch ep {
	case EndpointObjects, EndpointObject:
		b.WriteString(`,"objects":[`)
		for i, o := range pg.Objects {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(o.Object)
		}
		b.WriteByte(']')
	case EndpointManifest:
		b.WriteString(`,"objects":[`)
		for i, o := range pg.Objects {
			if i > 0 {
				b.WriteByte(',')
			}
			e, _ := json.Marshal(struct {
				ID        string `json:"id"`
				DateAdded string `json:"date_added"`
				Version   string `json:"version"`
				MediaType string `json:"media_type"`
			}{o.ID, timestamp(o.DateAdded), versionOf(o), "application/stix+json;version=" + o.SpecVersion})
			b.Write(e)
		}
		b.WriteByte(']')
	case EndpointVersions:
		b.WriteString(`,"versions":[`)
		for i, o := range pg.Objects {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, versionOf(o))
		}
		b.WriteByte(']')
	}
	if len(pg.Objects) == 0 {
		// A page TLP emptied: keep the envelope's shape without an empty list.
		out := bytes.Replace(b.Bytes(), []byte(`,"objects":[]`), nil, 1)
		out = bytes.Replace(out, []byte(`,"versions":[]`), nil, 1)
		b.Reset()
		b.Write(out)
	}
	b.WriteByte('}')
	s.writeBytes(w, http.StatusOK, b.Bytes())
	return nil
}

// versionOf is a version as TAXII names it: modified, else created, else
// (objects that are not versioned) the date it was added.
func versionOf(o *accord.CollectionObject) string {
	if o.Version != "" {
		return o.Version
	}
	return timestamp(o.DateAdded)
}

func writeJSONString(b *bytes.Buffer, s string) {
	e, _ := json.Marshal(s)
	b.Write(e)
}
