package misp

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// objectTemplates maps the supported MISP object templates to their
// conversion; objects of other templates are listed in Event.Skipped.
var objectTemplates = map[string]template{
	"file":               fileObject,
	"domain-ip":          domainIPObject,
	"url":                urlObject,
	"ip-port":            trafficObject,
	"network-connection": trafficObject,
	"email":              emailObject,
	"registry-key":       registryKeyObject,
	"x509":               x509Object,
	"asn":                asnObject,
}

// template converts the attributes of one object. It marks in t what it
// used; it returns a reason instead when the object lacks what its STIX
// counterpart needs.
type template func(t *taker) (*conv, string, error)

// taker hands a template the object's attributes by relation and
// collects what it takes.
type taker struct {
	attrs []*attr
	used  map[*attr]bool
	comps []string
	paths map[*props]string
}

// from records that observable p was made of attribute a, so that a
// refusal of p names a's value.
func (t *taker) from(p *props, a *attr) {
	if t.paths == nil {
		t.paths = map[*props]string{}
	}
	t.paths[p] = a.n.at("value")
}

// all returns the attributes of the given relations not yet taken.
func (t *taker) all(relations ...string) []*attr {
	var out []*attr
	for _, a := range t.attrs {
		if !t.used[a] && slices.Contains(relations, a.relation) {
			out = append(out, a)
		}
	}
	return out
}

// first returns the first attribute of the given relations not yet taken.
func (t *taker) first(relations ...string) *attr {
	if l := t.all(relations...); len(l) > 0 {
		return l[0]
	}
	return nil
}

// take marks a as used and, if it is for IDS, adds its comparisons.
func (t *taker) take(a *attr, comps ...string) {
	t.used[a] = true
	if a.toIDs {
		t.comps = append(t.comps, comps...)
	}
}

func (t *taker) conv(scos ...*props) *conv {
	return &conv{scos: scos, comps: t.comps, paths: t.paths}
}

func valueErr(a *attr, err error) error { return a.n.fail("value", "%s", err.Error()) }

func fileObject(t *taker) (*conv, string, error) {
	hashes := map[string]string{}
	var name string
	if a := t.first("filename"); a != nil && a.value != "" {
		name = a.value
		t.take(a, "file:name = "+quote(name))
	}
	for _, a := range t.attrs {
		h, ok := hashTypes[a.relation]
		if !ok || t.used[a] {
			continue
		}
		alg, v, err := hashValue(a.relation, a.value)
		if err != nil {
			return nil, "", valueErr(a, err)
		}
		if _, dup := hashes[h.alg]; dup {
			continue
		}
		hashes[alg] = v
		t.take(a, hashComp("file", alg, v))
	}
	if a := t.first("malware-sample"); a != nil {
		n, h, err := splitPair(a.value, "filename|md5", true)
		if err != nil {
			return nil, "", valueErr(a, err)
		}
		_, md5, err := hashValue("md5", h)
		if err != nil {
			return nil, "", valueErr(a, err)
		}
		if _, has := hashes["MD5"]; !has {
			hashes["MD5"] = md5
			t.take(a, hashComp("file", "MD5", md5))
		}
		if name == "" && n != "" {
			name = n
			t.take(a, "file:name = "+quote(n))
		}
		t.used[a] = true
	}
	if name == "" && len(hashes) == 0 {
		return nil, "it has neither a file name nor a hash", nil
	}
	p := newSCO("file")
	if len(hashes) > 0 {
		p.set("hashes", hashes)
	}
	if a := t.first("size-in-bytes"); a != nil {
		n, err := strconv.ParseInt(strings.TrimSpace(a.value), 10, 64)
		if err != nil || n < 0 {
			return nil, "", a.n.fail("value", "%q is not a size in bytes", a.value)
		}
		p.set("size", n)
		t.take(a, "file:size = "+strconv.FormatInt(n, 10))
	}
	if name != "" {
		p.set("name", name)
	}
	if a := t.first("mimetype"); a != nil && mimeRE.MatchString(a.value) {
		p.set("mime_type", a.value)
		t.take(a, "file:mime_type = "+quote(a.value))
	}
	finishSCO(p)
	return t.conv(p), "", nil
}

// mimeRE is the form STIX requires of a media type.
var mimeRE = regexp.MustCompile(`^(application|audio|font|image|message|model|multipart|text|video)/[a-zA-Z0-9.+_-]+$`)

