package accord

import (
	"encoding/json"
	"slices"
	"time"
)

// AudienceCommunity is the audience of a collection shared with the whole
// community of the accord's partners rather than one peer.
const AudienceCommunity = "community"

// TAXIIAPIRoot is a TAXII 2.1 API root this node serves: ID is its path
// segment under /taxii2/.
type TAXIIAPIRoot struct {
	ID               string    `json:"id"`
	Title            string    `json:"title"`
	Description      string    `json:"description"`
	MaxContentLength int64     `json:"max_content_length"`
	Default          bool      `json:"default"`
	CreatedAt        time.Time `json:"created_at"`
}

// TAXIICollection is a TAXII 2.1 collection: one sharing audience, a peer
// party (its id) or AudienceCommunity, with the most open TLP level it may
// carry, and who may read and write it.
type TAXIICollection struct {
	ID          string       `json:"id"`
	APIRoot     string       `json:"api_root"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Alias       string       `json:"alias,omitempty"`
	Audience    string       `json:"audience"`
	MaxTLP      TLP          `json:"max_tlp"`
	MediaTypes  []string     `json:"media_types"`
	Grants      []TAXIIGrant `json:"grants"`
	CreatedAt   time.Time    `json:"created_at"`
}

// TAXIIGrant gives a user (by name) or every user of a role the right to
// read or write a collection. Exactly one of User and Role is set.
type TAXIIGrant struct {
	User  string `json:"user,omitempty"`
	Role  Role   `json:"role,omitempty"`
	Read  bool   `json:"read"`
	Write bool   `json:"write"`
}

// Access returns whether a may read and write c: the union of the grants
// naming a's user name or a's role. There is no implicit access, not even
// for admins.
func (c *TAXIICollection) Access(a Actor) (read, write bool) {
	for _, g := range c.Grants {
		if (g.User != "" && g.User == a.Name) || (g.Role != "" && g.Role == a.Role) {
			read = read || g.Read
			write = write || g.Write
		}
	}
	return read, write
}

// Validate checks a collection before it is stored: EINVALID names the
// first bad field. A community collection carries at most TLP:GREEN.
func (c *TAXIICollection) Validate() error {
	switch {
	case c.ID == "":
		return FieldError("id", "is required")
	case c.APIRoot == "":
		return FieldError("api_root", "is required")
	case c.Title == "":
		return FieldError("title", "is required")
	case !slices.Contains(TLPs, c.MaxTLP):
		return FieldError("max_tlp", "%q is not a TLP 2.0 label (%s)", c.MaxTLP, joinStrings(TLPs))
	}
	if c.Audience != AudienceCommunity {
		if err := ValidatePartyID("audience", c.Audience); err != nil {
			return FieldError("audience", "%q is neither %q nor a party id", c.Audience, AudienceCommunity)
		}
	} else if TLPRank(c.MaxTLP) > TLPRank(TLPGreen) {
		return FieldError("max_tlp", "a community collection carries at most green, not %s", c.MaxTLP)
	}
	for i, g := range c.Grants {
		if (g.User == "") == (g.Role == "") {
			return FieldError("grants", "grant %d must name exactly one of a user and a role", i)
		}
		if g.Role != "" {
			if _, err := ParseRole("grants", string(g.Role)); err != nil {
				return err
			}
		}
	}
	return nil
}

// TLPRank orders TLP 2.0 labels from the most open (clear, 0) to the most
// restrictive (red, 4); -1 for anything else.
func TLPRank(t TLP) int {
	switch t {
	case TLPClear:
		return 0
	case TLPGreen:
		return 1
	case TLPAmber:
		return 2
	case TLPAmberStrict:
		return 3
	case TLPRed:
		return 4
	}
	return -1
}

// Stricter returns the more restrictive of a and b; an empty or unknown
// label counts as the most restrictive (red), never as open.
func Stricter(a, b TLP) TLP {
	ra, rb := TLPRank(a), TLPRank(b)
	if ra < 0 || rb < 0 {
		return TLPRed
	}
	if ra >= rb {
		return a
	}
	return b
}

// Serves reports whether collection c may carry information marked t whose
// named recipients (party ids; see RecipientsProperty) are recipients. The
// rule, TLP 2.0 read for an accord between parties:
//
//   - nothing more restrictive than the collection's MaxTLP;
//   - CLEAR and GREEN: any audience (GREEN is for the community);
//   - AMBER: only a peer audience, a recipient organisation which may pass
//     it to its clients on a need-to-know basis; never the community;
//   - AMBER+STRICT: only a peer audience (within the recipient
//     organisation); never the community;
//   - RED: only a peer audience named in recipients; never the community;
//   - an empty or unknown label is served to no one.
func (c *TAXIICollection) Serves(t TLP, recipients []string) bool {
	r := TLPRank(t)
	if r < 0 || r > TLPRank(c.MaxTLP) {
		return false
	}
	peer := c.Audience != AudienceCommunity && c.Audience != ""
	switch t {
	case TLPClear, TLPGreen:
		return true
	case TLPAmber, TLPAmberStrict:
		return peer
	case TLPRed:
		return peer && slices.Contains(recipients, c.Audience)
	}
	return false
}

// RecipientsProperty is the custom STIX property, a list of party ids, that
// names the recipients of a TLP:RED object: only collections whose audience
// is one of them serve it.
const RecipientsProperty = "x_accord_recipients"

// CollectionEntry puts an object version, held in intel_objects, in a
// collection. DateAdded is the earliest date_added wanted (zero: now, as
// the caller passes it); the store raises it to keep the collection's dates
// strictly increasing and sets the one it stored. TLP is what the version
// is shared under (see taxii_members in the schema).
type CollectionEntry struct {
	Object    ObjectKey
	DateAdded time.Time
	TLP       TLP
}

// CollectionObject is an object version in a collection, as a TAXII page
// reads it. Object is empty when the query asked for manifests only.
type CollectionObject struct {
	DateAdded   time.Time
	ID          string
	Type        string
	Version     string // as in intel_objects: modified, else created, else ""
	SpecVersion string // "2.0" for objects without spec_version
	// TLP is the TLP the version joined the collection under; OwnTLP its own
	// marking ("" for none).
	TLP    TLP
	OwnTLP TLP
	Object json.RawMessage
}

// CollectionQuery selects object versions of a collection, in date_added
// order. Empty fields do not filter.
type CollectionQuery struct {
	Collection string
	// ObjectID keeps one object (the object and versions endpoints).
	ObjectID string
	IDs      []string
	Types    []string
	// Versions holds "first", "last", "all" or version keys (see
	// VersionKey); empty means all.
	Versions []string
	// SpecVersions keeps those spec versions, and "first" and "last" are
	// taken among them; empty means each object's latest spec version.
	SpecVersions []string
	// After keeps versions added strictly after it (added_after, and the
	// paging cursor).
	After time.Time
	// Limit is the most versions returned (0: no limit).
	Limit int
	// NoObject leaves Object empty (manifests, versions).
	NoObject bool
}

// VersionKey returns the form in which versions are compared: the
// timestamp as fixed-width UTC text with nanoseconds, "" for "".
func VersionKey(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// TAXIIStatus is a TAXII 2.1 status resource: the outcome of one request to
// add objects to a collection.
type TAXIIStatus struct {
	ID               string              `json:"id"`
	APIRoot          string              `json:"api_root"`
	Status           string              `json:"status"` // complete or pending
	RequestTimestamp time.Time           `json:"request_timestamp"`
	TotalCount       int                 `json:"total_count"`
	Successes        []TAXIIStatusDetail `json:"successes"`
	Failures         []TAXIIStatusDetail `json:"failures"`
	Pendings         []TAXIIStatusDetail `json:"pendings"`
	CreatedBy        string              `json:"created_by"`
}

// TAXIIStatusDetail is one object of a status resource.
type TAXIIStatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// TAXIIPage is one page of a collection's object versions as the node
// serves it: the versions the reader may see, whether more follow, and the
// date_added up to which the page read (the next page starts after it; it
// may be later than the last version served when TLP withheld some).
type TAXIIPage struct {
	Objects []*CollectionObject
	More    bool
	Last    time.Time
}
