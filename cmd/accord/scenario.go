package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// scenario is the demo's exchange between us-cert and cncert. The cases are
// written from public reporting (the 2015 breach of a US federal personnel
// agency's background-investigation records; the 2014 US indictment over
// theft of trade secrets from US nuclear-plant, steel and solar
// manufacturers; CNCERT's yearly reports of botnet command servers hosted
// abroad); the names of systems, addresses and people are invented, and
// addresses come from the documentation ranges of RFC 5737 and RFC 3849.
type scenario struct {
	ctx    context.Context
	clock  *scenarioClock
	us, cn *demoNode
}

var (
	usLiaison = accord.Actor{Name: "j.miller", Role: accord.RoleLiaison}
	usAnalyst = accord.Actor{Name: "r.chen", Role: accord.RoleAnalyst}
	cnLiaison = accord.Actor{Name: "wang.lei", Role: accord.RoleLiaison}
	cnAnalyst = accord.Actor{Name: "zhao.min", Role: accord.RoleAnalyst}
)

// play runs the whole exchange; each step is delivered and receipted before
// the clock moves on.
func (s *scenario) play() error {
	// Cases.
	opm, err := s.us.env.svc.CreateCase(s.ctx, usAnalyst, node.NewCase{
		Title:    "Intrusion into a federal personnel agency's background-investigation systems",
		Summary:  "Records of background investigations were exfiltrated over several months through a contractor's credentials; the operators used hosting and domains registered abroad.",
		Category: "intrusions", Sectors: []string{"public-administration"}, AffectedCountry: "US", OriginCountry: "CN", TLP: accord.TLPAmber,
	})
	if err != nil {
		return err
	}
	steel, err := s.us.env.svc.CreateCase(s.ctx, usAnalyst, node.NewCase{
		Title:    "Theft of trade secrets from a steel and nuclear-plant manufacturer",
		Summary:  "Design documents and negotiation e-mails were taken from a manufacturer during a commercial dispute; staging servers and mailboxes were hosted abroad.",
		Category: "intrusions", Sectors: []string{"manufacturing", "energy"}, AffectedCountry: "US", OriginCountry: "CN", TLP: accord.TLPAmberStrict,
	})
	if err != nil {
		return err
	}
	botnet, err := s.cn.env.svc.CreateCase(s.ctx, cnAnalyst, node.NewCase{
		Title:    "Botnet attacking Chinese hosts, with command servers in the United States",
		Summary:  "A DDoS botnet of compromised routers and IoT devices in China is controlled from servers at US hosting providers.",
		Category: "malicious-code", Sectors: []string{"digital-infrastructure"}, AffectedCountry: "CN", OriginCountry: "US", TLP: accord.TLPGreen,
	})
	if err != nil {
		return err
	}
	phish, err := s.cn.env.svc.CreateCase(s.ctx, cnAnalyst, node.NewCase{
		Title:    "Spear-phishing of university research staff",
		Summary:  "Researchers at an aerospace institute received lures linking to credential-harvesting pages hosted in the United States.",
		Category: "fraud", Sectors: []string{"research", "education"}, AffectedCountry: "CN", OriginCountry: "US", TLP: accord.TLPAmber,
	})
	if err != nil {
		return err
	}

	// Threat intelligence of two cases, which share a command server.
	if _, err := s.us.env.svc.ImportSTIX(s.ctx, usAnalyst, strings.NewReader(opmIntel), node.ImportOptions{CaseID: opm.ID, Source: "stix:opm-indicators.json"}); err != nil {
		return fmt.Errorf("us-cert import: %w", err)
	}
	if _, err := s.cn.env.svc.ImportSTIX(s.ctx, cnAnalyst, strings.NewReader(botnetIntel), node.ImportOptions{CaseID: botnet.ID, Source: "stix:botnet-c2.json"}); err != nil {
		return fmt.Errorf("cncert import: %w", err)
	}

	type req struct {
		from   *demoNode
		caseID string
		typ    accord.RequestType
		prio   accord.Priority
		subj   string
		body   string
		basis  string
		id     string
	}
	reqs := []*req{
		{s.us, opm.ID, accord.TypeInformation, accord.PriorityHigh, "Registration and hosting records of domains used in the intrusion",
			"Five domains used for command and control (listed in the annex) resolve to 192.0.2.0/24. Please share registrant and hosting records.", "2015 joint statement: requests for information", ""},
		{s.us, opm.ID, accord.TypePreservation, accord.PriorityEmergency, "Preserve logs of three servers at a hosting provider in Shanghai",
			"Please preserve connection and account logs of 192.0.2.17, 192.0.2.18 and 192.0.2.40 for 1 April to 30 June.", "Budapest Convention art. 29 (by analogy)", ""},
		{s.us, steel.ID, accord.TypeEvidence, accord.PriorityNormal, "Subscriber records of mailboxes used to stage stolen documents",
			"Please produce subscriber information of the three mailboxes in the annex.", "Mutual legal assistance", ""},
		{s.us, steel.ID, accord.TypeInvestigation, accord.PriorityHigh, "Identify the operators of the exfiltration infrastructure",
			"Please investigate who operated the staging servers at 198.51.100.23 and 198.51.100.24.", "2015 joint statement: assistance in investigations", ""},
		{s.us, opm.ID, accord.TypeMitigation, accord.PriorityHigh, "Take down the command server at 192.0.2.40",
			"The server still answers the implant's beacons; please have it taken offline.", "2015 joint statement: mitigate malicious activity from territory", ""},
		{s.us, steel.ID, accord.TypeNotification, accord.PriorityNormal, "Indicators from the manufacturer intrusion, for awareness",
			"Hashes and domains attached; no answer needed.", "", ""},
		{s.cn, botnet.ID, accord.TypeMitigation, accord.PriorityEmergency, "Stop the botnet command servers hosted in the United States",
			"Servers 203.0.113.5 and 203.0.113.6 command a DDoS botnet attacking hosts in Guangdong.", "2015 joint statement: mitigate malicious activity from territory", ""},
		{s.cn, botnet.ID, accord.TypeInformation, accord.PriorityNormal, "Owner of the hosting accounts of the command servers",
			"Please share the account holder of 203.0.113.5 and 203.0.113.6.", "2015 joint statement: requests for information", ""},
		{s.cn, botnet.ID, accord.TypePreservation, accord.PriorityHigh, "Preserve hosting-provider logs of the command servers",
			"Please preserve access logs of 203.0.113.5 and 203.0.113.6.", "Budapest Convention art. 29 (by analogy)", ""},
		{s.cn, botnet.ID, accord.TypeEvidence, accord.PriorityNormal, "Disk images of the command servers",
			"Please collect and produce images of both servers.", "Mutual legal assistance", ""},
		{s.cn, phish.ID, accord.TypeInvestigation, accord.PriorityNormal, "Identify who registered the phishing domains",
			"Lures linked to pages at 2001:db8::45; please investigate the registrant.", "2015 joint statement: assistance in investigations", ""},
		{s.cn, phish.ID, accord.TypeNotification, accord.PriorityLow, "Phishing indicators, for awareness",
			"Sender addresses and URLs attached; no answer needed.", "", ""},
	}
	liaisonOf := map[*demoNode]accord.Actor{s.us: usLiaison, s.cn: cnLiaison}
	other := map[*demoNode]*demoNode{s.us: s.cn, s.cn: s.us}
	for _, r := range reqs {
		d, err := r.from.env.svc.CreateRequest(s.ctx, liaisonOf[r.from], node.NewRequest{CaseID: r.caseID, To: other[r.from].id,
			Type: r.typ, Priority: r.prio, Subject: r.subj, Body: r.body, LegalBasis: r.basis})
		if err != nil {
			return fmt.Errorf("send %q: %w", r.subj, err)
		}
		r.id = d.ID
		if err := s.settle(10 * time.Minute); err != nil {
			return err
		}
	}

	// Each side shares the intelligence of its case with the request about
	// it (us-cert's TLP:RED note stays home); each then sees the other's
	// command server in its correlations.
	for _, sh := range []struct {
		by  *demoNode
		req int
	}{{s.us, 0}, {s.cn, 6}} {
		if _, err := sh.by.env.svc.Share(s.ctx, liaisonOf[sh.by], reqs[sh.req].id, node.ShareSpec{Note: "indicators of the case"}); err != nil {
			return fmt.Errorf("%s share on %s: %w", sh.by.id, reqs[sh.req].id, err)
		}
		if err := s.settle(5 * time.Minute); err != nil {
			return err
		}
	}

	// Steps, in the order they happen, each by the party whose step it is.
	type step struct {
		by    *demoNode
		req   int // index into reqs
		st    node.Step
		after time.Duration // scenario time before the step
	}
	// Files added as evidence and attached to the final answer of a request.
	annexes := map[int]*annex{0: registrantAnnex}
	steps := []step{
		{s.cn, 1, node.Step{Action: accord.ActionAcknowledge}, 30 * time.Minute},
		{s.cn, 1, node.Step{Action: accord.ActionAccept}, 10 * time.Minute},
		{s.us, 6, node.Step{Action: accord.ActionAcknowledge}, 20 * time.Minute},
		{s.us, 6, node.Step{Action: accord.ActionAccept}, 5 * time.Minute},
		{s.cn, 1, node.Step{Action: accord.ActionAnswerFinal, Body: "Logs of the three servers are preserved until 3 July; production needs a formal request."}, 3 * time.Hour},
		{s.us, 6, node.Step{Action: accord.ActionAnswerPartial, Body: "203.0.113.5 was taken offline by its provider; 203.0.113.6 is being examined."}, 2 * time.Hour},
		{s.us, 6, node.Step{Action: accord.ActionAnswerFinal, Body: "Both servers are offline; the accounts were suspended."}, 12 * time.Hour},
		{s.cn, 0, node.Step{Action: accord.ActionAcknowledge}, time.Hour},
		{s.cn, 0, node.Step{Action: accord.ActionAccept}, time.Hour},
		{s.cn, 4, node.Step{Action: accord.ActionAcknowledge}, time.Hour},
		{s.cn, 4, node.Step{Action: accord.ActionAccept}, time.Hour},
		{s.cn, 5, node.Step{Action: accord.ActionAcknowledge}, time.Hour},
		{s.us, 5, node.Step{Action: accord.ActionClose, Note: "notification acknowledged"}, time.Hour},
		{s.us, 7, node.Step{Action: accord.ActionAcknowledge}, 2 * time.Hour},
		{s.us, 8, node.Step{Action: accord.ActionAcknowledge}, 30 * time.Minute},
		{s.us, 8, node.Step{Action: accord.ActionAccept}, 30 * time.Minute},
		{s.us, 11, node.Step{Action: accord.ActionAcknowledge}, time.Hour},
		{s.cn, 11, node.Step{Action: accord.ActionClose}, time.Hour},
		{s.cn, 6, node.Step{Action: accord.ActionRate, Score: 5, Comment: "fast and complete"}, time.Hour},
		{s.cn, 6, node.Step{Action: accord.ActionClose}, 10 * time.Minute},
		{s.cn, 2, node.Step{Action: accord.ActionAcknowledge}, 6 * time.Hour},
		{s.cn, 2, node.Step{Action: accord.ActionDecline, Ground: "national-law", Text: "Production of subscriber data needs a request under the mutual legal assistance treaty."}, 20 * time.Hour},
		{s.cn, 4, node.Step{Action: accord.ActionAnswerFinal, Body: "The provider took 192.0.2.40 offline on 6 May."}, 10 * time.Hour},
		{s.us, 4, node.Step{Action: accord.ActionRate, Score: 4, Comment: "done within the deadline"}, time.Hour},
		{s.us, 9, node.Step{Action: accord.ActionAcknowledge}, 2 * time.Hour},
		{s.cn, 9, node.Step{Action: accord.ActionWithdraw, Note: "the servers were re-imaged by their provider; images are no longer useful"}, 4 * time.Hour},
		{s.us, 8, node.Step{Action: accord.ActionAnswerFinal, Body: "Access logs of both servers are preserved for 90 days."}, 2 * time.Hour},
		{s.cn, 0, node.Step{Action: accord.ActionAnswerPartial, Body: "Four of the five domains were registered through a reseller; records follow."}, 30 * time.Hour},
		{s.cn, 0, node.Step{Action: accord.ActionAnswerFinal, Body: "Registrant and hosting records of all five domains are in the annex."}, 40 * time.Hour},
		{s.us, 0, node.Step{Action: accord.ActionRate, Score: 3, Comment: "complete, but a day after the deadline"}, 2 * time.Hour},
		{s.us, 0, node.Step{Action: accord.ActionClose}, time.Hour},
		{s.us, 7, node.Step{Action: accord.ActionAccept}, time.Hour},
		{s.cn, 3, node.Step{Action: accord.ActionAcknowledge}, 2 * time.Hour},
		{s.cn, 3, node.Step{Action: accord.ActionAccept}, time.Hour},
		{s.cn, 3, node.Step{Action: accord.ActionAnswerPartial, Body: "The staging servers were rented with stolen identities; inquiries continue."}, 5 * 24 * time.Hour},
		// Request 10 (cncert's investigation) is never acknowledged and ends overdue;
		// request 3 (the investigation for us-cert) ends overdue to answer.
	}
	for _, st := range steps {
		s.clock.advance(st.after)
		r := reqs[st.req]
		actor := liaisonOf[st.by]
		if a := annexes[st.req]; a != nil && st.st.Action == accord.ActionAnswerFinal {
			analyst := usAnalyst
			if st.by == s.cn {
				analyst = cnAnalyst
			}
			d, err := st.by.env.svc.AddEvidence(s.ctx, analyst, node.NewEvidence{RequestID: r.id, Name: a.name, Description: a.description,
				Reason: a.reason}, strings.NewReader(a.content))
			if err != nil {
				return fmt.Errorf("%s add evidence for %s: %w", st.by.id, r.id, err)
			}
			st.st.Evidence = []string{d.ID}
		}
		if _, err := st.by.env.svc.Act(s.ctx, actor, r.id, st.st); err != nil {
			return fmt.Errorf("%s %s %s: %w", st.by.id, st.st.Action, r.id, err)
		}
		if err := s.settle(0); err != nil {
			return err
		}
	}
	s.clock.advance(3 * 24 * time.Hour)
	return nil
}

