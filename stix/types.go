package stix

import (
	"encoding/json"
	"fmt"
)

// Typed views of the objects accord works with. Each is decoded from the
// object on request (the Object stays the source of truth and keeps every
// other property); each returns an *Error naming the object when the object
// is of another type or a property does not fit.

// Indicator is the view of an indicator (STIX 2.1 section 4.7).
type Indicator struct {
	Name            string           `json:"name,omitempty"`
	Description     string           `json:"description,omitempty"`
	IndicatorTypes  []string         `json:"indicator_types,omitempty"`
	Pattern         string           `json:"pattern"`
	PatternType     string           `json:"pattern_type"`
	PatternVersion  string           `json:"pattern_version,omitempty"`
	ValidFrom       Timestamp        `json:"valid_from"`
	ValidUntil      Timestamp        `json:"valid_until"`
	KillChainPhases []KillChainPhase `json:"kill_chain_phases,omitempty"`
}

// Indicator returns the indicator view of o.
func (o *Object) Indicator() (*Indicator, error) { return view[Indicator](o, "indicator") }

// Relationship is the view of a relationship (section 5.1).
type Relationship struct {
	RelationshipType string    `json:"relationship_type"`
	Description      string    `json:"description,omitempty"`
	SourceRef        string    `json:"source_ref"`
	TargetRef        string    `json:"target_ref"`
	StartTime        Timestamp `json:"start_time"`
	StopTime         Timestamp `json:"stop_time"`
}

// Relationship returns the relationship view of o.
func (o *Object) Relationship() (*Relationship, error) {
	return view[Relationship](o, "relationship")
}

// Sighting is the view of a sighting (section 5.2): SightingOfRef was seen
// Count times, at WhereSightedRefs (identities or locations), as evidenced
// by ObservedDataRefs.
type Sighting struct {
	Description      string    `json:"description,omitempty"`
	FirstSeen        Timestamp `json:"first_seen"`
	LastSeen         Timestamp `json:"last_seen"`
	Count            *int      `json:"count,omitempty"`
	SightingOfRef    string    `json:"sighting_of_ref"`
	ObservedDataRefs []string  `json:"observed_data_refs,omitempty"`
	WhereSightedRefs []string  `json:"where_sighted_refs,omitempty"`
	Summary          bool      `json:"summary,omitempty"`
}

// Sighting returns the sighting view of o.
func (o *Object) Sighting() (*Sighting, error) { return view[Sighting](o, "sighting") }

// ObservedData is the view of observed-data (section 4.13). Objects is the
// deprecated embedded form; current producers use ObjectRefs.
type ObservedData struct {
	FirstObserved  Timestamp                  `json:"first_observed"`
	LastObserved   Timestamp                  `json:"last_observed"`
	NumberObserved int                        `json:"number_observed"`
	Objects        map[string]json.RawMessage `json:"objects,omitempty"`
	ObjectRefs     []string                   `json:"object_refs,omitempty"`
}

// ObservedData returns the observed-data view of o.
func (o *Object) ObservedData() (*ObservedData, error) {
	return view[ObservedData](o, "observed-data")
}

// MarkingDefinition is the view of a marking-definition (section 7.2).
// Definition and DefinitionType are absent in TLP 2.0 markings, which are
// recognised by id and by their extension (see TLP).
type MarkingDefinition struct {
	Name           string          `json:"name,omitempty"`
	Created        Timestamp       `json:"created"`
	DefinitionType string          `json:"definition_type,omitempty"`
	Definition     json.RawMessage `json:"definition,omitempty"`
}

// MarkingDefinition returns the marking-definition view of o.
func (o *Object) MarkingDefinition() (*MarkingDefinition, error) {
	return view[MarkingDefinition](o, "marking-definition")
}

// NetworkTraffic is the view of a network-traffic observable (section
// 6.12): the refs name ipv4-addr, ipv6-addr, mac-addr or domain-name
// observables; payload refs name artifacts.
type NetworkTraffic struct {
	Start             Timestamp `json:"start"`
	End               Timestamp `json:"end"`
	IsActive          bool      `json:"is_active,omitempty"`
	SrcRef            string    `json:"src_ref,omitempty"`
	DstRef            string    `json:"dst_ref,omitempty"`
	SrcPort           *int      `json:"src_port,omitempty"`
	DstPort           *int      `json:"dst_port,omitempty"`
	Protocols         []string  `json:"protocols"`
	SrcPayloadRef     string    `json:"src_payload_ref,omitempty"`
	DstPayloadRef     string    `json:"dst_payload_ref,omitempty"`
	EncapsulatesRefs  []string  `json:"encapsulates_refs,omitempty"`
	EncapsulatedByRef string    `json:"encapsulated_by_ref,omitempty"`
}

// NetworkTraffic returns the network-traffic view of o.
func (o *Object) NetworkTraffic() (*NetworkTraffic, error) {
	return view[NetworkTraffic](o, "network-traffic")
}

// File is the view of a file observable (section 6.7).
type File struct {
	Name               string            `json:"name,omitempty"`
	Hashes             map[string]string `json:"hashes,omitempty"`
	Size               *int64            `json:"size,omitempty"`
	MimeType           string            `json:"mime_type,omitempty"`
	ParentDirectoryRef string            `json:"parent_directory_ref,omitempty"`
	ContentRef         string            `json:"content_ref,omitempty"`
	ContainsRefs       []string          `json:"contains_refs,omitempty"`
}

// File returns the file view of o.
func (o *Object) File() (*File, error) { return view[File](o, "file") }

// EmailMessage is the view of an email-message observable (section 6.6),
// limited to its envelope: the refs name email-addr observables.
type EmailMessage struct {
	IsMultipart bool      `json:"is_multipart"`
	Date        Timestamp `json:"date"`
	FromRef     string    `json:"from_ref,omitempty"`
	SenderRef   string    `json:"sender_ref,omitempty"`
	ToRefs      []string  `json:"to_refs,omitempty"`
	CcRefs      []string  `json:"cc_refs,omitempty"`
	BccRefs     []string  `json:"bcc_refs,omitempty"`
	MessageID   string    `json:"message_id,omitempty"`
	Subject     string    `json:"subject,omitempty"`
}

// EmailMessage returns the email-message view of o.
func (o *Object) EmailMessage() (*EmailMessage, error) {
	return view[EmailMessage](o, "email-message")
}

func view[T any](o *Object, typ string) (*T, error) {
	if o.typ != typ {
		return nil, o.errorf("type", "is %q, not %s", o.typ, typ)
	}
	v := new(T)
	if err := json.Unmarshal(o.raw, v); err != nil {
		var ute *json.UnmarshalTypeError
		if ok := asType(err, &ute); ok {
			return nil, o.errorf(ute.Field, "must be %s", jsonKind(ute.Type.Kind().String()))
		}
		return nil, o.errorf("", "%v", err)
	}
	return v, nil
}

func asType(err error, target **json.UnmarshalTypeError) bool {
	e, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*target = e
	}
	return ok
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice":
		return "a list"
	case "map", "struct":
		return "an object"
	case "bool":
		return "a boolean"
	case "int", "int64", "float64":
		return "a number"
	}
	return fmt.Sprintf("a %s", goKind)
}
