package iodef

import (
	"slices"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/stix"
)

// Document is what Decode makes of an IODEF-Document: its incidents and
// what it passed over.
type Document struct {
	// Lang is the document's xml:lang, "" when absent.
	Lang string
	// Incidents are the document's Incident elements, in order; there is
	// at least one.
	Incidents []Incident
	// Skipped lists, in document order, every element Decode did not map
	// (and did not refuse): the outermost such element only, so a skipped
	// History is one entry, not one per HistoryItem.
	Skipped []Skip
}

// Skip is an element Decode passed over, or an object Encode could not
// write.
type Skip struct {
	// Path names the element, XPath-like
	// ("IODEF-Document/Incident/EventData[2]/Flow/System/NodeRole"), or, for
	// Encode, the STIX object's id.
	Path string
	// Reason says why, in words fit to show to whoever sent the input.
	Reason string
}

// IncidentID is the identifier of an incident (RFC 7970 section 3.4): its
// text, unique within the namespace Name gives, usually the domain of the
// CSIRT that issued it.
type IncidentID struct {
	Name     string
	Value    string
	Instance string
}

// String returns "name#value", or "name#value#instance".
func (id IncidentID) String() string {
	s := id.Name + "#" + id.Value
	if id.Instance != "" {
		s += "#" + id.Instance
	}
	return s
}

// Incident is one Incident of a document (RFC 7970 section 3.2) with the
// fields a case needs, the STIX objects made from its observables and
// indicators, and the classes a person reads (assessments, contacts,
// discoveries, methods) kept as they were written.
type Incident struct {
	// Path is the incident's place in the document, for messages.
	Path string
	ID   IncidentID
	// Purpose is traceback, mitigation, reporting, watch or other, or the
	// ext-purpose when purpose is ext-value.
	Purpose string
	// Status is new, in-progress, forwarded, resolved or future, the
	// ext-status when status is ext-value, or "" when absent.
	Status string
	// Restriction is the incident's restriction attribute as written
	// (ext-restriction for ext-value), "private" when absent, its default.
	Restriction string
	// TLP is Restriction as a TLP 2.0 label (see the package
	// documentation for the mapping).
	TLP  accord.TLP
	Lang string
	// GenerationTime is when the incident's content was generated; the
	// other times are zero when absent. All are UTC.
	GenerationTime time.Time
	DetectTime     time.Time
	StartTime      time.Time
	EndTime        time.Time
	RecoveryTime   time.Time
	ReportTime     time.Time
	// Descriptions are the incident's Description texts, then those of its
	// EventData in document order, each line trimmed (paragraphs stay, the
	// indentation of the XML goes).
	Descriptions []string
	// Assessments, Contacts, Discoveries and Methods are the incident's,
	// then those of its EventData in document order.
	Assessments []Assessment
	Contacts    []Contact
	Discoveries []Discovery
	Methods     []Method
	// Objects are the STIX cyber-observables and domain objects made from
	// the incident (see the package documentation); each passes
	// (*stix.Object).Validate. Cyber-observables have the deterministic ids
	// of STIX 2.1 section 2.9, one object per id however often the value
	// occurs; domain objects have ids derived from the IncidentID.
	Objects []*stix.Object
}

// Assessment is an Assessment (RFC 7970 section 3.12).
type Assessment struct {
	// Occurrence is "actual", "potential" or "".
	Occurrence string
	// Categories are the IncidentCategory texts.
	Categories []string
	Impacts    []Impact
	// Confidence is the Confidence rating (low, medium, high, numeric,
	// unknown or the ext-rating), "" when absent; ConfidenceValue its
	// number when there is one.
	Confidence      string
	ConfidenceValue string
}

// Impact is one SystemImpact, BusinessImpact, IntendedImpact, TimeImpact
// or MonetaryImpact of an assessment.
type Impact struct {
	// Class is the element's name: "SystemImpact", "BusinessImpact", ….
	Class string
	// Type is the type attribute (the ext-type for ext-value); for a
	// TimeImpact, its metric.
	Type       string
	Severity   string
	Completion string
	// Value is the amount of a TimeImpact or MonetaryImpact as written;
	// Unit its duration or currency.
	Value        string
	Unit         string
	Descriptions []string
}

// Contact is a Contact (RFC 7970 section 3.9), with the contacts nested in
// it.
type Contact struct {
	// Role is creator, reporter, admin, tech, … or the ext-role.
	Role string
	// Type is person or organization, or the ext-type.
	Type         string
	Names        []string
	Emails       []string
	Telephones   []string
	Descriptions []string
	Contacts     []Contact
}

// Name returns the contact's first name, or "".
func (c Contact) Name() string {
	if len(c.Names) == 0 {
		return ""
	}
	return c.Names[0]
}

// Discovery is a Discovery (RFC 7970 section 3.10): how the incident was
// found.
type Discovery struct {
	// Source is nidps, hips, siem, av, … or the ext-source; "unknown" when
	// absent.
	Source       string
	Descriptions []string
}

// Method is a Method (RFC 7970 section 3.11): how the activity was done.
type Method struct {
	References   []Reference
	Descriptions []string
}

// Reference is a Reference (RFC 7970 section 3.11.1): a vulnerability,
// malware, advisory, attack technique and the like, named by an
// enumeration (RFC 7495) and/or URLs.
type Reference struct {
	// SpecIndex and ID are those of enum:ReferenceName, 0 and "" when
	// absent.
	SpecIndex    int
	ID           string
	URLs         []string
	Descriptions []string
}

// Case returns the case an incident suggests, for the importer to check
// (accord.Case.ValidateNew) and complete: the title is the first
// description (or "IODEF incident name#id"), shortened to
// accord.MaxSubjectLen; the summary the other descriptions; the category
// the first IncidentCategory that names a reference-taxonomy class, else
// "other"; the TLP the incident's; the status closed for a resolved
// incident, else open.
func (in *Incident) Case() accord.Case {
	c := accord.Case{Category: "other", TLP: in.TLP, Status: accord.CaseOpen, Sectors: []string{}}
	descs := in.Descriptions
	if len(descs) > 0 {
		c.Title, descs = strings.Join(strings.Fields(descs[0]), " "), descs[1:]
	} else {
		c.Title = "IODEF incident " + in.ID.String()
	}
	if len(c.Title) > accord.MaxSubjectLen {
		c.Title = shorten(c.Title, accord.MaxSubjectLen)
	}
	c.Summary = strings.Join(descs, "\n\n")
	if len(c.Summary) > accord.MaxBodyLen {
		c.Summary = shorten(c.Summary, accord.MaxBodyLen)
	}
	for _, a := range in.Assessments {
		for _, cat := range a.Categories {
			if k := accord.Category(strings.ToLower(cat)); slices.Contains(accord.Categories, k) && c.Category == "other" {
				c.Category = k
			}
		}
	}
	if in.Status == "resolved" {
		c.Status = accord.CaseClosed
	}
	return c
}

// shorten cuts s to at most n bytes on a rune boundary, ending with "…".
func shorten(s string, n int) string {
	const ell = "…"
	cut := n - len(ell)
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
