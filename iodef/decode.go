package iodef

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/stix"
)

// Decode reads one IODEF v2 document (RFC 7970) from r: at most MaxSize
// bytes, UTF-8, in the namespace urn:ietf:params:xml:ns:iodef-2.0 with
// version "2.00". It returns every incident with the STIX objects made from
// it, and lists what it passed over in Document.Skipped.
//
// Decode checks what it maps: required elements and attributes, the
// enumerations it reads, times, and every value that becomes a STIX object
// (an Address must be an address of its category, a digest must fit its
// algorithm, …). It refuses the whole document at the first fault, with an
// *accord.Error of code EINVALID whose Field is the place, XPath-like:
//
//	IODEF-Document/Incident/EventData[2]/Flow/System/Node/Address: "999.1.1.1" is not an ipv4-addr
//
// It is not a schema validator: content it does not map is listed in
// Skipped, not checked. Any caller may use it; it keeps no state. Errors
// reading r are returned wrapped, with no code of their own.
func Decode(r io.Reader) (*Document, error) {
	root, err := parse(r)
	if err != nil {
		return nil, err
	}
	d := &decoder{ids: map[string]*node{}}
	return d.document(root)
}

type decoder struct {
	ids   map[string]*node // observable-id → element
	notes []Skip           // partial mappings that no single element's skip says
}

func (d *decoder) document(root *node) (*Document, error) {
	if root.name.Local != "IODEF-Document" || root.name.Space != Namespace {
		switch {
		case root.name.Local == "IODEF-Document" && root.name.Space == namespaceV1:
			return nil, root.invalid("IODEF v1 (RFC 5070, namespace %s) is not accepted, only IODEF v2 (RFC 7970, namespace %s)", namespaceV1, Namespace)
		case root.name.Local == "IODEF-Document":
			return nil, root.invalid("namespace %q is not IODEF v2's (%s)", root.name.Space, Namespace)
		}
		return nil, root.invalid("the root element is not an IODEF-Document of namespace %s", Namespace)
	}
	root.used = true
	switch v, ok := root.attr("version"); {
	case !ok:
		return nil, root.invalid("the version attribute is required (2.00)")
	case strings.TrimSpace(v) != "2.00":
		return nil, root.invalid("version %q is not accepted, only 2.00 (RFC 7970)", v)
	}
	if err := d.index(root); err != nil {
		return nil, err
	}
	doc := &Document{Lang: root.lang()}
	incidents := root.children("Incident")
	if len(incidents) == 0 {
		return nil, root.invalid("at least one Incident is required")
	}
	for _, n := range incidents {
		in, err := d.incident(n)
		if err != nil {
			return nil, err
		}
		doc.Incidents = append(doc.Incidents, in)
	}
	sweep(root, &doc.Skipped)
	doc.Skipped = append(doc.Skipped, d.notes...)
	return doc, nil
}

// index records every observable-id, which ObservableReference names; like
// xs:ID, each must be unique in the document.
func (d *decoder) index(n *node) error {
	if id, ok := n.attr("observable-id"); ok {
		id = strings.TrimSpace(id)
		if prev, dup := d.ids[id]; dup {
			return n.invalid("observable-id %q is already that of %s", id, prev.path())
		}
		d.ids[id] = n
	}
	for _, k := range n.kids {
		if err := d.index(k); err != nil {
			return err
		}
	}
	return nil
}

// incident is the state of one Incident while it is mapped.
type incident struct {
	d       *decoder
	node    *node
	in      *Incident
	tlp     accord.TLP
	ns      uuid.UUID      // of the ids of domain objects
	created stix.Timestamp // GenerationTime, for created and modified
	byID    map[string]int // object id → index in in.Objects

	patternType string // of the Indicator being mapped, when its Observable gives its pattern whole
}

