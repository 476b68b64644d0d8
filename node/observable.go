package node

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/stix"
)

// normalize returns the normal form of a raw value of the given kind, or
// false when raw is not a value of that kind. IPs and networks are
// canonical (IPv4-mapped IPv6 unmapped, networks masked to their prefix);
// domains lower case without a trailing dot; e-mail addresses lower case;
// URLs with a lower-case scheme and host, without the default port or
// fragment; hashes lower-case hex of the right length.
func normalize(kind accord.ObservableKind, raw string) (accord.Observable, bool) {
	raw = strings.TrimSpace(raw)
	switch kind {
	case accord.ObsIP, accord.ObsCIDR:
		return normalizeAddr(raw)
	case accord.ObsDomain:
		d := strings.TrimSuffix(strings.ToLower(raw), ".")
		if d == "" || strings.ContainsAny(d, " /:@") {
			return accord.Observable{}, false
		}
		return accord.Observable{Kind: kind, Value: d}, true
	case accord.ObsEmail:
		at := strings.LastIndexByte(raw, '@')
		if at <= 0 || at == len(raw)-1 {
			return accord.Observable{}, false
		}
		return accord.Observable{Kind: kind, Value: strings.ToLower(raw)}, true
	case accord.ObsURL:
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return accord.Observable{}, false
		}
		u.Scheme = strings.ToLower(u.Scheme)
		host, port := strings.ToLower(u.Hostname()), u.Port()
		if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
			port = ""
		}
		u.Host = host
		if port != "" {
			u.Host = host + ":" + port
		}
		if strings.Contains(host, ":") { // an IPv6 literal
			u.Host = "[" + host + "]"
			if port != "" {
				u.Host += ":" + port
			}
		}
		u.Fragment, u.RawFragment = "", ""
		return accord.Observable{Kind: kind, Value: u.String()}, true
	case accord.ObsMD5, accord.ObsSHA1, accord.ObsSHA256, accord.ObsSHA512:
		want := map[accord.ObservableKind]int{accord.ObsMD5: 32, accord.ObsSHA1: 40, accord.ObsSHA256: 64, accord.ObsSHA512: 128}[kind]
		h := strings.ToLower(raw)
		if len(h) != want || strings.IndexFunc(h, func(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') }) >= 0 {
			return accord.Observable{}, false
		}
		return accord.Observable{Kind: kind, Value: h}, true
	}
	return accord.Observable{}, false
}

// normalizeAddr reads an address or a network: an address (or a /32, /128
// network) is an ObsIP, a shorter network an ObsCIDR.
func normalizeAddr(raw string) (accord.Observable, bool) {
	var p netip.Prefix
	if strings.Contains(raw, "/") {
		var err error
		if p, err = netip.ParsePrefix(raw); err != nil {
			return accord.Observable{}, false
		}
		if p.Addr().Is4In6() {
			return accord.Observable{}, false
		}
		p = p.Masked()
	} else {
		a, err := netip.ParseAddr(raw)
		if err != nil || a.Zone() != "" {
			return accord.Observable{}, false
		}
		a = a.Unmap()
		p = netip.PrefixFrom(a, a.BitLen())
	}
	return addrObservable(p), true
}

// addrObservable is the observable of a masked network or an address.
func addrObservable(p netip.Prefix) accord.Observable {
	a16 := p.Addr().As16()
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	o := accord.Observable{Kind: accord.ObsCIDR, Value: p.String(), Addr: a16[:], Bits: bits}
	if p.IsSingleIP() {
		o.Kind, o.Value = accord.ObsIP, p.Addr().String()
	}
	return o
}

// hashKinds maps STIX hash algorithm names to observable kinds.
var hashKinds = map[string]accord.ObservableKind{
	"MD5": accord.ObsMD5, "SHA-1": accord.ObsSHA1, "SHA-256": accord.ObsSHA256, "SHA-512": accord.ObsSHA512,
	"SHA1": accord.ObsSHA1, "SHA256": accord.ObsSHA256, "SHA512": accord.ObsSHA512,
}

// valueKinds maps the cyber-observable types whose value is an observable.
var valueKinds = map[string]accord.ObservableKind{
	"ipv4-addr": accord.ObsIP, "ipv6-addr": accord.ObsIP, "domain-name": accord.ObsDomain,
	"url": accord.ObsURL, "email-addr": accord.ObsEmail,
}

// observablesOf returns the normalised observables an object carries: the
// value of an address, domain, URL or e-mail address object, the hashes of
// a file, and the values an indicator's STIX pattern compares for equality
// (= or IN, not negated) with those properties.
func observablesOf(o *stix.Object) []accord.Observable {
	var out []accord.Observable
	add := func(kind accord.ObservableKind, raw string) {
		if v, ok := normalize(kind, raw); ok {
			v.ObjectID = o.ID()
			out = append(out, v)
		}
	}
	switch typ := o.Type(); {
	case valueKinds[typ] != "":
		add(valueKinds[typ], o.Value())
	case typ == "file" || typ == "artifact" || typ == "x509-certificate":
		for alg, h := range o.Hashes() {
			if k, ok := hashKinds[strings.ToUpper(alg)]; ok {
				add(k, h)
			}
		}
	case typ == "indicator":
		var ptype, pattern string
		_, _ = o.Get("pattern_type", &ptype)
		_, _ = o.Get("pattern", &pattern)
		if ptype != "stix" {
			break
		}
		p, err := stix.ParsePattern(pattern)
		if err != nil {
			break
		}
		for _, c := range p.Comparisons() {
			if c.Negated || (c.Operator != "=" && c.Operator != "IN") {
				continue
			}
			var kind accord.ObservableKind
			switch {
			case len(c.Path) == 1 && c.Path[0] == "value":
				kind = valueKinds[c.ObjectType]
			case c.ObjectType == "file" && len(c.Path) == 2 && c.Path[0] == "hashes":
				kind = hashKinds[strings.ToUpper(c.Path[1])]
			}
			if kind == "" {
				continue
			}
			for _, v := range c.Values {
				add(kind, v)
			}
		}
	}
	return out
}

// containing returns the keys of the observables that contain o or equal
// it, for correlation: o itself and, for an address or a network, every
// shorter network holding it.
func containing(o accord.Observable) []accord.Observable {
	keys := []accord.Observable{{Kind: o.Kind, Value: o.Value}}
	if o.Kind != accord.ObsIP && o.Kind != accord.ObsCIDR {
		return keys
	}
	a, _ := netip.AddrFromSlice(o.Addr)
	min, bits := 0, o.Bits
	if a.Is4In6() {
		a = a.Unmap()
		min, bits = 0, o.Bits-96
	}
	for b := min; b < bits; b++ {
		p, err := a.Prefix(b)
		if err != nil {
			continue
		}
		keys = append(keys, accord.Observable{Kind: accord.ObsCIDR, Value: p.String()})
	}
	return keys
}
