package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

func requestTests() []test {
	return []test{
		{"RoundTrip", testRequestRoundTrip},
		{"ZeroFields", testRequestZeroFields},
		{"Duplicate", testRequestDuplicate},
		{"MissingReference", testRequestMissingReference},
		{"Invalid", testRequestInvalid},
		{"NotFound", testRequestNotFound},
		{"Update", testRequestUpdate},
		{"UpdateFixed", testRequestUpdateFixed},
		{"UpdateStale", testRequestUpdateStale},
		{"UpdateMissing", testRequestUpdateMissing},
		{"Filter", testRequestFilter},
		{"Overdue", testRequestOverdue},
	}
}

// getRequest reads one request in its own View, failing the test on an error.
func getRequest(t *testing.T, s accord.Store, id string) *accord.Request {
	t.Helper()
	var r *accord.Request
	view(t, s, func(tx accord.Tx) (err error) {
		r, err = tx.Request(id)
		return err
	})
	return r
}

// countRequests returns the number of stored requests.
func countRequests(t *testing.T, s accord.Store) int {
	t.Helper()
	var n int
	view(t, s, func(tx accord.Tx) (err error) {
		n, err = tx.CountRequests(accord.RequestFilter{})
		return err
	})
	return n
}

func testRequestRoundTrip(t *testing.T, s accord.Store) {
	r := seedRequest(t, s)
	got := getRequest(t, s, r.ID)
	checkDiff(t, "Request", r, got)
	checkUTC(t, "Request", got)
}

func testRequestZeroFields(t *testing.T, s accord.Store) {
	seed(t, s)
	// Only what every request has; no case, no deadline, nothing else.
	r := &accord.Request{ID: "us-cert-I0001", From: peer, To: self, Type: accord.TypeNotification,
		Priority: accord.PriorityLow, Status: accord.StatusSent, SentAt: at(0)}
	update(t, s, func(tx accord.Tx) error { return tx.CreateRequest(r) })
	checkDiff(t, "Request with zero fields", r, getRequest(t, s, r.ID))
}

func testRequestDuplicate(t *testing.T, s accord.Store) {
	r := seedRequest(t, s)
	dup := newRequest(r.ID, case2, peer, self, at(5*time.Hour))
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.CreateRequest(dup) })
	checkCode(t, "CreateRequest with a taken id", err, accord.ECONFLICT)
	checkDiff(t, "Request after a refused duplicate", r, getRequest(t, s, r.ID))
}

func testRequestMissingReference(t *testing.T, s accord.Store) {
	seed(t, s)
	tests := []struct {
		name             string
		caseID, from, to string
	}{
		{"missing case", "us-cert-C0099", self, peer},
		{"missing sender", case1, "nocert", self},
		{"missing recipient", case1, self, "nocert"},
	}
	for _, tc := range tests {
		r := newRequest(request1, tc.caseID, tc.from, tc.to, at(0))
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.CreateRequest(r) })
		checkCode(t, "CreateRequest with a "+tc.name, err, accord.EINVALID)
	}
	if n := countRequests(t, s); n != 0 {
		t.Errorf("CountRequests after refused creates = %d, want 0", n)
	}

	r := newRequest(request1, case1, self, peer, at(0))
	update(t, s, func(tx accord.Tx) error { return tx.CreateRequest(r) })
	for _, tc := range tests {
		r2 := newRequest(request1, tc.caseID, tc.from, tc.to, at(0))
		r2.Seq = r.Seq + 1
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.UpdateRequest(r2) })
		checkCode(t, "UpdateRequest with a "+tc.name, err, accord.EINVALID)
	}
	checkDiff(t, "Request after refused updates", r, getRequest(t, s, r.ID))
}

