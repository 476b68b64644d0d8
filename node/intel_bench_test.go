package node_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/sqlite"
)

// genUUID is a well-formed UUIDv4 made from a counter, so that generated
// bundles are the same every run.
func genUUID(n int) string {
	h := fmt.Sprintf("%032x", uint64(n)*0x9E3779B97F4A7C15)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

// genObject returns the i-th object of a generated bundle: alternately an
// indicator of a command server's address and the address itself.
func genObject(i int) string {
	ip := fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)
	if i%2 == 0 {
		return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"C2 %d","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}`,
			genUUID(i), i, ip)
	}
	return fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--%s","value":"%s"}`, genUUID(i), ip)
}

// bundleReader streams a bundle of n generated objects without holding it.
type bundleReader struct {
	n, i int
	buf  bytes.Buffer
	done bool
}

func (r *bundleReader) Read(p []byte) (int, error) {
	for r.buf.Len() < len(p) && !r.done {
		switch {
		case r.i == 0:
			r.buf.WriteString(`{"type":"bundle","id":"bundle--` + genUUID(-1) + `","objects":[`)
		case r.i > r.n:
			r.buf.WriteString("]}")
			r.done = true
			continue
		}
		if r.i > 0 && r.i <= r.n {
			if r.i > 1 {
				r.buf.WriteByte(',')
			}
			r.buf.WriteString(genObject(r.i - 1))
		}
		r.i++
	}
	if r.buf.Len() == 0 {
		return 0, io.EOF
	}
	return r.buf.Read(p)
}

// BenchmarkImportSTIX imports a generated bundle (ACCORD_IMPORT_OBJECTS
// objects, default 1,000,000) into a case as a stream — parse, validate,
// check against what is held, store, link, extract observables — and, in
// the same run, inserts the same objects' rows into an empty database of
// the same schema with bare multi-row INSERTs in one transaction (the raw
// limit). It reports both rates, their ratio and the peak Go heap during
// the import.
func BenchmarkImportSTIX(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("ACCORD_IMPORT_OBJECTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		store, err := sqlite.Open(ctx, filepath.Join(dir, "accord.db"))
		if err != nil {
			b.Fatal(err)
		}
		svc := node.New(node.Config{Store: store, Agreement: accord.DefaultAgreement(), Clock: accord.SystemClock{}, Self: "us-cert", Logger: quiet})
		if _, err := svc.InitSelf(ctx, accord.Party{ID: "us-cert", Name: "US-CERT", Country: "US"}); err != nil {
			b.Fatal(err)
		}
		var peak atomic.Uint64
		stop := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
				}
			}
		}()
		runtime.GC()
		t0 := time.Now()
		rep, err := svc.ImportSTIX(ctx, analyst, &bundleReader{n: n}, node.ImportOptions{Source: "bench", NewCase: node.NewCase{Title: "feed", Category: "other"}})
		elapsed := time.Since(t0)
		close(stop)
		store.Close()
		if err != nil || rep.Added != n {
			b.Fatalf("import: %+v, %v", rep, err)
		}
		raw := rawInsert(b, filepath.Join(dir, "raw.db"), n)
		perSec := float64(n) / elapsed.Seconds()
		rawPerSec := float64(n) / raw.Seconds()
		b.ReportMetric(perSec, "objects/s")
		b.ReportMetric(rawPerSec, "raw-rows/s")
		b.ReportMetric(perSec/rawPerSec, "ratio")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	}
}

// rawInsert creates the schema in a new database and inserts the rows of n
// generated objects with 500-row INSERTs in one transaction.
func rawInsert(b *testing.B, path string, n int) time.Duration {
	b.Helper()
	s, err := sqlite.Open(context.Background(), path) // the same schema and indexes
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	const per = 500
	stmt := "INSERT INTO intel_objects (id, version, type, spec_version, tlp, added_at, source, digest, object) VALUES " +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?), ", per), ", ")
	t0 := time.Now()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	ps, err := tx.Prepare(stmt)
	if err != nil {
		b.Fatal(err)
	}
	args := make([]any, 0, 9*per)
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
	for i := 0; i < n; i++ {
		obj := genObject(i)
		typ, version, tlp := "ipv4-addr", "", ""
		if i%2 == 0 {
			typ, version, tlp = "indicator", "2026-01-01T00:00:00.000Z", "green"
		}
		sum := sha256.Sum256([]byte(obj))
		args = append(args, typ+"--"+genUUID(i), version, typ, "2.1", tlp, now, "bench", hex.EncodeToString(sum[:]), obj)
		if len(args) == cap(args) {
			if _, err := ps.Exec(args...); err != nil {
				b.Fatal(err)
			}
			args = args[:0]
		}
	}
	for len(args) > 0 { // the rest, one row at a time
		if _, err := tx.Exec("INSERT INTO intel_objects (id, version, type, spec_version, tlp, added_at, source, digest, object) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", args[:9]...); err != nil {
			b.Fatal(err)
		}
		args = args[9:]
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return time.Since(t0)
}

