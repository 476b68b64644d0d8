package federation

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accord-cyber/accord"
)

// The federation endpoints, under BasePath.
const (
	MessagesPath = BasePath + "messages"
	CardPath     = BasePath + "card"
)

// Defaults of HandlerOptions.
const (
	DefaultMaxBatch        = 256
	DefaultMaxBodyBytes    = 8 << 20
	DefaultMaxMessageBytes = 1 << 20
	DefaultMaxSkew         = 5 * time.Minute
)

// HandlerOptions configures NewHandler. Zero fields take their defaults.
type HandlerOptions struct {
	// Clock is the time created_at is checked against. Default: accord.SystemClock.
	Clock accord.Clock
	// MaxSkew is how far ahead of Clock a message's created_at may be.
	// Default DefaultMaxSkew.
	MaxSkew time.Duration
	// MaxBatch is the most messages one request may carry. Default DefaultMaxBatch.
	MaxBatch int
	// MaxBodyBytes caps a request body. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxMessageBytes caps one envelope. Default DefaultMaxMessageBytes.
	MaxMessageBytes int
	// Card, when set, is served at GET /federation/v1/card.
	Card *Card
	// Logger receives refusals (warn) and internal errors. Default slog.Default().
	Logger *slog.Logger
	// Registry, when set, receives the handler's metrics.
	Registry *prometheus.Registry
}

// NewHandler returns the HTTP handler of the federation listener, to be
// served over TLS with ServerTLSConfig:
//
//   - POST /federation/v1/messages takes a batch {"messages": [JWS, …]} from
//     the peer identified by its client certificate's pin, verifies each
//     message (signature by that peer, sender = that peer, recipient = this
//     node, created_at not more than MaxSkew ahead of Clock, size), hands the
//     good ones to n.Receive in one call, and answers 200
//     {"results": [{"message_id", "receipt"} | {"message_id", "error": {"code", "message"}}]},
//     one result per input, in order. A message refused here is logged at
//     warn and never reaches the node.
//   - GET /federation/v1/card answers opts.Card, when set.
//
// A request that cannot be taken as a whole (no or unknown client
// certificate, a body that is too large or not the expected JSON, too many
// messages) is answered with an RFC 9457 problem (401, 413, 415, 400).
func NewHandler(n Node, opts HandlerOptions) http.Handler {
	if opts.Clock == nil {
		opts.Clock = accord.SystemClock{}
	}
	if opts.MaxSkew <= 0 {
		opts.MaxSkew = DefaultMaxSkew
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &handler{n: n, opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	if opts.Registry != nil {
		var err error
		if h.received, err = register(opts.Registry, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_federation_received_messages_total",
			Help: "Messages received from peers, by result: receipt (stored and signed for), refused (by the node), invalid (refused by federation checks).",
		}, []string{"peer", "result"})); err != nil {
			h.log.Error("federation metrics not registered", "err", err)
		}
		if h.inconsistent, err = register(opts.Registry, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_federation_inconsistent_checkpoints_total",
			Help: "Ledger checkpoints peers presented that did not extend the last one witnessed (a fork or a rewritten log).",
		}, []string{"peer"})); err != nil {
			h.log.Error("federation metrics not registered", "err", err)
		}
	}
	h.mux.HandleFunc(MessagesPath, h.messages)
	h.mux.HandleFunc(CardPath, h.card)
	h.mux.HandleFunc(CheckpointPath, h.checkpoint)
	h.mux.HandleFunc(EvidencePath, h.evidence)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.problem(w, r, http.StatusNotFound, accord.Errorf(accord.ENOTFOUND, "no federation endpoint at %s", r.URL.Path))
	})
	return h
}

