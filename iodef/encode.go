package iodef

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/stix"
)

// Options says who writes an IODEF document and how.
type Options struct {
	// Party is the IncidentID's name attribute: the namespace in which the
	// case id is unique, this node's party id ("us-cert") or its CSIRT's
	// domain. Required.
	Party string
	// Name and Email are the reporting party's, written as the creator
	// Contact (an organization); both may be empty.
	Name  string
	Email string
	// Purpose is the incident's purpose: traceback, mitigation, reporting
	// (the default), watch or other.
	Purpose string
	// Lang is the document's xml:lang; "en" when empty.
	Lang string
	// GenerationTime is written as the incident's GenerationTime; when zero,
	// the case's UpdatedAt, else its CreatedAt.
	GenerationTime time.Time
}

// Encode writes case c and the STIX objects attached to it as an IODEF v2
// document (RFC 7970) with one Incident, which validates against the RFC's
// XML schema:
//
//   - IncidentID: the case id in the namespace opt.Party; purpose from
//     opt.Purpose, status in-progress for an open case and resolved for a
//     closed one, restriction from the case's TLP (see the package
//     documentation), GenerationTime, Descriptions the title and summary,
//     an Assessment with the category as IncidentCategory, and a creator
//     Contact of opt.Name and opt.Email;
//   - EventData: a Flow of Systems for the addresses, domain names, URLs and
//     e-mail addresses, a Flow for each network traffic (source and target
//     System with their Service) and e-mail message, and a Record of the
//     files (HashData), registry keys and certificates;
//   - Methods with References for vulnerabilities (CVE) and attack
//     patterns (MITRE ATT&CK);
//   - IndicatorData: an Indicator per indicator, its pattern kept whole in
//     an AdditionalData (meaning "pattern", formatid the pattern_type),
//     and, for a pattern of one comparison that IODEF can say (an address,
//     domain, URL, e-mail address or file hash), that Observable.
//
// An object whose TLP marking is stricter than the case's is written with
// that restriction on its System, RecordData, Method or Indicator, so it
// is never shared more widely than its marking allows; Encode does not
// decide what may be shared: the caller passes only what may.
//
// Objects of other types, and parts IODEF cannot hold, are not written;
// Encode returns them as Skips whose Path is the object's id. It refuses
// with EINVALID (writing nothing) a case without id or with an unknown TLP,
// Options without Party or with an unknown Purpose, and objects that do
// not pass (*stix.Object).Validate. Errors from w are returned wrapped.
func Encode(w io.Writer, c *accord.Case, objs []*stix.Object, opt Options) ([]Skip, error) {
	e := &encoder{byID: map[string]*stix.Object{}, inTraffic: map[string]bool{}}
	doc, err := e.document(c, objs, opt)
	if err != nil {
		return nil, err
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, accord.Internal(err, "encode IODEF document")
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return nil, fmt.Errorf("write IODEF document: %w", err)
	}
	if _, err := w.Write(append(out, '\n')); err != nil {
		return nil, fmt.Errorf("write IODEF document: %w", err)
	}
	return e.skipped, nil
}

type encoder struct {
	caseTLP   accord.TLP
	byID      map[string]*stix.Object
	inTraffic map[string]bool // hosts written as part of a network traffic
	skipped   []Skip
}

func (e *encoder) skip(o *stix.Object, format string, args ...any) {
	e.skipped = append(e.skipped, Skip{Path: o.ID(), Reason: fmt.Sprintf(format, args...)})
}

// tlpRestriction is the restriction Encode writes for each TLP label:
// TLP:AMBER+STRICT, which RFC 7970 does not name, is need-to-know ("shared
// only within the organization with individuals that have a need to
// know"), which Decode maps back to it.
var tlpRestriction = map[accord.TLP]string{
	accord.TLPClear: "white", accord.TLPGreen: "green", accord.TLPAmber: "amber",
	accord.TLPAmberStrict: "need-to-know", accord.TLPRed: "red",
}

// restrictionFor returns the restriction attribute for objects: that of
// the strictest TLP among them if it is stricter than the case's, else "".
func (e *encoder) restrictionFor(objs ...*stix.Object) string {
	best := e.caseTLP
	for _, o := range objs {
		if o == nil {
			continue
		}
		if t, ok := o.TLP(); ok {
			if l := tlpOf(t); stricter(l, best) {
				best = l
			}
		}
	}
	if best == e.caseTLP {
		return ""
	}
	return tlpRestriction[best]
}

