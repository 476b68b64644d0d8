package misp

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// conv is what one MISP value becomes in STIX: observables (the primary
// one first, the one an indicator is based on) and the comparisons of the
// indicator's pattern; or a domain object; or an indicator whose value is
// its pattern (rule); or a note; or an external reference of the event.
type conv struct {
	scos  []*props
	comps []string
	paths map[*props]string // where each observable comes from, in objects
	sdo   *props
	rule  string
	note  bool
	link  bool
}

type mapper func(v string, a *attr) (*conv, error)

// attributeTypes maps each supported MISP attribute type to its
// conversion. Types not here are listed in Event.Skipped.
var attributeTypes = func() map[string]mapper {
	m := map[string]mapper{
		"ip-src": ipAttr, "ip-dst": ipAttr,
		"ip-src|port": ipPortAttr("src"), "ip-dst|port": ipPortAttr("dst"),
		"hostname": domainAttr, "domain": domainAttr,
		"domain|ip":     domainIPAttr,
		"hostname|port": hostnamePortAttr,
		"url":           urlAttr,
		"link":          linkAttr,
		"email":         emailAttr, "email-src": emailAttr, "email-dst": emailAttr,
		"email-reply-to": emailAttr, "target-email": emailAttr,
		"whois-registrant-email": emailAttr, "dns-soa-email": emailAttr,
		"email-subject":           emailMessageAttr("subject"),
		"email-body":              emailMessageAttr("body"),
		"email-attachment":        filenameAttr,
		"filename":                filenameAttr,
		"malware-sample":          malwareSampleAttr,
		"attachment":              attachmentAttr,
		"regkey":                  regkeyAttr,
		"regkey|value":            regkeyValueAttr,
		"mutex":                   mutexAttr,
		"AS":                      asAttr,
		"mac-address":             macAttr,
		"x509-fingerprint-md5":    x509Attr("MD5"),
		"x509-fingerprint-sha1":   x509Attr("SHA-1"),
		"x509-fingerprint-sha256": x509Attr("SHA-256"),
		"vulnerability":           vulnerabilityAttr,
		"threat-actor":            namedSDOAttr("threat-actor"),
		"campaign-name":           namedSDOAttr("campaign"),
		"yara":                    ruleAttr("yara"),
		"snort":                   ruleAttr("snort"),
		"suricata":                ruleAttr("suricata"),
		"sigma":                   ruleAttr("sigma"),
		"stix2-pattern":           ruleAttr("stix"),
		"text":                    noteAttr,
		"comment":                 noteAttr,
	}
	// The hash types and filename|hash pairs are regular.
	for t := range hashTypes {
		m[t] = hashAttr(t)
		m["filename|"+t] = filenameHashAttr(t)
	}
	return m
}()

// hashTypes maps MISP hash attribute types to STIX hash algorithm names
// (hash-algorithm-ov, and the names SHA-224, SHA-384, SHA3-224 and
// SHA3-384 for the others), with the hexadecimal length of the value (0
// for the fuzzy hashes, which STIX checks).
var hashTypes = map[string]struct {
	alg string
	hex int
}{
	"md5": {"MD5", 32}, "sha1": {"SHA-1", 40}, "sha224": {"SHA-224", 56},
	"sha256": {"SHA-256", 64}, "sha384": {"SHA-384", 96}, "sha512": {"SHA-512", 128},
	"sha3-224": {"SHA3-224", 56}, "sha3-256": {"SHA3-256", 64},
	"sha3-384": {"SHA3-384", 96}, "sha3-512": {"SHA3-512", 128},
	"ssdeep": {"SSDEEP", 0}, "tlsh": {"TLSH", 0},
}

// mapperFor returns the conversion of a MISP attribute type.
func mapperFor(typ string) (mapper, bool) {
	m, ok := attributeTypes[typ]
	return m, ok
}

func scalar(p *props, comps ...string) *conv { return &conv{scos: []*props{p}, comps: comps} }

// addrSCO makes an ipv4-addr or ipv6-addr of an address or CIDR block.
func addrSCO(v string) (*props, error) {
	s := strings.TrimSpace(v)
	var is4 bool
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		is4 = a.Is4()
	} else if p, err := netip.ParsePrefix(s); err == nil {
		is4 = p.Addr().Is4()
	} else {
		return nil, fmt.Errorf("%q is not an IP address", v)
	}
	typ := "ipv6-addr"
	if is4 {
		typ = "ipv4-addr"
	}
	p := newSCO(typ).set("value", s)
	finishSCO(p)
	return p, nil
}

func addrComp(p *props) string {
	return p.get("type").(string) + ":value = " + quote(p.get("value").(string))
}

