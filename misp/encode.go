package misp

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/stix"
)

// The MISP core-format event Encode writes. Only properties of PyMISP's
// strict schema are used, except each attribute's Sighting list, which
// the MISP core format defines (section 2.9) but the strict schema
// predates (PyMISP's default, lax schema accepts it).
type (
	mispDoc struct {
		Event *mispEvent `json:"Event"`
	}
	mispEvent struct {
		UUID          string        `json:"uuid"`
		Info          string        `json:"info"`
		Date          string        `json:"date"`
		Timestamp     string        `json:"timestamp"`
		Published     bool          `json:"published"`
		Analysis      string        `json:"analysis"`
		ThreatLevelID string        `json:"threat_level_id"`
		Distribution  string        `json:"distribution"`
		Tag           []mispTag     `json:"Tag,omitempty"`
		Attribute     []*mispAttr   `json:"Attribute,omitempty"`
		Galaxy        []*mispGalaxy `json:"Galaxy,omitempty"`
	}
	mispTag struct {
		Name       string `json:"name"`
		Colour     string `json:"colour,omitempty"`
		Exportable bool   `json:"exportable"`
	}
	mispAttr struct {
		UUID         string         `json:"uuid"`
		Type         string         `json:"type"`
		Category     string         `json:"category"`
		ToIDs        bool           `json:"to_ids"`
		Value        string         `json:"value"`
		Comment      string         `json:"comment,omitempty"`
		Timestamp    string         `json:"timestamp"`
		Distribution string         `json:"distribution"`
		Tag          []mispTag      `json:"Tag,omitempty"`
		Sighting     []mispSighting `json:"Sighting,omitempty"`
	}
	mispSighting struct {
		UUID          string   `json:"uuid"`
		AttributeUUID string   `json:"attribute_uuid"`
		Type          string   `json:"type"`
		DateSighting  string   `json:"date_sighting"`
		Source        string   `json:"source,omitempty"`
		Organisation  *mispOrg `json:"Organisation,omitempty"`
	}
	mispOrg struct {
		Name string `json:"name"`
		UUID string `json:"uuid"`
	}
	mispGalaxy struct {
		UUID          string         `json:"uuid"`
		Name          string         `json:"name"`
		Type          string         `json:"type"`
		Description   string         `json:"description"`
		GalaxyCluster []*mispCluster `json:"GalaxyCluster"`
	}
	mispCluster struct {
		UUID        string         `json:"uuid"`
		Type        string         `json:"type"`
		Value       string         `json:"value"`
		TagName     string         `json:"tag_name"`
		Description string         `json:"description,omitempty"`
		Meta        map[string]any `json:"meta,omitempty"`
	}
)

// defaultCategory is the category MISP's describeTypes gives each
// attribute type Encode writes (sane_defaults).
var defaultCategory = map[string]string{
	"ip-dst": "Network activity", "ip-src": "Network activity",
	"ip-dst|port": "Network activity", "ip-src|port": "Network activity",
	"hostname|port": "Network activity", "domain": "Network activity",
	"hostname": "Network activity", "domain|ip": "Network activity",
	"url": "Network activity", "email": "Social network", "email-src": "Payload delivery",
	"email-dst": "Network activity", "email-reply-to": "Payload delivery",
	"target-email": "Targeting data", "whois-registrant-email": "Attribution",
	"dns-soa-email": "Attribution", "email-subject": "Payload delivery",
	"email-body": "Payload delivery", "email-attachment": "Payload delivery",
	"mac-address": "Network activity", "mutex": "Artifacts dropped", "AS": "Network activity",
	"regkey": "Persistence mechanism", "regkey|value": "Persistence mechanism",
	"x509-fingerprint-md5": "Network activity", "x509-fingerprint-sha1": "Network activity",
	"x509-fingerprint-sha256": "Network activity", "filename": "Payload delivery",
	"vulnerability": "External analysis", "threat-actor": "Attribution",
	"campaign-name": "Attribution", "yara": "Payload installation", "sigma": "Payload installation",
	"snort": "Network activity", "suricata": "Network activity",
	"stix2-pattern": "Payload installation", "text": "Other", "comment": "Other",
	"malware-sample": "Payload delivery", "attachment": "External analysis",
}

func categoryOf(typ string) string {
	if c, ok := defaultCategory[typ]; ok {
		return c
	}
	// Hashes and filename|hash pairs.
	return "Payload delivery"
}

// tlpTags are the tags of MISP's tlp taxonomy for each TLP 2.0 level.
var tlpColours = map[string]string{
	"clear": "#ffffff", "green": "#33ff00", "amber": "#ffc000", "amber+strict": "#ffc000", "red": "#ff0033",
}

func tlpTag(level string) mispTag {
	return mispTag{Name: "tlp:" + level, Colour: tlpColours[level], Exportable: true}
}