func testRequestInvalid(t *testing.T, s accord.Store) {
	seed(t, s)
	tests := []struct {
		name   string
		change func(r *accord.Request)
	}{
		{"empty id", func(r *accord.Request) { r.ID = "" }},
		{"unknown type", func(r *accord.Request) { r.Type = "gossip" }},
		{"unknown priority", func(r *accord.Request) { r.Priority = "urgent" }},
		{"unknown status", func(r *accord.Request) { r.Status = "overdue" }},
		{"empty status", func(r *accord.Request) { r.Status = "" }},
		{"rating 6", func(r *accord.Request) { r.Rating = 6 }},
		{"rating -1", func(r *accord.Request) { r.Rating = -1 }},
		{"zero SentAt", func(r *accord.Request) { r.SentAt = time.Time{} }},
	}
	for _, tc := range tests {
		r := newRequest(request1, case1, self, peer, at(0))
		tc.change(r)
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.CreateRequest(r) })
		checkCode(t, "CreateRequest with "+tc.name, err, accord.EINVALID)
	}
	if n := countRequests(t, s); n != 0 {
		t.Errorf("CountRequests after refused creates = %d, want 0", n)
	}
	for _, f := range []accord.RequestFilter{{Limit: -1}, {Offset: -1}} {
		err := tryView(s, func(tx accord.Tx) error {
			_, err := tx.Requests(f)
			return err
		})
		checkCode(t, "Requests with a negative limit or offset", err, accord.EINVALID)
	}
}

func testRequestNotFound(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	err := tryView(s, func(tx accord.Tx) error {
		r, err := tx.Request("us-cert-R0007")
		if r != nil {
			t.Errorf("Request(us-cert-R0007) = %+v, want nil", r)
		}
		return err
	})
	checkCode(t, "Request(us-cert-R0007)", err, accord.ENOTFOUND)
	checkMessage(t, "Request(us-cert-R0007)", err, "us-cert-R0007")
}

func testRequestUpdate(t *testing.T, s accord.Store) {
	r := seedRequest(t, s)
	// Every lifecycle field changes; the fields fixed at creation stay.
	r2 := *r
	h := func(n int) time.Time { return elsewhere(at(time.Duration(n)*time.Hour + 3*time.Microsecond)) }
	r2.Status, r2.Seq = accord.StatusWithdrawn, r.Seq+1
	r2.ReceivedAt, r2.AcknowledgeBy, r2.AnswerBy = h(11), h(12), h(13)
	r2.AgreementDigest, r2.DeclineGround, r2.DeclineText = "sha256:00", "other", "other text"
	r2.AcknowledgedAt, r2.AcceptedAt, r2.DeclinedAt = h(14), h(15), h(16)
	r2.FirstAnsweredAt, r2.AnsweredAt, r2.RatedAt = h(17), h(18), h(19)
	r2.Rating, r2.RatingComment = 2, "poor"
	r2.ClosedAt, r2.WithdrawnAt, r2.PreserveUntil, r2.UpdatedAt = h(20), h(21), h(22), h(23)
	update(t, s, func(tx accord.Tx) error { return tx.UpdateRequest(&r2) })
	got := getRequest(t, s, r.ID)
	checkDiff(t, "Request after UpdateRequest", &r2, got)
	checkUTC(t, "Request after UpdateRequest", got)

	// And back to zero values.
	r3 := &accord.Request{ID: r.ID, CaseID: r.CaseID, From: r.From, To: r.To, Type: r.Type, Priority: r.Priority,
		Subject: r.Subject, Body: r.Body, LegalBasis: r.LegalBasis, ExternalRef: r.ExternalRef,
		Status: accord.StatusSent, SentAt: r.SentAt, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Seq: r2.Seq + 1}
	update(t, s, func(tx accord.Tx) error { return tx.UpdateRequest(r3) })
	checkDiff(t, "Request after UpdateRequest to zero fields", r3, getRequest(t, s, r.ID))
}