// settle waits until both nodes have delivered everything they queued, then
// moves the clock on by d.
func (s *scenario) settle(d time.Duration) error {
	for i := 0; i < 3; i++ { // a receipt may queue a reply (query → notification)
		for _, n := range []*demoNode{s.us, s.cn} {
			peer := s.cn.id
			if n == s.cn {
				peer = s.us.id
			}
			ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
			err := n.run.deliverer.Idle(ctx, peer)
			cancel()
			if err != nil {
				return fmt.Errorf("%s delivering to %s: %w", n.id, peer, err)
			}
		}
	}
	s.clock.advance(d)
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// annex is a file of evidence the scenario attaches to an answer.
type annex struct {
	name, description, reason, content string
}

// registrantAnnex is cncert's annex to its final answer about the phishing
// domains: registrant and hosting records (documentation addresses and
// domains only).
var registrantAnnex = &annex{
	name:        "registrant-and-hosting-records.csv",
	description: "Registrar and hosting-provider records of the five domains named in the request",
	reason:      "produced by the registrars and hosting providers at cncert's request",
	content: `domain,registrar,registered_at,registrant_country,registrant_email,hosting_ip,hosting_provider,first_seen
opm-secure-login.example,reseller of Registrar A,2014-03-02,CN,q1@mail.example,192.0.2.10,Provider X,2014-03-04
opm-benefits-update.example,reseller of Registrar A,2014-03-02,CN,q1@mail.example,192.0.2.10,Provider X,2014-03-05
hr-portal-verify.example,reseller of Registrar A,2014-04-11,CN,q2@mail.example,192.0.2.11,Provider X,2014-04-12
federal-hr-mail.example,reseller of Registrar A,2014-05-20,CN,q2@mail.example,198.51.100.20,Provider Y,2014-05-21
secure-clearance-check.example,Registrar B,2014-06-01,HK,admin@clearance.example,198.51.100.21,Provider Y,2014-06-03
`,
}

// opmIntel is us-cert's intelligence of the personnel-agency intrusion: a
// command-and-control domain, the servers behind it, and a TLP:RED analyst
// note for no one outside us-cert.
const opmIntel = `{"type": "bundle", "id": "bundle--3c1f4f0e-2d47-4f57-9c55-6a0f3f1f0a01", "objects": [
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--3c1f4f0e-2d47-4f57-9c55-6a0f3f1f0a02",
  "created": "2026-04-20T09:00:00.000Z", "modified": "2026-04-20T09:00:00.000Z", "name": "Command-and-control domain",
  "indicator_types": ["malicious-activity"], "pattern": "[domain-name:value = 'update-check.example.net']", "pattern_type": "stix",
  "valid_from": "2026-04-20T09:00:00Z"},
 {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--3c1f4f0e-2d47-4f57-9c55-6a0f3f1f0a03", "value": "192.0.2.17"},
 {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--3c1f4f0e-2d47-4f57-9c55-6a0f3f1f0a04", "value": "192.0.2.40"},
 {"type": "note", "spec_version": "2.1", "id": "note--3c1f4f0e-2d47-4f57-9c55-6a0f3f1f0a05",
  "created": "2026-04-21T09:00:00.000Z", "modified": "2026-04-21T09:00:00.000Z",
  "content": "The contractor account was reused from an earlier breach.", "object_refs": ["indicator--3c1f4f0e-2d47-4f57-9c55-6a0f3f1f0a02"],
  "object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}
]}`

// botnetIntel is cncert's intelligence of the botnet: its command servers,
// one of which (192.0.2.40) us-cert's intruders used too.
const botnetIntel = `{"type": "bundle", "id": "bundle--7e2a1b9c-5d3f-4a61-8b7e-1c2d3e4f5a01", "objects": [
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--7e2a1b9c-5d3f-4a61-8b7e-1c2d3e4f5a02",
  "created": "2026-04-25T02:00:00.000Z", "modified": "2026-04-25T02:00:00.000Z", "name": "Botnet command servers",
  "indicator_types": ["malicious-activity"],
  "pattern": "[ipv4-addr:value = '203.0.113.5'] OR [ipv4-addr:value = '203.0.113.6'] OR [ipv4-addr:value = '192.0.2.40']",
  "pattern_type": "stix", "valid_from": "2026-04-25T02:00:00Z"},
 {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--7e2a1b9c-5d3f-4a61-8b7e-1c2d3e4f5a03", "value": "203.0.113.0/29"}
]}`
