package stix

import (
	"math"
	"net/netip"
	"regexp"
	"strings"
)

// typeSpec is what STIX 2.1 says about one object type beyond the common
// properties: its properties and the rules that tie them together.
type typeSpec struct {
	class  class
	fields []field
	rule   func(c *checker, m map[string]any)
}

// specs holds every type STIX 2.1 defines. Open vocabularies (section 10)
// are checked only as strings, as the standard allows values outside them;
// closed enumerations are checked against their values. Checks reach it
// through checker.specs (set by validate), which keeps Go's initialisation
// order free of cycles.
var specs = buildSpecs()

// typeClasses is the class of every type STIX 2.1 defines; reference checks
// use it to tell SDOs from SCOs.
var typeClasses = map[string]class{
	"attack-pattern": classSDO, "campaign": classSDO, "course-of-action": classSDO,
	"grouping": classSDO, "identity": classSDO, "incident": classSDO, "indicator": classSDO,
	"infrastructure": classSDO, "intrusion-set": classSDO, "location": classSDO,
	"malware": classSDO, "malware-analysis": classSDO, "note": classSDO,
	"observed-data": classSDO, "opinion": classSDO, "report": classSDO,
	"threat-actor": classSDO, "tool": classSDO, "vulnerability": classSDO,
	"relationship": classSRO, "sighting": classSRO,
	"artifact": classSCO, "autonomous-system": classSCO, "directory": classSCO,
	"domain-name": classSCO, "email-addr": classSCO, "email-message": classSCO,
	"file": classSCO, "ipv4-addr": classSCO, "ipv6-addr": classSCO, "mac-addr": classSCO,
	"mutex": classSCO, "network-traffic": classSCO, "process": classSCO,
	"software": classSCO, "url": classSCO, "user-account": classSCO,
	"windows-registry-key": classSCO, "x509-certificate": classSCO,
	"marking-definition": classMarking, "language-content": classMeta,
	"extension-definition": classMeta,
}

// classOf returns the class of a type STIX 2.1 defines, and false for any
// other type.
func classOf(typ string) (class, bool) {
	c, ok := typeClasses[typ]
	return c, ok
}

var (
	nameReq = req("name", str)
	descOpt = opt("description", str)
	kcpOpt  = opt("kill_chain_phases", listOf(killChainPhase))
)

