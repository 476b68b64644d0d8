package synth_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/accord-cyber/accord/synth"
)

// BenchmarkLoad loads one side of a history of ACCORD_SYNTH_REQUESTS
// requests (default 10,000) into a fresh SQLite store per iteration and
// reports requests (and messages, each with its receipt) loaded per
// second. Generating the history is not timed.
//
//	ACCORD_SYNTH_REQUESTS=100000 go test -run - -bench Load -benchtime 1x ./synth
func BenchmarkLoad(b *testing.B) {
	n := 10000
	if s := os.Getenv("ACCORD_SYNTH_REQUESTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("ACCORD_SYNTH_REQUESTS=%q: want a positive number", s)
		}
	}
	h, err := synth.Generate(1, synth.Options{Requests: n})
	if err != nil {
		b.Fatal(err)
	}
	self, peer := identity(b, h.Parties[0].ID), identity(b, h.Parties[1].ID)
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := openStore(b, "bench")
		b.StartTimer()
		start := time.Now()
		if err := synth.Load(context.Background(), st, self, peer, h); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "requests/s")
	b.ReportMetric(float64(h.Messages()*b.N)/elapsed.Seconds(), "messages/s")
}
