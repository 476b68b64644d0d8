package accord

import (
	"regexp"
	"strings"
	"testing"
)

// TestValidatePartyID checks the party id rule against the pattern it is
// documented as: ^[a-z][a-z0-9-]{1,31}$ with no trailing or doubled hyphen.
func TestValidatePartyID(t *testing.T) {
	pattern := regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)
	rule := func(id string) bool {
		return pattern.MatchString(id) && !strings.HasSuffix(id, "-") && !strings.Contains(id, "--")
	}
	ids := []string{"", "a", "us", "us-cert", "cncert", "us-cert-2", "a1", "1a", "-us", "us-", "us--cert", "US-CERT",
		"us_cert", "us cert", "ús-cert", "a" + strings.Repeat("b", 31), "a" + strings.Repeat("b", 32), "a-b-c-d", "z9-", "a\n"}
	for _, id := range ids {
		err := ValidatePartyID("party", id)
		if want := rule(id); (err == nil) != want {
			t.Errorf("ValidatePartyID(%q) = %v, want valid %v", id, err, want)
		}
		if err != nil && (ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "party")) {
			t.Errorf("ValidatePartyID(%q): %v, want EINVALID naming the field", id, err)
		}
	}
}