func buildSpecs() map[string]*typeSpec {
	return map[string]*typeSpec{
		// Section 4: STIX Domain Objects.
		"attack-pattern": {class: classSDO, fields: []field{
			nameReq, descOpt, opt("aliases", strList), kcpOpt,
		}},
		"campaign": {class: classSDO, fields: []field{
			nameReq, descOpt, opt("aliases", strList),
			opt("first_seen", timestamp), opt("last_seen", timestamp), opt("objective", str),
		}, rule: seenOrder},
		"course-of-action": {class: classSDO, fields: []field{nameReq, descOpt}},
		"grouping": {class: classSDO, fields: []field{
			opt("name", str), descOpt, req("context", str), req("object_refs", refsTo(anyType)),
		}},
		"identity": {class: classSDO, fields: []field{
			nameReq, descOpt, opt("roles", strList), opt("identity_class", str),
			opt("sectors", strList), opt("contact_information", str),
		}},
		"incident": {class: classSDO, fields: []field{nameReq, descOpt, kcpOpt}},
		"indicator": {class: classSDO, fields: []field{
			opt("name", str), descOpt, opt("indicator_types", strList),
			req("pattern", str), req("pattern_type", str), opt("pattern_version", str),
			req("valid_from", timestamp), opt("valid_until", timestamp), kcpOpt,
		}, rule: indicatorRule},
		"infrastructure": {class: classSDO, fields: []field{
			nameReq, descOpt, opt("infrastructure_types", strList), opt("aliases", strList), kcpOpt,
			opt("first_seen", timestamp), opt("last_seen", timestamp),
		}, rule: seenOrder},
		"intrusion-set": {class: classSDO, fields: []field{
			nameReq, descOpt, opt("aliases", strList),
			opt("first_seen", timestamp), opt("last_seen", timestamp),
			opt("goals", strList), opt("resource_level", str),
			opt("primary_motivation", str), opt("secondary_motivations", strList),
		}, rule: seenOrder},
		"location": {class: classSDO, fields: []field{
			opt("name", str), descOpt,
			opt("latitude", num(-90, 90)), opt("longitude", num(-180, 180)),
			opt("precision", num(0, math.Inf(1))),
			opt("region", str), opt("country", str), opt("administrative_area", str),
			opt("city", str), opt("street_address", str), opt("postal_code", str),
		}, rule: locationRule},
		"malware": {class: classSDO, fields: []field{
			opt("name", str), descOpt, opt("malware_types", strList), req("is_family", boolean),
			opt("aliases", strList), kcpOpt,
			opt("first_seen", timestamp), opt("last_seen", timestamp),
			opt("operating_system_refs", refsTo(only("software"))),
			opt("architecture_execution_envs", strList), opt("implementation_languages", strList),
			opt("capabilities", strList), opt("sample_refs", refsTo(only("file", "artifact"))),
		}, rule: malwareRule},
		"malware-analysis": {class: classSDO, fields: []field{
			req("product", str), opt("version", str),
			opt("host_vm_ref", refTo(only("software"))), opt("operating_system_ref", refTo(only("software"))),
			opt("installed_software_refs", refsTo(only("software"))),
			opt("configuration_version", str), opt("modules", strList),
			opt("analysis_engine_version", str), opt("analysis_definition_version", str),
			opt("submitted", timestamp), opt("analysis_started", timestamp), opt("analysis_ended", timestamp),
			opt("result_name", str), opt("result", str),
			opt("analysis_sco_refs", refsTo(scoOrCustom)),
			opt("sample_ref", refTo(only("file", "artifact", "network-traffic"))),
		}, rule: func(c *checker, m map[string]any) {
			_, r := m["result"]
			_, s := m["analysis_sco_refs"]
			if !r && !s {
				c.errf("result", "is required when analysis_sco_refs is absent")
			}
			c.order(m, "analysis_started", "analysis_ended", false)
		}},
		"note": {class: classSDO, fields: []field{
			opt("abstract", str), req("content", str), opt("authors", strList),
			req("object_refs", refsTo(anyType)),
		}},
		"observed-data": {class: classSDO, fields: []field{
			req("first_observed", timestamp), req("last_observed", timestamp),
			req("number_observed", integer(1, 999999999)),
			opt("objects", nil), // checked by observedDataRule
			opt("object_refs", refsTo(refPred{func(t string) bool {
				cl, known := classOf(t)
				return !known || cl == classSCO || cl == classSRO
			}, "an SCO or SRO"})),
		}, rule: observedDataRule},
		"opinion": {class: classSDO, fields: []field{
			opt("explanation", str), opt("authors", strList),
			req("opinion", enum("strongly-disagree", "disagree", "neutral", "agree", "strongly-agree")),
			req("object_refs", refsTo(anyType)),
		}},
		"report": {class: classSDO, fields: []field{
			nameReq, descOpt, opt("report_types", strList), req("published", timestamp),
			req("object_refs", refsTo(anyType)),
		}},
		"threat-actor": {class: classSDO, fields: []field{
			nameReq, descOpt, opt("threat_actor_types", strList), opt("aliases", strList),
			opt("first_seen", timestamp), opt("last_seen", timestamp),
			opt("roles", strList), opt("goals", strList), opt("sophistication", str),
			opt("resource_level", str), opt("primary_motivation", str),
			opt("secondary_motivations", strList), opt("personal_motivations", strList),
		}, rule: seenOrder},
		"tool": {class: classSDO, fields: []field{
			nameReq, descOpt, opt("tool_types", strList), opt("aliases", strList), kcpOpt,
			opt("tool_version", str),
		}},
		"vulnerability": {class: classSDO, fields: []field{nameReq, descOpt}},

		// Section 5: STIX Relationship Objects.
		"relationship": {class: classSRO, fields: []field{
			req("relationship_type", matching(relTypeRE, "lower-case a-z, 0-9 and hyphens")), descOpt,
			req("source_ref", refTo(sdoOrSCO)), req("target_ref", refTo(sdoOrSCO)),
			opt("start_time", timestamp), opt("stop_time", timestamp),
		}, rule: relationshipRule},
		"sighting": {class: classSRO, fields: []field{
			descOpt, opt("first_seen", timestamp), opt("last_seen", timestamp),
			opt("count", integer(0, 999999999)),
			req("sighting_of_ref", refTo(sdoOrCustom)),
			opt("observed_data_refs", refsTo(only("observed-data"))),
			opt("where_sighted_refs", refsTo(only("identity", "location"))),
			opt("summary", boolean),
		}, rule: seenOrder},

		// Section 6: STIX Cyber-observable Objects.
		"artifact": {class: classSCO, fields: []field{
			opt("mime_type", matching(mimeRE, "a media type such as application/zip")),
			opt("payload_bin", checkBinary), opt("url", checkURL), opt("hashes", hashes),
			opt("encryption_algorithm", enum("AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated")),
			opt("decryption_key", str),
		}, rule: artifactRule},
		"autonomous-system": {class: classSCO, fields: []field{
			req("number", anyInt), opt("name", str), opt("rir", str),
		}},
		"directory": {class: classSCO, fields: []field{
			req("path", str), opt("path_enc", matching(encRE, "a character set name")),
			opt("ctime", timestamp), opt("mtime", timestamp), opt("atime", timestamp),
			opt("contains_refs", refsTo(only("file", "directory"))),
		}},
		"domain-name": {class: classSCO, fields: []field{
			req("value", domainName),
			opt("resolves_to_refs", refsTo(only("ipv4-addr", "ipv6-addr", "domain-name"))),
		}},
		"email-addr": {class: classSCO, fields: []field{
			req("value", emailAddress), opt("display_name", str),
			opt("belongs_to_ref", refTo(only("user-account"))),
		}},
		"email-message": {class: classSCO, fields: []field{
			req("is_multipart", boolean), opt("date", timestamp), opt("content_type", str),
			opt("from_ref", refTo(only("email-addr"))), opt("sender_ref", refTo(only("email-addr"))),
			opt("to_refs", refsTo(only("email-addr"))), opt("cc_refs", refsTo(only("email-addr"))),
			opt("bcc_refs", refsTo(only("email-addr"))),
			opt("message_id", str), opt("subject", str), opt("received_lines", strList),
			opt("additional_header_fields", dict(headerValue)),
			opt("body", str), opt("body_multipart", listOf(mimePart)),
			opt("raw_email_ref", refTo(only("artifact"))),
		}, rule: emailRule},
		"file": {class: classSCO, fields: []field{
			opt("hashes", hashes), opt("size", nonNegInt), opt("name", str),
			opt("name_enc", matching(encRE, "a character set name")),
			opt("magic_number_hex", checkHex), opt("mime_type", str),
			opt("ctime", timestamp), opt("mtime", timestamp), opt("atime", timestamp),
			opt("parent_directory_ref", refTo(only("directory"))),
			opt("contains_refs", refsTo(scoOrCustom)),
			opt("content_ref", refTo(only("artifact"))),
		}, rule: func(c *checker, m map[string]any) {
			_, h := m["hashes"]
			_, n := m["name"]
			if !h && !n {
				c.errf("name", "is required when hashes is absent")
			}
		}},
		"ipv4-addr": {class: classSCO, fields: []field{
			req("value", ipv4),
			opt("resolves_to_refs", refsTo(only("mac-addr"))),
			opt("belongs_to_refs", refsTo(only("autonomous-system"))),
		}},
		"ipv6-addr": {class: classSCO, fields: []field{
			req("value", ipv6),
			opt("resolves_to_refs", refsTo(only("mac-addr"))),
			opt("belongs_to_refs", refsTo(only("autonomous-system"))),
		}},
		"mac-addr": {class: classSCO, fields: []field{
			req("value", matching(macRE, "a MAC address in lower-case colon-separated form (aa:bb:cc:dd:ee:ff)")),
		}},
		"mutex": {class: classSCO, fields: []field{req("name", str)}},
		"network-traffic": {class: classSCO, fields: []field{
			opt("start", timestamp), opt("end", timestamp), opt("is_active", boolean),
			opt("src_ref", refTo(addrTypes)), opt("dst_ref", refTo(addrTypes)),
			opt("src_port", integer(0, 65535)), opt("dst_port", integer(0, 65535)),
			req("protocols", strList),
			opt("src_byte_count", nonNegInt), opt("dst_byte_count", nonNegInt),
			opt("src_packets", nonNegInt), opt("dst_packets", nonNegInt),
			opt("ipfix", dict(stringOrInt)),
			opt("src_payload_ref", refTo(only("artifact"))), opt("dst_payload_ref", refTo(only("artifact"))),
			opt("encapsulates_refs", refsTo(only("network-traffic"))),
			opt("encapsulated_by_ref", refTo(only("network-traffic"))),
		}, rule: networkTrafficRule},
		"process": {class: classSCO, fields: []field{
			opt("is_hidden", boolean), opt("pid", anyInt), opt("created_time", timestamp),
			opt("cwd", str), opt("command_line", str), opt("environment_variables", dict(str)),
			opt("opened_connection_refs", refsTo(only("network-traffic"))),
			opt("creator_user_ref", refTo(only("user-account"))),
			opt("image_ref", refTo(only("file"))), opt("parent_ref", refTo(only("process"))),
			opt("child_refs", refsTo(only("process"))),
		}, rule: atLeastOne("extensions", "is_hidden", "pid", "created_time", "cwd", "command_line",
			"environment_variables", "opened_connection_refs", "creator_user_ref", "image_ref",
			"parent_ref", "child_refs")},
		"software": {class: classSCO, fields: []field{
			req("name", str), opt("cpe", matching(cpeRE, "a CPE 2.3 formatted string")),
			opt("swid", str), opt("languages", listOf(matching(softwareLangRE, "an ISO 639-2 language code"))),
			opt("vendor", str), opt("version", str),
		}},
		"url": {class: classSCO, fields: []field{req("value", checkURL)}},
		"user-account": {class: classSCO, fields: []field{
			opt("user_id", str), opt("credential", str), opt("account_login", str),
			opt("account_type", str), opt("display_name", str),
			opt("is_service_account", boolean), opt("is_privileged", boolean),
			opt("can_escalate_privs", boolean), opt("is_disabled", boolean),
			opt("account_created", timestamp), opt("account_expires", timestamp),
			opt("credential_last_changed", timestamp), opt("account_first_login", timestamp),
			opt("account_last_login", timestamp),
		}, rule: atLeastOne("extensions", "user_id", "credential", "account_login", "account_type",
			"display_name", "is_service_account", "is_privileged", "can_escalate_privs", "is_disabled",
			"account_created", "account_expires", "credential_last_changed", "account_first_login",
			"account_last_login")},
		"windows-registry-key": {class: classSCO, fields: []field{
			opt("key", registryKey), opt("values", listOf(registryValue)),
			opt("modified_time", timestamp), opt("creator_user_ref", refTo(only("user-account"))),
			opt("number_of_subkeys", anyInt),
		}, rule: atLeastOne("key", "values", "modified_time", "creator_user_ref", "number_of_subkeys")},
		"x509-certificate": {class: classSCO, fields: []field{
			opt("is_self_signed", boolean), opt("hashes", hashes), opt("version", str),
			opt("serial_number", str), opt("signature_algorithm", str), opt("issuer", str),
			opt("validity_not_before", timestamp), opt("validity_not_after", timestamp),
			opt("subject", str), opt("subject_public_key_algorithm", str),
			opt("subject_public_key_modulus", str), opt("subject_public_key_exponent", anyInt),
			opt("x509_v3_extensions", x509Extensions),
		}, rule: func(c *checker, m map[string]any) {
			atLeastOne("is_self_signed", "hashes", "version", "serial_number", "signature_algorithm",
				"issuer", "validity_not_before", "validity_not_after", "subject",
				"subject_public_key_algorithm", "subject_public_key_modulus",
				"subject_public_key_exponent", "x509_v3_extensions")(c, m)
			c.order(m, "validity_not_before", "validity_not_after", false)
		}},

		// Section 7: STIX Meta Objects.
		"language-content": {class: classMeta, fields: []field{
			req("object_ref", refTo(except("any object but a bundle or language-content", "bundle", "language-content"))),
			opt("object_modified", timestamp),
			req("contents", languageContents),
		}},
		"marking-definition": {class: classMarking, rule: markingRule},
		"extension-definition": {class: classMeta, fields: []field{
			req("created_by_ref", refTo(only("identity"))),
			nameReq, descOpt, req("schema", str), req("version", str),
			req("extension_types", listOf(enum(extTypes...))),
			opt("extension_properties", strList),
		}, rule: func(c *checker, m map[string]any) {
			if _, ok := m["extension_properties"]; !ok {
				return
			}
			types, _ := m["extension_types"].([]any)
			for _, t := range types {
				if t == "toplevel-property-extension" {
					return
				}
			}
			c.errf("extension_properties", "is only allowed with extension type toplevel-property-extension")
		}},
	}
}

