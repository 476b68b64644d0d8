package stix

import (
	"encoding/json"
	"errors"
	"time"
)

// Timestamp is a STIX timestamp (STIX 2.1 section 2.14): RFC 3339 in UTC with
// the literal "Z", optionally with a fraction of a second of any length. It
// keeps the text it was parsed from, so that writing it back reproduces the
// producer's precision ("2014-05-08T09:00:00.000000Z" stays with six digits).
//
// The zero Timestamp is "absent": IsZero reports true and it marshals as null.
type Timestamp struct {
	t    time.Time
	text string
}

// ParseTimestamp parses s as a STIX timestamp. It refuses anything but
// YYYY-MM-DDTHH:MM:SS[.fraction]Z with a valid date (no February 30th) and
// accepts a leap second (":60"). The error says what is wrong without
// repeating s.
func ParseTimestamp(s string) (Timestamp, error) {
	t, err := parseTime(s)
	if err != nil {
		return Timestamp{}, err
	}
	return Timestamp{t: t, text: s}, nil
}

// NewTimestamp returns t in UTC as a STIX timestamp with millisecond
// precision, the precision STIX requires of created and modified.
func NewTimestamp(t time.Time) Timestamp {
	t = t.UTC().Truncate(time.Millisecond)
	return Timestamp{t: t, text: t.Format("2006-01-02T15:04:05.000Z")}
}

// Time returns the instant, in UTC. A leap second reads as the first instant
// of the next minute.
func (ts Timestamp) Time() time.Time { return ts.t }

// String returns the timestamp exactly as it was written.
func (ts Timestamp) String() string { return ts.text }

// IsZero reports whether the timestamp is absent.
func (ts Timestamp) IsZero() bool { return ts.text == "" }

// Compare returns -1, 0 or +1 as ts is before, equal to or after u, to the
// full precision of both (beyond nanoseconds, digits are compared as text).
func (ts Timestamp) Compare(u Timestamp) int {
	if c := ts.t.Compare(u.t); c != 0 {
		return c
	}
	// time.Time keeps nanoseconds; STIX allows any number of digits.
	a, b := fraction(ts.text), fraction(u.text)
	for len(a) < len(b) {
		a += "0"
	}
	for len(b) < len(a) {
		b += "0"
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// MarshalJSON writes the original text, or null when absent.
func (ts Timestamp) MarshalJSON() ([]byte, error) {
	if ts.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(ts.text)
}

// UnmarshalJSON parses a JSON string as a STIX timestamp.
func (ts *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("must be a timestamp string")
	}
	v, err := ParseTimestamp(s)
	if err != nil {
		return err
	}
	*ts = v
	return nil
}

// fraction returns the digits after the decimal point, or "".
func fraction(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[i+1 : len(s)-1]
		}
	}
	return ""
}

var errTimestamp = errors.New("must be a timestamp YYYY-MM-DDTHH:MM:SS[.s]Z (RFC 3339, UTC, with Z)")

// parseTime checks the exact STIX shape first (time.Parse is more lenient:
// it takes lower-case "t" and "z", and offsets) and then lets time.Date-like
// validation catch impossible dates.
func parseTime(s string) (time.Time, error) {
	// 2006-01-02T15:04:05Z is 20 bytes.
	if len(s) < 20 || s[len(s)-1] != 'Z' {
		return time.Time{}, errTimestamp
	}
	for i, c := range []byte(s[:19]) {
		switch i {
		case 4, 7:
			if c != '-' {
				return time.Time{}, errTimestamp
			}
		case 10:
			if c != 'T' {
				return time.Time{}, errTimestamp
			}
		case 13, 16:
			if c != ':' {
				return time.Time{}, errTimestamp
			}
		default:
			if c < '0' || c > '9' {
				return time.Time{}, errTimestamp
			}
		}
	}
	rest := s[19 : len(s)-1]
	nanos := 0
	if rest != "" {
		if rest[0] != '.' || len(rest) == 1 {
			return time.Time{}, errTimestamp
		}
		for i, c := range []byte(rest[1:]) {
			if c < '0' || c > '9' {
				return time.Time{}, errTimestamp
			}
			if i < 9 {
				nanos = nanos*10 + int(c-'0')
			}
		}
		for i := len(rest) - 1; i < 9; i++ {
			nanos *= 10
		}
	}
	num := func(a, b int) int {
		n := 0
		for _, c := range []byte(s[a:b]) {
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec := num(11, 13), num(14, 16), num(17, 19)
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, errTimestamp
	}
	// time.Date normalises second 60 into the next minute, which is what a
	// leap second means for ordering.
	return time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC), nil
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