func domainIPObject(t *taker) (*conv, string, error) {
	ipAttrs := t.all("ip", "ip-dst", "ip-src")
	domAttrs := t.all("domain", "hostname")
	if len(ipAttrs) == 0 && len(domAttrs) == 0 {
		return nil, "it has neither a domain nor an IP address", nil
	}
	var ips []*props
	var refs []string
	for _, a := range ipAttrs {
		p, err := addrSCO(a.value)
		if err != nil {
			return nil, "", valueErr(a, err)
		}
		t.from(p, a)
		ips = append(ips, p)
		refs = append(refs, p.get("id").(string))
		if len(domAttrs) > 0 {
			t.take(a, "domain-name:resolves_to_refs[*].value = "+quote(p.get("value").(string)))
		} else {
			t.take(a, addrComp(p))
		}
	}
	var doms []*props
	for _, a := range domAttrs {
		d := domainSCO(a.value)
		if len(refs) > 0 {
			d.set("resolves_to_refs", refs)
		}
		t.from(d, a)
		doms = append(doms, d)
		t.take(a, "domain-name:value = "+quote(d.get("value").(string)))
	}
	return t.conv(append(doms, ips...)...), "", nil
}

func urlObject(t *taker) (*conv, string, error) {
	a := t.first("url")
	if a == nil {
		return nil, "it has no url", nil
	}
	s, err := absoluteURL(a.value)
	if err != nil {
		return nil, "", valueErr(a, err)
	}
	p := newSCO("url").set("value", s)
	finishSCO(p)
	t.take(a, "url:value = "+quote(s))
	return t.conv(p), "", nil
}

// trafficObject converts ip-port and network-connection objects to a
// network-traffic between their addresses (or, for the destination, a
// host name).
func trafficObject(t *taker) (*conv, string, error) {
	var scos []*props
	p := newSCO("network-traffic")
	var family string
	side := func(name string, ipRels, hostRels []string) error {
		if a := t.first(ipRels...); a != nil {
			addr, err := addrSCO(a.value)
			if err != nil {
				return valueErr(a, err)
			}
			scos = append(scos, addr)
			t.from(addr, a)
			p.set(name+"_ref", addr.get("id"))
			if family == "" {
				family = strings.TrimSuffix(addr.get("type").(string), "-addr")
			}
			t.take(a, "network-traffic:"+name+"_ref.value = "+quote(addr.get("value").(string)))
			return nil
		}
		if a := t.first(hostRels...); a != nil {
			d := domainSCO(a.value)
			scos = append(scos, d)
			t.from(d, a)
			p.set(name+"_ref", d.get("id"))
			t.take(a, "network-traffic:"+name+"_ref.value = "+quote(d.get("value").(string)))
		}
		return nil
	}
	if err := side("src", []string{"ip-src", "src-ip"}, []string{"hostname-src"}); err != nil {
		return nil, "", err
	}
	if err := side("dst", []string{"ip-dst", "ip", "dst-ip"}, []string{"hostname-dst", "hostname", "domain"}); err != nil {
		return nil, "", err
	}
	if len(scos) == 0 {
		return nil, "it has no address or host name", nil
	}
	for _, s := range []string{"src", "dst"} {
		if a := t.first(s+"-port", s+"_port"); a != nil {
			n, err := strconv.Atoi(strings.TrimSpace(a.value))
			if err != nil || n < 0 || n > 65535 {
				return nil, "", a.n.fail("value", "%q is not a port number (0 to 65535)", a.value)
			}
			p.set(s+"_port", n)
			t.take(a, "network-traffic:"+s+"_port = "+strconv.Itoa(n))
		}
	}
	var protocols []string
	for _, a := range t.all("layer3-protocol", "layer4-protocol", "layer7-protocol", "protocol") {
		v := strings.ToLower(strings.TrimSpace(a.value))
		if v == "" {
			continue
		}
		protocols = appendNew(protocols, v)
		t.take(a, "network-traffic:protocols[*] = "+quote(v))
	}
	if len(protocols) == 0 {
		// STIX requires protocols: the network layer of the address,
		// else tcp.
		protocols = []string{"tcp"}
		if family != "" {
			protocols = []string{family}
		}
	}
	p.set("protocols", protocols)
	finishSCO(p)
	return t.conv(append([]*props{p}, scos...)...), "", nil
}