var (
	relTypeRE      = regexp.MustCompile(`^[a-z0-9-]+$`)
	mimeRE         = regexp.MustCompile(`^(application|audio|font|image|message|model|multipart|text|video)/[a-zA-Z0-9.+_-]+`)
	encRE          = regexp.MustCompile(`^[a-zA-Z0-9/\.+_:-]{2,250}$`)
	macRE          = regexp.MustCompile(`^([0-9a-f]{2}[:]){5}([0-9a-f]{2})$`)
	ipv4RE         = regexp.MustCompile(`^(([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\.){3}([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])(\/(3[0-2]|[1-2][0-9]|[0-9]))?$`)
	softwareLangRE = regexp.MustCompile(`^([a-z]{2}(-[A-Z]{2})?(-[a-z]{4})?(-[A-Z]{2}|[0-9]{3})?(-[a-z0-9]{5,8}|[0-9][a-z0-9]{3})*(-[a-z0-9]{1,8})*|[a-z]{3})$`)
	// The OASIS schema's CPE 2.3 pattern, which is not anchored.
	cpeRE = regexp.MustCompile(`cpe:2\.3:[aho\*\-](:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!"#$$%&'\(\)\+,/:;<=>@\[\]\^` + "`" + `\{\|}~]))+(\?*|\*?))|[\*\-])){5}(:(([a-zA-Z]{2,3}(-([a-zA-Z]{2}|[0-9]{3}))?)|[\*\-]))(:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!"#$$%&'\(\)\+,/:;<=>@\[\]\^` + "`" + `\{\|}~]))+(\?*|\*?))|[\*\-])){4}`)
	// The OASIS schema's IPv6 pattern. It is stricter than RFC 4291 (it
	// does not take IPv4-embedded forms), and addresses it refuses would
	// make an export the schema refuses; see ipv6.
	ipv6RE         = regexp.MustCompile(`^s*((([0-9A-Fa-f]{1,4}:){7}([0-9A-Fa-f]{1,4}|:))|(([0-9A-Fa-f]{1,4}:){6}(:[0-9A-Fa-f]{1,4}|((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3})|:))|(([0-9A-Fa-f]{1,4}:){5}(((:[0-9A-Fa-f]{1,4}){1,2})|:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3})|:))|(([0-9A-Fa-f]{1,4}:){4}(((:[0-9A-Fa-f]{1,4}){1,3})|((:[0-9A-Fa-f]{1,4})?:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){3}(((:[0-9A-Fa-f]{1,4}){1,4})|((:[0-9A-Fa-f]{1,4}){0,2}:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){2}(((:[0-9A-Fa-f]{1,4}){1,5})|((:[0-9A-Fa-f]{1,4}){0,3}:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){1}(((:[0-9A-Fa-f]{1,4}){1,6})|((:[0-9A-Fa-f]{1,4}){0,4}:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3}))|:))|(:(((:[0-9A-Fa-f]{1,4}){1,7})|((:[0-9A-Fa-f]{1,4}){0,5}:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3}))|:)))(%.+)?s*(\/(12[0-8]|1[0-1][0-9]|[1-9][0-9]|[0-9]))?$`)
	registryHiveRE = regexp.MustCompile(`^HKLM|HKCC|HKCR|HKCU|HKU|hklm|hkcc|hkcr|hkcu|hku`)
	headerNameRE   = regexp.MustCompile(`^date|received_lines|content_type|from_ref|sender_ref|to_refs|cc_refs|bcc_refs|subject$`)
)