func testRequestUpdateFixed(t *testing.T, s accord.Store) {
	r := seedRequest(t, s)
	tests := []struct {
		field  string
		change func(r *accord.Request)
	}{
		{"case_id", func(r *accord.Request) { r.CaseID = case2 }},
		{"case_id", func(r *accord.Request) { r.CaseID = "" }},
		{"from", func(r *accord.Request) { r.From = peer }},
		{"to", func(r *accord.Request) { r.To = local }},
		{"type", func(r *accord.Request) { r.Type = accord.TypeMitigation }},
		{"priority", func(r *accord.Request) { r.Priority = accord.PriorityEmergency }},
		{"subject", func(r *accord.Request) { r.Subject = "new subject" }},
		{"body", func(r *accord.Request) { r.Body = "new body" }},
		{"legal_basis", func(r *accord.Request) { r.LegalBasis = "new basis" }},
		{"external_ref", func(r *accord.Request) { r.ExternalRef = "new ref" }},
		{"sent_at", func(r *accord.Request) { r.SentAt = r.SentAt.Add(time.Microsecond) }},
		{"created_by", func(r *accord.Request) { r.CreatedBy = "erin" }},
		{"created_at", func(r *accord.Request) { r.CreatedAt = r.CreatedAt.Add(time.Second) }},
	}
	for _, tc := range tests {
		r2 := *r
		r2.Status, r2.Seq = accord.StatusClosed, r.Seq+1
		tc.change(&r2)
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.UpdateRequest(&r2) })
		checkCode(t, "UpdateRequest changing "+tc.field, err, accord.EINVALID)
		checkField(t, "UpdateRequest changing "+tc.field, err, tc.field)
	}
	checkDiff(t, "Request after refused updates", r, getRequest(t, s, r.ID))
}

func testRequestUpdateStale(t *testing.T, s accord.Store) {
	r := seedRequest(t, s) // stored with Seq 7
	for _, seq := range []int{r.Seq, r.Seq + 2, r.Seq - 1, 0} {
		r2 := newRequest(r.ID, case1, self, peer, at(2*time.Hour))
		r2.Status, r2.Seq = accord.StatusClosed, seq
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.UpdateRequest(r2) })
		checkCode(t, fmt.Sprintf("UpdateRequest with Seq %d on stored Seq %d", seq, r.Seq), err, accord.ECONFLICT)
	}
	checkDiff(t, "Request after stale updates", r, getRequest(t, s, r.ID))

	// Two updates in one transaction, each one step further, both apply.
	update(t, s, func(tx accord.Tx) error {
		for _, seq := range []int{r.Seq + 1, r.Seq + 2} {
			r2 := newRequest(r.ID, case1, self, peer, at(2*time.Hour))
			r2.Seq = seq
			if err := tx.UpdateRequest(r2); err != nil {
				return err
			}
		}
		return nil
	})
	if got := getRequest(t, s, r.ID); got.Seq != r.Seq+2 {
		t.Errorf("Request.Seq after two updates = %d, want %d", got.Seq, r.Seq+2)
	}
}

func testRequestUpdateMissing(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	r := newRequest("us-cert-R0007", case1, self, peer, at(0))
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.UpdateRequest(r) })
	checkCode(t, "UpdateRequest of a missing request", err, accord.ENOTFOUND)
	if n := countRequests(t, s); n != 1 {
		t.Errorf("CountRequests after UpdateRequest of a missing request = %d, want 1", n)
	}
}

// Request ids of the filter test.
const (
	r1 = "us-cert-R0001"
	r2 = "us-cert-R0002"
	r3 = "us-cert-R0003"
	r4 = "us-cert-R0004"
	i1 = "us-cert-I0001"
	i2 = "us-cert-I0002"
)

