package node_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// shareBundle is a case's intelligence: an indicator and an observable of
// one command server, a note only cncert may read (TLP:RED naming it), and
// a note for no peer (TLP:RED naming no one).
func shareBundle() string {
	return `{"type":"bundle","id":"bundle--6b7d4b8e-0a43-4b4e-9a0d-6f1f2d3c4b5a","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--1a1b1c1d-0000-4000-8000-000000000001","created":"2026-05-01T00:00:00.000Z","modified":"2026-05-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.9']","pattern_type":"stix","valid_from":"2026-05-01T00:00:00.000Z"},
{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--1a1b1c1d-0000-4000-8000-000000000002","value":"203.0.113.9"},
{"type":"note","spec_version":"2.1","id":"note--1a1b1c1d-0000-4000-8000-000000000003","created":"2026-05-01T00:00:00.000Z","modified":"2026-05-01T00:00:00.000Z","content":"for cncert only","object_refs":["indicator--1a1b1c1d-0000-4000-8000-000000000001"],"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"],"x_accord_recipients":["cncert"]},
{"type":"note","spec_version":"2.1","id":"note--1a1b1c1d-0000-4000-8000-000000000004","created":"2026-05-01T00:00:00.000Z","modified":"2026-05-01T00:00:00.000Z","content":"ours alone","object_refs":["indicator--1a1b1c1d-0000-4000-8000-000000000001"],"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}
]}`
}

