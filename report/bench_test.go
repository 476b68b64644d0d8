package report_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/report"
	"github.com/accord-cyber/accord/sqlite"
	"github.com/accord-cyber/accord/synth"
)

// BenchmarkReview computes the joint-dialogue review of a year of
// synthetic history (package synth: ACCORD_REVIEW_REQUESTS requests,
// default 10,000, one side loaded into SQLite and kept under
// $TMPDIR/accord-bench for the next run) and, in the same run, the raw
// limit: the same messages and receipts read by the same indexed query,
// each row scanned and dropped. It reports requests reviewed per second,
// the ratio raw time / review time, and the peak Go heap during the
// review.
//
//	ACCORD_REVIEW_REQUESTS=1000000 go test -run '^$' -bench Review -benchtime 1x -timeout 60m ./report/
func BenchmarkReview(b *testing.B) {
	n := 10000
	if s := os.Getenv("ACCORD_REVIEW_REQUESTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("ACCORD_REVIEW_REQUESTS=%q: want a positive number", s)
		}
	}
	ctx := context.Background()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	dir := filepath.Join(os.TempDir(), "accord-bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("review-%d.db", n))
	if _, err := os.Stat(path); err != nil {
		h, err := synth.Generate(1, synth.Options{Requests: n, Start: start, Span: 365 * 24 * time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		self, err := federation.GenerateIdentity(h.Parties[0].ID, nil)
		if err != nil {
			b.Fatal(err)
		}
		peer, err := federation.GenerateIdentity(h.Parties[1].ID, nil)
		if err != nil {
			b.Fatal(err)
		}
		tmp := path + ".loading"
		os.Remove(tmp)
		st, err := sqlite.Open(ctx, tmp)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := synth.Load(ctx, st, self, peer, h); err != nil {
			b.Fatal(err)
		}
		st.Close()
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
		b.Logf("loaded %d requests (%d messages) in %s", n, h.Messages(), time.Since(t0).Round(time.Second))
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	end := start.AddDate(1, 0, 7)
	svc := node.New(node.Config{Store: st, Agreement: accord.DefaultAgreement(), Clock: accord.ClockFunc(func() time.Time { return end }),
		Self: "us-cert", Logger: slog.New(slog.DiscardHandler)})
	opts := report.ReviewOptions{From: start, To: start.AddDate(0, 0, 364)}

	// The raw limit: the review's query, rows scanned and dropped.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
	raw := func() (int, time.Duration) {
		t0 := time.Now()
		rows, err := db.QueryContext(ctx, `SELECT m.id, m.kind, m.sender, m.recipient, m.request_id, m.seq, m.created_at, m.body, m.digest, m.received_at,
				r.digest, r.sender, r.receiver, r.received_at
			FROM (SELECT m.request_id FROM receipts r JOIN messages m ON m.id = r.message_id
				WHERE r.received_at >= ?1 AND r.received_at < ?2 AND m.kind = 'request') reqs
			JOIN messages m ON m.request_id = reqs.request_id JOIN receipts r ON r.message_id = m.id
			WHERE r.received_at < ?2 ORDER BY m.request_id, r.received_at, m.id`, ts(start), ts(start.AddDate(0, 0, 365)))
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		cols := make([]sql.RawBytes, 14)
		ptrs := make([]any, len(cols))
		for i := range cols {
			ptrs[i] = &cols[i]
		}
		k := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
			k++
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		return k, time.Since(t0)
	}

	raw() // once unmeasured: both are then measured with the store's pages cached
	var rawTime, reviewTime time.Duration
	var peak atomic.Uint64
	var reviewed, messages int
	for i := 0; i < b.N; i++ {
		_, d := raw()
		rawTime += d
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { // sample the heap while the review runs
			defer close(done)
			var ms runtime.MemStats
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		t0 := time.Now()
		r, err := report.BuildReview(ctx, svc, accord.Actor{Name: "bench", Role: accord.RoleReviewer}, opts)
		reviewTime += time.Since(t0)
		close(stop)
		<-done
		if err != nil {
			b.Fatal(err)
		}
		reviewed, messages = r.Totals.Requests, r.Messages
	}
	b.ReportMetric(float64(reviewed)*float64(b.N)/reviewTime.Seconds(), "requests/s")
	b.ReportMetric(float64(messages)*float64(b.N)/rawTime.Seconds(), "raw-messages/s")
	b.ReportMetric(rawTime.Seconds()/reviewTime.Seconds(), "ratio")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.Logf("%d requests (%d messages) reviewed; review %s, raw read %s", reviewed, messages, reviewTime/time.Duration(b.N), rawTime/time.Duration(b.N))
}