func testRequestFilter(t *testing.T, s accord.Store) {
	seed(t, s)
	mk := func(id, caseID, from, to string, typ accord.RequestType, status accord.Status, sent, ackBy, answerBy time.Duration) *accord.Request {
		r := newRequest(id, caseID, from, to, at(sent))
		r.Type, r.Status = typ, status
		r.AcknowledgeBy, r.AnswerBy = at(ackBy), time.Time{}
		if answerBy != 0 {
			r.AnswerBy = at(answerBy)
		}
		return r
	}
	h := time.Hour
	requests := []*accord.Request{ // not in id or time order
		mk(r3, case2, self, peer, accord.TypePreservation, accord.StatusAnsweredFinal, 2*h, 3*h, 5*h),
		mk(r1, case1, self, peer, accord.TypeInformation, accord.StatusSent, 0, 5*h, 20*h),
		mk(i2, case2, local, self, accord.TypeEvidence, accord.StatusAccepted, 3*h, 4*h, 8*h),
		mk(r4, case1, self, peer, accord.TypeInformation, accord.StatusClosed, 4*h, 5*h, 6*h),
		mk(i1, "", peer, self, accord.TypeNotification, accord.StatusDelivered, 2*h, 12*h, 0),
		mk(r2, case1, self, local, accord.TypeInvestigation, accord.StatusAcknowledged, h, 2*h, 20*h),
	}
	update(t, s, func(tx accord.Tx) error {
		for _, r := range requests {
			if err := tx.CreateRequest(r); err != nil {
				return err
			}
		}
		return nil
	})
	byID := map[string]*accord.Request{}
	for _, r := range requests {
		byID[r.ID] = r
	}
	all := []string{r4, i2, r3, i1, r2, r1} // sent descending; r3 and i1 tie, r3 > i1
	tests := []struct {
		name      string
		filter    accord.RequestFilter
		want      []string
		wantCount int // -1: len(want)
	}{
		{"none", accord.RequestFilter{}, all, -1},
		{"empty statuses", accord.RequestFilter{Statuses: []accord.Status{}}, all, -1},
		{"case 1", accord.RequestFilter{CaseID: case1}, []string{r4, r2, r1}, -1},
		{"case 2", accord.RequestFilter{CaseID: case2}, []string{i2, r3}, -1},
		{"unknown case", accord.RequestFilter{CaseID: "us-cert-C0099"}, []string{}, -1},
		{"party peer", accord.RequestFilter{Party: peer}, []string{r4, r3, i1, r1}, -1},
		{"party local", accord.RequestFilter{Party: local}, []string{i2, r2}, -1},
		{"party self", accord.RequestFilter{Party: self}, all, -1},
		{"from self", accord.RequestFilter{From: self}, []string{r4, r3, r2, r1}, -1},
		{"from peer", accord.RequestFilter{From: peer}, []string{i1}, -1},
		{"to self", accord.RequestFilter{To: self}, []string{i2, i1}, -1},
		{"to local", accord.RequestFilter{To: local}, []string{r2}, -1},
		{"type information", accord.RequestFilter{Type: accord.TypeInformation}, []string{r4, r1}, -1},
		{"type mitigation", accord.RequestFilter{Type: accord.TypeMitigation}, []string{}, -1},
		{"one status", accord.RequestFilter{Statuses: []accord.Status{accord.StatusSent}}, []string{r1}, -1},
		{"three statuses", accord.RequestFilter{Statuses: []accord.Status{accord.StatusDelivered, accord.StatusAccepted, accord.StatusClosed}}, []string{r4, i2, i1}, -1},
		{"overdue", accord.RequestFilter{OverdueAt: at(10 * h)}, []string{i2, r1}, -1},
		{"overdue early", accord.RequestFilter{OverdueAt: at(h)}, []string{}, -1},
		{"case, recipient and statuses", accord.RequestFilter{CaseID: case1, To: peer, Statuses: []accord.Status{accord.StatusSent, accord.StatusClosed}}, []string{r4, r1}, -1},
		{"party and sender", accord.RequestFilter{Party: peer, From: peer}, []string{i1}, -1},
		{"party and sender disjoint", accord.RequestFilter{Party: local, From: peer}, []string{}, -1},
		{"type and overdue", accord.RequestFilter{Type: accord.TypeInformation, OverdueAt: at(10 * h)}, []string{r1}, -1},
		{"limit", accord.RequestFilter{Limit: 2}, []string{r4, i2}, 6},
		{"limit and offset", accord.RequestFilter{Limit: 2, Offset: 2}, []string{r3, i1}, 6},
		{"offset only", accord.RequestFilter{Offset: 4}, []string{r2, r1}, 6},
		{"offset past the end", accord.RequestFilter{Offset: 6}, []string{}, 6},
		{"party, limit and offset", accord.RequestFilter{Party: peer, Limit: 1, Offset: 1}, []string{r3}, 4},
	}
	for _, tc := range tests {
		view(t, s, func(tx accord.Tx) error {
			got, err := tx.Requests(tc.filter)
			if err != nil {
				t.Fatalf("Requests(%s): %v", tc.name, err)
			}
			if got == nil {
				t.Errorf("Requests(%s) = nil, want a non-nil slice", tc.name)
			}
			want := []*accord.Request{}
			for _, id := range tc.want {
				want = append(want, byID[id])
			}
			checkDiff(t, "Requests("+tc.name+")", want, got)
			n, err := tx.CountRequests(tc.filter)
			if err != nil {
				t.Fatalf("CountRequests(%s): %v", tc.name, err)
			}
			wantCount := tc.wantCount
			if wantCount < 0 {
				wantCount = len(tc.want)
			}
			if n != wantCount {
				t.Errorf("CountRequests(%s) = %d, want %d", tc.name, n, wantCount)
			}
			return nil
		})
	}
}

