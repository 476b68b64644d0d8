package federation

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/accord-cyber/accord"
)

// handlerFixture is a node "cncert" with peers us-cert and ru-cert behind
// NewHandler, with a frozen clock at t0.
type handlerFixture struct {
	cn, us, ru, stranger, impostor *Identity
	node                           *memNode
	logs                           *syncBuffer
	handler                        http.Handler
	reg                            *prometheus.Registry
}

func newHandlerFixture(t *testing.T) *handlerFixture {
	t.Helper()
	f := &handlerFixture{cn: newIdentity(t, "cncert"), us: newIdentity(t, "us-cert"), ru: newIdentity(t, "ru-cert"),
		stranger: newIdentity(t, "xx-cert"), impostor: newIdentity(t, "us-cert"), logs: &syncBuffer{}, reg: prometheus.NewRegistry()}
	f.node = newMemNode(f.cn)
	f.node.setPeers(peerOf(f.us, "https://127.0.0.1:1/federation/v1/"), peerOf(f.ru, "https://127.0.0.1:2/federation/v1/"))
	card := NewCard(accord.Party{ID: "cncert", Name: "CNCERT/CC", Country: "CN", FederationURL: "https://127.0.0.1:3/federation/v1/",
		SigningKey: f.cn.PublicKey(), TLSCert: f.cn.CertDER()})
	f.handler = NewHandler(f.node, HandlerOptions{
		Clock:           accord.ClockFunc(func() time.Time { return t0 }),
		MaxBatch:        4,
		MaxBodyBytes:    64 << 10,
		MaxMessageBytes: 4 << 10,
		Card:            &card,
		Logger:          testLogger(f.logs),
		Registry:        f.reg,
	})
	return f
}

// msg seals a message from signer's party (or sender, when set) to "to".
func (f *handlerFixture) msg(t *testing.T, signer *Identity, to string, at time.Time) *accord.Message {
	t.Helper()
	return sealed(t, signer, testMessage(signer.Party(), to, at))
}

func batch(ms ...*accord.Message) string {
	var list []string
	for _, m := range ms {
		list = append(list, string(m.JWS))
	}
	b, _ := json.Marshal(batchRequest{Messages: list})
	return string(b)
}

