package accord_test

import (
	"strings"
	"testing"

	"github.com/accord-cyber/accord"
)

// The expected lifecycle, written out independently of the implementation's
// table: for each status, the legal actions and where they lead. Every other
// (status, action) pair must be refused.
var wantLifecycle = map[accord.Status]map[accord.Action]accord.Status{
	"sent":             {"deliver": "delivered", "acknowledge": "acknowledged", "withdraw": "withdrawn"},
	"delivered":        {"acknowledge": "acknowledged", "withdraw": "withdrawn"},
	"acknowledged":     {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"},
	"accepted":         {"answer-partial": "answered-partial", "answer-final": "answered-final", "withdraw": "withdrawn"},
	"declined":         {"close": "closed"},
	"answered-partial": {"answer-partial": "answered-partial", "answer-final": "answered-final", "withdraw": "withdrawn"},
	"answered-final":   {"rate": "rated", "close": "closed"},
	"rated":            {"close": "closed"},
	"closed":           {},
	"withdrawn":        {},
}

// A notification owes no answer: delivered, acknowledged, closed.
var wantNoAnswerLifecycle = map[accord.Status]map[accord.Action]accord.Status{
	"sent":             {"deliver": "delivered", "acknowledge": "acknowledged", "withdraw": "withdrawn"},
	"delivered":        {"acknowledge": "acknowledged", "withdraw": "withdrawn"},
	"acknowledged":     {"close": "closed", "withdraw": "withdrawn"},
	"accepted":         {},
	"declined":         {},
	"answered-partial": {},
	"answered-final":   {},
	"rated":            {},
	"closed":           {},
	"withdrawn":        {},
}

func TestTransitionEveryPair(t *testing.T) {
	for _, tc := range []struct {
		name           string
		answerRequired bool
		want           map[accord.Status]map[accord.Action]accord.Status
	}{
		{"answer owed", true, wantLifecycle},
		{"no answer owed", false, wantNoAnswerLifecycle},
	} {
		if len(tc.want) != len(accord.Statuses) {
			t.Fatalf("%s: expected table covers %d statuses, domain has %d", tc.name, len(tc.want), len(accord.Statuses))
		}
		for _, s := range accord.Statuses {
			for _, a := range accord.Actions {
				t.Run(tc.name+"/"+string(s)+"/"+string(a), func(t *testing.T) {
					got, err := accord.Transition(tc.answerRequired, s, a)
					want, legal := tc.want[s][a]
					if legal {
						if err != nil || got != want {
							t.Fatalf("Transition(%v, %s, %s) = %q, %v; want %q, nil", tc.answerRequired, s, a, got, err, want)
						}
						return
					}
					if err == nil {
						t.Fatalf("Transition(%v, %s, %s) = %q, nil; want a conflict", tc.answerRequired, s, a, got)
					}
					if code := accord.ErrorCode(err); code != accord.ECONFLICT {
						t.Errorf("Transition(%v, %s, %s) code = %s, want %s", tc.answerRequired, s, a, code, accord.ECONFLICT)
					}
					if msg := err.Error(); !strings.Contains(msg, string(a)) || !strings.Contains(msg, string(s)) {
						t.Errorf("Transition(%v, %s, %s) error %q does not name both the action and the status", tc.answerRequired, s, a, msg)
					}
				})
			}
		}
	}
}

func TestTransitionUnknown(t *testing.T) {
	if _, err := accord.Transition(true, "lost", accord.ActionAccept); accord.ErrorCode(err) != accord.EINVALID {
		t.Errorf("Transition with unknown status: got %v, want invalid", err)
	}
	if _, err := accord.Transition(true, accord.StatusSent, "send"); accord.ErrorCode(err) != accord.EINVALID {
		t.Errorf("Transition with the creation event as action: got %v, want invalid", err)
	}
}

func TestTerminalStatusesAllowNothing(t *testing.T) {
	for _, s := range accord.Statuses {
		if !s.Terminal() {
			continue
		}
		for _, a := range accord.Actions {
			if _, err := accord.Transition(true, s, a); err == nil {
				t.Errorf("Transition(true, %s, %s) succeeded; a terminal status allows nothing", s, a)
			}
		}
	}
}
