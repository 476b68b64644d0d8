package stix

import (
	"strings"
	"testing"
)

// TestSCOIDs checks the deterministic observable ids against the test
// vectors of the OASIS python-stix2 library (test_deterministic_ids.py).
func TestSCOIDs(t *testing.T) {
	id, ok := SCOID("windows-registry-key", map[string]any{"values": []map[string]any{
		{"name": "Foo", "data": "qwerty"}, {"name": "Bar", "data": "42"},
	}})
	if want := "windows-registry-key--36594eba-bcc7-5014-9835-0e154264e588"; !ok || id != want {
		t.Errorf("SCOID(registry key Foo, Bar) = %s, %v; want %s", id, ok, want)
	}
	// Only the first of MD5, SHA-1, SHA-256, SHA-512 counts.
	a, _ := SCOID("file", map[string]any{"name": "x", "hashes": map[string]string{"SHA-256": strings.Repeat("1", 64), "MD5": strings.Repeat("2", 32)}})
	b, _ := SCOID("file", map[string]any{"name": "x", "hashes": map[string]string{"MD5": strings.Repeat("2", 32)}})
	if a != b {
		t.Errorf("file ids with and without a SHA-256 beside the MD5 differ: %s, %s", a, b)
	}
	if _, ok := SCOID("process", map[string]any{"pid": 1}); ok {
		t.Errorf("SCOID(process) = ok, want none (STIX gives processes random ids)")
	}
}