// BenchmarkCorrelate looks up random addresses among 1,000,000 observables
// (ACCORD_CORRELATE_OBSERVABLES) held in 1,000 cases — addresses and /24
// networks — with Service.Correlate (the address itself and the 32
// networks that could hold it, one query), and in the same run a bare
// indexed SELECT of one (kind, value) from the same table; it reports p50
// and p99 of both.
func BenchmarkCorrelate(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("ACCORD_CORRELATE_OBSERVABLES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "accord.db")
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	svc := node.New(node.Config{Store: store, Agreement: accord.DefaultAgreement(), Clock: accord.SystemClock{}, Self: "us-cert", Logger: quiet})
	if _, err := svc.InitSelf(ctx, accord.Party{ID: "us-cert", Name: "US-CERT", Country: "US"}); err != nil {
		b.Fatal(err)
	}
	const cases = 1000
	var caseIDs []string
	for c := 0; c < cases; c++ {
		k, err := svc.CreateCase(ctx, analyst, node.NewCase{Title: fmt.Sprintf("case %d", c), Category: "other"})
		if err != nil {
			b.Fatal(err)
		}
		caseIDs = append(caseIDs, k.ID)
	}
	// Observables straight into the store, a transaction per 100,000.
	addr := func(i int) string { return fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255) }
	for lo := 0; lo < n; lo += 100_000 {
		err := store.Update(ctx, func(tx accord.Tx) error {
			var obs []*accord.Observable
			links := map[string][]string{}
			for i := lo; i < min(lo+100_000, n); i++ {
				id := "ipv4-addr--" + genUUID(i)
				raw := addr(i * 7)
				if i%10 == 0 {
					raw = fmt.Sprintf("10.%d.%d.0/24", (i>>16)&255, (i>>8)&255)
				}
				o, _ := normalizeForBench(raw)
				o.ObjectID = id
				obs = append(obs, &o)
				c := caseIDs[i%cases]
				links[c] = append(links[c], id)
			}
			if err := tx.AddObservables(obs); err != nil {
				return err
			}
			for c, ids := range links {
				if err := tx.LinkObjects(c, ids); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	raw, err := db.Prepare(`SELECT object_id FROM observables WHERE kind = ? AND value = ?`)
	if err != nil {
		b.Fatal(err)
	}
	var lat, rawLat []time.Duration
	hits := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ip := addr((i * 7919) % (n * 7))
		t0 := time.Now()
		hs, err := svc.Correlate(ctx, reviewer, accord.ObsIP, ip)
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		hits += len(hs)
		t0 = time.Now()
		rows, err := raw.Query("ip", ip)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		rows.Close()
		rawLat = append(rawLat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	slices.Sort(rawLat)
	pct := func(ds []time.Duration, p int) float64 {
		return float64(ds[min(len(ds)-1, len(ds)*p/100)]) / float64(time.Microsecond)
	}
	b.ReportMetric(pct(lat, 50), "p50-µs")
	b.ReportMetric(pct(lat, 99), "p99-µs")
	b.ReportMetric(pct(rawLat, 50), "raw-p50-µs")
	b.ReportMetric(pct(rawLat, 99), "raw-p99-µs")
	b.ReportMetric(pct(lat, 99)/pct(rawLat, 99), "p99-ratio")
	b.ReportMetric(float64(hits)/float64(b.N), "hits/lookup")
}

// normalizeForBench builds the observable of an address or network as the
// node does (node's normalisation is internal).
func normalizeForBench(raw string) (accord.Observable, error) {
	p, err := netip.ParsePrefix(raw)
	if err != nil {
		a, err := netip.ParseAddr(raw)
		if err != nil {
			return accord.Observable{}, err
		}
		p = netip.PrefixFrom(a, 32)
	}
	a16 := p.Addr().As16()
	o := accord.Observable{Kind: accord.ObsCIDR, Value: p.String(), Addr: a16[:], Bits: p.Bits() + 96}
	if p.Bits() == 32 {
		o.Kind, o.Value = accord.ObsIP, p.Addr().String()
	}
	return o, nil
}