type handler struct {
	n        Node
	opts     HandlerOptions
	log      *slog.Logger
	mux      *http.ServeMux
	received *prometheus.CounterVec // nil without a registry
	// inconsistent counts refused checkpoints per peer; nil without a registry.
	inconsistent *prometheus.CounterVec
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// batchRequest and batchResponse are the bodies of POST /federation/v1/messages.
type batchRequest struct {
	Messages []string `json:"messages"`
}

type batchResponse struct {
	Results []batchResult `json:"results"`
}

// batchResult is the outcome of one message: a receipt, or an error.
type batchResult struct {
	MessageID string       `json:"message_id"`
	Receipt   string       `json:"receipt,omitempty"`
	Error     *resultError `json:"error,omitempty"`
}

type resultError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (h *handler) messages(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.problem(w, r, http.StatusMethodNotAllowed, accord.Errorf(accord.EINVALID, "use POST"))
		return
	}
	ctx := r.Context()
	peer, err := h.peer(ctx, r)
	if err != nil {
		h.problem(w, r, 0, err)
		return
	}
	list, err := h.decodeBatch(w, r)
	if err != nil {
		h.log.Warn("federation batch refused", "peer", peer.ID, "reason", accord.ErrorMessage(err))
		h.problem(w, r, 0, err)
		return
	}

	// Verify every message on every core; report them in input order.
	now, self := h.opts.Clock.Now(), h.n.SelfID()
	msgs := make([]*accord.Message, len(list))
	errs := make([]error, len(list))
	parallel(len(list), func(i int) {
		msgs[i], errs[i] = h.check(peer, list[i], now, self)
	})
	results := make([]batchResult, len(list))
	accepted := make([]*accord.Message, 0, len(list))
	var at []int // at[j] is the index in list of accepted[j]
	for i, jws := range list {
		m, err := msgs[i], errs[i]
		if err != nil {
			id := claimedID(jws)
			results[i] = batchResult{MessageID: id, Error: &resultError{Code: accord.ErrorCode(err), Message: accord.ErrorMessage(err)}}
			h.log.Warn("federation message refused", "peer", peer.ID, "message", id, "reason", accord.ErrorMessage(err))
			h.count(peer.ID, "invalid")
			if accord.ErrorCode(err) == accord.EINTERNAL {
				h.log.Error("internal error checking a federation message", "peer", peer.ID, "message", id, "err", err)
			}
			continue
		}
		results[i].MessageID = m.ID
		accepted = append(accepted, m)
		at = append(at, i)
	}
	if len(accepted) > 0 {
		rs := h.n.Receive(ctx, peer.ID, accepted)
		if len(rs) != len(accepted) {
			h.problem(w, r, 0, accord.Internal(fmt.Errorf("node returned %d results for %d messages", len(rs), len(accepted)), "receive batch"))
			return
		}
		for j, res := range rs {
			i, m := at[j], accepted[j]
			switch {
			case res.Err != nil:
				results[i].Error = &resultError{Code: accord.ErrorCode(res.Err), Message: accord.ErrorMessage(res.Err)}
				h.count(peer.ID, "refused")
			case res.Receipt == nil || len(res.Receipt.JWS) == 0 || res.Receipt.MessageID != m.ID || res.Receipt.Digest != m.Digest:
				h.log.Error("internal error: the node returned no matching signed receipt", "peer", peer.ID, "message", m.ID)
				results[i].Error = &resultError{Code: accord.EINTERNAL, Message: "internal error"}
				h.count(peer.ID, "refused")
			default:
				results[i].Receipt = string(res.Receipt.JWS)
				h.count(peer.ID, "receipt")
			}
		}
	}
	writeJSON(w, http.StatusOK, "application/json", batchResponse{Results: results})
}

// peer returns the peer whose client certificate the request came with.
func (h *handler) peer(ctx context.Context, r *http.Request) (*accord.Party, error) {
	pin := PeerFromRequest(r)
	if pin == "" {
		return nil, accord.Errorf(accord.EUNAUTHORIZED, "a client certificate is required")
	}
	peers, err := h.n.Peers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list peers: %w", err)
	}
	for _, p := range peers {
		if len(p.TLSCert) > 0 && Pin(p.TLSCert) == pin {
			if len(p.SigningKey) != ed25519.PublicKeySize {
				return nil, accord.Errorf(accord.EUNAUTHORIZED, "peer %s has no valid signing key on this node", p.ID)
			}
			return p, nil
		}
	}
	h.log.Warn("federation request refused: unknown client certificate", "pin", pin, "remote", r.RemoteAddr)
	return nil, accord.Errorf(accord.EUNAUTHORIZED, "the client certificate (pin %s) is not a known peer's", pin)
}

// decodeBatch reads and decodes the request body.
func (h *handler) decodeBatch(w http.ResponseWriter, r *http.Request) ([]string, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return nil, &statusError{http.StatusUnsupportedMediaType, accord.Errorf(accord.EINVALID, "the body must be application/json, not %q", truncate(ct, 60))}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &statusError{http.StatusRequestEntityTooLarge, accord.Errorf(accord.EINVALID, "the body exceeds the limit of %d bytes", h.opts.MaxBodyBytes)}
		}
		return nil, accord.Errorf(accord.EINVALID, "read the body: %v", err)
	}
	fields, err := objectFields(body, "messages")
	if err != nil {
		return nil, accord.Errorf(accord.EINVALID, "body: %s", accord.ErrorMessage(err))
	}
	raw := fields["messages"]
	var list []string
	if raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		return nil, accord.FieldError("messages", "must be an array of JWS compact serialisations (strings)")
	}
	if len(list) > h.opts.MaxBatch {
		return nil, &statusError{http.StatusRequestEntityTooLarge, accord.Errorf(accord.EINVALID, "a batch holds at most %d messages, this one %d", h.opts.MaxBatch, len(list))}
	}
	return list, nil
}

