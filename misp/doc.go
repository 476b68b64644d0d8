// Package misp converts between the MISP core format (the JSON events of
// MISP, https://www.misp-project.org/datamodels/, specified in the MISP
// core format Internet-Draft) and the STIX 2.1 objects accord keeps
// threat intelligence as. It only converts: importing into a case's store,
// the command line and the API build on it.
//
// Decode (and DecodeAll, for lists and REST responses) reads an event into
// an Event: its metadata and its content as STIX objects that each pass
// (*stix.Object).Validate, all or nothing, with what has no STIX
// counterpart listed in Event.Skipped. Encode (and Export, which also
// returns what it left out) writes a case and its STIX objects as one
// event that validates against PyMISP's JSON schema.
//
// # Import: the event
//
// A published event becomes a report (published: publish_timestamp), an
// unpublished one a grouping (context suspicious-activity), with id
// report--<event uuid> or grouping--<event uuid>, named by info, created
// by the identity of Orgc (identity--<Orgc uuid>), labelled with the
// event's tags other than TLP and galaxy tags, with each link attribute
// as an external reference, and referencing every other object of the
// import (an event with nothing to convert references a note saying so).
// uuid, info, date, timestamp and the rest are read when present
// (PyMISP's partial events lack them) and refused when malformed. An
// event with neither a date nor a timestamp, both of which the MISP core
// format requires, is dated midnight UTC of the day of import
// (DecodeOptions.Now), as MISP dates an event it adds, and Skipped says
// so; one without info is named "MISP event <uuid>".
//
// # Import: attributes
//
// Each attribute becomes the observables below; when to_ids is set, also
// an indicator--<attribute uuid> whose STIX pattern compares the
// observable's properties for equality, valid from first_seen (else the
// attribute's timestamp) until last_seen, labelled misp:type and
// misp:category and with the attribute's other tags, and a based-on
// relationship to the observable. Rules (YARA, Snort, Suricata, Sigma,
// STIX patterns) become indicators whatever to_ids says; a few types
// become domain objects or notes.
//
//	MISP attribute type                      STIX
//	ip-src, ip-dst                           ipv4-addr / ipv6-addr (address or CIDR)
//	ip-src|port, ip-dst|port                 network-traffic (src_ref/dst_ref, port, protocols ipv4/ipv6) + address
//	hostname, domain                         domain-name
//	domain|ip                                domain-name resolving to ipv4-addr / ipv6-addr
//	hostname|port                            network-traffic (dst_ref, dst_port, protocols tcp) + domain-name
//	url                                      url (absolute URLs only)
//	link                                     external reference of the report or grouping
//	email, email-src, email-dst,             email-addr
//	  email-reply-to, target-email,
//	  whois-registrant-email, dns-soa-email
//	email-subject, email-body                email-message (is_multipart false, subject / body)
//	filename, email-attachment               file (name)
//	md5, sha1, sha224, sha256, sha384,       file (hashes: MD5, SHA-1, SHA-224, SHA-256, SHA-384,
//	  sha512, sha3-224, sha3-256,              SHA-512, SHA3-224, SHA3-256, SHA3-384, SHA3-512,
//	  sha3-384, sha3-512, ssdeep, tlsh          SSDEEP, TLSH without TLSH 4's "T1")
//	filename|<each of those hashes>          file (name and hash)
//	malware-sample                           file (name and MD5; the zipped sample is not imported)
//	attachment                               file (name) with its content as an artifact (payload_bin)
//	regkey                                   windows-registry-key (hive abbreviations such as HKLM
//	                                           written in full, as STIX requires)
//	regkey|value                             windows-registry-key with one value (data)
//	mutex                                    mutex
//	AS                                       autonomous-system ("AS3356" or "3356")
//	mac-address                              mac-addr (lower case, colons)
//	x509-fingerprint-md5,                    x509-certificate (hashes)
//	  x509-fingerprint-sha1,
//	  x509-fingerprint-sha256
//	vulnerability                            vulnerability--<uuid> (a CVE id as external reference)
//	threat-actor                             threat-actor--<uuid>
//	campaign-name                            campaign--<uuid>
//	yara, snort, suricata, sigma             indicator, pattern_type yara / snort / suricata / sigma
//	stix2-pattern                            indicator, pattern_type stix (the pattern must parse)
//	text, comment                            note--<uuid> (abstract: the category)
//
// A value wrong for its type (an ip-dst of "999.1.1.1", a 31-digit md5, a
// URL without a scheme, a port above 65535) refuses the event, naming the
// value: `Event.Attribute[3].value: "999.1.1.1" is not an IP address`.
//
// Not supported, and listed in Event.Skipped with "no STIX mapping": the
// other 129 types of MISP's describeTypes, among them uri (usually a
// relative path), user-agent, port and the other lone numbers (counter,
// integer, float, size-in-bytes, datetime, boolean), the fingerprints
// STIX has no hash name for (imphash, authentihash, vhash, pehash,
// impfuzzy, telfhash, cdhash, sha512/224, sha512/256 and their filename|
// pairs, ja3, jarm, hassh, ssh-fingerprint), the patterns of other tools
// (pattern-in-file, -traffic, -memory, filename-pattern, bro, zeek, kusto-
// query, gene), email headers and display names, cryptocurrency and bank
// data, personal and travel data (names, passports, PNR), social
// accounts, cpe, weakness, named pipe, windows services and tasks, hex,
// other, anonymised and onion-address. Also listed: deleted attributes
// and objects, proposals (ShadowAttribute), event reports, expiration
// sightings, object references whose target was not imported.
//
// # Import: objects
//
// The attributes of a MISP object become one observable (with the others
// it refers to), and an indicator--<object uuid> whose pattern joins the
// comparisons of its to_ids attributes (alternatives of one property with
// OR, properties with AND), based on it:
//
//	file                 file: filename, the hashes above, size-in-bytes, mimetype (a media
//	                       type only), malware-sample
//	domain-ip            domain-name (domain, hostname) resolving to the addresses (ip)
//	url                  url (url; its parts, host, port and so on, are not kept)
//	ip-port,             network-traffic: ip-src, ip-dst / ip, hostname, src-port, dst-port,
//	  network-connection   layer3/4/7-protocol (else the address family)
//	email                email-message: from, to, cc, bcc (email-addr), subject, message-id,
//	                       email-body, send-date
//	registry-key         windows-registry-key: key, name, data, data-type, last-modified
//	x509                 x509-certificate: fingerprints, serial-number, issuer, subject, validity
//	asn                  autonomous-system: asn, description
//
// Other templates (pe, pe-section, virustotal-report, original-imported-
// file, …) are listed in Skipped, and so are the attributes of a
// supported object whose relation is not above (a file's "state" or
// "entropy"). Object references become relationships, of the MISP
// relationship_type, between what the two sides became
// (relationship--<reference uuid>).
//
// # Import: TLP
//
// Tags of MISP's tlp taxonomy, in any case — tlp:clear (and tlp:white, its
// TLP 1.0 name), tlp:green, tlp:amber, tlp:amber+strict, tlp:red — set the
// event's TLP (the most restrictive when there are several). Every object
// gets object_marking_refs with the TLP 2.0 marking definition of the
// event's TLP, or of an attribute's own tlp tag when that is stricter
// (for the objects made of the attribute); the marking definitions in use
// are part of Objects. Without tlp tags nothing is marked.
//
// # Import: galaxies
//
// Each cluster of the event's Galaxy list, and each misp-galaxy:TYPE="VALUE"
// tag whose cluster the event does not carry, becomes one domain object
// (TYPE--<cluster uuid>, else an id derived from the tag; labelled with the
// tag, synonyms as aliases, refs as external references, an ATT&CK id at
// the end of a mitre-* value as a mitre-attack reference):
//
//	threat-actor, mitre-threat-actor                     threat-actor
//	intrusion-set, mitre-intrusion-set (and the           intrusion-set
//	  mitre-enterprise/mobile/pre-attack variants),
//	  microsoft-activity-group
//	malware, mitre-malware (and variants), malpedia,       malware (is_family)
//	  ransomware, banker, botnet, rat, backdoor,
//	  stealer, android
//	tool, mitre-tool (and variants), exploit-kit           tool
//	attack-pattern, mitre-attack-pattern (and variants)    attack-pattern
//	course-of-action, mitre-course-of-action (variants)    course-of-action
//	branded-vulnerability                                  vulnerability
//	campaign                                               campaign
//
// Other galaxies (sector, country, guidelines, …) are listed in Skipped.
// At the event level each threat actor and intrusion set uses each
// malware, tool and attack pattern; an attribute's clusters are indicated
// by its indicator (attack patterns, intrusion sets, malware, threat
// actors, tools, campaigns) or related-to its observable.
//
// # Import: sightings
//
// A sighting of type 0 (or 3) of an indicator's attribute becomes a
// sighting of the indicator, first and last seen at date_sighting, seen
// where its organisation is (an identity); type 1 (false positive) an
// opinion strongly-disagree about it; type 2 (expiration) is listed in
// Skipped, as are sightings of attributes that are not indicators.
//
// # Identifiers
//
// Domain objects and relationships take the uuid MISP gives them (the
// attribute's, the object's, the cluster's, the reference's, the
// sighting's); observables the UUIDv5 of STIX 2.1 section 2.9 (namespace
// 00abedb4-…, the canonical JSON of their ID contributing properties);
// what has no uuid a UUIDv5 in Namespace, derived from the event and the
// place. Importing the same input twice gives the same objects, to the
// byte (an event dated by its import: twice on the same day).
//
// The uuid of an attribute or object that is a string but not a UUID
// (PyMISP's fixtures write "a" and "b" and name them in ObjectReferences)
// is a placeholder: the element takes the UUIDv5 in Namespace of the
// event's uuid and the placeholder, every referenced_uuid of an
// ObjectReference and attribute_uuid of a sighting that names the
// placeholder is read as that UUID, and Skipped lists each replacement.
// Other malformed uuids are refused: the event's (the id of its report or
// grouping, and how a second import or export finds it), an
// organisation's and a galaxy cluster's (they name the same thing in
// every event), a sighting's or reference's own, a uuid that is not a
// string, and a reference naming a placeholder that no attribute or
// object of the event carries. An ObjectReference's object_uuid is not
// read: the reference's source is the object that holds it.
//
// # Export
//
// Encode writes {"Event": {…}} with uuid CaseUUID(case id), info the
// title, the case's date and last change, unpublished, threat level 4
// (undefined), analysis 1 (2 when the case is closed), distribution 0, a
// tlp: tag of the case's TLP, and the summary as a text attribute. Then:
// observables as the attribute types above read backwards (an address as
// ip-dst, a domain with its addresses as domain|ip, a file as one
// filename|hash per hash, network traffic as ip-dst|port and the like);
// indicators whose pattern is equalities that one attribute type holds as
// that type with to_ids (merged with the observable's attribute, and
// with the indicator's uuid, so that importing the event back gives the
// indicator its id again), and every other STIX pattern whole as a
// stix2-pattern attribute, rules as yara, snort, suricata, sigma
// attributes; threat actors, intrusion sets, malware, tools, attack
// patterns and courses of action as galaxy clusters (with event tags);
// indicates and related-to relationships to them as the attribute's
// galaxy tag; vulnerabilities and campaigns as attributes; notes as
// comment attributes; sightings of exported indicators as the
// attribute's MISP sightings, and opinions disagreeing with them as
// false-positive sightings; a stricter TLP of an object as the tag of its
// attributes. Export checks every attribute against what Decode makes of
// it and returns, as Skips, each object it could not write and each that
// would not import back the same (a file's second hash comes back as a
// second file, say); reports, groupings, identities and other
// relationships have no place in a MISP event.
//
// Export writes only what PyMISP's strict schema (schema.json) allows,
// except attributes' Sighting lists, which the MISP core format defines
// and that schema predates; the output validates against PyMISP's
// default, lax schema in full. MISP objects are not written: the strict
// schema does not know them.
package misp
