package node

import (
	"testing"

	"github.com/accord-cyber/accord"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		kind      accord.ObservableKind
		raw, want string
		wantKind  accord.ObservableKind
	}{
		{accord.ObsIP, "198.51.100.7", "198.51.100.7", accord.ObsIP},
		{accord.ObsIP, " ::ffff:198.51.100.7 ", "198.51.100.7", accord.ObsIP},
		{accord.ObsIP, "198.51.100.7/32", "198.51.100.7", accord.ObsIP},
		{accord.ObsIP, "198.51.100.77/24", "198.51.100.0/24", accord.ObsCIDR},
		{accord.ObsIP, "2001:DB8:0:0::1", "2001:db8::1", accord.ObsIP},
		{accord.ObsIP, "2001:db8::/32", "2001:db8::/32", accord.ObsCIDR},
		{accord.ObsIP, "999.1.1.1", "", ""},
		{accord.ObsIP, "fe80::1%eth0", "", ""},
		{accord.ObsDomain, "C2.Example.NET.", "c2.example.net", accord.ObsDomain},
		{accord.ObsDomain, "http://x", "", ""},
		{accord.ObsEmail, "Ops@Example.ORG", "ops@example.org", accord.ObsEmail},
		{accord.ObsEmail, "nobody", "", ""},
		{accord.ObsURL, "HTTP://Evil.Example:80/a/b?q=1#frag", "http://evil.example/a/b?q=1", accord.ObsURL},
		{accord.ObsURL, "https://evil.example:8443/x", "https://evil.example:8443/x", accord.ObsURL},
		{accord.ObsURL, "/relative", "", ""},
		{accord.ObsSHA256, "AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F", "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f", accord.ObsSHA256},
		{accord.ObsMD5, "aec070645fe53ee3b3763059376134f0", "aec070645fe53ee3b3763059376134f0", accord.ObsMD5},
		{accord.ObsMD5, "xyz", "", ""},
	} {
		got, ok := normalize(tc.kind, tc.raw)
		if ok != (tc.want != "") || got.Value != tc.want || (ok && got.Kind != tc.wantKind) {
			t.Errorf("normalize(%s, %q) = %+v, %v; want %s %q", tc.kind, tc.raw, got, ok, tc.wantKind, tc.want)
		}
	}
}

func TestContaining(t *testing.T) {
	o, _ := normalize(accord.ObsIP, "10.1.2.3")
	keys := containing(o)
	if len(keys) != 33 || keys[0].Value != "10.1.2.3" || keys[1].Value != "0.0.0.0/0" || keys[32].Value != "10.1.2.2/31" {
		t.Errorf("containing(10.1.2.3): %d keys, %v … %v", len(keys), keys[:2], keys[len(keys)-1])
	}
	d, _ := normalize(accord.ObsDomain, "x.example")
	if keys := containing(d); len(keys) != 1 {
		t.Errorf("containing(domain) = %v", keys)
	}
}
