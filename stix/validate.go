package stix

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/language"
)

// Validate checks o against STIX 2.1 (OASIS Standard, 10 June 2021): the
// rules the OASIS JSON schemas express and those they cannot (see doc.go
// for the list). It returns nil, or Errors naming o and each offending
// property.
func (o *Object) Validate() error { return o.validate(-1) }

func (o *Object) validate(index int) error {
	c := &checker{id: o.safeID(), index: index, specs: specs}
	m, err := o.tree()
	if err != nil {
		c.errf("", "must be a JSON object")
		return c.errs
	}
	c.object(m)
	if len(c.errs) > 0 {
		return c.errs
	}
	return nil
}

// checker collects the reasons one object is refused.
type checker struct {
	id    string
	index int
	errs  Errors
	// local maps the keys of a deprecated observed-data "objects"
	// container to their types while its members are checked, when refs
	// are keys rather than ids.
	local map[string]string
	// specs is the package's specs table.
	specs map[string]*typeSpec
}

func (c *checker) errf(path, format string, args ...any) {
	if len(c.errs) >= maxErrors {
		return
	}
	msg := fmt.Sprintf(format, args...)
	for _, e := range c.errs {
		if e.Path == path && e.Message == msg {
			return // the same fault found by two rules
		}
	}
	c.errs = append(c.errs, &Error{ID: c.id, Index: c.index, Path: path, Message: msg})
}

// class is the kind of STIX object, which decides the common properties.
type class int

const (
	classSDO class = iota
	classSRO
	classSCO
	classMarking
	classMeta // language-content, extension-definition: SDO common properties
)

// reservedNames may not be used as properties by SDOs, SROs or SCOs (the
// OASIS core schemas refuse them; STIX 2.1 reserves them).
var reservedNames = []string{"severity", "action", "username", "phone_numbers"}

func (c *checker) object(m map[string]any) {
	typ, ok := m["type"].(string)
	switch {
	case !ok:
		c.errf("type", "is required and must be a string")
		return
	case !validTypeName(typ) || typ == "action":
		c.errf("type", "%q is not a valid type name (3-250 characters a-z, 0-9 and single hyphens, starting with a letter)", typ)
		return
	case typ == "bundle":
		c.errf("type", "a bundle cannot be an object of a bundle")
		return
	}
	spec := c.specs[typ]
	cls := classSCO
	if spec != nil {
		cls = spec.class
	} else {
		cls = customClass(m)
	}

	id, ok := m["id"].(string)
	switch {
	case !ok:
		c.errf("id", "is required and must be a string")
	case checkID(id) != nil:
		c.errf("id", "%v", checkID(id))
	case IDType(id) != typ:
		c.errf("id", "type part %q does not match type %q", IDType(id), typ)
	}

	c.topLevel(m, cls)
	var common []field
	switch cls {
	case classSCO:
		common = scoCommon
	case classMarking:
		common = markingCommon
	default:
		common = sdoCommon
	}
	c.fields(m, "", common)
	if cls != classSCO && cls != classMarking {
		c.order(m, "created", "modified", false)
	}
	if spec != nil {
		c.fields(m, "", spec.fields)
		if spec.rule != nil {
			spec.rule(c, m)
		}
	}
	// Custom properties that follow the reference naming convention must
	// be references (STIX 2.1 section 2.9: properties ending in _ref and
	// _refs hold identifiers).
	for _, k := range sortedKeys(m) {
		v := m[k]
		if isKnown(k, common) || spec != nil && isKnown(k, spec.fields) {
			continue
		}
		switch {
		case strings.HasSuffix(k, "_ref"):
			c.ref(k, v, anyType)
		case strings.HasSuffix(k, "_refs"):
			c.refs(k, v, anyType)
		}
	}
	if ext, ok := m["extensions"]; ok {
		c.extensions(m, typ, cls, ext)
	}
	c.markings(m, cls)
}

// customClass decides how a type that STIX 2.1 does not define is checked:
// by the extension definition it declares (new-sdo, new-sro, new-sco), else
// as an SDO when it has created or modified (the common properties of SDOs),
// else as an SCO.
func customClass(m map[string]any) class {
	if exts, ok := m["extensions"].(map[string]any); ok {
		for k, v := range exts {
			if !strings.HasPrefix(k, "extension-definition--") {
				continue
			}
			e, _ := v.(map[string]any)
			switch e["extension_type"] {
			case "new-sco":
				return classSCO
			case "new-sdo":
				return classSDO
			case "new-sro":
				return classSRO
			}
		}
	}
	if _, ok := m["created"]; ok {
		return classSDO
	}
	if _, ok := m["modified"]; ok {
		return classSDO
	}
	return classSCO
}

