package taxii

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/stix"
)

// FuzzParseQuery checks the parsing of what a TAXII request brings: its
// query string (filters and paging), its Accept and Content-Type headers,
// and next tokens. Nothing panics; a query that parses holds only valid
// values and parses again to the same from its own encoding; an error is
// always EINVALID naming a parameter; the media type rules hold whatever
// surrounds the TAXII 2.1 type; a next token decodes only with the
// fingerprint it was made with, to the cursor it was made from.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []struct{ q, accept, ct string }{
		{"", MediaType, MediaType},
		{"added_after=2016-11-03T12:30:59Z&limit=3", "application/taxii+json", "application/taxii+json"},
		{"match[id]=malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec&match[type]=indicator,malware", "*/*", "application/json"},
		{"match[version]=first,last,all,2016-12-25T12:30:59.444Z&match[spec_version]=2.0,2.1", "text/html, application/*;q=0.2", "application/stix+json;version=2.1"},
		{"limit=-20&next=AAAAAAAAAAAAAAAAAAAAAA", "application/taxii+json;version=2.0", "application/taxii+json; version=\"2.1\""},
		{"limit=1&limit=2&match[type]=", "application/taxii+json;version=2.1;q=0", ""},
		{"match%5Bversion%5D=2017-01-27T13:49:53.935382Z&added_after=2017-01-27T13:49:59.997000Z", `application/taxii+json;version="2,1", */*;q=0.000`, "x/y;;"},
	} {
		f.Add(s.q, s.accept, s.ct, int64(1485525000997000))
	}
	f.Fuzz(func(t *testing.T, rawQuery, accept, contentType string, cursor int64) {
		for _, ep := range []Endpoint{EndpointObjects, EndpointManifest, EndpointObject, EndpointVersions} {
			v, err := url.ParseQuery(rawQuery)
			if err != nil {
				continue
			}
			q, err := ParseQuery(v, ep)
			if err != nil {
				var e *accord.Error
				if accord.ErrorCode(err) != accord.EINVALID || accord.ErrorField(err) == "" {
					t.Fatalf("ParseQuery(%q) error %v (%T), want EINVALID naming a parameter", rawQuery, err, e)
				}
				continue
			}
			checkQuery(t, rawQuery, q)
			// The query encodes back and parses to the same.
			w := url.Values{}
			if q.Limit > 0 {
				w.Set("limit", itoa(q.Limit))
			}
			if !q.AddedAfter.IsZero() {
				w.Set("added_after", q.AddedAfter.Format(time.RFC3339Nano))
			}
			if q.Next != "" {
				w.Set("next", q.Next)
			}
			set := func(k string, vals []string) {
				if len(vals) > 0 {
					w.Set(k, strings.Join(vals, ","))
				}
			}
			set("match[id]", q.IDs)
			set("match[type]", q.Types)
			set("match[spec_version]", q.SpecVersions)
			var vs []string
			for _, s := range q.Versions {
				if ts, err := time.Parse("2006-01-02T15:04:05.000000000Z", s); err == nil {
					s = ts.Format(time.RFC3339Nano)
				}
				vs = append(vs, s)
			}
			set("match[version]", vs)
			q2, err := ParseQuery(w, ep)
			if err != nil {
				t.Fatalf("ParseQuery(%q) = %+v, whose encoding %q does not parse: %v", rawQuery, q, w.Encode(), err)
			}
			if !q2.AddedAfter.Equal(q.AddedAfter) || q2.Limit != q.Limit || q2.Next != q.Next || !slices.Equal(q2.IDs, q.IDs) ||
				!slices.Equal(q2.Types, q.Types) || !slices.Equal(q2.Versions, q.Versions) || !slices.Equal(q2.SpecVersions, q.SpecVersions) {
				t.Fatalf("ParseQuery round trip of %q: %+v then %+v", rawQuery, q, q2)
			}
			// Next tokens: good only for their fingerprint.
			if cursor > 0 && cursor < 1<<62 {
				fp := fingerprint("objects", q)
				at := time.UnixMicro(cursor).UTC()
				tok := encodeNext(at, fp)
				if got, err := decodeNext(tok, fp); err != nil || !got.Equal(at) {
					t.Fatalf("decodeNext(encodeNext(%v)) = %v, %v", at, got, err)
				}
				if _, err := decodeNext(tok, fingerprint("manifest", q)); err == nil {
					t.Fatalf("a next token of the objects endpoint decoded for the manifest")
				}
			}
			if q.Next != "" {
				_, _ = decodeNext(q.Next, fingerprint("objects", q)) // must not panic
			}
		}
		// Media types.
		got := Acceptable(accept)
		if strings.TrimSpace(accept) == "" && !got {
			t.Fatalf("Acceptable(%q) = false for an empty header", accept)
		}
		if !strings.ContainsAny(accept, "\"\\") && !Acceptable(accept+", "+MediaType) {
			t.Fatalf("Acceptable(%q + the TAXII 2.1 type) = false", accept)
		}
		if Acceptable("application/stix+json;version=2.1") || !Acceptable(MediaType) {
			t.Fatal("the fixed media type rules changed")
		}
		if SupportedContentType(contentType) && !strings.Contains(strings.ToLower(contentType), "application/taxii+json") {
			t.Fatalf("SupportedContentType(%q) = true for a type that is not TAXII", contentType)
		}
	})
}

// checkQuery fails unless every value of q is one ParseQuery may return.
func checkQuery(t *testing.T, raw string, q Query) {
	t.Helper()
	if q.Limit < 0 {
		t.Fatalf("ParseQuery(%q): limit %d", raw, q.Limit)
	}
	for _, id := range q.IDs {
		if _, _, ok := stix.SplitID(id); !ok {
			t.Fatalf("ParseQuery(%q): id %q", raw, id)
		}
	}
	for _, ty := range q.Types {
		if !typePattern.MatchString(ty) {
			t.Fatalf("ParseQuery(%q): type %q", raw, ty)
		}
	}
	for _, v := range q.Versions {
		if v == "first" || v == "last" || v == "all" {
			continue
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000000000Z", v); err != nil || len(v) != 30 {
			t.Fatalf("ParseQuery(%q): version %q", raw, v)
		}
	}
	for _, s := range q.SpecVersions {
		if !specPattern.MatchString(s) {
			t.Fatalf("ParseQuery(%q): spec_version %q", raw, s)
		}
	}
	for _, l := range [][]string{q.IDs, q.Types, q.Versions, q.SpecVersions} {
		if len(l) > maxListValues {
			t.Fatalf("ParseQuery(%q): %d values", raw, len(l))
		}
	}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{digits[n%10]}, b...)
	}
	return string(b)
}
