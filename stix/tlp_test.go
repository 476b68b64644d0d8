package stix

import (
	"testing"
)

// The TLP 2.0 marking definitions as OASIS publishes them
// (cti-stix-common-objects, extension-definition-specifications/tlp-2.0),
// written out here by hand, property by property.
var publishedTLP2 = map[string]string{
	"clear":        `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487","created":"2022-10-01T00:00:00.000Z","name":"TLP:CLEAR","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"clear"}}}`,
	"green":        `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb","created":"2022-10-01T00:00:00.000Z","name":"TLP:GREEN","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"green"}}}`,
	"amber":        `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421","created":"2022-10-01T00:00:00.000Z","name":"TLP:AMBER","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"amber"}}}`,
	"amber+strict": `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003","created":"2022-10-01T00:00:00.000Z","name":"TLP:AMBER+STRICT","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"amber+strict"}}}`,
	"red":          `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1","created":"2022-10-01T00:00:00.000Z","name":"TLP:RED","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"red"}}}`,
}

func TestTLP2Objects(t *testing.T) {
	schemas := loadSchemas(t)
	for level, want := range publishedTLP2 {
		t.Run(level, func(t *testing.T) {
			tlp, ok := TLP2(level)
			if !ok {
				t.Fatalf("TLP2(%q): not found", level)
			}
			o := tlp.Object()
			if got := canonical(t, o.Bytes()); got != canonical(t, []byte(want)) {
				t.Errorf("Object():\ngot  %s\nwant %s", got, want)
			}
			if err := o.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			if err := schemas.checkObject(o); err != nil {
				t.Errorf("OASIS schema: %v", err)
			}
			back, ok := LookupTLP(o.ID())
			if !ok || back != tlp {
				t.Errorf("LookupTLP(%s): got %+v, want %+v", o.ID(), back, tlp)
			}
		})
	}
}

func TestTLP1Objects(t *testing.T) {
	schemas := loadSchemas(t)
	for _, id := range []string{TLP1White, TLP1Green, TLP1Amber, TLP1Red} {
		tlp, _ := LookupTLP(id)
		o := tlp.Object()
		if err := o.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", tlp.Name, err)
		}
		if err := schemas.checkObject(o); err != nil {
			t.Errorf("%s: OASIS schema: %v", tlp.Name, err)
		}
	}
}

func TestObjectTLP(t *testing.T) {
	tests := []struct {
		refs      []any
		want      string
		wantFound bool
	}{
		{nil, "", false},
		{[]any{"marking-definition--34098fce-860f-48ae-8e50-aaaaaaaaaaaa"}, "", false},
		{[]any{TLP2Green}, "green", true},
		{[]any{TLP2Green, TLP2AmberStrict, TLP2Amber}, "amber+strict", true},
		{[]any{TLP1Red, TLP2Clear}, "red", true},
	}
	for _, tc := range tests {
		m := with(t, "indicator", map[string]any{"object_marking_refs": nil})
		if tc.refs != nil {
			m["object_marking_refs"] = tc.refs
		}
		o, err := Parse(encodeFixture(t, m))
		if err != nil {
			t.Fatal(err)
		}
		got, found := o.TLP()
		if found != tc.wantFound || got.Level != tc.want {
			t.Errorf("TLP() with %v: got %q, %v; want %q, %v", tc.refs, got.Level, found, tc.want, tc.wantFound)
		}
	}
}