func isKnown(name string, fs []field) bool {
	for i := range fs {
		if fs[i].name == name {
			return true
		}
	}
	return false
}

// topLevel applies the rules that hold for every property of an object
// (OASIS common/properties.json, STIX 2.1 sections 3.1 and 11.1): names,
// no null values, no empty lists, and the _hex and _bin suffixes.
func (c *checker) topLevel(m map[string]any, cls class) {
	for _, k := range sortedKeys(m) {
		c.member(k, k, m[k])
		if cls != classMarking && slices.Contains(reservedNames, k) {
			c.errf(k, "is a reserved property name")
		}
	}
}

// member checks one property of an object or of an extension.
func (c *checker) member(path, name string, v any) {
	if name != "id" && !validPropertyName(name) {
		c.errf(path, "is not a valid property name (3-250 characters a-z, 0-9 and _, starting with a letter)")
	}
	switch x := v.(type) {
	case nil:
		c.errf(path, "must not be null (leave the property out instead)")
	case []any:
		if len(x) == 0 {
			c.errf(path, "must not be an empty list (leave the property out instead)")
		}
	}
	switch {
	case strings.HasSuffix(name, "_hex"):
		checkHex(c, path, v)
	case strings.HasSuffix(name, "_bin"):
		checkBinary(c, path, v)
	}
}

// field is one property of an object type: its name, whether it is
// required, and the check of its value.
type field struct {
	name  string
	req   bool
	check check
}

type check func(c *checker, path string, v any)

func (c *checker) fields(m map[string]any, prefix string, fs []field) {
	for _, f := range fs {
		v, ok := m[f.name]
		path := joinPath(prefix, f.name)
		if !ok {
			if f.req {
				c.errf(path, "is required")
			}
			continue
		}
		if v == nil {
			continue // already reported at the top level, or below
		}
		if f.check != nil {
			f.check(c, path, v)
		}
	}
}

func req(name string, ch check) field { return field{name: name, req: true, check: ch} }
func opt(name string, ch check) field { return field{name: name, check: ch} }

// Value checks.

func str(c *checker, path string, v any) {
	if _, ok := v.(string); !ok {
		c.errf(path, "must be a string")
	}
}

func boolean(c *checker, path string, v any) {
	if _, ok := v.(bool); !ok {
		c.errf(path, "must be true or false")
	}
}

func strList(c *checker, path string, v any) { listOf(str)(c, path, v) }

// listOf checks a non-empty list whose items pass each.
func listOf(each check) check {
	return func(c *checker, path string, v any) {
		l, ok := v.([]any)
		if !ok {
			c.errf(path, "must be a list")
			return
		}
		if len(l) == 0 {
			c.errf(path, "must not be an empty list")
			return
		}
		for i, x := range l {
			p := path + "[" + strconv.Itoa(i) + "]"
			if x == nil {
				c.errf(p, "must not be null")
				continue
			}
			each(c, p, x)
		}
	}
}

func enum(vals ...string) check {
	return func(c *checker, path string, v any) {
		s, ok := v.(string)
		if !ok {
			c.errf(path, "must be a string")
			return
		}
		if !slices.Contains(vals, s) {
			c.errf(path, "%q is not one of %s", s, strings.Join(vals, ", "))
		}
	}
}

func matching(re *regexp.Regexp, what string) check {
	return func(c *checker, path string, v any) {
		s, ok := v.(string)
		if !ok {
			c.errf(path, "must be a string")
			return
		}
		if !re.MatchString(s) {
			c.errf(path, "must be %s", what)
		}
	}
}

// number returns the value of a JSON number, and false if v is not one.
func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func integer(min, max float64) check {
	return func(c *checker, path string, v any) {
		f, ok := number(v)
		if !ok || f != math.Trunc(f) || math.IsInf(f, 0) {
			c.errf(path, "must be an integer")
			return
		}
		if f < min || f > max {
			c.errf(path, "must be between %s and %s", fmtNum(min), fmtNum(max))
		}
	}
}

func anyInt(c *checker, path string, v any) {
	integer(math.Inf(-1), math.Inf(1))(c, path, v)
}

func nonNegInt(c *checker, path string, v any) { integer(0, math.Inf(1))(c, path, v) }

