package misp

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/stix"
)

// builder converts one event.
type builder struct {
	ev          *Event
	now         time.Time // the moment of the import (DecodeOptions.Now)
	uuid        string    // the event's uuid, or one derived from its content
	at          time.Time // the event's time: timestamp, else date
	container   string    // report--… or grouping--…
	creator     string    // identity of Orgc, or ""
	tlp         int       // the event's TLP rank, -1 for none
	publishedAt time.Time // when a published event was published

	out   []*props          // every object but the container, in order
	byID  map[string]*props // the same, by id
	dirty map[*props]bool   // objects changed after add validated them
	rank  map[string]int    // TLP rank of each object, when above the event's
	links []map[string]any  // external references of the container (link attributes)
	// primary maps the uuid of each imported attribute and object to the
	// STIX object standing for it, for object references and sightings.
	primary map[string]string
	// indicator maps the same uuids to their indicator, if any.
	indicator    map[string]string
	clusters     map[string]string // galaxy tag name → SDO id
	clusterUUIDs map[string]string // cluster uuid → the tag name it was used for
	skipped      map[string]bool   // galaxy tag names already listed as skipped
	actors       []string          // event-level threat actors and intrusion sets
	used         []string          // event-level malware, tools and attack patterns
	// placeholders maps each uuid of an attribute or object that is not
	// a UUID ("a") to the uuid derived for it (see elementUUID).
	placeholders map[string]string
}

// attr is one MISP attribute, of the event or of an object.
type attr struct {
	n                   node
	typ, value          string
	relation            string
	category, comment   string
	toIDs, deleted      bool
	uuid                string
	ts                  time.Time
	firstSeen, lastSeen time.Time
	data                string
	tags                []tagRef
	rank                int // TLP rank from its tags, -1 for none
}

// tagRef is one tag and where it is.
type tagRef struct{ name, path string }

// convert converts the event n, imported at now.
func convert(n node, now time.Time) (*Event, error) {
	b := &builder{
		ev:           &Event{},
		now:          now,
		placeholders: map[string]string{},
		byID:         map[string]*props{},
		dirty:        map[*props]bool{},
		rank:         map[string]int{},
		primary:      map[string]string{},
		indicator:    map[string]string{},
		clusters:     map[string]string{},
		clusterUUIDs: map[string]string{},
		skipped:      map[string]bool{},
		tlp:          -1,
	}
	if err := b.metadata(n); err != nil {
		return nil, err
	}
	tags, err := readTags(n)
	if err != nil {
		return nil, err
	}
	var labels []string
	for _, t := range tags {
		b.ev.Tags = append(b.ev.Tags, t.name)
		if r, ok := tlpRank(t.name); ok {
			b.tlp = max(b.tlp, r)
		} else if !strings.HasPrefix(t.name, galaxyTagPrefix) {
			labels = appendNew(labels, t.name)
		}
	}
	if b.tlp >= 0 {
		b.ev.TLP = accord.TLP(tlpLevels[b.tlp])
	}
	if err := b.galaxies(n, nil); err != nil {
		return nil, err
	}
	// Galaxy tags without their cluster in Galaxy.
	for _, t := range tags {
		if strings.HasPrefix(t.name, galaxyTagPrefix) {
			if _, err := b.galaxyTag(t, nil); err != nil {
				return nil, err
			}
		}
	}
	attrs, err := n.nodes("Attribute")
	if err != nil {
		return nil, err
	}
	for _, a := range attrs {
		if err := b.attribute(a); err != nil {
			return nil, err
		}
	}
	objs, err := n.nodes("Object")
	if err != nil {
		return nil, err
	}
	var refs []pendingRef
	for _, o := range objs {
		r, err := b.object(o)
		if err != nil {
			return nil, err
		}
		refs = append(refs, r...)
	}
	for _, r := range refs {
		if err := b.reference(r); err != nil {
			return nil, err
		}
	}
	// The event's own proposals.
	if err := b.shadows(n); err != nil {
		return nil, err
	}
	if err := b.eventSightings(n); err != nil {
		return nil, err
	}
	reports, err := n.list("EventReport")
	if err != nil {
		return nil, err
	}
	for i := range reports {
		b.skip(fmt.Sprintf("%s[%d]", n.at("EventReport"), i), "EventReport", "event reports (free text in Markdown) are not imported")
	}
	for _, a := range b.actors {
		for _, u := range b.used {
			if _, err := b.relate(a, "uses", u, b.at, b.creator, n.path); err != nil {
				return nil, err
			}
		}
	}
	if err := b.finish(n, labels); err != nil {
		return nil, err
	}
	return b.ev, nil
}

