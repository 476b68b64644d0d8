package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/accord-cyber/accord"
)

// DefaultMaxSize is the largest blob Put accepts when Options.MaxSize is 0:
// 4 GiB.
const DefaultMaxSize int64 = 4 << 30

// bufSize is the one fixed copy buffer of Put and Verify; content never
// lives in memory beyond it.
const bufSize = 1 << 20

// Options configures a Store. The zero value is usable.
type Options struct {
	// MaxSize is the largest content, in bytes, that Put accepts;
	// 0 means DefaultMaxSize. It must not be negative.
	MaxSize int64
	// Clock tells CleanTemp what time it is; nil means accord.SystemClock.
	Clock accord.Clock
}

// Info describes one stored blob.
type Info struct {
	// Digest is the SHA-256 of the content, 64 lowercase hex characters.
	Digest string `json:"digest"`
	// Size is the length of the content in bytes.
	Size int64 `json:"size"`
}

// Store is a content-addressed file store rooted at one directory. It is
// safe for concurrent use by several goroutines; two Stores (or processes)
// may share a directory.
type Store struct {
	dir     string // root, as given to Open
	blobs   string // dir/sha256
	tmp     string // dir/tmp
	maxSize int64
	clock   accord.Clock
}

// Open returns the Store rooted at dir, creating dir, dir/sha256 and dir/tmp
// (mode 0700) when they do not exist. It is called once, when the node
// starts. It returns EINVALID for a negative Options.MaxSize and EINTERNAL
// when the directories cannot be created.
func Open(dir string, opts Options) (*Store, error) {
	if opts.MaxSize < 0 {
		return nil, accord.FieldError("max_size", "must not be negative, got %d", opts.MaxSize)
	}
	s := &Store{
		dir:     dir,
		blobs:   filepath.Join(dir, "sha256"),
		tmp:     filepath.Join(dir, "tmp"),
		maxSize: opts.MaxSize,
		clock:   opts.Clock,
	}
	if s.maxSize == 0 {
		s.maxSize = DefaultMaxSize
	}
	if s.clock == nil {
		s.clock = accord.SystemClock{}
	}
	for _, d := range []string{s.dir, s.blobs, s.tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, accord.Internal(err, "open blob store: create %s", d)
		}
	}
	return s, nil
}

// Put stores the content read from r until io.EOF and returns its digest
// and size. It is called for every evidence file a user or a peer submits.
//
// The content is streamed through a 1 MiB buffer into a temporary file under
// tmp/ while it is hashed; the file is fsynced and then renamed under its
// digest, and the directory fsynced, so the blob is visible under its digest
// complete or not at all. When the digest is already stored the upload is
// dropped and the existing blob's Info returned: Put is idempotent.
//
// Put returns EINVALID, naming the limit, when more than Options.MaxSize
// bytes arrive, and EINTERNAL when the filesystem fails. When ctx is done
// (it is checked between buffer fills) Put returns an error wrapping
// ctx.Err(); when r fails it returns an error wrapping r's error, whose code
// is r's if r returned an *accord.Error and EINTERNAL otherwise. On every
// error the temporary file is removed and nothing is left under a digest.
func (s *Store) Put(ctx context.Context, r io.Reader) (Info, error) {
	if err := ctx.Err(); err != nil {
		return Info{}, fmt.Errorf("put blob: %w", err)
	}
	f, err := os.CreateTemp(s.tmp, "put-*") // CreateTemp makes it 0600
	if err != nil {
		return Info{}, accord.Internal(err, "put blob: create temporary file")
	}
	tmpName := f.Name()
	placed := false
	defer func() {
		if !placed {
			f.Close() // may already be closed; the error is irrelevant on this path
			os.Remove(tmpName)
		}
	}()

	h := sha256.New()
	src := &guardReader{ctx: ctx, r: r, max: s.maxSize}
	dst := &fileWriter{f: f}
	// Neither wrapper implements WriterTo or ReaderFrom, so io.CopyBuffer
	// really copies through buf instead of a buffer of r's or f's choosing.
	buf := make([]byte, bufSize)
	n, err := io.CopyBuffer(io.MultiWriter(dst, h), src, buf)
	switch {
	case errors.Is(err, errTooLarge):
		return Info{}, accord.FieldError("content", "exceeds the limit of %d bytes", s.maxSize)
	case dst.err != nil:
		return Info{}, accord.Internal(dst.err, "put blob: write temporary file")
	case src.ctxErr != nil:
		return Info{}, fmt.Errorf("put blob: cancelled after %d bytes: %w", n, src.ctxErr)
	case err != nil:
		return Info{}, fmt.Errorf("put blob: read content after %d bytes: %w", n, err)
	}
	if err := f.Sync(); err != nil {
		return Info{}, accord.Internal(err, "put blob: sync temporary file")
	}
	if err := f.Close(); err != nil {
		return Info{}, accord.Internal(err, "put blob: close temporary file")
	}
	// The last check before the blob becomes visible: a caller that gave up
	// must not find its upload stored after all.
	if err := ctx.Err(); err != nil {
		return Info{}, fmt.Errorf("put blob: cancelled after %d bytes: %w", n, err)
	}

	info := Info{Digest: hex.EncodeToString(h.Sum(nil)), Size: n}
	fanout, final := s.path(info.Digest)
	if _, err := os.Lstat(final); err == nil {
		// Already stored: the deferred cleanup drops the upload. The stored
		// file is not overwritten, so a blob that was tampered with stays
		// as it is for Verify to report.
		return info, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Info{}, accord.Internal(err, "put blob %s: stat", info.Digest)
	}
	switch err := os.Mkdir(fanout, 0o700); {
	case err == nil:
		// A new fan-out directory must itself survive a crash.
		if err := syncDir(s.blobs); err != nil {
			return Info{}, accord.Internal(err, "put blob %s: sync %s", info.Digest, s.blobs)
		}
	case errors.Is(err, fs.ErrExist):
	default:
		return Info{}, accord.Internal(err, "put blob %s: create %s", info.Digest, fanout)
	}
	if err := os.Rename(tmpName, final); err != nil {
		return Info{}, accord.Internal(err, "put blob %s: rename into place", info.Digest)
	}
	placed = true
	// The rename is durable only once the directory holding the new name
	// is synced; until then a crash could lose the blob (never expose a
	// partial one).
	if err := syncDir(fanout); err != nil {
		return Info{}, accord.Internal(err, "put blob %s: sync %s", info.Digest, fanout)
	}
	return info, nil
}