func num(min, max float64) check {
	return func(c *checker, path string, v any) {
		f, ok := number(v)
		if !ok || math.IsInf(f, 0) {
			c.errf(path, "must be a number")
			return
		}
		if f < min || f > max {
			c.errf(path, "must be between %s and %s", fmtNum(min), fmtNum(max))
		}
	}
}

func fmtNum(f float64) string {
	if math.IsInf(f, 1) {
		return "infinity"
	}
	if math.IsInf(f, -1) {
		return "-infinity"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func timestamp(c *checker, path string, v any) {
	s, ok := v.(string)
	if !ok {
		c.errf(path, "must be a timestamp string")
		return
	}
	if _, err := ParseTimestamp(s); err != nil {
		c.errf(path, "%v", err)
	}
}

// timestampMillis is the created/modified rule: at least millisecond
// precision (STIX 2.1 section 3.2).
func timestampMillis(c *checker, path string, v any) {
	s, ok := v.(string)
	if !ok {
		c.errf(path, "must be a timestamp string")
		return
	}
	if _, err := ParseTimestamp(s); err != nil {
		c.errf(path, "%v", err)
		return
	}
	if len(fraction(s)) < 3 {
		c.errf(path, "must be precise to the millisecond (at least three digits after the second)")
	}
}

// timestampSeconds is a timestamp without a fraction (windows-pebinary-ext
// time_date_stamp).
func timestampSeconds(c *checker, path string, v any) {
	timestamp(c, path, v)
	if s, ok := v.(string); ok && strings.Contains(s, ".") {
		c.errf(path, "must be precise to the second, without a fraction")
	}
}

var (
	hexRE    = regexp.MustCompile(`^([a-fA-F0-9]{2})+$`)
	base64RE = regexp.MustCompile(`^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)$`)
)

func checkHex(c *checker, path string, v any) {
	matching(hexRE, "hexadecimal with an even number of digits")(c, path, v)
}

func checkBinary(c *checker, path string, v any) {
	matching(base64RE, "base64 (RFC 4648, padded)")(c, path, v)
}

func checkURL(c *checker, path string, v any) {
	s, ok := v.(string)
	if !ok {
		c.errf(path, "must be a string")
		return
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		c.errf(path, "must be an absolute URL (RFC 3986)")
		return
	}
	if h := u.Hostname(); strings.Contains(h, ":") {
		if a, err := netip.ParseAddr(h); err != nil || a.Zone() != "" || !strings.Contains(u.Host, "[") {
			c.errf(path, "must be an absolute URL (RFC 3986) with a valid IPv6 host")
		}
	}
}

// checkLang accepts an RFC 5646 language tag whose subtags are registered.
func checkLang(c *checker, path string, v any) {
	s, ok := v.(string)
	if !ok {
		c.errf(path, "must be a string")
		return
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-') {
			c.errf(path, "%q is not an RFC 5646 language tag", s)
			return
		}
	}
	if _, err := language.Parse(s); err != nil {
		c.errf(path, "%q is not an RFC 5646 language tag", s)
	}
}

// object checks a JSON object's listed properties.
func objOf(fs ...field) check {
	return func(c *checker, path string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			c.errf(path, "must be an object")
			return
		}
		c.fields(m, path, fs)
	}
}

func anyObject(c *checker, path string, v any) {
	if _, ok := v.(map[string]any); !ok {
		c.errf(path, "must be an object")
	}
}

var dictKeyRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{0,250}$`)

// dict checks a STIX dictionary (section 2.7): a non-empty object whose keys
// are up to 250 characters a-z, A-Z, 0-9, _ and -, whose values are not null
// or empty lists, and pass each (if given).
func dict(each check) check {
	return func(c *checker, path string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			c.errf(path, "must be a dictionary (a JSON object)")
			return
		}
		if len(m) == 0 {
			c.errf(path, "must not be empty")
			return
		}
		for _, k := range sortedKeys(m) {
			p := path + "." + k
			if !dictKeyRE.MatchString(k) {
				c.errf(p, "is not a valid dictionary key (up to 250 characters a-z, A-Z, 0-9, _ and -)")
			}
			x := m[k]
			switch l := x.(type) {
			case nil:
				c.errf(p, "must not be null")
				continue
			case []any:
				if len(l) == 0 {
					c.errf(p, "must not be an empty list")
					continue
				}
			}
			if each != nil {
				each(c, p, x)
			}
		}
	}
}

// Hashes (section 2.6, hash-algorithm-ov): known algorithms must have
// values of their form; other keys are custom hash names.
var hashFormats = map[string]*regexp.Regexp{
	"MD5":      regexp.MustCompile(`^[a-fA-F0-9]{32}$`),
	"SHA-1":    regexp.MustCompile(`^[a-fA-F0-9]{40}$`),
	"SHA-256":  regexp.MustCompile(`^[a-fA-F0-9]{64}$`),
	"SHA-512":  regexp.MustCompile(`^[a-fA-F0-9]{128}$`),
	"SHA3-256": regexp.MustCompile(`^[a-fA-F0-9]{64}$`),
	"SHA3-512": regexp.MustCompile(`^[a-fA-F0-9]{128}$`),
	"SSDEEP":   regexp.MustCompile(`^[a-zA-Z0-9/+:.]{1,128}$`),
	"TLSH":     regexp.MustCompile(`^[a-zA-Z0-9]{70}$`),
}

var hashKeyRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{3,250}$`)