var addrTypes = only("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name")

// seenOrder: last_seen is not before first_seen (campaign, infrastructure,
// intrusion-set, malware, threat-actor, sighting).
func seenOrder(c *checker, m map[string]any) { c.order(m, "first_seen", "last_seen", false) }

func indicatorRule(c *checker, m map[string]any) {
	c.order(m, "valid_from", "valid_until", true)
	if pt, _ := m["pattern_type"].(string); pt == "stix" {
		if p, ok := m["pattern"].(string); ok {
			if _, err := ParsePattern(p); err != nil {
				c.errf("pattern", "%v", err)
			}
		}
	}
}

func locationRule(c *checker, m map[string]any) {
	_, lat := m["latitude"]
	_, lon := m["longitude"]
	_, region := m["region"]
	_, country := m["country"]
	_, prec := m["precision"]
	if lat != lon {
		c.errf("longitude", "latitude and longitude must be given together")
	}
	if !region && !country && !(lat && lon) {
		c.errf("region", "one of region, country, or latitude with longitude is required")
	}
	if prec && !(lat && lon) {
		c.errf("precision", "requires latitude and longitude")
	}
}

func malwareRule(c *checker, m map[string]any) {
	seenOrder(c, m)
	if m["is_family"] == true {
		if _, ok := m["name"]; !ok {
			c.errf("name", "is required when is_family is true")
		}
	}
}

// relationshipRule: stop_time after start_time, and the common
// relationships of section 3.7 that join objects of one type.
func relationshipRule(c *checker, m map[string]any) {
	c.order(m, "start_time", "stop_time", true)
	rt, _ := m["relationship_type"].(string)
	src, _ := m["source_ref"].(string)
	dst, _ := m["target_ref"].(string)
	if (rt == "duplicate-of" || rt == "derived-from") && IDType(src) != "" && IDType(dst) != "" && IDType(src) != IDType(dst) {
		c.errf("target_ref", "%s must join two objects of the same type, not %s and %s", rt, IDType(src), IDType(dst))
	}
}

func observedDataRule(c *checker, m map[string]any) {
	c.order(m, "first_observed", "last_observed", false)
	objs, hasObjs := m["objects"]
	_, hasRefs := m["object_refs"]
	switch {
	case hasObjs && hasRefs:
		c.errf("objects", "must not be given together with object_refs")
	case !hasObjs && !hasRefs:
		c.errf("object_refs", "is required (or the deprecated objects)")
	}
	if !hasObjs {
		return
	}
	container, ok := objs.(map[string]any)
	if !ok || len(container) == 0 {
		c.errf("objects", "must be a non-empty object of cyber-observables")
		return
	}
	// The deprecated container (section 4.13): its members are SCOs whose
	// refs name other members by key.
	local := map[string]string{}
	for k, v := range container {
		if o, ok := v.(map[string]any); ok {
			if t, ok := o["type"].(string); ok {
				local[k] = t
			}
		}
	}
	for _, k := range sortedKeys(container) {
		p := "objects." + k
		o, ok := container[k].(map[string]any)
		if !ok {
			c.errf(p, "must be an object")
			continue
		}
		sub := &checker{id: c.id, index: c.index, local: local, specs: c.specs}
		typ, _ := o["type"].(string)
		if cl, known := classOf(typ); known && cl != classSCO {
			sub.errf("type", "%q is not a cyber-observable type", typ)
		} else {
			sub.object(o)
		}
		for _, e := range sub.errs {
			c.errf(joinPath(p, e.Path), "%s", e.Message)
		}
	}
}

