package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/google/go-cmp/cmp"
	"iter"
	"strconv"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/ledger"
)

func ledgerTests() []test {
	return []test{
		{"Empty", testLedgerEmpty},
		{"RoundTrip", testLedgerRoundTrip},
		{"FirstNotSize", testLedgerFirstNotSize},
		{"Duplicate", testLedgerDuplicate},
		{"Invalid", testLedgerInvalid},
		{"HashesOrder", testLedgerHashesOrder},
		{"HashesMissing", testLedgerHashesMissing},
		{"EntriesFrom", testLedgerEntriesFrom},
		{"EntriesStop", testLedgerEntriesStop},
		{"EntryIndex", testLedgerEntryIndex},
		{"CheckpointRoundTrip", testCheckpointRoundTrip},
		{"Alarms", testLedgerAlarms},
		{"CheckpointDuplicate", testCheckpointDuplicate},
		{"CheckpointInvalid", testCheckpointInvalid},
		{"LatestCheckpoint", testLatestCheckpoint},
		{"CheckpointsOrder", testCheckpointsOrder},
		{"SetCosigned", testSetCosigned},
		{"SetCosignedMissing", testSetCosignedMissing},
		{"RollsBack", testLedgerRollsBack},
		{"ViewCannotWrite", testLedgerViewCannotWrite},
		{"Verify", testLedgerVerify},
	}
}

// ---- fixtures ----

// opaqueRecord returns the bytes of the i-th test record. The store keeps
// records opaque: they include a zero byte and bytes that are not UTF-8,
// which a store keeping them as text would lose.
func opaqueRecord(i int) []byte {
	return append([]byte{0x00, 0xff, 0xfe, byte(i)}, fmt.Sprintf("record %d «✓»\n", i)...)
}

// opaqueRecords returns opaqueRecord(from) to opaqueRecord(to-1).
func opaqueRecords(from, to int) [][]byte {
	out := [][]byte{}
	for i := from; i < to; i++ {
		out = append(out, opaqueRecord(i))
	}
	return out
}

// fakeHash returns the 32 bytes standing for the stored hash at index x.
// Stores keep hashes and check none: they need not be a tree's.
func fakeHash(x int64) [32]byte {
	return sha256.Sum256([]byte("stored hash " + strconv.FormatInt(x, 10)))
}

// hashRange returns the indexes from to to-1 and their fake hashes.
func hashRange(from, to int64) ([]int64, [][32]byte) {
	indexes, hashes := []int64{}, [][32]byte{}
	for x := from; x < to; x++ {
		indexes = append(indexes, x)
		hashes = append(hashes, fakeHash(x))
	}
	return indexes, hashes
}

// addEntries stores records from first with the fake hashes from hashFrom
// to hashTo-1, in one Update.
func addEntries(t *testing.T, s accord.Store, first int64, records [][]byte, hashFrom, hashTo int64) {
	t.Helper()
	indexes, hashes := hashRange(hashFrom, hashTo)
	update(t, s, func(tx accord.Tx) error { return tx.AddLedgerEntries(first, records, indexes, hashes) })
}

// seedLedger stores n opaque records, each with two fake hashes (entry i
// has hashes 2i and 2i+1), and returns the records.
func seedLedger(t *testing.T, s accord.Store, n int) [][]byte {
	t.Helper()
	records := opaqueRecords(0, n)
	addEntries(t, s, 0, records, 0, 2*int64(n))
	return records
}

// ledgerEntry is an entry as LedgerEntries passes it.
type ledgerEntry struct {
	Index  int64
	Record []byte
}

// entriesFrom returns the entries LedgerEntries(from) passes to its
// function, failing the test on an error.
func entriesFrom(t *testing.T, tx accord.Tx, from int64) []ledgerEntry {
	t.Helper()
	got := []ledgerEntry{}
	err := tx.LedgerEntries(from, func(i int64, rec []byte) error {
		got = append(got, ledgerEntry{i, rec})
		return nil
	})
	if err != nil {
		t.Fatalf("LedgerEntries(%d): %v", from, err)
	}
	return got
}

// entries returns records as ledgerEntries numbered from first.
func entries(first int64, records [][]byte) []ledgerEntry {
	out := []ledgerEntry{}
	for i, rec := range records {
		out = append(out, ledgerEntry{first + int64(i), rec})
	}
	return out
}

// ledgerSize returns LedgerSize, failing the test on an error.
func ledgerSize(t *testing.T, tx accord.Tx) int64 {
	t.Helper()
	n, err := tx.LedgerSize()
	if err != nil {
		t.Fatalf("LedgerSize: %v", err)
	}
	return n
}