func TestHandler(t *testing.T) {
	type scenario struct {
		name        string
		method      string // default POST
		path        string // default MessagesPath
		contentType string // default application/json
		noCert      bool
		client      func(f *handlerFixture) *Identity // default f.us
		setup       func(t *testing.T, f *handlerFixture) (body string, accepted, refused []string)

		wantStatus      int
		wantCodes       []string // per result; "" for a receipt
		wantContains    []string
		wantNotContains []string
		wantLog         string
	}
	one := func(build func(t *testing.T, f *handlerFixture) *accord.Message, ok bool) func(t *testing.T, f *handlerFixture) (string, []string, []string) {
		return func(t *testing.T, f *handlerFixture) (string, []string, []string) {
			m := build(t, f)
			if ok {
				return batch(m), []string{m.ID}, nil
			}
			return batch(m), nil, []string{m.ID}
		}
	}
	tests := []scenario{
		{
			name: "batch of two accepted",
			setup: func(t *testing.T, f *handlerFixture) (string, []string, []string) {
				a, b := f.msg(t, f.us, "cncert", t0), f.msg(t, f.us, "cncert", t0.Add(-time.Second))
				return batch(a, b), []string{a.ID, b.ID}, nil
			},
			wantStatus: 200, wantCodes: []string{"", ""}, wantContains: []string{`"receipt":"ey`},
			wantNotContains: []string{`"error"`},
		},
		{
			name: "delayed message accepted",
			setup: one(func(t *testing.T, f *handlerFixture) *accord.Message {
				return f.msg(t, f.us, "cncert", t0.Add(-6*time.Hour))
			}, true),
			wantStatus: 200, wantCodes: []string{""},
		},
		{
			name: "bad signature",
			setup: one(func(t *testing.T, f *handlerFixture) *accord.Message {
				return f.msg(t, f.impostor, "cncert", t0)
			}, false),
			wantStatus: 200, wantCodes: []string{accord.EUNAUTHORIZED}, wantContains: []string{"does not verify"},
			wantLog: "does not verify",
		},
		{
			name: "wrong recipient",
			setup: one(func(t *testing.T, f *handlerFixture) *accord.Message {
				return f.msg(t, f.us, "ru-cert", t0)
			}, false),
			wantStatus: 200, wantCodes: []string{accord.EFORBIDDEN}, wantContains: []string{"addressed to ru-cert"},
			wantLog: "addressed to ru-cert",
		},
		{
			name: "sender is another peer than the TLS client",
			setup: one(func(t *testing.T, f *handlerFixture) *accord.Message {
				return f.msg(t, f.ru, "cncert", t0)
			}, false),
			wantStatus: 200, wantCodes: []string{accord.EUNAUTHORIZED}, wantContains: []string{"not by the connected peer us-cert"},
			wantLog: "not by the connected peer",
		},
		{
			name: "unknown sender",
			setup: one(func(t *testing.T, f *handlerFixture) *accord.Message {
				return f.msg(t, f.stranger, "cncert", t0)
			}, false),
			wantStatus: 200, wantCodes: []string{accord.EUNAUTHORIZED}, wantLog: "xx-cert",
		},
		{
			name: "created in the future",
			setup: one(func(t *testing.T, f *handlerFixture) *accord.Message {
				return f.msg(t, f.us, "cncert", t0.Add(10*time.Minute))
			}, false),
			wantStatus: 200, wantCodes: []string{accord.EINVALID}, wantContains: []string{"ahead of this node"},
			wantLog: "ahead of this node",
		},
		{
			name: "oversize message",
			setup: one(func(t *testing.T, f *handlerFixture) *accord.Message {
				m := testMessage("us-cert", "cncert", t0)
				m.Body = json.RawMessage(`{"note":"` + strings.Repeat("x", 5<<10) + `"}`)
				return sealed(t, f.us, m)
			}, false),
			wantStatus: 200, wantCodes: []string{accord.EINVALID}, wantContains: []string{"over the limit"},
			wantLog: "over the limit",
		},
		{
			name: "malformed envelope",
			setup: func(*testing.T, *handlerFixture) (string, []string, []string) {
				return `{"messages":["not.a.jws!"]}`, nil, nil
			},
			wantStatus: 200, wantCodes: []string{accord.EINVALID}, wantLog: "compact",
		},
		{
			name: "mixed batch",
			setup: func(t *testing.T, f *handlerFixture) (string, []string, []string) {
				a, bad, b := f.msg(t, f.us, "cncert", t0), f.msg(t, f.us, "ru-cert", t0), f.msg(t, f.us, "cncert", t0)
				return batch(a, bad, b), []string{a.ID, b.ID}, []string{bad.ID}
			},
			wantStatus: 200, wantCodes: []string{"", accord.EFORBIDDEN, ""}, wantLog: "addressed to ru-cert",
		},
		{
			name: "node refuses",
			setup: func(t *testing.T, f *handlerFixture) (string, []string, []string) {
				f.node.refuse = func(*accord.Message) error { return accord.Errorf(accord.ECONFLICT, "step refused") }
				m := f.msg(t, f.us, "cncert", t0)
				return batch(m), nil, []string{m.ID}
			},
			wantStatus: 200, wantCodes: []string{accord.ECONFLICT}, wantContains: []string{"step refused"},
		},
		{
			name: "node fails internally",
			setup: func(t *testing.T, f *handlerFixture) (string, []string, []string) {
				f.node.refuse = func(*accord.Message) error { return accord.Internal(errSecret, "store") }
				m := f.msg(t, f.us, "cncert", t0)
				return batch(m), nil, []string{m.ID}
			},
			wantStatus: 200, wantCodes: []string{accord.EINTERNAL}, wantNotContains: []string{"secret detail"},
		},
		{
			name:       "empty batch",
			setup:      func(*testing.T, *handlerFixture) (string, []string, []string) { return `{"messages":[]}`, nil, nil },
			wantStatus: 200, wantCodes: []string{}, wantContains: []string{`{"results":[]}`},
		},
		{
			name: "oversize body",
			setup: func(t *testing.T, f *handlerFixture) (string, []string, []string) {
				m := f.msg(t, f.us, "cncert", t0)
				return `{"messages":["` + string(m.JWS) + `"],"pad":"` + strings.Repeat("p", 70<<10) + `"}`, nil, []string{m.ID}
			},
			wantStatus: 413, wantContains: []string{"application/problem+json", "exceeds the limit of 65536 bytes"},
			wantLog: "exceeds the limit",
		},
		{
			name: "batch too large",
			setup: func(t *testing.T, f *handlerFixture) (string, []string, []string) {
				var ms []*accord.Message
				var ids []string
				for range 5 {
					m := f.msg(t, f.us, "cncert", t0)
					ms, ids = append(ms, m), append(ids, m.ID)
				}
				return batch(ms...), nil, ids
			},
			wantStatus: 413, wantContains: []string{"at most 4 messages"}, wantLog: "at most 4 messages",
		},
		{
			name:   "no client certificate",
			noCert: true,
			setup: one(func(t *testing.T, f *handlerFixture) *accord.Message {
				return f.msg(t, f.us, "cncert", t0)
			}, false),
			wantStatus: 401, wantContains: []string{"client certificate is required", `"code":"unauthorized"`},
		},
		{
			name:   "unknown client certificate",
			client: func(f *handlerFixture) *Identity { return f.stranger },
			setup: one(func(t *testing.T, f *handlerFixture) *accord.Message {
				return f.msg(t, f.us, "cncert", t0)
			}, false),
			wantStatus: 401, wantContains: []string{"not a known peer"}, wantLog: "unknown client certificate",
		},
		{
			name:       "not JSON",
			setup:      func(*testing.T, *handlerFixture) (string, []string, []string) { return `{"messages":`, nil, nil },
			wantStatus: 400, wantContains: []string{"not JSON"},
		},
		{
			name: "unknown member",
			setup: func(*testing.T, *handlerFixture) (string, []string, []string) {
				return `{"messages":[],"priority":1}`, nil, nil
			},
			wantStatus: 400, wantContains: []string{"priority"},
		},
		{
			name:       "messages not strings",
			setup:      func(*testing.T, *handlerFixture) (string, []string, []string) { return `{"messages":[1]}`, nil, nil },
			wantStatus: 400, wantContains: []string{"array of JWS"},
		},
		{
			name:        "not application/json",
			contentType: "text/plain",
			setup:       func(*testing.T, *handlerFixture) (string, []string, []string) { return `{"messages":[]}`, nil, nil },
			wantStatus:  415,
		},
		{
			name:       "GET messages",
			method:     http.MethodGet,
			setup:      func(*testing.T, *handlerFixture) (string, []string, []string) { return "", nil, nil },
			wantStatus: 405, wantContains: []string{"use POST"},
		},
		{
			name:       "card",
			method:     http.MethodGet,
			path:       CardPath,
			setup:      func(*testing.T, *handlerFixture) (string, []string, []string) { return "", nil, nil },
			wantStatus: 200, wantContains: []string{`"party":"cncert"`, `"country":"CN"`, "BEGIN CERTIFICATE"},
			wantNotContains: []string{"PRIVATE"},
		},
		{
			name:       "unknown path",
			method:     http.MethodGet,
			path:       BasePath + "inbox",
			setup:      func(*testing.T, *handlerFixture) (string, []string, []string) { return "", nil, nil },
			wantStatus: 404, wantContains: []string{"problem+json"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newHandlerFixture(t)
			body, accepted, refused := tc.setup(t, f)
			method, path, ct := tc.method, tc.path, tc.contentType
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = MessagesPath
			}
			if ct == "" {
				ct = "application/json"
			}
			r := httptest.NewRequest(method, path, strings.NewReader(body))
			r.Header.Set("Content-Type", ct)
			if !tc.noCert {
				client := f.us
				if tc.client != nil {
					client = tc.client(f)
				}
				r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, PeerCertificates: []*x509.Certificate{client.TLSCertificate().Leaf}}
			}
			w := httptest.NewRecorder()
			f.handler.ServeHTTP(w, r)

			got := w.Body.String()
			all := w.Header().Get("Content-Type") + "\n" + got
			if w.Code != tc.wantStatus {
				t.Fatalf("%s %s: status %d, want %d\n%s", method, path, w.Code, tc.wantStatus, got)
			}
			for _, s := range tc.wantContains {
				if !strings.Contains(all, s) {
					t.Errorf("%s %s: answer lacks %q:\n%s", method, path, s, all)
				}
			}
			for _, s := range tc.wantNotContains {
				if strings.Contains(all, s) {
					t.Errorf("%s %s: answer contains %q:\n%s", method, path, s, all)
				}
			}
			if tc.wantLog != "" && !strings.Contains(f.logs.String(), tc.wantLog) {
				t.Errorf("log lacks %q:\n%s", tc.wantLog, f.logs.String())
			}
			if strings.Contains(f.logs.String(), "secret detail") && tc.wantStatus == 200 && tc.name != "node fails internally" {
				t.Errorf("log leaks detail")
			}

			// Only the accepted messages reached the node, in one call.
			received := f.node.receivedIDs()
			if !slices.Equal(received, accepted) {
				t.Errorf("node received %v, want %v", received, accepted)
			}
			for _, id := range refused {
				if slices.Contains(received, id) {
					t.Errorf("refused message %s reached the node", id)
				}
			}
			wantCalls := 0
			if len(accepted) > 0 || tc.name == "node refuses" || tc.name == "node fails internally" {
				wantCalls = 1
			}
			if f.node.receiveCalls != wantCalls {
				t.Errorf("Receive called %d times, want %d", f.node.receiveCalls, wantCalls)
			}

			if tc.wantCodes == nil {
				if w.Code >= 400 && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
					t.Errorf("error answered as %s, want application/problem+json", w.Header().Get("Content-Type"))
				}
				return
			}
			var resp batchResponse
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
				t.Fatalf("answer is not a batch response: %v\n%s", err, got)
			}
			if len(resp.Results) != len(tc.wantCodes) {
				t.Fatalf("%d results, want %d:\n%s", len(resp.Results), len(tc.wantCodes), got)
			}
			for i, res := range resp.Results {
				code := ""
				if res.Error != nil {
					code = res.Error.Code
					if res.Error.Message == "" {
						t.Errorf("result %d: error without a message", i)
					}
				}
				if code != tc.wantCodes[i] {
					t.Errorf("result %d: code %q, want %q (%+v)", i, code, tc.wantCodes[i], res)
				}
				if code == "" {
					rc, err := OpenReceipt([]byte(res.Receipt), f.cn.PublicKey())
					if err != nil {
						t.Errorf("result %d: receipt does not open: %v", i, err)
					} else if rc.MessageID != res.MessageID || rc.Sender != "us-cert" || rc.Receiver != "cncert" {
						t.Errorf("result %d: receipt %+v does not match message %s", i, rc, res.MessageID)
					}
				}
			}
			// Each refused message is named in its result when its id is readable.
			for _, id := range refused {
				if !strings.Contains(got, id) {
					t.Errorf("answer does not name refused message %s", id)
				}
			}
		})
	}
}

var errSecret = &accord.Error{Code: accord.EINTERNAL, Message: "secret detail"}

func TestHandlerMetrics(t *testing.T) {
	f := newHandlerFixture(t)
	body := batch(f.msg(t, f.us, "cncert", t0), f.msg(t, f.us, "ru-cert", t0))
	r := httptest.NewRequest(http.MethodPost, MessagesPath, strings.NewReader(body))
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{f.us.TLSCertificate().Leaf}}
	f.handler.ServeHTTP(httptest.NewRecorder(), r)
	got := map[string]float64{}
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "accord_federation_received_messages_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			got[strings.Join(labels, ",")] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{"peer=us-cert,result=invalid": 1, "peer=us-cert,result=receipt": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("received messages metric (-want +got):\n%s", diff)
	}
}