func artifactRule(c *checker, m map[string]any) {
	_, payload := m["payload_bin"]
	_, u := m["url"]
	_, h := m["hashes"]
	switch {
	case payload && u:
		c.errf("url", "must not be given together with payload_bin")
	case !payload && !u:
		c.errf("payload_bin", "is required when url is absent")
	case u && !h:
		c.errf("hashes", "is required with url")
	}
	_, key := m["decryption_key"]
	_, alg := m["encryption_algorithm"]
	if key && !alg {
		c.errf("decryption_key", "requires encryption_algorithm")
	}
}

func emailRule(c *checker, m map[string]any) {
	_, body := m["body"]
	_, parts := m["body_multipart"]
	switch m["is_multipart"] {
	case true:
		if body {
			c.errf("body", "must be absent when is_multipart is true (use body_multipart)")
		}
	case false:
		if parts {
			c.errf("body_multipart", "must be absent when is_multipart is false")
		}
	}
}

func networkTrafficRule(c *checker, m map[string]any) {
	_, src := m["src_ref"]
	_, dst := m["dst_ref"]
	if !src && !dst {
		c.errf("src_ref", "one of src_ref and dst_ref is required")
	}
	if _, end := m["end"]; end && m["is_active"] == true {
		c.errf("end", "must be absent when is_active is true")
	}
	c.order(m, "start", "end", false)
}