func testRequestOverdue(t *testing.T, s accord.Store) {
	seed(t, s)
	T := at(100 * time.Hour) // the deadline under test
	us := time.Microsecond
	var zero time.Time
	tests := []struct {
		name         string
		status       accord.Status
		ackBy, ansBy time.Time
		wantAtT      bool // overdue at T, by accord.Request.Overdue
	}{
		{"sent, acknowledge deadline at T", accord.StatusSent, T, T.Add(time.Hour), false},
		{"sent, acknowledge deadline just before T", accord.StatusSent, T.Add(-us), T.Add(time.Hour), true},
		{"sent, acknowledge deadline after T", accord.StatusSent, T.Add(us), T.Add(time.Hour), false},
		{"sent, no acknowledge deadline", accord.StatusSent, zero, zero, true},
		{"delivered, acknowledge deadline at T", accord.StatusDelivered, T, zero, false},
		{"delivered, acknowledge deadline just before T", accord.StatusDelivered, T.Add(-us), zero, true},
		{"acknowledged, acknowledge deadline passed, answer not due", accord.StatusAcknowledged, T.Add(-time.Hour), T.Add(us), false},
		{"acknowledged, answer deadline at T", accord.StatusAcknowledged, T.Add(-time.Hour), T, false},
		{"acknowledged, answer deadline just before T", accord.StatusAcknowledged, T.Add(-time.Hour), T.Add(-us), true},
		{"accepted, answer deadline at T", accord.StatusAccepted, T.Add(-time.Hour), T, false},
		{"accepted, answer deadline just before T", accord.StatusAccepted, T.Add(-time.Hour), T.Add(-us), true},
		{"answered in part, answer deadline just before T", accord.StatusAnsweredPartial, T.Add(-time.Hour), T.Add(-us), true},
		{"answered in part, no answer owed", accord.StatusAnsweredPartial, T.Add(-time.Hour), zero, false},
		{"acknowledged, no answer owed", accord.StatusAcknowledged, T.Add(-time.Hour), zero, false},
		{"answered in full, deadlines passed", accord.StatusAnsweredFinal, T.Add(-time.Hour), T.Add(-us), false},
		{"declined, deadlines passed", accord.StatusDeclined, T.Add(-time.Hour), T.Add(-us), false},
		{"rated, deadlines passed", accord.StatusRated, T.Add(-time.Hour), T.Add(-us), false},
		{"closed, deadlines passed", accord.StatusClosed, T.Add(-time.Hour), T.Add(-us), false},
		{"withdrawn, deadlines passed", accord.StatusWithdrawn, T.Add(-time.Hour), T.Add(-us), false},
	}
	names := map[string]string{}
	wantAtT := map[string]bool{}
	update(t, s, func(tx accord.Tx) error {
		for i, tc := range tests {
			r := newRequest(fmt.Sprintf("us-cert-R%04d", i+1), case1, self, peer, at(0))
			r.Status, r.AcknowledgeBy, r.AnswerBy = tc.status, tc.ackBy, tc.ansBy
			names[r.ID], wantAtT[r.ID] = tc.name, tc.wantAtT
			if err := tx.CreateRequest(r); err != nil {
				return err
			}
		}
		return nil
	})
	var stored []*accord.Request
	view(t, s, func(tx accord.Tx) (err error) {
		stored, err = tx.Requests(accord.RequestFilter{})
		return err
	})
	// The table itself must agree with accord.Request.Overdue, the reference.
	for _, r := range stored {
		if got := r.Overdue(T) != accord.NotOverdue; got != wantAtT[r.ID] {
			t.Fatalf("fixture %q: Request.Overdue(T) says overdue = %v, the table says %v", names[r.ID], got, wantAtT[r.ID])
		}
	}
	instants := []struct {
		name string
		at   time.Time
	}{
		{"T-1µs", T.Add(-us)},
		{"T", T},
		{"T+1ns", T.Add(time.Nanosecond)},
		{"T+999ns", T.Add(999 * time.Nanosecond)},
		{"T+1µs", T.Add(us)},
		{"T+1h", T.Add(time.Hour)},
		{"T in another zone", elsewhere(T)},
	}
	for _, in := range instants {
		var want []string
		for _, r := range stored {
			if r.Overdue(in.at) != accord.NotOverdue {
				want = append(want, r.ID)
			}
		}
		slices.Sort(want)
		view(t, s, func(tx accord.Tx) error {
			got, err := tx.Requests(accord.RequestFilter{OverdueAt: in.at})
			if err != nil {
				t.Fatalf("Requests(OverdueAt %s): %v", in.name, err)
			}
			var gotIDs []string
			for _, r := range got {
				gotIDs = append(gotIDs, r.ID)
			}
			slices.Sort(gotIDs)
			for _, id := range diffIDs(want, gotIDs) {
				t.Errorf("Requests(OverdueAt %s): %q (%s) overdue = %v, want %v", in.name, id, names[id], slices.Contains(gotIDs, id), slices.Contains(want, id))
			}
			n, err := tx.CountRequests(accord.RequestFilter{OverdueAt: in.at})
			if err != nil {
				t.Fatalf("CountRequests(OverdueAt %s): %v", in.name, err)
			}
			if n != len(want) {
				t.Errorf("CountRequests(OverdueAt %s) = %d, want %d", in.name, n, len(want))
			}
			return nil
		})
	}
}