func emailObject(t *taker) (*conv, string, error) {
	var scos []*props
	p := newSCO("email-message").set("is_multipart", false)
	if a := t.first("send-date", "date"); a != nil {
		at, err := a.n.datetime("value")
		if err != nil {
			return nil, "", err
		}
		p.set("date", stixTime(at))
		t.used[a] = true
	}
	addr := func(a *attr) *props {
		e := emailSCO(a.value)
		t.from(e, a)
		scos = append(scos, e)
		return e
	}
	if a := t.first("from"); a != nil {
		e := addr(a)
		p.set("from_ref", e.get("id"))
		t.take(a, "email-message:from_ref.value = "+quote(e.get("value").(string)))
	}
	for _, rel := range []string{"to", "cc", "bcc"} {
		var refs []string
		for _, a := range t.all(rel) {
			e := addr(a)
			refs = appendNew(refs, e.get("id").(string))
			t.take(a, "email-message:"+rel+"_refs[*].value = "+quote(e.get("value").(string)))
		}
		if len(refs) > 0 {
			p.set(rel+"_refs", refs)
		}
	}
	for _, f := range []struct{ rel, prop string }{{"message-id", "message_id"}, {"subject", "subject"}, {"email-body", "body"}} {
		if a := t.first(f.rel); a != nil {
			p.set(f.prop, a.value)
			t.take(a, "email-message:"+f.prop+" = "+quote(a.value))
		}
	}
	if p.get("from_ref") == nil && p.get("subject") == nil && p.get("body") == nil {
		return nil, "it has neither from, subject nor body, from which STIX derives an e-mail message's id", nil
	}
	finishSCO(p)
	return t.conv(append([]*props{p}, scos...)...), "", nil
}

// registryTypes are the data types STIX allows for registry values.
var registryTypes = []string{
	"REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN",
	"REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST",
	"REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD", "REG_INVALID_TYPE",
}

func registryKeyObject(t *taker) (*conv, string, error) {
	a := t.first("key")
	if a == nil || strings.TrimSpace(a.value) == "" {
		return nil, "it has no key", nil
	}
	key := fullHive(strings.TrimSpace(a.value))
	p := newSCO("windows-registry-key").set("key", key)
	t.take(a, "windows-registry-key:key = "+quote(key))
	value := map[string]any{}
	for _, f := range []struct{ rel, prop string }{{"name", "name"}, {"data", "data"}, {"data-type", "data_type"}} {
		if a := t.first(f.rel); a != nil {
			if f.prop == "data_type" && !slices.Contains(registryTypes, a.value) {
				continue
			}
			value[f.prop] = a.value
			t.take(a, "windows-registry-key:values[*]."+f.prop+" = "+quote(a.value))
		}
	}
	if len(value) > 0 {
		p.set("values", []map[string]any{value})
	}
	if a := t.first("last-modified"); a != nil {
		at, err := a.n.datetime("value")
		if err != nil {
			return nil, "", err
		}
		p.set("modified_time", stixTime(at))
		t.used[a] = true
	}
	finishSCO(p)
	return t.conv(p), "", nil
}

func x509Object(t *taker) (*conv, string, error) {
	p := newSCO("x509-certificate")
	hashes := map[string]string{}
	for _, f := range []struct{ rel, alg string }{{"x509-fingerprint-md5", "MD5"}, {"x509-fingerprint-sha1", "SHA-1"}, {"x509-fingerprint-sha256", "SHA-256"}} {
		rel, alg := f.rel, f.alg
		if a := t.first(rel); a != nil {
			c, err := x509Attr(alg)(a.value, a)
			if err != nil {
				return nil, "", valueErr(a, err)
			}
			h := c.scos[0].get("hashes").(map[string]string)[alg]
			hashes[alg] = h
			t.take(a, hashComp("x509-certificate", alg, h))
		}
	}
	if len(hashes) > 0 {
		p.set("hashes", hashes)
	}
	for _, f := range []struct{ rel, prop string }{{"serial-number", "serial_number"}, {"issuer", "issuer"}, {"subject", "subject"}} {
		if a := t.first(f.rel); a != nil && a.value != "" {
			p.set(f.prop, a.value)
			t.take(a, "x509-certificate:"+f.prop+" = "+quote(a.value))
		}
	}
	for _, f := range []struct{ rel, prop string }{{"validity-not-before", "validity_not_before"}, {"validity-not-after", "validity_not_after"}} {
		if a := t.first(f.rel); a != nil {
			at, err := a.n.datetime("value")
			if err != nil {
				return nil, "", err
			}
			p.set(f.prop, stixTime(at))
			t.used[a] = true
		}
	}
	if len(hashes) == 0 && p.get("serial_number") == nil {
		return nil, "it has neither a fingerprint nor a serial number, from which STIX derives a certificate's id", nil
	}
	if b, a := p.get("validity_not_before"), p.get("validity_not_after"); b != nil && a != nil && b.(string) > a.(string) {
		return nil, "its validity ends before it begins", nil
	}
	finishSCO(p)
	return t.conv(p), "", nil
}

