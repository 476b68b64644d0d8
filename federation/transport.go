package federation

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// ServerTLSConfig returns the TLS configuration of the federation listener:
// TLS 1.3 only, this identity's certificate, and a client certificate
// required and accepted only if peerOf knows its pin (see Pin). An unknown
// or missing client certificate fails the handshake, before any HTTP is
// read. Certificates are not checked against any authority or validity
// period: the pin, exchanged on the party card, is the trust.
//
// peerOf is called on every handshake, including resumed ones, so a peer
// removed from the node is refused from its next connection; KnownPeer
// builds one from a Node.
func ServerTLSConfig(id *Identity, peerOf func(pin string) (party string, ok bool)) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.TLSCertificate()},
		ClientAuth:   tls.RequireAnyClientCert,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("accord federation: a client certificate is required")
			}
			pin := pinOf(cs.PeerCertificates[0])
			if _, ok := peerOf(pin); !ok {
				return fmt.Errorf("accord federation: client certificate %s (pin %s) is not a known peer's", cs.PeerCertificates[0].Subject.CommonName, pin)
			}
			return nil
		},
	}
}

// ClientTLSConfig returns the TLS configuration for connecting to the peer
// whose certificate pin is serverPin: TLS 1.3 only, presenting this
// identity's certificate, and accepting the server only if its certificate's
// pin is serverPin. The usual chain and host name checks are replaced by the
// pin check (the peer's certificate is self-signed and trusted from its
// card), hence InsecureSkipVerify.
func ClientTLSConfig(id *Identity, serverPin string) *tls.Config {
	cert := id.TLSCertificate()
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		// Always present the certificate, whatever authorities the server
		// names: the server pins it.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil },
		InsecureSkipVerify:   true, // replaced by the pin check in VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("accord federation: the server sent no certificate")
			}
			if pin := pinOf(cs.PeerCertificates[0]); serverPin == "" || pin != serverPin {
				return fmt.Errorf("accord federation: the server's certificate (pin %s) is not the pinned one (%s)", pin, serverPin)
			}
			return nil
		},
	}
}

// PeerFromRequest returns the pin of the client certificate of a request
// received over mutual TLS, or "" when there is none.
func PeerFromRequest(r *http.Request) (pin string) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return ""
	}
	return pinOf(r.TLS.PeerCertificates[0])
}

// KnownPeer returns a peerOf function for ServerTLSConfig that looks the pin
// up among n's peers on each call (a store read per handshake; keep-alive
// makes handshakes rare). A failing look-up refuses the handshake and is
// logged at warn on log (nil: slog.Default()).
func KnownPeer(n Node, log *slog.Logger) func(pin string) (party string, ok bool) {
	if log == nil {
		log = slog.Default()
	}
	return func(pin string) (string, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		peers, err := n.Peers(ctx)
		if err != nil {
			log.Warn("federation handshake refused: cannot list peers", "pin", pin, "err", err)
			return "", false
		}
		for _, p := range peers {
			if len(p.TLSCert) > 0 && Pin(p.TLSCert) == pin {
				return p.ID, true
			}
		}
		return "", false
	}
}
