package misp

import (
	"strings"

	"github.com/google/uuid"
)

// Namespace is the UUIDv5 namespace of every identifier this package
// derives itself: the STIX ids of things MISP gives no UUID for (a
// relationship, an attribute of a PyMISP fixture), the MISP uuid of an
// exported case (CaseUUID) and of exported attributes. Deriving rather than
// drawing them at random makes a second import of the same event, or a
// second export of the same case, produce the same ids.
const Namespace = "f2966956-efe2-4ecd-87e2-0c51ee2db0bc"

var ns = uuid.MustParse(Namespace)

// CaseUUID returns the MISP event uuid that Encode gives the case with id
// caseID: the UUIDv5 of the case id in Namespace. It is the same on every
// export, so a MISP instance receiving a case again updates its event
// instead of adding a second one.
func CaseUUID(caseID string) string {
	return uuid.NewSHA1(ns, []byte(caseID)).String()
}

// derive returns the UUIDv5 in Namespace of parts joined by NUL bytes.
func derive(parts ...string) string {
	return uuid.NewSHA1(ns, []byte(strings.Join(parts, "\x00"))).String()
}