func hashes(c *checker, path string, v any) { hashesOf(c, path, v, false) }

func hashesOf(c *checker, path string, v any, knownOnly bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.errf(path, "must be a dictionary of hashes")
		return
	}
	if len(m) == 0 {
		c.errf(path, "must not be empty")
		return
	}
	for _, k := range sortedKeys(m) {
		p := path + "." + k
		s, ok := m[k].(string)
		if !ok {
			c.errf(p, "must be a string")
			continue
		}
		re, known := hashFormats[k]
		switch {
		case known && !re.MatchString(s):
			c.errf(p, "is not a valid %s value", k)
		case !known && knownOnly:
			c.errf(p, "is not a hash algorithm of hash-algorithm-ov (MD5, SHA-1, SHA-256, SHA-512, SHA3-256, SHA3-512, SSDEEP, TLSH)")
		case !known && !hashKeyRE.MatchString(k):
			c.errf(p, "is not a valid hash name (3-250 characters a-z, A-Z, 0-9, _ and -)")
		}
	}
}

var (
	cveRE   = regexp.MustCompile(`^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$`)
	capecRE = regexp.MustCompile(`^CAPEC-\d+$`)
)

// externalReference checks one external reference (section 2.5), with the
// OASIS schema's rules for CVE and CAPEC ids.
func externalReference(c *checker, path string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.errf(path, "must be an object")
		return
	}
	c.fields(m, path, []field{
		req("source_name", str),
		opt("description", str),
		opt("url", checkURL),
		opt("hashes", func(c *checker, p string, v any) { hashesOf(c, p, v, true) }),
		opt("external_id", str),
	})
	src, _ := m["source_name"].(string)
	eid, hasID := m["external_id"].(string)
	switch src {
	case "cve":
		if !hasID || !cveRE.MatchString(eid) {
			c.errf(path+".external_id", "must be a CVE id (CVE-YYYY-NNNN) when source_name is \"cve\"")
		}
	case "capec":
		if !hasID || !capecRE.MatchString(eid) {
			c.errf(path+".external_id", "must be a CAPEC id (CAPEC-N) when source_name is \"capec\"")
		}
	default:
		_, hasDesc := m["description"]
		_, hasURL := m["url"]
		if _, ok := m["external_id"]; !ok && !hasDesc && !hasURL {
			c.errf(path, "must have at least one of description, url and external_id")
		}
		if hasID && (cveRE.MatchString(eid) || capecRE.MatchString(eid)) {
			c.errf(path+".source_name", "must be \"cve\" or \"capec\" for external_id %q", eid)
		}
	}
}

func killChainPhase(c *checker, path string, v any) {
	objOf(req("kill_chain_name", str), req("phase_name", str))(c, path, v)
}

// References.

// refPred says whether an identifier of the given type may be referenced.
type refPred struct {
	ok   func(typ string) bool
	what string
}

var anyType = refPred{func(string) bool { return true }, "any object"}

func only(types ...string) refPred {
	return refPred{func(t string) bool { return slices.Contains(types, t) }, strings.Join(types, " or ")}
}

func except(what string, types ...string) refPred {
	return refPred{func(t string) bool { return !slices.Contains(types, t) }, what}
}

// sdoOrCustom accepts an SDO or an object of a type STIX does not define.
var sdoOrCustom = refPred{func(t string) bool {
	cl, known := classOf(t)
	return t != "bundle" && (!known || cl == classSDO)
}, "an SDO or custom object"}

