package stix

// TLP is a Traffic Light Protocol level as a STIX marking carries it.
//
// TLP 2.0 (FIRST, 2022) markings are the five marking-definition objects
// published by the OASIS CTI TC with the property extension
// extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d
// (oasis-open/cti-stix-common-objects, extension-definition-specifications/
// tlp-2.0). TLP 1.0 markings are the four marking definitions predefined by
// STIX 2.1 section 7.2.1.4. Both sets are recognised by id: the ids are
// fixed by their publications, and an object referencing one need not carry
// the marking definition itself.
type TLP struct {
	// Version is "2.0" or "1.0".
	Version string
	// Level is, for TLP 2.0, "clear", "green", "amber", "amber+strict" or
	// "red"; for TLP 1.0, "white", "green", "amber" or "red".
	Level string
	// ID is the marking definition's id.
	ID string
	// Name is the marking definition's name, "TLP:AMBER+STRICT" and the
	// like.
	Name string
}

// TLP2Extension is the id of the extension definition that TLP 2.0 marking
// definitions carry in "extensions".
const TLP2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// The TLP 2.0 marking definitions' ids.
const (
	TLP2Clear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLP2Green       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLP2Amber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLP2AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLP2Red         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// The TLP 1.0 marking definitions' ids (STIX 2.1 section 7.2.1.4).
const (
	TLP1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	TLP1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	TLP1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	TLP1Red   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
)

const (
	tlp2Created = "2022-10-01T00:00:00.000Z"
	tlp1Created = "2017-01-20T00:00:00.000Z"
)

// tlpByID lists every TLP marking. Ordered from least to most restrictive
// within each version; rank compares across versions by meaning.
var tlpByID = map[string]TLP{
	TLP2Clear:       {"2.0", "clear", TLP2Clear, "TLP:CLEAR"},
	TLP2Green:       {"2.0", "green", TLP2Green, "TLP:GREEN"},
	TLP2Amber:       {"2.0", "amber", TLP2Amber, "TLP:AMBER"},
	TLP2AmberStrict: {"2.0", "amber+strict", TLP2AmberStrict, "TLP:AMBER+STRICT"},
	TLP2Red:         {"2.0", "red", TLP2Red, "TLP:RED"},
	TLP1White:       {"1.0", "white", TLP1White, "TLP:WHITE"},
	TLP1Green:       {"1.0", "green", TLP1Green, "TLP:GREEN"},
	TLP1Amber:       {"1.0", "amber", TLP1Amber, "TLP:AMBER"},
	TLP1Red:         {"1.0", "red", TLP1Red, "TLP:RED"},
}

// LookupTLP returns the TLP marking whose marking-definition id is id, and
// false when id is not one of the nine TLP 1.0 and 2.0 ids.
func LookupTLP(id string) (TLP, bool) {
	t, ok := tlpByID[id]
	return t, ok
}

// TLP2 returns the TLP 2.0 marking of the given level ("clear", "green",
// "amber", "amber+strict", "red"), and false for any other level.
func TLP2(level string) (TLP, bool) {
	for _, t := range tlpByID {
		if t.Version == "2.0" && t.Level == level {
			return t, true
		}
	}
	return TLP{}, false
}

// Rank orders markings by how far they let information travel: 0 for
// clear/white, 1 green, 2 amber, 3 amber+strict, 4 red. TLP 1.0 amber ranks
// with TLP 2.0 amber.
func (t TLP) Rank() int {
	switch t.Level {
	case "clear", "white":
		return 0
	case "green":
		return 1
	case "amber":
		return 2
	case "amber+strict":
		return 3
	case "red":
		return 4
	}
	return -1
}

// Object returns the marking-definition object of t, exactly as its
// publication defines it, for a bundle that carries its markings.
func (t TLP) Object() *Object {
	var m map[string]any
	if t.Version == "2.0" {
		m = map[string]any{
			"type":         "marking-definition",
			"spec_version": "2.1",
			"id":           t.ID,
			"created":      tlp2Created,
			"name":         t.Name,
			"extensions": map[string]any{
				TLP2Extension: map[string]any{
					"extension_type": "property-extension",
					"tlp_2_0":        t.Level,
				},
			},
		}
	} else {
		m = map[string]any{
			"type":            "marking-definition",
			"spec_version":    "2.1",
			"id":              t.ID,
			"created":         tlp1Created,
			"definition_type": "tlp",
			"name":            t.Name,
			"definition":      map[string]any{"tlp": t.Level},
		}
	}
	o := &Object{raw: []byte("{}")}
	// The order of the OASIS examples.
	for _, k := range []string{"type", "spec_version", "id", "created", "definition_type", "name", "definition", "extensions"} {
		if v, ok := m[k]; ok {
			_ = o.Set(k, v)
		}
	}
	return o
}

// TLP returns the most restrictive TLP marking among o's
// object_marking_refs, and false when none of them is a TLP marking.
// Granular markings are not considered: they mark parts of an object.
func (o *Object) TLP() (TLP, bool) {
	var best TLP
	found := false
	for _, ref := range o.ObjectMarkingRefs() {
		t, ok := LookupTLP(ref)
		if ok && (!found || t.Rank() > best.Rank()) {
			best, found = t, true
		}
	}
	return best, found
}

// checkTLPMarking holds a marking-definition that claims to be a TLP marking
// (by id, by definition_type "tlp" or by the TLP 2.0 extension) to exactly
// the content its publication gives it, so that no object can pass itself
// off as TLP:CLEAR under TLP:RED's id or the other way round.
func (c *checker) checkTLPMarking(m map[string]any) {
	id, _ := m["id"].(string)
	known, isKnown := LookupTLP(id)
	ext, hasExt := extensionValue(m, TLP2Extension)
	defType, _ := m["definition_type"].(string)

	switch {
	case hasExt || isKnown && known.Version == "2.0":
		if !isKnown || known.Version != "2.0" {
			c.errf("id", "a TLP 2.0 marking must have one of the five TLP 2.0 marking-definition ids")
			return
		}
		level, _ := ext["tlp_2_0"].(string)
		if level != known.Level {
			c.errf("extensions."+TLP2Extension+".tlp_2_0", "must be %q for %s", known.Level, id)
		}
		if et, _ := ext["extension_type"].(string); et != "property-extension" {
			c.errf("extensions."+TLP2Extension+".extension_type", "must be \"property-extension\"")
		}
		for k := range ext {
			if k != "extension_type" && k != "tlp_2_0" {
				c.errf("extensions."+TLP2Extension+"."+k, "is not part of the TLP 2.0 extension")
			}
		}
		if n, _ := m["name"].(string); n != known.Name {
			c.errf("name", "must be %q for %s", known.Name, id)
		}
		if cr, _ := m["created"].(string); cr != tlp2Created {
			c.errf("created", "must be %q for %s", tlp2Created, id)
		}
		if _, ok := m["definition_type"]; ok {
			c.errf("definition_type", "a TLP 2.0 marking has no definition_type")
		}
		if _, ok := m["definition"]; ok {
			c.errf("definition", "a TLP 2.0 marking has no definition")
		}
	case defType == "tlp" || isKnown:
		if !isKnown {
			c.errf("id", "a TLP marking must have one of the predefined TLP marking-definition ids")
			return
		}
		if defType != "tlp" {
			c.errf("definition_type", "must be \"tlp\" for %s", id)
		}
		def, _ := m["definition"].(map[string]any)
		if lvl, _ := def["tlp"].(string); lvl != known.Level || len(def) != 1 {
			c.errf("definition", "must be {\"tlp\": %q} for %s", known.Level, id)
		}
		if n, _ := m["name"].(string); n != known.Name {
			c.errf("name", "must be %q for %s", known.Name, id)
		}
		if cr, _ := m["created"].(string); cr != tlp1Created {
			c.errf("created", "must be %q for %s", tlp1Created, id)
		}
		for k := range m {
			switch k {
			case "type", "spec_version", "id", "created", "definition_type", "name", "definition":
			default:
				c.errf(k, "is not part of the predefined TLP marking definition")
			}
		}
	}
}

func extensionValue(m map[string]any, name string) (map[string]any, bool) {
	exts, _ := m["extensions"].(map[string]any)
	v, ok := exts[name].(map[string]any)
	return v, ok
}
