package synth

import (
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
)

func generate(t testing.TB, seed int64, o Options) *History {
	t.Helper()
	h, err := Generate(seed, o)
	if err != nil {
		t.Fatalf("Generate(%d, %+v): %v", seed, o, err)
	}
	return h
}

func TestGenerateDeterministic(t *testing.T) {
	o := Options{Requests: 2000}
	a, b := generate(t, 42, o), generate(t, 42, o)
	if !reflect.DeepEqual(a, b) { // cmp.Equal takes seconds on 2,000 requests
		t.Fatalf("Generate(42) twice differs:\n%s", cmp.Diff(a, b))
	}
	c := generate(t, 43, o)
	if reflect.DeepEqual(a.Requests, c.Requests) || reflect.DeepEqual(a.Cases, c.Cases) {
		t.Errorf("Generate(42) and Generate(43) give the same history")
	}
	same := 0
	for i := range a.Requests {
		if a.Requests[i].SentAt.Equal(c.Requests[i].SentAt) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("Generate(42) and Generate(43) send %d requests at the same instant", same)
	}
}

func TestGenerateOptions(t *testing.T) {
	h := generate(t, 1, Options{})
	if len(h.Requests) != 1000 || h.Parties[0].ID != "us-cert" || h.Parties[1].ID != "cncert" ||
		!h.Start.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) || h.End.Sub(h.Start) != 365*day {
		t.Errorf("Generate with zero options: %d requests between %s and %s from %s to %s", len(h.Requests), h.Parties[0].ID, h.Parties[1].ID, h.Start, h.End)
	}
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"negative requests", Options{Requests: -1}, "requests"},
		{"short span", Options{Span: time.Minute}, "span"},
		{"same parties", Options{Parties: [2]accord.Party{{ID: "us-cert", Name: "A", Country: "US"}, {ID: "us-cert", Name: "B", Country: "US"}}}, "both parties"},
		{"bad country", Options{Parties: [2]accord.Party{{ID: "us-cert", Name: "A", Country: "XX"}, {ID: "cncert", Name: "B", Country: "CN"}}}, "country"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate(1, tc.o)
			if accord.ErrorCode(err) != accord.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Generate = %v; want invalid naming %q", err, tc.want)
			}
		})
	}
}

// TestGenerateLegal checks every request of a large history: each step is
// legal where it is taken (accord.Transition), follows the receipt of the
// previous message, is taken by the right side and carries what it needs;
// ids and cases are as the nodes would give them.
func TestGenerateLegal(t *testing.T) {
	h := generate(t, 3, Options{Requests: 20000})
	a := h.Agreement
	cases := map[string]*Case{}
	for _, c := range h.Cases {
		if cases[c.ID] != nil {
			t.Fatalf("case id %s given twice", c.ID)
		}
		cases[c.ID] = c
		if err := c.ValidateNew(); err != nil {
			t.Errorf("case %s: %v", c.ID, err)
		}
		if !strings.HasPrefix(c.ID, c.Owner+"-C") || c.CreatedAt.Before(h.Start) || c.CreatedAt.After(h.End) {
			t.Errorf("case %s of %s opened at %s", c.ID, c.Owner, c.CreatedAt)
		}
		if c.Status == accord.CaseClosed && (!c.ClosedAt.After(c.CreatedAt) || c.ClosedAt.After(h.End) || !c.UpdatedAt.Equal(c.ClosedAt)) {
			t.Errorf("case %s closed at %s", c.ID, c.ClosedAt)
		}
	}
	sent := map[string]int{}
	caseEnd := map[string]time.Time{}
	caseOpen := map[string]bool{}
	for i := range h.Requests {
		q := &h.Requests[i]
		if i > 0 && q.SentAt.Before(h.Requests[i-1].SentAt) {
			t.Fatalf("request %d sent before request %d", i, i-1)
		}
		sent[q.From]++
		if want := q.From + "-R" + pad4(sent[q.From]); q.ID != want {
			t.Fatalf("request %d of %s is %s, want %s", sent[q.From], q.From, q.ID, want)
		}
		c := cases[q.CaseID]
		if c == nil || c.Owner != q.From || c.CreatedAt.After(q.SentAt) {
			t.Fatalf("request %s is about case %q (%+v)", q.ID, q.CaseID, c)
		}
		r := &accord.Request{Type: q.Type, Priority: q.Priority, Subject: q.Subject, Body: q.Body, LegalBasis: q.LegalBasis, ExternalRef: q.ExternalRef}
		if err := r.ValidateNew(); err != nil || r.Subject != q.Subject {
			t.Fatalf("request %s: %v", q.ID, err)
		}
		terms, err := a.Terms(q.Type)
		if err != nil {
			t.Fatal(err)
		}
		if q.SentAt.Before(h.Start) || !q.ReceivedAt.After(q.SentAt) || q.ReceivedAt.After(h.End) {
			t.Fatalf("request %s sent %s, received %s", q.ID, q.SentAt, q.ReceivedAt)
		}
		status, last := accord.StatusDelivered, q.ReceivedAt
		requester, requested := q.Actor, ""
		for j, s := range q.Steps {
			next, err := accord.Transition(terms.AnswerRequired, status, s.Action)
			if err != nil {
				t.Fatalf("request %s step %d: %v", q.ID, j+1, err)
			}
			if !s.At.After(last) || !s.ReceivedAt.After(s.At) || s.ReceivedAt.After(h.End) {
				t.Fatalf("request %s step %d (%s) at %s received %s, after a message received %s", q.ID, j+1, s.Action, s.At, s.ReceivedAt, last)
			}
			if s.At != s.At.Truncate(time.Microsecond) || s.At.Location() != time.UTC {
				t.Fatalf("request %s step %d at %s: not UTC microseconds", q.ID, j+1, s.At)
			}
			switch s.Action {
			case accord.ActionDecline:
				if _, err := a.Ground(s.Ground); err != nil || s.Text == "" {
					t.Fatalf("request %s declined on %q: %v", q.ID, s.Ground, err)
				}
			case accord.ActionAnswerPartial, accord.ActionAnswerFinal:
				if s.Text == "" {
					t.Fatalf("request %s: empty answer", q.ID)
				}
			case accord.ActionRate:
				if err := accord.ValidateRating(s.Score); err != nil {
					t.Fatalf("request %s: %v", q.ID, err)
				}
			}
			// One liaison of each side handles the request: the requester's sent it.
			officer := &requested
			if s.Action.Side() == accord.SideRequester {
				officer = &requester
			}
			if *officer == "" {
				*officer = s.Actor
			}
			if s.Actor != *officer || !slices.Contains(liaisons, s.Actor) {
				t.Fatalf("request %s step %d by %q, not %q", q.ID, j+1, s.Actor, *officer)
			}
			status, last = next, s.ReceivedAt
		}
		if status == accord.StatusClosed || status == accord.StatusWithdrawn {
			if last.After(caseEnd[q.CaseID]) {
				caseEnd[q.CaseID] = last
			}
		} else {
			caseOpen[q.CaseID] = true
		}
	}
	for _, c := range h.Cases {
		if c.Status == accord.CaseClosed && (caseOpen[c.ID] || !c.ClosedAt.After(caseEnd[c.ID])) {
			t.Errorf("case %s closed at %s while a request was open or before its last ended (%s)", c.ID, c.ClosedAt, caseEnd[c.ID])
		}
	}
}