func appendNew(l []string, s string) []string {
	if slices.Contains(l, s) {
		return l
	}
	return append(l, s)
}

func (b *builder) skip(path, typ, reason string) {
	b.ev.Skipped = append(b.ev.Skipped, Skip{Path: path, Type: typ, Reason: reason})
}

// metadata reads the event's own fields and makes the creator's identity.
func (b *builder) metadata(n node) error {
	e := b.ev
	var err error
	if e.UUID, err = n.uuid("uuid"); err != nil {
		return err
	}
	if e.Info, err = n.str("info"); err != nil {
		return err
	}
	date, err := n.str("date")
	if err != nil {
		return err
	}
	if date != "" {
		d, perr := time.Parse("2006-01-02", date)
		if perr != nil || d.Year() < 1970 {
			return n.fail("date", "%q is not a date (YYYY-MM-DD)", date)
		}
		e.Date = d
	}
	if e.Timestamp, err = n.unix("timestamp"); err != nil {
		return err
	}
	published, err := n.unix("publish_timestamp")
	if err != nil {
		return err
	}
	if e.Published, err = n.boolean("published"); err != nil {
		return err
	}
	if e.ThreatLevel, err = n.integer("threat_level_id", 1, 4, 0); err != nil {
		return err
	}
	if e.Analysis, err = n.integer("analysis", 0, 2, 0); err != nil {
		return err
	}
	if e.Distribution, err = n.integer("distribution", 0, 4, 0); err != nil {
		return err
	}
	switch {
	case !e.Timestamp.IsZero():
		b.at = e.Timestamp
	case !e.Date.IsZero():
		b.at = e.Date
	default:
		// The MISP core format requires both, but MISP itself dates an
		// event it is given without a date the day it adds it.
		e.Date = time.Date(b.now.Year(), b.now.Month(), b.now.Day(), 0, 0, 0, 0, time.UTC)
		b.at = e.Date
		b.skip(n.path, "Event", fmt.Sprintf("the input has neither a date nor a timestamp: dated %s, the day of import, as MISP dates an event it adds", e.Date.Format("2006-01-02")))
	}
	b.uuid = e.UUID
	if b.uuid == "" {
		// A PyMISP fixture or a hand-made event: an id derived from the
		// content keeps a second import of the same input identical.
		// The content is the input's, so the date supplied above does
		// not enter it.
		raw, err := json.Marshal(n.m)
		if err != nil {
			return accord.Internal(err, "encode the event")
		}
		b.uuid = derive("event", string(raw))
	}
	if orgc, ok, err := n.object("Orgc"); err != nil {
		return err
	} else if ok {
		if e.Org, err = orgc.str("name"); err != nil {
			return err
		}
		if e.OrgUUID, err = orgc.uuid("uuid"); err != nil {
			return err
		}
		if b.creator, err = b.identity(e.Org, e.OrgUUID, orgc.path); err != nil {
			return err
		}
	}
	if e.Published {
		b.container = "report--" + b.uuid
		if published.IsZero() {
			published = b.at
		}
		b.publishedAt = published
	} else {
		b.container = "grouping--" + b.uuid
	}
	return nil
}

// identity returns the id of an organisation's identity, making it the
// first time; "" when the organisation has neither name nor uuid.
func (b *builder) identity(name, uuid, path string) (string, error) {
	if name == "" && uuid == "" {
		return "", nil
	}
	if uuid == "" {
		uuid = derive("organisation", name)
	}
	if name == "" {
		name = "MISP organisation " + uuid
	}
	id := "identity--" + uuid
	if _, ok := b.byID[id]; ok {
		return id, nil
	}
	p := newSDO("identity", id, b.at, "").set("name", name).set("identity_class", "organization")
	return id, b.add(p, path)
}

