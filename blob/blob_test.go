package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
)

func newStore(t testing.TB, opts Options) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	return s, dir
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func put(t *testing.T, s *Store, content []byte) Info {
	t.Helper()
	info, err := s.Put(context.Background(), bytes.NewReader(content))
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", len(content), err)
	}
	return info
}

// files lists every non-directory path under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

// assertEmpty fails unless the store holds no file at all: no blob and no
// leftover upload.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("store holds %q, want nothing", got)
	}
}

func wantCode(t *testing.T, call string, err error, code string) {
	t.Helper()
	if got := accord.ErrorCode(err); got != code {
		t.Errorf("%s: got code %q (%v), want %q", call, got, err, code)
	}
}

func TestOpenLayout(t *testing.T) {
	_, dir := newStore(t, Options{})
	for _, d := range []string{dir, filepath.Join(dir, "sha256"), filepath.Join(dir, "tmp")} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatalf("stat %s: %v", d, err)
		}
		if got := fi.Mode().Perm(); got != 0o700 {
			t.Errorf("mode of %s: got %v, want 0700", d, got)
		}
	}
	if _, err := Open(t.TempDir(), Options{MaxSize: -1}); accord.ErrorCode(err) != accord.EINVALID {
		t.Errorf("Open with MaxSize -1: got %v, want EINVALID", err)
	}
}

func TestRoundTrip(t *testing.T) {
	s, dir := newStore(t, Options{})
	for _, content := range [][]byte{
		nil,
		[]byte("hello, evidence\n"),
		bytes.Repeat([]byte{0xAB}, 3*bufSize+17), // several buffer fills
	} {
		info := put(t, s, content)
		want := Info{Digest: digestOf(content), Size: int64(len(content))}
		if info != want {
			t.Errorf("Put: got %+v, want %+v", info, want)
		}
		name := filepath.Join(dir, "sha256", want.Digest[:2], want.Digest[2:])
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatalf("stored file: %v", err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %s: got %v, want 0600", name, got)
		}
		rc, oinfo, err := s.Open(want.Digest)
		if err != nil {
			t.Fatalf("Open(%s): %v", want.Digest, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read blob: %v", err)
		}
		if !bytes.Equal(got, content) {
			t.Errorf("Open(%s): read %d bytes, not the %d put", want.Digest, len(got), len(content))
		}
		if oinfo != want {
			t.Errorf("Open(%s): got info %+v, want %+v", want.Digest, oinfo, want)
		}
		if err := s.Verify(context.Background(), want.Digest); err != nil {
			t.Errorf("Verify(%s): %v", want.Digest, err)
		}
	}
	if got := files(t, filepath.Join(dir, "tmp")); len(got) != 0 {
		t.Errorf("tmp/ holds %q after successful Puts, want nothing", got)
	}
}

func TestPutIdempotent(t *testing.T) {
	s, dir := newStore(t, Options{})
	content := []byte("the same file, submitted twice")
	first := put(t, s, content)
	name := filepath.Join(dir, "sha256", first.Digest[:2], first.Digest[2:])
	before, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	second := put(t, s, content)
	if second != first {
		t.Errorf("second Put: got %+v, want %+v", second, first)
	}
	after, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Errorf("second Put replaced the stored file, want it left alone")
	}
	if got, want := files(t, dir), []string{filepath.Join("sha256", first.Digest[:2], first.Digest[2:])}; !slices.Equal(got, want) {
		t.Errorf("store holds %q, want %q", got, want)
	}
}

func TestPutLimit(t *testing.T) {
	const limit = 1000
	s, dir := newStore(t, Options{MaxSize: limit})
	for _, size := range []int{limit + 1, 2 * limit, 5 * bufSize} {
		_, err := s.Put(context.Background(), bytes.NewReader(make([]byte, size)))
		wantCode(t, "Put over the limit", err, accord.EINVALID)
		if err == nil || !strings.Contains(err.Error(), "1000") {
			t.Errorf("Put(%d bytes): error %v does not name the limit %d", size, err, limit)
		}
		assertEmpty(t, dir)
	}
	// Exactly the limit is accepted.
	if info := put(t, s, make([]byte, limit)); info.Size != limit {
		t.Errorf("Put(%d bytes): got size %d", limit, info.Size)
	}
}

