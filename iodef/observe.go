package iodef

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/accord-cyber/accord"
)

// An observation is what an element says can be observed: the STIX
// objects it made (already added to the incident) and the comparison
// expressions, each the inside of one STIX observation expression
// ("ipv4-addr:value = '192.0.2.1'"), that match them. An element may be
// seen several ways (a Node with two addresses); each is one alternative.
type observation []string

// host is an address or domain of a System's Node, which network traffic
// can refer to.
type host struct {
	id     string
	typ    string // ipv4-addr, ipv6-addr, domain-name, mac-addr
	family string // "ipv4", "ipv6" or ""
	sys    *node  // the System it is in, whose restriction holds for its traffic
}

// service is one Service of a System, as network traffic uses it: the IP
// protocol number and the port, -1 when absent.
type service struct {
	proto int
	port  int
}

// system is a System as a Flow pairs them.
type system struct {
	category string
	hosts    []host
	services []service
}

// maxPairs bounds the network-traffic objects one Flow makes from pairing
// its sources with its targets.
const maxPairs = 1000

// flow maps a Flow: the observables of each System, and network traffic
// from each source host to each target host (or, for a Flow with only
// sources or only targets, from or to each host that has a Service).
func (st *incident) flow(f *node) error {
	f.used = true
	// Systems of other categories (intermediate, sensor, …) give their
	// observables only.
	var srcs, dsts []system
	for _, s := range f.children("System") {
		sys, _, err := st.system(s)
		if err != nil {
			return err
		}
		switch sys.category {
		case "source":
			srcs = append(srcs, sys)
		case "target":
			dsts = append(dsts, sys)
		}
	}
	if len(srcs) > 0 && len(dsts) > 0 {
		n := 0
		for _, s := range srcs {
			for _, d := range dsts {
				n += len(s.hosts) * len(d.hosts) * max(1, len(s.services)) * max(1, len(d.services))
			}
		}
		if n > maxPairs {
			st.d.notes = append(st.d.notes, Skip{Path: f.path(), Reason: fmt.Sprintf("no network-traffic made: %d source-target pairs, more than %d", n, maxPairs)})
			return nil
		}
		for _, s := range srcs {
			for _, d := range dsts {
				for _, sh := range s.hosts {
					for _, dh := range d.hosts {
						for _, ss := range orNone(s.services) {
							for _, ds := range orNone(d.services) {
								if err := st.traffic(f, &sh, &dh, ss, ds); err != nil {
									return err
								}
							}
						}
					}
				}
			}
		}
		return nil
	}
	for _, s := range append(srcs, dsts...) {
		for _, h := range s.hosts {
			for _, sv := range s.services {
				var err error
				if s.category == "source" {
					err = st.traffic(f, &h, nil, sv, service{-1, -1})
				} else {
					err = st.traffic(f, nil, &h, service{-1, -1}, sv)
				}
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func orNone(s []service) []service {
	if len(s) == 0 {
		return []service{{-1, -1}}
	}
	return s
}

// protocolNames are the IANA protocol numbers network traffic names.
var protocolNames = map[int]string{1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 51: "ah", 58: "ipv6-icmp", 132: "sctp"}

// traffic makes the network-traffic from src to dst (either may be nil).
// Its protocols are the IP version both hosts share and the IP protocol of
// the services; with neither known, none is made.
func (st *incident) traffic(f *node, src, dst *host, ss, ds service) error {
	var protocols []string
	switch {
	case src != nil && dst != nil && src.family != "" && src.family == dst.family:
		protocols = append(protocols, src.family)
	case src != nil && dst == nil && src.family != "":
		protocols = append(protocols, src.family)
	case dst != nil && src == nil && dst.family != "":
		protocols = append(protocols, dst.family)
	}
	proto := ds.proto
	if proto < 0 {
		proto = ss.proto
	}
	if name, ok := protocolNames[proto]; ok {
		protocols = append(protocols, name)
	} else if proto >= 0 {
		protocols = append(protocols, strconv.Itoa(proto))
	}
	if len(protocols) == 0 {
		return nil
	}
	props := []prop{}
	if src != nil {
		props = append(props, prop{"src_ref", src.id})
	}
	if dst != nil {
		props = append(props, prop{"dst_ref", dst.id})
	}
	if ss.port >= 0 {
		props = append(props, prop{"src_port", ss.port})
	}
	if ds.port >= 0 {
		props = append(props, prop{"dst_port", ds.port})
	}
	props = append(props, prop{"protocols", protocols})
	o, err := newSCO("network-traffic", props...)
	if err != nil {
		return err
	}
	var srcSys, dstSys *node
	if src != nil {
		srcSys = src.sys
	}
	if dst != nil {
		dstSys = dst.sys
	}
	_, err = st.add(o, f, srcSys, dstSys)
	return err
}

// system maps a System: the observables of its Node, its Services (ports,
// e-mail). The observation is the Node's.
func (st *incident) system(s *node) (system, observation, error) {
	s.used = true
	sys := system{category: extAttr(s, "category")}
	nd := s.child("Node")
	if nd == nil {
		return sys, nil, s.invalid("Node is required")
	}
	hosts, obs, err := st.nodeObs(nd)
	if err != nil {
		return sys, nil, err
	}
	for i := range hosts {
		hosts[i].sys = s
	}
	sys.hosts = hosts
	for _, sv := range s.children("Service") {
		svc, err := st.service(sv)
		if err != nil {
			return sys, nil, err
		}
		if svc.proto >= 0 || svc.port >= 0 {
			sys.services = append(sys.services, svc)
		}
	}
	return sys, obs, nil
}

func (st *incident) service(sv *node) (service, error) {
	sv.used = true
	svc := service{-1, -1}
	if p, ok := sv.attr("ip-protocol"); ok {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 || v > 255 {
			return svc, sv.invalid("ip-protocol %q is not an IP protocol number (0-255)", p)
		}
		svc.proto = v
	}
	if p := sv.child("Port"); p != nil {
		v, err := integer(p, 0, 65535)
		if err != nil {
			return svc, err
		}
		svc.port = int(v)
	}
	if e := sv.child("EmailData"); e != nil {
		if _, err := st.emailData(e); err != nil {
			return svc, err
		}
	}
	return svc, nil
}

// node maps the DomainData and Addresses of a Node, which name one host:
// the observation has one alternative per name or address.
func (st *incident) nodeObs(nd *node) ([]host, observation, error) {
	nd.used = true
	var hosts []host
	var alts []string
	for _, k := range nd.kids {
		var h *host
		var cmp string
		var err error
		switch {
		case k.is("Address"):
			h, cmp, err = st.address(k, extAttrDefault(k, "category", "ipv6-addr"), k.value(), k)
		case k.is("DomainData"):
			h, cmp, err = st.domainData(k)
		default:
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if cmp != "" {
			alts = append(alts, cmp)
		}
		if h != nil {
			hosts = append(hosts, *h)
		}
	}
	if len(alts) == 0 {
		return hosts, nil, nil
	}
	return hosts, observation{strings.Join(alts, " OR ")}, nil
}

func extAttrDefault(n *node, name, def string) string {
	if _, ok := n.attr(name); !ok {
		return def
	}
	return n.attrValue(name)
}

func (st *incident) domainData(dd *node) (*host, string, error) {
	dd.used = true
	nm := dd.child("Name")
	if nm == nil {
		return nil, "", dd.invalid("Name is required")
	}
	return st.domain(nm.value(), nm, dd)
}

func (st *incident) domain(v string, at, from *node) (*host, string, error) {
	v = strings.TrimSuffix(strings.ToLower(v), ".")
	o, err := newSCO("domain-name", prop{"value", v})
	if err != nil {
		return nil, "", err
	}
	if o.Validate() != nil {
		return nil, "", at.invalid("%q is not a domain name", v)
	}
	id, err := st.add(o, from)
	if err != nil {
		return nil, "", err
	}
	return &host{id: id, typ: "domain-name"}, "domain-name:value = " + quote(v), nil
}

// address maps one address of the given category (RFC 7970 section
// 3.19.1, Address category): value was read from element at (an Address,
// or a BulkObservableList), the object is made from element from. It
// returns nil for categories it does not map, having passed over from.
func (st *incident) address(at *node, category, value string, from *node) (*host, string, error) {
	bad := func(what string) (*host, string, error) {
		return nil, "", at.invalid("%q is not %s", value, what)
	}
	mk := func(typ string, props ...prop) (string, error) {
		o, err := newSCO(typ, props...)
		if err != nil {
			return "", err
		}
		return st.add(o, from)
	}
	switch category {
	case "ipv4-addr", "ipv6-addr":
		a, err := netip.ParseAddr(value)
		if err != nil || a.Zone() != "" || category == "ipv4-addr" && !a.Is4() || category == "ipv6-addr" && !a.Is6() {
			return bad("an " + category)
		}
		return st.ip(a.Unmap().String(), a.Unmap().Is4(), from)
	case "ipv4-net", "ipv6-net", "ipv4-net-masked", "ipv6-net-masked", "ipv4-net-mask":
		want4 := strings.HasPrefix(category, "ipv4")
		p, ok := parseNet(value)
		if !ok || p.Addr().Zone() != "" || p.Addr().Is4() != want4 || p.Addr().Is4In6() {
			if want4 {
				return bad("an " + category + " (address/prefix length or address/netmask)")
			}
			return bad("an " + category + " (address/prefix length)")
		}
		return st.ip(p.String(), want4, from)
	case "mac":
		hw, err := net.ParseMAC(value)
		if err != nil || len(hw) != 6 {
			return bad("a MAC address")
		}
		v := hw.String()
		id, err := mk("mac-addr", prop{"value", v})
		if err != nil {
			return nil, "", err
		}
		return &host{id: id, typ: "mac-addr"}, "mac-addr:value = " + quote(v), nil
	case "asn":
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(value), "AS"), 10, 32)
		if err != nil {
			return bad("an autonomous system number")
		}
		if _, err := mk("autonomous-system", prop{"number", n}); err != nil {
			return nil, "", err
		}
		return nil, "autonomous-system:number = " + strconv.FormatUint(n, 10), nil
	case "e-mail":
		a, err := st.emailAddr(value, at, from)
		return nil, a.cmp("email-addr:value"), err
	case "site-uri":
		u := compactSpace(value)
		if pu, err := url.Parse(u); err != nil || !pu.IsAbs() || pu.Host == "" && pu.Opaque == "" {
			return bad("an absolute URL")
		}
		o, err := newSCO("url", prop{"value", u})
		if err != nil {
			return nil, "", err
		}
		if o.Validate() != nil {
			return bad("an absolute URL")
		}
		if _, err := st.add(o, from); err != nil {
			return nil, "", err
		}
		return nil, "url:value = " + quote(u), nil
	case "ext-value":
		from.pass(fmt.Sprintf("addresses of ext-category %q are not mapped", extAttr(from, "category")))
		return nil, "", nil
	case "atm":
		from.pass("ATM addresses are not mapped")
		return nil, "", nil
	}
	return nil, "", at.invalid("category %q is not an Address category of RFC 7970", category)
}

// ip adds the ipv4-addr or ipv6-addr of v, an address or CIDR block.
func (st *incident) ip(v string, is4 bool, from *node) (*host, string, error) {
	typ, family := "ipv6-addr", "ipv6"
	if is4 {
		typ, family = "ipv4-addr", "ipv4"
	}
	o, err := newSCO(typ, prop{"value", v})
	if err != nil {
		return nil, "", err
	}
	id, err := st.add(o, from)
	if err != nil {
		return nil, "", err
	}
	op := " = "
	if strings.Contains(v, "/") {
		op = " ISSUBSET "
	}
	return &host{id: id, typ: typ, family: family}, typ + ":value" + op + quote(v), nil
}

// parseNet reads address/prefix-length or, for IPv4, address/netmask.
func parseNet(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, true
	}
	a, m, ok := strings.Cut(s, "/")
	if !ok {
		return netip.Prefix{}, false
	}
	addr, err1 := netip.ParseAddr(a)
	mask, err2 := netip.ParseAddr(m)
	if err1 != nil || err2 != nil || !addr.Is4() || !mask.Is4() {
		return netip.Prefix{}, false
	}
	b := mask.As4()
	ones, size := net.IPMask(b[:]).Size()
	if size == 0 {
		return netip.Prefix{}, false // not a contiguous mask
	}
	return netip.PrefixFrom(addr, ones), true
}

// compactSpace removes all white space.
func compactSpace(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// unwrap removes the line breaks producers wrap long values with, and the
// indentation around them, and trims the value; white space within a line
// stays (registry keys contain spaces: "Internet Settings").
func unwrap(s string) string {
	return strings.TrimSpace(wrapRE.ReplaceAllString(s, ""))
}

var wrapRE = regexp.MustCompile(`[ \t]*\r?\n\s*`)

// emailAddress is a mapped e-mail address.
type emailAddress struct {
	id    string
	value string
}

func (a emailAddress) cmp(path string) string {
	if a.value == "" {
		return ""
	}
	return path + " = " + quote(a.value)
}

// emailAddr adds the email-addr of v, "local@domain" or
// "Display Name <local@domain>".
func (st *incident) emailAddr(v string, at, from *node) (emailAddress, error) {
	v = strings.TrimSpace(v)
	props := []prop{}
	addr := v
	if pa, err := mail.ParseAddress(v); err == nil {
		addr = pa.Address
		props = append(props, prop{"value", addr}, prop{"display_name", pa.Name})
	} else {
		props = append(props, prop{"value", addr})
	}
	o, err := newSCO("email-addr", props...)
	if err != nil {
		return emailAddress{}, err
	}
	if o.Validate() != nil {
		return emailAddress{}, at.invalid("%q is not an e-mail address", v)
	}
	id, err := st.add(o, from)
	return emailAddress{id: id, value: addr}, err
}

// emailData maps an EmailData: the addresses of its sender and recipients
// and the email-message of its sender, recipients, subject, X-Mailer and
// body.
func (st *incident) emailData(e *node) (observation, error) {
	e.used = true
	var conds []string
	props := []prop{{"is_multipart", false}}
	var to []string
	for _, t := range e.children("EmailTo") {
		a, err := st.emailAddr(t.value(), t, e)
		if err != nil {
			return nil, err
		}
		to = append(to, a.id)
		conds = append(conds, a.cmp("email-message:to_refs[*].value"))
	}
	if f := e.child("EmailFrom"); f != nil {
		a, err := st.emailAddr(f.value(), f, e)
		if err != nil {
			return nil, err
		}
		props = append(props, prop{"from_ref", a.id})
		conds = append(conds, a.cmp("email-message:from_ref.value"))
	}
	props = append(props, prop{"to_refs", to})
	if s := e.child("EmailSubject"); s != nil {
		v := s.value()
		props = append(props, prop{"subject", v})
		if v != "" {
			conds = append(conds, "email-message:subject = "+quote(v))
		}
	}
	if x := e.child("EmailX-Mailer"); x != nil {
		if v := x.value(); v != "" {
			props = append(props, prop{"additional_header_fields", map[string]string{"X-Mailer": v}})
			conds = append(conds, "email-message:additional_header_fields.'X-Mailer' = "+quote(v))
		}
	}
	if b := e.child("EmailBody"); b != nil {
		props = append(props, prop{"body", b.text.String()})
		b.used = true
	}
	if len(props) == 1 {
		return nil, nil
	}
	o, err := newSCO("email-message", props...)
	if err != nil {
		return nil, err
	}
	if _, err := st.add(o, e); err != nil {
		return nil, err
	}
	if len(conds) == 0 {
		return nil, nil
	}
	return observation{strings.Join(conds, " AND ")}, nil
}

// recordData maps the files, registry keys and certificates of a
// RecordData; each is one alternative of the observation.
func (st *incident) recordData(rd *node) (observation, error) {
	rd.used = true
	var obs observation
	for _, k := range rd.kids {
		var o observation
		var err error
		switch {
		case k.is("FileData"):
			o, err = st.fileData(k)
		case k.is("WindowsRegistryKeysModified"):
			o, err = st.registryKeys(k)
		case k.is("CertificateData"):
			o, err = st.certificateData(k)
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		obs = append(obs, o...)
	}
	return obs, nil
}

func (st *incident) fileData(fd *node) (observation, error) {
	fd.used = true
	var obs observation
	for _, f := range fd.children("File") {
		o, err := st.file(f)
		if err != nil {
			return nil, err
		}
		obs = append(obs, o...)
	}
	return obs, nil
}

// file maps a File with its name, size and the hashes of its contents.
func (st *incident) file(f *node) (observation, error) {
	var name string
	var size any
	var hashes map[string]string
	if n := f.child("FileName"); n != nil {
		name = n.value()
	}
	if s := f.child("FileSize"); s != nil {
		v, err := integer(s, 0, 1<<62)
		if err != nil {
			return nil, err
		}
		size = v
	}
	if h := f.child("HashData"); h != nil {
		var err error
		if hashes, err = hashData(h, "file-contents"); err != nil {
			return nil, err
		}
	}
	if name == "" && len(hashes) == 0 {
		f.pass("a file with neither a name nor a hash of its contents is not mapped")
		return nil, nil
	}
	f.used = true
	o, err := newSCO("file", prop{"hashes", hashes}, prop{"size", size}, prop{"name", name})
	if err != nil {
		return nil, err
	}
	if _, err := st.add(o, f); err != nil {
		return nil, err
	}
	var alts []string
	for _, alg := range sortedKeys(hashes) {
		alts = append(alts, "file:hashes."+quote(alg)+" = "+quote(hashes[alg]))
	}
	if len(alts) == 0 {
		alts = append(alts, "file:name = "+quote(name))
	}
	return observation{strings.Join(alts, " OR ")}, nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// digests maps the fragment of an XML Signature / Encryption digest
// algorithm URI (RFC 6931) to its STIX hash name and length in bytes.
var digests = map[string]struct {
	name string
	size int
}{
	"md5": {"MD5", 16}, "sha1": {"SHA-1", 20}, "sha224": {"SHA-224", 28}, "sha256": {"SHA-256", 32},
	"sha384": {"SHA-384", 48}, "sha512": {"SHA-512", 64}, "sha3-224": {"SHA3-224", 28},
	"sha3-256": {"SHA3-256", 32}, "sha3-384": {"SHA3-384", 48}, "sha3-512": {"SHA3-512", 64},
}

// digestBases are the namespaces of the digest algorithm URIs RFC 6931 and
// XML Signature define; producers mix them up (xmlenc#sha1), so any of
// them is taken with any fragment.
var digestBases = []string{
	"http://www.w3.org/2000/09/xmldsig#", "http://www.w3.org/2001/04/xmlenc#",
	"http://www.w3.org/2001/04/xmldsig-more#", "http://www.w3.org/2007/05/xmldsig-more#",
	"http://www.w3.org/2009/xmlenc11#",
}

// hashData maps the Hashes of a HashData of the given scope to STIX hashes
// (lower-case hex). A HashData of another scope is passed over.
func hashData(h *node, scope string) (map[string]string, error) {
	if s := h.attrValue("scope"); s != scope {
		if s == "" {
			return nil, h.invalid("the scope attribute is required")
		}
		h.pass(fmt.Sprintf("hashes of scope %q are not mapped, only %s", s, scope))
		return nil, nil
	}
	h.used = true
	out := map[string]string{}
	for _, hh := range h.children("Hash") {
		dm := hh.childNS(nsDSig, "DigestMethod")
		dv := hh.childNS(nsDSig, "DigestValue")
		if dm == nil || dv == nil {
			return nil, hh.invalid("ds:DigestMethod and ds:DigestValue are required")
		}
		alg := dm.attrValue("Algorithm")
		var frag string
		for _, b := range digestBases {
			if f, ok := strings.CutPrefix(alg, b); ok {
				frag = f
			}
		}
		d, ok := digests[strings.ToLower(frag)]
		if !ok {
			hh.pass(fmt.Sprintf("digest algorithm %q is not known", alg))
			continue
		}
		hh.used, dm.used = true, true
		v, err := digestHex(dv.compact(), d.size)
		if err != nil {
			return nil, dv.invalid("%q is not a %s digest: %s", dv.compact(), d.name, err)
		}
		out[d.name] = v
	}
	return out, nil
}

var hexRE = regexp.MustCompile(`^(0[xX])?[0-9a-fA-F]+$`)

// digestHex reads a ds:DigestValue, which XML Signature writes in base64,
// as lower-case hex of size bytes. Producers of IODEF also write the hex
// itself there, or the base64 of the hex text (as the MILE guidance
// examples do); a value that is neither of the three is refused.
func digestHex(v string, size int) (string, error) {
	if b, err := base64.StdEncoding.DecodeString(v); err == nil {
		if len(b) == size {
			return hex.EncodeToString(b), nil
		}
		if s := string(b); len(s) >= 2*size && hexRE.MatchString(s) {
			if h := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")); len(h) == 2*size {
				return h, nil
			}
		}
	}
	if hexRE.MatchString(v) {
		if h := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(v, "0x"), "0X")); len(h) == 2*size {
			return h, nil
		}
	}
	return "", fmt.Errorf("want the base64 of %d bytes (or %d hex digits)", size, 2*size)
}

// hives expands the abbreviations of registry hives, which STIX does not
// accept (section 6.13).
var hives = map[string]string{
	"HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKCR": "HKEY_CLASSES_ROOT",
	"HKU": "HKEY_USERS", "HKCC": "HKEY_CURRENT_CONFIG",
}

func (st *incident) registryKeys(w *node) (observation, error) {
	w.used = true
	var obs observation
	for _, k := range w.children("Key") {
		o, err := st.registryKey(k)
		if err != nil {
			return nil, err
		}
		obs = append(obs, o...)
	}
	return obs, nil
}

// registryKey maps a Key: its name, hive written in full, and its value
// (Value in RFC 7970's schema, KeyValue in later revisions), as the data
// of an unnamed value.
func (st *incident) registryKey(k *node) (observation, error) {
	k.used = true
	kn := k.child("KeyName")
	if kn == nil {
		return nil, k.invalid("KeyName is required")
	}
	kn.used = true
	key := registryPath(unwrap(kn.text.String()))
	if key == "" {
		return nil, kn.invalid("is empty")
	}
	props := []prop{{"key", key}}
	cmp := "windows-registry-key:key = " + quote(key)
	vn := k.child("Value")
	if vn == nil {
		vn = k.child("KeyValue")
	}
	if vn != nil {
		vn.used = true
		if v := unwrap(vn.text.String()); v != "" {
			props = append(props, prop{"values", []map[string]string{{"data": v}}})
			cmp += " AND windows-registry-key:values[*].data = " + quote(v)
		}
	}
	o, err := newSCO("windows-registry-key", props...)
	if err != nil {
		return nil, err
	}
	if o.Validate() != nil {
		return nil, kn.invalid("%q is not a registry key STIX accepts", key)
	}
	if _, err := st.add(o, k); err != nil {
		return nil, err
	}
	return observation{cmp}, nil
}

func registryPath(key string) string {
	hive, rest, _ := strings.Cut(key, `\`)
	if full, ok := hives[strings.ToUpper(hive)]; ok {
		if rest == "" {
			return full
		}
		return full + `\` + rest
	}
	return key
}

func (st *incident) certificateData(cd *node) (observation, error) {
	cd.used = true
	var obs observation
	for _, c := range cd.children("Certificate") {
		o, err := st.certificate(c)
		if err != nil {
			return nil, err
		}
		obs = append(obs, o...)
	}
	return obs, nil
}

// certificate maps the issuer, serial number and subject of a
// Certificate's ds:X509Data.
func (st *incident) certificate(c *node) (observation, error) {
	xd := c.childNS(nsDSig, "X509Data")
	if xd == nil {
		return nil, c.invalid("ds:X509Data is required")
	}
	var issuer, serial, subject string
	if is := xd.childNS(nsDSig, "X509IssuerSerial"); is != nil {
		in, sn := is.childNS(nsDSig, "X509IssuerName"), is.childNS(nsDSig, "X509SerialNumber")
		if in == nil || sn == nil {
			return nil, is.invalid("ds:X509IssuerName and ds:X509SerialNumber are required")
		}
		is.used = true
		issuer = in.words()
		serial = sn.value()
		if _, ok := new(big.Int).SetString(serial, 10); !ok {
			return nil, sn.invalid("%q is not an integer", serial)
		}
	}
	if sn := xd.childNS(nsDSig, "X509SubjectName"); sn != nil {
		subject = sn.words()
	}
	if issuer == "" && subject == "" {
		c.pass("a certificate with neither issuer and serial number nor subject is not mapped")
		return nil, nil
	}
	c.used, xd.used = true, true
	o, err := newSCO("x509-certificate", prop{"serial_number", serial}, prop{"issuer", issuer}, prop{"subject", subject})
	if err != nil {
		return nil, err
	}
	if _, err := st.add(o, c); err != nil {
		return nil, err
	}
	var conds []string
	if serial != "" {
		conds = append(conds, "x509-certificate:serial_number = "+quote(serial), "x509-certificate:issuer = "+quote(issuer))
	} else {
		conds = append(conds, "x509-certificate:subject = "+quote(subject))
	}
	return observation{strings.Join(conds, " AND ")}, nil
}

// bulkDomainTypes are the ext-type values of a BulkObservable that accord
// reads as domain names; RFC 7970's own example (section 7.2) uses "fqdn".
var bulkDomainTypes = []string{"fqdn", "domain", "domain-name", "hostname"}

// bulk maps a BulkObservable: each line of its BulkObservableList is one
// alternative of the observation.
func (st *incident) bulk(b *node) (observation, error) {
	typ, ok := b.attr("type")
	if !ok {
		return nil, b.invalid("the type attribute is required")
	}
	typ = strings.TrimSpace(typ)
	if typ == "ext-value" {
		if ext := strings.ToLower(b.attrValue("ext-type")); slices.Contains(bulkDomainTypes, ext) {
			typ = "domain-name"
		}
	}
	list := b.childNS("", "BulkObservableList")
	if list == nil {
		list = b.child("BulkObservableList")
	}
	if list == nil {
		return nil, b.invalid("BulkObservableList is required")
	}
	var each func(v string) (string, error)
	switch typ {
	case "ipv4-addr", "ipv4-net", "ipv4-net-mask", "ipv6-addr", "ipv6-net", "ipv6-net-mask", "e-mail", "mac", "site-uri", "asn":
		cat := typ
		if typ == "ipv6-net-mask" {
			cat = "ipv6-net-masked"
		}
		each = func(v string) (string, error) {
			_, cmp, err := st.address(list, cat, v, b)
			return cmp, err
		}
	case "domain-name":
		each = func(v string) (string, error) {
			_, cmp, err := st.domain(v, list, b)
			return cmp, err
		}
	case "mutex":
		each = func(v string) (string, error) {
			o, err := newSCO("mutex", prop{"name", v})
			if err != nil {
				return "", err
			}
			_, err = st.add(o, b)
			return "mutex:name = " + quote(v), err
		}
	default:
		if typ == "ext-value" {
			typ = "ext-value (" + b.attrValue("ext-type") + ")"
		}
		b.pass(fmt.Sprintf("bulk observables of type %s are not mapped", typ))
		return nil, nil
	}
	b.used, list.used = true, true
	var obs observation
	for i, line := range strings.Split(list.text.String(), "\n") {
		v := strings.TrimSpace(line)
		if v == "" {
			continue
		}
		cmp, err := each(v)
		if err != nil {
			var e *accord.Error
			if errors.As(err, &e) && e.Code == accord.EINVALID {
				e.Message = fmt.Sprintf("line %d: %s", i+1, e.Message)
			}
			return nil, err
		}
		if cmp != "" {
			obs = append(obs, cmp)
		}
	}
	return obs, nil
}

var (
	cveRE     = regexp.MustCompile(`^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$`)
	cveInURL  = regexp.MustCompile(`CVE-\d{4}-(0\d{3}|[1-9]\d{3,})`)
	attackRE  = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	attackURL = regexp.MustCompile(`^https?://attack\.mitre\.org/techniques/(T\d{4})(?:/(\d{3}))?/?$`)
)

// reference maps a Reference. One that names a CVE (in
// enum:ReferenceName's ID, a Description or a URL) also makes a
// vulnerability; one that names a MITRE ATT&CK technique (T1234 or
// T1234.001, or its attack.mitre.org URL) an attack-pattern.
func (st *incident) reference(r *node) (Reference, error) {
	r.used = true
	var ref Reference
	if rn := r.childNS(nsEnum, "ReferenceName"); rn != nil {
		rn.used = true
		if s, ok := rn.attr("specIndex"); ok {
			v, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return ref, rn.invalid("specIndex %q is not an integer", s)
			}
			ref.SpecIndex = v
		}
		// RFC 7495's ReferenceName carries the identifier in a child
		// element, enum:ID, not in an attribute.
		if id := rn.childNS(nsEnum, "ID"); id != nil {
			ref.ID = id.value()
		}
	}
	for _, u := range r.children("URL") {
		ref.URLs = append(ref.URLs, u.compact())
	}
	ref.Descriptions = descriptions(r)

	var cve, technique, techURL string
	for _, s := range append([]string{ref.ID}, ref.Descriptions...) {
		switch {
		case cveRE.MatchString(s) && cve == "":
			cve = s
		case attackRE.MatchString(s) && technique == "":
			technique = s
		}
	}
	for _, u := range ref.URLs {
		if m := attackURL.FindStringSubmatch(u); m != nil {
			techURL = u
			if technique == "" {
				technique = m[1]
				if m[2] != "" {
					technique += "." + m[2]
				}
			}
		} else if m := cveInURL.FindString(u); m != "" && cve == "" {
			cve = m
		}
	}
	name := func(id string) string {
		for _, d := range ref.Descriptions {
			if d != id {
				return d
			}
		}
		return id
	}
	if cve != "" {
		extRef := map[string]string{"source_name": "cve", "external_id": cve}
		for _, u := range ref.URLs {
			if strings.Contains(u, cve) {
				extRef["url"] = u
				break
			}
		}
		o, err := newObject([]prop{
			{"type", "vulnerability"}, {"spec_version", "2.1"}, {"id", st.sdoID("vulnerability", cve)},
			{"created", st.created}, {"modified", st.created}, {"name", cve},
			{"description", descriptionOtherThan(ref.Descriptions, cve)},
			{"external_references", []map[string]string{extRef}},
		})
		if err != nil {
			return ref, err
		}
		if _, err := st.add(o, r); err != nil {
			return ref, err
		}
	}
	if technique != "" {
		u := techURL
		if u == "" {
			u = "https://attack.mitre.org/techniques/" + strings.Replace(technique, ".", "/", 1) + "/"
		}
		o, err := newObject([]prop{
			{"type", "attack-pattern"}, {"spec_version", "2.1"}, {"id", st.sdoID("attack-pattern", technique)},
			{"created", st.created}, {"modified", st.created}, {"name", name(technique)},
			{"external_references", []map[string]string{{"source_name": "mitre-attack", "external_id": technique, "url": u}}},
		})
		if err != nil {
			return ref, err
		}
		if _, err := st.add(o, r); err != nil {
			return ref, err
		}
	}
	return ref, nil
}

func descriptionOtherThan(ds []string, id string) string {
	var out []string
	for _, d := range ds {
		if d != id {
			out = append(out, d)
		}
	}
	return strings.Join(out, "\n")
}