// add validates a new object and appends it. When an observable with its
// id is there already (the same value in two attributes) the first stays
// and its resolves_to_refs gain the new one's; any other object whose id
// is taken (two attributes with one uuid) is refused. A refusal names
// path.
func (b *builder) add(p *props, path string) error {
	id := p.get("id").(string)
	if old, ok := b.byID[id]; ok {
		if _, ok := stix.SCOID(p.get("type").(string), p.vals); !ok {
			return accord.FieldError(path, "has the uuid of another element of the event (%s)", id)
		}
		if r, ok := p.get("resolves_to_refs").([]string); ok {
			have, _ := old.get("resolves_to_refs").([]string)
			for _, x := range r {
				have = appendNew(have, x)
			}
			old.set("resolves_to_refs", have)
			b.dirty[old] = true
		}
		return nil
	}
	o, err := p.build()
	if err != nil {
		return accord.FieldError(path, "cannot be written as STIX: %s", err.Error())
	}
	if err := o.Validate(); err != nil {
		return accord.FieldError(path, "does not make a valid STIX %s: %s", o.Type(), stixReason(err))
	}
	b.out = append(b.out, p)
	b.byID[id] = p
	return nil
}

// stixReason returns the first reason of a STIX refusal, property first.
func stixReason(err error) string {
	var se *stix.Error
	if errors.As(err, &se) {
		if se.Path != "" {
			return se.Path + ": " + se.Message
		}
		return se.Message
	}
	return err.Error()
}

// mark raises the TLP rank of an object to at least r (-1: none).
func (b *builder) mark(id string, r int) {
	if old, ok := b.rank[id]; !ok || r > old {
		b.rank[id] = r
	}
}

// relate adds the relationship source type target, once, and returns its
// id.
func (b *builder) relate(source, typ, target string, at time.Time, by, path string) (string, error) {
	id := "relationship--" + derive("relationship", source, typ, target)
	if _, ok := b.byID[id]; ok {
		return id, nil
	}
	p := newSDO("relationship", id, at, by).
		set("relationship_type", typ).set("source_ref", source).set("target_ref", target)
	return id, b.add(p, path)
}

// readTags returns the tags of an event: Tag[] ({name}) and the
// EventTag[] ({Tag: {name}}) of MISP's index output.
func readTags(n node) ([]tagRef, error) {
	out, err := tagList(n, "Tag")
	if err != nil {
		return nil, err
	}
	ets, err := n.nodes("EventTag")
	if err != nil {
		return nil, err
	}
	for _, et := range ets {
		t, ok, err := et.object("Tag")
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		name, err := t.str("name")
		if err != nil {
			return nil, err
		}
		if name == "" {
			return nil, t.fail("name", "is required")
		}
		out = append(out, tagRef{name: name, path: t.path})
	}
	return out, nil
}

func tagList(n node, key string) ([]tagRef, error) {
	ts, err := n.nodes(key)
	if err != nil {
		return nil, err
	}
	out := make([]tagRef, 0, len(ts))
	for _, t := range ts {
		name, err := t.str("name")
		if err != nil {
			return nil, err
		}
		if name == "" {
			return nil, t.fail("name", "is required")
		}
		out = append(out, tagRef{name: name, path: t.path})
	}
	return out, nil
}

// tlpLevels are the TLP 2.0 levels by rank (stix.TLP.Rank).
var tlpLevels = []string{"clear", "green", "amber", "amber+strict", "red"}

