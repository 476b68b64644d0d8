// Package iodef reads and writes IODEF v2 documents (RFC 7970, the
// Incident Object Description Exchange Format, namespace
// urn:ietf:params:xml:ns:iodef-2.0), the XML in which CSIRTs report
// incidents and indicators to each other. Decode turns a document into
// incidents, each with the fields a case needs and STIX 2.1 objects
// (package stix); Encode writes a case and its objects as a document.
// Storing what Decode returns, and choosing what Encode may share, is the
// caller's business; the package keeps no state.
//
// # Import
//
// Decode maps, per Incident:
//
//   - IncidentID (its text, name and instance attributes), purpose, status
//     (the ext- value for ext-value), restriction and its TLP (below),
//     xml:lang, GenerationTime, DetectTime, StartTime, EndTime,
//     RecoveryTime and ReportTime (UTC; RFC 7970 section 2.8 wants a time
//     zone and Decode refuses a time without one);
//   - the Descriptions, Discoveries (source, descriptions), Assessments
//     (occurrence, IncidentCategory, System/Business/Intended/Time/Monetary
//     impacts, Confidence), Methods (References: enum:ReferenceName of RFC
//     7495, URLs, descriptions) and Contacts (role, type, names, e-mail
//     addresses, telephone numbers, nested contacts) of the Incident and
//     of its EventData, recursively, in document order;
//   - as STIX cyber-observables (SCOs), from EventData/Flow/System/Node,
//     Record/RecordData and IndicatorData's Observables:
//     Address by category — ipv4-addr and ipv6-addr (an IPv4-mapped IPv6
//     address is IPv4), ipv4-net, ipv6-net, ipv4-net-masked,
//     ipv6-net-masked and ipv4-net-mask (address/prefix or, for IPv4,
//     address/netmask) as CIDR values, mac as mac-addr, asn as
//     autonomous-system, e-mail as email-addr, site-uri as url;
//     DomainData/Name as domain-name (lower case, no final dot);
//     Service (ip-protocol, Port) with the System's category (source,
//     target) as network-traffic: from each source host to each target
//     host of a Flow (at most 1000 per Flow), or from or to each host with
//     a Service when a Flow has only sources or only targets, with
//     protocols the shared IP version and the IP protocol's name;
//     EmailData (EmailTo, EmailFrom, EmailSubject, EmailX-Mailer,
//     EmailBody) as email-addr and email-message;
//     FileData/File (FileName, FileSize, HashData of scope file-contents)
//     as file; WindowsRegistryKeysModified/Key (KeyName with the hive
//     written in full, Value or KeyValue as the data of an unnamed value)
//     as windows-registry-key; CertificateData/Certificate/ds:X509Data
//     (issuer, serial number, subject) as x509-certificate;
//     BulkObservable of type ipv4-addr, ipv4-net, ipv4-net-mask, ipv6-addr,
//     ipv6-net, ipv6-net-mask, e-mail, mac, site-uri, asn, domain-name,
//     mutex and
//     ext-value with ext-type fqdn, domain, domain-name or hostname (RFC
//     7970 section 7.2 uses fqdn), one value per line;
//   - each Indicator (section 3.29) as a STIX indicator: name its
//     IndicatorID, description its Descriptions, valid_from its StartTime
//     (else the incident's GenerationTime), valid_until its EndTime, an
//     external reference to the IndicatorID, and a pattern built from its
//     Observable, ObservableReference (resolved by observable-id) or
//     IndicatorExpression (section 3.30): each observable is one
//     observation expression, and-ed or or-ed as the operators say; an
//     AdditionalData of meaning "pattern" (which Encode writes) gives the
//     pattern whole, its formatid the pattern_type;
//   - References that name a CVE (enum:ReferenceName ID, a Description or
//     a URL) as a vulnerability, and those that name a MITRE ATT&CK
//     technique (T1234, T1234.001 or its attack.mitre.org URL) as an
//     attack-pattern.
//
// Ids: SCOs have the deterministic ids of STIX 2.1 section 2.9 (UUIDv5 of
// the RFC 8785 JSON of their id-contributing properties, one hash chosen
// MD5, SHA-1, SHA-256, SHA-512), so the same address in two documents is
// the same object, and an incident holds each once. Indicators,
// vulnerabilities and attack patterns have UUIDv5 ids in a namespace
// derived from the IncidentID (name, instance, value), so importing a
// document twice gives the same ids. created and modified are the
// GenerationTime.
//
// Values are read as producers write them: descriptions line by line,
// each line trimmed; names and other short text with white space
// collapsed; URLs and digests with all white space removed (RFC 3986
// appendix C: producers wrap long URLs); registry keys and values with
// line breaks and the indentation around them removed. A ds:DigestValue is
// base64 (XML Signature), but the hex digest itself, or the base64 of the
// hex text (as the MILE guidance examples write it), is also read when its
// length fits the algorithm (any of the xmldsig, xmlenc and xmldsig-more
// URIs of RFC 6931 for MD5, SHA-1, SHA-2 and SHA-3).
//
// # Restriction and TLP
//
// RFC 7970 section 3.3.1 restriction values map to TLP 2.0 labels:
//
//	public, white            → clear
//	partner, green           → green    (a closed community, not published)
//	default                  → amber    (the parties' own policy; amber is accord's default for a case)
//	amber                    → amber
//	need-to-know             → amber+strict (within the organization, need to know)
//	private, red             → red      (not to be shared)
//	ext-value                → the TLP label its ext-restriction names
//	                           ("amber+strict", "TLP:CLEAR", …), else red
//	absent on an Incident    → private, RFC 7970's default → red
//
// A restriction on an element inside the incident applies to the objects
// made from that element when it is stricter than the incident's: they
// carry the TLP 2.0 marking (object_marking_refs). A nested restriction
// never loosens the one around it; objects without a marking take their
// case's TLP. Encode writes the other way: clear → white, green → green,
// amber → amber, amber+strict → need-to-know, red → red, which Decode maps
// back to the same labels.
//
// # Not mapped
//
// Everything Decode does not map is listed in Document.Skipped with its
// place and a reason, never dropped silently: RelatedActivity (threat
// actors, campaigns, related incidents), AlternativeID, History,
// Expectation, AdditionalData (but patterns), NodeRole, OperatingSystem,
// Counter, AssetID, Location, PostalAddress, the times of EventData (only
// the incident's are kept), domain registration data (RelatedDNS,
// Nameservers, DomainContacts and the dates), Portlist, ApplicationHeader,
// RecordData's URL (a link to log data, not an observable), RecordPattern
// and RecordItem, SignatureData, FuzzyHash, hashes of other scopes than
// file-contents, unknown digest algorithms, Address categories atm and
// ext-value, BulkObservable types without a STIX observable (such as
// http-user-agent), the elements of RFC 7203 (sci:AttackPattern, …),
// Indicator Confidence, AttackPhase, AlternativeIndicatorID and
// IndicatorReference. An Indicator whose expression uses not or xor,
// refers to another indicator, or and-s something not mapped (leaving it
// out would match more than the producer meant) makes no STIX indicator
// and is listed; its observables are still mapped. An or leaves out what
// is not mapped.
//
// # Refusals and limits
//
// Decode refuses the whole document, with an *accord.Error of code
// EINVALID naming the element (IODEF-Document/Incident[2]/EventData/Flow/
// System/Node/Address: "999.1.1.1" is not an ipv4-addr), when it is not
// well-formed XML or not UTF-8, is not an IODEF-Document in the IODEF v2
// namespace with version 2.00, lacks an element or attribute RFC 7970
// requires of what Decode maps (IncidentID and its name, GenerationTime,
// a Contact, purpose, a Contact's role and type, …), has a value out of
// its enumeration or a value that makes no valid STIX object, repeats an
// observable-id or has an ObservableReference to none. It reads at most
// MaxSize bytes (8 MiB), MaxDepth levels of elements (64) and MaxElements
// elements (200,000), and refuses any DTD: encoding/xml never fetches
// external entities and expands only the five predefined ones, and with
// DTDs refused no entity can be declared at all, so neither an external
// entity nor an entity expansion ("billion laughs") can get through.
// Decode is not a schema validator: what it does not map it lists, and
// does not check.
//
// # Export
//
// Encode writes one Incident for a case; see Encode for the elements.
// Its output validates against the RFC 7970 schema (the tests run xmllint
// on it). What IODEF cannot hold — objects of other types, SSDEEP and TLSH
// hashes, names of registry values, e-mail messages without a sender, a
// network traffic whose hosts are not among the objects — is returned as
// Skips. Certificate serial numbers are written as the decimal integer
// X509SerialNumber is, so a hex serial comes back in decimal, under
// another id; the user who created the case is not written, only the
// party.
package iodef