func ipAttr(v string, _ *attr) (*conv, error) {
	p, err := addrSCO(v)
	if err != nil {
		return nil, err
	}
	return scalar(p, addrComp(p)), nil
}

// splitPair splits a composite MISP value "a|b" at its first bar (last
// when last is set), refusing a value without one.
func splitPair(v, form string, last bool) (string, string, error) {
	i := strings.IndexByte(v, '|')
	if last {
		i = strings.LastIndexByte(v, '|')
	}
	if i < 0 {
		return "", "", fmt.Errorf("%q is not of the form %s", v, form)
	}
	return v[:i], v[i+1:], nil
}

func parsePort(s, v string) (int, error) {
	p, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || p < 0 || p > 65535 {
		return 0, fmt.Errorf("%q does not end in a port number (0 to 65535)", v)
	}
	return p, nil
}

// trafficSCO makes a network-traffic to or from an address or domain.
// STIX requires protocols; MISP's composite attributes have none, so
// they are the network layer of the address (ipv4, ipv6), or tcp for a
// host name.
func trafficSCO(side string, to *props, port int, protocols []string) *props {
	p := newSCO("network-traffic")
	p.set(side+"_ref", to.get("id"))
	p.set(side+"_port", port)
	p.set("protocols", protocols)
	finishSCO(p)
	return p
}

func ipPortAttr(side string) mapper {
	return func(v string, _ *attr) (*conv, error) {
		ip, port, err := splitPair(v, "IP|port", true)
		if err != nil {
			return nil, err
		}
		addr, err := addrSCO(ip)
		if err != nil {
			return nil, fmt.Errorf("%q does not start with an IP address", v)
		}
		n, err := parsePort(port, v)
		if err != nil {
			return nil, err
		}
		family := strings.TrimSuffix(addr.get("type").(string), "-addr")
		t := trafficSCO(side, addr, n, []string{family})
		return &conv{scos: []*props{t, addr}, comps: []string{
			"network-traffic:" + side + "_ref.value = " + quote(addr.get("value").(string)),
			"network-traffic:" + side + "_port = " + strconv.Itoa(n),
		}}, nil
	}
}

func domainSCO(v string) *props {
	p := newSCO("domain-name").set("value", strings.TrimSpace(v))
	finishSCO(p)
	return p
}

func domainAttr(v string, _ *attr) (*conv, error) {
	p := domainSCO(v)
	return scalar(p, "domain-name:value = "+quote(p.get("value").(string))), nil
}

func domainIPAttr(v string, _ *attr) (*conv, error) {
	d, ip, err := splitPair(v, "domain|IP", false)
	if err != nil {
		return nil, err
	}
	addr, err := addrSCO(ip)
	if err != nil {
		return nil, fmt.Errorf("%q does not end in an IP address", v)
	}
	dom := domainSCO(d)
	dom.set("resolves_to_refs", []string{addr.get("id").(string)})
	return &conv{scos: []*props{dom, addr}, comps: []string{
		"domain-name:value = " + quote(dom.get("value").(string)),
		"domain-name:resolves_to_refs[*].value = " + quote(addr.get("value").(string)),
	}}, nil
}

func hostnamePortAttr(v string, _ *attr) (*conv, error) {
	h, port, err := splitPair(v, "hostname|port", true)
	if err != nil {
		return nil, err
	}
	n, err := parsePort(port, v)
	if err != nil {
		return nil, err
	}
	dom := domainSCO(h)
	t := trafficSCO("dst", dom, n, []string{"tcp"})
	return &conv{scos: []*props{t, dom}, comps: []string{
		"network-traffic:dst_ref.value = " + quote(dom.get("value").(string)),
		"network-traffic:dst_port = " + strconv.Itoa(n),
	}}, nil
}

func absoluteURL(v string) (string, error) {
	s := strings.TrimSpace(v)
	if !validURL(s) {
		return "", fmt.Errorf("%q is not an absolute URL", v)
	}
	return s, nil
}

func urlAttr(v string, _ *attr) (*conv, error) {
	s, err := absoluteURL(v)
	if err != nil {
		return nil, err
	}
	p := newSCO("url").set("value", s)
	finishSCO(p)
	return scalar(p, "url:value = "+quote(s)), nil
}

func linkAttr(v string, _ *attr) (*conv, error) {
	if _, err := absoluteURL(v); err != nil {
		return nil, err
	}
	return &conv{link: true}, nil
}

func emailSCO(v string) *props {
	p := newSCO("email-addr").set("value", strings.TrimSpace(v))
	finishSCO(p)
	return p
}

