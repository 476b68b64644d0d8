package ledger

import (
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
)

// The RFC 6962 test vectors of the Certificate Transparency reference
// implementation (certificate-transparency, cpp/merkletree/merkle_tree_test.cc),
// also used by trillian and transparency-dev/merkle.
var (
	ctLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
		"606162636465666768696a6b6c6d6e6f"}
	ctRoots = []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", // empty tree
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
)

func hexHash(t *testing.T, s string) tlog.Hash {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		t.Fatalf("bad test hash %q", s)
	}
	return tlog.Hash(b)
}

func hexHashes(t *testing.T, ss ...string) []tlog.Hash {
	out := []tlog.Hash{}
	for _, s := range ss {
		out = append(out, hexHash(t, s))
	}
	return out
}

func ctLedger(t *testing.T) *MemStore {
	t.Helper()
	var recs [][]byte
	for _, l := range ctLeaves {
		b, _ := hex.DecodeString(l)
		recs = append(recs, b)
	}
	return newLedger(t, recs)
}

func TestTreeHashRFC6962Vectors(t *testing.T) {
	s := ctLedger(t)
	for size, want := range ctRoots {
		got, err := TreeHash(s, int64(size))
		if err != nil {
			t.Fatalf("TreeHash(%d) = %v", size, err)
		}
		if got != hexHash(t, want) {
			t.Errorf("TreeHash(%d) = %x, want %s", size, got, want)
		}
	}
	head, err := Head(s, "ct")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Checkpoint{"ct", 8, hexHash(t, ctRoots[8])}); head != want {
		t.Errorf("Head() = %v, want %v", head, want)
	}
}

