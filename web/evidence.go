package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// transferIdle is how long an upload or a download may stall before the
// connection is closed. The server's own read and write timeouts bound a
// whole request, which a large file would outlast; these routes push the
// deadline forward as long as bytes keep moving.
const transferIdle = 60 * time.Second

// defaultAccessReason is the reason recorded with a download that gives none.
const defaultAccessReason = "downloaded through the API"

// evidenceList is the body of GET /api/v1/cases/{id}/evidence and
// GET /api/v1/requests/{id}/evidence.
type evidenceList struct {
	Evidence []*accord.Evidence `json:"evidence"`
}

// listCaseEvidence lists a case's evidence in the order stored. Any role.
// ENOTFOUND for an unknown case.
func (s *server) listCaseEvidence(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	items, err := s.svc.CaseEvidence(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, evidenceList{Evidence: nonNil(items)})
	return nil
}

// listRequestEvidence lists the evidence of a request: its own items
// (added for it, or received with the peer's answers), then the items this
// node attached to its answers to it (see node.Service.RequestEvidence).
// Any role. ENOTFOUND for an unknown request.
func (s *server) listRequestEvidence(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	items, err := s.svc.RequestEvidence(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, evidenceList{Evidence: nonNil(items)})
	return nil
}

// uploadCaseEvidence stores the request body as evidence of the case in the
// path; see upload.
func (s *server) uploadCaseEvidence(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	id := r.PathValue("id")
	return s.upload(w, r, a, node.NewEvidence{CaseID: id}, func() error {
		_, err := s.svc.Case(r.Context(), a, id)
		return err
	})
}

// uploadRequestEvidence stores the request body as evidence of the request
// in the path; see upload.
func (s *server) uploadRequestEvidence(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	id := r.PathValue("id")
	return s.upload(w, r, a, node.NewEvidence{RequestID: id}, func() error {
		_, err := s.svc.Request(r.Context(), a, id)
		return err
	})
}

// upload streams the request body, the file's raw bytes, into the evidence
// store (node.Service.AddEvidence): it is not decoded and not capped by
// MaxBodyBytes; the evidence store's limit (evidence.max_bytes) applies.
// The item's name comes from ?name= (required), its description from
// ?description=, the reason that opens its chain of custody from ?reason=.
// Analyst or admin. 201 with Location and the item with its custody;
// 413 naming the limit for a larger file, and 415 for a form-encoded body
// (which is not a file's bytes), both with nothing stored; EINVALID names a
// bad parameter; ENOTFOUND for an unknown owner, which exists reports
// before any byte of the body is read.
func (s *server) upload(w http.ResponseWriter, r *http.Request, a accord.Actor, in node.NewEvidence, exists func() error) error {
	q, err := query(r, "name", "description", "reason")
	if err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt == "application/x-www-form-urlencoded" || strings.HasPrefix(mt, "multipart/") {
			return httpError(http.StatusUnsupportedMediaType, "", "the request body must be the file's bytes as they are, e.g. Content-Type: application/octet-stream (got %s)", ct)
		}
	}
	if err := exists(); err != nil {
		return err
	}
	in.Name, in.Description, in.Reason = q.Get("name"), q.Get("description"), q.Get("reason")
	body := &uploadBody{r: r.Body, rc: http.NewResponseController(w)}
	d, err := s.svc.AddEvidence(r.Context(), a, in, body)
	if err != nil {
		var e *accord.Error
		if errors.As(err, &e) && e.Code == accord.EINVALID && e.Field == "content" {
			// The evidence store refused a file over its limit.
			return &statusError{status: http.StatusRequestEntityTooLarge, err: e}
		}
		if r.Context().Err() != nil {
			return &accord.Error{Code: accord.EINVALID, Message: fmt.Sprintf("the upload was cancelled after %d bytes", body.n), Err: err}
		}
		return err
	}
	w.Header().Set("Location", "/api/v1/evidence/"+url.PathEscape(d.ID))
	s.writeJSON(w, r, http.StatusCreated, fixEvidence(d))
	return nil
}

// uploadBody reads an upload as it arrives. Before each read it pushes the
// connection's read deadline transferIdle ahead (where the server allows it;
// a test recorder does not); a failed read is the client's fault, EINVALID.
type uploadBody struct {
	r  io.Reader
	rc *http.ResponseController
	n  int64
}

