package misp

import (
	"fmt"
	"io"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/stix"
)

// Event is one MISP event read by Decode: its metadata, and its content as
// STIX 2.1 objects.
type Event struct {
	// UUID is the event's uuid, or "" when the input has none.
	UUID string
	// Info is the event's title.
	Info string
	// Date is the event's date (midnight UTC); zero when the input has a
	// timestamp but no date; the day of import (DecodeOptions.Now) when
	// it has neither, as MISP dates an event it adds.
	Date time.Time
	// ThreatLevel is threat_level_id: 1 high, 2 medium, 3 low,
	// 4 undefined; 0 when absent.
	ThreatLevel int
	// Analysis is 0 initial, 1 ongoing, 2 completed (absent reads as 0,
	// MISP's default).
	Analysis int
	// Distribution is 0 your organisation only, 1 this community only,
	// 2 connected communities, 3 all communities, 4 sharing group (absent
	// reads as 0, the most restrictive).
	Distribution int
	// Org is the name of the organisation that created the event (Orgc),
	// and OrgUUID its uuid; "" when absent.
	Org, OrgUUID string
	// Published reports whether the event was published.
	Published bool
	// Timestamp is when the event last changed; zero when absent.
	Timestamp time.Time
	// Tags are the names of the event's tags, as written.
	Tags []string
	// TLP is the event's TLP 2.0 label from its tlp: tags (the most
	// restrictive when there are several; tlp:white reads as clear), ""
	// when it has none.
	TLP accord.TLP

	// Objects is the event as STIX 2.1 objects, every one of which passes
	// (*stix.Object).Validate: a report (published event) or grouping
	// (unpublished) for the event, referencing everything else; the
	// observables, indicators, relationships, sightings and domain objects
	// of the event's attributes, objects and galaxies; the identity of the
	// creating organisation; the TLP marking definitions in use. See the
	// package documentation for the mapping.
	Objects []*stix.Object
	// Skipped lists what of the event has no STIX counterpart and was
	// left out, and what the import did not take as written (a date taken
	// from the day of import, a placeholder uuid replaced by a derived
	// one), so that nothing is dropped or changed silently.
	Skipped []Skip
}

// Skip is one part of the input left out of the output, or not taken as
// written, and why.
//
// On import, Path is where in the MISP input ("Event.Object[2]",
// "Event.Attribute[7].ShadowAttribute[0]"), Type is the MISP attribute
// type, object template, galaxy type or element name ("ShadowAttribute",
// "ObjectReference", "Sighting").
//
// On export (Export), Path is the STIX id, or the id and a property
// ("file--….hashes.SHA-256"), and Type the STIX type.
type Skip struct {
	Path   string
	Type   string
	Reason string
}

func (s Skip) String() string { return fmt.Sprintf("%s (%s): %s", s.Path, s.Type, s.Reason) }

// Decode reads one MISP event in the MISP core format, either wrapped
// ({"Event": {…}}, as MISP exports it) or bare (as PyMISP writes it), or a
// list of exactly one event (see DecodeAll), and converts it to STIX 2.1.
// It is DecodeWith with the zero DecodeOptions: the import happens now.
//
// The import is all or nothing: input that is not JSON, not a MISP event
// (a galaxy, an attribute, a STIX bundle), or holds a value that is wrong
// for its attribute type (an ip-dst of "999.1.1.1", a malformed event uuid
// or timestamp) is refused with an error of code EINVALID whose message
// names the place: `Event.Attribute[3].value: "999.1.1.1" is not an IP
// address`. What is valid MISP but has no STIX counterpart (an attribute
// type or object template without a mapping, a deleted attribute, a
// proposal) is listed in Skipped and the rest of the event is imported.
// So is what the import supplies itself: the date of an event with
// neither date nor timestamp (the day of import, as MISP dates an event
// it adds), the uuid of an attribute or object whose uuid is a
// placeholder rather than a UUID (see the package documentation,
// "Identifiers").
//
// The STIX ids are deterministic, so that importing an event twice gives
// the same objects: domain objects take the MISP uuid (indicator--<the
// attribute's uuid>, report--<the event's uuid>, malware--<the galaxy
// cluster's uuid>), observables the UUIDv5 that STIX 2.1 section 2.9
// prescribes, and what MISP gives no uuid for a UUIDv5 in Namespace. An
// event dated by its import is the same on the same day (UTC).
//
// Any caller may use Decode; it reads at most MaxSize bytes. Errors other
// than EINVALID come from r.
func Decode(r io.Reader) (*Event, error) {
	return DecodeWith(r, DecodeOptions{})
}

// DecodeOptions are the settings of one import by DecodeWith or
// DecodeAllWith. The zero value is what Decode and DecodeAll use.
type DecodeOptions struct {
	// Now is the moment of the import; zero means time.Now(). An event
	// with neither a date nor a timestamp is dated midnight UTC of Now's
	// day (UTC), as MISP dates an event it adds without one, and the
	// import says so in Skipped. Nothing else of the import depends on
	// it: give it to make an import reproducible, in tests or when
	// replaying one.
	Now time.Time
}

// now returns the moment of the import, in UTC.
func (o DecodeOptions) now() time.Time {
	if o.Now.IsZero() {
		return time.Now().UTC()
	}
	return o.Now.UTC()
}

