package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/node"
)

// BenchmarkFederationDelivery measures requests delivered and receipted per
// second between two nodes on loopback — each request signed, queued and
// committed on the sender, posted over mutual TLS, verified, applied and
// committed on the recipient, its receipt signed, verified and committed on
// the sender — against, in the same run, bare mutual-TLS HTTP POST round
// trips per second over the same loopback with the same certificates and 8
// concurrent clients. b.N is the number of requests queued and then
// drained (throughput); p50/p99 are of 200 requests sent one at a time
// afterwards (latency without queueing).
func BenchmarkFederationDelivery(b *testing.B) {
	us, cn := pairHomes(b, federation.DelivererOptions{})
	ctx := context.Background()
	quietLog := slog.New(slog.DiscardHandler)
	var envs []*env
	for _, m := range []*Main{us, cn} {
		e, err := m.open(ctx, false)
		if err != nil {
			b.Fatal(err)
		}
		e.log = quietLog
		envs = append(envs, e)
	}
	ue, ce := envs[0], envs[1]
	cr, err := cn.start(ctx, ce)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { cr.stop(); ce.Close() }()
	op := accord.Actor{Name: "bench", Role: accord.RoleAdmin}
	c, err := ue.svc.CreateCase(ctx, op, node.NewCase{Title: "Botnet", Category: "malicious-code"})
	if err != nil {
		b.Fatal(err)
	}

	// Bare mutual-TLS round trips first, on the same machine state.
	rtPerSec, rtP50, rtP99 := bareMTLS(b, ue.id, ce.id, 5000)

	// Queue b.N signed requests while the sender does not deliver, then
	// time the drain: delivery, verification and commits on both sides.
	const producers = 8
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := p; i < b.N; i += producers {
				_, err := ue.svc.CreateRequest(ctx, op, node.NewRequest{CaseID: c.ID, To: "cncert", Type: accord.TypeInformation,
					Priority: accord.PriorityNormal, Subject: fmt.Sprintf("Command server %d", i), Body: "Please identify the operator."})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ResetTimer()
	if f := os.Getenv("ACCORD_DRAIN_PROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			b.Fatal(err)
		}
		pprof.StartCPUProfile(out)
	}
	cpu0 := cpuTime()
	start := time.Now()
	ur, err := us.start(ctx, ue)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { ur.stop(); ue.Close() }()
	ictx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if err := ur.deliverer.Idle(ictx, "cncert"); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	cores := (cpuTime() - cpu0).Seconds() / elapsed.Seconds()
	pprof.StopCPUProfile()
	b.StopTimer()

	// Latency, unloaded: one request at a time, from the call that records
	// it to its receipt committed on the sender (signature, commit, post,
	// verification and commit on the peer, receipt back, verification,
	// commit).
	var lat []time.Duration
	for i := 0; i < 200; i++ {
		t0 := time.Now()
		if _, err := ue.svc.CreateRequest(ctx, op, node.NewRequest{CaseID: c.ID, To: "cncert", Type: accord.TypeInformation,
			Priority: accord.PriorityNormal, Subject: fmt.Sprintf("Latency probe %d", i)}); err != nil {
			b.Fatal(err)
		}
		if err := ur.deliverer.Idle(ictx, "cncert"); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	perSec := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(perSec, "delivered/s")
	b.ReportMetric(rtPerSec, "mtls-rt/s")
	b.ReportMetric(cores, "drain-cores")
	b.ReportMetric(perSec/rtPerSec, "ratio")
	b.ReportMetric(ms(percentile(lat, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 99)), "p99-ms")
	b.ReportMetric(ms(rtP50), "mtls-p50-ms")
	b.ReportMetric(ms(rtP99), "mtls-p99-ms")
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

// bareMTLS runs n HTTP/1.1 keep-alive POSTs of 1 KiB over TLS 1.3 with
// client certificates pinned both ways, from 8 concurrent clients, and
// returns round trips per second and the p50 and p99 round trip.
func bareMTLS(b *testing.B, client, server *federation.Identity, n int) (float64, time.Duration, time.Duration) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	clientPin := client.Pin()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"ok":true}`))
	})}
	go srv.Serve(tls.NewListener(ln, federation.ServerTLSConfig(server, func(pin string) (string, bool) { return "us-cert", pin == clientPin })))
	defer srv.Close()
	tr := &http.Transport{TLSClientConfig: federation.ClientTLSConfig(client, server.Pin()), MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	body := bytes.Repeat([]byte("x"), 1024)
	url := "https://" + ln.Addr().String() + "/"
	const workers = 8
	lat := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				t0 := time.Now()
				resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	return float64(n) / elapsed.Seconds(), percentile(all, 50), percentile(all, 99)
}