// checkLedger reports anything but records as the stored entries, and
// anything but the fake hashes 0 to hashes-1 as the stored hashes (with
// none stored at index hashes).
func checkLedger(t *testing.T, s accord.Store, after string, records [][]byte, hashes int64) {
	t.Helper()
	view(t, s, func(tx accord.Tx) error {
		if n := ledgerSize(t, tx); n != int64(len(records)) {
			t.Errorf("after %s: LedgerSize = %d, want %d", after, n, len(records))
		}
		checkDiff(t, "LedgerEntries(0) after "+after, entries(0, records), entriesFrom(t, tx, 0))
		indexes, want := hashRange(0, hashes)
		got, err := tx.LedgerHashes(indexes)
		if err != nil {
			t.Fatalf("after %s: LedgerHashes(0 to %d): %v", after, hashes-1, err)
		}
		checkDiff(t, "LedgerHashes after "+after, want, got)
		_, err = tx.LedgerHashes([]int64{hashes})
		checkCode(t, fmt.Sprintf("after %s: LedgerHashes(%d)", after, hashes), err, accord.ENOTFOUND)
		return nil
	})
}

// newCheckpoint returns a checkpoint of party's log at size with every
// field set. Note and Cosigned are shaped like C2SP signed notes; the store
// keeps them opaque and checks no signature.
func newCheckpoint(party string, size int64) *accord.StoredCheckpoint {
	hash := sha256.Sum256([]byte(fmt.Sprintf("root of %s at %d", party, size)))
	note := fmt.Appendf(nil, "example.com/%s/log\n%d\n%s\n\n— example.com/%s/log %s\n",
		party, size, b64(hash[:]), party, b64(fakeJWS(hash[:])))
	cosigned := fmt.Appendf(bytes.Clone(note), "— example.com/witness %s\n", b64(hash[8:]))
	created := at(time.Duration(size)*time.Minute + time.Microsecond)
	return &accord.StoredCheckpoint{
		Party: party, Size: size, Hash: hash, Note: note,
		Cosigned: cosigned, CosignedAt: elsewhere(created.Add(time.Second + time.Microsecond)),
		CreatedAt: elsewhere(created),
	}
}

// uncosigned returns a copy of c without a cosignature, as the node first
// stores it.
func uncosigned(c *accord.StoredCheckpoint) *accord.StoredCheckpoint {
	u := *c
	u.Cosigned, u.CosignedAt = nil, time.Time{}
	return &u
}

// addCheckpoints stores cs in one Update, in order.
func addCheckpoints(t *testing.T, s accord.Store, cs ...*accord.StoredCheckpoint) {
	t.Helper()
	update(t, s, func(tx accord.Tx) error {
		for _, c := range cs {
			if err := tx.AddCheckpoint(c); err != nil {
				return err
			}
		}
		return nil
	})
}

// getCheckpoints returns Checkpoints(party), failing the test on an error.
func getCheckpoints(t *testing.T, s accord.Store, party string) []*accord.StoredCheckpoint {
	t.Helper()
	var got []*accord.StoredCheckpoint
	view(t, s, func(tx accord.Tx) (err error) {
		got, err = tx.Checkpoints(party)
		return err
	})
	return got
}

// ---- entries and hashes ----

func testLedgerEmpty(t *testing.T, s accord.Store) {
	view(t, s, func(tx accord.Tx) error {
		if n := ledgerSize(t, tx); n != 0 {
			t.Errorf("LedgerSize of an empty store = %d, want 0", n)
		}
		checkEmpty(t, "LedgerEntries(0) of an empty store", entriesFrom(t, tx, 0))
		for _, indexes := range [][]int64{nil, {}} {
			got, err := tx.LedgerHashes(indexes)
			if err != nil {
				t.Fatalf("LedgerHashes(%#v): %v", indexes, err)
			}
			checkEmpty(t, fmt.Sprintf("LedgerHashes(%#v)", indexes), got)
		}
		_, err := tx.LedgerHashes([]int64{0})
		checkCode(t, "LedgerHashes([0]) of an empty store", err, accord.ENOTFOUND)
		_, err = tx.LedgerEntryIndex(opaqueRecord(0))
		checkCode(t, "LedgerEntryIndex of an empty store", err, accord.ENOTFOUND)
		return nil
	})
	// Appending nothing is allowed and changes nothing.
	update(t, s, func(tx accord.Tx) error { return tx.AddLedgerEntries(0, nil, nil, nil) })
	checkLedger(t, s, "adding no entries", [][]byte{}, 0)
}

