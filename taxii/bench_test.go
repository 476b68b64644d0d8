package taxii_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/sqlite"
	"github.com/accord-cyber/accord/taxii"
)

// The benchmark's store: one collection of benchObjects indicators, built
// once (a few minutes) and kept under the temporary directory for later
// runs, with the reader's token beside it.
const (
	benchObjects    = 1_000_000
	benchChunk      = 5_000
	benchCollection = "5f6e4c3b-2a19-4807-a6d5-3c4b2a190807"
	benchVersion    = "2026-01-01T00:00:00.000Z"
)

var benchBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// benchStore returns the path of the benchmark's database and the reader's
// token, building the database when it is not cached.
func benchStore(b *testing.B) (path, token string) {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "accord-bench")
	path = filepath.Join(dir, fmt.Sprintf("taxii-%d-v1.db", benchObjects))
	tokenFile := path + ".token"
	if tok, err := os.ReadFile(tokenFile); err == nil {
		return path, string(tok)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		os.Remove(f)
	}
	start := time.Now()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	svc := node.New(node.Config{Store: store, Agreement: accord.DefaultAgreement(), Self: "us-cert", Logger: quiet})
	op := accord.Actor{Name: "cli:bench", Role: accord.RoleAdmin}
	if _, err := svc.InitSelf(ctx, accord.Party{ID: "us-cert", Name: "US-CERT", Country: "US"}); err != nil {
		b.Fatal(err)
	}
	if _, _, err := svc.AddParty(ctx, op, accord.Party{ID: "cncert", Name: "CNCERT/CC", Country: "CN"}); err != nil {
		b.Fatal(err)
	}
	_, token, err = svc.AddUser(ctx, op, "reader", accord.RoleAnalyst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CreateTAXIIAPIRoot(ctx, op, accord.TAXIIAPIRoot{ID: "bench", Default: true}); err != nil {
		b.Fatal(err)
	}
	_, err = svc.CreateTAXIICollection(ctx, op, accord.TAXIICollection{ID: benchCollection, APIRoot: "bench", Title: "cncert amber", Audience: "cncert",
		MaxTLP: accord.TLPAmber, Grants: []accord.TAXIIGrant{{User: "reader", Read: true}}})
	if err != nil {
		b.Fatal(err)
	}
	// Multi-row inserts, a chunk of objects and their memberships per
	// transaction.
	for lo := 0; lo < benchObjects; lo += benchChunk {
		rows := make([]*accord.IntelObject, 0, benchChunk)
		entries := make([]*accord.CollectionEntry, 0, benchChunk)
		for i := lo; i < lo+benchChunk; i++ {
			id := fmt.Sprintf("indicator--%08x-%04x-4%03x-8%03x-%012x", i, i>>16&0xffff, i&0xfff, i>>4&0xfff, i)
			obj := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"C2 address %d",`+
				`"indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z",`+
				`"object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}`,
				id, benchVersion, benchVersion, i, i>>16&0xff, i>>8&0xff, i&0xff)
			sum := sha256.Sum256([]byte(obj))
			rows = append(rows, &accord.IntelObject{ID: id, Type: "indicator", Version: benchVersion, SpecVersion: "2.1", TLP: accord.TLPAmber,
				AddedAt: benchBase, Source: "bench", Digest: hex.EncodeToString(sum[:]), Object: json.RawMessage(obj)})
			entries = append(entries, &accord.CollectionEntry{Object: accord.ObjectKey{ID: id, Version: benchVersion},
				DateAdded: benchBase.Add(time.Duration(i) * time.Millisecond), TLP: accord.TLPAmber})
		}
		err := store.Update(ctx, func(tx accord.Tx) error {
			if err := tx.AddObjects(rows); err != nil {
				return err
			}
			return tx.AddCollectionObjects(benchCollection, entries)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := store.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "BenchmarkTAXIIPage: built %d objects in %s at %s\n", benchObjects, time.Since(start).Round(time.Second), path)
	return path, token
}

// BenchmarkTAXIIPage: a page of 1,000 objects from the middle of a
// collection of 1M through the TAXII handler (authentication, collection
// and grant checks, parameter parsing, the index range read, TLP per
// version, the envelope and its headers), against a raw SQLite read of the
// same 1,000 rows' JSON; it prints the ratio.
//
//	go test ./taxii/ -run '^$' -bench BenchmarkTAXIIPage -benchtime 200x
func BenchmarkTAXIIPage(b *testing.B) {
	path, token := benchStore(b)
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	svc := node.New(node.Config{Store: store, Agreement: accord.DefaultAgreement(), Self: "us-cert", Logger: quiet})
	h := taxii.NewHandler(svc, taxii.Options{MaxPageSize: 1000, Logger: quiet})
	after := benchBase.Add(benchObjects / 2 * time.Millisecond)
	target := "/taxii2/bench/collections/" + benchCollection + "/objects/?limit=1000&added_after=" + after.Format(time.RFC3339Nano)

	// The handler's page and the raw read must be the same rows.
	raw, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	const rawPage = `SELECT o.object FROM taxii_members m JOIN intel_objects o ON o.pos = m.object_pos
		WHERE m.collection_id = ? AND m.is_last = 1 AND m.date_added > ? ORDER BY m.date_added LIMIT 1000`
	afterText := after.Format("2006-01-02T15:04:05.000000Z")
	readRaw := func() ([]json.RawMessage, error) {
		rows, err := raw.Query(rawPage, benchCollection, afterText)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := make([]json.RawMessage, 0, 1000)
		for rows.Next() {
			var obj []byte
			if err := rows.Scan(&obj); err != nil {
				return nil, err
			}
			out = append(out, obj)
		}
		return out, rows.Err()
	}
	serve := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Accept", taxii.MediaType)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	w := serve()
	var env struct {
		More    bool
		Objects []json.RawMessage
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || w.Code != 200 {
		b.Fatalf("page: %d %v %.200s", w.Code, err, w.Body.Bytes())
	}
	want, err := readRaw()
	if err != nil {
		b.Fatal(err)
	}
	if len(env.Objects) != 1000 || !env.More || len(want) != 1000 || string(env.Objects[0]) != string(want[0]) || string(env.Objects[999]) != string(want[999]) {
		b.Fatalf("the handler's page (%d objects, more %v) is not the raw read's %d rows", len(env.Objects), env.More, len(want))
	}

	var handlerNs, rawNs float64
	b.Run("handler", func(b *testing.B) {
		for b.Loop() {
			if w := serve(); w.Code != 200 {
				b.Fatalf("page: %d", w.Code)
			}
		}
		handlerNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(1000, "objects/op")
	})
	b.Run("sqlite", func(b *testing.B) {
		for b.Loop() {
			if rows, err := readRaw(); err != nil || len(rows) != 1000 {
				b.Fatalf("raw read: %d rows, %v", len(rows), err)
			}
		}
		rawNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(1000, "objects/op")
	})
	if rawNs > 0 {
		fmt.Printf("BenchmarkTAXIIPage: %d objects stored; page of 1,000: handler %.2f ms, raw SQLite read %.2f ms, ratio %.2f\n",
			benchObjects, handlerNs/1e6, rawNs/1e6, handlerNs/rawNs)
	}
}
