// Package node is the one place where accord's rules meet its store: each
// exported method of Service checks who is asking, applies the domain's rules
// (lifecycle, deadlines, decline grounds) and writes the outcome in exactly one
// store transaction, with one "now" taken from the injected clock for every
// row it writes. The HTTP API and the command line are thin layers over it.
//
// Stores (package sqlite, later postgres) implement accord.Store and know
// nothing of these rules, so every store applies them identically.
package node
