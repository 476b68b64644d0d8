// Package accord holds the domain of a cyber security cooperation accord
// between states: parties, the agreement they signed, cases, cross-border
// requests with their lifecycle and deadlines, answers and ratings.
//
// The package does no I/O beyond decoding an agreement file. Rules that need
// storage (allocating ids, applying a lifecycle action inside a transaction)
// live in package node, which drives a Store; persistence lives in the store
// packages (sqlite, later postgres), which speak only this package's types.
//
// Every function that can fail returns an *Error whose Code tells the caller
// what to do (see the Code constants); callers wrap it with fmt.Errorf and %w.
package accord