func (e *encoder) document(c *accord.Case, objs []*stix.Object, opt Options) (*xDocument, error) {
	if c == nil || strings.TrimSpace(c.ID) == "" {
		return nil, accord.FieldError("case.id", "is required")
	}
	if strings.TrimSpace(opt.Party) == "" {
		return nil, accord.FieldError("party", "is required: it names the namespace of the incident id")
	}
	restr, ok := tlpRestriction[c.TLP]
	if !ok {
		return nil, accord.FieldError("case.tlp", "%q is not a TLP 2.0 label", c.TLP)
	}
	e.caseTLP = c.TLP
	purpose := opt.Purpose
	if purpose == "" {
		purpose = "reporting"
	}
	if !slices.Contains([]string{"traceback", "mitigation", "reporting", "watch", "other"}, purpose) {
		return nil, accord.FieldError("purpose", "%q is not traceback, mitigation, reporting, watch or other", purpose)
	}
	gen := opt.GenerationTime
	if gen.IsZero() {
		gen = c.UpdatedAt
	}
	if gen.IsZero() {
		gen = c.CreatedAt
	}
	if gen.IsZero() {
		return nil, accord.FieldError("generation_time", "is required when the case has no times")
	}
	lang := opt.Lang
	if lang == "" {
		lang = "en"
	}
	in := xIncident{
		Purpose:        purpose,
		Restriction:    restr,
		IncidentID:     xIncidentID{Name: opt.Party, Value: c.ID},
		GenerationTime: xsDateTime(gen),
		Contact:        xContact{Role: "creator", Type: "organization"},
	}
	switch c.Status {
	case accord.CaseOpen:
		in.Status = "in-progress"
	case accord.CaseClosed:
		in.Status = "resolved"
	}
	for _, s := range []string{c.Title, c.Summary} {
		if strings.TrimSpace(s) != "" {
			in.Descriptions = append(in.Descriptions, s)
		}
	}
	if c.Category != "" {
		in.Assessment = &xAssessment{
			Categories:   []string{string(c.Category)},
			SystemImpact: &xSystemImpact{Type: "unknown"},
		}
	}
	if opt.Name != "" {
		in.Contact.Names = []string{opt.Name}
	}
	if opt.Email != "" {
		in.Contact.Email = &xEmail{To: opt.Email}
	}

	var uniq []*stix.Object
	for _, o := range objs {
		if err := o.Validate(); err != nil {
			return nil, &accord.Error{Code: accord.EINVALID, Field: o.ID(), Message: "does not pass STIX validation: " + stixMessage(err)}
		}
		if e.byID[o.ID()] != nil {
			// Twice the same IndicatorID would not validate (xs:ID).
			e.skip(o, "it is given more than once; written once")
			continue
		}
		e.byID[o.ID()] = o
		uniq = append(uniq, o)
	}
	objs = uniq
	// Hosts that network traffic refers to, and the addresses of e-mail
	// messages, are written in their Flow, not again on their own.
	for _, o := range objs {
		var refs []string
		switch o.Type() {
		case "network-traffic":
			for _, k := range []string{"src_ref", "dst_ref"} {
				var ref string
				if ok, _ := o.Get(k, &ref); ok {
					refs = append(refs, ref)
				}
			}
		case "email-message":
			var from string
			if ok, _ := o.Get("from_ref", &from); ok && e.byID[from] != nil && e.byID[from].Type() == "email-addr" {
				var to []string
				o.Get("to_refs", &to)
				refs = append(append(refs, from), to...)
			}
		}
		for _, ref := range refs {
			if e.host(e.byID[ref]) != nil {
				e.inTraffic[ref] = true
			}
		}
	}

	var hosts xFlow
	var flows []xFlow
	var records []xRecordData
	for _, o := range objs {
		switch o.Type() {
		case "ipv4-addr", "ipv6-addr", "domain-name", "mac-addr", "url", "email-addr", "autonomous-system":
			if e.inTraffic[o.ID()] {
				continue
			}
			sys := xSystem{Node: *e.host(o), Restriction: e.restrictionFor(o)}
			hosts.Systems = append(hosts.Systems, sys)
		case "network-traffic":
			if f, ok := e.traffic(o); ok {
				flows = append(flows, f)
			}
		case "email-message":
			if f, ok := e.email(o); ok {
				flows = append(flows, f)
			}
		case "file":
			if rd, ok := e.file(o); ok {
				records = append(records, rd)
			}
		case "windows-registry-key":
			records = append(records, e.registryKey(o))
		case "x509-certificate":
			if rd, ok := e.certificate(o); ok {
				records = append(records, rd)
			}
		case "vulnerability", "attack-pattern":
			if m, ok := e.method(o); ok {
				in.Methods = append(in.Methods, m)
			}
		case "indicator":
			ind, err := e.indicator(o, opt.Party)
			if err != nil {
				return nil, err
			}
			if in.IndicatorData == nil {
				in.IndicatorData = &xIndicatorData{}
			}
			in.IndicatorData.Indicators = append(in.IndicatorData.Indicators, ind)
		case "marking-definition":
			if _, ok := stix.LookupTLP(o.ID()); !ok {
				e.skip(o, "marking definitions other than TLP have no IODEF counterpart")
			}
			// TLP markings are written as restriction attributes.
		default:
			e.skip(o, "objects of type %s have no IODEF counterpart in accord's export", o.Type())
		}
	}
	if len(hosts.Systems) > 0 {
		flows = append([]xFlow{hosts}, flows...)
	}
	if len(flows) > 0 || len(records) > 0 {
		ed := &xEventData{Flows: flows}
		if len(records) > 0 {
			ed.Record = &xRecord{Data: records}
		}
		in.EventData = ed
	}
	return &xDocument{Version: "2.00", Lang: lang, Incident: in}, nil
}

func xsDateTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// host returns the Node of an address, domain name, URL, e-mail address or
// autonomous system, or nil for any other object.
func (e *encoder) host(o *stix.Object) *xNode {
	if o == nil {
		return nil
	}
	v := o.Value()
	addr := func(cat string) *xNode { return &xNode{Addresses: []xAddress{{Category: cat, Value: v}}} }
	switch o.Type() {
	case "ipv4-addr":
		if strings.Contains(v, "/") {
			return addr("ipv4-net")
		}
		return addr("ipv4-addr")
	case "ipv6-addr":
		if strings.Contains(v, "/") {
			return addr("ipv6-net")
		}
		return addr("ipv6-addr")
	case "domain-name":
		return &xNode{Domains: []xDomainData{{Name: v}}}
	case "mac-addr":
		return addr("mac")
	case "url":
		return addr("site-uri")
	case "email-addr":
		return addr("e-mail")
	case "autonomous-system":
		var n int64
		if ok, _ := o.Get("number", &n); ok {
			return &xNode{Addresses: []xAddress{{Category: "asn", Value: strconv.FormatInt(n, 10)}}}
		}
	}
	return nil
}

// protocolNumbers are the IANA numbers of the protocols network traffic
// names.
var protocolNumbers = map[string]int{"icmp": 1, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51, "ipv6-icmp": 58, "sctp": 132}

// traffic writes a network traffic as a Flow from a source System to a
// target System, each with a Service of the IP protocol and its port.
func (e *encoder) traffic(o *stix.Object) (xFlow, bool) {
	nt, err := o.NetworkTraffic()
	if err != nil {
		e.skip(o, "%v", err)
		return xFlow{}, false
	}
	proto := -1
	for _, p := range nt.Protocols {
		if n, ok := protocolNumbers[strings.ToLower(p)]; ok {
			proto = n
			break
		}
	}
	var f xFlow
	side := func(ref, category string, port *int) {
		h := e.byID[ref]
		n := e.host(h)
		if n == nil {
			return
		}
		sys := xSystem{Category: category, Node: *n, Restriction: e.restrictionFor(o, h)}
		if proto >= 0 || port != nil {
			sv := &xService{Port: port}
			if proto >= 0 {
				sv.Protocol = strconv.Itoa(proto)
			}
			sys.Services = []xService{*sv}
		}
		f.Systems = append(f.Systems, sys)
	}
	side(nt.SrcRef, "source", nt.SrcPort)
	side(nt.DstRef, "target", nt.DstPort)
	if len(f.Systems) == 0 {
		e.skip(o, "neither its src_ref nor its dst_ref is an address or domain name among the objects exported")
		return f, false
	}
	return f, true
}

