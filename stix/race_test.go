//go:build race

package stix

// raceEnabled is set when the tests run under the race detector.
const raceEnabled = true