// tlpRank reads a tag of MISP's tlp taxonomy ("tlp:amber", "TLP:GREEN",
// "tlp:white"), returning the rank of its TLP 2.0 level; tlp:white is TLP
// 2.0's clear. Other tags of the taxonomy (tlp:ex:chr, tlp:unclear) are
// not TLP levels.
func tlpRank(tag string) (int, bool) {
	s := strings.ToLower(strings.TrimSpace(tag))
	level, ok := strings.CutPrefix(s, "tlp:")
	if !ok {
		return 0, false
	}
	level = strings.Trim(level, `"`)
	if level == "white" {
		level = "clear"
	}
	i := slices.Index(tlpLevels, level)
	return i, i >= 0
}

// readAttr reads the fields of one attribute that the conversion uses.
func (b *builder) readAttr(n node, def time.Time) (*attr, error) {
	a := &attr{n: n, rank: -1}
	var err error
	if a.typ, err = n.str("type"); err != nil {
		return nil, err
	}
	if a.typ == "" {
		return nil, n.fail("type", "is required")
	}
	if a.value, err = n.str("value"); err != nil {
		return nil, err
	}
	if !n.has("value") {
		return nil, n.fail("value", "is required")
	}
	if a.relation, err = n.str("object_relation"); err != nil {
		return nil, err
	}
	if a.category, err = n.str("category"); err != nil {
		return nil, err
	}
	if a.comment, err = n.str("comment"); err != nil {
		return nil, err
	}
	if a.toIDs, err = n.boolean("to_ids"); err != nil {
		return nil, err
	}
	if a.deleted, err = n.boolean("deleted"); err != nil {
		return nil, err
	}
	if a.uuid, err = b.elementUUID(n, a.typ); err != nil {
		return nil, err
	}
	if a.ts, err = n.unix("timestamp"); err != nil {
		return nil, err
	}
	if a.ts.IsZero() {
		a.ts = def
	}
	if a.firstSeen, err = n.datetime("first_seen"); err != nil {
		return nil, err
	}
	if a.lastSeen, err = n.datetime("last_seen"); err != nil {
		return nil, err
	}
	if a.data, err = n.str("data"); err != nil {
		return nil, err
	}
	if a.tags, err = tagList(n, "Tag"); err != nil {
		return nil, err
	}
	for _, t := range a.tags {
		if r, ok := tlpRank(t.name); ok {
			a.rank = max(a.rank, r)
		}
	}
	return a, nil
}

// labels are the STIX labels of an indicator or note made from a: its
// MISP type and category, and its tags other than TLP and galaxies.
func (a *attr) labels() []string {
	l := []string{fmt.Sprintf("misp:type=%q", a.typ)}
	if a.category != "" {
		l = append(l, fmt.Sprintf("misp:category=%q", a.category))
	}
	for _, t := range a.tags {
		if _, ok := tlpRank(t.name); !ok && !strings.HasPrefix(t.name, galaxyTagPrefix) {
			l = appendNew(l, t.name)
		}
	}
	return l
}

// elementUUID reads the uuid of an attribute or object n, of MISP type
// or template typ: "" when absent, the UUID in lower case, and for any
// other string a UUIDv5 in Namespace derived from the event's uuid and
// that string. PyMISP's fixtures give their objects placeholders such as
// "a" and "b" for uuids and name them in ObjectReferences. (MISP itself
// draws a uuid for an element given none and refuses a malformed one;
// replacing the placeholder instead lets such input import.) Deriving the
// uuid keeps a second import identical, every reference naming the
// placeholder (see refUUID) names the derived uuid, and the replacement
// is listed in Skipped. A uuid that is not a string is refused.
func (b *builder) elementUUID(n node, typ string) (string, error) {
	s, err := n.str("uuid")
	if err != nil || s == "" {
		return "", err
	}
	if u, ok := parseUUID(s); ok {
		return u, nil
	}
	d := derive("placeholder", b.uuid, s)
	b.placeholders[s] = d
	b.skip(n.path, typ, fmt.Sprintf("uuid %q is not a UUID: replaced by %s (derived from the event's uuid and %q), and so are references to %q", s, d, s, s))
	return d, nil
}

