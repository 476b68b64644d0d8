package accord_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/accord-cyber/accord"
)

// fileDeadlines reads the deadlines straight out of an agreement file with a
// generic TOML decode and its own duration arithmetic, independently of
// ParseAgreement, so the test compares the parser against the file itself.
func fileDeadlines(t *testing.T, data []byte) map[string]map[string][2]time.Duration {
	t.Helper()
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	unit := map[string]time.Duration{"w": 7 * 24 * time.Hour, "d": 24 * time.Hour, "h": time.Hour, "m": time.Minute}
	dur := func(v any) time.Duration {
		s, _ := v.(string)
		var total time.Duration
		for _, m := range regexp.MustCompile(`(\d+)([wdhm])`).FindAllStringSubmatch(s, -1) {
			n, _ := strconv.Atoi(m[1])
			total += time.Duration(n) * unit[m[2]]
		}
		return total
	}
	out := map[string]map[string][2]time.Duration{}
	for tname, tv := range raw["types"].(map[string]any) {
		out[tname] = map[string][2]time.Duration{}
		for _, p := range []string{"emergency", "high", "normal", "low"} {
			d, ok := tv.(map[string]any)[p].(map[string]any)
			if !ok {
				t.Fatalf("file has no %s.%s", tname, p)
			}
			out[tname][p] = [2]time.Duration{dur(d["acknowledge"]), dur(d["answer"])}
		}
	}
	return out
}

func TestDefaultAgreementDeadlinesMatchFile(t *testing.T) {
	a := accord.DefaultAgreement()
	want := fileDeadlines(t, accord.DefaultAgreementTOML)
	if len(a.Types) != len(accord.RequestTypes) || len(want) != len(accord.RequestTypes) {
		t.Fatalf("default agreement provides %d types, file %d; want all %d", len(a.Types), len(want), len(accord.RequestTypes))
	}
	received := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	for _, typ := range accord.RequestTypes {
		for _, p := range accord.Priorities {
			t.Run(string(typ)+"/"+string(p), func(t *testing.T) {
				r := &accord.Request{Type: typ, Priority: p, SentAt: received.Add(-time.Minute), ReceivedAt: received}
				if err := r.SetDeadlines(a); err != nil {
					t.Fatalf("SetDeadlines: %v", err)
				}
				w := want[string(typ)][string(p)]
				if got, want := r.AcknowledgeBy, received.Add(w[0]); !got.Equal(want) {
					t.Errorf("acknowledge-by = %s, want %s (received + %s)", got, want, w[0])
				}
				wantAnswer := time.Time{}
				if w[1] != 0 {
					wantAnswer = received.Add(w[1])
				}
				if got := r.AnswerBy; !got.Equal(wantAnswer) {
					t.Errorf("answer-by = %s, want %s", got, wantAnswer)
				}
				if r.AgreementDigest != a.Digest {
					t.Errorf("agreement digest = %q, want %q", r.AgreementDigest, a.Digest)
				}
			})
		}
	}
}

func TestDefaultAgreementFacts(t *testing.T) {
	a := accord.DefaultAgreement()
	check := func(typ accord.RequestType, p accord.Priority, ack, ans string) {
		t.Helper()
		d, err := a.Deadline(typ, p)
		if err != nil {
			t.Fatal(err)
		}
		if d.Acknowledge.String() != ack || (d.Answer.String() != ans && !(ans == "" && d.Answer == 0)) {
			t.Errorf("%s/%s = %s/%s, want %s/%s", typ, p, d.Acknowledge, d.Answer, ack, ans)
		}
	}
	// e-Evidence regulation art. 10: 10 days, 8 hours in emergencies.
	check(accord.TypeEvidence, accord.PriorityNormal, "2d", "10d")
	check(accord.TypeEvidence, accord.PriorityEmergency, "2h", "8h")
	check(accord.TypeNotification, accord.PriorityNormal, "2d", "")
	terms, _ := a.Terms(accord.TypePreservation)
	if time.Duration(terms.Keep) < 60*24*time.Hour {
		t.Errorf("preservation keep = %s; Budapest art. 29(7) asks for at least 60 days", terms.Keep)
	}
	if n, _ := a.Terms(accord.TypeNotification); n.AnswerRequired {
		t.Error("a notification owes no answer")
	}
	if a.ReviewPeriodMonths != 6 {
		t.Errorf("review period = %d months, want 6 (twice a year)", a.ReviewPeriodMonths)
	}
	for _, g := range []string{"national-law", "insufficient-information", "not-on-territory", "outside-scope"} {
		if _, err := a.Ground(g); err != nil {
			t.Errorf("ground %s: %v", g, err)
		}
	}
	for _, src := range []string{"2015", "art. 29", "10 days", "8 hours"} {
		if !strings.Contains(string(accord.DefaultAgreementTOML), src) {
			t.Errorf("default agreement does not cite %q", src)
		}
	}
}

