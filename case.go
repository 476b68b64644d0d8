package accord

import (
	"slices"
	"strings"
	"time"
)

// Category is a case's class in the ENISA / eCSIRT.net Reference Security
// Incident Taxonomy (RSIT), top level.
type Category string

// Categories lists the RSIT top-level classes.
var Categories = []Category{
	"abusive-content", "malicious-code", "information-gathering", "intrusion-attempts",
	"intrusions", "availability", "information-content-security", "fraud",
	"vulnerable", "other", "test",
}

// Sectors lists the sectors a case may concern: the sectors of high
// criticality and other critical sectors of the NIS2 Directive ((EU)
// 2022/2555, Annexes I and II), plus those often targeted by state-sponsored
// activity that NIS2 does not cover.
var Sectors = []string{
	"energy", "transport", "banking", "financial-market-infrastructure", "health",
	"drinking-water", "waste-water", "digital-infrastructure", "ict-service-management",
	"public-administration", "space", "postal-and-courier", "waste-management",
	"chemicals", "food", "manufacturing", "digital-providers", "research",
	"defence", "education", "media", "civil-society",
}

// TLP is a Traffic Light Protocol 2.0 marking (FIRST).
type TLP string

// TLP 2.0 labels, most restrictive first.
const (
	TLPRed         TLP = "red"
	TLPAmberStrict TLP = "amber+strict"
	TLPAmber       TLP = "amber"
	TLPGreen       TLP = "green"
	TLPClear       TLP = "clear"
)

// TLPs lists the TLP 2.0 labels, most restrictive first.
var TLPs = []TLP{TLPRed, TLPAmberStrict, TLPAmber, TLPGreen, TLPClear}

// CaseStatus is whether a case is still being worked.
type CaseStatus string

const (
	CaseOpen   CaseStatus = "open"
	CaseClosed CaseStatus = "closed"
)

// Case is one matter of malicious cyber activity, owned by this node's party.
// OriginCountry is where the activity came from (infrastructure, geography),
// never an attribution of who is responsible.
type Case struct {
	ID              string     `json:"id"`
	Title           string     `json:"title"`
	Summary         string     `json:"summary"`
	Category        Category   `json:"category"`
	Sectors         []string   `json:"sectors"`
	AffectedCountry string     `json:"affected_country,omitempty"`
	OriginCountry   string     `json:"origin_country,omitempty"`
	TLP             TLP        `json:"tlp"`
	Status          CaseStatus `json:"status"`
	CreatedBy       string     `json:"created_by"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	ClosedAt        time.Time  `json:"closed_at,omitzero"`
}

// ValidateNew checks and normalises the fields a person supplies when
// opening a case. It returns EINVALID naming the first bad field.
func (c *Case) ValidateNew() error {
	c.Title = strings.TrimSpace(c.Title)
	if c.Title == "" {
		return FieldError("title", "is required")
	}
	if len(c.Title) > MaxSubjectLen {
		return FieldError("title", "is longer than %d bytes", MaxSubjectLen)
	}
	if len(c.Summary) > MaxBodyLen {
		return FieldError("summary", "is longer than %d bytes", MaxBodyLen)
	}
	if !slices.Contains(Categories, c.Category) {
		return FieldError("category", "%q is not a category of the reference incident taxonomy (%s)", c.Category, joinStrings(Categories))
	}
	if c.Sectors == nil {
		c.Sectors = []string{}
	}
	for i, s := range c.Sectors {
		if !slices.Contains(Sectors, s) {
			return FieldError("sectors", "entry %d: %q is not a sector (%s)", i, s, strings.Join(Sectors, ", "))
		}
	}
	slices.Sort(c.Sectors)
	c.Sectors = slices.Compact(c.Sectors)
	if c.AffectedCountry != "" {
		if err := ValidateCountry("affected_country", c.AffectedCountry); err != nil {
			return err
		}
	}
	if c.OriginCountry != "" {
		if err := ValidateCountry("origin_country", c.OriginCountry); err != nil {
			return err
		}
	}
	if c.TLP == "" {
		c.TLP = TLPAmber
	}
	if !slices.Contains(TLPs, c.TLP) {
		return FieldError("tlp", "%q is not a TLP 2.0 label (%s)", c.TLP, joinStrings(TLPs))
	}
	return nil
}

func joinStrings[S ~string](xs []S) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