// email writes an e-mail message as a System of its sender with the
// EmailData of its Service.
func (e *encoder) email(o *stix.Object) (xFlow, bool) {
	m, err := o.EmailMessage()
	if err != nil {
		e.skip(o, "%v", err)
		return xFlow{}, false
	}
	from := e.byID[m.FromRef]
	if from == nil || from.Type() != "email-addr" {
		e.skip(o, "its sender (from_ref) is not among the objects exported: IODEF places an e-mail at its sender's node")
		return xFlow{}, false
	}
	var body string
	o.Get("body", &body)
	ed := &xEmailData{From: from.Value(), Subject: m.Subject, Body: body}
	marked := []*stix.Object{o, from}
	for _, r := range m.ToRefs {
		if a := e.byID[r]; a != nil && a.Type() == "email-addr" {
			ed.To = append(ed.To, a.Value())
			marked = append(marked, a)
		}
	}
	var headers map[string]any
	if ok, _ := o.Get("additional_header_fields", &headers); ok {
		if xm, ok := headers["X-Mailer"].(string); ok {
			ed.XMailer = xm
		}
	}
	sys := xSystem{
		Node:        xNode{Addresses: []xAddress{{Category: "e-mail", Value: from.Value()}}},
		Services:    []xService{{Email: ed}},
		Restriction: e.restrictionFor(marked...),
	}
	return xFlow{Systems: []xSystem{sys}}, true
}

// digestURIs are the XML Signature / Encryption digest algorithm URIs
// (RFC 6931) of the STIX hash algorithms IODEF can carry.
var digestURIs = map[string]string{
	"MD5":      "http://www.w3.org/2001/04/xmldsig-more#md5",
	"SHA-1":    "http://www.w3.org/2000/09/xmldsig#sha1",
	"SHA-224":  "http://www.w3.org/2001/04/xmldsig-more#sha224",
	"SHA-256":  "http://www.w3.org/2001/04/xmlenc#sha256",
	"SHA-384":  "http://www.w3.org/2001/04/xmldsig-more#sha384",
	"SHA-512":  "http://www.w3.org/2001/04/xmlenc#sha512",
	"SHA3-224": "http://www.w3.org/2007/05/xmldsig-more#sha3-224",
	"SHA3-256": "http://www.w3.org/2007/05/xmldsig-more#sha3-256",
	"SHA3-384": "http://www.w3.org/2007/05/xmldsig-more#sha3-384",
	"SHA3-512": "http://www.w3.org/2007/05/xmldsig-more#sha3-512",
}

// file writes a file as a RecordData's FileData: name, size and the hashes
// of its contents, base64 as XML Signature writes digests.
func (e *encoder) file(o *stix.Object) (xRecordData, bool) {
	f, err := o.File()
	if err != nil {
		e.skip(o, "%v", err)
		return xRecordData{}, false
	}
	x := xFile{Name: f.Name}
	if f.Size != nil {
		x.Size = strconv.FormatInt(*f.Size, 10)
	}
	var hashes []xHash
	for _, alg := range sortedKeys(f.Hashes) {
		uri, ok := digestURIs[alg]
		b, err := hex.DecodeString(f.Hashes[alg])
		if !ok || err != nil {
			e.skip(o, "hashes.%s: only digests of %s are written", alg, strings.Join(sortedKeys(digestURIs), ", "))
			continue
		}
		hashes = append(hashes, xHash{Method: xDigestMethod{Algorithm: uri}, Value: base64.StdEncoding.EncodeToString(b)})
	}
	if len(hashes) > 0 {
		x.HashData = &xHashData{Scope: "file-contents", Hashes: hashes}
	}
	if x.Name == "" && x.HashData == nil {
		e.skip(o, "a file with neither a name nor a hash IODEF can carry is not written")
		return xRecordData{}, false
	}
	return xRecordData{Restriction: e.restrictionFor(o), Files: []xFileData{{Files: []xFile{x}}}}, true
}

// registryKey writes a registry key as a Key per value (its data; RFC
// 7970 has no value names), or one Key without a value.
func (e *encoder) registryKey(o *stix.Object) xRecordData {
	var key string
	o.Get("key", &key)
	var values []struct {
		Name string `json:"name"`
		Data string `json:"data"`
	}
	o.Get("values", &values)
	w := xRegistryKeys{}
	for _, v := range values {
		if v.Name != "" {
			e.skip(o, "values: the name %q is not written (RFC 7970 has no value names)", v.Name)
		}
		w.Keys = append(w.Keys, xKey{Name: key, Value: v.Data})
	}
	if len(w.Keys) == 0 {
		w.Keys = []xKey{{Name: key}}
	}
	return xRecordData{Restriction: e.restrictionFor(o), Registry: []xRegistryKeys{w}}
}

