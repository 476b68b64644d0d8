package accord

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a span of calendar time written the way agreements speak of it:
// a sequence of whole numbers with units w (weeks), d (days), h (hours) and m
// (minutes), such as "10d", "8h" or "1d12h". Days are 24 hours: deadlines run
// in calendar time, not business days.
type Duration time.Duration

var durationUnits = []struct {
	unit string
	d    time.Duration
}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}}

// ParseDuration parses s as a Duration. It returns EINVALID with the reason
// when s is empty, has an unknown unit, units out of order, or is not positive.
func ParseDuration(s string) (Duration, error) {
	if s == "" {
		return 0, Errorf(EINVALID, "empty duration: write e.g. 8h, 10d or 1d12h")
	}
	rest := s
	var total time.Duration
	next := 0 // index into durationUnits: units must come largest first, once each
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, Errorf(EINVALID, "duration %q: want a number followed by a unit (w, d, h, m)", s)
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n > 100000 {
			return 0, Errorf(EINVALID, "duration %q: number %q out of range", s, rest[:i])
		}
		u := rest[i : i+1]
		found := false
		for j := next; j < len(durationUnits); j++ {
			if durationUnits[j].unit == u {
				total += time.Duration(n) * durationUnits[j].d
				next = j + 1
				found = true
				break
			}
		}
		if !found {
			return 0, Errorf(EINVALID, "duration %q: unit %q unknown or out of order (use w, d, h, m, largest first)", s, u)
		}
		rest = rest[i+1:]
	}
	if total <= 0 {
		return 0, Errorf(EINVALID, "duration %q must be positive", s)
	}
	return Duration(total), nil
}

// String formats d in the same notation ParseDuration reads, largest units first.
func (d Duration) String() string {
	if d == 0 {
		return "0m"
	}
	var b strings.Builder
	rest := time.Duration(d)
	for _, u := range durationUnits[1:] { // days, not weeks: "10d" reads better than "1w3d"
		if n := rest / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.unit)
			rest -= n * u.d
		}
	}
	if rest > 0 { // sub-minute remainder: not producible by ParseDuration
		fmt.Fprintf(&b, "%ds", int(rest/time.Second))
	}
	return b.String()
}

// UnmarshalText implements encoding.TextUnmarshaler for TOML and JSON.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