// refUUID reads a uuid that names an attribute or object of the event
// (an ObjectReference's referenced_uuid, a sighting's attribute_uuid): a
// UUID, or the placeholder of one of the event's attributes or objects,
// read as the uuid derived for it. Anything else is refused (EINVALID):
// it names nothing that could be imported. refUUID must run after every
// attribute and object has been read.
func (b *builder) refUUID(n node, key string) (string, error) {
	s, err := n.str(key)
	if err != nil || s == "" {
		return "", err
	}
	if u, ok := parseUUID(s); ok {
		return u, nil
	}
	if d, ok := b.placeholders[s]; ok {
		return d, nil
	}
	return "", n.fail(key, "%q is not a UUID, nor the placeholder uuid of an attribute or object of the event", s)
}

// attrID returns the uuid an attribute's objects are named by: its own,
// else one derived from the event and its place.
func (b *builder) attrID(a *attr) string {
	if a.uuid != "" {
		return a.uuid
	}
	return derive("attribute", b.uuid, a.n.path)
}

// attribute converts one attribute of the event.
func (b *builder) attribute(n node) error {
	a, err := b.readAttr(n, b.at)
	if err != nil {
		return err
	}
	if err := b.shadows(n); err != nil {
		return err
	}
	if a.deleted {
		b.skip(n.path, a.typ, "deleted in MISP")
		return nil
	}
	m, ok := mapperFor(a.typ)
	if !ok {
		b.skip(n.path, a.typ, fmt.Sprintf("no STIX mapping for MISP attribute type %q", a.typ))
		return nil
	}
	c, err := m(a.value, a)
	if err != nil {
		return n.fail("value", "%s", err.Error())
	}
	u := b.attrID(a)
	rank := max(b.tlp, a.rank)
	var primary, indicator string
	for _, s := range c.scos {
		if err := b.add(s, n.at("value")); err != nil {
			return err
		}
		b.mark(s.get("id").(string), rank)
	}
	if len(c.scos) > 0 {
		primary = c.scos[0].get("id").(string)
	}
	switch {
	case c.link:
		ref := map[string]any{"source_name": "misp-link", "url": strings.TrimSpace(a.value)}
		if a.comment != "" {
			ref["description"] = a.comment
		}
		if !slices.ContainsFunc(b.links, func(l map[string]any) bool { return l["url"] == ref["url"] }) {
			b.links = append(b.links, ref)
		}
	case c.note:
		id := "note--" + u
		p := newSDO("note", id, a.ts, b.creator)
		if a.category != "" {
			p.set("abstract", a.category)
		}
		p.set("content", a.value).set("object_refs", []string{b.container}).set("labels", a.labels())
		if err := b.add(p, n.path); err != nil {
			return err
		}
		b.mark(id, rank)
		primary = id
	case c.sdo != nil:
		typ := c.sdo.get("type").(string)
		id := typ + "--" + u
		p := newSDO(typ, id, a.ts, b.creator)
		copyProps(p, c.sdo)
		if a.comment != "" {
			p.set("description", a.comment)
		}
		p.set("labels", a.labels())
		if err := b.add(p, n.at("value")); err != nil {
			return err
		}
		b.mark(id, rank)
		primary = id
	case c.rule != "":
		indicator = "indicator--" + u
		if err := b.addIndicator(indicator, c.rule, a.value, a, a.labels(), rank, n.at("value")); err != nil {
			return err
		}
	case a.toIDs && len(c.comps) > 0:
		indicator = "indicator--" + u
		if err := b.addIndicator(indicator, "stix", pattern(c.comps), a, a.labels(), rank, n.path); err != nil {
			return err
		}
		rel, err := b.relate(indicator, "based-on", primary, a.ts, b.creator, n.path)
		if err != nil {
			return err
		}
		b.mark(rel, rank)
	}
	b.record(u, primary, indicator)
	if err := b.attrGalaxies(a, primary, indicator, rank); err != nil {
		return err
	}
	return b.sightings(n, u, primary, indicator, rank)
}

// record remembers what stands for the attribute or object with uuid u.
func (b *builder) record(u, primary, indicator string) {
	if primary == "" {
		primary = indicator
	}
	if primary != "" {
		b.primary[u] = primary
	}
	if indicator != "" {
		b.indicator[u] = indicator
	}
}

