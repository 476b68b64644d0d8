package accord

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"time"
)

// Role is what a user may do on this node.
type Role string

const (
	// RoleAnalyst opens and edits cases (national CERT analysts).
	RoleAnalyst Role = "analyst"
	// RoleLiaison sends, acknowledges, accepts, declines, answers and rates
	// requests (the point of contact).
	RoleLiaison Role = "liaison"
	// RoleReviewer reads cases, requests and reports.
	RoleReviewer Role = "reviewer"
	// RoleAdmin manages users and parties, and may do everything the others may.
	RoleAdmin Role = "admin"
)

// Roles lists every role, in the order shown to people.
var Roles = []Role{RoleAnalyst, RoleLiaison, RoleReviewer, RoleAdmin}

// ParseRole returns EINVALID unless s names a role.
func ParseRole(field, s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", FieldError(field, "%q is not a role (analyst, liaison, reviewer, admin)", s)
}

// User is a person with an API token on this node.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	TokenHash string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

var userNamePattern = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._@ -]{0,63}$`)

// ValidateUserName returns EINVALID unless name is 1–64 letters, digits,
// spaces or ._@- starting with a letter or digit.
func ValidateUserName(field, name string) error {
	if !userNamePattern.MatchString(name) || strings.TrimSpace(name) != name {
		return FieldError(field, "%q is not a user name: use 1–64 letters, digits, spaces or . _ @ -", name)
	}
	return nil
}

// tokenPrefix makes accord tokens recognisable to secret scanners and people.
const tokenPrefix = "acc_"

// NewToken returns a fresh random API token and the hash under which it is
// stored. Only the hash is kept; the token is shown once.
func NewToken() (token, hash string) {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken returns the stored form of a token: hex SHA-256. Tokens carry 256
// random bits, so a fast hash is enough (no password stretching needed).
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Permission is a kind of operation, granted to roles by Can.
type Permission string

// The permissions of a node. Reading is open to every role; writing is split
// by job, and admin may do everything.
const (
	PermRead          Permission = "read"           // cases, requests, parties, the agreement
	PermWriteCases    Permission = "write-cases"    // open and edit cases
	PermWriteRequests Permission = "write-requests" // send and act on requests
	PermAdmin         Permission = "admin"          // users and parties
)

// Permissions lists every permission.
var Permissions = []Permission{PermRead, PermWriteCases, PermWriteRequests, PermAdmin}

var grants = map[Role][]Permission{
	RoleAnalyst:  {PermRead, PermWriteCases},
	RoleLiaison:  {PermRead, PermWriteRequests},
	RoleReviewer: {PermRead},
	RoleAdmin:    {PermRead, PermWriteCases, PermWriteRequests, PermAdmin},
}

// Can reports whether role r holds permission p.
func Can(r Role, p Permission) bool {
	for _, g := range grants[r] {
		if g == p {
			return true
		}
	}
	return false
}

// RolesWith returns the roles holding permission p, in Roles order.
func RolesWith(p Permission) []Role {
	var out []Role
	for _, r := range Roles {
		if Can(r, p) {
			out = append(out, r)
		}
	}
	return out
}

// Actor is who performs an operation: a user authenticated by token, or the
// operator at the command line.
type Actor struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

// Require returns EFORBIDDEN unless the actor's role holds p.
func (a Actor) Require(p Permission) error {
	if !Can(a.Role, p) {
		return Errorf(EFORBIDDEN, "role %s may not %s (needs one of: %s)", a.Role, p, joinStrings(RolesWith(p)))
	}
	return nil
}