// scoOrCustom accepts an SCO or an object of a type STIX does not define.
var scoOrCustom = refPred{func(t string) bool {
	cl, known := classOf(t)
	return t != "bundle" && (!known || cl == classSCO)
}, "an SCO or custom object"}

// sdoOrSCO accepts anything but SROs, meta objects and bundles.
var sdoOrSCO = refPred{func(t string) bool {
	cl, known := classOf(t)
	return t != "bundle" && (!known || cl == classSDO || cl == classSCO)
}, "an SDO, SCO or custom object"}

func refTo(p refPred) check {
	return func(c *checker, path string, v any) { c.ref(path, v, p) }
}

func refsTo(p refPred) check {
	return func(c *checker, path string, v any) { c.refs(path, v, p) }
}

func (c *checker) ref(path string, v any, p refPred) {
	s, ok := v.(string)
	if !ok {
		c.errf(path, "must be an identifier string")
		return
	}
	if c.local != nil {
		// Inside a deprecated observed-data container refs are its keys.
		if t, ok := c.local[s]; ok {
			if !p.ok(t) {
				c.errf(path, "refers to %q, a %s; must refer to %s", s, t, p.what)
			}
			return
		}
	}
	if err := checkID(s); err != nil {
		c.errf(path, "%v", err)
		return
	}
	if t := IDType(s); !p.ok(t) {
		c.errf(path, "refers to a %s; must refer to %s", t, p.what)
	}
}

func (c *checker) refs(path string, v any, p refPred) {
	l, ok := v.([]any)
	if !ok {
		c.errf(path, "must be a list of identifiers")
		return
	}
	if len(l) == 0 {
		c.errf(path, "must not be an empty list")
	}
	for i, x := range l {
		c.ref(path+"["+strconv.Itoa(i)+"]", x, p)
	}
}

// Order rules: later must not be before earlier (or, if strict, must be
// after it).
func (c *checker) order(m map[string]any, earlier, later string, strict bool) {
	a, ok1 := m[earlier].(string)
	b, ok2 := m[later].(string)
	if !ok1 || !ok2 {
		return
	}
	ta, err1 := ParseTimestamp(a)
	tb, err2 := ParseTimestamp(b)
	if err1 != nil || err2 != nil {
		return
	}
	cmp := tb.Compare(ta)
	switch {
	case strict && cmp <= 0:
		c.errf(later, "must be later than %s", earlier)
	case !strict && cmp < 0:
		c.errf(later, "must be later than or equal to %s", earlier)
	}
}

// Common properties.

var sdoCommon = []field{
	req("type", nil),
	req("spec_version", enum("2.1")),
	req("id", nil),
	req("created", timestampMillis),
	req("modified", timestampMillis),
	opt("created_by_ref", refTo(only("identity"))),
	opt("revoked", boolean),
	opt("labels", strList),
	opt("confidence", integer(0, 100)),
	opt("lang", checkLang),
	opt("external_references", listOf(externalReference)),
	opt("object_marking_refs", refsTo(only("marking-definition"))),
	opt("granular_markings", listOf(granularMarking)),
	opt("extensions", nil), // checked by extensions
}

var scoCommon = []field{
	req("type", nil),
	opt("spec_version", enum("2.1")),
	req("id", nil),
	opt("object_marking_refs", refsTo(only("marking-definition"))),
	opt("granular_markings", listOf(granularMarking)),
	opt("defanged", boolean),
	opt("extensions", nil),
}

var markingCommon = []field{
	req("type", nil),
	req("spec_version", enum("2.1")),
	req("id", nil),
	req("created", timestamp),
	opt("created_by_ref", refTo(only("identity"))),
	opt("external_references", listOf(externalReference)),
	opt("object_marking_refs", refsTo(only("marking-definition"))),
	opt("granular_markings", listOf(granularMarking)),
	opt("extensions", nil),
	opt("name", str),
	opt("definition_type", str),
	opt("definition", anyObject),
}

var selectorRE = regexp.MustCompile(`^([a-z0-9_-]{3,249}(\.(\[\d+\]|[a-z0-9_-]{1,250}))*|id)$`)

func granularMarking(c *checker, path string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.errf(path, "must be an object")
		return
	}
	c.fields(m, path, []field{
		req("selectors", listOf(matching(selectorRE, "a selector (property names and [index] joined by dots)"))),
		opt("lang", checkLang),
		opt("marking_ref", refTo(only("marking-definition"))),
	})
	_, hasLang := m["lang"]
	_, hasRef := m["marking_ref"]
	if hasLang == hasRef {
		c.errf(path, "must have exactly one of marking_ref and lang")
	}
}

