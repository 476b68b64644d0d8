package ledger_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"log"
	"time"

	"github.com/accord-cyber/accord/ledger"
)

// The life of a ledger: the node appends entries and signs a checkpoint,
// the peer checks it against the last one it saw and cosigns it, the node
// checks the cosignature, and `accord verify` recomputes the tree from the
// records.
func Example() {
	// Fixed keys for a reproducible example; a node uses its own key.
	nodeKey := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	peerKey := ed25519.NewKeyFromSeed(append(make([]byte, ed25519.SeedSize-1), 1))
	const origin, witness = "us-cert.example/accord/ledger", "cncert.example/accord/witness"

	// In the transaction that stores each envelope: Record and Append.
	s := &ledger.MemStore{}
	var records [][]byte
	for i := range 3 {
		d := sha256.Sum256(fmt.Appendf(nil, "envelope %d", i))
		rec, err := ledger.Record(ledger.KindMessage, fmt.Sprintf("us-cert-M%04d", i+1), d[:])
		if err != nil {
			log.Fatal(err)
		}
		if _, err := ledger.Append(s, rec); err != nil {
			log.Fatal(err)
		}
		records = append(records, rec)
	}

	// The node signs a checkpoint of its ledger.
	signer, err := ledger.NoteSigner(origin, nodeKey)
	if err != nil {
		log.Fatal(err)
	}
	head, err := ledger.Head(s, origin)
	if err != nil {
		log.Fatal(err)
	}
	signed, err := head.Sign(signer)
	if err != nil {
		log.Fatal(err)
	}

	// The peer opens it, checks it extends the last one it cosigned (here
	// the one of size 1), and cosigns it.
	verifier, err := ledger.NoteVerifier(origin, nodeKey.Public().(ed25519.PublicKey))
	if err != nil {
		log.Fatal(err)
	}
	next, err := ledger.OpenCheckpoint(signed, origin, verifier)
	if err != nil {
		log.Fatal(err)
	}
	root1, _ := ledger.TreeHash(s, 1)
	proof, _ := ledger.ConsistencyProof(s, 1, next.Size)
	if err := ledger.CheckUpdate(&ledger.Checkpoint{Origin: origin, Size: 1, Hash: root1}, next, proof); err != nil {
		log.Fatal(err)
	}
	cosigned, err := ledger.Cosign(signed, witness, peerKey, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", cosigned)

	// The node checks the cosignature it gets back.
	at, err := ledger.VerifyCosignature(cosigned, origin, verifier, witness, peerKey.Public().(ed25519.PublicKey))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("cosigned at", at.Format(time.RFC3339))

	// accord verify: recompute the tree from the records.
	root, err := ledger.Verify(func(i int64) ([]byte, error) { return records[i], nil }, int64(len(records)), s)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ledger verified:", root == next.Hash)

	// Output:
	// us-cert.example/accord/ledger
	// 3
	// dpB35J+5iPe8PmWBmuRuJtiEbGFiEE1Sy+mgGNbMAps=
	//
	// — us-cert.example/accord/ledger V/G7IFrCSVTcom9GAZxhh5jSMuRwM9Uy44BQJEtnnJhe1vIqz3yFOtNwaC/ZhnARsFCHDsVlj7yp3xAT3Gkw+t9cGgA=
	// — cncert.example/accord/witness wskGDAAAAABppCpAIBDjpZyzC+2PS6C5GJelyK9gTHOwjN3uhtdfPXzyDy1peiy0wocTY/dZLJodVeo7b7krf4kHYakU4hTTqApcDQ==
	// cosigned at 2026-03-01T12:00:00Z
	// ledger verified: true
}
