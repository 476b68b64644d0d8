// Package synth generates realistic synthetic histories of cooperation
// between two parties and loads them, in bulk, into node stores that look
// exactly as if two real nodes had lived through them. It is for
// benchmarks and demos, up to a million requests; nothing in accord's
// running nodes depends on it.
//
// Generate draws a History from a seed: the same seed and Options give the
// same history. Load writes one party's side of it into a store, LoadPair
// both sides into two stores: parties, cases, requests in their final
// state, events, answers, every message signed by its sender and every
// receipt signed by its receiver (federation.Identity), outbox items, id
// counters and the ledger in the order the node appends to it. Every step
// is taken by the node's own step logic (node.Service.ApplyStep), so that
// node.Service.Verify holds on a loaded store and node.Service reads it
// back as it would a live one; the package's acceptance test plays a small
// history through two real nodes and compares their stores with LoadPair's.
// A load is the same each time for the same history and identities:
// message ids are UUIDv7 of the time each message was sent with bits drawn
// from the seed, and Ed25519 signatures are deterministic.
//
// # The distributions
//
// A history is a snapshot at its end (Start + Span): whatever would have
// happened after it has not happened yet, so the requests of its last
// weeks are in progress, and some of them overdue.
//
// Requests. The N sending times are independent and uniform over the
// span (a Poisson process conditioned on N). Each request is sent by the
// first party with probability 1/2, otherwise by the second. Its type is
// information 32%, investigation 12%, preservation 10%, evidence 10%,
// mitigation 16%, notification 20% (of the types the agreement provides).
// Its priority depends on the type (emergency / high / normal / low):
//
//	information    3 / 17 / 60 / 20 %
//	investigation  2 / 15 / 58 / 25 %
//	preservation  10 / 35 / 45 / 10 %
//	evidence       3 / 15 / 60 / 22 %
//	mitigation    12 / 33 / 45 / 10 %
//	notification   2 / 13 / 55 / 30 %
//
// 30% of requests carry an external reference. Subjects and bodies come
// from templates naming addresses of the documentation ranges (RFC 5737)
// and .example domains. Each party has four liaison officers and three
// analysts; one liaison of each side, chosen uniformly, handles a request
// from end to end.
//
// Cases. A request follows up a case of its requester with probability
// 0.3, chosen uniformly among the requester's 20 most recent cases opened
// in the previous 30 days (if there is none, it opens one); otherwise it
// opens a new case, created an exponentially distributed time (mean 6 h)
// before the request is sent, never before Start. Case categories (RSIT):
// intrusions 22%, malicious-code 20%, intrusion-attempts 12%, fraud 10%,
// availability 10%, information-gathering 8%, vulnerable 7%,
// information-content-security 6%, abusive-content 3%, other 2%, test
// never. A case concerns 1 (60%), 2 (30%) or 3 (10%) distinct sectors,
// weighted digital-infrastructure and public-administration 12, banking 9,
// energy and ict-service-management 8, digital-providers and health 7,
// manufacturing, research and defence 6, transport 5, education 4,
// financial-market-infrastructure and media 3, civil-society 2, food,
// chemicals, drinking-water and space 1, waste-water, postal-and-courier
// and waste-management 0.5. The affected country is the requester's own
// in 85% of cases, otherwise a third country; the origin is the requested
// party's country in 65%, a third country in 20%, unknown in 15%. TLP:
// amber 55%, green 20%, amber+strict 15%, red 5%, clear 5%. A case whose
// requests all ended (closed or withdrawn) is closed by its analyst with
// probability 0.6, a log-normal time (median 7 days, σ 1) after the last
// ended, if that is before the end of the history.
//
// Delivery. Every message reaches the other node, whose signed receipt
// comes back at once, after a log-normal latency (median 2 s, σ 1); one
// message in a hundred waits out an outage besides, exponentially
// distributed with mean 20 minutes. A party acts only on what it has
// received: a step is taken no sooner than 1 s plus a uniform 0–60 s after
// the previous message of the request was received.
//
// Lifecycle. Delays are log-normal, written LN(median, σ), with medians
// relative to the agreement's deadlines for the request's type and
// priority (ack: the time to acknowledge; answer: the time to answer),
// both counted from receipt as the agreement counts them. After delivery:
//
//   - 1.5% are withdrawn by the requester before acknowledgement, at
//     LN(0.5 ack, 1); 3% are never acknowledged (they end overdue);
//   - the others are acknowledged at LN(0.3 ack, 1) after receipt: about
//     88% within the deadline, a tail late;
//   - a notification owes no answer: 60% are then closed by the
//     requester, LN(3 days, 1) after the acknowledgement;
//   - a request that owes an answer is declined with probability 0.25 for
//     evidence, 0.12 for investigation, 0.10 for preservation and
//     mitigation, 0.08 for information, at LN(0.15 answer, 1) after the
//     acknowledgement, on a ground of the agreement weighted, for the
//     legal types (investigation, preservation, evidence), national-law
//     35, essential-interests 20, insufficient-information 20,
//     political-offence 10, outside-scope 10, not-on-territory 5, and for
//     the technical types (information, mitigation)
//     insufficient-information 35, not-on-territory 30, outside-scope 15,
//     national-law 10, essential-interests 10 (a ground of another
//     agreement weighs 5); 70% of declined requests are then closed,
//     LN(3 days, 1) later;
//   - otherwise it is accepted at LN(0.25 ack, 1) after the
//     acknowledgement. Its final answer is due at LN(0.45 answer, 0.8)
//     after receipt (about 83% within the deadline), or, when that falls
//     before the acceptance, at LN(0.05 answer, 1) after it. Before it
//     come 0, 1, 2 or 3 partial answers (60 / 28 / 9 / 3%; for
//     investigation 40 / 35 / 18 / 7%) at uniform times after the
//     acceptance. 2% of accepted requests are withdrawn at a uniform time
//     in that window (after the partial answers before it); 5% are never
//     answered in full (they end overdue, possibly with partial answers);
//   - 75% of final answers are rated by the requester, LN(2 days, 1)
//     later: 1–5 with weights 3 / 7 / 20 / 42 / 28 for answers within the
//     deadline and 10 / 20 / 35 / 25 / 10 for late ones, 40% with a
//     comment; 80% of answered requests are closed, LN(3 days, 1) after
//     the rating or the answer.
//
// 10% of steps carry a note. Every step is checked with accord.Transition
// when it is drawn.
package synth
