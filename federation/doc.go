// Package federation carries the cross-border steps of accord between
// nodes: signed envelopes and receipts, party cards, the mutual-TLS
// transport pinned to those cards, the inbox endpoint and the outbox
// deliverer. It verifies who sent what; the node it serves (the Node
// interface, implemented by *node.Service) applies the lifecycle rules and
// owns all state.
//
// # Envelopes
//
// Every step one party takes on a request shared with a peer travels as one
// message: a JWS compact serialisation (RFC 7515) signed with the sender's
// Ed25519 key (EdDSA, RFC 8037). Its protected header is exactly
//
//	{"alg":"EdDSA","kid":"<sender party id>","typ":"accord-message+jws"}
//
// and its payload is the RFC 8785 canonical JSON of exactly
//
//	{"body":{…},"created_at":"2026-01-02T15:04:05.000000Z","id":"…","kind":"request",
//	 "recipient":"cncert","request_id":"us-cert-R0001","sender":"us-cert","seq":1}
//
// where body is a JSON object whose content depends on kind (see
// accord.MessageKind), created_at is RFC 3339 UTC with microseconds and seq
// numbers the messages one sender sends about one request, from 1. A
// message's digest is the hex SHA-256 of its compact serialisation, exactly
// as sent. Both the sealing (Identity.Seal) and the opening (OpenMessage)
// are strict: only EdDSA is accepted (never "none" or HMAC), the header and
// payload may hold no other member, every member must be present and valid,
// the payload must already be canonical and the base64url segments in their
// only canonical form, so one signed message has one byte string and one
// digest. A signature that does not verify, an unknown signer or a sender
// other than the signer is EUNAUTHORIZED; anything malformed is EINVALID.
//
// # Receipts
//
// The recipient answers each message it stored with a receipt, signed the
// same way with typ "accord-receipt+jws" and kid the receiver, whose payload
// is the canonical JSON of exactly message_id, digest (of the message),
// sender, receiver and received_at. Receipts are the record timeliness is
// computed from: the sender cannot dispute when its message arrived, and the
// receiver cannot dispute what it received.
//
// # Party cards and pinning
//
// Parties exchange cards (Card) out of band, like SSH host keys: party id,
// name, country, federation URL, Ed25519 signing key and TLS certificate.
// The federation listener speaks TLS 1.3 only and requires a client
// certificate; both sides trust each other's certificate by its pin, the
// hex SHA-256 of its SubjectPublicKeyInfo (Pin), taken from the card, and
// by nothing else — no certificate authority, host name or validity period.
// A client whose certificate is not a peer's is refused during the handshake
// (ServerTLSConfig); a server whose certificate is not the pinned one is
// refused by the client (ClientTLSConfig). The TLS peer is the
// authenticated party of every request: each message it posts must be
// signed by that same party and addressed to this node.
//
// # Batching
//
// A node posts its due outbox to a peer as {"messages": [JWS, …]} on
// POST /federation/v1/messages (at most 256 messages, 8 MiB and 1 MiB per
// message by default). The peer checks each message, passes the good ones
// to Node.Receive in one call — one store transaction, one commit for the
// batch — and answers {"results": [{"message_id", "receipt"} |
// {"message_id", "error": {"code", "message"}}]}, one per message in
// order. A message refused by federation's checks is logged and never
// reaches the node. A request that cannot be taken as a whole (no or
// unknown client certificate, body too large, not the expected JSON) is an
// RFC 9457 problem.
//
// # Ordering, retries and idempotency
//
// The Deliverer runs one loop per peer. It takes due items in enqueue order,
// so the messages of one (request, sender) go out in seq order; the
// recipient applies them in seq order and refuses one that is ahead of its
// sequence with EUNAVAILABLE, which the sender simply retries. Up to
// DelivererOptions.InFlight batches are in flight to a peer at once (while
// one is answered, verified and recorded, the next is posted), but never two
// messages of one request: a message waits while an earlier one of its
// request is in flight or was left out of its batch. Receipts, like incoming
// messages, are verified on all cores, their results kept in order. A failed
// attempt — transport error, refusal, bad receipt — is retried with
// exponential backoff and full jitter, scheduled on the wall clock. All
// delivery state lives in the node's outbox, so a restart loses nothing.
// Delivery is at least once: a message whose receipt was lost is sent again,
// and the recipient, idempotent by message id, answers a message it already
// holds with the same digest with its original receipt (and refuses a reused
// id with other content with ECONFLICT).
package federation