func testLedgerRoundTrip(t *testing.T, s accord.Store) {
	first, second := opaqueRecords(0, 3), opaqueRecords(3, 5)
	// Hashes are not one per entry: an append stores one leaf hash and the
	// hashes of the subtrees it completes.
	addEntries(t, s, 0, first, 0, 4)
	update(t, s, func(tx accord.Tx) error {
		if n := ledgerSize(t, tx); n != 3 {
			t.Errorf("LedgerSize after 3 entries = %d, want 3", n)
		}
		indexes, hashes := hashRange(4, 7)
		if err := tx.AddLedgerEntries(3, second[:1], indexes[:1], hashes[:1]); err != nil {
			return err
		}
		// The size counts the entries just added in the same transaction.
		if n := ledgerSize(t, tx); n != 4 {
			t.Errorf("LedgerSize within the transaction after a fourth entry = %d, want 4", n)
		}
		return tx.AddLedgerEntries(4, second[1:], indexes[1:], hashes[1:])
	})
	checkLedger(t, s, "two appends", append(first, second...), 7)
	view(t, s, func(tx accord.Tx) error {
		// Spelled out: the bytes must come back exactly.
		for _, e := range entriesFrom(t, tx, 0) {
			if want := opaqueRecord(int(e.Index)); !bytes.Equal(e.Record, want) {
				t.Errorf("LedgerEntries: entry %d = %q, want %q byte for byte", e.Index, e.Record, want)
			}
		}
		return nil
	})
}

func testLedgerFirstNotSize(t *testing.T, s accord.Store) {
	records := seedLedger(t, s, 2)
	next := opaqueRecords(2, 3)
	indexes, hashes := hashRange(4, 6)
	tests := []struct {
		name    string
		first   int64
		indexes []int64
		hashes  [][32]byte
	}{
		{"first 0 (overwriting)", 0, indexes, hashes},
		{"first 1 (overwriting)", 1, indexes, hashes},
		{"first 3 (a gap)", 3, indexes, hashes},
		{"first -1", -1, indexes, hashes},
		{"more indexes than hashes", 2, indexes, hashes[:1]},
		{"more hashes than indexes", 2, indexes[:1], hashes},
	}
	for _, tc := range tests {
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddLedgerEntries(tc.first, next, tc.indexes, tc.hashes) })
		checkCode(t, "AddLedgerEntries with "+tc.name, err, accord.EINVALID)
	}
	checkLedger(t, s, "refused appends", records, 4)
}

func testLedgerDuplicate(t *testing.T, s accord.Store) {
	records := seedLedger(t, s, 3)
	next := opaqueRecords(3, 5)
	tests := []struct {
		name    string
		records [][]byte
		indexes []int64
	}{
		{"a stored hash index", next, []int64{6, 7, 5}},
		{"a hash index twice", next, []int64{6, 7, 7}},
		{"a stored record", [][]byte{next[0], records[1]}, []int64{6, 7, 8}},
		{"a record twice", [][]byte{next[0], next[0]}, []int64{6, 7, 8}},
	}
	for _, tc := range tests {
		hashes := [][32]byte{}
		for _, x := range tc.indexes {
			hashes = append(hashes, fakeHash(100+x)) // not the stored value
		}
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddLedgerEntries(3, tc.records, tc.indexes, hashes) })
		checkCode(t, "AddLedgerEntries with "+tc.name, err, accord.ECONFLICT)
	}
	checkLedger(t, s, "refused duplicates", records, 6)
	view(t, s, func(tx accord.Tx) error {
		_, err := tx.LedgerEntryIndex(next[0])
		checkCode(t, "LedgerEntryIndex of a record refused as part of a duplicate", err, accord.ENOTFOUND)
		return nil
	})
}

func testLedgerInvalid(t *testing.T, s accord.Store) {
	records := seedLedger(t, s, 1)
	tests := []struct {
		name    string
		records [][]byte
		indexes []int64
	}{
		{"an empty record", [][]byte{opaqueRecord(1), {}}, []int64{2, 3}},
		{"a nil record", [][]byte{nil}, []int64{2}},
		{"a negative hash index", [][]byte{opaqueRecord(1)}, []int64{2, -3}},
	}
	for _, tc := range tests {
		_, hashes := hashRange(2, 2+int64(len(tc.indexes)))
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddLedgerEntries(1, tc.records, tc.indexes, hashes) })
		checkCode(t, "AddLedgerEntries with "+tc.name, err, accord.EINVALID)
	}
	checkLedger(t, s, "refused values", records, 2)
}