// certificate writes a certificate's issuer, serial number and subject as
// a ds:X509Data.
func (e *encoder) certificate(o *stix.Object) (xRecordData, bool) {
	var issuer, serial, subject string
	o.Get("issuer", &issuer)
	o.Get("serial_number", &serial)
	o.Get("subject", &subject)
	var x xX509Data
	if issuer != "" && serial != "" {
		n, ok := serialNumber(serial)
		if !ok {
			e.skip(o, "serial_number %q is neither decimal nor hex", serial)
			return xRecordData{}, false
		}
		x.IssuerSerial = &xIssuerSerial{Issuer: issuer, Serial: n}
	}
	x.Subject = subject
	if x.IssuerSerial == nil && x.Subject == "" {
		e.skip(o, "a certificate without issuer and serial number or subject is not written")
		return xRecordData{}, false
	}
	return xRecordData{Restriction: e.restrictionFor(o), Certs: []xCertificateData{{Certs: []xCertificate{{X509: x}}}}}, true
}

// serialNumber writes a serial number, decimal or in hex (with colons, as
// STIX examples do), as the decimal integer X509SerialNumber is.
func serialNumber(s string) (string, bool) {
	if n, ok := new(big.Int).SetString(s, 10); ok {
		return n.String(), true
	}
	if n, ok := new(big.Int).SetString(strings.ReplaceAll(strings.TrimPrefix(strings.ToLower(s), "0x"), ":", ""), 16); ok {
		return n.String(), true
	}
	return "", false
}

// method writes a vulnerability or attack pattern as a Method's Reference:
// its CVE or ATT&CK id as a Description, which Decode reads back, its
// reference URL and its name.
func (e *encoder) method(o *stix.Object) (xMethod, bool) {
	want := map[string]string{"vulnerability": "cve", "attack-pattern": "mitre-attack"}[o.Type()]
	for _, r := range o.ExternalReferences() {
		if r.SourceName != want || r.ExternalID == "" {
			continue
		}
		ref := xReference{Descriptions: []string{r.ExternalID}}
		if r.URL != "" {
			ref.URLs = []string{r.URL}
		}
		if n := o.Name(); n != "" && n != r.ExternalID {
			ref.Descriptions = append(ref.Descriptions, n)
		}
		return xMethod{Restriction: e.restrictionFor(o), References: []xReference{ref}}, true
	}
	e.skip(o, "it has no external reference of source %q", want)
	return xMethod{}, false
}

// indicator writes an indicator. Its pattern goes whole into an
// AdditionalData; a pattern of one comparison IODEF can say is also
// written as that Observable.
func (e *encoder) indicator(o *stix.Object, party string) (xIndicator, error) {
	ind, err := o.Indicator()
	if err != nil {
		return xIndicator{}, &accord.Error{Code: accord.EINVALID, Field: o.ID(), Message: err.Error()}
	}
	version := o.Modified()
	if version.IsZero() {
		version = o.Created()
	}
	x := xIndicator{
		Restriction: e.restrictionFor(o),
		ID:          xIndicatorID{Name: party, Version: version.String(), Value: o.ID()},
		StartTime:   xsDateTime(ind.ValidFrom.Time()),
	}
	for _, d := range []string{ind.Name, ind.Description} {
		if d != "" {
			x.Descriptions = append(x.Descriptions, d)
		}
	}
	if !ind.ValidUntil.IsZero() {
		x.EndTime = xsDateTime(ind.ValidUntil.Time())
	}
	pattern := &xAdditionalData{DType: "string", Meaning: patternMeaning, FormatID: ind.PatternType, Value: ind.Pattern}
	if obs := observableOf(ind); obs != nil {
		x.Observable = obs
		x.AdditionalData = pattern
	} else {
		x.Observable = &xObservable{AdditionalData: pattern}
	}
	return x, nil
}

