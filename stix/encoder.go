package stix

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Encoder writes one STIX 2.1 bundle to a stream, object by object, holding
// none of them: exporting a case of any size takes constant memory. The
// output is compact JSON: {"type":"bundle","id":…,"objects":[…]}; each
// object is written exactly as it is held (see Object), so a decoded object
// is written back with its properties, their order and its timestamps'
// precision unchanged.
//
// Every object is validated before it is written: an Encoder never emits
// STIX that Validate would refuse.
//
// An Encoder is for one goroutine. Close must be called to finish the
// bundle.
type Encoder struct {
	w      *bufio.Writer
	id     string
	n      int
	closed bool
	err    error
}

// NewEncoder starts a bundle with the given id on w; an empty id gets a
// fresh bundle--UUIDv4. It returns an error (EINVALID) for an id that is
// not bundle--UUID.
func NewEncoder(w io.Writer, bundleID string) (*Encoder, error) {
	if bundleID == "" {
		bundleID = NewID("bundle")
	}
	if err := checkID(bundleID); err != nil || IDType(bundleID) != "bundle" {
		return nil, &Error{Index: -1, Path: "id", Message: "a bundle id must be bundle--UUID"}
	}
	e := &Encoder{w: bufio.NewWriterSize(w, 64<<10), id: bundleID}
	_, e.err = fmt.Fprintf(e.w, `{"type":"bundle","id":"%s"`, bundleID)
	return e, e.err
}

// BundleID returns the id of the bundle being written.
func (e *Encoder) BundleID() string { return e.id }

// Encode validates o and appends it to the bundle. It returns the
// validation Errors (and writes nothing) for an invalid object, after which
// the Encoder can go on; a write error stops the Encoder and is returned by
// every later call.
func (e *Encoder) Encode(o *Object) error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return errors.New("stix: Encode after Close")
	}
	if err := o.validate(-1); err != nil {
		return err
	}
	if e.n == 0 {
		_, e.err = e.w.WriteString(`,"objects":[`)
	} else {
		e.err = e.w.WriteByte(',')
	}
	if e.err == nil {
		_, e.err = e.w.Write(o.raw)
	}
	e.n++
	return e.err
}

// Close ends the bundle and flushes it. A bundle without objects is written
// without "objects", which STIX 2.1 requires to be non-empty when present.
func (e *Encoder) Close() error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return nil
	}
	e.closed = true
	if e.n > 0 {
		_, e.err = e.w.WriteString("]}")
	} else {
		e.err = e.w.WriteByte('}')
	}
	if e.err == nil {
		e.err = e.w.Flush()
	}
	return e.err
}