func testLedgerHashesOrder(t *testing.T, s accord.Store) {
	seedLedger(t, s, 5)
	// Runs and single indexes, descending, repeated: what tlog asks for.
	tests := [][]int64{
		{7, 2, 3, 4, 0, 9, 9, 1},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{5},
		{3, 4, 3, 4},
	}
	view(t, s, func(tx accord.Tx) error {
		for _, indexes := range tests {
			want := [][32]byte{}
			for _, x := range indexes {
				want = append(want, fakeHash(x))
			}
			got, err := tx.LedgerHashes(indexes)
			if err != nil {
				t.Fatalf("LedgerHashes(%v): %v", indexes, err)
			}
			checkDiff(t, fmt.Sprintf("LedgerHashes(%v)", indexes), want, got)
		}
		return nil
	})
}

func testLedgerHashesMissing(t *testing.T, s accord.Store) {
	seedLedger(t, s, 5) // hashes 0 to 9
	tests := []struct {
		indexes []int64
		want    string // the first missing index, as named
	}{
		{[]int64{3, 41, 57}, "41"},
		{[]int64{57, 3, 41}, "57"},
		{[]int64{8, 9, 10, 11}, "10"},
		{[]int64{23, 24, 25, 2}, "23"},
		{[]int64{-1}, "-1"},
		{[]int64{0, 1, 33, 2}, "33"},
	}
	for _, tc := range tests {
		call := fmt.Sprintf("LedgerHashes(%v)", tc.indexes)
		err := tryView(s, func(tx accord.Tx) error {
			got, err := tx.LedgerHashes(tc.indexes)
			if got != nil {
				t.Errorf("%s = %d hashes, want nil with the error", call, len(got))
			}
			return err
		})
		checkCode(t, call, err, accord.ENOTFOUND)
		checkMessage(t, call, err, tc.want)
	}
}

func testLedgerEntriesFrom(t *testing.T, s accord.Store) {
	records := seedLedger(t, s, 6)
	view(t, s, func(tx accord.Tx) error {
		for _, from := range []int64{0, 1, 4, 5} {
			checkDiff(t, fmt.Sprintf("LedgerEntries(%d)", from), entries(from, records[from:]), entriesFrom(t, tx, from))
		}
		for _, from := range []int64{6, 100} {
			checkEmpty(t, fmt.Sprintf("LedgerEntries(%d) past the end", from), entriesFrom(t, tx, from))
		}
		return nil
	})
}

func testLedgerEntriesStop(t *testing.T, s accord.Store) {
	seedLedger(t, s, 6)
	errStop := errors.New("stop")
	codedStop := accord.Errorf(accord.ECONFLICT, "stop")
	for _, want := range []error{errStop, codedStop} {
		view(t, s, func(tx accord.Tx) error {
			var seen []int64
			err := tx.LedgerEntries(1, func(i int64, rec []byte) error {
				seen = append(seen, i)
				if i == 3 {
					return want
				}
				return nil
			})
			// The very error: not wrapped, not translated.
			if err != want {
				t.Errorf("LedgerEntries stopped by %#v = %#v, want the function's error unchanged", want, err)
			}
			checkDiff(t, "indexes LedgerEntries passed before the function stopped it", []int64{1, 2, 3}, seen)
			// The transaction is still usable after the early stop.
			if n := ledgerSize(t, tx); n != 6 {
				t.Errorf("LedgerSize after an early stop = %d, want 6", n)
			}
			return nil
		})
	}
}

func testLedgerEntryIndex(t *testing.T, s accord.Store) {
	records := seedLedger(t, s, 4)
	view(t, s, func(tx accord.Tx) error {
		for i, rec := range records {
			got, err := tx.LedgerEntryIndex(rec)
			if err != nil {
				t.Fatalf("LedgerEntryIndex(record %d): %v", i, err)
			}
			if got != int64(i) {
				t.Errorf("LedgerEntryIndex(record %d) = %d, want %d", i, got, i)
			}
		}
		// Byte-equal only: a prefix, an extension or a record never stored
		// is not found.
		for name, rec := range map[string][]byte{
			"a prefix of a record":   records[2][:len(records[2])-1],
			"a record extended":      append(bytes.Clone(records[2]), 0),
			"a record not stored":    opaqueRecord(9),
			"an empty record":        {},
			"a record in upper case": bytes.ToUpper(records[1]),
		} {
			_, err := tx.LedgerEntryIndex(rec)
			checkCode(t, "LedgerEntryIndex of "+name, err, accord.ENOTFOUND)
		}
		return nil
	})
}

// ---- checkpoints ----

