package iodef

import (
	"fmt"
	"strings"
	"time"

	"github.com/accord-cyber/accord/stix"
)

// patternMeaning is the meaning of an AdditionalData that carries an
// indicator's pattern as text, its formatid the pattern_type ("stix" when
// absent). Encode writes it; Decode takes it in preference to a pattern
// built from the Indicator's observables.
const patternMeaning = "pattern"

// indicator maps an Indicator (RFC 7970 section 3.29) to a STIX indicator
// whose pattern is its Observable, ObservableReference or
// IndicatorExpression, and maps the observables in them like those of
// EventData. An Indicator whose expression has no STIX counterpart (the
// not and xor operators, references to other indicators, an and of
// something accord does not map) makes no indicator, and is listed in
// Skipped; its observables are still mapped.
func (st *incident) indicator(ind *node) error {
	ind.used = true
	idn := ind.child("IndicatorID")
	if idn == nil {
		return ind.invalid("IndicatorID is required")
	}
	idValue := idn.value()
	idName, okName := idn.attr("name")
	version, okVersion := idn.attr("version")
	switch {
	case idValue == "":
		return idn.invalid("is empty")
	case !okName:
		return idn.invalid("the name attribute is required")
	case !okVersion:
		return idn.invalid("the version attribute is required")
	}
	idName, version = strings.TrimSpace(idName), strings.TrimSpace(version)

	validFrom := st.in.GenerationTime
	var validUntil time.Time
	start, end := ind.child("StartTime"), ind.child("EndTime")
	if start != nil {
		t, err := dateTime(start)
		if err != nil {
			return err
		}
		validFrom = t
	}
	if end != nil {
		t, err := dateTime(end)
		if err != nil {
			return err
		}
		validUntil = t
		if stix.NewTimestamp(t).Compare(stix.NewTimestamp(validFrom)) <= 0 {
			return end.invalid("is not after the indicator's StartTime (or the incident's GenerationTime)")
		}
	}
	for _, r := range ind.children("Reference") {
		if _, err := st.reference(r); err != nil {
			return err
		}
	}

	pattern, patternType := "", "stix"
	for _, ad := range ind.children("AdditionalData") {
		if p, t, ok, err := patternData(ad); err != nil {
			return err
		} else if ok {
			pattern, patternType = p, t
		}
	}
	var expr, why string
	st.patternType = "stix"
	for _, k := range ind.kids {
		if k.is("Observable") || k.is("ObservableReference") || k.is("IndicatorExpression") || k.is("IndicatorReference") {
			var err error
			if expr, why, err = st.expr(k, true); err != nil {
				return err
			}
		}
	}
	if pattern == "" {
		pattern, patternType = expr, st.patternType
	}
	if pattern == "" {
		if why == "" {
			why = "it has no observable"
		}
		ind.pass("no STIX indicator made: " + why)
		return nil
	}
	props := []prop{
		{"type", "indicator"}, {"spec_version", "2.1"},
		{"id", st.sdoID("indicator", idName+"\x00"+version+"\x00"+idValue)},
		{"created", st.created}, {"modified", st.created},
		{"name", idValue}, {"description", strings.Join(descriptions(ind), "\n")},
		{"pattern", pattern}, {"pattern_type", patternType},
	}
	if patternType == "stix" {
		props = append(props, prop{"pattern_version", "2.1"})
	}
	props = append(props, prop{"valid_from", stix.NewTimestamp(validFrom)})
	if !validUntil.IsZero() {
		props = append(props, prop{"valid_until", stix.NewTimestamp(validUntil)})
	}
	if idName != "" {
		props = append(props, prop{"external_references", []map[string]string{{"source_name": idName, "external_id": idValue}}})
	}
	o, err := newObject(props)
	if err != nil {
		return err
	}
	_, err = st.add(o, ind)
	return err
}

// patternData reads an AdditionalData that carries a pattern: its text,
// its pattern type, and whether it is one. A STIX pattern must parse.
func patternData(ad *node) (string, string, bool, error) {
	if ad.attrValue("meaning") != patternMeaning {
		return "", "", false, nil
	}
	ad.used = true
	p := strings.TrimSpace(ad.text.String())
	t := ad.attrValue("formatid")
	if t == "" {
		t = "stix"
	}
	if p == "" {
		return "", "", false, ad.invalid("the pattern is empty")
	}
	if t == "stix" {
		if _, err := stix.ParsePattern(p); err != nil {
			return "", "", false, ad.invalid("%v", err)
		}
	}
	return p, t, true, nil
}

// expr returns the STIX pattern of an Observable, ObservableReference,
// IndicatorExpression or IndicatorReference, or "" and why there is none.
// The observables in it are mapped either way.
func (st *incident) expr(n *node, top bool) (string, string, error) {
	switch {
	case n.is("Observable"):
		return st.observable(n, top)
	case n.is("ObservableReference"):
		ref := n.attrValue("uid-ref")
		if ref == "" {
			return "", "", n.invalid("the uid-ref attribute is required")
		}
		target, ok := st.d.ids[ref]
		if !ok {
			return "", "", n.invalid("uid-ref %q names no element with that observable-id", ref)
		}
		n.used = true
		obs, supported, err := st.observe(target)
		if err != nil {
			return "", "", err
		}
		if !supported {
			why := fmt.Sprintf("the element uid-ref %q names (%s) has no STIX pattern counterpart", ref, target.label())
			n.pass(why)
			return "", why, nil
		}
		if p := alternatives(obs); p != "" {
			return p, "", nil
		}
		return "", fmt.Sprintf("nothing in the element uid-ref %q names is mapped", ref), nil
	case n.is("IndicatorReference"):
		n.pass("references to other indicators are not followed")
		return "", "it refers to another indicator", nil
	case n.is("IndicatorExpression"):
		n.used = true
		op := n.attrValue("operator")
		if op == "" {
			op = "and"
		}
		var parts []string
		var why string
		empty := false
		for _, k := range n.kids {
			if !(k.is("Observable") || k.is("ObservableReference") || k.is("IndicatorExpression") || k.is("IndicatorReference")) {
				continue
			}
			p, w, err := st.expr(k, false)
			if err != nil {
				return "", "", err
			}
			if p == "" {
				empty = true
				if why == "" {
					why = w
				}
				continue
			}
			parts = append(parts, p)
		}
		switch op {
		case "and", "or":
		default:
			why := fmt.Sprintf("operator %q has no STIX pattern counterpart", op)
			n.pass(why)
			return "", why, nil
		}
		if op == "and" && empty {
			// Leaving out a term of an and would match more than the
			// producer meant.
			return "", why, nil
		}
		switch len(parts) {
		case 0:
			return "", why, nil
		case 1:
			return parts[0], "", nil
		}
		return "(" + strings.Join(parts, " "+strings.ToUpper(op)+" ") + ")", "", nil
	}
	return "", "", nil
}

// observable returns the pattern of an Observable. An AdditionalData
// pattern is taken whole at the top of an Indicator (any pattern type, as
// Encode writes it), in parentheses inside an expression (STIX only).
func (st *incident) observable(n *node, top bool) (string, string, error) {
	n.used = true
	for _, k := range n.kids {
		if k.name.Space != Namespace {
			continue
		}
		if k.is("AdditionalData") {
			p, t, ok, err := patternData(k)
			if err != nil {
				return "", "", err
			}
			switch {
			case ok && top:
				st.patternType = t
				return p, "", nil
			case ok && t == "stix":
				return "(" + p + ")", "", nil
			case ok:
				k.pass(fmt.Sprintf("a %s pattern inside an expression has no STIX counterpart", t))
				return "", "it holds a " + t + " pattern", nil
			}
			continue
		}
		obs, supported, err := st.observe(k)
		if err != nil {
			return "", "", err
		}
		if !supported {
			return "", fmt.Sprintf("%s has no STIX pattern counterpart", k.label()), nil
		}
		if p := alternatives(obs); p != "" {
			return p, "", nil
		}
		if k.skip != "" {
			return "", fmt.Sprintf("its %s: %s", k.label(), k.skip), nil
		}
		return "", fmt.Sprintf("nothing in its %s is mapped", k.label()), nil
	}
	return "", "it is empty", nil
}

// observe maps an element that can be observed and returns its
// observation; supported is false for elements that cannot.
func (st *incident) observe(k *node) (obs observation, supported bool, err error) {
	switch {
	case k.is("Address"):
		_, cmp, err := st.address(k, extAttrDefault(k, "category", "ipv6-addr"), k.value(), k)
		if cmp == "" {
			return nil, true, err
		}
		return observation{cmp}, true, err
	case k.is("DomainData"):
		_, cmp, err := st.domainData(k)
		return observation{cmp}, true, err
	case k.is("Node"):
		_, obs, err := st.nodeObs(k)
		return obs, true, err
	case k.is("System"):
		_, obs, err := st.system(k)
		return obs, true, err
	case k.is("Service"):
		if _, err := st.service(k); err != nil {
			return nil, true, err
		}
		if e := k.child("EmailData"); e != nil {
			obs, err := st.emailData(e)
			return obs, true, err
		}
		return nil, false, nil
	case k.is("EmailData"):
		obs, err := st.emailData(k)
		return obs, true, err
	case k.is("FileData"):
		obs, err := st.fileData(k)
		return obs, true, err
	case k.is("File"):
		obs, err := st.file(k)
		return obs, true, err
	case k.is("WindowsRegistryKeysModified"):
		obs, err := st.registryKeys(k)
		return obs, true, err
	case k.is("Key"):
		obs, err := st.registryKey(k)
		return obs, true, err
	case k.is("CertificateData"):
		obs, err := st.certificateData(k)
		return obs, true, err
	case k.is("Certificate"):
		obs, err := st.certificate(k)
		return obs, true, err
	case k.is("RecordData"):
		obs, err := st.recordData(k)
		return obs, true, err
	case k.is("BulkObservable"):
		obs, err := st.bulk(k)
		return obs, true, err
	}
	return nil, false, nil
}

// alternatives joins the alternatives of an observation with OR, each as
// one observation expression.
func alternatives(obs observation) string {
	var parts []string
	for _, o := range obs {
		if o != "" {
			parts = append(parts, "["+o+"]")
		}
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}