// Open returns the content of the blob with the given digest and its Info;
// the caller must close the reader. It is called to serve or export an
// evidence file. Open does not re-hash the content; call Verify for that.
// It returns EINVALID for a malformed digest (anything but 64 lowercase hex
// characters), ENOTFOUND for an unknown digest, ECONFLICT when the name is
// taken by something other than a regular file, and EINTERNAL when the
// filesystem fails.
func (s *Store) Open(digest string) (io.ReadCloser, Info, error) {
	if err := checkDigest(digest); err != nil {
		return nil, Info{}, err
	}
	_, name := s.path(digest)
	if _, err := s.statBlob(digest, name); err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Info{}, accord.Errorf(accord.ENOTFOUND, "blob %s not found", digest)
		}
		return nil, Info{}, accord.Internal(err, "open blob %s", digest)
	}
	// Size from the open file, so that it describes what the reader reads
	// even if the name was swapped between the Lstat and the Open.
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, accord.Internal(err, "open blob %s: stat", digest)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, Info{}, accord.Errorf(accord.ECONFLICT, "blob %s is not a regular file", digest)
	}
	return f, Info{Digest: digest, Size: fi.Size()}, nil
}

// Verify re-hashes the stored content of the blob with the given digest,
// streaming it through a 1 MiB buffer, and returns nil when it still hashes
// to the digest. It is called by "accord verify" (through Walk) and before
// evidence is exported. It returns ECONFLICT, naming the digest and the hash
// actually found, when the content no longer matches (the file was replaced
// or changed) or the name is not a regular file; ENOTFOUND for an unknown
// digest; EINVALID for a malformed one; EINTERNAL when the filesystem fails;
// and an error wrapping ctx.Err() when ctx is done before the end.
func (s *Store) Verify(ctx context.Context, digest string) error {
	rc, _, err := s.Open(digest)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	src := &guardReader{ctx: ctx, r: rc, max: math.MaxInt64 - 1}
	n, err := io.CopyBuffer(h, src, make([]byte, bufSize))
	if src.ctxErr != nil {
		return fmt.Errorf("verify blob %s: cancelled after %d bytes: %w", digest, n, src.ctxErr)
	}
	if err != nil {
		return accord.Internal(err, "verify blob %s: read after %d bytes", digest, n)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != digest {
		return accord.Errorf(accord.ECONFLICT,
			"blob %s is corrupt: its %d bytes hash to %s", digest, n, got)
	}
	return nil
}

// Walk calls fn with the Info of every stored blob, in ascending digest
// order, and stops at the first error fn returns, returning it unchanged.
// It is called by "accord verify" to check the whole store. Entries under
// sha256/ whose names do not form a digest are not blobs and are skipped.
// Walk returns an error wrapping ctx.Err() when ctx is done (checked between
// blobs) and EINTERNAL when a directory cannot be read. Blobs added during
// the walk may or may not be visited.
func (s *Store) Walk(ctx context.Context, fn func(Info) error) error {
	// os.ReadDir sorts by name, and every digest under fan-out "ab" starts
	// with "ab", so visiting both levels in name order is digest order.
	fanouts, err := os.ReadDir(s.blobs)
	if err != nil {
		return accord.Internal(err, "walk blobs: read %s", s.blobs)
	}
	for _, fo := range fanouts {
		if !fo.IsDir() || !isHex(fo.Name(), 2) {
			continue
		}
		dir := filepath.Join(s.blobs, fo.Name())
		entries, err := os.ReadDir(dir)
		if err != nil {
			return accord.Internal(err, "walk blobs: read %s", dir)
		}
		for _, e := range entries {
			if !isHex(e.Name(), sha256.Size*2-2) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("walk blobs: %w", err)
			}
			fi, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since the ReadDir
			}
			if err != nil {
				return accord.Internal(err, "walk blobs: stat %s", e.Name())
			}
			if err := fn(Info{Digest: fo.Name() + e.Name(), Size: fi.Size()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// CleanTemp removes the files under tmp/ last modified more than olderThan
// ago, by Options.Clock: the leftovers of uploads cut short by a crash. It
// is called when the node starts and then periodically; olderThan must
// exceed the longest upload in progress (an upload writes its file at least
// every buffer fill, which refreshes its modification time). It returns
// EINVALID for a negative olderThan and EINTERNAL when tmp/ cannot be read
// or a file cannot be removed (after trying the others).
func (s *Store) CleanTemp(olderThan time.Duration) error {
	if olderThan < 0 {
		return accord.FieldError("older_than", "must not be negative, got %s", olderThan)
	}
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return accord.Internal(err, "clean temporary files: read %s", s.tmp)
	}
	cutoff := s.clock.Now().Add(-olderThan)
	var errs []error
	for _, e := range entries {
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // an upload finished or was removed meanwhile
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !fi.ModTime().Before(cutoff) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.tmp, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return accord.Internal(err, "clean temporary files")
	}
	return nil
}

// path returns the fan-out directory and the file name of a well-formed
// digest.
func (s *Store) path(digest string) (dir, name string) {
	dir = filepath.Join(s.blobs, digest[:2])
	return dir, filepath.Join(dir, digest[2:])
}

// statBlob checks that the blob's name exists and is a regular file, not a
// symbolic link or a directory planted under a digest.
func (s *Store) statBlob(digest, name string) (fs.FileInfo, error) {
	fi, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, accord.Errorf(accord.ENOTFOUND, "blob %s not found", digest)
	}
	if err != nil {
		return nil, accord.Internal(err, "stat blob %s", digest)
	}
	if !fi.Mode().IsRegular() {
		return nil, accord.Errorf(accord.ECONFLICT, "blob %s is not a regular file (%s)", digest, fi.Mode().Type())
	}
	return fi, nil
}

// checkDigest returns EINVALID unless digest is exactly 64 lowercase hex
// characters. Only such a string may become part of a path, which is what
// keeps "../" and absolute paths out of the store.
func checkDigest(digest string) error {
	if !isHex(digest, sha256.Size*2) {
		return accord.FieldError("digest", "must be a SHA-256 in 64 lowercase hexadecimal characters")
	}
	return nil
}

// isHex reports whether s is exactly n lowercase hexadecimal characters.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// syncDir fsyncs a directory, making the names created in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

// errTooLarge stops the copy in Put once more than the limit has arrived.
var errTooLarge = errors.New("content over the size limit")

// guardReader reads from r, checking ctx before every read and refusing
// to deliver more than max+1 bytes in all: the extra byte is what tells
// "exactly max" from "more than max".
type guardReader struct {
	ctx    context.Context
	r      io.Reader
	max    int64
	n      int64
	ctxErr error // set when the read stopped because ctx was done
}

func (g *guardReader) Read(p []byte) (int, error) {
	if err := g.ctx.Err(); err != nil {
		g.ctxErr = err
		return 0, err
	}
	if g.n > g.max {
		return 0, errTooLarge
	}
	if rest := g.max + 1 - g.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.n > g.max {
		return n, errTooLarge
	}
	return n, err
}

// fileWriter writes to f and remembers the first write error, so that Put
// can tell a failing disk (EINTERNAL) from a failing reader.
type fileWriter struct {
	f   *os.File
	err error
}

func (w *fileWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}