func copyProps(dst, src *props) {
	for _, k := range src.names {
		if k != "type" && k != "spec_version" {
			dst.set(k, src.vals[k])
		}
	}
}

// addIndicator adds an indicator with the given pattern, valid from the
// attribute's first_seen (else its timestamp) until its last_seen.
func (b *builder) addIndicator(id, patternType, pattern string, a *attr, labels []string, rank int, path string) error {
	p := newSDO("indicator", id, a.ts, b.creator)
	if a.comment != "" {
		p.set("description", a.comment)
	}
	p.set("pattern", pattern).set("pattern_type", patternType)
	if patternType == "stix" {
		p.set("pattern_version", "2.1")
	}
	from := a.ts
	if !a.firstSeen.IsZero() {
		from = a.firstSeen
	}
	p.set("valid_from", stixTime(from))
	if !a.lastSeen.IsZero() && a.lastSeen.After(from) {
		p.set("valid_until", stixTime(a.lastSeen))
	}
	p.set("labels", labels)
	if err := b.add(p, path); err != nil {
		return err
	}
	b.mark(id, rank)
	return nil
}

// shadows lists the proposals (shadow attributes) of an attribute.
func (b *builder) shadows(n node) error {
	l, err := n.nodes("ShadowAttribute")
	if err != nil {
		return err
	}
	for _, s := range l {
		typ, err := s.str("type")
		if err != nil {
			return err
		}
		if typ == "" {
			typ = "ShadowAttribute" // a proposal need not have a type to be left out
		}
		b.skip(s.path, typ, "a proposal (shadow attribute) that the event's creator has not accepted")
	}
	return nil
}

// sightings converts the Sighting list of an attribute or object.
func (b *builder) sightings(n node, u, primary, indicator string, rank int) error {
	l, err := n.nodes("Sighting")
	if err != nil {
		return err
	}
	for i, s := range l {
		if err := b.sighting(s, i, u, primary, indicator, rank); err != nil {
			return err
		}
	}
	return nil
}

// eventSightings converts a Sighting list at the event level, whose
// members name their attribute by attribute_uuid.
func (b *builder) eventSightings(n node) error {
	l, err := n.nodes("Sighting")
	if err != nil {
		return err
	}
	for i, s := range l {
		u, err := b.refUUID(s, "attribute_uuid")
		if err != nil {
			return err
		}
		if _, ok := b.primary[u]; !ok {
			b.skip(s.path, "Sighting", "its attribute is not part of what was imported")
			continue
		}
		if err := b.sighting(s, i, u, b.primary[u], b.indicator[u], max(b.tlp, b.rank[b.primary[u]])); err != nil {
			return err
		}
	}
	return nil
}