func testCheckpointRoundTrip(t *testing.T, s accord.Store) {
	full := newCheckpoint(self, 5)
	bare := uncosigned(newCheckpoint(self, 9))
	empty := uncosigned(newCheckpoint(peer, 0)) // a log with no entries yet
	addCheckpoints(t, s, full, bare, empty)
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.Checkpoints(self)
		if err != nil {
			t.Fatalf("Checkpoints(%s): %v", self, err)
		}
		checkDiff(t, "Checkpoints("+self+")", []*accord.StoredCheckpoint{full, bare}, got)
		for _, c := range got {
			checkUTC(t, "Checkpoints("+self+")", c)
		}
		if len(got) == 2 {
			if !bytes.Equal(got[0].Note, full.Note) || !bytes.Equal(got[0].Cosigned, full.Cosigned) {
				t.Errorf("Checkpoints(%s)[0]: Note %q, Cosigned %q, want %q, %q byte for byte", self, got[0].Note, got[0].Cosigned, full.Note, full.Cosigned)
			}
			if got[1].Cosigned != nil || !got[1].CosignedAt.IsZero() {
				t.Errorf("Checkpoints(%s)[1]: Cosigned %#v, CosignedAt %v, want nil and the zero time", self, got[1].Cosigned, got[1].CosignedAt)
			}
		}
		latest, err := tx.LatestCheckpoint(peer)
		if err != nil {
			t.Fatalf("LatestCheckpoint(%s): %v", peer, err)
		}
		checkDiff(t, "LatestCheckpoint("+peer+") at size 0", empty, latest)
		return nil
	})
}

func testCheckpointDuplicate(t *testing.T, s accord.Store) {
	c := newCheckpoint(self, 5)
	addCheckpoints(t, s, c)
	again := uncosigned(newCheckpoint(self, 5))
	again.Note = []byte("another note\n")
	err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddCheckpoint(again) })
	checkCode(t, "AddCheckpoint with a stored party and size", err, accord.ECONFLICT)
	// The same size of another party's log is another checkpoint.
	other := newCheckpoint(peer, 5)
	addCheckpoints(t, s, other)
	checkDiff(t, "Checkpoints("+self+") after a refused duplicate", []*accord.StoredCheckpoint{c}, getCheckpoints(t, s, self))
	checkDiff(t, "Checkpoints("+peer+")", []*accord.StoredCheckpoint{other}, getCheckpoints(t, s, peer))
}

func testCheckpointInvalid(t *testing.T, s accord.Store) {
	tests := []struct {
		name   string
		change func(c *accord.StoredCheckpoint)
	}{
		{"empty party", func(c *accord.StoredCheckpoint) { c.Party = "" }},
		{"negative size", func(c *accord.StoredCheckpoint) { c.Size = -1 }},
		{"no note", func(c *accord.StoredCheckpoint) { c.Note = nil }},
		{"an empty note", func(c *accord.StoredCheckpoint) { c.Note = []byte{} }},
		{"zero CreatedAt", func(c *accord.StoredCheckpoint) { c.CreatedAt = time.Time{} }},
	}
	for _, tc := range tests {
		c := newCheckpoint(self, 5)
		tc.change(c)
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddCheckpoint(c) })
		checkCode(t, "AddCheckpoint with "+tc.name, err, accord.EINVALID)
	}
	checkEmpty(t, "Checkpoints after refused checkpoints", getCheckpoints(t, s, self))
}

func testLatestCheckpoint(t *testing.T, s accord.Store) {
	// Stored out of size order; the peer's log is larger than this node's.
	self3, self10, self7 := newCheckpoint(self, 3), uncosigned(newCheckpoint(self, 10)), newCheckpoint(self, 7)
	peer20, peer2 := newCheckpoint(peer, 20), newCheckpoint(peer, 2)
	addCheckpoints(t, s, self3, peer20, self10)
	addCheckpoints(t, s, self7, peer2)
	view(t, s, func(tx accord.Tx) error {
		for party, want := range map[string]*accord.StoredCheckpoint{self: self10, peer: peer20} {
			got, err := tx.LatestCheckpoint(party)
			if err != nil {
				t.Fatalf("LatestCheckpoint(%s): %v", party, err)
			}
			checkDiff(t, "LatestCheckpoint("+party+")", want, got)
			checkUTC(t, "LatestCheckpoint("+party+")", got)
		}
		return nil
	})
	err := tryView(s, func(tx accord.Tx) error {
		c, err := tx.LatestCheckpoint(local)
		if c != nil {
			t.Errorf("LatestCheckpoint(%s) = %+v, want nil", local, c)
		}
		return err
	})
	checkCode(t, "LatestCheckpoint("+local+")", err, accord.ENOTFOUND)
	checkMessage(t, "LatestCheckpoint("+local+")", err, local)
}

