package stix

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/accord-cyber/accord"
)

// Fixtures are built in Go: a valid object of each kind, from which the
// invalid cases are derived by one change.

const (
	idIdentity  = "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"
	idIndicator = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	idMalware   = "malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc"
	idIPv4      = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"
	idDomain    = "domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5"
	idObserved  = "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"
	idLocation  = "location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64"
	idMarking   = "marking-definition--34098fce-860f-48ae-8e50-aaaaaaaaaaaa"
	idExtDef    = "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"
	tsCreated   = "2016-04-06T20:03:48.000Z"
	tsLater     = "2016-05-07T11:22:30.123Z"
)

func sdo(typ, id string, props map[string]any) map[string]any {
	m := map[string]any{
		"type": typ, "spec_version": "2.1", "id": id,
		"created": tsCreated, "modified": tsCreated,
	}
	for k, v := range props {
		m[k] = v
	}
	return m
}

func sco(typ, id string, props map[string]any) map[string]any {
	m := map[string]any{"type": typ, "id": id}
	for k, v := range props {
		m[k] = v
	}
	return m
}

var validFixtures = map[string]map[string]any{
	"indicator": sdo("indicator", idIndicator, map[string]any{
		"name": "C2 address", "indicator_types": []any{"malicious-activity"},
		"pattern": "[ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = 'example.com']", "pattern_type": "stix",
		"valid_from": "2016-04-06T20:03:48Z", "valid_until": "2017-04-06T20:03:48.5Z",
		"created_by_ref": idIdentity, "confidence": 85, "lang": "en-GB", "labels": []any{"c2"},
		"object_marking_refs": []any{TLP2Amber},
		"external_references": []any{
			map[string]any{"source_name": "cve", "external_id": "CVE-2016-1234"},
			map[string]any{"source_name": "capec", "external_id": "CAPEC-163"},
			map[string]any{"source_name": "vendor", "url": "https://example.com/report", "hashes": map[string]any{"SHA-256": strings.Repeat("ab", 32)}},
		},
		"granular_markings": []any{map[string]any{"marking_ref": TLP2Red, "selectors": []any{"name", "external_references.[2].url"}}},
		"kill_chain_phases": []any{map[string]any{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "command-and-control"}},
		"x_accord_case":     "us-cert-C0001",
	}),
	"pcre indicator": sdo("indicator", "indicator--1e3a5a4e-1c53-4f3b-a2f2-9b0c2f3a4d5e", map[string]any{
		"pattern": "^evil[", "pattern_type": "pcre", "valid_from": tsCreated,
	}),
	"malware": sdo("malware", idMalware, map[string]any{
		"name": "Poison Ivy", "is_family": true, "malware_types": []any{"remote-access-trojan"},
		"first_seen": "2015-01-01T00:00:00Z", "last_seen": "2016-01-01T00:00:00Z",
		"implementation_languages": []any{"c++"}, "sample_refs": []any{"file--5a27d487-c542-5f97-a131-a8866b477b46"},
	}),
	"tool":          sdo("tool", "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd30", map[string]any{"name": "nmap", "tool_types": []any{"information-gathering"}}),
	"threat-actor":  sdo("threat-actor", "threat-actor--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd31", map[string]any{"name": "Comment Crew", "threat_actor_types": []any{"nation-state"}, "sophistication": "advanced"}),
	"intrusion-set": sdo("intrusion-set", "intrusion-set--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd32", map[string]any{"name": "APT1", "aliases": []any{"Comment Panda"}}),
	"campaign":      sdo("campaign", "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd33", map[string]any{"name": "Operation Omega", "objective": "espionage"}),
	"attack-pattern": sdo("attack-pattern", "attack-pattern--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd34", map[string]any{
		"name": "Spear phishing", "external_references": []any{map[string]any{"source_name": "capec", "external_id": "CAPEC-163"}},
	}),
	"identity":         sdo("identity", idIdentity, map[string]any{"name": "US-CERT", "identity_class": "organization", "sectors": []any{"government-national"}}),
	"location":         sdo("location", idLocation, map[string]any{"name": "Paris", "latitude": 48.8566, "longitude": 2.3522, "precision": 1000, "country": "FR"}),
	"report":           sdo("report", "report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3", map[string]any{"name": "APT1", "published": "2013-02-19T00:00:00Z", "object_refs": []any{idIndicator, idMalware}}),
	"grouping":         sdo("grouping", "grouping--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb4", map[string]any{"context": "suspicious-activity", "object_refs": []any{idIndicator}}),
	"note":             sdo("note", "note--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb5", map[string]any{"content": "Seen at two sites.", "authors": []any{"cncert"}, "object_refs": []any{idIndicator}}),
	"opinion":          sdo("opinion", "opinion--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb6", map[string]any{"opinion": "agree", "object_refs": []any{idIndicator}}),
	"course-of-action": sdo("course-of-action", "course-of-action--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb7", map[string]any{"name": "Block the address"}),
	"infrastructure":   sdo("infrastructure", "infrastructure--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb8", map[string]any{"name": "C2 server", "infrastructure_types": []any{"command-and-control"}}),
	"vulnerability": sdo("vulnerability", "vulnerability--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb9", map[string]any{
		"name": "CVE-2021-44228", "external_references": []any{map[string]any{"source_name": "cve", "external_id": "CVE-2021-44228"}},
	}),
	"incident": sdo("incident", "incident--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcba", map[string]any{"name": "Ransomware at a hospital"}),
	"observed-data": sdo("observed-data", idObserved, map[string]any{
		"first_observed": "2016-04-06T19:58:16Z", "last_observed": "2016-04-06T19:58:16Z", "number_observed": 3,
		"object_refs": []any{idIPv4, idDomain},
	}),
	"observed-data with the deprecated container": sdo("observed-data", "observed-data--b67d30ff-02ac-498a-92f9-32f845f448ce", map[string]any{
		"first_observed": "2016-04-06T19:58:16Z", "last_observed": "2016-04-06T19:58:16Z", "number_observed": 1,
		"objects": map[string]any{
			"0": map[string]any{"type": "ipv4-addr", "id": idIPv4, "value": "198.51.100.3"},
			"1": map[string]any{"type": "network-traffic", "id": "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d", "src_ref": "0", "protocols": []any{"tcp"}},
		},
	}),
	"relationship": sdo("relationship", "relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e", map[string]any{
		"relationship_type": "indicates", "source_ref": idIndicator, "target_ref": idMalware,
		"start_time": "2016-01-01T00:00:00Z", "stop_time": "2016-02-01T00:00:00Z",
	}),
	"sighting": sdo("sighting", "sighting--ee20065d-2555-424f-ad9e-0f8428623c75", map[string]any{
		"sighting_of_ref": idIndicator, "observed_data_refs": []any{idObserved},
		"where_sighted_refs": []any{idIdentity, idLocation}, "count": 2,
		"first_seen": "2016-04-06T19:58:16Z", "last_seen": "2016-04-06T19:58:17Z", "summary": false,
	}),
	"tlp 2.0 red": {
		"type": "marking-definition", "spec_version": "2.1", "id": TLP2Red,
		"created": "2022-10-01T00:00:00.000Z", "name": "TLP:RED",
		"extensions": map[string]any{TLP2Extension: map[string]any{"extension_type": "property-extension", "tlp_2_0": "red"}},
	},
	"tlp 1.0 green": {
		"type": "marking-definition", "spec_version": "2.1", "id": TLP1Green,
		"created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "name": "TLP:GREEN",
		"definition": map[string]any{"tlp": "green"},
	},
	"statement marking": {
		"type": "marking-definition", "spec_version": "2.1", "id": idMarking,
		"created": "2017-01-20T00:00:00Z", "definition_type": "statement",
		"definition": map[string]any{"statement": "Copyright 2024, accord"},
	},
	"ipv4-addr":   sco("ipv4-addr", idIPv4, map[string]any{"value": "198.51.100.0/24", "spec_version": "2.1"}),
	"ipv6-addr":   sco("ipv6-addr", "ipv6-addr--1e61d36c-a16c-53b7-a80f-2a00161c96b1", map[string]any{"value": "2001:db8::/32"}),
	"domain-name": sco("domain-name", idDomain, map[string]any{"value": "example.com", "resolves_to_refs": []any{idIPv4}}),
	"url":         sco("url", "url--c1477287-23ac-5971-a010-5c287877fa60", map[string]any{"value": "https://example.com/research/index.html", "defanged": false}),
	"email-addr":  sco("email-addr", "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3", map[string]any{"value": "john@example.com", "display_name": "John Doe"}),
	"mac-addr":    sco("mac-addr", "mac-addr--65cfcf98-8a6e-5a1b-8f61-379ac4f92d00", map[string]any{"value": "d2:fb:49:24:37:18"}),
	"file": sco("file", "file--5a27d487-c542-5f97-a131-a8866b477b46", map[string]any{
		"name": "qwerty.dll", "size": 25536, "hashes": map[string]any{"SHA-256": strings.Repeat("ef", 32), "x_custom_hash": "abc"},
		"extensions": map[string]any{
			"windows-pebinary-ext": map[string]any{"pe_type": "dll", "time_date_stamp": "2016-01-22T12:31:12Z"},
			"ntfs-ext":             map[string]any{"sid": "1234567"},
		},
	}),
	"network-traffic": sco("network-traffic", "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d", map[string]any{
		"src_ref": idIPv4, "dst_ref": idDomain, "dst_port": 443, "protocols": []any{"ipv4", "tcp", "http"},
		"start": "2016-01-01T00:00:00Z", "end": "2016-01-01T00:01:00Z", "is_active": false,
		"extensions": map[string]any{"http-request-ext": map[string]any{"request_method": "get", "request_value": "/download.html"}},
	}),
	"email-message": sco("email-message", "email-message--72b7698f-10c2-565a-a2a6-b4996a2f2265", map[string]any{
		"is_multipart": true, "from_ref": "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3", "subject": "Check this",
		"body_multipart":           []any{map[string]any{"content_type": "text/plain", "body": "Hello"}},
		"additional_header_fields": map[string]any{"X-Mailer": "Mutt"},
	}),
	"artifact": sco("artifact", "artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641", map[string]any{
		"mime_type": "application/zip", "payload_bin": "iVBORw0KGgoAAAANSUhEUgAAADI=", "encryption_algorithm": "mime-type-indicated", "decryption_key": "infected",
	}),
	"autonomous-system": sco("autonomous-system", "autonomous-system--f720c34b-98ae-597f-ade5-27ef187f99ee", map[string]any{"number": 15139, "name": "Slime Industries"}),
	"x509-certificate":  sco("x509-certificate", "x509-certificate--463d7b2a-8516-5a50-a3d7-6f801465d5de", map[string]any{"issuer": "C=ZA, O=Thawte", "validity_not_before": "2016-03-12T12:00:00Z", "validity_not_after": "2016-08-21T12:00:00Z"}),
	"extension-definition": sdo("extension-definition", idExtDef, map[string]any{
		"created_by_ref": idIdentity, "name": "accord case", "schema": "https://example.com/accord-case.json",
		"version": "1.0", "extension_types": []any{"property-extension"},
	}),
	"object with a property extension": sdo("campaign", "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3a", map[string]any{
		"name": "With extension", "extensions": map[string]any{idExtDef: map[string]any{"extension_type": "property-extension", "case_ref": "us-cert-C0001", "rank": 3}},
	}),
	"custom object of a new-sdo extension": sdo("x-accord-case", "x-accord-case--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3b", map[string]any{
		"title": "A case", "extensions": map[string]any{idExtDef: map[string]any{"extension_type": "new-sdo"}},
	}),
	"language-content": sdo("language-content", "language-content--b86b3482-1d1f-4a9f-b6b7-7f2b1d6f6e1e", map[string]any{
		"object_ref": idIndicator, "object_modified": tsCreated,
		"contents": map[string]any{"fr": map[string]any{"name": "Adresse C2"}},
	}),
}

