package iodef

import (
	"bytes"
	"os"
	"testing"

	"github.com/accord-cyber/accord"
)

// FuzzDecode: Decode never panics and refuses only with EINVALID; what it
// accepts is valid STIX with unique ids and a valid case, Encode writes it,
// and Decode reads the export back with the same cyber-observables.
//
//	go test -run '^$' -fuzz FuzzDecode -fuzztime 60s ./iodef/
//
// A worker minimizes each new interesting input for up to
// -fuzzminimizetime (60s by default) and the executions it spends on that
// are counted only when it ends, so a short run with -parallel 1 can report
// a few dozen execs at 0/sec while it is working; -fuzzminimizetime 2s
// keeps the count meaningful.
func FuzzDecode(f *testing.F) {
	for _, p := range samples(f) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tc := range invalidDocs() {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte(doc(`purpose="ext-value" ext-purpose="x" restriction="ext-value" ext-restriction="amber+strict"`, flow(
		`<Address category="ipv4-net-mask">192.0.2.0/255.255.255.0</Address><Address category="e-mail">Eve &lt;eve@example.org&gt;</Address>`))))
	f.Add([]byte(doc("", `<IndicatorData><Indicator><IndicatorID name="x" version="1">i1</IndicatorID>
<IndicatorExpression operator="or"><Observable><AdditionalData dtype="string" meaning="pattern">[ipv4-addr:value = '192.0.2.1']</AdditionalData></Observable>
<Observable><BulkObservable type="ext-value" ext-type="fqdn"><BulkObservableList>a.example
b.example</BulkObservableList></BulkObservable></Observable></IndicatorExpression></Indicator></IndicatorData>`)))

	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Decode(bytes.NewReader(data))
		if err != nil {
			if code := accord.ErrorCode(err); code != accord.EINVALID {
				t.Fatalf("Decode refused with code %q, want %q: %v", code, accord.EINVALID, err)
			}
			return
		}
		if len(d.Incidents) == 0 {
			t.Fatal("Decode accepted a document and returned no incident")
		}
		for _, in := range d.Incidents {
			ids := map[string]bool{}
			for _, o := range in.Objects {
				if err := o.Validate(); err != nil {
					t.Fatalf("object %s does not validate: %v", o.Bytes(), err)
				}
				if ids[o.ID()] {
					t.Fatalf("object %s twice", o.ID())
				}
				ids[o.ID()] = true
			}
			c := in.Case()
			if err := c.ValidateNew(); err != nil {
				t.Fatalf("Case() = %+v: ValidateNew: %v", c, err)
			}
			c.ID = "case-1"
			var out bytes.Buffer
			if _, err := Encode(&out, &c, in.Objects, Options{Party: "us-cert", GenerationTime: in.GenerationTime}); err != nil {
				t.Fatalf("Encode(decoded incident): %v", err)
			}
			back, err := Decode(&out)
			if err != nil {
				t.Fatalf("Decode(Encode(decoded incident)): %v\n%s", err, out.Bytes())
			}
			got := map[string]bool{}
			for _, o := range back.Incidents[0].Objects {
				got[o.ID()] = true
			}
			for _, o := range in.Objects {
				switch o.Type() {
				case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "mac-addr", "autonomous-system":
					if !got[o.ID()] {
						t.Fatalf("%s lost in the round trip", o.Bytes())
					}
				}
			}
		}
	})
}