// TestShareWithPeer follows objects from one node's case to the other
// node over signed notifications: TLP decides what goes, the receiving
// node stores what came with the message that proves it, and its
// correlation shows the sender's request beside its own cases.
func TestShareWithPeer(t *testing.T) {
	ctx, clock, us, cn := peerPair(t)
	c, err := us.svc.CreateCase(ctx, analyst, node.NewCase{Title: "C2 at 203.0.113.9", Category: "intrusions", TLP: accord.TLPAmber})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := us.svc.ImportSTIX(ctx, analyst, strings.NewReader(shareBundle()), node.ImportOptions{CaseID: c.ID}); err != nil {
		t.Fatal(err)
	}
	d, err := us.svc.CreateRequest(ctx, liaison, node.NewRequest{CaseID: c.ID, To: "cncert", Type: accord.TypeMitigation, Priority: accord.PriorityHigh, Subject: "C2 at 203.0.113.9"})
	if err != nil {
		t.Fatal(err)
	}

	// Named, the note for no peer refuses the share; nothing is queued.
	_, err = us.svc.Share(ctx, liaison, d.ID, node.ShareSpec{Objects: []string{"note--1a1b1c1d-0000-4000-8000-000000000004"}})
	if accord.ErrorCode(err) != accord.EFORBIDDEN || !strings.Contains(err.Error(), "TLP:RED") {
		t.Errorf("sharing a TLP:RED object the peer is not named in: %v; want forbidden, naming TLP:RED", err)
	}
	_, err = us.svc.Share(ctx, liaison, d.ID, node.ShareSpec{Objects: []string{"indicator--1a1b1c1d-0000-4000-8000-00000000ffff"}})
	if accord.ErrorField(err) != "objects" {
		t.Errorf("sharing an object the case does not hold: %v; want an error on objects", err)
	}
	if _, err := us.svc.Share(ctx, reviewer, d.ID, node.ShareSpec{}); accord.ErrorCode(err) != accord.EFORBIDDEN {
		t.Errorf("a reviewer shares: %v; want forbidden", err)
	}

	rep, err := us.svc.Share(ctx, liaison, d.ID, node.ShareSpec{Note: "what we see"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Shared != 3 || len(rep.Messages) != 1 || len(rep.Withheld) != 1 || rep.Withheld[0].Item != "note--1a1b1c1d-0000-4000-8000-000000000004" {
		t.Errorf("share report = %+v; want 3 shared in one message, the unnamed TLP:RED note withheld", rep)
	}
	clock.Advance(time.Minute)
	if n := pipe(t, ctx, us, cn); n != 2 {
		t.Fatalf("carried %d messages, want the request and the notification", n)
	}

	// Both nodes record the same three versions, out on one side, in on the other.
	shape := func(objs []*accord.SharedObject) []string {
		var out []string
		for _, o := range objs {
			out = append(out, fmt.Sprintf("%s %s %s %s", o.MessageID, o.Peer, o.ObjectID, o.Version))
		}
		slices.Sort(out)
		return out
	}
	sent, err := us.svc.SharedObjects(ctx, reviewer, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cn.svc.SharedObjects(ctx, reviewer, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 3 || len(got) != 3 || sent[0].Direction != accord.SharedOut || got[0].Direction != accord.SharedIn {
		t.Fatalf("shared records: us %d (%v), cn %d (%v)", len(sent), sent, len(got), got)
	}
	for i := range sent {
		sent[i].Peer = "x"
		got[i].Peer = "x"
	}
	if diff := cmp.Diff(shape(sent), shape(got)); diff != "" {
		t.Errorf("the nodes record different shares (-us +cn):\n%s", diff)
	}

	// cncert correlates: its own case with the same address shows us-cert's request.
	cc, err := cn.svc.CreateCase(ctx, analyst, node.NewCase{Title: "Scanning from 203.0.113.0/24", Category: "intrusions"})
	if err != nil {
		t.Fatal(err)
	}
	own := `{"type":"bundle","id":"bundle--6b7d4b8e-0a43-4b4e-9a0d-6f1f2d3c4b5b","objects":[
{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--2a2b2c2d-0000-4000-8000-000000000001","value":"203.0.113.0/24"}]}`
	if _, err := cn.svc.ImportSTIX(ctx, analyst, strings.NewReader(own), node.ImportOptions{CaseID: cc.ID}); err != nil {
		t.Fatal(err)
	}
	cs, err := cn.svc.Correlations(ctx, reviewer, cc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var holders []string
	for _, c := range cs {
		for _, h := range c.Matches {
			holders = append(holders, fmt.Sprintf("%s|%s|%s %s=%s", h.CaseID, h.Peer, h.RequestID, h.Kind, h.Value))
		}
	}
	slices.Sort(holders)
	want := []string{
		"|us-cert|" + d.ID + " ip=203.0.113.9", // the observable
		"|us-cert|" + d.ID + " ip=203.0.113.9", // the indicator's pattern
	}
	if diff := cmp.Diff(want, holders); diff != "" {
		t.Errorf("cncert's correlations (-want +got):\n%s", diff)
	}
	hits, err := cn.svc.Correlate(ctx, reviewer, accord.ObsIP, "203.0.113.9")
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 3 || hits[0].CaseID != cc.ID {
		t.Errorf("Correlate(203.0.113.9) on cncert = %+v; want its case's network, then us-cert's two", hits)
	}

	// The TLP:RED note reached its named recipient; the other did not.
	objs, err := cn.svc.SharedObjects(ctx, reviewer, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, o := range objs {
		ids[o.ObjectID] = true
	}
	if !ids["note--1a1b1c1d-0000-4000-8000-000000000003"] || ids["note--1a1b1c1d-0000-4000-8000-000000000004"] {
		t.Errorf("cncert holds %v", ids)
	}

	// cncert shares back about the incoming request: it has no case there, so it names one.
	if _, err := cn.svc.Share(ctx, liaison, d.ID, node.ShareSpec{}); accord.ErrorField(err) != "case_id" {
		t.Errorf("sharing about a request without a case: %v; want an error on case_id", err)
	}
	// cncert's case also takes us-cert's file: cncert holds those objects
	// already, as the message carried them (canonical JSON, other bytes
	// than the file's), and they are the same versions.
	imp, err := cn.svc.ImportSTIX(ctx, analyst, strings.NewReader(shareBundle()), node.ImportOptions{CaseID: cc.ID})
	if err != nil {
		t.Fatal(err)
	}
	if imp.Unchanged != 3 || imp.Added != 1 || len(imp.Skipped) != 0 {
		t.Errorf("cncert imports what it was shared: %+v; want 3 unchanged (in other bytes), 1 added, none skipped", imp)
	}
	if _, err := cn.svc.Share(ctx, liaison, d.ID, node.ShareSpec{CaseID: cc.ID}); err != nil {
		t.Fatal(err)
	}
	pipe(t, ctx, cn, us)
	// us-cert gets its own indicator and address back, in canonical bytes:
	// the same versions, recorded as shared by cncert.
	back, err := us.svc.SharedObjects(ctx, reviewer, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var in []string
	for _, o := range back {
		if o.Direction == accord.SharedIn {
			in = append(in, o.ObjectID)
		}
	}
	slices.Sort(in)
	wantIn := []string{"indicator--1a1b1c1d-0000-4000-8000-000000000001", "ipv4-addr--1a1b1c1d-0000-4000-8000-000000000002", "ipv4-addr--2a2b2c2d-0000-4000-8000-000000000001"}
	if diff := cmp.Diff(wantIn, in); diff != "" {
		t.Errorf("what us-cert recorded as shared by cncert (-want +got):\n%s", diff)
	}
	// On us-cert, what cncert shared about us-cert's own request joins the request's case.
	ucs, err := us.svc.Correlate(ctx, reviewer, accord.ObsCIDR, "203.0.113.0/24")
	if err != nil {
		t.Fatal(err)
	}
	var where []string
	for _, h := range ucs {
		where = append(where, h.CaseID+"|"+h.Peer+"|"+h.RequestID+" "+h.Value)
	}
	// This node's own cases first, then what peers shared.
	wantWhere := []string{
		c.ID + "|| 203.0.113.0/24",
		c.ID + "|| 203.0.113.9",
		c.ID + "|| 203.0.113.9",
		"|cncert|" + d.ID + " 203.0.113.0/24",
		"|cncert|" + d.ID + " 203.0.113.9",
		"|cncert|" + d.ID + " 203.0.113.9",
	}
	if diff := cmp.Diff(wantWhere, where); diff != "" {
		t.Errorf("us-cert's hits in 203.0.113.0/24 (-want +got):\n%s", diff)
	}
}

// TestShareRefusals: a notification whose objects are not valid STIX, or
// objects in a message kind that does not carry them, is refused whole,
// and nothing is stored.
func TestShareRefusals(t *testing.T) {
	ctx, clock, us, cn := peerPair(t)
	c, _ := us.svc.CreateCase(ctx, analyst, node.NewCase{Title: "Intrusion", Category: "intrusions"})
	d, err := us.svc.CreateRequest(ctx, liaison, node.NewRequest{CaseID: c.ID, To: "cncert", Type: accord.TypeInformation, Priority: accord.PriorityHigh, Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	pipe(t, ctx, us, cn)
	before := snapshotStore(t, ctx, cn.store)
	seal := func(kind accord.MessageKind, body string) *accord.Message {
		m := accord.Message{ID: "msg-" + string(kind), Kind: kind, Sender: "us-cert", Recipient: "cncert", RequestID: d.ID, Seq: 2,
			CreatedAt: clock.Now(), Body: json.RawMessage(body)}
		if err := us.ident.Seal(&m); err != nil {
			t.Fatal(err)
		}
		return &m
	}
	ind := `{"type":"indicator","spec_version":"2.1","id":"indicator--1a1b1c1d-0000-4000-8000-000000000001","created":"2026-05-01T00:00:00.000Z","modified":"2026-05-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.9']","pattern_type":"stix","valid_from":"2026-05-01T00:00:00.000Z"}`
	for _, tc := range []struct {
		name string
		msg  *accord.Message
		want string
	}{
		{"invalid object", seal(accord.KindNotification, `{"objects":[`+ind+`,{"type":"indicator","spec_version":"2.1","id":"indicator--1a1b1c1d-0000-4000-8000-000000000002","created":"2026-05-01T00:00:00.000Z","modified":"2026-05-01T00:00:00.000Z","pattern_type":"stix","valid_from":"2026-05-01T00:00:00.000Z"}]}`), "objects[1]"},
		{"twice", seal(accord.KindNotification, `{"objects":[`+ind+`,`+ind+`]}`), "appears twice"},
		{"objects in a withdrawal", seal(accord.KindWithdraw, `{"objects":[`+ind+`]}`), "carries no objects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := cn.svc.Receive(ctx, "us-cert", []*accord.Message{tc.msg})
			if accord.ErrorCode(res[0].Err) != accord.EINVALID || !strings.Contains(res[0].Err.Error(), tc.want) {
				t.Errorf("Receive = %v; want invalid, naming %q", res[0].Err, tc.want)
			}
			if diff := cmp.Diff(before, snapshotStore(t, ctx, cn.store)); diff != "" {
				t.Errorf("a refused message changed the store (-before +after):\n%s", diff)
			}
			objs, err := cn.svc.SharedObjects(ctx, reviewer, d.ID)
			if err != nil || len(objs) != 0 {
				t.Errorf("after a refusal cncert holds %d shared objects (%v)", len(objs), err)
			}
		})
	}
}

// TestShareTLPProperty generates random objects (TLP 1.0 and 2.0
// markings, none, several; named recipients) in cases of random TLPs and
// checks the two other ways out against the independent rule (entitled,
// in taxii_test.go): a STIX export for the community or a peer holds only
// objects the audience may receive, and a share of a whole case with the
// peer sends exactly those, while naming any other one refuses the share.
func TestShareTLPProperty(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { shareTLPProperty(t, seed) })
	}
}

func shareTLPProperty(t *testing.T, seed uint64) {
	ctx, clock, us, cn := peerPair(t)
	r := rand.New(rand.NewPCG(seed, 7))
	objs := map[string]*tlpObject{}
	caseTLP := map[string]accord.TLP{}
	var cases []string
	for i := 0; i < 5; i++ {
		c, err := us.svc.CreateCase(ctx, analyst, node.NewCase{Title: fmt.Sprint("case ", i), Category: "intrusions", TLP: accord.TLPs[r.IntN(len(accord.TLPs))]})
		if err != nil {
			t.Fatal(err)
		}
		cases, caseTLP[c.ID] = append(cases, c.ID), c.TLP
		var raws []string
		for j := 0; j < 12; j++ {
			o := randomTLPObject(r, i*100+j)
			o.cases = []string{c.ID}
			objs[o.id] = o
			raws = append(raws, string(o.raw))
		}
		bundle := `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-` + fmt.Sprintf("%012x", i) + `","objects":[` + strings.Join(raws, ",") + `]}`
		if _, err := us.svc.ImportSTIX(ctx, analyst, strings.NewReader(bundle), node.ImportOptions{CaseID: c.ID}); err != nil {
			t.Fatal(err)
		}
	}
	effective := func(o *tlpObject) accord.TLP {
		t := caseTLP[o.cases[0]]
		if o.own != "" && rankOf[o.own] > rankOf[t] {
			t = o.own
		}
		return t
	}
	for _, cid := range cases {
		// Export, to each audience.
		for _, aud := range []string{accord.AudienceCommunity, "cncert"} {
			var buf bytes.Buffer
			_, err := us.svc.Export(ctx, reviewer, "stix", cid, aud, &buf)
			if !entitled(caseTLP[cid], aud, accord.TLPRed, nil) && caseTLP[cid] != accord.TLPRed {
				if accord.ErrorCode(err) != accord.EFORBIDDEN {
					t.Errorf("export of %s (TLP:%s) for %s: %v; want forbidden", cid, caseTLP[cid], aud, err)
				}
				continue
			}
			if err != nil {
				if accord.ErrorCode(err) != accord.EFORBIDDEN {
					t.Fatal(err)
				}
				continue
			}
			var b struct {
				Objects []struct{ ID string }
			}
			if err := json.Unmarshal(buf.Bytes(), &b); err != nil {
				t.Fatal(err)
			}
			for _, x := range b.Objects {
				o := objs[x.ID]
				if !entitled(effective(o), aud, accord.TLPRed, o.recipients) {
					t.Errorf("export of %s for %s holds %s (case TLP:%s, own %q, recipients %v)", cid, aud, o.id, caseTLP[cid], o.own, o.recipients)
				}
			}
		}
		// Share of the whole case with the peer, and of each withheld object by name.
		var want []string
		for _, o := range objs {
			if o.cases[0] == cid && entitled(effective(o), "cncert", accord.TLPRed, o.recipients) {
				want = append(want, o.id)
			}
		}
		slices.Sort(want)
		d, err := us.svc.CreateRequest(ctx, liaison, node.NewRequest{CaseID: cid, To: "cncert", Type: accord.TypeInformation, Priority: accord.PriorityNormal, Subject: "about " + cid})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := us.svc.Share(ctx, liaison, d.ID, node.ShareSpec{})
		if len(want) == 0 {
			if accord.ErrorField(err) != "objects" {
				t.Errorf("share of %s, of which cncert may receive nothing: %v", cid, err)
			}
		} else if err != nil {
			t.Fatal(err)
		} else {
			for _, w := range rep.Withheld {
				if _, err := us.svc.Share(ctx, liaison, d.ID, node.ShareSpec{Objects: []string{w.Item}}); accord.ErrorCode(err) != accord.EFORBIDDEN {
					t.Errorf("share of withheld %s by name: %v; want forbidden", w.Item, err)
				}
			}
		}
		clock.Advance(time.Minute)
		pipe(t, ctx, us, cn)
		got, err := cn.svc.SharedObjects(ctx, reviewer, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range got {
			ids = append(ids, o.ObjectID)
		}
		slices.Sort(ids)
		if diff := cmp.Diff(want, ids); diff != "" {
			t.Errorf("cncert received from %s (case TLP:%s) (-entitled +received):\n%s", cid, caseTLP[cid], diff)
		}
	}
}