func TestChangedAgreementChangesDeadlines(t *testing.T) {
	changed := strings.Replace(string(accord.DefaultAgreementTOML),
		`emergency = { acknowledge = "2h", answer = "1d" }`, `emergency = { acknowledge = "30m", answer = "1d6h" }`, 1)
	if changed == string(accord.DefaultAgreementTOML) {
		t.Fatal("test edit did not apply to the default file")
	}
	a, err := accord.ParseAgreement("agreement.toml", []byte(changed))
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &accord.Request{Type: accord.TypeInformation, Priority: accord.PriorityEmergency, ReceivedAt: received}
	if err := r.SetDeadlines(a); err != nil {
		t.Fatal(err)
	}
	if want := received.Add(30 * time.Minute); !r.AcknowledgeBy.Equal(want) {
		t.Errorf("acknowledge-by = %s, want %s", r.AcknowledgeBy, want)
	}
	if want := received.Add(30 * time.Hour); !r.AnswerBy.Equal(want) {
		t.Errorf("answer-by = %s, want %s", r.AnswerBy, want)
	}
	if a.Digest == accord.DefaultAgreement().Digest {
		t.Error("a changed file kept the default digest")
	}
}

func TestMalformedAgreementRefused(t *testing.T) {
	base := string(accord.DefaultAgreementTOML)
	lineOf := func(s, needle string) int {
		i := strings.Index(s, needle)
		if i < 0 {
			t.Fatalf("needle %q not in file", needle)
		}
		return strings.Count(s[:i], "\n") + 1
	}
	replace := func(old, new string) string {
		if !strings.Contains(base, old) {
			t.Fatalf("%q not in default file", old)
		}
		return strings.Replace(base, old, new, 1)
	}
	notif := `emergency = { acknowledge = "2h" }`
	for _, tc := range []struct {
		name       string
		file       string
		wantLineOf string // the line is where this text stands in file
		wantReason string
	}{
		{"syntax error", replace(`name = "Bilateral`, `name = Bilateral`), `name = Bilateral`, "unexpected character"},
		{"unknown key", replace(`period_months = 6`, "period_months = 6\ncolour = \"red\""), `colour = "red"`, "unknown key"},
		{"wrong type", replace(`period_months = 6`, `period_months = "six"`), `period_months = "six"`, "period_months"},
		{"bad duration unit", replace(`high      = { acknowledge = "12h", answer = "5d" }`, `high      = { acknowledge = "12x", answer = "5d" }`), `acknowledge = "12x"`, `unit "x" unknown`},
		{"empty duration", replace(`low       = { acknowledge = "5d", answer = "30d" }`, `low       = { acknowledge = "", answer = "30d" }`), `acknowledge = ""`, "empty duration"},
		{"answer before acknowledge", replace(`normal    = { acknowledge = "1d", answer = "7d" }`, `normal    = { acknowledge = "1d", answer = "7h" }`), `answer = "7h"`, "shorter than the time to acknowledge"},
		{"missing priority", replace(`low       = { acknowledge = "3d", answer = "14d" }`, ``), `[types.mitigation]`, `no deadlines for priority "low"`},
		{"unknown type", base + "\n[types.espionage]\ntitle = \"x\"\n", `[types.espionage]`, `"espionage" is not a request type`},
		{"answer on a notification", replace(notif, `emergency = { acknowledge = "2h", answer = "1d" }`), `emergency = { acknowledge = "2h", answer = "1d" }
high      = { acknowledge = "12h" }`, "answer_required is false"},
		{"duplicate ground", replace(`id = "outside-scope"`, `id = "national-law"`), `id = "national-law"
text = "Outside`, `"national-law" is defined twice`},
		{"bad review period", replace(`period_months = 6`, `period_months = 0`), `period_months = 0`, "between 1 and 24"},
		{"missing title", replace(`title = "Notification for awareness"`, ``), `[types.notification]`, "title: is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := accord.ParseAgreement("agreement.toml", []byte(tc.file))
			if err == nil {
				t.Fatal("ParseAgreement accepted a malformed file")
			}
			if accord.ErrorCode(err) != accord.EINVALID {
				t.Errorf("code = %s, want invalid", accord.ErrorCode(err))
			}
			wantPrefix := fmt.Sprintf("agreement.toml:%d: ", lineOf(tc.file, tc.wantLineOf))
			if msg := err.Error(); !strings.HasPrefix(msg, wantPrefix) || !strings.Contains(msg, tc.wantReason) {
				t.Errorf("error = %q\nwant prefix %q and reason containing %q", msg, wantPrefix, tc.wantReason)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"8h", 8 * time.Hour, false},
		{"10d", 240 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"2w", 14 * 24 * time.Hour, false},
		{"45m", 45 * time.Minute, false},
		{"", 0, true},
		{"12", 0, true},
		{"h", 0, true},
		{"1h1d", 0, true},
		{"1d1d", 0, true},
		{"0h", 0, true},
		{"1y", 0, true},
		{"-1h", 0, true},
	} {
		got, err := accord.ParseDuration(tc.in)
		if (err != nil) != tc.err || time.Duration(got) != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tc.in, time.Duration(got), err, tc.want, tc.err)
		}
		if err == nil && got.String() != tc.in && tc.in != "" {
			if back, _ := accord.ParseDuration(got.String()); back != got {
				t.Errorf("ParseDuration(%q).String() = %q does not parse back", tc.in, got.String())
			}
		}
	}
}