func (b *uploadBody) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(transferIdle)) // ErrNotSupported off a real connection
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil && err != io.EOF {
		return n, &accord.Error{Code: accord.EINVALID, Message: fmt.Sprintf("the upload broke off after %d bytes: %v", b.n, err), Err: err}
	}
	return n, err
}

// getEvidence shows one item with its chain of custody. Any role.
// ENOTFOUND for an unknown item.
func (s *server) getEvidence(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	d, err := s.svc.EvidenceItem(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, fixEvidence(d))
	return nil
}

// evidenceContent streams an item's file as application/octet-stream, with
// its length, its name as an attachment, its SHA-256 as the ETag and as
// Content-Digest (RFC 9530), after recording an "accessed" custody event
// naming the caller and ?reason= (default "downloaded through the API").
// A HEAD request answers the same headers and records nothing. Any role:
// reading is open to every role, and every read is in the chain of custody.
// ENOTFOUND for an unknown item; ECONFLICT when the stored file's size is
// not the item's. Once the headers are sent a failure can only cut the
// body short (the client sees fewer bytes than Content-Length); it is
// logged.
func (s *server) evidenceContent(w http.ResponseWriter, r *http.Request, a accord.Actor) error {
	q, err := query(r, "reason")
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if r.Method == http.MethodHead {
		d, err := s.svc.EvidenceItem(r.Context(), a, id)
		if err != nil {
			return err
		}
		contentHeaders(w.Header(), d.Evidence)
		w.WriteHeader(http.StatusOK)
		return nil
	}
	reason := q.Get("reason")
	if strings.TrimSpace(reason) == "" {
		reason = defaultAccessReason
	}
	d, rc, err := s.svc.EvidenceContent(r.Context(), a, id, reason)
	if err != nil {
		return err
	}
	defer rc.Close()
	contentHeaders(w.Header(), d.Evidence)
	w.WriteHeader(http.StatusOK)
	dst := &downloadWriter{w: w, rc: http.NewResponseController(w)}
	if n, err := io.Copy(dst, rc); err != nil {
		s.log.WarnContext(r.Context(), "evidence download broke off", "evidence", id, "sent", n, "size", d.Size, "err", err)
	}
	return nil
}

// contentHeaders sets the headers of an item's file.
func contentHeaders(h http.Header, e *accord.Evidence) {
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(e.Size, 10))
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": e.Name})
	if disp == "" {
		disp = "attachment" // a name FormatMediaType cannot quote
	}
	h.Set("Content-Disposition", disp)
	h.Set("ETag", `"`+e.Digest+`"`)
	if sum, err := hex.DecodeString(e.Digest); err == nil && len(sum) == sha256.Size {
		h.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

// downloadWriter writes a download, pushing the connection's write deadline
// transferIdle ahead before each write (see uploadBody).
type downloadWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (d *downloadWriter) Write(p []byte) (int, error) {
	_ = d.rc.SetWriteDeadline(time.Now().Add(transferIdle)) // ErrNotSupported off a real connection
	return d.w.Write(p)
}

// custodyBody is the body of POST /api/v1/evidence/{id}/custody: a custody
// event that may be recorded by hand (sealed, accessed, verified) and why.
type custodyBody struct {
	Event  string `json:"event"`
	Reason string `json:"reason"`
}

// recordCustody records a custody event on an item; "verified" first
// re-hashes the stored file. Analyst or admin. 200 with the item and its
// custody. EINVALID for another event or no reason; ENOTFOUND for an
// unknown item; ECONFLICT when a file to be verified no longer matches.
func (s *server) recordCustody(w http.ResponseWriter, r *http.Request, a accord.Actor, in custodyBody) error {
	if _, err := query(r); err != nil {
		return err
	}
	d, err := s.svc.RecordCustody(r.Context(), a, r.PathValue("id"), in.Event, in.Reason)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, fixEvidence(d))
	return nil
}

// fixEvidence makes an item's custody encode as [] rather than null.
func fixEvidence(d *node.EvidenceDetail) *node.EvidenceDetail {
	d.Custody = nonNil(d.Custody)
	return d
}
