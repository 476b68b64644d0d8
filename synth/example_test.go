package synth_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/sqlite"
	"github.com/accord-cyber/accord/synth"
)

// Two nodes' stores holding a year of cooperation between us-cert and
// cncert, checked as `accord verify` checks them.
func ExampleLoadPair() {
	ctx := context.Background()
	h, err := synth.Generate(1, synth.Options{Requests: 20, Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Span: 365 * 24 * time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "synth")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var stores [2]accord.Store
	var idents [2]*federation.Identity
	for i, p := range h.Parties {
		if idents[i], err = federation.GenerateIdentity(p.ID, nil); err != nil {
			log.Fatal(err)
		}
		db, err := sqlite.Open(ctx, filepath.Join(dir, p.ID+".db"))
		if err != nil {
			log.Fatal(err)
		}
		defer db.Close()
		stores[i] = db
	}
	if err := synth.LoadPair(ctx, stores[0], stores[1], idents[0], idents[1], h); err != nil {
		log.Fatal(err)
	}
	for i, p := range h.Parties {
		svc := node.New(node.Config{Store: stores[i], Agreement: h.Agreement, Self: p.ID})
		rep, err := svc.Verify(ctx, accord.Actor{Name: "auditor", Role: accord.RoleReviewer})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: ok %v, %d ledger entries, %d messages, %d receipts\n", p.ID, rep.OK, rep.Entries, rep.Messages, rep.Receipts)
	}
	// Output:
	// us-cert: ok true, 192 ledger entries, 96 messages, 96 receipts
	// cncert: ok true, 192 ledger entries, 96 messages, 96 receipts
}
