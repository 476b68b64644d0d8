package ledger

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/accord-cyber/accord"
)

func TestRecord(t *testing.T) {
	tests := []struct {
		name      string
		kind, ref string
		digest    []byte
		want      string
		wantCode  string
		wantField string
	}{
		{"message", KindMessage, "us-cert-M000001", []byte{0xde, 0xad, 0xbe, 0xef},
			"accord-ledger-entry/v1\nmessage\nus-cert-M000001\ndeadbeef\n", "", ""},
		{"receipt", KindReceipt, "cncert-M42", []byte{0x00, 0x0a},
			"accord-ledger-entry/v1\nreceipt\ncncert-M42\n000a\n", "", ""},
		{"custody with spaces and unicode", KindCustody, "evidence 7 sealed — Zoë", []byte{1},
			"accord-ledger-entry/v1\ncustody\nevidence 7 sealed — Zoë\n01\n", "", ""},
		{"other lowercase kind", "custody-v2_x", "r", []byte{1}, "accord-ledger-entry/v1\ncustody-v2_x\nr\n01\n", "", ""},
		{"newline in ref", KindMessage, "a\nb", []byte{1}, "", accord.EINVALID, "ref"},
		{"carriage return in ref", KindMessage, "a\rb", []byte{1}, "", accord.EINVALID, "ref"},
		{"NUL in ref", KindMessage, "a\x00b", []byte{1}, "", accord.EINVALID, "ref"},
		{"invalid UTF-8 ref", KindMessage, "a\xffb", []byte{1}, "", accord.EINVALID, "ref"},
		{"empty ref", KindMessage, "", []byte{1}, "", accord.EINVALID, "ref"},
		{"newline in kind", "message\nx", "r", []byte{1}, "", accord.EINVALID, "kind"},
		{"upper-case kind", "Message", "r", []byte{1}, "", accord.EINVALID, "kind"},
		{"kind starting with a digit", "1message", "r", []byte{1}, "", accord.EINVALID, "kind"},
		{"empty kind", "", "r", []byte{1}, "", accord.EINVALID, "kind"},
		{"empty digest", KindMessage, "r", nil, "", accord.EINVALID, "digest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Record(tc.kind, tc.ref, tc.digest)
			wantCode(t, "Record", err, tc.wantCode)
			if f := accord.ErrorField(err); f != tc.wantField {
				t.Errorf("Record error field %q, want %q", f, tc.wantField)
			}
			if err != nil {
				return
			}
			if string(got) != tc.want {
				t.Errorf("Record(%q, %q, %x) = %q, want %q", tc.kind, tc.ref, tc.digest, got, tc.want)
			}
			e, err := ParseRecord(got)
			if err != nil {
				t.Fatalf("ParseRecord(%q) = %v", got, err)
			}
			if diff := cmp.Diff(Entry{tc.kind, tc.ref, tc.digest}, e); diff != "" {
				t.Errorf("ParseRecord(Record(...)) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRecordRefusals(t *testing.T) {
	for _, rec := range []string{
		"",
		"accord-ledger-entry/v1\n",
		"accord-ledger-entry/v2\nmessage\nr\n01\n",
		"accord-ledger-entry/v1\nmessage\nr\n01",           // no final newline
		"accord-ledger-entry/v1\nmessage\nr\n01\n\n",       // extra line
		"accord-ledger-entry/v1\nmessage\nr\n01\nextra\n",  // extra line
		"accord-ledger-entry/v1\nmessage\n01\n",            // missing line
		"accord-ledger-entry/v1\nmessage\nr\n\n",           // empty digest
		"accord-ledger-entry/v1\nmessage\nr\nDEADBEEF\n",   // upper-case hex
		"accord-ledger-entry/v1\nmessage\nr\n0\n",          // odd hex
		"accord-ledger-entry/v1\nmessage\nr\nzz\n",         // not hex
		"accord-ledger-entry/v1\nMessage\nr\n01\n",         // bad kind
		"accord-ledger-entry/v1\nmessage\na\rb\n01\n",      // bad ref
		"accord-ledger-entry/v1\n\nr\n01\n",                // empty kind
		"accord-ledger-entry/v1\r\nmessage\r\nr\r\n01\r\n", // CRLF
	} {
		if e, err := ParseRecord([]byte(rec)); accord.ErrorCode(err) != accord.EINVALID {
			t.Errorf("ParseRecord(%q) = %+v, %v; want EINVALID", rec, e, err)
		}
	}
}

// FuzzParseRecord checks that whatever ParseRecord accepts is canonical:
// Record gives the same bytes back.
func FuzzParseRecord(f *testing.F) {
	f.Add([]byte("accord-ledger-entry/v1\nmessage\nus-cert-M1\ndeadbeef\n"))
	f.Add([]byte("accord-ledger-entry/v1\ncustody\nä\n00\n"))
	f.Fuzz(func(t *testing.T, rec []byte) {
		e, err := ParseRecord(rec)
		if err != nil {
			return
		}
		again, err := Record(e.Kind, e.Ref, e.Digest)
		if err != nil {
			t.Fatalf("Record(ParseRecord(%q)) = %v", rec, err)
		}
		if !bytes.Equal(again, rec) {
			t.Fatalf("Record(ParseRecord(%q)) = %q", rec, again)
		}
	})
}
