package web

import (
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/stix"
)

// importIntel imports the request body, a file of the format in ?format=,
// into the case in ?case= or, without it, into a case it opens (?title=,
// ?category=, ?tlp=), all or nothing. Analyst or admin. 201 with the
// import report; EINVALID names the object and the field of an invalid
// file, and nothing of it is stored.
func (s *server) importIntel(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	q, err := query(r, "format", "case", "title", "category", "tlp", "source")
	if err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt == "application/x-www-form-urlencoded" || strings.HasPrefix(mt, "multipart/") {
			return httpError(http.StatusUnsupportedMediaType, "", "the request body must be the file's bytes as they are (got %s)", ct)
		}
	}
	format := q.Get("format")
	if format == "" {
		return accord.FieldError("format", "is required: %s", strings.Join(node.ImportFormats, ", "))
	}
	source := q.Get("source")
	if source == "" {
		source = "api"
	}
	title := q.Get("title")
	if title == "" {
		title = format + " import of " + time.Now().UTC().Format("2006-01-02 15:04Z")
	}
	category := q.Get("category")
	if category == "" {
		category = "other"
	}
	opts := node.ImportOptions{CaseID: q.Get("case"), Source: format + ":" + source,
		NewCase: node.NewCase{Title: title, Category: accord.Category(category), TLP: accord.TLP(q.Get("tlp"))}}
	body := &uploadBody{r: r.Body, rc: http.NewResponseController(w)}
	rep, err := s.svc.Import(r.Context(), a, format, body, opts)
	if err != nil {
		var se *stix.Error
		var e *accord.Error
		if errors.As(err, &se) && se.TooLarge && errors.As(err, &e) {
			// One object over the decoder's limit.
			return &statusError{status: http.StatusRequestEntityTooLarge, err: e}
		}
		return err
	}
	w.Header().Set("Location", "/api/v1/cases/"+rep.CaseID)
	s.writeJSON(w, r, http.StatusCreated, rep)
	return nil
}

// exportIntel streams a case's objects in the format of ?format= (stix by
// default). Any role. ENOTFOUND for an unknown case.
func (s *server) exportIntel(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	q, err := query(r, "format", "for")
	if err != nil {
		return err
	}
	format := q.Get("format")
	if format == "" {
		format = "stix"
	}
	audience := q.Get("for")
	id := r.PathValue("id")
	// The checks that can fail run before any byte is written, so their
	// errors are problems.
	if _, err := s.svc.CheckExport(r.Context(), a, format, id, audience); err != nil {
		return err
	}
	media := exportMedia[format]
	w.Header().Set("Content-Type", media.contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+media.suffix+`"`)
	// Once the bundle has started, an error can only cut it short (the
	// client gets a bundle that does not parse) and is logged.
	skipped, err := s.svc.Export(r.Context(), a, format, id, audience, &downloadWriter{w: w, rc: http.NewResponseController(w)})
	if err != nil {
		s.log.Error("export cut short", "case", id, "format", format, "err", err)
	} else if len(skipped) > 0 {
		s.log.Info("export left out what the format cannot carry", "case", id, "format", format, "objects", len(skipped))
	}
	return nil
}

// exportMedia is the media type and file name suffix of each export format.
var exportMedia = map[string]struct{ contentType, suffix string }{
	"stix":  {"application/stix+json;version=2.1", ".json"},
	"misp":  {"application/json", ".misp.json"},
	"iodef": {"application/xml", ".iodef.xml"},
}

// correlationList is the body of GET /api/v1/cases/{id}/correlations.
type correlationList struct {
	Correlations []node.Correlation `json:"correlations"`
}

// caseCorrelations lists the observables of a case that other cases hold
// too. Any role. ENOTFOUND for an unknown case.
func (s *server) caseCorrelations(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	cs, err := s.svc.Correlations(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, correlationList{Correlations: cs})
	return nil
}

// matchList is the body of GET /api/v1/correlate.
type matchList struct {
	Matches []accord.ObservableHit `json:"matches"`
}

// correlate looks a value up in every case: ?kind= (ip, cidr, domain, url,
// email, md5, sha1, sha256, sha512) and ?value=. Any role. EINVALID for a
// value that is not of its kind.
func (s *server) correlate(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	q, err := query(r, "kind", "value")
	if err != nil {
		return err
	}
	hits, err := s.svc.Correlate(r.Context(), a, accord.ObservableKind(q.Get("kind")), q.Get("value"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, matchList{Matches: hits})
	return nil
}

// shareObjects sends objects of a case to the peer of a request, in
// signed notifications (node.Service.Share). Liaisons and admins.
func (s *server) shareObjects(w http.ResponseWriter, r *http.Request, a accord.Actor, in node.ShareSpec) error {
	if _, err := query(r); err != nil {
		return err
	}
	rep, err := s.svc.Share(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusAccepted, rep)
	return nil
}

// sharedList is the body of GET /api/v1/requests/{id}/objects.
type sharedList struct {
	Objects []*accord.SharedObject `json:"objects"`
}

// listShared lists the objects the messages about a request carried, both
// ways. Any role. ENOTFOUND for an unknown request.
func (s *server) listShared(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	objs, err := s.svc.SharedObjects(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, sharedList{Objects: objs})
	return nil
}
