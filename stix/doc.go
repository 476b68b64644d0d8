// Package stix reads, checks and writes STIX 2.1 (OASIS Standard, 10 June
// 2021), the format in which accord's parties exchange cyber threat
// intelligence. It knows nothing of cases or parties: importing a bundle
// into a case, TAXII, TLP enforcement, MISP and IODEF build on it.
//
// # Objects
//
// An Object is any STIX object held as its properties in their order, each
// value's JSON exactly as it arrived. Decoding and encoding therefore keep
// ids, versions (id and modified), custom properties, extensions, unknown
// object types and the precision of every timestamp: a round trip changes
// nothing but insignificant white space. Typed accessors read the common
// properties (section 3.2: ID, SpecVersion, Created, Modified,
// CreatedByRef, Revoked, Labels, Confidence, Lang, ExternalReferences,
// ObjectMarkingRefs, GranularMarkings, Extensions) and views decode the
// types accord works with (Indicator, Relationship, Sighting, ObservedData,
// MarkingDefinition, NetworkTraffic, File, EmailMessage; Value and Hashes
// for observables). Set and Delete change an object; NewID and
// NewTimestamp make new ones. Parse refuses input that is not one JSON
// object, is not UTF-8, or repeats a property name at any depth.
//
// # Bundles
//
// Decoder reads a bundle (section 8) object by object, with "type", "id" and
// "objects" in any order, holding one object at a time and refusing any
// larger than MaxObjectSize. Encoder writes one the same way. Neither keeps
// the bundle in memory, so a bundle of a million objects costs what one of
// a single object does.
//
// # Validation
//
// Validate (which the Decoder applies to each object it returns and the
// Encoder to each object it writes) covers what the OASIS JSON schemas
// (oasis-open/cti-stix2-json-schemas) check:
//
//   - required properties and the type of every defined property, for all
//     SDOs, SROs, SCOs and meta objects of sections 4 to 7, the SCO
//     extensions of section 6 and the deprecated observed-data container;
//   - identifiers TYPE--UUID (RFC 4122, versions 1 to 5) whose type matches
//     the object's; type names; spec_version "2.1";
//   - timestamps (section 2.14: RFC 3339 with "Z", valid dates, leap
//     seconds) and millisecond precision for created and modified;
//   - confidence 0-100, counts, ports, coordinates and other ranges;
//   - closed enumerations (opinion, encryption algorithms, socket and
//     service enums, registry data types, extension types); open
//     vocabularies (section 10) accept any string, as the standard allows;
//   - custom property names (section 11.1: 3-250 of a-z, 0-9 and _,
//     starting with a letter), no null values, no empty lists, _hex and
//     _bin values, the reserved names severity, action, username and
//     phone_numbers;
//   - external references with the schemas' CVE and CAPEC rules, hashes and
//     their algorithms' formats, dictionaries, kill chain phases, granular
//     markings (selectors, marking_ref or lang), extensions named by
//     extension-definition ids or "-ext" names with an extension_type;
//   - observable values: IPv4 and IPv6 addresses and CIDR blocks, MAC
//     addresses, domain names, e-mail addresses, absolute URLs, CPE and
//     language codes;
//
// and the rules the schemas cannot express:
//
//   - modified not before created; valid_until after valid_from;
//     last_seen not before first_seen; last_observed not before
//     first_observed; stop_time after start_time; end not before start;
//     analysis_ended not before analysis_started;
//   - every reference (every property ending in _ref or _refs, custom ones
//     included) is an identifier of a type the standard allows there:
//     created_by_ref an identity, marking refs marking definitions,
//     relationships between SDOs and SCOs only, sightings of SDOs sighted at
//     identities and locations, observed-data refs to SCOs and SROs, network
//     traffic between addresses and domain names, and so on for every SCO;
//     derived-from and duplicate-of join objects of one type (section 3.7);
//   - granular-marking selectors name content present in the object
//     (section 7.2.3.1); a marking definition does not mark itself and is
//     not versioned;
//   - TLP markings: an object using a predefined TLP 1.0 id or the TLP 2.0
//     extension must be exactly the published marking for that id, and a
//     TLP marking must use one of the published ids (section 7.2.1.4 and
//     the OASIS TLP 2.0 extension definition); see TLP and LookupTLP;
//   - stix patterns parse (section 9, see ParsePattern), with well formed
//     timestamp, hex and binary literals and STOP after START;
//   - lang is a registered RFC 5646 tag; extension types new-sdo, new-sco
//     and new-sro are not used on types the standard defines; extension
//     properties only with toplevel-property-extension; an extension
//     definition names its creator;
//   - relationship-like rules of single objects: location coordinates go
//     in pairs, a malware family has a name, an artifact has its payload or
//     its URL with hashes, a multipart e-mail has no body, active traffic has
//     no end.
//
// Every refusal is an *Error (in Errors) naming the object, by id or by its
// place in the bundle, and the JSON path of the property:
//
//	indicator--8e2e…: valid_until: must be later than valid_from
//
// and unwraps to an *accord.Error with code EINVALID.
//
// # Not covered
//
// Validate does not resolve references across objects (a ref to an object
// absent from the bundle is accepted, as the standard allows), does not
// check UUIDv4 for SDOs and SROs (a SHOULD in section 2.9: producers such as
// MISP use UUIDv5) nor UUIDv5 namespaces, does not check the
// relationship types suggested for each pair of SDOs, does not compile
// MATCHES regular expressions (PCRE), and accepts only STIX 2.1: 2.0
// objects, which have no spec_version, are refused.
package stix