func (d *decoder) incident(n *node) (Incident, error) {
	n.used = true
	in := Incident{Path: n.path(), Lang: n.lang()}
	var err error
	if in.Purpose, err = enumAttr(n, "purpose", true, "traceback", "mitigation", "reporting", "watch", "other"); err != nil {
		return in, err
	}
	if in.Status, err = enumAttr(n, "status", false, "new", "in-progress", "forwarded", "resolved", "future"); err != nil {
		return in, err
	}
	if in.Restriction, in.TLP, err = restriction(n); err != nil {
		return in, err
	}
	if in.Restriction == "" {
		in.Restriction, in.TLP = "private", accord.TLPRed
	}

	idn := n.child("IncidentID")
	if idn == nil {
		return in, n.invalid("IncidentID is required")
	}
	if in.ID, err = incidentID(idn); err != nil {
		return in, err
	}
	times := []struct {
		name string
		dst  *time.Time
	}{
		{"DetectTime", &in.DetectTime}, {"StartTime", &in.StartTime}, {"EndTime", &in.EndTime},
		{"RecoveryTime", &in.RecoveryTime}, {"ReportTime", &in.ReportTime}, {"GenerationTime", &in.GenerationTime},
	}
	for _, t := range times {
		if c := n.child(t.name); c != nil {
			if *t.dst, err = dateTime(c); err != nil {
				return in, err
			}
		}
	}
	if n.child("GenerationTime") == nil {
		return in, n.invalid("GenerationTime is required")
	}
	if len(n.children("Contact")) == 0 {
		return in, n.invalid("at least one Contact is required")
	}

	st := &incident{
		d: d, node: n, in: &in, tlp: in.TLP,
		ns:      uuid.NewSHA1(sdoNamespace, []byte(in.ID.Name+"\x00"+in.ID.Instance+"\x00"+in.ID.Value)),
		created: stix.NewTimestamp(in.GenerationTime),
		byID:    map[string]int{},
	}
	in.Descriptions = descriptions(n)
	if err := st.common(n); err != nil {
		return in, err
	}
	for _, e := range n.children("EventData") {
		if err := st.eventData(e); err != nil {
			return in, err
		}
	}
	if ind := n.child("IndicatorData"); ind != nil {
		ind.used = true
		for _, i := range ind.children("Indicator") {
			if err := st.indicator(i); err != nil {
				return in, err
			}
		}
	}
	return in, nil
}

// common maps the classes an Incident and an EventData share: Discovery,
// Assessment, Method and Contact.
func (st *incident) common(n *node) error {
	in := st.in
	for _, c := range n.children("Discovery") {
		c.used = true
		src, err := enumAttr(c, "source", false, "nidps", "hips", "siem", "av", "third-party-monitoring",
			"incident", "os-log", "application-log", "device-log", "network-flow", "passive-dns",
			"investigation", "audit", "internal-notification", "external-notification", "leo",
			"partner", "actor", "unknown")
		if err != nil {
			return err
		}
		if src == "" {
			src = "unknown"
		}
		in.Discoveries = append(in.Discoveries, Discovery{Source: src, Descriptions: descriptions(c)})
	}
	for _, c := range n.children("Assessment") {
		a, err := assessment(c)
		if err != nil {
			return err
		}
		in.Assessments = append(in.Assessments, a)
	}
	for _, c := range n.children("Method") {
		c.used = true
		m := Method{Descriptions: descriptions(c)}
		for _, r := range c.children("Reference") {
			ref, err := st.reference(r)
			if err != nil {
				return err
			}
			m.References = append(m.References, ref)
		}
		in.Methods = append(in.Methods, m)
	}
	for _, c := range n.children("Contact") {
		ct, err := contact(c)
		if err != nil {
			return err
		}
		in.Contacts = append(in.Contacts, ct)
	}
	return nil
}

func (st *incident) eventData(e *node) error {
	e.used = true
	st.in.Descriptions = append(st.in.Descriptions, descriptions(e)...)
	for _, t := range []string{"DetectTime", "StartTime", "EndTime", "RecoveryTime", "ReportTime"} {
		for _, c := range e.children(t) {
			if _, err := dateTime(c); err != nil {
				return err
			}
			c.pass("the times of an EventData are not mapped, only the incident's")
		}
	}
	if err := st.common(e); err != nil {
		return err
	}
	for _, f := range e.children("Flow") {
		if err := st.flow(f); err != nil {
			return err
		}
	}
	if r := e.child("Record"); r != nil {
		r.used = true
		for _, rd := range r.children("RecordData") {
			if _, err := st.recordData(rd); err != nil {
				return err
			}
		}
	}
	for _, c := range e.children("EventData") {
		if err := st.eventData(c); err != nil {
			return err
		}
	}
	return nil
}

func incidentID(n *node) (IncidentID, error) {
	id := IncidentID{Value: n.value()}
	name, ok := n.attr("name")
	if !ok || strings.TrimSpace(name) == "" {
		return id, n.invalid("the name attribute is required")
	}
	id.Name = strings.TrimSpace(name)
	id.Instance = n.attrValue("instance")
	if id.Value == "" {
		return id, n.invalid("is empty")
	}
	if _, _, err := restriction(n); err != nil {
		return id, err
	}
	return id, nil
}