func atLeastOne(names ...string) func(c *checker, m map[string]any) {
	return func(c *checker, m map[string]any) {
		for _, n := range names {
			if _, ok := m[n]; ok {
				return
			}
		}
		c.errf("", "must have at least one of %s", strings.Join(names, ", "))
	}
}

// markingRule checks marking definitions (section 7.2): statement and TLP
// markings, the reserved definition types, and that they are not versioned.
func markingRule(c *checker, m map[string]any) {
	for _, k := range []string{"modified", "revoked"} {
		if _, ok := m[k]; ok {
			c.errf(k, "marking definitions are not versioned and have no %s", k)
		}
	}
	_, hasExt := m["extensions"]
	dt, hasDT := m["definition_type"]
	_, hasDef := m["definition"]
	if !hasExt && (!hasDT || !hasDef) {
		c.errf("definition", "definition_type and definition are required when there are no extensions")
	}
	if s, ok := dt.(string); ok {
		switch {
		case s == "statement":
			objOf(req("statement", str))(c, "definition", m["definition"])
		case s == "tlp":
			// checkTLPMarking below.
		case strings.HasPrefix(s, "statement") || strings.HasSuffix(s, "tlp"):
			c.errf("definition_type", "%q is reserved (the OASIS schema confuses it with statement or tlp)", s)
		}
	}
	c.checkTLPMarking(m)
}

func domainName(c *checker, path string, v any) {
	s, ok := v.(string)
	if !ok {
		c.errf(path, "must be a string")
		return
	}
	if !validHostname(s, true) {
		c.errf(path, "%q is not a domain name", s)
	}
}

// validHostname accepts labels of 1 to 63 bytes joined by dots, at most 253
// bytes, not starting or ending with a hyphen, of letters, digits and
// hyphens (and, if idn, any non-ASCII character).
func validHostname(s string, idn bool) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) < 1 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			case r > 0x7f && idn:
			default:
				return false
			}
		}
	}
	return true
}

// emailAddress accepts what the OASIS schema's "email" format does
// (addr-spec with a dot-atom or quoted local part) and nothing more.
func emailAddress(c *checker, path string, v any) {
	s, ok := v.(string)
	if !ok {
		c.errf(path, "must be a string")
		return
	}
	if !validEmail(s) {
		c.errf(path, "%q is not an email address (local@domain)", s)
	}
}

func validEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 {
		return false
	}
	if len(local) > 1 && local[0] == '"' && local[len(local)-1] == '"' {
		q := local[1 : len(local)-1]
		if strings.ContainsAny(q, "\\\"") {
			return false
		}
	} else {
		if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
			return false
		}
		for i := 0; i < len(local); i++ {
			ch := local[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
				strings.IndexByte(".!#$%&'*+-/=?^_`{|}~", ch) >= 0) {
				return false
			}
		}
	}
	if len(domain) > 2 && domain[0] == '[' && domain[len(domain)-1] == ']' {
		lit := domain[1 : len(domain)-1]
		if rest, ok := strings.CutPrefix(lit, "IPv6:"); ok {
			a, err := netip.ParseAddr(rest)
			return err == nil && a.Is6() && a.Zone() == "" && strings.Contains(rest, ":")
		}
		a, err := netip.ParseAddr(lit)
		return err == nil && a.Is4()
	}
	return validHostname(domain, false)
}