func encodeFixture(t *testing.T, m map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestValidObjects: each fixture passes Validate and, encoded, the OASIS
// schema of its type, so the fixtures themselves are right.
func TestValidObjects(t *testing.T) {
	schemas := loadSchemas(t)
	for name, m := range validFixtures {
		t.Run(name, func(t *testing.T) {
			o, err := Parse(encodeFixture(t, m))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := o.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			if err := schemas.checkObject(o); err != nil {
				t.Errorf("OASIS schema refuses the fixture: %v", err)
			}
		})
	}
}

// with returns a copy of a fixture with properties set (or, for a nil
// value, removed).
func with(t *testing.T, fixture string, changes map[string]any) map[string]any {
	t.Helper()
	base, ok := validFixtures[fixture]
	if !ok {
		t.Fatalf("no fixture %q", fixture)
	}
	var m map[string]any
	if err := json.Unmarshal(encodeFixture(t, base), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range changes {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// null stands for a JSON null in a change (a nil change removes).
type jsonNull struct{}

func (jsonNull) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

func TestInvalidObjects(t *testing.T) {
	tlpExt := func(level string) map[string]any {
		return map[string]any{TLP2Extension: map[string]any{"extension_type": "property-extension", "tlp_2_0": level}}
	}
	tests := []struct {
		name     string
		fixture  string
		changes  map[string]any
		wantID   string // the object named in the error
		wantPath string
		wantMsg  string
	}{
		{"valid_until before valid_from", "indicator", map[string]any{"valid_until": "2015-01-01T00:00:00Z"}, idIndicator, "valid_until", "must be later than valid_from"},
		{"valid_until equal to valid_from", "indicator", map[string]any{"valid_until": "2016-04-06T20:03:48.000Z"}, idIndicator, "valid_until", "must be later than valid_from"},
		{"pattern missing", "indicator", map[string]any{"pattern": nil}, idIndicator, "pattern", "is required"},
		{"pattern with an unclosed bracket", "indicator", map[string]any{"pattern": "[ipv4-addr:value = '198.51.100.1'"}, idIndicator, "pattern", "expected ']'"},
		{"pattern with an unclosed quote", "indicator", map[string]any{"pattern": "[ipv4-addr:value = '198.51.100.1]"}, idIndicator, "pattern", "unterminated string"},
		{"pattern without an operator", "indicator", map[string]any{"pattern": "[ipv4-addr:value '198.51.100.1']"}, idIndicator, "pattern", "comparison operator"},
		{"pattern with a bad timestamp", "indicator", map[string]any{"pattern": "[file:name = 'x'] START t'2016-13-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'"}, idIndicator, "pattern", "timestamp"},
		{"id of another type", "indicator", map[string]any{"id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "id", "does not match type"},
		{"id without a UUID", "indicator", map[string]any{"id": "indicator--1234"}, "", "id", "UUID"},
		{"id with a UUID of no version", "indicator", map[string]any{"id": "indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f"}, "", "id", "UUID"},
		{"spec_version 2.0", "indicator", map[string]any{"spec_version": "2.0"}, idIndicator, "spec_version", `"2.0" is not one of 2.1`},
		{"created without milliseconds", "indicator", map[string]any{"created": "2016-04-06T20:03:48Z"}, idIndicator, "created", "millisecond"},
		{"created with an offset", "indicator", map[string]any{"created": "2016-04-06T20:03:48.000+01:00"}, idIndicator, "created", "RFC 3339"},
		{"created on 30 February", "indicator", map[string]any{"created": "2016-02-30T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z"}, idIndicator, "created", "timestamp"},
		{"modified before created", "indicator", map[string]any{"modified": "2016-04-06T20:03:47.999Z"}, idIndicator, "modified", "later than or equal to created"},
		{"confidence over 100", "indicator", map[string]any{"confidence": 101}, idIndicator, "confidence", "between 0 and 100"},
		{"confidence not a number", "indicator", map[string]any{"confidence": "high"}, idIndicator, "confidence", "integer"},
		{"created_by_ref to an indicator", "indicator", map[string]any{"created_by_ref": idIndicator}, idIndicator, "created_by_ref", "must refer to identity"},
		{"object_marking_refs to an identity", "indicator", map[string]any{"object_marking_refs": []any{idIdentity}}, idIndicator, "object_marking_refs[0]", "marking-definition"},
		{"custom property with capitals", "indicator", map[string]any{"x_Accord": 1}, idIndicator, "x_Accord", "not a valid property name"},
		{"custom property too short", "indicator", map[string]any{"xy": 1}, idIndicator, "xy", "not a valid property name"},
		{"property set to null", "indicator", map[string]any{"x_accord_note": jsonNull{}}, idIndicator, "x_accord_note", "must not be null"},
		{"empty labels", "indicator", map[string]any{"labels": []any{}}, idIndicator, "labels", "empty list"},
		{"reserved property", "indicator", map[string]any{"severity": "high"}, idIndicator, "severity", "reserved"},
		{"custom _hex property not hex", "indicator", map[string]any{"x_key_hex": "xyz"}, idIndicator, "x_key_hex", "hexadecimal"},
		{"custom _ref property not an id", "indicator", map[string]any{"x_case_ref": "C0001"}, idIndicator, "x_case_ref", "identifier"},
		{"lang not a language tag", "indicator", map[string]any{"lang": "english please"}, idIndicator, "lang", "RFC 5646"},
		{"cve reference without a CVE id", "indicator", map[string]any{"external_references": []any{map[string]any{"source_name": "cve", "external_id": "2016-1234"}}}, idIndicator, "external_references[0].external_id", "CVE id"},
		{"reference with only a source", "indicator", map[string]any{"external_references": []any{map[string]any{"source_name": "vendor"}}}, idIndicator, "external_references[0]", "at least one of"},
		{"reference with a relative url", "indicator", map[string]any{"external_references": []any{map[string]any{"source_name": "vendor", "url": "/report"}}}, idIndicator, "external_references[0].url", "absolute URL"},
		{"selector naming nothing", "indicator", map[string]any{"granular_markings": []any{map[string]any{"marking_ref": TLP2Red, "selectors": []any{"description"}}}}, idIndicator, "granular_markings[0].selectors[0]", "does not name any content"},
		{"granular marking with marking_ref and lang", "indicator", map[string]any{"granular_markings": []any{map[string]any{"marking_ref": TLP2Red, "lang": "en", "selectors": []any{"name"}}}}, idIndicator, "granular_markings[0]", "exactly one of marking_ref and lang"},
		{"extension of an unknown kind", "indicator", map[string]any{"extensions": map[string]any{"accord": map[string]any{"a": 1}}}, idIndicator, "extensions.accord", "not an extension-definition id"},
		{"extension without extension_type", "indicator", map[string]any{"extensions": map[string]any{idExtDef: map[string]any{"case_ref": "x"}}}, idIndicator, "extensions." + idExtDef + ".extension_type", "is required"},
		{"TLP 2.0 extension on an indicator", "indicator", map[string]any{"extensions": tlpExt("red")}, idIndicator, "extensions." + TLP2Extension, "only to marking definitions"},
		{"new-sdo extension on a defined type", "indicator", map[string]any{"extensions": map[string]any{idExtDef: map[string]any{"extension_type": "new-sdo"}}}, idIndicator, "extensions." + idExtDef + ".extension_type", "cannot apply to indicator"},

		{"relationship from a sighting", "relationship", map[string]any{"source_ref": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75"}, "relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e", "source_ref", "must refer to an SDO, SCO or custom object"},
		{"relationship to a marking", "relationship", map[string]any{"target_ref": TLP2Red}, "relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e", "target_ref", "must refer to an SDO, SCO"},
		{"relationship type with capitals", "relationship", map[string]any{"relationship_type": "Indicates"}, "relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e", "relationship_type", "lower-case"},
		{"relationship stopping before it starts", "relationship", map[string]any{"stop_time": "2015-01-01T00:00:00Z"}, "relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e", "stop_time", "later than start_time"},
		{"duplicate-of across types", "relationship", map[string]any{"relationship_type": "duplicate-of"}, "relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e", "target_ref", "same type"},
		{"relationship without target", "relationship", map[string]any{"target_ref": nil}, "relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e", "target_ref", "is required"},

		{"sighted at an indicator", "sighting", map[string]any{"where_sighted_refs": []any{idIndicator}}, "sighting--ee20065d-2555-424f-ad9e-0f8428623c75", "where_sighted_refs[0]", "identity or location"},
		{"sighting of an observable", "sighting", map[string]any{"sighting_of_ref": idIPv4}, "sighting--ee20065d-2555-424f-ad9e-0f8428623c75", "sighting_of_ref", "SDO"},
		{"sighting with a negative count", "sighting", map[string]any{"count": -1}, "sighting--ee20065d-2555-424f-ad9e-0f8428623c75", "count", "between 0 and 999999999"},
		{"sighting last seen before first", "sighting", map[string]any{"last_seen": "2016-04-06T19:58:15Z"}, "sighting--ee20065d-2555-424f-ad9e-0f8428623c75", "last_seen", "later than or equal to first_seen"},
		{"observed_data_refs to a report", "sighting", map[string]any{"observed_data_refs": []any{"report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3"}}, "sighting--ee20065d-2555-424f-ad9e-0f8428623c75", "observed_data_refs[0]", "observed-data"},

		{"TLP:RED id with the CLEAR level", "tlp 2.0 red", map[string]any{"extensions": tlpExt("clear")}, TLP2Red, "extensions." + TLP2Extension + ".tlp_2_0", `must be "red"`},
		{"TLP:RED id with another name", "tlp 2.0 red", map[string]any{"name": "TLP:CLEAR"}, TLP2Red, "name", `must be "TLP:RED"`},
		{"TLP 2.0 extension under a home-made id", "tlp 2.0 red", map[string]any{"id": idMarking}, idMarking, "id", "five TLP 2.0"},
		{"TLP 2.0 marking with a definition", "tlp 2.0 red", map[string]any{"definition_type": "tlp", "definition": map[string]any{"tlp": "red"}}, TLP2Red, "definition_type", "no definition_type"},
		{"TLP 1.0 definition under a home-made id", "tlp 1.0 green", map[string]any{"id": idMarking}, idMarking, "id", "predefined TLP"},
		{"TLP 1.0 green with the red level", "tlp 1.0 green", map[string]any{"definition": map[string]any{"tlp": "red"}}, TLP1Green, "definition", `{"tlp": "green"}`},
		{"marking without a definition", "statement marking", map[string]any{"definition": nil}, idMarking, "definition", "required when there are no extensions"},
		{"statement without its statement", "statement marking", map[string]any{"definition": map[string]any{"text": "x"}}, idMarking, "definition.statement", "is required"},
		{"marking that marks itself", "statement marking", map[string]any{"object_marking_refs": []any{idMarking}}, idMarking, "object_marking_refs[0]", "cannot mark itself"},
		{"versioned marking", "statement marking", map[string]any{"modified": tsLater}, idMarking, "modified", "not versioned"},

		{"location with latitude only", "location", map[string]any{"longitude": nil, "precision": nil}, idLocation, "longitude", "together"},
		{"location off the globe", "location", map[string]any{"latitude": 91}, idLocation, "latitude", "between -90 and 90"},
		{"malware family without a name", "malware", map[string]any{"name": nil}, idMalware, "name", "when is_family is true"},
		{"malware without is_family", "malware", map[string]any{"is_family": nil}, idMalware, "is_family", "is required"},
		{"malware sample that is not a file", "malware", map[string]any{"sample_refs": []any{idIPv4}}, idMalware, "sample_refs[0]", "file or artifact"},
		{"observed-data with both forms", "observed-data", map[string]any{"objects": map[string]any{"0": map[string]any{"type": "ipv4-addr", "id": idIPv4, "value": "1.2.3.4"}}}, idObserved, "objects", "not be given together"},
		{"observed-data never observed", "observed-data", map[string]any{"number_observed": 0}, idObserved, "number_observed", "between 1 and 999999999"},
		{"observed-data referring to an SDO", "observed-data", map[string]any{"object_refs": []any{idIndicator}}, idObserved, "object_refs[0]", "SCO or SRO"},
		{"deprecated container with a dangling ref", "observed-data with the deprecated container", map[string]any{"objects": map[string]any{"1": map[string]any{"type": "network-traffic", "id": "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d", "src_ref": "7", "protocols": []any{"tcp"}}}}, "observed-data--b67d30ff-02ac-498a-92f9-32f845f448ce", "objects.1.src_ref", "identifier"},
		{"report without object_refs", "report", map[string]any{"object_refs": nil}, "report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3", "object_refs", "is required"},
		{"grouping without context", "grouping", map[string]any{"context": nil}, "grouping--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb4", "context", "is required"},
		{"opinion outside its enumeration", "opinion", map[string]any{"opinion": "maybe"}, "opinion--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb6", "opinion", "not one of"},
		{"identity without a name", "identity", map[string]any{"name": nil}, idIdentity, "name", "is required"},
		{"extension definition with top-level properties it does not allow", "extension-definition", map[string]any{"extension_properties": []any{"x_rank"}}, idExtDef, "extension_properties", "toplevel-property-extension"},

		{"ipv4 out of range", "ipv4-addr", map[string]any{"value": "999.1.1.1"}, idIPv4, "value", "IPv4"},
		{"ipv6 that is not one", "ipv6-addr", map[string]any{"value": "2001:db8::g"}, "ipv6-addr--1e61d36c-a16c-53b7-a80f-2a00161c96b1", "value", "IPv6"},
		{"domain starting with a hyphen", "domain-name", map[string]any{"value": "-bad.example.com"}, idDomain, "value", "domain name"},
		{"domain resolving to a url", "domain-name", map[string]any{"resolves_to_refs": []any{"url--c1477287-23ac-5971-a010-5c287877fa60"}}, idDomain, "resolves_to_refs[0]", "ipv4-addr or ipv6-addr or domain-name"},
		{"relative url", "url", map[string]any{"value": "example.com/x"}, "url--c1477287-23ac-5971-a010-5c287877fa60", "value", "absolute URL"},
		{"email address without a domain", "email-addr", map[string]any{"value": "john@"}, "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3", "value", "email address"},
		{"mac address in capitals", "mac-addr", map[string]any{"value": "D2:FB:49:24:37:18"}, "mac-addr--65cfcf98-8a6e-5a1b-8f61-379ac4f92d00", "value", "MAC address"},
		{"file without name or hashes", "file", map[string]any{"name": nil, "hashes": nil}, "file--5a27d487-c542-5f97-a131-a8866b477b46", "name", "when hashes is absent"},
		{"file with a short SHA-256", "file", map[string]any{"hashes": map[string]any{"SHA-256": "abcd"}}, "file--5a27d487-c542-5f97-a131-a8866b477b46", "hashes.SHA-256", "not a valid SHA-256"},
		{"file of negative size", "file", map[string]any{"size": -1}, "file--5a27d487-c542-5f97-a131-a8866b477b46", "size", "between 0 and"},
		{"PE extension without pe_type", "file", map[string]any{"extensions": map[string]any{"windows-pebinary-ext": map[string]any{"imphash": "x"}}}, "file--5a27d487-c542-5f97-a131-a8866b477b46", "extensions.windows-pebinary-ext.pe_type", "is required"},
		{"traffic from a file", "network-traffic", map[string]any{"src_ref": "file--5a27d487-c542-5f97-a131-a8866b477b46"}, "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d", "src_ref", "ipv4-addr or ipv6-addr or mac-addr or domain-name"},
		{"traffic without protocols", "network-traffic", map[string]any{"protocols": nil}, "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d", "protocols", "is required"},
		{"traffic to port 70000", "network-traffic", map[string]any{"dst_port": 70000}, "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d", "dst_port", "between 0 and 65535"},
		{"active traffic that ended", "network-traffic", map[string]any{"is_active": true}, "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d", "end", "is_active is true"},
		{"multipart email with a body", "email-message", map[string]any{"body": "Hello"}, "email-message--72b7698f-10c2-565a-a2a6-b4996a2f2265", "body", "is_multipart is true"},
		{"email from a domain", "email-message", map[string]any{"from_ref": idDomain}, "email-message--72b7698f-10c2-565a-a2a6-b4996a2f2265", "from_ref", "email-addr"},
		{"artifact with a url and no hashes", "artifact", map[string]any{"payload_bin": nil, "url": "https://example.com/a.zip"}, "artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641", "hashes", "required with url"},
		{"artifact payload not base64", "artifact", map[string]any{"payload_bin": "not base64!"}, "artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641", "payload_bin", "base64"},
		{"certificate with nothing", "x509-certificate", map[string]any{"issuer": nil, "validity_not_before": nil, "validity_not_after": nil}, "x509-certificate--463d7b2a-8516-5a50-a3d7-6f801465d5de", "", "at least one of"},
		{"type with capitals", "indicator", map[string]any{"type": "Indicator"}, idIndicator, "type", "not a valid type name"},
		{"type missing", "indicator", map[string]any{"type": nil}, idIndicator, "type", "is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Parse(encodeFixture(t, with(t, tc.fixture, tc.changes)))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = o.Validate()
			if err == nil {
				t.Fatalf("Validate: got nil, want an error at %q containing %q", tc.wantPath, tc.wantMsg)
			}
			if code := accord.ErrorCode(err); code != accord.EINVALID {
				t.Errorf("accord.ErrorCode: got %q, want %q", code, accord.EINVALID)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Validate: got %T, want Errors", err)
			}
			var found *Error
			for _, e := range es {
				if e.Path == tc.wantPath && strings.Contains(e.Message, tc.wantMsg) {
					found = e
				}
			}
			if found == nil {
				t.Fatalf("Validate: got %v, want an error at %q containing %q", err, tc.wantPath, tc.wantMsg)
			}
			if found.ID != tc.wantID {
				t.Errorf("error names object %q, want %q", found.ID, tc.wantID)
			}
			want := found.Object() + ": "
			if tc.wantPath != "" {
				want += tc.wantPath + ": "
			}
			if !strings.HasPrefix(found.Error(), want) {
				t.Errorf("Error(): got %q, want it to start with %q", found.Error(), want)
			}
		})
	}
}

// TestParseRefuses: input that is not one JSON object of UTF-8 without
// repeated names never becomes an Object.
func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name, input, wantPath, wantMsg string
	}{
		{"not JSON", `{"type": "indicator",`, "", "not valid JSON"},
		{"not an object", `["indicator"]`, "", "must be a JSON object"},
		{"repeated property", `{"type":"indicator","id":"` + idIndicator + `","name":"a","name":"b"}`, "name", "more than once"},
		{"repeated key deep inside", `{"type":"marking-definition","id":"` + TLP2Red + `","extensions":{"` + TLP2Extension + `":{"tlp_2_0":"red","tlp_2_0":"clear"}}}`, "extensions." + TLP2Extension + ".tlp_2_0", "more than once"},
		{"invalid UTF-8", "{\"type\":\"indicator\",\"name\":\"\xff\"}", "", "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.input))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse: got %v, want an *Error", err)
			}
			if e.Path != tc.wantPath || !strings.Contains(e.Message, tc.wantMsg) {
				t.Errorf("Parse: got %v, want path %q and %q", err, tc.wantPath, tc.wantMsg)
			}
		})
	}
}