func contact(n *node) (Contact, error) {
	n.used = true
	var c Contact
	var err error
	if c.Role, err = enumAttr(n, "role", true, "creator", "reporter", "admin", "tech", "provider", "user",
		"billing", "legal", "abuse", "irt", "cc", "cc-irt", "leo", "vendor", "vendor-services",
		"vendor-support", "victim", "victim-notified"); err != nil {
		return c, err
	}
	if c.Type, err = enumAttr(n, "type", true, "person", "organization"); err != nil {
		return c, err
	}
	for _, k := range n.children("ContactName") {
		c.Names = append(c.Names, k.words())
	}
	c.Descriptions = descriptions(n)
	for _, e := range n.children("Email") {
		e.used = true
		to := e.child("EmailTo")
		if to == nil {
			return c, e.invalid("EmailTo is required")
		}
		c.Emails = append(c.Emails, to.value())
	}
	for _, t := range n.children("Telephone") {
		t.used = true
		num := t.child("TelephoneNumber")
		if num == nil {
			return c, t.invalid("TelephoneNumber is required")
		}
		c.Telephones = append(c.Telephones, num.value())
	}
	for _, k := range n.children("Contact") {
		sub, err := contact(k)
		if err != nil {
			return c, err
		}
		c.Contacts = append(c.Contacts, sub)
	}
	return c, nil
}

func assessment(n *node) (Assessment, error) {
	n.used = true
	var a Assessment
	var err error
	if a.Occurrence, err = enumAttr(n, "occurrence", false, "actual", "potential"); err != nil {
		return a, err
	}
	for _, k := range n.children("IncidentCategory") {
		a.Categories = append(a.Categories, k.words())
	}
	for _, k := range n.kids {
		if k.name.Space != Namespace {
			continue
		}
		im := Impact{Class: k.name.Local}
		switch k.name.Local {
		case "SystemImpact", "BusinessImpact", "IntendedImpact":
			im.Type = extAttr(k, "type")
			im.Severity = extAttr(k, "severity")
			im.Completion = k.attrValue("completion")
		case "TimeImpact":
			im.Type = extAttr(k, "metric")
			im.Unit = extAttr(k, "duration")
			im.Severity = k.attrValue("severity")
			im.Value = strings.TrimSpace(k.text.String())
		case "MonetaryImpact":
			im.Unit = k.attrValue("currency")
			im.Severity = k.attrValue("severity")
			im.Value = strings.TrimSpace(k.text.String())
		default:
			continue
		}
		k.used = true
		im.Descriptions = descriptions(k)
		a.Impacts = append(a.Impacts, im)
	}
	if c := n.child("Confidence"); c != nil {
		c.used = true
		a.Confidence = extAttr(c, "rating")
		a.ConfidenceValue = strings.TrimSpace(c.text.String())
	}
	return a, nil
}