// Encode writes the case c and its STIX objects objs to w as one MISP
// core-format event, {"Event": {…}}; it is Export without the list of
// what was left out. Any caller may use it; see Export for the mapping
// and the errors.
func Encode(w io.Writer, c *accord.Case, objs []*stix.Object) error {
	_, err := Export(w, c, objs)
	return err
}

// Export writes the case c and its STIX objects objs to w as one MISP
// core-format event and returns what of objs the event does not carry,
// or carries only in part (by STIX id, see Skip).
//
// The event's uuid is CaseUUID(c.ID), its info the title, its date the
// day the case was opened, its timestamp when it last changed; it is
// unpublished, threat level 4 (undefined), analysis ongoing (completed
// once the case is closed), distribution 0 (this organisation only: the
// receiving MISP's operators widen it), tagged with the case's TLP
// (tlp:clear … tlp:red). The case's summary is a text attribute.
//
// Observables become attributes (to_ids false), each of the type that
// re-imports to the same observable where MISP has one. Indicators whose
// pattern is an equality, or a conjunction of equalities that a MISP
// composite type holds (file:name and a hash, a registry key and its
// data, an address and a port, a domain and its address), become
// attributes of that type with to_ids true, merged with the attribute of
// the observable they are based on; every other STIX pattern is written
// whole as a stix2-pattern attribute, and YARA, Snort, Suricata and Sigma
// rules as attributes of those types, so no indicator is lost. An
// indicator's attribute takes the indicator's uuid, so that importing the
// event back yields the same indicator id. Threat actors, intrusion sets,
// malware, tools, attack patterns and courses of action become galaxy
// clusters (and event tags); what an indicator indicates or an observable
// relates to is tagged on its attribute; vulnerabilities and campaigns
// become attributes, notes comment attributes; sightings of exported
// indicators become the attribute's MISP sightings, and opinions
// disagreeing with them false-positive sightings. Objects more
// restrictive than the case carry their own tlp tag. Everything else
// (reports, identities, relationships other than based-on, indicates and
// related-to, observed data, …) is returned as skipped, as is every loss
// on the way, such as a second hash of a file, which MISP attributes
// without objects can only hold as a second file.
//
// Export returns EINVALID when c lacks an id, title or creation time (in
// 1970 to 9999) or an object does not validate; other errors come from w.
func Export(w io.Writer, c *accord.Case, objs []*stix.Object) ([]Skip, error) {
	if c == nil {
		return nil, accord.Errorf(accord.EINVALID, "no case to export")
	}
	if c.ID == "" {
		return nil, accord.FieldError("id", "is required")
	}
	if strings.TrimSpace(c.Title) == "" {
		return nil, accord.FieldError("title", "is required")
	}
	if c.CreatedAt.IsZero() {
		return nil, accord.FieldError("created_at", "is required")
	}
	if c.CreatedAt.Year() < 1970 || c.CreatedAt.Year() > 9999 {
		return nil, accord.FieldError("created_at", "is not between 1970 and 9999, the years a MISP event can have")
	}
	x := &exporter{
		c:        c,
		uuid:     CaseUUID(c.ID),
		byID:     map[string]*stix.Object{},
		attrs:    map[string]*mispAttr{},
		of:       map[string][]*mispAttr{},
		made:     map[string][]reimport{},
		uuids:    map[string]bool{},
		reported: map[string]bool{},
	}
	x.rank = -1
	if t, ok := stix.TLP2(string(c.TLP)); ok {
		x.rank = t.Rank()
	}
	for _, o := range objs {
		if o == nil {
			continue
		}
		if err := o.Validate(); err != nil {
			return nil, err
		}
		if old, ok := x.byID[o.ID()]; ok {
			// Versions of one object: the latest.
			if o.Modified().Compare(old.Modified()) <= 0 {
				continue
			}
			x.order = slices.DeleteFunc(x.order, func(p *stix.Object) bool { return p == old })
		}
		x.byID[o.ID()] = o
		x.order = append(x.order, o)
	}
	return x.write(w)
}

type exporter struct {
	c     *accord.Case
	uuid  string
	rank  int
	order []*stix.Object
	byID  map[string]*stix.Object
	event mispEvent
	// attrs indexes the attributes written by type and value; of maps a
	// STIX id to the attributes standing for it.
	attrs map[string]*mispAttr
	of    map[string][]*mispAttr
	// made holds, for each observable id that a written attribute
	// re-imports to, the properties it comes back with (one entry per
	// attribute, as canonical JSON and as values).
	made     map[string][]reimport
	uuids    map[string]bool // attribute uuids given out
	reported map[string]bool // objects with a Skip
	skipped  []Skip
	galaxy   map[string]*mispGalaxy
	cluster  map[string]*mispCluster // STIX id → cluster
}

func (x *exporter) skip(o *stix.Object, path, format string, args ...any) {
	p := o.ID()
	if path != "" {
		p += "." + path
	}
	x.skipped = append(x.skipped, Skip{Path: p, Type: o.Type(), Reason: fmt.Sprintf(format, args...)})
	x.reported[o.ID()] = true
}