// observableOf returns the Observable of a STIX pattern that is one
// comparison of an address, domain name, URL, e-mail address or file
// hash, or nil.
func observableOf(ind *stix.Indicator) *xObservable {
	if ind.PatternType != "stix" {
		return nil
	}
	p, err := stix.ParsePattern(ind.Pattern)
	if err != nil || len(p.Comparisons()) != 1 {
		return nil
	}
	text := strings.TrimSpace(ind.Pattern)
	if !strings.HasPrefix(text, "[") || !strings.HasSuffix(text, "]") {
		return nil // qualifiers, or parentheses
	}
	c := p.Comparisons()[0]
	if c.Negated || len(c.Values) != 1 {
		return nil
	}
	v := c.Values[0]
	path := strings.Join(c.Path, ".")
	addr := func(cat string) *xObservable { return &xObservable{Address: &xAddress{Category: cat, Value: v}} }
	switch {
	case c.ObjectType == "ipv4-addr" && path == "value" && c.Operator == "=" && !strings.Contains(v, "/"):
		return addr("ipv4-addr")
	case c.ObjectType == "ipv4-addr" && path == "value" && c.Operator == "ISSUBSET" && strings.Contains(v, "/"):
		return addr("ipv4-net")
	case c.ObjectType == "ipv6-addr" && path == "value" && c.Operator == "=" && !strings.Contains(v, "/"):
		return addr("ipv6-addr")
	case c.ObjectType == "ipv6-addr" && path == "value" && c.Operator == "ISSUBSET" && strings.Contains(v, "/"):
		return addr("ipv6-net")
	case c.Operator != "=":
		return nil
	case c.ObjectType == "domain-name" && path == "value":
		return &xObservable{Domain: &xDomainData{Name: v}}
	case c.ObjectType == "url" && path == "value":
		return addr("site-uri")
	case c.ObjectType == "email-addr" && path == "value":
		return addr("e-mail")
	case c.ObjectType == "file" && len(c.Path) == 2 && c.Path[0] == "hashes":
		uri, ok := digestURIs[c.Path[1]]
		b, err := hex.DecodeString(v)
		if !ok || err != nil {
			return nil
		}
		return &xObservable{FileData: &xFileData{Files: []xFile{{HashData: &xHashData{
			Scope:  "file-contents",
			Hashes: []xHash{{Method: xDigestMethod{Algorithm: uri}, Value: base64.StdEncoding.EncodeToString(b)}},
		}}}}}
	}
	return nil
}

// The elements Encode writes, fields in the order of RFC 7970's schema.

