package stix

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePattern(t *testing.T) {
	tests := []struct {
		pattern string
		want    []Comparison
	}{
		{"[ipv4-addr:value = '10.0.0.0']", []Comparison{
			{ObjectType: "ipv4-addr", Path: []string{"value"}, Operator: "=", Values: []string{"10.0.0.0"}},
		}},
		{"[file:hashes.'SHA-256' = 'ef53']", []Comparison{
			{ObjectType: "file", Path: []string{"hashes", "SHA-256"}, Operator: "=", Values: []string{"ef53"}},
		}},
		{`[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`, []Comparison{
			{ObjectType: "email-message", Path: []string{"body_multipart", "[*]", "body_raw_ref", "name"}, Operator: "MATCHES", Values: []string{`^Final Report.+\.exe$`}},
		}},
		{"[network-traffic:dst_port NOT IN (80, 443)] REPEATS 3 TIMES WITHIN 60.5 SECONDS", []Comparison{
			{ObjectType: "network-traffic", Path: []string{"dst_port"}, Operator: "IN", Negated: true, Values: []string{"80", "443"}},
		}},
		{"([a-b:c = 'it\\'s'] OR [x-y:z[0] != true]) FOLLOWEDBY [EXISTS process:pid] START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00Z'", []Comparison{
			{ObjectType: "a-b", Path: []string{"c"}, Operator: "=", Values: []string{"it's"}},
			{ObjectType: "x-y", Path: []string{"z", "[0]"}, Operator: "!=", Values: []string{"true"}},
			{ObjectType: "process", Path: []string{"pid"}, Operator: "EXISTS"},
		}},
		{"[artifact:payload_bin = b'aGVsbG8=' AND artifact:x_hex = h'00ff' AND (artifact:x <= -2 OR artifact:y > .5)]", []Comparison{
			{ObjectType: "artifact", Path: []string{"payload_bin"}, Operator: "=", Values: []string{"aGVsbG8="}},
			{ObjectType: "artifact", Path: []string{"x_hex"}, Operator: "=", Values: []string{"00ff"}},
			{ObjectType: "artifact", Path: []string{"x"}, Operator: "<=", Values: []string{"-2"}},
			{ObjectType: "artifact", Path: []string{"y"}, Operator: ">", Values: []string{".5"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			p, err := ParsePattern(tc.pattern)
			if err != nil {
				t.Fatalf("ParsePattern: %v", err)
			}
			if diff := cmp.Diff(tc.want, p.Comparisons()); diff != "" {
				t.Errorf("Comparisons (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePatternRefuses(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{"", "expected an observation expression"},
		{"ipv4-addr:value = '1.2.3.4'", "expected an observation expression"},
		{"[ipv4-addr:value = '1.2.3.4'", "expected ']'"},
		{"[ipv4-addr:value = '1.2.3.4']]", "unexpected"},
		{"([ipv4-addr:value = '1.2.3.4']", "expected ')'"},
		{"[ipv4-addr:value = '1.2.3.4]", "unterminated string"},
		{`[file:name = 'a\nb']`, "may be escaped"},
		{"[ipv4-addr value = '1.2.3.4']", "expected ':'"},
		{"[ipv4-addr:value '1.2.3.4']", "comparison operator"},
		{"[ipv4-addr:value = ]", "expected a literal"},
		{"[file:name LIKE 5]", "needs a string literal"},
		{"[file:size > true]", "cannot compare with a boolean"},
		{"[file:size = 01]", "invalid number"},
		{"[file:x = h'abc']", "pairs of hexadecimal"},
		{"[file:x = b'a']", "base64"},
		{"[file:x = t'2016-01-01']", "timestamp"},
		{"[file:x = 'a'] WITHIN -5 SECONDS", "positive number"},
		{"[file:x = 'a'] REPEATS 2.5 TIMES", "positive integer"},
		{"[file:x = 'a'] START t'2016-01-02T00:00:00Z' STOP t'2016-01-01T00:00:00Z'", "STOP must be later than START"},
		{"[file:x = 'a'] AND", "expected an observation expression"},
		{strings.Repeat("(", 100) + "[file:x = 'a']" + strings.Repeat(")", 100), "nested too deeply"},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			_, err := ParsePattern(tc.pattern)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParsePattern(%q): got %v, want an error containing %q", tc.pattern, err, tc.want)
			}
		})
	}
}