func testCheckpointsOrder(t *testing.T, s accord.Store) {
	var mine, theirs []*accord.StoredCheckpoint
	for _, size := range []int64{5, 0, 12, 3} {
		c := newCheckpoint(self, size)
		if size%2 == 0 {
			c = uncosigned(c)
		}
		mine = append(mine, c)
		theirs = append(theirs, newCheckpoint(peer, size+1))
	}
	addCheckpoints(t, s, mine[0], theirs[0], mine[1])
	addCheckpoints(t, s, theirs[1], theirs[2], mine[2], mine[3], theirs[3])
	checkDiff(t, "Checkpoints("+self+") (by size)", []*accord.StoredCheckpoint{mine[1], mine[3], mine[0], mine[2]}, getCheckpoints(t, s, self))
	checkDiff(t, "Checkpoints("+peer+") (by size)", []*accord.StoredCheckpoint{theirs[1], theirs[3], theirs[0], theirs[2]}, getCheckpoints(t, s, peer))
	checkEmpty(t, "Checkpoints of a party without checkpoints", getCheckpoints(t, s, local))
}

func testSetCosigned(t *testing.T, s accord.Store) {
	full := newCheckpoint(self, 5)
	c, other, peers := uncosigned(newCheckpoint(self, 5)), uncosigned(newCheckpoint(self, 8)), uncosigned(newCheckpoint(peer, 5))
	addCheckpoints(t, s, c, other, peers)
	update(t, s, func(tx accord.Tx) error { return tx.SetCosigned(self, 5, full.Cosigned, full.CosignedAt) })
	got := getCheckpoints(t, s, self)
	checkDiff(t, "Checkpoints("+self+") after SetCosigned", []*accord.StoredCheckpoint{full, other}, got)
	if len(got) > 0 {
		checkUTC(t, "Checkpoint after SetCosigned", got[0])
	}
	checkDiff(t, "Checkpoints("+peer+") after SetCosigned of "+self, []*accord.StoredCheckpoint{peers}, getCheckpoints(t, s, peer))

	// A later cosignature replaces the first.
	again := []byte("a second cosigned note\n")
	update(t, s, func(tx accord.Tx) error { return tx.SetCosigned(self, 5, again, at(time.Hour)) })
	view(t, s, func(tx accord.Tx) error {
		latest, err := tx.LatestCheckpoint(self)
		if err != nil {
			t.Fatalf("LatestCheckpoint(%s): %v", self, err)
		}
		checkDiff(t, "LatestCheckpoint("+self+") (not the cosigned one)", other, latest)
		return nil
	})
	got = getCheckpoints(t, s, self)
	if len(got) != 2 || !bytes.Equal(got[0].Cosigned, again) || !got[0].CosignedAt.Equal(at(time.Hour)) {
		t.Errorf("Checkpoints(%s) after a second SetCosigned = %+v, want the first with Cosigned %q at %v", self, got, again, at(time.Hour))
	}

	for _, empty := range [][]byte{nil, {}} {
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.SetCosigned(self, 8, empty, at(0)) })
		checkCode(t, fmt.Sprintf("SetCosigned with %#v", empty), err, accord.EINVALID)
	}
	if got := getCheckpoints(t, s, self); len(got) == 2 {
		checkDiff(t, "Checkpoints("+self+")[1] after refused SetCosigned", other, got[1])
	}
}

func testSetCosignedMissing(t *testing.T, s accord.Store) {
	addCheckpoints(t, s, uncosigned(newCheckpoint(self, 5)))
	cosigned := newCheckpoint(self, 5).Cosigned
	tests := []struct {
		party string
		size  int64
	}{{self, 6}, {self, 4}, {peer, 5}}
	for _, tc := range tests {
		call := fmt.Sprintf("SetCosigned(%s, %d)", tc.party, tc.size)
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.SetCosigned(tc.party, tc.size, cosigned, at(0)) })
		checkCode(t, call, err, accord.ENOTFOUND)
		checkMessage(t, call, err, tc.party)
		checkMessage(t, call, err, strconv.FormatInt(tc.size, 10))
	}
	checkEmpty(t, "Checkpoints("+peer+") after SetCosigned of a missing checkpoint", getCheckpoints(t, s, peer))
}

// ---- transactions ----