// DecodeWith is Decode with options; see Decode for what it reads,
// refuses (EINVALID) and returns. Any caller may use it.
func DecodeWith(r io.Reader, opts DecodeOptions) (*Event, error) {
	v, err := readJSON(r)
	if err != nil {
		return nil, err
	}
	now := opts.now()
	if l, prefix, ok, err := asList(v); ok || err != nil {
		if err != nil {
			return nil, err
		}
		if len(l) != 1 {
			for i, x := range l {
				if err := checkElement(x, fmt.Sprintf("%s[%d]", prefix, i)); err != nil {
					return nil, err
				}
			}
			return nil, accord.Errorf(accord.EINVALID, "the input is a list of %d MISP events; Decode reads one (DecodeAll reads lists)", len(l))
		}
		return decodeElement(l[0], fmt.Sprintf("%s[0]", prefix), now)
	}
	return decodeElement(v, "", now)
}

// DecodeAll reads a list of MISP events, as a JSON list or as the
// {"response": […]} that MISP's REST search returns, each member wrapped
// or bare; a single event reads as a list of one. It converts each as
// Decode does and refuses the whole input (EINVALID, naming the member:
// `response[2].Event.Attribute[0].value: …`) if any member is refused.
// It is DecodeAllWith with the zero DecodeOptions.
func DecodeAll(r io.Reader) ([]*Event, error) {
	return DecodeAllWith(r, DecodeOptions{})
}

// DecodeAllWith is DecodeAll with options, the same for every event of
// the list (events dated by their import all get one date). Any caller
// may use it; errors as DecodeAll's.
func DecodeAllWith(r io.Reader, opts DecodeOptions) ([]*Event, error) {
	v, err := readJSON(r)
	if err != nil {
		return nil, err
	}
	now := opts.now()
	l, prefix, ok, err := asList(v)
	if err != nil {
		return nil, err
	}
	if !ok {
		e, err := decodeElement(v, "", now)
		if err != nil {
			return nil, err
		}
		return []*Event{e}, nil
	}
	out := make([]*Event, 0, len(l))
	for i, x := range l {
		e, err := decodeElement(x, fmt.Sprintf("%s[%d]", prefix, i), now)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// asList recognises a list of events: a JSON list, or {"response": list}.
func asList(v any) (l []any, prefix string, ok bool, err error) {
	switch t := v.(type) {
	case []any:
		return t, "", true, nil
	case map[string]any:
		r, has := t["response"]
		if !has {
			return nil, "", false, nil
		}
		if _, isEvent := t["Event"]; isEvent {
			return nil, "", false, nil
		}
		rl, isList := r.([]any)
		if !isList {
			return nil, "", false, accord.FieldError("response", "must be a list of MISP events, not %s", kind(r))
		}
		return rl, "response", true, nil
	}
	return nil, "", false, nil
}

// decodeElement converts one event, wrapped or bare, found at prefix ("" at
// the top level, "response[2]" in a list), imported at now.
func decodeElement(v any, prefix string, now time.Time) (*Event, error) {
	n, err := eventNode(v, prefix)
	if err != nil {
		return nil, err
	}
	return convert(n, now)
}

// checkElement says whether v, found at prefix, is a MISP event.
func checkElement(v any, prefix string) error {
	_, err := eventNode(v, prefix)
	return err
}

// eventNode returns the event of v, wrapped or bare, or why v is none.
func eventNode(v any, prefix string) (node, error) {
	m, ok := v.(map[string]any)
	name := prefix
	if name == "" {
		name = "the input"
	}
	if !ok {
		return node{}, accord.Errorf(accord.EINVALID, "%s is %s, not a MISP event", name, kind(v))
	}
	path := "Event"
	if prefix != "" {
		path = prefix
	}
	if inner, wrapped := m["Event"]; wrapped {
		im, ok := inner.(map[string]any)
		if !ok {
			return node{}, accord.FieldError(joinPath(prefix, "Event"), "must be an object, not %s", kind(inner))
		}
		return node{m: im, path: joinPath(prefix, "Event")}, nil
	}
	if why := notEvent(m); why != "" {
		return node{}, accord.Errorf(accord.EINVALID, "%s is not a MISP event: %s", name, why)
	}
	return node{m: m, path: path}, nil
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// eventKeys are keys only a MISP event has at its top level.
var eventKeys = []string{
	"info", "uuid", "date", "threat_level_id", "analysis", "Attribute", "Object",
	"Orgc", "Tag", "EventTag", "Galaxy", "ShadowAttribute", "EventReport", "published",
}

// notEvent says why a bare object is not a MISP event, or "".
func notEvent(m map[string]any) string {
	switch {
	case m["type"] == "bundle":
		return "it is a STIX bundle (import it as STIX)"
	case m["GalaxyCluster"] != nil || m["namespace"] != nil:
		return "it is a MISP galaxy"
	case m["type"] != nil && m["value"] != nil:
		return "it has a type and a value, as a MISP attribute or sighting does"
	}
	for _, k := range eventKeys {
		if _, ok := m[k]; ok {
			return ""
		}
	}
	switch {
	case len(m) == 0:
		return "it is an empty object"
	case m["SharingGroup"] != nil:
		return "it is a MISP sharing group"
	}
	return "it has none of the keys of an event (info, uuid, date, Attribute, Object, Tag)"
}
