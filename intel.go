package accord

import (
	"encoding/json"
	"time"
)

// IntelObject is one version of a STIX 2.1 object the node holds: imported
// from a file, pulled over TAXII, shared by a peer or made here. Object is
// its JSON exactly as received.
type IntelObject struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Version     string `json:"version"` // modified, else created, else "" (cyber observables)
	SpecVersion string `json:"spec_version"`
	// TLP is the object's own TLP marking, "" when it has none (it then
	// takes its case's).
	TLP     TLP       `json:"tlp"`
	AddedAt time.Time `json:"added_at"`
	// Source says where it came from, e.g. "stix:bundle.json" or "misp:event.json".
	Source string          `json:"source"`
	Digest string          `json:"digest"` // hex SHA-256 of Object
	Object json.RawMessage `json:"object"`
}

// ObjectKey names one version of an object.
type ObjectKey struct {
	ID, Version string
}

// ObservableKind is the kind of a normalised observable value.
type ObservableKind string

// Observable kinds. IP and CIDR values are compared by containment as well
// as equality.
const (
	ObsIP     ObservableKind = "ip"
	ObsCIDR   ObservableKind = "cidr"
	ObsDomain ObservableKind = "domain"
	ObsURL    ObservableKind = "url"
	ObsEmail  ObservableKind = "email"
	ObsMD5    ObservableKind = "md5"
	ObsSHA1   ObservableKind = "sha1"
	ObsSHA256 ObservableKind = "sha256"
	ObsSHA512 ObservableKind = "sha512"
)

// ObservableKinds lists the observable kinds.
var ObservableKinds = []ObservableKind{ObsIP, ObsCIDR, ObsDomain, ObsURL, ObsEmail, ObsMD5, ObsSHA1, ObsSHA256, ObsSHA512}

// Observable is a normalised value taken from an object (a cyber
// observable, or an indicator's pattern), which correlation looks up. For
// ObsIP and ObsCIDR, Addr is the 16-byte address (IPv4 mapped into IPv6)
// and Bits the prefix length in that space (128 for an address).
type Observable struct {
	Kind     ObservableKind `json:"kind"`
	Value    string         `json:"value"`
	ObjectID string         `json:"object_id"`
	Addr     []byte         `json:"-"`
	Bits     int            `json:"-"`
}

// ObservableHit is an observable held in a case of this node, or shared by
// a peer about a request: CaseID names the case, or Peer and RequestID the
// peer and the request its message was about (the peer's cases stay on its
// node; what it shared with this one is what this one knows of them).
type ObservableHit struct {
	Observable
	CaseID    string `json:"case_id,omitempty"`
	Peer      string `json:"peer,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// Directions of a shared object.
const (
	SharedOut = "out" // this node sent it to the peer
	SharedIn  = "in"  // the peer sent it to this node
)

// SharedObject is one object version carried by a signed message about a
// request, to or from a peer: what the nodes shared, each side holding the
// message that proves it.
type SharedObject struct {
	MessageID string    `json:"message_id"`
	RequestID string    `json:"request_id"`
	Peer      string    `json:"peer"`
	Direction string    `json:"direction"`
	ObjectID  string    `json:"object_id"`
	Version   string    `json:"version"`
	Type      string    `json:"type"`
	At        time.Time `json:"at"` // when the message was sent (out) or received (in)
}

// SharedStats sums up what the nodes shared in a period: object versions
// sent (ObjectsOut) and received (ObjectsIn); Observables, the distinct
// normalised values those objects carry; Correlated, how many of those
// values are also held elsewhere — a received one in a case of this node,
// a sent one in what a peer shared — by equality.
type SharedStats struct {
	ObjectsOut  int `json:"objects_out"`
	ObjectsIn   int `json:"objects_in"`
	Observables int `json:"observables"`
	Correlated  int `json:"correlated"`
}