func ipv4(c *checker, path string, v any) {
	s, ok := v.(string)
	if !ok {
		c.errf(path, "must be a string")
		return
	}
	if !ipv4RE.MatchString(s) {
		c.errf(path, "%q is not an IPv4 address or CIDR block", s)
	}
}

// ipv6 accepts an address or CIDR block that both Go and the OASIS schema's
// pattern accept.
func ipv6(c *checker, path string, v any) {
	s, ok := v.(string)
	if !ok {
		c.errf(path, "must be a string")
		return
	}
	_, errA := netip.ParseAddr(s)
	_, errP := netip.ParsePrefix(s)
	if errA != nil && errP != nil || !strings.Contains(s, ":") || !ipv6RE.MatchString(s) {
		c.errf(path, "%q is not an IPv6 address or CIDR block (IPv4-embedded forms are not accepted)", s)
	}
}

func stringOrInt(c *checker, path string, v any) {
	if _, ok := v.(string); ok {
		return
	}
	anyInt(c, path, v)
}

// headerValue: an additional header field is a string or a list of at
// least two strings.
func headerValue(c *checker, path string, v any) {
	switch x := v.(type) {
	case string:
	case []any:
		if len(x) < 2 {
			c.errf(path, "must be a string, or a list of two or more strings")
			return
		}
		strList(c, path, v)
	default:
		c.errf(path, "must be a string, or a list of two or more strings")
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 && headerNameRE.MatchString(path[i+1:]) {
		c.errf(path, "is a property of email-message, not an additional header field")
	}
}

func mimePart(c *checker, path string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.errf(path, "must be an object")
		return
	}
	c.fields(m, path, []field{
		opt("body", str), opt("body_raw_ref", refTo(only("artifact", "file"))),
		opt("content_type", str), opt("content_disposition", str),
	})
	_, b := m["body"]
	_, r := m["body_raw_ref"]
	if b == r {
		c.errf(path, "must have exactly one of body and body_raw_ref")
	}
}

func registryKey(c *checker, path string, v any) {
	s, ok := v.(string)
	if !ok {
		c.errf(path, "must be a string")
		return
	}
	if registryHiveRE.MatchString(s) {
		c.errf(path, "must name the hive in full (HKEY_LOCAL_MACHINE, not HKLM)")
	}
}

func registryValue(c *checker, path string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.errf(path, "must be an object")
		return
	}
	c.fields(m, path, []field{
		opt("name", str), opt("data", str),
		opt("data_type", enum("REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD",
			"REG_DWORD_BIG_ENDIAN", "REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ",
			"REG_RESOURCE_LIST", "REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST",
			"REG_QWORD", "REG_INVALID_TYPE")),
	})
	atLeastOneAt(c, path, m, "name", "data", "data_type")
}

func atLeastOneAt(c *checker, path string, m map[string]any, names ...string) {
	for _, n := range names {
		if _, ok := m[n]; ok {
			return
		}
	}
	c.errf(path, "must have at least one of %s", strings.Join(names, ", "))
}

func x509Extensions(c *checker, path string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.errf(path, "must be an object")
		return
	}
	names := []string{"basic_constraints", "name_constraints", "policy_constraints", "key_usage",
		"extended_key_usage", "subject_key_identifier", "authority_key_identifier",
		"subject_alternative_name", "issuer_alternative_name", "subject_directory_attributes",
		"crl_distribution_points", "inhibit_any_policy", "certificate_policies", "policy_mappings"}
	var fs []field
	for _, n := range names {
		fs = append(fs, opt(n, str))
	}
	fs = append(fs, opt("private_key_usage_period_not_before", timestamp),
		opt("private_key_usage_period_not_after", timestamp))
	c.fields(m, path, fs)
	atLeastOneAt(c, path, m, append(names, "private_key_usage_period_not_before", "private_key_usage_period_not_after")...)
}

// languageContents: a dictionary of language tags, each mapping property
// names of the referenced object to their translation.
func languageContents(c *checker, path string, v any) {
	dict(func(c *checker, p string, v any) {
		if i := strings.LastIndexByte(p, '.'); i >= 0 {
			checkLang(c, p, p[i+1:])
		}
		dict(nil)(c, p, v)
	})(c, path, v)
}
