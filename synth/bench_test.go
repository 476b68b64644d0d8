package synth_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/synth"
)

// BenchmarkLoad loads one side of a history of ACCORD_SYNTH_REQUESTS
// requests (default 10,000) into a fresh SQLite store per iteration and
// reports requests (and messages, each with its receipt) loaded per
// second. Generating the history is not timed; opening the empty store is.
//
//	ACCORD_SYNTH_REQUESTS=100000 go test -run - -bench Load -benchtime 1x ./synth
func BenchmarkLoad(b *testing.B) {
	benchmarkLoad(b, func(h *synth.History, self, peer *federation.Identity) error {
		return synth.Load(context.Background(), openStore(b, "bench"), self, peer, h)
	})
}

// BenchmarkLoadPair is BenchmarkLoad for both sides, into two stores.
func BenchmarkLoadPair(b *testing.B) {
	benchmarkLoad(b, func(h *synth.History, a, c *federation.Identity) error {
		return synth.LoadPair(context.Background(), openStore(b, "a"), openStore(b, "b"), a, c, h)
	})
}

func benchmarkLoad(b *testing.B, load func(h *synth.History, a, c *federation.Identity) error) {
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
	a, c := identity(b, h.Parties[0].ID), identity(b, h.Parties[1].ID)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := load(h, a, c); err != nil {
			b.Fatal(err)
		}
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(n*b.N)/secs, "requests/s")
	b.ReportMetric(float64(h.Messages()*b.N)/secs, "messages/s")
}