func pad4(n int) string {
	s := strings.Repeat("0", 4) + itoa(n)
	return s[len(s)-max(4, len(itoa(n))):]
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestGenerateDistributions checks on 20,000 requests that the shares the
// package documentation states come out within a tolerance. Requests sent
// in the last 200 days are left out where the end of the history would
// cut their lifecycle short.
func TestGenerateDistributions(t *testing.T) {
	h := generate(t, 11, Options{Requests: 20000, Span: 4 * 365 * day})
	cutoff := h.End.Add(-200 * day)
	type count struct{ n, of int }
	c := map[string]*count{}
	share := func(name string, yes, counted bool) {
		if !counted {
			return
		}
		if c[name] == nil {
			c[name] = &count{}
		}
		c[name].of++
		if yes {
			c[name].n++
		}
	}
	var latencies []time.Duration
	casesSeen := map[string]bool{}
	for i := range h.Requests {
		q := &h.Requests[i]
		share("first party asks", q.From == h.Parties[0].ID, true)
		for _, tt := range accord.RequestTypes {
			share("type "+string(tt), q.Type == tt, true)
		}
		share("evidence emergency", q.Priority == accord.PriorityEmergency, q.Type == accord.TypeEvidence)
		share("mitigation emergency or high", q.Priority == accord.PriorityEmergency || q.Priority == accord.PriorityHigh, q.Type == accord.TypeMitigation)
		share("follow-up", casesSeen[q.CaseID], true)
		casesSeen[q.CaseID] = true
		share("external ref", q.ExternalRef != "", true)
		latencies = append(latencies, q.ReceivedAt.Sub(q.SentAt))
		for _, s := range q.Steps {
			latencies = append(latencies, s.ReceivedAt.Sub(s.At))
			share("note", s.Note != "", true)
		}
		if q.SentAt.After(cutoff) {
			continue
		}
		d, _ := h.Agreement.Deadline(q.Type, q.Priority)
		terms, _ := h.Agreement.Terms(q.Type)
		step := func(a accord.Action) *Step {
			for j := range q.Steps {
				if q.Steps[j].Action == a {
					return &q.Steps[j]
				}
			}
			return nil
		}
		ack, dec, acc, fin, rate, cls := step(accord.ActionAcknowledge), step(accord.ActionDecline), step(accord.ActionAccept),
			step(accord.ActionAnswerFinal), step(accord.ActionRate), step(accord.ActionClose)
		early := len(q.Steps) > 0 && q.Steps[0].Action == accord.ActionWithdraw
		share("withdrawn before acknowledgement", early, true)
		share("never acknowledged", len(q.Steps) == 0, true)
		if ack != nil {
			share("acknowledged on time", !ack.At.After(q.ReceivedAt.Add(time.Duration(d.Acknowledge))), true)
		}
		if !terms.AnswerRequired {
			share("notification closed", cls != nil, ack != nil)
			if acc != nil || dec != nil {
				t.Fatalf("notification %s accepted or declined", q.ID)
			}
			continue
		}
		share("declined "+string(q.Type), dec != nil, ack != nil)
		if dec != nil {
			share("legal ground national-law", dec.Ground == "national-law", legalTypes[q.Type])
			share("technical ground not-on-territory", dec.Ground == "not-on-territory", !legalTypes[q.Type])
			share("declined closed", cls != nil, true)
		}
		if acc != nil {
			share("accepted, answered in full", fin != nil, true)
			if fin != nil {
				share("answered on time", !fin.At.After(q.ReceivedAt.Add(time.Duration(d.Answer))), true)
				share("rated", rate != nil, true)
				share("answered closed", cls != nil, true)
			}
			share("partial answers", step(accord.ActionAnswerPartial) != nil, q.Type != accord.TypeInvestigation)
			share("partial answers, investigation", step(accord.ActionAnswerPartial) != nil, q.Type == accord.TypeInvestigation)
		}
		if rate != nil {
			onTime := !fin.At.After(q.ReceivedAt.Add(time.Duration(d.Answer)))
			share("rated 4 or 5 on time", rate.Score >= 4, onTime)
			share("rated 4 or 5 late", rate.Score >= 4, !onTime)
		}
	}
	categories := map[accord.Category]int{}
	tlps := map[accord.TLP]int{}
	origin := 0
	for _, cs := range h.Cases {
		categories[cs.Category]++
		tlps[cs.TLP]++
		peer := h.Parties[0].Country
		if cs.Owner == h.Parties[0].ID {
			peer = h.Parties[1].Country
		}
		if cs.OriginCountry == peer {
			origin++
		}
	}
	n := float64(len(h.Cases))
	for name, got := range map[string]float64{
		"category intrusions":          float64(categories["intrusions"]) / n,
		"category malicious-code":      float64(categories["malicious-code"]) / n,
		"category test":                float64(categories["test"]) / n,
		"TLP amber":                    float64(tlps[accord.TLPAmber]) / n,
		"TLP red":                      float64(tlps[accord.TLPRed]) / n,
		"origin the requested country": float64(origin) / n,
	} {
		c[name] = &count{n: int(math.Round(got * 1e6)), of: 1e6}
	}

	for _, tc := range []struct {
		name      string
		want, tol float64
	}{
		{"first party asks", 0.50, 0.015},
		{"type information", 0.32, 0.015},
		{"type investigation", 0.12, 0.01},
		{"type preservation", 0.10, 0.01},
		{"type evidence", 0.10, 0.01},
		{"type mitigation", 0.16, 0.01},
		{"type notification", 0.20, 0.015},
		{"evidence emergency", 0.03, 0.015},
		{"mitigation emergency or high", 0.45, 0.04},
		{"follow-up", 0.30, 0.02},
		{"external ref", 0.30, 0.015},
		{"note", 0.10, 0.01},
		{"withdrawn before acknowledgement", 0.015, 0.005},
		{"never acknowledged", 0.03, 0.006},
		{"acknowledged on time", 0.88, 0.015},
		{"notification closed", 0.60, 0.03},
		{"declined information", 0.08, 0.02},
		{"declined investigation", 0.12, 0.03},
		{"declined preservation", 0.10, 0.03},
		{"declined evidence", 0.25, 0.03},
		{"declined mitigation", 0.10, 0.025},
		{"legal ground national-law", 0.35, 0.06},
		{"technical ground not-on-territory", 0.30, 0.07},
		{"declined closed", 0.70, 0.05},
		{"accepted, answered in full", 0.93, 0.015},
		{"answered on time", 0.83, 0.025},
		{"rated", 0.75, 0.02},
		{"answered closed", 0.80, 0.02},
		{"partial answers", 0.40, 0.025},
		{"partial answers, investigation", 0.60, 0.05},
		{"rated 4 or 5 on time", 0.70, 0.03},
		{"rated 4 or 5 late", 0.35, 0.06},
		{"category intrusions", 0.22, 0.02},
		{"category malicious-code", 0.20, 0.02},
		{"category test", 0, 0},
		{"TLP amber", 0.55, 0.02},
		{"TLP red", 0.05, 0.01},
		{"origin the requested country", 0.65, 0.02},
	} {
		got := c[tc.name]
		if got == nil || got.of == 0 {
			t.Errorf("%s: nothing counted", tc.name)
			continue
		}
		if s := float64(got.n) / float64(got.of); math.Abs(s-tc.want) > tc.tol {
			t.Errorf("%s: %.3f of %d, want %.3f ± %.3f", tc.name, s, got.of, tc.want, tc.tol)
		}
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if med := latencies[len(latencies)/2]; med < 1800*time.Millisecond || med > 2200*time.Millisecond {
		t.Errorf("median delivery latency %s, want about 2s", med)
	}
}