func unixString(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func (x *exporter) write(w io.Writer) ([]Skip, error) {
	c := x.c
	ts := x.when()
	analysis := "1"
	if c.Status == accord.CaseClosed {
		analysis = "2"
	}
	x.event = mispEvent{
		UUID:          x.uuid,
		Info:          c.Title,
		Date:          c.CreatedAt.UTC().Format("2006-01-02"),
		Timestamp:     unixString(ts),
		Analysis:      analysis,
		ThreatLevelID: "4",
		Distribution:  "0",
	}
	if x.rank >= 0 {
		x.event.Tag = append(x.event.Tag, tlpTag(tlpLevels[x.rank]))
	}
	if s := strings.TrimSpace(c.Summary); s != "" {
		x.event.Attribute = append(x.event.Attribute, &mispAttr{
			UUID: derive("case-summary", x.uuid), Type: "text", Category: "Other",
			Value: s, Comment: "case summary", Timestamp: unixString(ts), Distribution: "5",
		})
	}
	x.galaxy = map[string]*mispGalaxy{}
	x.cluster = map[string]*mispCluster{}
	// Clusters first, so attributes can be tagged with them; then
	// indicators, whose attributes observables merge into; then the
	// observables, composite ones (which cover their parts) first.
	for _, o := range x.order {
		x.sdo(o)
	}
	for _, o := range x.order {
		if o.Type() == "indicator" {
			x.indicator(o)
		}
	}
	scos := slices.Clone(x.order)
	sort.SliceStable(scos, func(i, j int) bool { return composite(scos[i]) && !composite(scos[j]) })
	for _, o := range scos {
		if isSCO(o.Type()) {
			x.observable(o)
		}
	}
	for _, o := range x.order {
		switch o.Type() {
		case "relationship":
			x.relationship(o)
		case "sighting":
			x.sighting(o)
		case "opinion":
			x.opinion(o)
		}
	}
	for _, o := range x.order {
		x.rest(o)
	}
	var names []string
	for n := range x.galaxy {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		x.event.Galaxy = append(x.event.Galaxy, x.galaxy[n])
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(mispDoc{Event: &x.event}); err != nil {
		return nil, fmt.Errorf("write MISP event: %w", err)
	}
	return x.skipped, nil
}

func isSCO(typ string) bool {
	return stix.HasIDContributing(typ) || typ == "process"
}

func composite(o *stix.Object) bool {
	return o.Type() == "domain-name" || o.Type() == "network-traffic"
}

// add writes an attribute for the STIX object o, or merges it into the
// attribute of the same type and value already written, and returns it.
// An attribute Decode would refuse (an empty name, an AS number beyond 32
// bits) is not written: add reports it and returns nil.
func (x *exporter) add(o *stix.Object, typ, value string, toIDs bool) *mispAttr {
	key := typ + "\x00" + value
	a, ok := x.attrs[key]
	if ok && o.Type() == "indicator" {
		x.skip(o, "", "has the %s %q of another indicator; MISP holds both in one attribute (%s)", typ, value, a.UUID)
	}
	if !ok {
		m, known := mapperFor(typ)
		if !known {
			x.skip(o, "", "MISP attribute type %s is not one accord imports", typ)
			return nil
		}
		c, err := m(value, nil)
		if err != nil {
			x.skip(o, "", "not written: its %s attribute would be refused on import (%v)", typ, err)
			return nil
		}
		u := derive("attribute", x.uuid, typ, value)
		if !isSCO(o.Type()) {
			_, u, _ = stix.SplitID(o.ID())
			if x.uuids[u] {
				x.skip(o, "", "shares its UUID with another object written as an attribute; its attribute gets another")
				u = derive("attribute", x.uuid, o.ID())
			}
		}
		x.uuids[u] = true
		at := o.Modified().Time()
		if at.IsZero() || at.Unix() < 1 {
			// Observables have no time; MISP timestamps start in 1970.
			at = x.when()
		}
		a = &mispAttr{UUID: u, Type: typ, Category: categoryOf(typ), Value: value,
			Timestamp: unixString(at), Distribution: "5"}
		x.attrs[key] = a
		x.event.Attribute = append(x.event.Attribute, a)
		// What Decode will make of it.
		for _, s := range c.scos {
			id := s.get("id").(string)
			x.made[id] = append(x.made[id], newReimport(s))
			x.of[id] = appendAttr(x.of[id], a)
		}
	}
	a.ToIDs = a.ToIDs || toIDs
	x.of[o.ID()] = appendAttr(x.of[o.ID()], a)
	if t, ok := o.TLP(); ok && t.Rank() > x.rank {
		a.tag(tlpTag(tlpLevels[t.Rank()]))
	}
	return a
}

// when is the time of the case: its last change, else its opening.
func (x *exporter) when() time.Time {
	if x.c.UpdatedAt.After(x.c.CreatedAt) {
		return x.c.UpdatedAt
	}
	return x.c.CreatedAt
}

func appendAttr(l []*mispAttr, a *mispAttr) []*mispAttr {
	if slices.Contains(l, a) {
		return l
	}
	return append(l, a)
}

func (a *mispAttr) tag(t mispTag) {
	if !slices.ContainsFunc(a.Tag, func(u mispTag) bool { return u.Name == t.Name }) {
		a.Tag = append(a.Tag, t)
	}
}

// mispLabels reads the misp:type and misp:category labels that Decode
// puts on indicators and notes.
func mispLabels(o *stix.Object) (typ, category string, other []string) {
	for _, l := range o.Labels() {
		switch {
		case strings.HasPrefix(l, "misp:type="):
			typ, _ = strconv.Unquote(strings.TrimPrefix(l, "misp:type="))
		case strings.HasPrefix(l, "misp:category="):
			category, _ = strconv.Unquote(strings.TrimPrefix(l, "misp:category="))
		case strings.HasPrefix(l, "misp:"):
		default:
			other = append(other, l)
		}
	}
	return typ, category, other
}

// rules are the pattern types MISP has attribute types for.
var rules = []string{"yara", "snort", "suricata", "sigma"}

func (x *exporter) indicator(o *stix.Object) {
	ind, err := o.Indicator()
	if err != nil {
		x.skip(o, "", "cannot be read: %s", err.Error())
		return
	}
	labelType, category, labels := mispLabels(o)
	var typ, value string
	switch {
	case slices.Contains(rules, ind.PatternType):
		typ, value = ind.PatternType, ind.Pattern
	case ind.PatternType == "stix":
		typ, value = simplePattern(ind.Pattern, labelType)
		if typ == "" || !reimportsAs(typ, value, ind.Pattern) {
			typ, value = "stix2-pattern", ind.Pattern
		}
	default:
		x.skip(o, "", "MISP has no attribute type for %s patterns", ind.PatternType)
		return
	}
	a := x.add(o, typ, value, true)
	if a == nil {
		return
	}
	if labelType == typ && category != "" {
		a.Category = category
	}
	if a.Comment == "" {
		a.Comment = ind.Description
	}
	for _, l := range labels {
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, galaxyTagPrefix) {
			a.tag(mispTag{Name: l, Exportable: true})
		}
	}
}

// simplePattern returns the MISP attribute of a STIX pattern that is one
// observation of equalities which one MISP attribute type holds, and ""
// for any other pattern. preferred, when it is one of the candidate types
// (ip-src for an address, hostname for a domain), is chosen.
func simplePattern(pattern, preferred string) (typ, value string) {
	if !conjunction(pattern) {
		return "", ""
	}
	p, err := stix.ParsePattern(pattern)
	if err != nil {
		return "", ""
	}
	cs := p.Comparisons()
	got := map[string]string{}
	var otype string
	for _, c := range cs {
		if c.Operator != "=" || c.Negated || len(c.Values) != 1 || otype != "" && c.ObjectType != otype {
			return "", ""
		}
		otype = c.ObjectType
		k := strings.Join(c.Path, ".")
		if _, dup := got[k]; dup {
			return "", ""
		}
		got[k] = c.Values[0]
	}
	pick := func(def string, alts ...string) string {
		if slices.Contains(alts, preferred) {
			return preferred
		}
		return def
	}
	one := func(k string) (string, bool) {
		v, ok := got[k]
		return v, ok && len(got) == 1
	}
	switch otype {
	case "ipv4-addr", "ipv6-addr":
		if v, ok := one("value"); ok {
			return pick("ip-dst", "ip-src"), v
		}
	case "domain-name":
		if v, ok := one("value"); ok {
			return pick("domain", "hostname"), v
		}
		if d, ip := got["value"], got["resolves_to_refs.[*].value"]; len(got) == 2 && d != "" && ip != "" {
			return "domain|ip", d + "|" + ip
		}
	case "url":
		if v, ok := one("value"); ok {
			return "url", v
		}
	case "email-addr":
		if v, ok := one("value"); ok {
			return pick("email", "email-src", "email-dst", "email-reply-to", "target-email", "whois-registrant-email", "dns-soa-email"), v
		}
	case "mac-addr":
		if v, ok := one("value"); ok {
			return "mac-address", v
		}
	case "mutex":
		if v, ok := one("name"); ok {
			return "mutex", v
		}
	case "autonomous-system":
		if v, ok := one("number"); ok {
			return "AS", v
		}
	case "email-message":
		if v, ok := one("subject"); ok {
			return "email-subject", v
		}
		if v, ok := one("body"); ok {
			return "email-body", v
		}
	case "windows-registry-key":
		if v, ok := one("key"); ok {
			return "regkey", v
		}
		if k, d := got["key"], got["values.[*].data"]; len(got) == 2 && k != "" && d != "" {
			return "regkey|value", k + "|" + d
		}
	case "x509-certificate":
		for _, alg := range []string{"MD5", "SHA-1", "SHA-256"} {
			if v, ok := one("hashes." + alg); ok {
				return "x509-fingerprint-" + strings.ToLower(strings.ReplaceAll(alg, "-", "")), v
			}
		}
	case "file":
		if v, ok := one("name"); ok {
			return pick("filename", "email-attachment"), v
		}
		name, hasName := got["name"]
		for k, v := range got {
			alg, ok := strings.CutPrefix(k, "hashes.")
			t := mispHashType(alg)
			if !ok || t == "" {
				continue
			}
			switch {
			case len(got) == 1:
				return t, v
			case len(got) == 2 && hasName:
				return "filename|" + t, name + "|" + v
			}
		}
	case "network-traffic":
		for _, side := range []string{"dst", "src"} {
			addr, port := got[side+"_ref.value"], got[side+"_port"]
			if len(got) != 2 || addr == "" || port == "" {
				continue
			}
			if _, err := addrSCO(addr); err == nil {
				return "ip-" + side + "|port", addr + "|" + port
			}
			if side == "dst" {
				return "hostname|port", addr + "|" + port
			}
		}
	}
	return "", ""
}

// reimportsAs reports whether Decode makes of the attribute (typ, value)
// an indicator with the same comparisons as the pattern want, in any order (a MAC
// address in upper case, say, would not: Decode writes it in lower case).
func reimportsAs(typ, value, want string) bool {
	m, ok := mapperFor(typ)
	if !ok {
		return false
	}
	c, err := m(value, nil)
	if err != nil || len(c.comps) == 0 {
		return false
	}
	return slices.Equal(comparisons(want), comparisons(pattern(c.comps)))
}

// comparisons returns the comparisons of a pattern as sorted strings.
func comparisons(p string) []string {
	pp, err := stix.ParsePattern(p)
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range pp.Comparisons() {
		out = append(out, fmt.Sprintf("%s:%q %s %v %q", c.ObjectType, c.Path, c.Operator, c.Negated, c.Values))
	}
	sort.Strings(out)
	return out
}

// mispHashType returns the MISP attribute type of a STIX hash algorithm.
func mispHashType(alg string) string {
	for t, h := range hashTypes {
		if h.alg == alg {
			return t
		}
	}
	return ""
}

var pathIndex = regexp.MustCompile(`([a-z0-9_])\[(?:\*|\d+)\]`)

// conjunction reports whether a pattern is a single observation whose
// comparisons are joined by AND only, without qualifiers: the shape of
// the patterns a MISP attribute can stand for.
func conjunction(p string) bool {
	s := strings.TrimSpace(p)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return false
	}
	var outside strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\'' {
			// Skip a string literal (also the body of h'…', b'…', t'…').
			for i++; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			outside.WriteByte(' ')
			continue
		}
		if c == '(' || c == ')' {
			return false
		}
		outside.WriteByte(c)
	}
	// List indexes of object paths (values[*], values[0]) are not
	// observations.
	rest := pathIndex.ReplaceAllString(outside.String(), "$1")
	if strings.Count(rest, "[") != 1 {
		return false
	}
	for _, w := range strings.Fields(strings.NewReplacer("[", " ", "]", " ").Replace(rest)) {
		switch strings.ToUpper(w) {
		case "OR", "FOLLOWEDBY", "WITHIN", "REPEATS", "START", "STOP", "NOT":
			return false
		}
	}
	return true
}

