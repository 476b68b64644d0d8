package federation

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// handshake runs one TLS connection on a real 127.0.0.1 listener and returns
// the server's handshake error and the client's error (dialling, or
// reading the server's "ok").
func handshake(t *testing.T, server, client *tls.Config) (serverErr, clientErr error) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", server)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		err = conn.(*tls.Conn).Handshake()
		if err == nil {
			_, err = conn.Write([]byte("ok"))
		}
		done <- err
	}()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ln.Addr().String(), client)
	if err == nil {
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		var b []byte
		b, err = io.ReadAll(conn)
		if err == nil && string(b) != "ok" {
			err = errors.New("the server sent nothing")
		}
		conn.Close()
	}
	return <-done, err
}

func TestMutualTLSPinning(t *testing.T) {
	srv, cli, stranger := newIdentity(t, "cncert"), newIdentity(t, "us-cert"), newIdentity(t, "us-cert")
	peers := func(pin string) (string, bool) {
		if pin == cli.Pin() {
			return "us-cert", true
		}
		return "", false
	}
	serverCfg := ServerTLSConfig(srv, peers)

	t.Run("pinned client and server", func(t *testing.T) {
		serr, cerr := handshake(t, serverCfg, ClientTLSConfig(cli, srv.Pin()))
		if serr != nil || cerr != nil {
			t.Fatalf("handshake: server %v, client %v; want both to succeed", serr, cerr)
		}
	})
	t.Run("client not a peer", func(t *testing.T) {
		serr, cerr := handshake(t, serverCfg, ClientTLSConfig(stranger, srv.Pin()))
		if serr == nil || !strings.Contains(serr.Error(), "not a known peer") {
			t.Errorf("server handshake with an unknown client certificate: %v, want a refusal", serr)
		}
		if cerr == nil {
			t.Errorf("client with an unknown certificate got data from the server")
		}
	})
	t.Run("client without certificate", func(t *testing.T) {
		serr, cerr := handshake(t, serverCfg, &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true})
		if serr == nil {
			t.Errorf("server handshake with no client certificate succeeded")
		}
		if cerr == nil {
			t.Errorf("client without a certificate got data from the server")
		}
	})
	t.Run("server with another certificate", func(t *testing.T) {
		impostor := ServerTLSConfig(newIdentity(t, "cncert"), peers)
		serr, cerr := handshake(t, impostor, ClientTLSConfig(cli, srv.Pin()))
		if cerr == nil || !strings.Contains(cerr.Error(), "not the pinned one") {
			t.Errorf("client handshake with an impostor server: %v, want a refusal", cerr)
		}
		if serr == nil {
			t.Errorf("impostor server completed the handshake")
		}
	})
	t.Run("TLS 1.2 client", func(t *testing.T) {
		cfg := ClientTLSConfig(cli, srv.Pin())
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		serr, cerr := handshake(t, serverCfg, cfg)
		if serr == nil || cerr == nil {
			t.Errorf("TLS 1.2 handshake: server %v, client %v; want both to fail", serr, cerr)
		}
	})
}

// TestHandlerNeverSeesUnpinnedClient checks the refusal happens before any
// HTTP: the handler runs for the pinned client only.
func TestHandlerNeverSeesUnpinnedClient(t *testing.T) {
	srv, cli, stranger := newIdentity(t, "cncert"), newIdentity(t, "us-cert"), newIdentity(t, "us-cert")
	node := newMemNode(srv)
	node.setPeers(peerOf(cli, "https://127.0.0.1:1/federation/v1/"))
	var calls atomic.Int32
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Write([]byte(PeerFromRequest(r)))
	}))
	ts.TLS = ServerTLSConfig(srv, KnownPeer(node, nil))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	ts.StartTLS()
	defer ts.Close()

	get := func(id *Identity) (string, error) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: ClientTLSConfig(id, srv.Pin())}, Timeout: 10 * time.Second}
		defer c.CloseIdleConnections()
		resp, err := c.Get(ts.URL + "/")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if _, err := get(stranger); err == nil {
		t.Errorf("GET with an unknown client certificate succeeded")
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("the handler ran %d times for an unknown client", n)
	}
	pin, err := get(cli)
	if err != nil {
		t.Fatalf("GET with the pinned certificate: %v", err)
	}
	if pin != cli.Pin() {
		t.Errorf("PeerFromRequest = %q, want %q", pin, cli.Pin())
	}
}