type xDocument struct {
	XMLName  xml.Name  `xml:"urn:ietf:params:xml:ns:iodef-2.0 IODEF-Document"`
	Version  string    `xml:"version,attr"`
	Lang     string    `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	Incident xIncident `xml:"Incident"`
}

type xIncident struct {
	Purpose        string          `xml:"purpose,attr"`
	Status         string          `xml:"status,attr,omitempty"`
	Restriction    string          `xml:"restriction,attr"`
	IncidentID     xIncidentID     `xml:"IncidentID"`
	GenerationTime string          `xml:"GenerationTime"`
	Descriptions   []string        `xml:"Description"`
	Assessment     *xAssessment    `xml:"Assessment"`
	Methods        []xMethod       `xml:"Method"`
	Contact        xContact        `xml:"Contact"`
	EventData      *xEventData     `xml:"EventData"`
	IndicatorData  *xIndicatorData `xml:"IndicatorData"`
}

type xIncidentID struct {
	Name  string `xml:"name,attr"`
	Value string `xml:",chardata"`
}

type xAssessment struct {
	Categories   []string       `xml:"IncidentCategory"`
	SystemImpact *xSystemImpact `xml:"SystemImpact"`
}

type xSystemImpact struct {
	Type string `xml:"type,attr"`
}

type xMethod struct {
	Restriction string       `xml:"restriction,attr,omitempty"`
	References  []xReference `xml:"Reference"`
}

type xReference struct {
	URLs         []string `xml:"URL"`
	Descriptions []string `xml:"Description"`
}

type xContact struct {
	Role  string   `xml:"role,attr"`
	Type  string   `xml:"type,attr"`
	Names []string `xml:"ContactName"`
	Email *xEmail  `xml:"Email"`
}

type xEmail struct {
	To string `xml:"EmailTo"`
}

type xEventData struct {
	Flows  []xFlow  `xml:"Flow"`
	Record *xRecord `xml:"Record"`
}

type xFlow struct {
	Systems []xSystem `xml:"System"`
}

type xSystem struct {
	Category    string     `xml:"category,attr,omitempty"`
	Restriction string     `xml:"restriction,attr,omitempty"`
	Node        xNode      `xml:"Node"`
	Services    []xService `xml:"Service"`
}

type xNode struct {
	Domains   []xDomainData `xml:"DomainData"`
	Addresses []xAddress    `xml:"Address"`
}

type xDomainData struct {
	Name string `xml:"Name"`
}

type xAddress struct {
	Category string `xml:"category,attr"`
	Value    string `xml:",chardata"`
}

type xService struct {
	Protocol string      `xml:"ip-protocol,attr,omitempty"`
	Port     *int        `xml:"Port"`
	Email    *xEmailData `xml:"EmailData"`
}

type xEmailData struct {
	To      []string `xml:"EmailTo"`
	From    string   `xml:"EmailFrom,omitempty"`
	Subject string   `xml:"EmailSubject,omitempty"`
	XMailer string   `xml:"EmailX-Mailer,omitempty"`
	Body    string   `xml:"EmailBody,omitempty"`
}

type xRecord struct {
	Data []xRecordData `xml:"RecordData"`
}

type xRecordData struct {
	Restriction string             `xml:"restriction,attr,omitempty"`
	Files       []xFileData        `xml:"FileData"`
	Registry    []xRegistryKeys    `xml:"WindowsRegistryKeysModified"`
	Certs       []xCertificateData `xml:"CertificateData"`
}

type xFileData struct {
	Files []xFile `xml:"File"`
}

type xFile struct {
	Name     string     `xml:"FileName,omitempty"`
	Size     string     `xml:"FileSize,omitempty"`
	HashData *xHashData `xml:"HashData"`
}

type xHashData struct {
	Scope  string  `xml:"scope,attr"`
	Hashes []xHash `xml:"Hash"`
}

type xHash struct {
	Method xDigestMethod `xml:"http://www.w3.org/2000/09/xmldsig# DigestMethod"`
	Value  string        `xml:"http://www.w3.org/2000/09/xmldsig# DigestValue"`
}

type xDigestMethod struct {
	Algorithm string `xml:"Algorithm,attr"`
}

type xRegistryKeys struct {
	Keys []xKey `xml:"Key"`
}

type xKey struct {
	Name  string `xml:"KeyName"`
	Value string `xml:"Value,omitempty"`
}

type xCertificateData struct {
	Certs []xCertificate `xml:"Certificate"`
}

type xCertificate struct {
	X509 xX509Data `xml:"http://www.w3.org/2000/09/xmldsig# X509Data"`
}

type xX509Data struct {
	IssuerSerial *xIssuerSerial `xml:"http://www.w3.org/2000/09/xmldsig# X509IssuerSerial"`
	Subject      string         `xml:"http://www.w3.org/2000/09/xmldsig# X509SubjectName,omitempty"`
}

type xIssuerSerial struct {
	Issuer string `xml:"http://www.w3.org/2000/09/xmldsig# X509IssuerName"`
	Serial string `xml:"http://www.w3.org/2000/09/xmldsig# X509SerialNumber"`
}

type xIndicatorData struct {
	Indicators []xIndicator `xml:"Indicator"`
}

type xIndicator struct {
	Restriction    string           `xml:"restriction,attr,omitempty"`
	ID             xIndicatorID     `xml:"IndicatorID"`
	Descriptions   []string         `xml:"Description"`
	StartTime      string           `xml:"StartTime,omitempty"`
	EndTime        string           `xml:"EndTime,omitempty"`
	Observable     *xObservable     `xml:"Observable"`
	AdditionalData *xAdditionalData `xml:"AdditionalData"`
}

type xIndicatorID struct {
	Name    string `xml:"name,attr"`
	Version string `xml:"version,attr"`
	Value   string `xml:",chardata"`
}

type xObservable struct {
	Address        *xAddress        `xml:"Address"`
	Domain         *xDomainData     `xml:"DomainData"`
	FileData       *xFileData       `xml:"FileData"`
	AdditionalData *xAdditionalData `xml:"AdditionalData"`
}

type xAdditionalData struct {
	DType    string `xml:"dtype,attr"`
	Meaning  string `xml:"meaning,attr"`
	FormatID string `xml:"formatid,attr,omitempty"`
	Value    string `xml:",chardata"`
}