// diffIDs returns the ids in exactly one of the sorted lists a and b.
func diffIDs(a, b []string) []string {
	var out []string
	for _, id := range a {
		if !slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	for _, id := range b {
		if !slices.Contains(a, id) {
			out = append(out, id)
		}
	}
	return out
}

func eventTests() []test {
	return []test{
		{"RoundTrip", testEventRoundTrip},
		{"Empty", testEventEmpty},
		{"Duplicate", testEventDuplicate},
		{"Invalid", testEventInvalid},
	}
}

func testEventRoundTrip(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	send := newEvent(request1, 1)
	send.Action, send.From, send.To, send.Note = accord.ActionSend, "", accord.StatusSent, "" // the first event has no from status
	deliver := newEvent(request1, 2)
	deliver.Action, deliver.From, deliver.To = accord.ActionDeliver, accord.StatusSent, accord.StatusDelivered
	ack := newEvent(request1, 3)
	// Seq order, not time order: an event recorded afterwards may be dated
	// before the ones recorded first.
	send.At, send.RecordedAt = at(9*time.Hour), at(9*time.Hour)
	update(t, s, func(tx accord.Tx) error {
		for _, e := range []*accord.Event{ack, send, deliver} { // not in Seq order
			if err := tx.AddEvent(e); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Events(request1)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		checkDiff(t, "Events (in Seq order)", []*accord.Event{send, deliver, ack}, got)
		for _, e := range got {
			checkUTC(t, "Events", e)
		}
		return nil
	})
}

func testEventEmpty(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Events(request1)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		checkEmpty(t, "Events of a request without events", got)
		return nil
	})
}