func TestInclusionProofRFC6962Vectors(t *testing.T) {
	s := ctLedger(t)
	tests := []struct {
		index, size int64
		path        []string
	}{
		{0, 1, nil},
		{0, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{5, 8, []string{"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 3, []string{"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
		{1, 5, []string{"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	}
	for _, tc := range tests {
		got, err := InclusionProof(s, tc.index, tc.size)
		if err != nil {
			t.Fatalf("InclusionProof(%d, %d) = %v", tc.index, tc.size, err)
		}
		if diff := cmp.Diff(tlog.RecordProof(hexHashes(t, tc.path...)), got); diff != "" {
			t.Errorf("InclusionProof(%d, %d) (-want +got):\n%s", tc.index, tc.size, diff)
		}
		leaf, _ := hex.DecodeString(ctLeaves[tc.index])
		if err := CheckInclusion(got, tc.size, hexHash(t, ctRoots[tc.size]), tc.index, leaf); err != nil {
			t.Errorf("CheckInclusion(%d, %d) = %v", tc.index, tc.size, err)
		}
	}
}

func TestConsistencyProofRFC6962Vectors(t *testing.T) {
	s := ctLedger(t)
	tests := []struct {
		oldSize, newSize int64
		proof            []string
	}{
		{1, 1, nil},
		{1, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{6, 8, []string{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 5, []string{"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
		{0, 8, nil},
	}
	for _, tc := range tests {
		got, err := ConsistencyProof(s, tc.oldSize, tc.newSize)
		if err != nil {
			t.Fatalf("ConsistencyProof(%d, %d) = %v", tc.oldSize, tc.newSize, err)
		}
		if diff := cmp.Diff(tlog.TreeProof(hexHashes(t, tc.proof...)), got); diff != "" {
			t.Errorf("ConsistencyProof(%d, %d) (-want +got):\n%s", tc.oldSize, tc.newSize, diff)
		}
		err = CheckConsistency(got, tc.newSize, hexHash(t, ctRoots[tc.newSize]), tc.oldSize, hexHash(t, ctRoots[tc.oldSize]))
		if err != nil {
			t.Errorf("CheckConsistency(%d, %d) = %v", tc.oldSize, tc.newSize, err)
		}
	}
}

func TestProofArguments(t *testing.T) {
	s := newLedger(t, testRecords(10))
	root, _ := TreeHash(s, 10)
	root4, _ := TreeHash(s, 4)
	p, _ := InclusionProof(s, 3, 10)
	cp, _ := ConsistencyProof(s, 4, 10)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"TreeHash(-1)", second(TreeHash(s, -1)), accord.EINVALID},
		{"TreeHash(11)", second(TreeHash(s, 11)), accord.EINVALID},
		{"InclusionProof(10, 10)", second(InclusionProof(s, 10, 10)), accord.EINVALID},
		{"InclusionProof(-1, 10)", second(InclusionProof(s, -1, 10)), accord.EINVALID},
		{"InclusionProof(0, 11)", second(InclusionProof(s, 0, 11)), accord.EINVALID},
		{"InclusionProof(0, 0)", second(InclusionProof(s, 0, 0)), accord.EINVALID},
		{"ConsistencyProof(5, 4)", second(ConsistencyProof(s, 5, 4)), accord.EINVALID},
		{"ConsistencyProof(-1, 4)", second(ConsistencyProof(s, -1, 4)), accord.EINVALID},
		{"ConsistencyProof(4, 11)", second(ConsistencyProof(s, 4, 11)), accord.EINVALID},
		{"CheckInclusion ok", CheckInclusion(p, 10, root, 3, testRecord(3)), ""},
		{"CheckInclusion other record", CheckInclusion(p, 10, root, 3, testRecord(4)), accord.EINVALID},
		{"CheckInclusion other index", CheckInclusion(p, 10, root, 2, testRecord(3)), accord.EINVALID},
		{"CheckInclusion other root", CheckInclusion(p, 10, root4, 3, testRecord(3)), accord.EINVALID},
		{"CheckInclusion other size", CheckInclusion(p, 4, root, 3, testRecord(3)), accord.EINVALID},
		{"CheckInclusion short proof", CheckInclusion(p[1:], 10, root, 3, testRecord(3)), accord.EINVALID},
		{"CheckConsistency ok", CheckConsistency(cp, 10, root, 4, root4), ""},
		{"CheckConsistency swapped roots", CheckConsistency(cp, 10, root4, 4, root), accord.EINVALID},
		{"CheckConsistency other old size", CheckConsistency(cp, 10, root, 5, root4), accord.EINVALID},
		{"CheckConsistency sizes reversed", CheckConsistency(cp, 4, root4, 10, root), accord.EINVALID},
		{"CheckConsistency equal", CheckConsistency(nil, 10, root, 10, root), ""},
		{"CheckConsistency equal sizes, other roots", CheckConsistency(nil, 10, root, 10, root4), accord.EINVALID},
		{"CheckConsistency from empty", CheckConsistency(nil, 10, root, 0, emptyHash), ""},
		{"CheckConsistency from empty, bad root", CheckConsistency(nil, 10, root, 0, root4), accord.EINVALID},
		{"CheckConsistency from empty, proof given", CheckConsistency(cp, 10, root, 0, emptyHash), accord.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.name, tc.err, tc.want) })
	}
}

func second[T any](_ T, err error) error { return err }

// TestProofsProperty appends random records and checks every tree hash,
// every inclusion proof and every consistency proof of every prefix, with
// tlog's own checks and with this package's, and that AppendMany in
// random batches gives the same table as Append.
func TestProofsProperty(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	const n = 70
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = make([]byte, rng.IntN(200))
		for j := range recs[i] {
			recs[i][j] = byte(rng.UintN(256))
		}
	}
	s := newLedger(t, recs)

	batched := &MemStore{}
	for i := 0; i < n; {
		k := min(n-i, 1+rng.IntN(9))
		first, err := AppendMany(batched, recs[i:i+k])
		if err != nil || first != int64(i) {
			t.Fatalf("AppendMany(entries %d..%d) = %d, %v; want %d", i, i+k-1, first, err, i)
		}
		i += k
	}
	if diff := cmp.Diff(s.hashes, batched.hashes); diff != "" {
		t.Fatalf("AppendMany table differs from Append's (-Append +AppendMany):\n%s", diff)
	}

	roots := make([]tlog.Hash, n+1)
	for size := int64(0); size <= n; size++ {
		r, err := TreeHash(s, size)
		if err != nil {
			t.Fatal(err)
		}
		roots[size] = r
		// An independent ledger of just this prefix has the same root.
		if size%10 == 0 {
			if r2, _ := TreeHash(newLedger(t, recs[:size]), size); r2 != r {
				t.Fatalf("TreeHash(%d) = %s, but the prefix alone gives %s", size, r, r2)
			}
		}
	}
	for size := int64(1); size <= n; size++ {
		for i := int64(0); i < size; i++ {
			p, err := InclusionProof(s, i, size)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d) = %v", i, size, err)
			}
			if err := tlog.CheckRecord(p, size, roots[size], i, tlog.RecordHash(recs[i])); err != nil {
				t.Fatalf("tlog.CheckRecord(InclusionProof(%d, %d)) = %v", i, size, err)
			}
			if err := CheckInclusion(p, size, roots[size], i, recs[i]); err != nil {
				t.Fatalf("CheckInclusion(%d, %d) = %v", i, size, err)
			}
			if other := (i + 1) % size; other != i && !bytesEqual(recs[other], recs[i]) {
				if CheckInclusion(p, size, roots[size], i, recs[other]) == nil {
					t.Fatalf("CheckInclusion(%d, %d) accepted the record of entry %d", i, size, other)
				}
			}
		}
		for old := int64(0); old <= size; old++ {
			p, err := ConsistencyProof(s, old, size)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d) = %v", old, size, err)
			}
			if old > 0 {
				if err := tlog.CheckTree(p, size, roots[size], old, roots[old]); err != nil {
					t.Fatalf("tlog.CheckTree(ConsistencyProof(%d, %d)) = %v", old, size, err)
				}
			}
			if err := CheckConsistency(p, size, roots[size], old, roots[old]); err != nil {
				t.Fatalf("CheckConsistency(%d, %d) = %v", old, size, err)
			}
			prev, next := &Checkpoint{"o", old, roots[old]}, &Checkpoint{"o", size, roots[size]}
			if err := CheckUpdate(prev, next, p); err != nil {
				t.Fatalf("CheckUpdate(%d -> %d) = %v", old, size, err)
			}
			if old > 0 && old < size && CheckConsistency(p, size, roots[size], old, roots[old-1]) == nil {
				t.Fatalf("CheckConsistency(%d, %d) accepted the root of size %d", old, size, old-1)
			}
		}
	}
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }
