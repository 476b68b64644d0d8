package ledger

import (
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
)

// forkedLogs returns two ledgers that share their first 10 entries and
// then differ: a has 15 entries, b 17.
func forkedLogs(t *testing.T) (a, b *MemStore) {
	t.Helper()
	shared := testRecords(10)
	ra, rb := append([][]byte{}, shared...), append([][]byte{}, shared...)
	for i := 10; i < 17; i++ {
		if i < 15 {
			ra = append(ra, []byte(fmt.Sprintf("a %d", i)))
		}
		rb = append(rb, []byte(fmt.Sprintf("b %d", i)))
	}
	return newLedger(t, ra), newLedger(t, rb)
}

func head(t *testing.T, s Store, size int64) *Checkpoint {
	t.Helper()
	h, err := TreeHash(s, size)
	if err != nil {
		t.Fatal(err)
	}
	return &Checkpoint{Origin: testOrigin, Size: size, Hash: h}
}

func proof(t *testing.T, s Store, oldSize, newSize int64) tlog.TreeProof {
	t.Helper()
	p, err := ConsistencyProof(s, oldSize, newSize)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckUpdate(t *testing.T) {
	a, b := forkedLogs(t)
	empty := &Checkpoint{Origin: testOrigin, Size: 0, Hash: emptyHash}
	tests := []struct {
		name       string
		prev, next *Checkpoint
		proof      tlog.TreeProof
		wantCode   string
		contains   []string
	}{
		{"extends", head(t, a, 12), head(t, a, 15), proof(t, a, 12, 15), "", nil},
		{"repeats", head(t, a, 12), head(t, a, 12), nil, "", nil},
		{"from empty", empty, head(t, a, 15), nil, "", nil},
		{"empty to empty", empty, empty, nil, "", nil},
		{"fork extends the shared prefix", head(t, a, 10), head(t, b, 17), proof(t, b, 10, 17), "", nil},
		{"fork after the shared prefix", head(t, a, 12), head(t, b, 17), proof(t, b, 12, 17), accord.ECONFLICT,
			[]string{"forked", "size 17", "size 12", head(t, a, 12).Hash.String(), head(t, b, 17).Hash.String()}},
		{"fork with the honest log's proof", head(t, a, 12), head(t, b, 17), proof(t, a, 12, 15), accord.ECONFLICT,
			[]string{"forked"}},
		{"fork at the same size", head(t, a, 14), head(t, b, 14), nil, accord.ECONFLICT,
			[]string{"forked", "size 14", head(t, a, 14).Hash.String(), head(t, b, 14).Hash.String()}},
		{"rollback", head(t, a, 15), head(t, a, 12), nil, accord.ECONFLICT,
			[]string{"rolled back", "size 12", "size 15", head(t, a, 12).Hash.String(), head(t, a, 15).Hash.String()}},
		{"rollback to empty", head(t, a, 1), empty, nil, accord.ECONFLICT, []string{"rolled back"}},
		{"no proof", head(t, a, 12), head(t, a, 15), nil, accord.ECONFLICT, []string{"forked"}},
		{"proof for other sizes", head(t, a, 12), head(t, a, 15), proof(t, a, 11, 15), accord.ECONFLICT, nil},
		{"other origin", head(t, a, 12), &Checkpoint{"other", 15, head(t, a, 15).Hash}, proof(t, a, 12, 15), accord.EINVALID, nil},
		{"missing prev", nil, head(t, a, 15), nil, accord.EINVALID, nil},
		{"missing next", head(t, a, 12), nil, nil, accord.EINVALID, nil},
		{"size 0 with a hash", &Checkpoint{testOrigin, 0, head(t, a, 1).Hash}, head(t, a, 15), nil, accord.EINVALID, nil},
		{"negative size", head(t, a, 1), &Checkpoint{testOrigin, -1, emptyHash}, nil, accord.EINVALID, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckUpdate(tc.prev, tc.next, tc.proof)
			wantCode(t, "CheckUpdate", err, tc.wantCode, tc.contains...)
		})
	}
}

// TestCheckUpdateWitness plays a witness that follows one log's signed
// checkpoints and is then shown a fork of it.
func TestCheckUpdateWitness(t *testing.T) {
	signer, verifier := testLog(t)
	a, b := forkedLogs(t)
	open := func(s Store, size int64) *Checkpoint {
		msg, err := head(t, s, size).Sign(signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := OpenCheckpoint(msg, testOrigin, verifier)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	seen := open(a, 0)
	for _, size := range []int64{3, 10, 12, 15} {
		next := open(a, size)
		if err := CheckUpdate(seen, next, proof(t, a, seen.Size, size)); err != nil {
			t.Fatalf("CheckUpdate(%d -> %d) on the honest log = %v", seen.Size, size, err)
		}
		seen = next
	}
	forked := open(b, 17)
	err := CheckUpdate(seen, forked, proof(t, b, 15, 17))
	wantCode(t, "CheckUpdate(forked log)", err, accord.ECONFLICT, "size 15", "size 17")
}