func testLedgerRollsBack(t *testing.T, s accord.Store) {
	records := seedLedger(t, s, 2)
	kept := newCheckpoint(self, 2)
	addCheckpoints(t, s, uncosigned(kept))
	errAbort := errors.New("abort")
	err := s.Update(context.Background(), func(tx accord.Tx) error {
		// An append, a checkpoint and a cosignature in one transaction that
		// then fails.
		indexes, hashes := hashRange(4, 7)
		if err := tx.AddLedgerEntries(2, opaqueRecords(2, 4), indexes, hashes); err != nil {
			t.Errorf("AddLedgerEntries: %v", err)
		}
		if err := tx.AddCheckpoint(newCheckpoint(self, 4)); err != nil {
			t.Errorf("AddCheckpoint: %v", err)
		}
		if err := tx.SetCosigned(self, 2, kept.Cosigned, kept.CosignedAt); err != nil {
			t.Errorf("SetCosigned: %v", err)
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	checkLedger(t, s, "an Update that failed", records, 4)
	view(t, s, func(tx accord.Tx) error {
		_, err := tx.LedgerEntryIndex(opaqueRecord(2))
		checkCode(t, "LedgerEntryIndex of a record rolled back", err, accord.ENOTFOUND)
		return nil
	})
	checkDiff(t, "Checkpoints after an Update that failed", []*accord.StoredCheckpoint{uncosigned(kept)}, getCheckpoints(t, s, self))
	// The same append succeeds afterwards: nothing of it was left behind.
	addEntries(t, s, 2, opaqueRecords(2, 4), 4, 7)
	checkLedger(t, s, "the append retried", opaqueRecords(0, 4), 7)
}

func testLedgerViewCannotWrite(t *testing.T, s accord.Store) {
	records := seedLedger(t, s, 2)
	kept := uncosigned(newCheckpoint(self, 2))
	addCheckpoints(t, s, kept)
	writes := []struct {
		name string
		fn   func(tx accord.Tx) error
	}{
		{"AddLedgerEntries", func(tx accord.Tx) error {
			indexes, hashes := hashRange(4, 6)
			return tx.AddLedgerEntries(2, opaqueRecords(2, 3), indexes, hashes)
		}},
		{"AddCheckpoint", func(tx accord.Tx) error { return tx.AddCheckpoint(newCheckpoint(self, 4)) }},
		{"SetCosigned", func(tx accord.Tx) error { return tx.SetCosigned(self, 2, []byte("cosigned\n"), at(0)) }},
	}
	for _, w := range writes {
		if err := tryView(s, w.fn); err == nil {
			t.Errorf("%s in a View succeeded, want an error", w.name)
		}
	}
	checkLedger(t, s, "writes in a View", records, 4)
	checkDiff(t, "Checkpoints after writes in a View", []*accord.StoredCheckpoint{kept}, getCheckpoints(t, s, self))
}

// ---- the ledger on the store ----

// appendLedger appends records to the ledger in tx with package ledger and
// returns the index of the first.
func appendLedger(tx accord.Tx, records [][]byte) (int64, error) {
	return ledger.AppendEntries(tx, records)
}

// ledgerRecord returns the ledger record of the n-th message of self.
func ledgerRecord(t *testing.T, n int) []byte {
	t.Helper()
	digest := sha256.Sum256([]byte(messageID(self, n)))
	rec, err := ledger.Record(ledger.KindMessage, messageID(self, n), digest[:])
	if err != nil {
		t.Fatalf("ledger.Record: %v", err)
	}
	return rec
}

func testLedgerVerify(t *testing.T, s accord.Store) {
	const n = 1000
	records := [][]byte{}
	for i := range n {
		records = append(records, ledgerRecord(t, i))
	}
	// The same ledger computed in memory, to compare with.
	mem := &ledger.MemStore{}
	if _, err := ledger.AppendMany(mem, records); err != nil {
		t.Fatalf("ledger.AppendMany on a MemStore: %v", err)
	}

	// As the node appends: one or two records per transaction, sometimes
	// several appends in one transaction; then a bulk load in batches.
	next := 0
	appendBatch := func(tx accord.Tx, k int) error {
		first, err := appendLedger(tx, records[next:next+k])
		if err != nil {
			return err
		}
		if first != int64(next) {
			t.Errorf("append of records %d to %d: first index %d, want %d", next, next+k-1, first, next)
		}
		next += k
		return nil
	}
	for next < 100 {
		update(t, s, func(tx accord.Tx) error { return appendBatch(tx, 1+next%2) })
	}
	update(t, s, func(tx accord.Tx) error {
		for _, k := range []int{1, 3, 1, 7} {
			if err := appendBatch(tx, k); err != nil {
				return err
			}
		}
		return nil
	})
	for _, k := range []int{1, 64, 255, 512} {
		k = min(k, n-next)
		update(t, s, func(tx accord.Tx) error { return appendBatch(tx, k) })
	}
	update(t, s, func(tx accord.Tx) error { return appendBatch(tx, n-next) })

	view(t, s, func(tx accord.Tx) error {
		size := ledgerSize(t, tx)
		if size != n {
			t.Fatalf("LedgerSize after %d appended records = %d", n, size)
		}
		// The stored hashes are the tree's, all of them and no more.
		count := tlog.StoredHashCount(n)
		indexes := make([]int64, count)
		for i := range indexes {
			indexes[i] = int64(i)
		}
		want, err := mem.ReadHashes(indexes)
		if err != nil {
			t.Fatalf("MemStore.ReadHashes: %v", err)
		}
		got, err := ledger.Over(tx).ReadHashes(indexes)
		if err != nil {
			t.Fatalf("LedgerHashes of all %d stored hashes: %v", count, err)
		}
		checkDiff(t, "stored hashes", want, got)
		_, err = tx.LedgerHashes([]int64{count})
		checkCode(t, fmt.Sprintf("LedgerHashes([%d]) past the tree's hashes", count), err, accord.ENOTFOUND)

		// ledger.Verify over the stored entries, streamed from one cursor
		// while it reads the stored hashes in the same transaction, as
		// `accord verify` does.
		entries, stop := iter.Pull2(func(yield func(int64, []byte) bool) {
			errStop := errors.New("stop")
			err := tx.LedgerEntries(0, func(i int64, rec []byte) error {
				if !yield(i, rec) {
					return errStop
				}
				return nil
			})
			if err != nil && err != errStop {
				t.Errorf("LedgerEntries: %v", err)
			}
		})
		defer stop()
		root, err := ledger.Verify(func(i int64) ([]byte, error) {
			j, rec, ok := entries()
			if !ok || j != i {
				return nil, fmt.Errorf("entry %d: LedgerEntries gave %d (more: %t)", i, j, ok)
			}
			return rec, nil
		}, size, ledger.Over(tx))
		if err != nil {
			t.Fatalf("ledger.Verify of the stored ledger: %v", err)
		}
		wantRoot, err := ledger.TreeHash(mem, n)
		if err != nil {
			t.Fatalf("ledger.TreeHash on the MemStore: %v", err)
		}
		if root != wantRoot {
			t.Errorf("ledger.Verify = root %s, want %s", root, wantRoot)
		}

		// Proofs from the stored hashes check against the in-memory roots.
		for _, c := range []struct{ index, size int64 }{{0, 1}, {99, 100}, {500, 777}, {999, 1000}} {
			proof, err := ledger.InclusionProof(ledger.Over(tx), c.index, c.size)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", c.index, c.size, err)
			}
			root, err := ledger.TreeHash(mem, c.size)
			if err != nil {
				t.Fatalf("ledger.TreeHash on the MemStore: %v", err)
			}
			if err := ledger.CheckInclusion(proof, c.size, root, c.index, records[c.index]); err != nil {
				t.Errorf("inclusion of entry %d at size %d: %v", c.index, c.size, err)
			}
		}
		for _, i := range []int{0, 1, 499, 999} {
			if got, err := tx.LedgerEntryIndex(records[i]); err != nil || got != int64(i) {
				t.Errorf("LedgerEntryIndex(record %d) = %d, %v; want %d", i, got, err, i)
			}
		}
		return nil
	})
}

// testLedgerAlarms: alarms round-trip in the order stored; empty fields are
// refused.
func testLedgerAlarms(t *testing.T, s accord.Store) {
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.LedgerAlarms()
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("LedgerAlarms on an empty store = %v, %v; want an empty, non-nil list", got, err)
		}
		return nil
	})
	want := []*accord.LedgerAlarm{
		{Party: "cncert", Size: 12, Note: []byte("accord/cncert/ledger\n12\nX=\n\n— sig\n"), Reason: "fork at size 12", At: at(time.Hour)},
		{Party: "cncert", Size: 3, Note: []byte{0, 1, 2, 0xff}, Reason: "log shrank from 12 to 3", At: at(2 * time.Hour)},
	}
	update(t, s, func(tx accord.Tx) error {
		for _, a := range want {
			if err := tx.AddLedgerAlarm(a); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx accord.Tx) error {
		got, err := tx.LedgerAlarms()
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("LedgerAlarms (-want +got):\n%s", diff)
		}
		return nil
	})
	for _, bad := range []*accord.LedgerAlarm{
		{Party: "", Size: 1, Note: []byte("n"), Reason: "r", At: at(0)},
		{Party: "cncert", Size: 1, Note: nil, Reason: "r", At: at(0)},
		{Party: "cncert", Size: 1, Note: []byte("n"), Reason: "", At: at(0)},
	} {
		err := tryUpdate(s, func(tx accord.Tx) error { return tx.AddLedgerAlarm(bad) })
		checkCode(t, "AddLedgerAlarm with an empty field", err, accord.EINVALID)
	}
}