func emailAttr(v string, _ *attr) (*conv, error) {
	p := emailSCO(v)
	return scalar(p, "email-addr:value = "+quote(p.get("value").(string))), nil
}

func emailMessageAttr(prop string) mapper {
	return func(v string, _ *attr) (*conv, error) {
		p := newSCO("email-message").set("is_multipart", false).set(prop, v)
		finishSCO(p)
		return scalar(p, "email-message:"+prop+" = "+quote(v)), nil
	}
}

func fileSCO(name string, hashes map[string]string) *props {
	p := newSCO("file")
	if len(hashes) > 0 {
		p.set("hashes", hashes)
	}
	if name != "" {
		p.set("name", name)
	}
	finishSCO(p)
	return p
}

func filenameAttr(v string, _ *attr) (*conv, error) {
	if v == "" {
		return nil, fmt.Errorf("a file name must not be empty")
	}
	return scalar(fileSCO(v, nil), "file:name = "+quote(v)), nil
}

var tlshVersion = regexp.MustCompile(`^[Tt]1[0-9A-Fa-f]{70}$`)

// hashValue checks a hash of the MISP type typ and returns its STIX
// algorithm name and value. A TLSH with the "T1" version prefix of TLSH 4
// loses it: STIX's TLSH is the 70 digits.
func hashValue(typ, v string) (alg, value string, err error) {
	h := hashTypes[typ]
	s := strings.TrimSpace(v)
	if h.hex > 0 {
		ok := len(s) == h.hex
		for i := 0; ok && i < len(s); i++ {
			ok = isHex(s[i])
		}
		if !ok {
			return "", "", fmt.Errorf("%q is not a %s hash (%d hexadecimal digits)", v, typ, h.hex)
		}
	}
	if h.alg == "TLSH" && tlshVersion.MatchString(s) {
		s = s[2:]
	}
	return h.alg, s, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hashComp(typ, alg, value string) string {
	return typ + ":hashes." + quote(alg) + " = " + quote(value)
}

func hashAttr(typ string) mapper {
	return func(v string, _ *attr) (*conv, error) {
		alg, h, err := hashValue(typ, v)
		if err != nil {
			return nil, err
		}
		return scalar(fileSCO("", map[string]string{alg: h}), hashComp("file", alg, h)), nil
	}
}

func filenameHashAttr(typ string) mapper {
	return func(v string, _ *attr) (*conv, error) {
		name, hv, err := splitPair(v, "filename|"+typ, true)
		if err != nil {
			return nil, err
		}
		if name == "" {
			return nil, fmt.Errorf("%q has an empty file name", v)
		}
		alg, h, err := hashValue(typ, hv)
		if err != nil {
			return nil, err
		}
		return scalar(fileSCO(name, map[string]string{alg: h}),
			"file:name = "+quote(name), hashComp("file", alg, h)), nil
	}
}

// malwareSampleAttr reads "name|md5". The sample itself (data, a
// password-protected zip) is not imported: accord keeps evidence files
// apart, with their chain of custody.
func malwareSampleAttr(v string, a *attr) (*conv, error) {
	return filenameHashAttr("md5")(v, a)
}

// attachmentAttr makes a file named by the value and, when the attribute
// carries its content, an artifact holding it.
func attachmentAttr(v string, a *attr) (*conv, error) {
	if v == "" {
		return nil, fmt.Errorf("a file name must not be empty")
	}
	if a == nil || a.data == "" {
		return filenameAttr(v, a)
	}
	if _, err := base64.StdEncoding.DecodeString(a.data); err != nil {
		return nil, fmt.Errorf("the attachment's data is not base64")
	}
	art := newSCO("artifact").set("payload_bin", a.data)
	finishSCO(art)
	f := newSCO("file").set("name", v).set("content_ref", art.get("id"))
	finishSCO(f)
	return &conv{scos: []*props{f, art}, comps: []string{"file:name = " + quote(v)}}, nil
}

// hives are the abbreviations of registry hives that MISP data often
// uses; STIX requires the hive in full.
var hives = []struct{ short, full string }{
	{"HKLM", "HKEY_LOCAL_MACHINE"}, {"HKCU", "HKEY_CURRENT_USER"}, {"HKCR", "HKEY_CLASSES_ROOT"},
	{"HKU", "HKEY_USERS"}, {"HKCC", "HKEY_CURRENT_CONFIG"},
}

// fullHive expands an abbreviated hive at the start of a registry key.
func fullHive(key string) string {
	for _, h := range hives {
		if len(key) >= len(h.short) && strings.EqualFold(key[:len(h.short)], h.short) &&
			(len(key) == len(h.short) || key[len(h.short)] == '\\') {
			return h.full + key[len(h.short):]
		}
	}
	return key
}

func regkeySCO(key string, values []map[string]any) *props {
	p := newSCO("windows-registry-key").set("key", key)
	if len(values) > 0 {
		p.set("values", values)
	}
	finishSCO(p)
	return p
}

func regkeyAttr(v string, _ *attr) (*conv, error) {
	k := fullHive(strings.TrimSpace(v))
	if k == "" {
		return nil, fmt.Errorf("a registry key must not be empty")
	}
	return scalar(regkeySCO(k, nil), "windows-registry-key:key = "+quote(k)), nil
}

func regkeyValueAttr(v string, _ *attr) (*conv, error) {
	k, data, err := splitPair(v, "key|data", false)
	if err != nil {
		return nil, err
	}
	if k = fullHive(strings.TrimSpace(k)); k == "" {
		return nil, fmt.Errorf("%q has an empty registry key", v)
	}
	p := regkeySCO(k, []map[string]any{{"data": data}})
	return scalar(p, "windows-registry-key:key = "+quote(k),
		"windows-registry-key:values[*].data = "+quote(data)), nil
}

func mutexAttr(v string, _ *attr) (*conv, error) {
	if v == "" {
		return nil, fmt.Errorf("a mutex name must not be empty")
	}
	p := newSCO("mutex").set("name", v)
	finishSCO(p)
	return scalar(p, "mutex:name = "+quote(v)), nil
}

// asNumber reads "AS3356", "as3356" or "3356".
func asNumber(v string) (int64, error) {
	s := strings.TrimSpace(v)
	if len(s) > 2 && strings.EqualFold(s[:2], "AS") {
		s = s[2:]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 4294967295 || s[0] == '+' {
		return 0, fmt.Errorf("%q is not an autonomous system number", v)
	}
	return n, nil
}

func asAttr(v string, _ *attr) (*conv, error) {
	n, err := asNumber(v)
	if err != nil {
		return nil, err
	}
	p := newSCO("autonomous-system").set("number", n)
	finishSCO(p)
	return scalar(p, "autonomous-system:number = "+strconv.FormatInt(n, 10)), nil
}

var macRE = regexp.MustCompile(`^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$`)

// macAttr writes the address as STIX requires it: lower case, colons.
func macAttr(v string, _ *attr) (*conv, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	if !macRE.MatchString(s) {
		return nil, fmt.Errorf("%q is not a MAC address", v)
	}
	s = strings.ReplaceAll(s, "-", ":")
	p := newSCO("mac-addr").set("value", s)
	finishSCO(p)
	return scalar(p, "mac-addr:value = "+quote(s)), nil
}

func x509Attr(alg string) mapper {
	n := map[string]int{"MD5": 32, "SHA-1": 40, "SHA-256": 64}[alg]
	return func(v string, _ *attr) (*conv, error) {
		s := strings.ReplaceAll(strings.TrimSpace(v), ":", "")
		ok := len(s) == n
		for i := 0; ok && i < len(s); i++ {
			ok = isHex(s[i])
		}
		if !ok {
			return nil, fmt.Errorf("%q is not a %s fingerprint (%d hexadecimal digits)", v, alg, n)
		}
		p := newSCO("x509-certificate").set("hashes", map[string]string{alg: s})
		finishSCO(p)
		return scalar(p, hashComp("x509-certificate", alg, s)), nil
	}
}

var cveRE = regexp.MustCompile(`^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$`)

func vulnerabilityAttr(v string, _ *attr) (*conv, error) {
	s := strings.TrimSpace(v)
	if s == "" {
		return nil, fmt.Errorf("a vulnerability must not be empty")
	}
	p := newProps("vulnerability").set("name", s)
	if id := strings.ToUpper(s); cveRE.MatchString(id) {
		p.set("external_references", []map[string]any{{"source_name": "cve", "external_id": id}})
	}
	return &conv{sdo: p}, nil
}

func namedSDOAttr(typ string) mapper {
	return func(v string, _ *attr) (*conv, error) {
		s := strings.TrimSpace(v)
		if s == "" {
			return nil, fmt.Errorf("a %s name must not be empty", typ)
		}
		return &conv{sdo: newProps(typ).set("name", s)}, nil
	}
}

func ruleAttr(patternType string) mapper {
	return func(v string, _ *attr) (*conv, error) {
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("a %s rule must not be empty", patternType)
		}
		return &conv{rule: patternType}, nil
	}
}

func noteAttr(v string, _ *attr) (*conv, error) {
	if v == "" {
		return nil, fmt.Errorf("must not be empty")
	}
	return &conv{note: true}, nil
}