// sighting converts one MISP sighting: type 0 (seen) and 3 (seen, true
// positive) become a STIX sighting of the indicator, type 1 (false
// positive) an opinion "strongly-disagree" about it; type 2 (expiration)
// has no STIX counterpart.
func (b *builder) sighting(s node, i int, u, primary, indicator string, rank int) error {
	typ, err := s.integer("type", 0, 3, 0)
	if err != nil {
		return err
	}
	at, err := s.unix("date_sighting")
	if err != nil {
		return err
	}
	if at.IsZero() {
		return s.fail("date_sighting", "is required")
	}
	su, err := s.uuid("uuid")
	if err != nil {
		return err
	}
	if su == "" || su == u {
		// The MISP core format's uuid of a sighting names the attribute.
		su = derive("sighting", u, s.path)
	}
	source, err := s.str("source")
	if err != nil {
		return err
	}
	var by string
	if org, ok, err := s.object("Organisation"); err != nil {
		return err
	} else if ok {
		name, err := org.str("name")
		if err != nil {
			return err
		}
		ou, err := org.uuid("uuid")
		if err != nil {
			return err
		}
		if by, err = b.identity(name, ou, org.path); err != nil {
			return err
		}
	}
	var id string
	switch typ {
	case 0, 3:
		if indicator == "" {
			b.skip(s.path, "Sighting", "its attribute is not an indicator (to_ids is false), and STIX sightings are of indicators")
			return nil
		}
		id = "sighting--" + su
		p := newSDO("sighting", id, at, by)
		if source != "" {
			p.set("description", source)
		}
		p.set("first_seen", stixTime(at)).set("last_seen", stixTime(at)).set("count", 1).set("sighting_of_ref", indicator)
		if by != "" {
			p.set("where_sighted_refs", []string{by})
		}
		if err := b.add(p, s.path); err != nil {
			return err
		}
	case 1:
		target := indicator
		if target == "" {
			target = primary
		}
		if target == "" {
			b.skip(s.path, "Sighting", "its attribute was not imported")
			return nil
		}
		id = "opinion--" + su
		explanation := "MISP sighting: false positive"
		if source != "" {
			explanation += " (" + source + ")"
		}
		p := newSDO("opinion", id, at, by).set("explanation", explanation).
			set("opinion", "strongly-disagree").set("object_refs", []string{target})
		if err := b.add(p, s.path); err != nil {
			return err
		}
	default:
		b.skip(s.path, "Sighting", "an expiration sighting has no STIX counterpart")
		return nil
	}
	b.mark(id, rank)
	return nil
}

// finish makes the container (and the note of an empty event), applies
// the TLP markings and turns everything into STIX objects.
func (b *builder) finish(n node, labels []string) error {
	var content []string
	for _, p := range b.out {
		if id := p.get("id").(string); id != b.creator {
			content = append(content, id)
		}
	}
	typ := stix.IDType(b.container)
	c := newSDO(typ, b.container, b.at, b.creator)
	name := b.ev.Info
	if name == "" {
		name = "MISP event " + b.uuid
	}
	c.set("name", name)
	if typ == "report" {
		c.set("report_types", []string{"threat-report"})
		c.set("published", stixTime(b.publishedAt))
	} else {
		c.set("context", "suspicious-activity")
	}
	if len(content) == 0 {
		id := "note--" + b.uuid
		note := newSDO("note", id, b.at, b.creator).
			set("content", "This MISP event is empty: it has no attribute, object or galaxy that converts to STIX.").
			set("object_refs", []string{b.container})
		if err := b.add(note, n.path); err != nil {
			return err
		}
		content = []string{id}
	}
	c.set("object_refs", content)
	if len(labels) > 0 {
		c.set("labels", labels)
	}
	if len(b.links) > 0 {
		c.set("external_references", b.links)
	}
	if err := b.add(c, n.path); err != nil {
		return err
	}
	// The container first, after the creator.
	all := []*props{c}
	for _, p := range b.out {
		if p != c {
			all = append(all, p)
		}
	}
	if b.creator != "" {
		creator := b.byID[b.creator]
		all = append([]*props{creator}, slices.DeleteFunc(all, func(p *props) bool { return p == creator })...)
	}
	used := map[int]bool{}
	objs := make([]*stix.Object, 0, len(all)+1)
	for _, p := range all {
		id := p.get("id").(string)
		r := b.tlp
		if x, ok := b.rank[id]; ok {
			r = max(r, x)
		}
		if r >= 0 {
			t, _ := stix.TLP2(tlpLevels[r])
			p.set("object_marking_refs", []string{t.ID})
			used[r] = true
		}
		o, err := p.build()
		if err != nil {
			return accord.Internal(err, "build %s", id)
		}
		// add validated every object; one changed since (an observable
		// that gained addresses) is checked again. TLP marking refs are
		// the published ids, so adding them needs no check.
		if b.dirty[p] {
			if err := o.Validate(); err != nil {
				return accord.Internal(err, "converted %s does not validate", id)
			}
		}
		objs = append(objs, o)
	}
	var marks []*stix.Object
	for r := range tlpLevels {
		if used[r] {
			t, _ := stix.TLP2(tlpLevels[r])
			marks = append(marks, t.Object())
		}
	}
	b.ev.Objects = append(marks, objs...)
	return nil
}