// observableAttrs returns the MISP attributes (type, value) standing for
// a cyber-observable, and why there are none.
func (x *exporter) observableAttrs(o *stix.Object) ([][2]string, string) {
	str := func(name string) string {
		var s string
		_, _ = o.Get(name, &s)
		return s
	}
	ref := func(name string) *stix.Object {
		return x.byID[str(name)]
	}
	switch o.Type() {
	case "ipv4-addr", "ipv6-addr":
		return [][2]string{{"ip-dst", o.Value()}}, ""
	case "domain-name":
		var refs []string
		_, _ = o.Get("resolves_to_refs", &refs)
		var out [][2]string
		for _, r := range refs {
			if ip := x.byID[r]; ip != nil && (ip.Type() == "ipv4-addr" || ip.Type() == "ipv6-addr") {
				out = append(out, [2]string{"domain|ip", o.Value() + "|" + ip.Value()})
			}
		}
		if len(out) == 0 {
			out = [][2]string{{"domain", o.Value()}}
		}
		return out, ""
	case "url":
		return [][2]string{{"url", o.Value()}}, ""
	case "email-addr":
		return [][2]string{{"email", o.Value()}}, ""
	case "mac-addr":
		return [][2]string{{"mac-address", o.Value()}}, ""
	case "mutex":
		return [][2]string{{"mutex", str("name")}}, ""
	case "autonomous-system":
		var n int64
		_, _ = o.Get("number", &n)
		return [][2]string{{"AS", strconv.FormatInt(n, 10)}}, ""
	case "windows-registry-key":
		key := str("key")
		if key == "" {
			return nil, "a registry key without a key has no MISP attribute"
		}
		var values []map[string]any
		_, _ = o.Get("values", &values)
		var out [][2]string
		for _, v := range values {
			if d, ok := v["data"].(string); ok {
				out = append(out, [2]string{"regkey|value", key + "|" + d})
			}
		}
		if len(out) == 0 {
			out = [][2]string{{"regkey", key}}
		}
		return out, ""
	case "file":
		name, hashes := str("name"), o.Hashes()
		var out [][2]string
		for _, alg := range hashOrder(hashes) {
			t := mispHashType(alg)
			if t == "" {
				continue
			}
			if name != "" {
				out = append(out, [2]string{"filename|" + t, name + "|" + hashes[alg]})
			} else {
				out = append(out, [2]string{t, hashes[alg]})
			}
		}
		if len(out) == 0 && name != "" {
			out = [][2]string{{"filename", name}}
		}
		if len(out) == 0 {
			return nil, "a file with neither a name nor a hash MISP has a type for has no MISP attribute"
		}
		return out, ""
	case "x509-certificate":
		var out [][2]string
		hashes := o.Hashes()
		for _, alg := range []string{"MD5", "SHA-1", "SHA-256"} {
			if h, ok := hashes[alg]; ok {
				out = append(out, [2]string{"x509-fingerprint-" + strings.ToLower(strings.ReplaceAll(alg, "-", "")), h})
			}
		}
		if len(out) == 0 {
			return nil, "a certificate without an MD5, SHA-1 or SHA-256 fingerprint has no MISP attribute"
		}
		return out, ""
	case "network-traffic":
		var out [][2]string
		for _, side := range []string{"dst", "src"} {
			var port *int
			_, _ = o.Get(side+"_port", &port)
			to := ref(side + "_ref")
			if port == nil || to == nil {
				continue
			}
			switch {
			case to.Type() == "ipv4-addr" || to.Type() == "ipv6-addr":
				out = append(out, [2]string{"ip-" + side + "|port", to.Value() + "|" + strconv.Itoa(*port)})
			case to.Type() == "domain-name" && side == "dst":
				out = append(out, [2]string{"hostname|port", to.Value() + "|" + strconv.Itoa(*port)})
			}
		}
		if len(out) == 0 {
			return nil, "MISP attributes hold network traffic only as an address or host name with a port"
		}
		return out, ""
	case "email-message":
		var out [][2]string
		if s := str("subject"); s != "" {
			out = append(out, [2]string{"email-subject", s})
		}
		if s := str("body"); s != "" {
			out = append(out, [2]string{"email-body", s})
		}
		if len(out) == 0 {
			return nil, "an e-mail message without a subject or body has no MISP attribute"
		}
		return out, ""
	}
	return nil, fmt.Sprintf("MISP has no attribute type for %s", o.Type())
}