// failingReader yields n bytes of content, then fails.
type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = byte(i)
	}
	r.n -= k
	return k, nil
}

func TestPutReaderFails(t *testing.T) {
	s, dir := newStore(t, Options{})
	cause := errors.New("connection reset by peer")
	_, err := s.Put(context.Background(), &failingReader{n: 3*bufSize + 5, err: cause})
	if !errors.Is(err, cause) {
		t.Errorf("Put with a failing reader: got %v, want it to wrap %v", err, cause)
	}
	assertEmpty(t, dir)

	// A reader's own accord code is kept.
	_, err = s.Put(context.Background(), &failingReader{n: 10, err: accord.Errorf(accord.EUNAVAILABLE, "peer gone")})
	wantCode(t, "Put with an EUNAVAILABLE reader", err, accord.EUNAVAILABLE)
	assertEmpty(t, dir)
}

// cancellingReader yields content and cancels its context after a few reads,
// like a client that gives up half way through an upload.
type cancellingReader struct {
	reads, cancelAfter int
	cancel             context.CancelFunc
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	r.reads++
	if r.reads == r.cancelAfter {
		r.cancel()
	}
	return len(p), nil // endless zeroes, stopped only by ctx
}

func TestPutCancelled(t *testing.T) {
	s, dir := newStore(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := s.Put(ctx, &cancellingReader{cancelAfter: 3, cancel: cancel})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context: got %v, want context.Canceled", err)
	}
	assertEmpty(t, dir)

	// Already cancelled: nothing is even created.
	_, err = s.Put(ctx, strings.NewReader("x"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a done context: got %v, want context.Canceled", err)
	}
	assertEmpty(t, dir)
}

func TestBadDigests(t *testing.T) {
	s, dir := newStore(t, Options{})
	stored := put(t, s, []byte("inside the store"))
	// A file outside sha256/ that a path trick would reach.
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("not evidence"), 0o600); err != nil {
		t.Fatal(err)
	}
	upper := strings.ToUpper(stored.Digest)
	tests := []struct {
		name, digest, code string
	}{
		{"unknown", strings.Repeat("0", 64), accord.ENOTFOUND},
		{"empty", "", accord.EINVALID},
		{"short", stored.Digest[:63], accord.EINVALID},
		{"long", stored.Digest + "0", accord.EINVALID},
		{"uppercase", upper, accord.EINVALID},
		{"dot dot", "../secret", accord.EINVALID},
		{"dot dot padded to 64", "../../secret" + strings.Repeat("a", 64-len("../../secret")), accord.EINVALID},
		{"slash inside", stored.Digest[:2] + "/" + stored.Digest[3:], accord.EINVALID},
		{"absolute", "/etc/passwd" + strings.Repeat("a", 64-len("/etc/passwd")), accord.EINVALID},
		{"space", " " + stored.Digest[1:], accord.EINVALID},
		{"sha256 prefix", "sha256:" + stored.Digest[7:], accord.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc, _, err := s.Open(tc.digest)
			if rc != nil {
				rc.Close()
				t.Errorf("Open(%q) returned a reader", tc.digest)
			}
			wantCode(t, "Open", err, tc.code)
			wantCode(t, "Verify", s.Verify(context.Background(), tc.digest), tc.code)
		})
	}
}

// storedPath returns the file of a stored blob.
func storedPath(dir, digest string) string {
	return filepath.Join(dir, "sha256", digest[:2], digest[2:])
}

