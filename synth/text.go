package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
)

// The words of the history: short, plausible texts built from templates.
// Addresses come from the documentation ranges (RFC 5737) and domains end
// in .example (RFC 2606), so nothing names a real host.

var categoryPhrase = map[accord.Category]string{
	"abusive-content":              "abusive content",
	"malicious-code":               "malware",
	"information-gathering":        "scanning",
	"intrusion-attempts":           "intrusion attempts",
	"intrusions":                   "a system compromise",
	"availability":                 "a denial-of-service attack",
	"information-content-security": "data exfiltration",
	"fraud":                        "phishing",
	"vulnerable":                   "exposed vulnerable systems",
	"other":                        "suspicious activity",
	"test":                         "a test",
}

var (
	docNets     = []string{"192.0.2", "198.51.100", "203.0.113"}
	domainWords = []string{"update", "cdn", "mail", "login", "secure", "files", "sync", "portal", "cloud", "static"}
	asks        = map[accord.RequestType]string{
		accord.TypeInformation:   "share what it knows of the infrastructure and its operators",
		accord.TypeInvestigation: "investigate the activity on its territory and report the findings",
		accord.TypePreservation:  "preserve the stored traffic and subscriber data pending a request for production",
		accord.TypeEvidence:      "produce the subscriber, connection and content records listed",
		accord.TypeMitigation:    "take the servers offline or have their hosting providers do so",
		accord.TypeNotification:  "take note; no answer is needed",
	}
	legalBasis = map[accord.RequestType]string{
		accord.TypeInformation:   "Joint statement of 25 September 2015: timely responses to requests for information",
		accord.TypeInvestigation: "Joint statement of 25 September 2015: requests for assistance to investigate cybercrime",
		accord.TypePreservation:  "Expedited preservation of stored computer data (Budapest Convention art. 29, as agreed)",
		accord.TypeEvidence:      "Mutual legal assistance: collection of electronic evidence",
		accord.TypeMitigation:    "Joint statement of 25 September 2015: mitigate malicious cyber activity emanating from its territory",
		accord.TypeNotification:  "",
	}
	declineTexts = map[string]string{
		"national-law":             "Our law does not allow the disclosure requested without a court order.",
		"insufficient-information": "The indicators given do not let us identify a system or operator.",
		"not-on-territory":         "The addresses are not announced by any network on our territory.",
		"outside-scope":            "The matter is not malicious cyber activity within the agreement.",
		"essential-interests":      "Executing the request would prejudice our essential interests.",
		"political-offence":        "The offence is regarded as political.",
	}
	partialTexts = []string{
		"Interim findings: the address was assigned to a hosting customer; records requested from the provider.",
		"Preservation in place; production follows once reviewed.",
		"First results attached; the analysis of the remaining indicators continues.",
		"The operator has been identified; contact is in progress.",
	}
	finalTexts = []string{
		"Final answer: the server was taken offline and its operator warned.",
		"Final answer: records attached; the account was opened with false details.",
		"Final answer: the activity stopped; no further traces were found.",
		"Final answer: the subscriber was identified; the case is with our police.",
		"Final answer: the compromised hosts were cleaned and their owners notified.",
	}
	ratingComments = [5][]string{
		{"Not usable: the answer did not address the request."},
		{"Late and incomplete."},
		{"Adequate.", "Useful, but late."},
		{"Useful.", "Clear and complete."},
		{"Excellent and fast.", "Exactly what was needed."},
	}
	notes = []string{
		"Handled by the duty officer.",
		"Forwarded to the competent authority.",
		"Discussed by phone beforehand.",
		"Priority agreed with the other party.",
		"See the case file for details.",
	}
)

// observable returns an address or a domain name.
func observable(r *rand.Rand) string {
	if r.IntN(10) < 6 {
		return fmt.Sprintf("%s.%d", docNets[r.IntN(len(docNets))], 1+r.IntN(254))
	}
	return fmt.Sprintf("%s%d.example", domainWords[r.IntN(len(domainWords))], r.IntN(1000))
}

func subject(r *rand.Rand, t accord.RequestType, c *Case, obs string) string {
	what := categoryPhrase[c.Category]
	switch t {
	case accord.TypeInformation:
		return fmt.Sprintf("Information on %s (%s)", obs, what)
	case accord.TypeInvestigation:
		return fmt.Sprintf("Assistance investigating %s against the %s sector", what, c.Sectors[0])
	case accord.TypePreservation:
		return fmt.Sprintf("Preservation of logs and subscriber data for %s", obs)
	case accord.TypeEvidence:
		return fmt.Sprintf("Production of records for %s", obs)
	case accord.TypeMitigation:
		return fmt.Sprintf("Mitigation of %s from %s", what, obs)
	default:
		return fmt.Sprintf("For awareness: %s involving %s", what, obs)
	}
}

func requestBody(r *rand.Rand, t accord.RequestType, c *Case, to string, obs string, at time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "We observed %s against the %s sector from %s on %s.", categoryPhrase[c.Category],
		strings.Join(c.Sectors, " and "), obs, at.Format("2 January 2006"))
	if n := r.IntN(3); n > 0 {
		b.WriteString(" Related indicators:")
		for i := 0; i < n; i++ {
			b.WriteString(" " + observable(r))
		}
		b.WriteString(".")
	}
	fmt.Fprintf(&b, " We ask %s to %s.", to, asks[t])
	return b.String()
}

func caseTitle(c *Case) string {
	return fmt.Sprintf("%s against %s", capitalise(categoryPhrase[c.Category]), strings.Join(c.Sectors, ", "))
}

func caseSummary(r *rand.Rand, c *Case) string {
	origin := "unknown origin"
	if c.OriginCountry != "" {
		origin = "infrastructure in " + c.OriginCountry
	}
	return fmt.Sprintf("%s affecting organisations in %s, from %s; %d indicators collected.",
		capitalise(categoryPhrase[c.Category]), c.AffectedCountry, origin, 2+r.IntN(40))
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }
