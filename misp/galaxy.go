package misp

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

const galaxyTagPrefix = "misp-galaxy:"

// galaxyTypes maps MISP galaxy types to the STIX domain object their
// clusters become. Galaxies not here (sectors, countries, election
// guidelines, …) are listed in Event.Skipped.
var galaxyTypes = map[string]string{
	"threat-actor":                             "threat-actor",
	"mitre-threat-actor":                       "threat-actor",
	"microsoft-activity-group":                 "intrusion-set",
	"intrusion-set":                            "intrusion-set",
	"mitre-intrusion-set":                      "intrusion-set",
	"mitre-enterprise-attack-intrusion-set":    "intrusion-set",
	"mitre-mobile-attack-intrusion-set":        "intrusion-set",
	"mitre-pre-attack-intrusion-set":           "intrusion-set",
	"malware":                                  "malware",
	"mitre-malware":                            "malware",
	"mitre-enterprise-attack-malware":          "malware",
	"mitre-mobile-attack-malware":              "malware",
	"malpedia":                                 "malware",
	"ransomware":                               "malware",
	"banker":                                   "malware",
	"botnet":                                   "malware",
	"rat":                                      "malware",
	"backdoor":                                 "malware",
	"stealer":                                  "malware",
	"android":                                  "malware",
	"tool":                                     "tool",
	"mitre-tool":                               "tool",
	"mitre-enterprise-attack-tool":             "tool",
	"mitre-mobile-attack-tool":                 "tool",
	"exploit-kit":                              "tool",
	"attack-pattern":                           "attack-pattern",
	"mitre-attack-pattern":                     "attack-pattern",
	"mitre-enterprise-attack-attack-pattern":   "attack-pattern",
	"mitre-mobile-attack-attack-pattern":       "attack-pattern",
	"mitre-pre-attack-attack-pattern":          "attack-pattern",
	"course-of-action":                         "course-of-action",
	"mitre-course-of-action":                   "course-of-action",
	"mitre-enterprise-attack-course-of-action": "course-of-action",
	"mitre-mobile-attack-course-of-action":     "course-of-action",
	"branded-vulnerability":                    "vulnerability",
	"campaign":                                 "campaign",
}

// withAliases are the SDO types that have "aliases".
var withAliases = []string{"threat-actor", "intrusion-set", "malware", "tool", "attack-pattern", "campaign"}

// indicated are the SDO types an indicator "indicates" (STIX 2.1 section
// 4.7); an attribute relates to clusters of other types with "related-to".
var indicated = []string{"attack-pattern", "campaign", "infrastructure", "intrusion-set", "malware", "threat-actor", "tool"}

// mitreID finds the ATT&CK id that MISP's mitre-* cluster values end
// with: "APT1 - G0006", "Access Token Manipulation - T1134".
var mitreID = regexp.MustCompile(` - ((?:G|S|T|M|C|TA)\d{4}(?:\.\d{3})?)$`)

// link says what clusters of an attribute or object relate to, and with
// which TLP rank; nil for the event's own galaxies.
type link struct {
	primary, indicator string
	rank               int
}

// galaxies converts the Galaxy list of the event or of an attribute.
func (b *builder) galaxies(n node, l *link) error {
	gs, err := n.nodes("Galaxy")
	if err != nil {
		return err
	}
	for _, g := range gs {
		gtype, err := g.str("type")
		if err != nil {
			return err
		}
		cs, err := g.nodes("GalaxyCluster")
		if err != nil {
			return err
		}
		for _, c := range cs {
			if err := b.galaxyCluster(c, gtype, l); err != nil {
				return err
			}
		}
	}
	return nil
}

type cluster struct {
	typ, value, tag, uuid, description string
	synonyms, refs                     []string
	path                               string
}

func (b *builder) galaxyCluster(c node, gtype string, l *link) error {
	k := cluster{path: c.path}
	var err error
	if k.typ, err = c.str("type"); err != nil {
		return err
	}
	if k.typ == "" {
		k.typ = gtype
	}
	if k.value, err = c.str("value"); err != nil {
		return err
	}
	if strings.TrimSpace(k.value) == "" {
		return c.fail("value", "is required")
	}
	if k.tag, err = c.str("tag_name"); err != nil {
		return err
	}
	if k.tag == "" {
		k.tag = fmt.Sprintf("%s%s=%q", galaxyTagPrefix, k.typ, k.value)
	}
	if k.uuid, err = c.uuid("uuid"); err != nil {
		return err
	}
	if k.description, err = c.str("description"); err != nil {
		return err
	}
	if meta, ok, err := c.object("meta"); err != nil {
		return err
	} else if ok {
		// meta is free-form: only lists of strings are read.
		k.synonyms = stringList(meta.m["synonyms"])
		k.refs = stringList(meta.m["refs"])
	}
	_, err = b.cluster(k, l)
	return err
}

func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok && strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// galaxyTag converts a tag misp-galaxy:TYPE="VALUE" whose cluster the
// event does not carry.
func (b *builder) galaxyTag(t tagRef, l *link) (string, error) {
	rest := strings.TrimPrefix(t.name, galaxyTagPrefix)
	typ, value, ok := strings.Cut(rest, "=")
	value = strings.TrimSuffix(strings.TrimPrefix(value, `"`), `"`)
	if !ok || typ == "" || strings.TrimSpace(value) == "" {
		if !b.skipped[t.name] {
			b.skipped[t.name] = true
			b.skip(t.path, "Tag", fmt.Sprintf("%q is not a galaxy tag of the form misp-galaxy:type=\"value\"", t.name))
		}
		return "", nil
	}
	return b.cluster(cluster{typ: typ, value: value, tag: t.name, path: t.path}, l)
}

// cluster makes (once per tag name) the SDO of a galaxy cluster and, for
// an attribute's cluster, the relationship to it. It returns the SDO's
// id, "" when the galaxy has no STIX mapping.
func (b *builder) cluster(k cluster, l *link) (string, error) {
	id, done := b.clusters[k.tag]
	if !done {
		if b.skipped[k.tag] {
			return "", nil
		}
		typ, ok := galaxyTypes[k.typ]
		if !ok {
			b.skipped[k.tag] = true
			if k.typ == "" {
				b.skip(k.path, "GalaxyCluster", "a galaxy cluster of no type (neither its galaxy nor it has one) has no STIX mapping")
			} else {
				b.skip(k.path, k.typ, fmt.Sprintf("no STIX mapping for MISP galaxy %q", k.typ))
			}
			return "", nil
		}
		// Older MISP exports give every cluster of a galaxy the same
		// uuid; a uuid already taken by another cluster is not used.
		u := k.uuid
		if other, taken := b.clusterUUIDs[u]; u == "" || taken && other != k.tag {
			u = derive("galaxy-cluster", k.tag)
		} else {
			b.clusterUUIDs[u] = k.tag
		}
		id = typ + "--" + u
		if _, exists := b.byID[id]; !exists {
			// Clusters come from MISP's shared galaxies, not from the
			// event's creator: no created_by_ref.
			p := newSDO(typ, id, b.at, "").set("name", strings.TrimSpace(k.value))
			if k.description != "" {
				p.set("description", k.description)
			}
			if slices.Contains(withAliases, typ) {
				var aliases []string
				for _, s := range k.synonyms {
					if s != k.value {
						aliases = appendNew(aliases, s)
					}
				}
				if len(aliases) > 0 {
					p.set("aliases", aliases)
				}
			}
			if typ == "malware" {
				p.set("is_family", true)
			}
			var refs []map[string]any
			if m := mitreID.FindStringSubmatch(k.value); m != nil && strings.HasPrefix(k.typ, "mitre-") {
				refs = append(refs, map[string]any{"source_name": "mitre-attack", "external_id": m[1]})
			}
			for _, r := range k.refs {
				if validURL(r) {
					refs = append(refs, map[string]any{"source_name": k.typ, "url": r})
				}
			}
			if len(refs) > 0 {
				p.set("external_references", refs)
			}
			p.set("labels", []string{k.tag})
			if err := b.add(p, k.path); err != nil {
				return "", err
			}
		}
		b.clusters[k.tag] = id
		if l == nil {
			switch typ {
			case "threat-actor", "intrusion-set":
				b.actors = appendNew(b.actors, id)
			case "malware", "tool", "attack-pattern":
				b.used = appendNew(b.used, id)
			}
		}
	}
	if l == nil {
		return id, nil
	}
	b.mark(id, l.rank)
	var rel string
	var err error
	switch {
	case l.indicator != "" && slices.Contains(indicated, typeOf(id)):
		rel, err = b.relate(l.indicator, "indicates", id, b.at, b.creator, k.path)
	case l.primary != "":
		rel, err = b.relate(l.primary, "related-to", id, b.at, b.creator, k.path)
	}
	if rel != "" {
		b.mark(rel, l.rank)
	}
	return id, err
}

func typeOf(id string) string {
	t, _, _ := strings.Cut(id, "--")
	return t
}

// validURL applies the rule STIX applies to URLs in external references:
// absolute, with a well-formed IPv6 host if any.
func validURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return false
	}
	if h := u.Hostname(); strings.Contains(h, ":") {
		a, err := netip.ParseAddr(h)
		return err == nil && a.Zone() == "" && strings.Contains(u.Host, "[")
	}
	return true
}

// attrGalaxies converts the clusters of an attribute (its Galaxy list and
// galaxy tags), related to what the attribute became.
func (b *builder) attrGalaxies(a *attr, primary, indicator string, rank int) error {
	l := &link{primary: primary, indicator: indicator, rank: rank}
	if err := b.galaxies(a.n, l); err != nil {
		return err
	}
	for _, t := range a.tags {
		if strings.HasPrefix(t.name, galaxyTagPrefix) {
			if _, err := b.galaxyTag(t, l); err != nil {
				return err
			}
		}
	}
	return nil
}