// descriptions returns the Description texts of n, line by line (see
// lines).
func descriptions(n *node) []string {
	var out []string
	for _, k := range n.children("Description") {
		if s := k.lines(); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// enumAttr returns attribute name, which must be one of values or
// "ext-value", in which case the ext- attribute is returned instead. It
// refuses a missing required attribute.
func enumAttr(n *node, name string, required bool, values ...string) (string, error) {
	v, ok := n.attr(name)
	v = strings.TrimSpace(v)
	switch {
	case !ok && required:
		return "", n.invalid("the %s attribute is required", name)
	case !ok:
		return "", nil
	case v == "ext-value":
		ext := n.attrValue("ext-" + name)
		if ext == "" {
			return "", n.invalid("%s is ext-value but ext-%s is missing", name, name)
		}
		return ext, nil
	case !slices.Contains(values, v):
		return "", n.invalid("%s %q is not one of %s, ext-value", name, v, strings.Join(values, ", "))
	}
	return v, nil
}

// extAttr returns attribute name, or its ext- attribute when it is
// ext-value; it checks no enumeration (for classes only read, not mapped).
func extAttr(n *node, name string) string {
	v := n.attrValue(name)
	if v == "ext-value" {
		return n.attrValue("ext-" + name)
	}
	return v
}

// dateTime reads an xs:dateTime, which RFC 7970 (section 2.8) requires to
// carry its time zone, as UTC.
func dateTime(n *node) (time.Time, error) {
	s := n.value()
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if _, err2 := time.Parse("2006-01-02T15:04:05.999999999", s); err2 == nil {
			return time.Time{}, n.invalid("%q has no time zone offset", s)
		}
		return time.Time{}, n.invalid("%q is not a date-time (xs:dateTime with a time zone, as RFC 3339)", s)
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return time.Time{}, n.invalid("%q is out of the years 0001-9999", s)
	}
	return t.UTC(), nil
}

// sweep lists, in document order, the outermost elements the mapping did
// not read or passed over.
func sweep(n *node, out *[]Skip) {
	for _, k := range n.kids {
		switch {
		case k.skip != "":
			*out = append(*out, Skip{Path: k.path(), Reason: k.skip})
		case !k.used:
			*out = append(*out, Skip{Path: k.path(), Reason: skipReason(k)})
		default:
			sweep(k, out)
		}
	}
}

// skipReasons says why the IODEF classes accord does not map are passed
// over.
var skipReasons = map[string]string{
	"AdditionalData":         "extension data (AdditionalData) is not mapped",
	"AlternativeID":          "alternative incident ids are not mapped",
	"AlternativeIndicatorID": "alternative indicator ids are not mapped",
	"Application":            "software descriptions are not mapped",
	"AssetID":                "asset ids are not mapped",
	"AttackPhase":            "attack phases are not mapped",
	"Cause":                  "causes are not mapped",
	"Confidence":             "the confidence of an indicator or expression is not mapped",
	"Contact":                "contacts other than an incident's, an event's and their nested contacts are not mapped",
	"Counter":                "counters are not mapped",
	"DateDomainWasChecked":   "domain registration data is not mapped",
	"DetectionPattern":       "detection patterns are not mapped",
	"DomainContacts":         "domain registration data is not mapped",
	"EmailHeaderField":       "e-mail header fields other than X-Mailer are not mapped",
	"EmailHeaders":           "raw e-mail headers are not mapped",
	"EmailMessage":           "raw e-mail messages are not mapped",
	"ExpirationDate":         "domain registration data is not mapped",
	"Expectation":            "expected actions are not mapped",
	"FuzzyHash":              "fuzzy hashes are not mapped",
	"History":                "incident history is not mapped",
	"HashData":               "hashes other than a file's contents are not mapped",
	"HashTargetID":           "hash targets are not mapped",
	"IndicatorReference":     "references to other indicators are not followed",
	"Location":               "locations are not mapped",
	"MitigatingFactor":       "mitigating factors are not mapped",
	"Nameservers":            "domain registration data is not mapped",
	"NodeRole":               "node roles are not mapped",
	"OperatingSystem":        "operating systems are not mapped",
	"Portlist":               "port lists are not mapped, only single ports",
	"PostalAddress":          "postal addresses are not mapped",
	"RecordItem":             "log records are not mapped",
	"RecordPattern":          "log record patterns are not mapped",
	"RegistrationDate":       "domain registration data is not mapped",
	"RegistryHandle":         "registry handles are not mapped",
	"RelatedActivity":        "related activity (other incidents, URLs, threat actors, campaigns) is not mapped",
	"RelatedDNS":             "DNS records are not mapped",
	"SignatureData":          "signatures are not mapped",
	"URL":                    "this URL is a reference, not an observable, and is not mapped",
	"Timezone":               "time zones of contacts are not mapped",
}

func skipReason(n *node) string {
	switch n.name.Space {
	case Namespace:
		if r, ok := skipReasons[n.name.Local]; ok {
			return r
		}
		return n.name.Local + " is not mapped"
	case "urn:ietf:params:xml:ns:iodef-sci-1.0":
		return "structured cybersecurity information (RFC 7203) is not mapped"
	}
	return fmt.Sprintf("elements of namespace %q are not mapped", n.name.Space)
}

// TLP mapping of RFC 7970 restriction values (section 3.3.1, restriction-type).
var restrictionTLP = map[string]accord.TLP{
	"public":       accord.TLPClear,
	"white":        accord.TLPClear,
	"partner":      accord.TLPGreen,
	"green":        accord.TLPGreen,
	"default":      accord.TLPAmber,
	"amber":        accord.TLPAmber,
	"need-to-know": accord.TLPAmberStrict,
	"private":      accord.TLPRed,
	"red":          accord.TLPRed,
}

// restriction reads n's restriction attribute: the value as written (the
// ext-restriction for ext-value) and its TLP; "" when absent. An
// ext-restriction naming a TLP label ("clear", "amber+strict", also with
// a "tlp:" prefix) maps to that label, any other to TLP:RED.
func restriction(n *node) (string, accord.TLP, error) {
	v, ok := n.attr("restriction")
	if !ok {
		return "", "", nil
	}
	v = strings.TrimSpace(v)
	if v == "ext-value" {
		ext := n.attrValue("ext-restriction")
		if ext == "" {
			return "", "", n.invalid("restriction is ext-value but ext-restriction is missing")
		}
		l := strings.TrimPrefix(strings.ToLower(ext), "tlp:")
		if t, ok := restrictionTLP[l]; ok {
			return ext, t, nil
		}
		if slices.Contains(accord.TLPs, accord.TLP(l)) {
			return ext, accord.TLP(l), nil
		}
		return ext, accord.TLPRed, nil
	}
	t, ok := restrictionTLP[v]
	if !ok {
		return "", "", n.invalid("restriction %q is not one of public, partner, need-to-know, private, default, white, green, amber, red, ext-value", v)
	}
	return v, t, nil
}

// stricter reports whether a restricts more than b.
func stricter(a, b accord.TLP) bool {
	return slices.Index(accord.TLPs, a) < slices.Index(accord.TLPs, b)
}

// tlpAt is the TLP that holds for element n: the strictest restriction on
// it and the elements it is nested in, up to its incident. A nested
// restriction never loosens the one around it.
func (st *incident) tlpAt(n *node) (accord.TLP, error) {
	t := st.tlp
	for m := n; m != nil && m != st.node; m = m.parent {
		_, r, err := restriction(m)
		if err != nil {
			return "", err
		}
		if r != "" && stricter(r, t) {
			t = r
		}
	}
	return t, nil
}

// add validates o, made from element from (and the elements also, for
// network traffic between Systems), and adds it to the incident
// unless an object of the same id is there already. An object from an
// element whose restriction is stricter than the incident's carries the
// TLP 2.0 marking of that restriction; the others none (they take their
// case's). When the same observable occurs under different restrictions,
// the strictest holds.
func (st *incident) add(o *stix.Object, from *node, also ...*node) (string, error) {
	t, err := st.tlpAt(from)
	if err != nil {
		return "", err
	}
	for _, n := range also {
		if n == nil {
			continue
		}
		u, err := st.tlpAt(n)
		if err != nil {
			return "", err
		}
		if stricter(u, t) {
			t = u
		}
	}
	if stricter(t, st.tlp) {
		m, _ := stix.TLP2(string(t))
		if err := o.Set("object_marking_refs", []string{m.ID}); err != nil {
			return "", accord.Internal(err, "mark %s", o.ID())
		}
	}
	if err := o.Validate(); err != nil {
		return "", from.invalid("does not make a valid STIX %s: %s", o.Type(), stixMessage(err))
	}
	if i, ok := st.byID[o.ID()]; ok {
		if prev, _ := st.in.Objects[i].TLP(); stricter(t, tlpOf(prev)) {
			st.in.Objects[i] = o
		}
		return o.ID(), nil
	}
	st.byID[o.ID()] = len(st.in.Objects)
	st.in.Objects = append(st.in.Objects, o)
	return o.ID(), nil
}

// tlpOf returns the accord label of a STIX TLP marking, clear when there
// is none (an unmarked object takes its case's, which is never looser).
func tlpOf(t stix.TLP) accord.TLP {
	switch t.Level {
	case "", "white", "clear":
		return accord.TLPClear
	}
	return accord.TLP(t.Level)
}

// stixMessage is the message of a STIX refusal without the object's id,
// which the reader of an IODEF error has never seen.
func stixMessage(err error) string {
	var es stix.Errors
	if e, ok := err.(stix.Errors); ok {
		es = e
	}
	if len(es) == 0 {
		return err.Error()
	}
	var msgs []string
	for _, e := range es {
		m := e.Message
		if e.Path != "" {
			m = e.Path + ": " + m
		}
		msgs = append(msgs, m)
	}
	return strings.Join(msgs, "; ")
}

// sdoID returns the id of the domain object of type typ that the incident
// makes from key: a UUIDv5 under the incident's namespace, so that
// importing the same document again gives the same ids.
func (st *incident) sdoID(typ, key string) string {
	return typ + "--" + uuid.NewSHA1(st.ns, []byte(typ+"\x00"+key)).String()
}

// integer reads n's text as an integer in [lo, hi].
func integer(n *node, lo, hi int64) (int64, error) {
	s := n.value()
	v, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, n.invalid("%q is not an integer from %d to %d", s, lo, hi)
	}
	return v, nil
}
