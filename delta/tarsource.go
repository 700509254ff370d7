package delta

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/zstd"
)

const paxXattr = "SCHILY.xattr."

// entryFromHeader describes a tar header as the entry p. A hard link keeps TypeLink with its raw
// Linkname; the caller resolves it.
func entryFromHeader(p string, hdr *tar.Header) (Entry, error) {
	if isSparse(hdr) {
		// A few bytes of sparse map can stand for terabytes of holes; nothing here writes them.
		return Entry{}, fmt.Errorf("reading %s: sparse file: %w", p, ErrUnsupportedEntry)
	}
	e := Entry{
		Path: p, Type: hdr.Typeflag, Mode: hdr.Mode & 0o7777, UID: hdr.Uid, GID: hdr.Gid,
		ModTime: hdr.ModTime,
	}
	switch hdr.Typeflag {
	case tar.TypeReg: // archive/tar reports old TypeRegA entries as TypeReg
		e.Type, e.Size = tar.TypeReg, hdr.Size
	case tar.TypeDir, tar.TypeFifo:
	case tar.TypeSymlink, tar.TypeLink:
		e.Linkname = hdr.Linkname
	case tar.TypeChar, tar.TypeBlock:
		e.Devmajor, e.Devminor = hdr.Devmajor, hdr.Devminor
	default:
		return Entry{}, fmt.Errorf("reading %s: tar type %q: %w", p, hdr.Typeflag, ErrUnsupportedEntry)
	}
	if c, ok := hdr.PAXRecords[paxXattr+xattrCapability]; ok && e.Type != tar.TypeSymlink {
		e.Xattrs = map[string]string{xattrCapability: c}
	}
	return e, nil
}

// FromTar reads a whole filesystem from a tar stream (an engine's container export) for the
// unpack and package_dir strategies. Every entry passing the filters is shipped; with
// WithPackageDir only entries strictly inside that directory, re-rooted there. The contents of
// regular files are spooled (see WithTempDir), all of them, because a shipped hard link may
// point at a file the filters drop, and then becomes a copy of it.
func FromTar(ctx context.Context, r io.Reader, opts ...Option) (*Tree, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	// The build directory and /tmp are left out of whole-filesystem deltas; a package_dir was
	// named on purpose, so nothing inside it is.
	return readTree(ctx, r, o, newRules(o, true, o.packageDir == ""))
}

// Carve reads an artifact (a tar stream, zstd-compressed or not) and keeps the entries its
// includes and excludes select, for a subpackage: paths are tested as "/" + name, and parents
// of kept entries keep the attributes the artifact gives them.
func Carve(ctx context.Context, r io.Reader, opts ...Option) (*Tree, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	o.packageDir, o.tarRoot = "", "/"
	plain, closeFn, err := decompressed(r)
	if err != nil {
		return nil, fmt.Errorf("reading artifact: %w", err)
	}
	defer closeFn()
	return readTree(ctx, plain, o, newRules(o, false, false))
}

// readTree reads a tar stream into a tree, keeping what r selects.
func readTree(ctx context.Context, r io.Reader, o *options, rl rules) (*Tree, error) {
	sp, err := newSpool(o.tempDir)
	if err != nil {
		return nil, err
	}
	tr := &tarRead{o: o, r: rl, sp: sp, regs: map[string]Entry{}, dirs: map[string]Entry{}, kept: map[string]Entry{}}
	if err := tr.read(ctx, tar.NewReader(r)); err != nil {
		sp.close()
		return nil, err
	}
	t, err := finish(ctx, tr.kept, nil, tr.parent, sp)
	if err != nil {
		sp.close()
		return nil, err
	}
	return t, nil
}

type tarRead struct {
	o    *options
	r    rules
	sp   *spool
	regs map[string]Entry // every regular file, by absolute path: targets of hard links
	dirs map[string]Entry // every directory, by absolute path: parents
	kept map[string]Entry // by shipped path
}

func (t *tarRead) read(ctx context.Context, tr *tar.Reader) error {
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading tar stream: %w", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		abs := path.Join(t.o.tarRoot, path.Clean("/"+hdr.Name))
		if abs == "/" {
			continue
		}
		e, err := t.entry(abs, hdr, tr)
		if err != nil {
			return err
		}
		t.consider(e)
		if n++; n%1024 == 0 {
			t.o.report(StageScan, n, 0)
		}
	}
	t.o.report(StageScan, n, n)
	return nil
}

// entry turns a header into an entry at abs, spooling a regular file's content and resolving a
// hard link to a copy of its target that shares the target's identity.
func (t *tarRead) entry(abs string, hdr *tar.Header, body io.Reader) (Entry, error) {
	e, err := entryFromHeader(abs, hdr)
	if err != nil {
		return Entry{}, err
	}
	switch e.Type {
	case tar.TypeReg:
		c, err := t.sp.add(body)
		if err != nil {
			return Entry{}, fmt.Errorf("reading %s: %w", abs, err)
		}
		e.content, e.inode = c, abs
		t.regs[abs] = e
	case tar.TypeLink:
		target := path.Join(t.o.tarRoot, path.Clean("/"+hdr.Linkname))
		te, ok := t.regs[target]
		if !ok {
			return Entry{}, fmt.Errorf("reading %s: hard link to %s, which the stream does not hold before it: %w", abs, hdr.Linkname, ErrUnsupportedEntry)
		}
		te.Path = abs
		e = te
		t.regs[abs] = e
	case tar.TypeDir:
		t.dirs[abs] = e
	}
	return e, nil
}

// consider keeps e when the rules select it, re-rooting it in package_dir mode.
func (t *tarRead) consider(e Entry) {
	abs := e.Path
	if dir := t.o.packageDir; dir != "" {
		if !strings.HasPrefix(abs, dir+"/") {
			return // only entries strictly inside the package directory count
		}
		e.Path = abs[len(dir):]
	}
	if t.r.system && engineMtab(abs, e) {
		return
	}
	if t.r.keep(abs, e.Path) {
		t.kept[e.Path] = e
	}
}

// parent returns the attributes the stream gave directory p (a shipped path).
func (t *tarRead) parent(_ context.Context, p string) (Entry, error) {
	abs := t.o.packageDir + p
	e, ok := t.dirs[abs]
	if !ok {
		// The stream has no header for it: an extractor would make it, so the artifact does,
		// as root-owned 0755 (the only case where a parent has no real attributes).
		t.o.logger.Debug("stream lacks parent directory", "path", abs)
		return Entry{Path: p, Type: tar.TypeDir, Mode: 0o755}, nil
	}
	e.Path = p
	return e, nil
}

// isSparse reports whether a header describes a sparse file (old GNU or PAX GNU.sparse form).
func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// maxZstdWindow bounds the memory a zstd frame can ask for; the writer uses far less.
const maxZstdWindow = 128 << 20

var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// decompressed returns r itself, or a zstd decoder of it when it starts with the zstd magic.
func decompressed(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(len(zstdMagic))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	if !bytes.Equal(head, zstdMagic) {
		return br, func() {}, nil
	}
	d, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow))
	if err != nil {
		return nil, nil, err
	}
	return d, d.Close, nil
}