// check opens one envelope from peer and applies federation's checks; self
// is this node's party. The handler calls it concurrently.
func (h *handler) check(peer *accord.Party, jws string, now time.Time, self string) (*accord.Message, error) {
	if len(jws) > h.opts.MaxMessageBytes {
		return nil, accord.Errorf(accord.EINVALID, "the message is %d bytes, over the limit of %d", len(jws), h.opts.MaxMessageBytes)
	}
	m, err := openMessage([]byte(jws), func(party string) (ed25519.PublicKey, error) {
		if party != peer.ID {
			return nil, accord.Errorf(accord.EUNAUTHORIZED, "the message is signed by %s, not by the connected peer %s", party, peer.ID)
		}
		return peer.SigningKey, nil
	}, false) // the bytes of jws are this call's own copy
	if err != nil {
		return nil, err
	}
	if m.Sender != peer.ID { // OpenMessage ties sender to signer; kept as the rule it is
		return nil, accord.Errorf(accord.EUNAUTHORIZED, "message %s is from %s, not from the connected peer %s", m.ID, m.Sender, peer.ID)
	}
	if m.Recipient != self {
		return nil, accord.Errorf(accord.EFORBIDDEN, "message %s is addressed to %s, not to this node (%s)", m.ID, m.Recipient, self)
	}
	// Only a created_at in the future is refused: a message queued during an
	// outage legitimately arrives late, and its timeliness is judged from
	// the receipt's received_at, not from created_at.
	if ahead := m.CreatedAt.Sub(now); ahead > h.opts.MaxSkew {
		return nil, accord.Errorf(accord.EINVALID, "message %s: created_at %s is %s ahead of this node's clock (%s); at most %s is tolerated: check the sender's clock",
			m.ID, m.CreatedAt.Format(TimeLayout), ahead.Round(time.Second), now.UTC().Format(time.RFC3339), h.opts.MaxSkew)
	}
	return m, nil
}

// claimedID returns, for logs and the result of a refused message, the id
// its payload claims, unverified; "" when there is none. (The body limit
// bounds the work.)
func claimedID(jws string) string {
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var p struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(payload, &p) != nil || checkID("id", p.ID) != nil {
		return ""
	}
	return p.ID
}

func (h *handler) card(w http.ResponseWriter, r *http.Request) {
	if h.opts.Card == nil {
		h.problem(w, r, http.StatusNotFound, accord.Errorf(accord.ENOTFOUND, "this node does not publish its card here"))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.problem(w, r, http.StatusMethodNotAllowed, accord.Errorf(accord.EINVALID, "use GET"))
		return
	}
	writeJSON(w, http.StatusOK, "application/json", h.opts.Card)
}

func (h *handler) count(peer, result string) {
	if h.received != nil {
		h.received.WithLabelValues(peer, result).Inc()
	}
}

// statusError is a whole-request error answered with a status its code
// does not imply (413, 415).
type statusError struct {
	status int
	err    *accord.Error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// problemDetails is an RFC 9457 problem, extended with the accord error code.
type problemDetails struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
	Code     string `json:"code"`
}

// problem answers err as a problem with the given status, or, when status is
// 0, the status of err (a statusError's, else the one its code implies).
func (h *handler) problem(w http.ResponseWriter, r *http.Request, status int, err error) {
	code := accord.ErrorCode(err)
	if status == 0 {
		var se *statusError
		if errors.As(err, &se) {
			status = se.status
		} else {
			status = codeStatus(code)
		}
	}
	if code == accord.EINTERNAL {
		h.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, "application/problem+json", problemDetails{Type: "about:blank", Title: http.StatusText(status),
		Status: status, Detail: accord.ErrorMessage(err), Instance: r.URL.Path, Code: code})
}

// codeStatus maps an accord error code to its HTTP status.
func codeStatus(code string) int {
	switch code {
	case accord.EINVALID:
		return http.StatusBadRequest
	case accord.ENOTFOUND:
		return http.StatusNotFound
	case accord.ECONFLICT:
		return http.StatusConflict
	case accord.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case accord.EFORBIDDEN:
		return http.StatusForbidden
	case accord.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only a bug gets here: every value written is plain data
		status, contentType = http.StatusInternalServerError, "application/problem+json"
		b = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"internal error","code":"internal"}`)
	}
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// register registers c on reg, or returns the collector already registered
// under the same description (a second handler or deliverer on one registry).
func register[C prometheus.Collector](reg *prometheus.Registry, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
