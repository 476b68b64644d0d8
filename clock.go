package accord

import "time"

// Clock tells the time. Everything in accord that needs "now" takes a Clock so
// that tests and the demo's scenario clock control it; overdue is computed
// from it at read time and never stored.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time truncated to microseconds, the precision
// every store keeps.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }
