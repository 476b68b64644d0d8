package federation

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/accord-cyber/accord"
)

// EvidencePath is where a peer fetches a file of evidence attached to an
// answer it received: GET EvidencePath + SHA-256 (hex).
const EvidencePath = BasePath + "evidence/"

var digestPath = regexp.MustCompile(`^[0-9a-f]{64}$`)

// evidence streams a file attached to an answer sent to the requesting
// peer. Any other file — held here or not — is 404, so that a peer learns
// nothing of evidence not sent to it.
func (h *handler) evidence(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		h.problem(w, r, http.StatusMethodNotAllowed, accord.Errorf(accord.EINVALID, "use GET"))
		return
	}
	p, err := h.peer(r.Context(), r)
	if err != nil {
		h.problem(w, r, 0, err)
		return
	}
	digest := r.URL.Path[len(EvidencePath):]
	if !digestPath.MatchString(digest) {
		h.problem(w, r, http.StatusNotFound, accord.Errorf(accord.ENOTFOUND, "%q is not a SHA-256 in lowercase hex", truncate(digest, 80)))
		return
	}
	rc, size, err := h.n.OpenShared(r.Context(), p.ID, digest)
	if err != nil {
		if accord.ErrorCode(err) == accord.ENOTFOUND {
			h.log.Warn("federation evidence refused", "peer", p.ID, "sha256", digest, "reason", err.Error())
		}
		h.problem(w, r, 0, err)
		return
	}
	defer rc.Close()
	// A large file takes longer than the server's write timeout allows a
	// whole response; the peer's reads pace it instead.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("Digest", "sha-256="+digest)
	w.WriteHeader(http.StatusOK)
	if n, err := io.Copy(w, rc); err != nil {
		h.log.Warn("federation evidence: transfer cut short", "peer", p.ID, "sha256", digest, "sent", n, "size", size, "reason", err.Error())
	}
}

// fetches runs the evidence fetches of one peer beside the delivery loop:
// each file the peer attached to an answer is fetched over the pinned
// mutual-TLS connection, streamed into the node (which checks its SHA-256
// before recording it as received), and retried with backoff on failure.
func (w *worker) fetches(ctx context.Context) {
	defer close(w.fetchEnd)
	d := w.d
	for ctx.Err() == nil {
		p := w.peer.Load()
		due, err := d.n.DueFetches(ctx, p.ID, time.Now(), 8)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("federation evidence: cannot read the fetch queue", "peer", p.ID, "reason", err.Error())
		}
		for _, x := range due {
			if ctx.Err() != nil {
				return
			}
			if err := w.fetch(ctx, p, x); err != nil {
				if ctx.Err() != nil {
					return
				}
				next := time.Now().Add(d.backoff(x.Attempts))
				d.log.Warn("federation evidence fetch failed", "peer", p.ID, "request", x.RequestID, "item", x.SourceID,
					"sha256", x.Digest, "attempt", x.Attempts+1, "reason", err.Error())
				if err := d.n.FetchFailed(ctx, p.ID, x, err.Error(), next); err != nil && ctx.Err() == nil {
					d.log.Warn("federation evidence: cannot record a failed fetch", "peer", p.ID, "reason", err.Error())
				}
			}
		}
		d.mu.Lock()
		close(d.changed) // Idle callers look again
		d.changed = make(chan struct{})
		d.mu.Unlock()
		if len(due) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-w.fetchWake:
		case <-time.After(d.opts.IdleInterval):
		}
	}
}

// fetch gets one file and hands it to the node as it streams in.
func (w *worker) fetch(ctx context.Context, p *accord.Party, x *accord.EvidenceTransfer) error {
	url := p.FederationURL + "evidence/" + x.Digest
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	resp, err := w.fetchClient(p).Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("fetch %s: %s: %s", url, resp.Status, truncate(string(b), 500))
	}
	if resp.ContentLength >= 0 && resp.ContentLength != x.Size {
		return fmt.Errorf("fetch %s: the peer offers %d bytes, the answer named %d", url, resp.ContentLength, x.Size)
	}
	// Never read past the size the signed answer named.
	return w.d.n.Fetched(ctx, p.ID, x, io.LimitReader(resp.Body, x.Size+1))
}