// hashOrder lists the algorithms of hashes with MD5, SHA-1, SHA-256 and
// SHA-512 first (the one STIX derives a file's id from comes first).
func hashOrder(hashes map[string]string) []string {
	var out []string
	for _, a := range []string{"MD5", "SHA-1", "SHA-256", "SHA-512"} {
		if _, ok := hashes[a]; ok {
			out = append(out, a)
		}
	}
	var rest []string
	for a := range hashes {
		if !slices.Contains(out, a) {
			rest = append(rest, a)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// reimport is an observable as Decode makes it of an attribute.
type reimport struct {
	json string
	vals map[string]any
}

func newReimport(p *props) reimport {
	b, _ := json.Marshal(p.vals)
	return reimport{json: string(b), vals: p.vals}
}

// observable writes the attributes of one cyber-observable. It checks each
// against what Decode makes of it: an attribute that re-imports to what
// an attribute already written does (the address of a domain|ip, the
// observable of an indicator) is left out, and every attribute that
// re-imports to some other observable, and every property that does not
// come back, is reported.
func (x *exporter) observable(o *stix.Object) {
	pairs, why := x.observableAttrs(o)
	if len(pairs) == 0 {
		x.skip(o, "", "%s", why)
		return
	}
	var refused bool
	for _, pv := range pairs {
		typ, value := pv[0], pv[1]
		m, _ := mapperFor(typ)
		c, err := m(value, nil)
		if err != nil || len(c.scos) == 0 {
			x.skip(o, "", "not written: its %s attribute would be refused on import (%v)", typ, err)
			refused = true
			continue
		}
		r := newReimport(c.scos[0])
		primary := c.scos[0].get("id").(string)
		if slices.ContainsFunc(x.made[primary], func(q reimport) bool { return q.json == r.json }) {
			// Written already: the attribute standing for it stands
			// for o too.
			if primary == o.ID() {
				for _, a := range x.of[primary] {
					x.of[o.ID()] = appendAttr(x.of[o.ID()], a)
				}
			}
			continue
		}
		if primary != o.ID() {
			if len(x.made[primary]) > 0 {
				continue
			}
			x.skip(o, "", "its %s attribute %q imports as another %s (%s)", typ, value, o.Type(), primary)
		}
		if x.add(o, typ, value, false) == nil {
			refused = true
		}
	}
	if len(x.made[o.ID()]) == 0 {
		if !refused {
			x.skip(o, "", "no MISP attribute imports back as this %s", o.Type())
		}
		return
	}
	// The properties o comes back with: Decode keeps the first of each,
	// and joins the addresses of a domain.
	back := map[string]any{}
	for _, r := range x.made[o.ID()] {
		for n, v := range r.vals {
			old, ok := back[n]
			switch {
			case !ok:
				back[n] = v
			case n == "resolves_to_refs":
				l := slices.Clone(old.([]string))
				for _, id := range v.([]string) {
					l = appendNew(l, id)
				}
				back[n] = l
			}
		}
	}
	if lost := changed(o, back); len(lost) > 0 {
		x.skip(o, "", "%s not kept as they are: MISP attributes have no place for them", strings.Join(lost, ", "))
	}
}

// changed returns the properties of o that back lacks or holds otherwise,
// apart from those an import sets itself (id, markings).
func changed(o *stix.Object, back map[string]any) []string {
	var out []string
	for _, n := range o.Names() {
		switch n {
		case "type", "id", "spec_version", "object_marking_refs", "granular_markings":
			continue
		}
		raw, _ := o.Raw(n)
		var want, got any
		_ = json.Unmarshal(raw, &want)
		v, ok := back[n]
		if ok {
			b, err := json.Marshal(v)
			ok = err == nil && json.Unmarshal(b, &got) == nil && reflect.DeepEqual(want, got)
		}
		if !ok {
			out = append(out, n)
		}
	}
	return out
}

// galaxyOf returns the MISP galaxy type and tag of a domain object that
// becomes a galaxy cluster: from the misp-galaxy label Decode puts on
// clusters, else from its type.
func galaxyOf(o *stix.Object) (typ, tag string, ok bool) {
	for _, l := range o.Labels() {
		if rest, found := strings.CutPrefix(l, galaxyTagPrefix); found {
			if t, _, found := strings.Cut(rest, "="); found && galaxyTypes[t] == o.Type() {
				return t, l, true
			}
		}
	}
	switch o.Type() {
	case "threat-actor", "intrusion-set", "malware", "tool", "attack-pattern", "course-of-action":
		typ = o.Type()
		return typ, fmt.Sprintf("%s%s=%q", galaxyTagPrefix, typ, o.Name()), o.Name() != ""
	}
	return "", "", false
}

// sdo writes a domain object that becomes a galaxy cluster or an
// attribute.
func (x *exporter) sdo(o *stix.Object) {
	labelType, _, _ := mispLabels(o)
	switch o.Type() {
	case "vulnerability":
		x.add(o, "vulnerability", o.Name(), false)
		return
	case "campaign":
		x.add(o, "campaign-name", o.Name(), false)
		return
	case "threat-actor":
		if labelType == "threat-actor" {
			x.add(o, "threat-actor", o.Name(), false)
			return
		}
	case "note":
		var content string
		_, _ = o.Get("content", &content)
		typ := "comment"
		if labelType == "text" {
			typ = "text"
		}
		a := x.add(o, typ, content, false)
		if a == nil {
			return
		}
		var abstract string
		if _, _ = o.Get("abstract", &abstract); abstract != "" && labelType != "" {
			a.Category = abstract
		}
		return
	}
	gtype, tag, ok := galaxyOf(o)
	if !ok {
		return
	}
	_, u, _ := stix.SplitID(o.ID())
	_, value, _ := strings.Cut(strings.TrimPrefix(tag, galaxyTagPrefix), "=")
	value, err := strconv.Unquote(value)
	if err != nil {
		value = o.Name()
	}
	if strings.TrimSpace(value) == "" {
		x.skip(o, "", "a galaxy cluster needs a name")
		return
	}
	g := x.galaxy[gtype]
	if g == nil {
		g = &mispGalaxy{UUID: derive("galaxy", gtype), Name: gtype, Type: gtype,
			Description: "Clusters of type " + gtype + " exported by accord"}
		x.galaxy[gtype] = g
	}
	k := &mispCluster{UUID: u, Type: gtype, Value: value, TagName: tag, Description: o.Description()}
	meta := map[string]any{}
	if a := o.Aliases(); len(a) > 0 {
		meta["synonyms"] = a
	}
	var refs []string
	for _, r := range o.ExternalReferences() {
		if r.URL != "" {
			refs = append(refs, r.URL)
		}
	}
	if len(refs) > 0 {
		meta["refs"] = refs
	}
	if len(meta) > 0 {
		k.Meta = meta
	}
	g.GalaxyCluster = append(g.GalaxyCluster, k)
	x.cluster[o.ID()] = k
	if !slices.ContainsFunc(x.event.Tag, func(t mispTag) bool { return t.Name == tag }) {
		x.event.Tag = append(x.event.Tag, mispTag{Name: tag, Exportable: true})
	}
}

func (x *exporter) relationship(o *stix.Object) {
	r, err := o.Relationship()
	if err != nil {
		x.skip(o, "", "cannot be read: %s", err.Error())
		return
	}
	switch r.RelationshipType {
	case "based-on":
		if len(x.of[r.SourceRef]) > 0 && len(x.of[r.TargetRef]) > 0 {
			for _, a := range x.of[r.TargetRef] {
				for _, b := range x.of[r.SourceRef] {
					if a == b {
						return
					}
				}
			}
			// Indicator and observable are separate attributes (a
			// stix2-pattern and its observables): MISP has no link
			// between attributes outside objects.
			x.skip(o, "", "the indicator and its observable are separate attributes, which MISP does not link")
			return
		}
	case "indicates", "related-to":
		if k := x.cluster[r.TargetRef]; k != nil && len(x.of[r.SourceRef]) > 0 {
			for _, a := range x.of[r.SourceRef] {
				a.tag(mispTag{Name: k.TagName, Exportable: true})
			}
			return
		}
	}
	x.skip(o, "", "MISP events do not hold %s relationships between these objects", r.RelationshipType)
}

// organisation returns the MISP organisation of an identity among the
// objects, or nil.
func (x *exporter) organisation(id string) *mispOrg {
	o := x.byID[id]
	if o == nil || o.Type() != "identity" {
		return nil
	}
	_, u, _ := stix.SplitID(id)
	return &mispOrg{Name: o.Name(), UUID: u}
}

func (x *exporter) sighting(o *stix.Object) {
	s, err := o.Sighting()
	if err != nil {
		x.skip(o, "", "cannot be read: %s", err.Error())
		return
	}
	l := x.of[s.SightingOfRef]
	if len(l) == 0 {
		x.skip(o, "", "what it sights (%s) is not an exported attribute", s.SightingOfRef)
		return
	}
	at := s.LastSeen
	if at.IsZero() {
		at = s.FirstSeen
	}
	if at.IsZero() {
		at = o.Created()
	}
	if at.Time().Unix() < 1 {
		x.skip(o, "", "dated before 1970, when MISP sightings cannot be")
		return
	}
	_, u, _ := stix.SplitID(o.ID())
	ms := mispSighting{UUID: u, AttributeUUID: l[0].UUID, Type: "0", DateSighting: unixString(at.Time()), Source: s.Description}
	if len(s.WhereSightedRefs) > 0 {
		ms.Organisation = x.organisation(s.WhereSightedRefs[0])
	}
	l[0].Sighting = append(l[0].Sighting, ms)
	if s.Count != nil && *s.Count > 1 {
		x.skip(o, "count", "a count of %d is written as one MISP sighting", *s.Count)
	}
}

// opinion writes an opinion disagreeing with an exported indicator as a
// false-positive sighting (type 1), the reading Decode gives such
// sightings.
func (x *exporter) opinion(o *stix.Object) {
	var op string
	var refs []string
	_, _ = o.Get("opinion", &op)
	_, _ = o.Get("object_refs", &refs)
	if (op != "strongly-disagree" && op != "disagree") || len(refs) != 1 || len(x.of[refs[0]]) == 0 {
		x.skip(o, "", "only opinions disagreeing with one exported indicator have a MISP counterpart (a false-positive sighting)")
		return
	}
	a := x.of[refs[0]][0]
	if o.Modified().Time().Unix() < 1 {
		x.skip(o, "", "dated before 1970, when MISP sightings cannot be")
		return
	}
	_, u, _ := stix.SplitID(o.ID())
	ms := mispSighting{UUID: u, AttributeUUID: a.UUID, Type: "1", DateSighting: unixString(o.Modified().Time())}
	var by string
	if _, _ = o.Get("created_by_ref", &by); by != "" {
		ms.Organisation = x.organisation(by)
	}
	a.Sighting = append(a.Sighting, ms)
}

// rest reports the objects no step above wrote.
func (x *exporter) rest(o *stix.Object) {
	switch {
	case len(x.of[o.ID()]) > 0 || x.cluster[o.ID()] != nil || x.reported[o.ID()]:
		return
	case o.Type() == "marking-definition":
		// Carried by the event's and attributes' tlp tags.
		return
	case isSCO(o.Type()), slices.Contains([]string{"indicator", "relationship", "sighting", "opinion"}, o.Type()):
		// Reported by their own step when they were not written.
		return
	case len(x.made[o.ID()]) > 0:
		return
	case o.Type() == "report" || o.Type() == "grouping":
		x.skip(o, "", "the case itself is the MISP event; its %s is not exported", o.Type())
	default:
		x.skip(o, "", "MISP events have no place for %s objects", o.Type())
	}
}
