package stix

import (
	"encoding/json"
)

// The accessors below read the common properties of STIX 2.1 section 3.2
// and of cyber-observable objects (section 6.1). They decode on every call
// and return the zero value when the property is absent or malformed; an
// object that passed Validate has no malformed properties.

// SpecVersion returns "spec_version" ("2.1"), or "".
func (o *Object) SpecVersion() string { return o.str("spec_version") }

// Created returns "created", or the zero Timestamp.
func (o *Object) Created() Timestamp { return o.timestamp("created") }

// Modified returns "modified", or the zero Timestamp. Together with ID it
// names one version of an object (section 3.6).
func (o *Object) Modified() Timestamp { return o.timestamp("modified") }

// CreatedByRef returns "created_by_ref", the id of the identity that made
// the object, or "".
func (o *Object) CreatedByRef() string { return o.str("created_by_ref") }

// Revoked returns "revoked" (false when absent).
func (o *Object) Revoked() bool {
	var b bool
	_, _ = o.Get("revoked", &b)
	return b
}

// Labels returns "labels".
func (o *Object) Labels() []string { return o.strs("labels") }

// Confidence returns "confidence" (0 to 100) and whether the object has it.
func (o *Object) Confidence() (int, bool) {
	var f float64
	if ok, err := o.Get("confidence", &f); !ok || err != nil {
		return 0, false
	}
	return int(f), true
}

// Lang returns "lang", an RFC 5646 language tag, or "".
func (o *Object) Lang() string { return o.str("lang") }

// ExternalReference is one entry of "external_references" (section 2.5).
type ExternalReference struct {
	SourceName  string            `json:"source_name"`
	Description string            `json:"description,omitempty"`
	URL         string            `json:"url,omitempty"`
	Hashes      map[string]string `json:"hashes,omitempty"`
	ExternalID  string            `json:"external_id,omitempty"`
}

// ExternalReferences returns "external_references".
func (o *Object) ExternalReferences() []ExternalReference {
	var v []ExternalReference
	_, _ = o.Get("external_references", &v)
	return v
}

// ObjectMarkingRefs returns "object_marking_refs", the ids of the marking
// definitions that apply to the whole object.
func (o *Object) ObjectMarkingRefs() []string { return o.strs("object_marking_refs") }

// GranularMarking is one entry of "granular_markings" (section 7.2.3): a
// marking definition or a language applied to the parts of the object that
// Selectors name.
type GranularMarking struct {
	Lang       string   `json:"lang,omitempty"`
	MarkingRef string   `json:"marking_ref,omitempty"`
	Selectors  []string `json:"selectors"`
}

// GranularMarkings returns "granular_markings".
func (o *Object) GranularMarkings() []GranularMarking {
	var v []GranularMarking
	_, _ = o.Get("granular_markings", &v)
	return v
}

// Extensions returns "extensions": each extension's name (an
// extension-definition id or a predefined "…-ext" name) with its content as
// JSON, verbatim.
func (o *Object) Extensions() map[string]json.RawMessage {
	var v map[string]json.RawMessage
	_, _ = o.Get("extensions", &v)
	return v
}

// KillChainPhase is one entry of "kill_chain_phases" (section 2.8).
type KillChainPhase struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}

// KillChainPhases returns "kill_chain_phases".
func (o *Object) KillChainPhases() []KillChainPhase {
	var v []KillChainPhase
	_, _ = o.Get("kill_chain_phases", &v)
	return v
}

// Name returns "name", or "".
func (o *Object) Name() string { return o.str("name") }

// Description returns "description", or "".
func (o *Object) Description() string { return o.str("description") }

// Aliases returns "aliases".
func (o *Object) Aliases() []string { return o.strs("aliases") }

// ObjectRefs returns "object_refs" (report, grouping, note, opinion,
// observed-data).
func (o *Object) ObjectRefs() []string { return o.strs("object_refs") }

// Value returns "value" of an observable (ipv4-addr, ipv6-addr,
// domain-name, url, email-addr, mac-addr, …), or "".
func (o *Object) Value() string { return o.str("value") }

// Hashes returns "hashes" (file, artifact, x509-certificate): algorithm
// name ("SHA-256", "MD5", …) to value.
func (o *Object) Hashes() map[string]string {
	var v map[string]string
	_, _ = o.Get("hashes", &v)
	return v
}

func (o *Object) str(name string) string {
	var s string
	_, _ = o.Get(name, &s)
	return s
}

func (o *Object) strs(name string) []string {
	var s []string
	_, _ = o.Get(name, &s)
	return s
}

func (o *Object) timestamp(name string) Timestamp {
	var t Timestamp
	_, _ = o.Get(name, &t)
	return t
}