func TestVerifyReplaced(t *testing.T) {
	s, dir := newStore(t, Options{})
	info := put(t, s, []byte("original evidence"))
	forged := []byte("forged evidence")
	if err := os.WriteFile(storedPath(dir, info.Digest), forged, 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.Verify(context.Background(), info.Digest)
	wantCode(t, "Verify of a replaced blob", err, accord.ECONFLICT)
	if err == nil || !strings.Contains(err.Error(), info.Digest) || !strings.Contains(err.Error(), digestOf(forged)) {
		t.Errorf("Verify: error %v must name the digest %s and the actual hash %s", err, info.Digest, digestOf(forged))
	}
	// Putting the original again does not hide the tampering.
	put(t, s, []byte("original evidence"))
	wantCode(t, "Verify after a second Put", s.Verify(context.Background(), info.Digest), accord.ECONFLICT)
}

func TestVerifyFlippedByte(t *testing.T) {
	s, dir := newStore(t, Options{})
	content := bytes.Repeat([]byte("0123456789"), bufSize/5) // two buffer fills
	info := put(t, s, content)
	f, err := os.OpenFile(storedPath(dir, info.Digest), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	off := int64(len(content) - 3)
	b := []byte{0}
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x01
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	f.Close()
	content[off] ^= 0x01
	err = s.Verify(context.Background(), info.Digest)
	wantCode(t, "Verify of a flipped byte", err, accord.ECONFLICT)
	if err == nil || !strings.Contains(err.Error(), digestOf(content)) {
		t.Errorf("Verify: error %v must name the actual hash %s", err, digestOf(content))
	}
}

func TestVerifyMissingAndSymlink(t *testing.T) {
	s, dir := newStore(t, Options{})
	info := put(t, s, []byte("soon gone"))
	if err := os.Remove(storedPath(dir, info.Digest)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "Verify of a removed blob", s.Verify(context.Background(), info.Digest), accord.ENOTFOUND)

	// A symbolic link planted under a digest is refused, even to content
	// that would match.
	content := []byte("linked")
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, content, 0o600); err != nil {
		t.Fatal(err)
	}
	d := digestOf(content)
	os.MkdirAll(filepath.Dir(storedPath(dir, d)), 0o700)
	if err := os.Symlink(outside, storedPath(dir, d)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "Verify of a symlink", s.Verify(context.Background(), d), accord.ECONFLICT)
	_, _, err := s.Open(d)
	wantCode(t, "Open of a symlink", err, accord.ECONFLICT)
}

func TestVerifyCancelled(t *testing.T) {
	s, _ := newStore(t, Options{})
	info := put(t, s, []byte("x"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Verify(ctx, info.Digest); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify with a done context: got %v, want context.Canceled", err)
	}
}

func TestWalk(t *testing.T) {
	s, dir := newStore(t, Options{})
	var want []Info
	for i := range 40 {
		content := bytes.Repeat([]byte{byte(i)}, i)
		want = append(want, put(t, s, content))
	}
	slices.SortFunc(want, func(a, b Info) int { return strings.Compare(a.Digest, b.Digest) })
	// Strays are not blobs.
	os.WriteFile(filepath.Join(dir, "sha256", "README"), nil, 0o600)
	os.WriteFile(filepath.Join(dir, "sha256", want[0].Digest[:2], "junk"), nil, 0o600)

	var got []Info
	err := s.Walk(context.Background(), func(i Info) error {
		got = append(got, i)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Walk: got %v, want %v", got, want)
	}

	stop := errors.New("stop")
	var n int
	err = s.Walk(context.Background(), func(Info) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("Walk with fn failing at 3: got %v after %d calls, want %v after 3", err, n, stop)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Walk(ctx, func(Info) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Walk with a done context: got %v, want context.Canceled", err)
	}
}

func TestCleanTemp(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, dir := newStore(t, Options{Clock: accord.ClockFunc(func() time.Time { return now })})
	kept := put(t, s, []byte("a stored blob is never touched"))
	tmp := filepath.Join(dir, "tmp")
	for name, age := range map[string]time.Duration{
		"put-crashed": 2 * time.Hour,
		"put-ancient": 30 * 24 * time.Hour,
		"put-running": time.Minute,
	} {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CleanTemp(time.Hour); err != nil {
		t.Fatalf("CleanTemp: %v", err)
	}
	want := []string{
		filepath.Join("sha256", kept.Digest[:2], kept.Digest[2:]),
		filepath.Join("tmp", "put-running"),
	}
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Errorf("after CleanTemp(1h): store holds %q, want %q", got, want)
	}
	wantCode(t, "CleanTemp(-1)", s.CleanTemp(-1), accord.EINVALID)
}
