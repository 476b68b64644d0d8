package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

// TestTAXIIQueryPlans: the pages a TAXII client walks through a large
// collection read an index range from the cursor on (SEARCH … USING
// INDEX with date_added>?), never the whole collection (SCAN) and never a
// sort (USE TEMP B-TREE).
func TestTAXIIQueryPlans(t *testing.T) {
	db, err := Open(context.Background(), t.TempDir()+"/plan.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	after := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tcs := []struct {
		name string
		q    accord.CollectionQuery
		want string
	}{
		// The key or the partial index of last versions, as the statistics say.
		{"default: last versions", accord.CollectionQuery{Versions: []string{"last"}}, "(collection_id=? AND date_added>?)"},
		{"all versions", accord.CollectionQuery{Versions: []string{"all"}, SpecVersions: []string{"2.1"}}, "USING PRIMARY KEY (collection_id=? AND date_added>?)"},
		{"first versions", accord.CollectionQuery{Versions: []string{"first"}}, "USING PRIMARY KEY (collection_id=? AND date_added>?)"},
		{"one type", accord.CollectionQuery{Versions: []string{"last"}, Types: []string{"indicator"}}, "(collection_id=? AND "},
		{"one object", accord.CollectionQuery{Versions: []string{"all"}, ObjectID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "(collection_id=? AND "},
	}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Collection, tc.q.After, tc.q.Limit = "c", after, 1000
			text, args, err := collectionQuery(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.r.Query("EXPLAIN QUERY PLAN "+text, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				rows.Scan(&id, &parent, &notused, &detail)
				plan = append(plan, detail)
			}
			rows.Close()
			all := strings.Join(plan, "\n")
			if !strings.Contains(plan[0], tc.want) && !strings.Contains(all, "SEARCH m "+tc.want) {
				t.Errorf("plan of %s:\n%s\nwant the outer read SEARCH m %s", tc.name, all, tc.want)
			}
			if strings.Contains(all, "SCAN m") || strings.Contains(all, "TEMP B-TREE") {
				t.Errorf("plan of %s scans or sorts:\n%s", tc.name, all)
			}
		})
	}
}

// TestTAXIIWritePlans: adding a chunk of versions to a large collection
// reads only the rows of the versions and objects named, through indexes,
// never the collection (that made building a collection of 1M quadratic).
func TestTAXIIWritePlans(t *testing.T) {
	db, err := Open(context.Background(), t.TempDir()+"/plan.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"resolve":   {sqlTAXIIResolve, []any{`[["a","b"]]`}},
		"held":      {sqlTAXIIHeld, []any{"c", `[1,2]`}},
		"last date": {sqlTAXIILastAdded, []any{"c"}},
		"flags":     {sqlTAXIIFlags, []any{"c", `["a"]`}},
	} {
		rows, err := db.w.Query("EXPLAIN QUERY PLAN "+q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "\n")
		for _, line := range plan {
			if strings.HasPrefix(line, "SCAN") && !strings.Contains(line, "VIRTUAL TABLE") ||
				strings.Contains(line, "(collection_id=?)") && name != "last date" {
				t.Errorf("plan of %s reads more than the rows named:\n%s", name, all)
				break
			}
		}
	}
}
