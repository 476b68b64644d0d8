package accord

import "fmt"

// Status is where a request stands in its lifecycle. It is stored; overdue is
// not a status (see Request.Overdue).
type Status string

// The lifecycle of a request, in order. Declined, closed and withdrawn end it
// (closed after an answer or a decline; withdrawn by the requester at any
// point before the final answer).
const (
	StatusSent            Status = "sent"
	StatusDelivered       Status = "delivered"
	StatusAcknowledged    Status = "acknowledged"
	StatusAccepted        Status = "accepted"
	StatusDeclined        Status = "declined"
	StatusAnsweredPartial Status = "answered-partial"
	StatusAnsweredFinal   Status = "answered-final"
	StatusRated           Status = "rated"
	StatusClosed          Status = "closed"
	StatusWithdrawn       Status = "withdrawn"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusSent, StatusDelivered, StatusAcknowledged, StatusAccepted, StatusDeclined,
	StatusAnsweredPartial, StatusAnsweredFinal, StatusRated, StatusClosed, StatusWithdrawn}

// Known reports whether s is one of Statuses.
func (s Status) Known() bool {
	for _, k := range Statuses {
		if k == s {
			return true
		}
	}
	return false
}

// Terminal reports whether no action can follow s.
func (s Status) Terminal() bool { return s == StatusClosed || s == StatusWithdrawn }

// Action is a step that moves a request from one status to another.
type Action string

// The lifecycle actions. ActionDeliver is recorded when the requested party's
// receipt arrives (or, for a party not on accord, is implied by its
// acknowledgement); the others are taken by a liaison of one side.
const (
	// ActionSend is the event that creates a request; it is not a transition.
	ActionSend          Action = "send"
	ActionDeliver       Action = "deliver"
	ActionAcknowledge   Action = "acknowledge"
	ActionAccept        Action = "accept"
	ActionDecline       Action = "decline"
	ActionAnswerPartial Action = "answer-partial"
	ActionAnswerFinal   Action = "answer-final"
	ActionRate          Action = "rate"
	ActionClose         Action = "close"
	ActionWithdraw      Action = "withdraw"
)

// Actions lists every action.
var Actions = []Action{ActionDeliver, ActionAcknowledge, ActionAccept, ActionDecline,
	ActionAnswerPartial, ActionAnswerFinal, ActionRate, ActionClose, ActionWithdraw}

// Side says which party takes an action.
type Side string

const (
	// SideRequester: the party that sent the request.
	SideRequester Side = "requester"
	// SideRequested: the party the request was sent to.
	SideRequested Side = "requested"
)

// Side returns the party side that takes action a.
func (a Action) Side() Side {
	switch a {
	case ActionRate, ActionClose, ActionWithdraw:
		return SideRequester
	default:
		return SideRequested
	}
}

// transitions is the whole lifecycle of a request that owes an answer: for
// each status, the actions allowed and where they lead. Anything absent is
// illegal.
var transitions = map[Status]map[Action]Status{
	StatusSent: {
		ActionDeliver:     StatusDelivered,
		ActionAcknowledge: StatusAcknowledged, // an acknowledgement proves delivery
		ActionWithdraw:    StatusWithdrawn,
	},
	StatusDelivered: {
		ActionAcknowledge: StatusAcknowledged,
		ActionWithdraw:    StatusWithdrawn,
	},
	StatusAcknowledged: {
		ActionAccept:   StatusAccepted,
		ActionDecline:  StatusDeclined,
		ActionWithdraw: StatusWithdrawn,
	},
	StatusAccepted: {
		ActionAnswerPartial: StatusAnsweredPartial,
		ActionAnswerFinal:   StatusAnsweredFinal,
		ActionWithdraw:      StatusWithdrawn,
	},
	StatusAnsweredPartial: {
		ActionAnswerPartial: StatusAnsweredPartial,
		ActionAnswerFinal:   StatusAnsweredFinal,
		ActionWithdraw:      StatusWithdrawn,
	},
	StatusAnsweredFinal: {
		ActionRate:  StatusRated,
		ActionClose: StatusClosed,
	},
	StatusDeclined: {
		ActionClose: StatusClosed,
	},
	StatusRated: {
		ActionClose: StatusClosed,
	},
	StatusClosed:    {},
	StatusWithdrawn: {},
}

// noAnswerTransitions is the lifecycle of a request that owes no answer (a
// notification): it is delivered, acknowledged and closed.
var noAnswerTransitions = map[Status]map[Action]Status{
	StatusSent: {
		ActionDeliver:     StatusDelivered,
		ActionAcknowledge: StatusAcknowledged,
		ActionWithdraw:    StatusWithdrawn,
	},
	StatusDelivered: {
		ActionAcknowledge: StatusAcknowledged,
		ActionWithdraw:    StatusWithdrawn,
	},
	StatusAcknowledged: {
		ActionClose:    StatusClosed,
		ActionWithdraw: StatusWithdrawn,
	},
	StatusClosed:    {},
	StatusWithdrawn: {},
}

// Transition returns the status that action a leads to from status s, for a
// request that owes an answer (answerRequired) or not. An illegal pair returns
// ECONFLICT naming both the action and the status; an unknown status or
// action returns EINVALID.
func Transition(answerRequired bool, s Status, a Action) (Status, error) {
	if !s.Known() {
		return "", Errorf(EINVALID, "unknown request status %q", s)
	}
	if !a.Known() {
		return "", Errorf(EINVALID, "unknown action %q", a)
	}
	table := transitions
	if !answerRequired {
		table = noAnswerTransitions
	}
	if next, ok := table[s][a]; ok {
		return next, nil
	}
	if !answerRequired && table[s] == nil {
		return "", Errorf(ECONFLICT, "cannot %s a request that is %s: it owes no answer", a, s)
	}
	if !answerRequired {
		switch a {
		case ActionAccept, ActionDecline, ActionAnswerPartial, ActionAnswerFinal, ActionRate:
			return "", Errorf(ECONFLICT, "cannot %s a request that is %s: this type owes no answer", a, s)
		}
	}
	return "", Errorf(ECONFLICT, "cannot %s a request that is %s", a, s)
}

// Known reports whether a is one of Actions.
func (a Action) Known() bool {
	for _, k := range Actions {
		if k == a {
			return true
		}
	}
	return false
}

// String returns the action name.
func (a Action) String() string { return string(a) }

// Verb returns the action as the past participle used in event logs.
func (a Action) Verb() string {
	switch a {
	case ActionSend:
		return "sent"
	case ActionDeliver:
		return "delivered"
	case ActionAcknowledge:
		return "acknowledged"
	case ActionAccept:
		return "accepted"
	case ActionDecline:
		return "declined"
	case ActionAnswerPartial:
		return "answered in part"
	case ActionAnswerFinal:
		return "answered in full"
	case ActionRate:
		return "rated"
	case ActionClose:
		return "closed"
	case ActionWithdraw:
		return "withdrawn"
	}
	return fmt.Sprintf("%s (unknown action)", string(a))
}