func testEventDuplicate(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	other := newRequest("us-cert-R0002", case1, self, peer, at(0))
	e := newEvent(request1, 1)
	update(t, s, func(tx accord.Tx) error {
		if err := tx.CreateRequest(other); err != nil {
			return err
		}
		if err := tx.AddEvent(e); err != nil {
			return err
		}
		return tx.AddEvent(newEvent(other.ID, 1)) // the same Seq on another request is fine
	})
	dup := newEvent(request1, 1)
	dup.Note = "again"
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddEvent(dup) })
	checkCode(t, "AddEvent with a taken (request, seq)", err, accord.ECONFLICT)
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Events(request1)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		checkDiff(t, "Events after a refused duplicate", []*accord.Event{e}, got)
		return nil
	})
}

func testEventInvalid(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	tests := []struct {
		name   string
		change func(e *accord.Event)
	}{
		{"missing request", func(e *accord.Event) { e.RequestID = "us-cert-R0099" }},
		{"Seq 0", func(e *accord.Event) { e.Seq = 0 }},
		{"unknown action", func(e *accord.Event) { e.Action = "forward" }},
		{"unknown from status", func(e *accord.Event) { e.From = "lost" }},
		{"unknown to status", func(e *accord.Event) { e.To = "lost" }},
	}
	for _, tc := range tests {
		e := newEvent(request1, 1)
		tc.change(e)
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddEvent(e) })
		checkCode(t, "AddEvent with "+tc.name, err, accord.EINVALID)
	}
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Events(request1)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		checkEmpty(t, "Events after refused events", got)
		return nil
	})
}

func answerTests() []test {
	return []test{
		{"RoundTrip", testAnswerRoundTrip},
		{"Empty", testAnswerEmpty},
		{"Duplicate", testAnswerDuplicate},
		{"Invalid", testAnswerInvalid},
	}
}

func testAnswerRoundTrip(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	a5, a6, a8 := newAnswer(request1, 5, false), newAnswer(request1, 6, false), newAnswer(request1, 8, true)
	a5.At = at(20 * time.Hour) // Seq order, not time order
	update(t, s, func(tx accord.Tx) error {
		for _, a := range []*accord.Answer{a8, a5, a6} { // not in Seq order
			if err := tx.AddAnswer(a); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Answers(request1)
		if err != nil {
			t.Fatalf("Answers: %v", err)
		}
		checkDiff(t, "Answers (in Seq order)", []*accord.Answer{a5, a6, a8}, got)
		for _, a := range got {
			checkUTC(t, "Answers", a)
		}
		return nil
	})
}

func testAnswerEmpty(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Answers(request1)
		if err != nil {
			t.Fatalf("Answers: %v", err)
		}
		checkEmpty(t, "Answers of a request without answers", got)
		return nil
	})
}

func testAnswerDuplicate(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	a := newAnswer(request1, 5, false)
	update(t, s, func(tx accord.Tx) error { return tx.AddAnswer(a) })
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddAnswer(newAnswer(request1, 5, true)) })
	checkCode(t, "AddAnswer with a taken (request, seq)", err, accord.ECONFLICT)
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Answers(request1)
		if err != nil {
			t.Fatalf("Answers: %v", err)
		}
		checkDiff(t, "Answers after a refused duplicate", []*accord.Answer{a}, got)
		return nil
	})
}

func testAnswerInvalid(t *testing.T, s accord.Store) {
	seedRequest(t, s)
	tests := []struct {
		name   string
		change func(a *accord.Answer)
	}{
		{"missing request", func(a *accord.Answer) { a.RequestID = "us-cert-R0099" }},
		{"Seq 0", func(a *accord.Answer) { a.Seq = 0 }},
	}
	for _, tc := range tests {
		a := newAnswer(request1, 1, true)
		tc.change(a)
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddAnswer(a) })
		checkCode(t, "AddAnswer with "+tc.name, err, accord.EINVALID)
	}
}