// markings applies the rules on markings that the schemas cannot express:
// selectors must name content that exists in the object (STIX 2.1 section
// 7.2.3.1) and a marking definition cannot mark itself.
func (c *checker) markings(m map[string]any, cls class) {
	id, _ := m["id"].(string)
	gms, _ := m["granular_markings"].([]any)
	for i, g := range gms {
		gm, _ := g.(map[string]any)
		sels, _ := gm["selectors"].([]any)
		for j, s := range sels {
			sel, ok := s.(string)
			if !ok || !selectorRE.MatchString(sel) {
				continue
			}
			if !selects(m, sel) {
				c.errf(fmt.Sprintf("granular_markings[%d].selectors[%d]", i, j), "%q does not name any content of this object", sel)
			}
		}
		if cls == classMarking && gm["marking_ref"] == id && id != "" {
			c.errf(fmt.Sprintf("granular_markings[%d].marking_ref", i), "a marking definition cannot mark itself")
		}
	}
	if cls == classMarking {
		refs, _ := m["object_marking_refs"].([]any)
		for i, r := range refs {
			if r == id && id != "" {
				c.errf(fmt.Sprintf("object_marking_refs[%d]", i), "a marking definition cannot mark itself")
			}
		}
	}
}

// selects reports whether a granular-marking selector names content of m.
func selects(m map[string]any, sel string) bool {
	var cur any = m
	for _, seg := range strings.Split(sel, ".") {
		if strings.HasPrefix(seg, "[") {
			l, ok := cur.([]any)
			if !ok {
				return false
			}
			n, err := strconv.Atoi(seg[1 : len(seg)-1])
			if err != nil || n < 0 || n >= len(l) {
				return false
			}
			cur = l[n]
			continue
		}
		o, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = o[seg]; !ok {
			return false
		}
	}
	return true
}

var (
	extNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*-ext$`)
	extTypes  = []string{"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}
)

// extensions checks "extensions" (STIX 2.1 sections 3.2 and 7.3): each key is
// an extension-definition id or, for SCOs and older producers, a name
// ending in "-ext"; each value is a non-empty object. Extensions defined
// by an extension definition must say which kind they are; the SCO
// extensions STIX predefines are checked in full.
func (c *checker) extensions(m map[string]any, typ string, cls class, v any) {
	exts, ok := v.(map[string]any)
	if !ok {
		c.errf("extensions", "must be an object")
		return
	}
	if len(exts) == 0 {
		c.errf("extensions", "must not be empty")
		return
	}
	for _, k := range sortedKeys(exts) {
		p := "extensions." + k
		e, ok := exts[k].(map[string]any)
		if !ok {
			c.errf(p, "must be an object")
			continue
		}
		switch {
		case strings.HasPrefix(k, "extension-definition--"):
			if checkID(k) != nil {
				c.errf(p, "is not a valid extension-definition id")
				continue
			}
			if len(e) == 0 {
				c.errf(p, "must not be empty")
			}
			for _, n := range sortedKeys(e) {
				c.member(p+"."+n, n, e[n])
			}
			et, _ := e["extension_type"].(string)
			if _, ok := e["extension_type"]; !ok {
				c.errf(p+".extension_type", "is required")
			} else if !slices.Contains(extTypes, et) {
				c.errf(p+".extension_type", "%v is not one of %s", e["extension_type"], strings.Join(extTypes, ", "))
			}
			if _, known := classOf(typ); known && (et == "new-sdo" || et == "new-sco" || et == "new-sro") {
				c.errf(p+".extension_type", "%s cannot apply to %s, a type STIX 2.1 defines", et, typ)
			}
			if k == TLP2Extension && typ != "marking-definition" {
				c.errf(p, "the TLP 2.0 extension applies only to marking definitions")
			}
		case extNameRE.MatchString(k):
			if cls == classMarking {
				c.errf(p, "a marking definition's extensions must be named by extension-definition ids")
				continue
			}
			if len(e) == 0 {
				c.errf(p, "must not be empty")
			}
			for _, n := range sortedKeys(e) {
				c.member(p+"."+n, n, e[n])
			}
			if fs, ok := predefinedExtensions[typ+" "+k]; ok {
				fs(c, p, e)
			}
		default:
			c.errf(p, "is not an extension-definition id nor a name ending in -ext")
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