func asnObject(t *taker) (*conv, string, error) {
	a := t.first("asn")
	if a == nil {
		return nil, "it has no asn", nil
	}
	n, err := asNumber(a.value)
	if err != nil {
		return nil, "", valueErr(a, err)
	}
	p := newSCO("autonomous-system").set("number", n)
	t.take(a, "autonomous-system:number = "+strconv.FormatInt(n, 10))
	if d := t.first("description"); d != nil && d.value != "" {
		p.set("name", d.value)
		t.used[d] = true
	}
	finishSCO(p)
	return t.conv(p), "", nil
}

// pendingRef is an ObjectReference, resolved once every object is in.
type pendingRef struct {
	n      node
	source string // the STIX object of the referring MISP object
	rank   int
}

// object converts one MISP object and returns its references.
func (b *builder) object(n node) ([]pendingRef, error) {
	name, err := n.str("name")
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, n.fail("name", "is required")
	}
	u, err := b.elementUUID(n, name)
	if err != nil {
		return nil, err
	}
	deleted, err := n.boolean("deleted")
	if err != nil {
		return nil, err
	}
	ts, err := n.unix("timestamp")
	if err != nil {
		return nil, err
	}
	if ts.IsZero() {
		ts = b.at
	}
	nodes, err := n.nodes("Attribute")
	if err != nil {
		return nil, err
	}
	var attrs []*attr
	for _, an := range nodes {
		a, err := b.readAttr(an, ts)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, a)
	}
	if _, err := n.nodes("ObjectReference"); err != nil {
		return nil, err
	}
	if deleted {
		b.skip(n.path, name, "deleted in MISP")
		return nil, nil
	}
	tmpl, ok := objectTemplates[name]
	if !ok {
		b.skip(n.path, name, fmt.Sprintf("no STIX mapping for MISP object template %q", name))
		return nil, nil
	}
	if u == "" {
		u = derive("object", b.uuid, n.path)
	}
	t := &taker{used: map[*attr]bool{}}
	rank := b.tlp
	for _, a := range attrs {
		if err := b.shadows(a.n); err != nil {
			return nil, err
		}
		if a.deleted {
			b.skip(a.n.path, a.typ, "deleted in MISP")
			continue
		}
		t.attrs = append(t.attrs, a)
		rank = max(rank, a.rank)
	}
	c, why, err := tmpl(t)
	if err != nil {
		return nil, err
	}
	if c == nil {
		b.skip(n.path, name, fmt.Sprintf("MISP object %q not imported: %s", name, why))
		return nil, nil
	}
	for _, s := range c.scos {
		path := n.path
		if p, ok := c.paths[s]; ok {
			path = p
		}
		if err := b.add(s, path); err != nil {
			return nil, err
		}
		b.mark(s.get("id").(string), rank)
	}
	primary := c.scos[0].get("id").(string)
	var indicator string
	if len(c.comps) > 0 {
		indicator = "indicator--" + u
		first, err := n.datetime("first_seen")
		if err != nil {
			return nil, err
		}
		last, err := n.datetime("last_seen")
		if err != nil {
			return nil, err
		}
		comment, err := n.str("comment")
		if err != nil {
			return nil, err
		}
		meta, err := n.str("meta-category")
		if err != nil {
			return nil, err
		}
		labels := []string{fmt.Sprintf("misp:name=%q", name)}
		if meta != "" {
			labels = append(labels, fmt.Sprintf("misp:meta-category=%q", meta))
		}
		oa := &attr{n: n, comment: comment, ts: ts, firstSeen: first, lastSeen: last}
		if err := b.addIndicator(indicator, "stix", pattern(c.comps), oa, labels, rank, n.path); err != nil {
			return nil, err
		}
		rel, err := b.relate(indicator, "based-on", primary, ts, b.creator, n.path)
		if err != nil {
			return nil, err
		}
		b.mark(rel, rank)
	}
	b.record(u, primary, indicator)
	for _, a := range t.attrs {
		if !t.used[a] {
			b.skip(a.n.path, a.typ, fmt.Sprintf("relation %q of MISP object %q has no STIX mapping", a.relation, name))
			continue
		}
		if a.uuid != "" {
			b.record(a.uuid, primary, indicator)
		}
		if err := b.attrGalaxies(a, primary, indicator, rank); err != nil {
			return nil, err
		}
		if err := b.sightings(a.n, b.attrID(a), primary, indicator, rank); err != nil {
			return nil, err
		}
	}
	refs, _ := n.nodes("ObjectReference")
	out := make([]pendingRef, len(refs))
	for i, r := range refs {
		out[i] = pendingRef{n: r, source: primary, rank: rank}
	}
	return out, nil
}

var relTypeRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// reference converts an ObjectReference to a relationship between what
// its object and its target became.
func (b *builder) reference(r pendingRef) error {
	n := r.n
	typ, err := n.str("relationship_type")
	if err != nil {
		return err
	}
	if typ == "" {
		return n.fail("relationship_type", "is required")
	}
	target, err := b.refUUID(n, "referenced_uuid")
	if err != nil {
		return err
	}
	u, err := n.uuid("uuid")
	if err != nil {
		return err
	}
	comment, err := n.str("comment")
	if err != nil {
		return err
	}
	deleted, err := n.boolean("deleted")
	if err != nil {
		return err
	}
	ts, err := n.unix("timestamp")
	if err != nil {
		return err
	}
	if ts.IsZero() {
		ts = b.at
	}
	if deleted {
		b.skip(n.path, "ObjectReference", "deleted in MISP")
		return nil
	}
	to, ok := b.primary[target]
	if target == "" || !ok {
		b.skip(n.path, "ObjectReference", fmt.Sprintf("its target %s (%s) was not imported", target, typ))
		return nil
	}
	rt := strings.NewReplacer("_", "-", " ", "-").Replace(strings.ToLower(strings.TrimSpace(typ)))
	if !relTypeRE.MatchString(rt) {
		b.skip(n.path, "ObjectReference", fmt.Sprintf("%q is not usable as a STIX relationship type", typ))
		return nil
	}
	if u == "" {
		u = derive("relationship", r.source, rt, to)
	}
	id := "relationship--" + u
	p := newSDO("relationship", id, ts, b.creator).set("relationship_type", rt)
	if comment != "" {
		p.set("description", comment)
	}
	p.set("source_ref", r.source).set("target_ref", to)
	if err := b.add(p, n.path); err != nil {
		return err
	}
	b.mark(id, r.rank)
	return nil
}

// pattern joins comparisons into a STIX pattern: one observation per
// object type, in which comparisons of one property are alternatives (OR)
// and comparisons of different properties all hold (AND).
func pattern(comps []string) string {
	var types []string
	byType := map[string][]string{}
	for _, c := range comps {
		typ, _, _ := strings.Cut(c, ":")
		if _, ok := byType[typ]; !ok {
			types = append(types, typ)
		}
		byType[typ] = append(byType[typ], c)
	}
	var obs []string
	for _, typ := range types {
		var paths []string
		byPath := map[string][]string{}
		for _, c := range byType[typ] {
			path, _, _ := strings.Cut(c, " = ")
			if _, ok := byPath[path]; !ok {
				paths = append(paths, path)
			}
			byPath[path] = append(byPath[path], c)
		}
		var terms []string
		for _, path := range paths {
			if l := byPath[path]; len(l) > 1 {
				terms = append(terms, "("+strings.Join(l, " OR ")+")")
			} else {
				terms = append(terms, l[0])
			}
		}
		obs = append(obs, "["+strings.Join(terms, " AND ")+"]")
	}
	return strings.Join(obs, " AND ")
}
