package delta

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
)

// OCI layer whiteouts: ".wh.NAME" removes NAME of the layers below, ".wh..wh..opq" in a
// directory hides everything the layers below hold in it.
const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
)

// Base is the filesystem a layer was made on (a package's builder image). FromLayer asks it
// about the paths the layer holds, to leave out what a step copied up without changing it and to
// tell removals of real paths from whiteouts of nothing, exactly as FromOverlay asks the lower
// directories.
type Base interface {
	// Lookup returns the entry at absolute path p, a regular file's content readable through
	// Entry.Open, or nil when the base has no p.
	Lookup(ctx context.Context, p string) (*Entry, error)
	// ReadDir returns the names directory p holds, sorted.
	ReadDir(ctx context.Context, p string) ([]string, error)
}

// LowerDirs is the Base of overlay lower directories, topmost first (an Overlay's Lowers, a
// local engine's LowerDir). It answers single paths without walking the layers.
func LowerDirs(dirs []string) Base { return &lowerBase{l: newLayers(dirs)} }

type lowerBase struct{ l *layers }

func (b *lowerBase) Lookup(_ context.Context, p string) (*Entry, error) {
	f, err := b.l.lookup(p)
	if err != nil || f == nil {
		return nil, err
	}
	e, _, err := entryFromFile(p, f.host, f.info)
	return e, err
}

func (b *lowerBase) ReadDir(_ context.Context, p string) ([]string, error) { return b.l.readDir(p) }

// FromLayer computes the delta of a layer tar made on top of base: an image layer holding a
// container's change set with OCI whiteouts, such as an engine's committed layer or an exported
// BuildKit llb.Diff; gzip- or zstd-compressed or plain. It gives the same tree FromOverlay gives
// for the same change set: entries that differ from base's (attributes or bytes) or that base
// lacks, whiteouts of base paths as removed, an opaque directory's hidden base children as
// removed, the same filters and engine paths left out. Regular files are spooled (see
// WithTempDir).
func FromLayer(ctx context.Context, r io.Reader, base Base, opts ...Option) (*Tree, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	plain, closeFn, err := decompressedLayer(r)
	if err != nil {
		return nil, fmt.Errorf("reading layer: %w", err)
	}
	defer closeFn()
	sp, err := newSpool(o.tempDir)
	if err != nil {
		return nil, err
	}
	lr := &layerRead{o: o, r: newRules(o, true, true), base: base, sp: sp,
		entries: map[string]Entry{}, kept: map[string]Entry{}}
	t, err := lr.run(ctx, tar.NewReader(plain))
	if err != nil {
		sp.close()
		return nil, err
	}
	return t, nil
}

type layerRead struct {
	o         *options
	r         rules
	base      Base
	sp        *spool
	entries   map[string]Entry // every entry of the layer, by absolute path
	whiteouts []string         // paths the layer removes
	opaque    []string         // directories the layer makes opaque
	kept      map[string]Entry
	removed   []string
}

func (lr *layerRead) run(ctx context.Context, tr *tar.Reader) (*Tree, error) {
	if err := lr.read(ctx, tr); err != nil {
		return nil, err
	}
	if rd, ok := lr.base.(*ReverseDiff); ok {
		rd.layer = lr // what the reverse diff does not hold is as the layer's result has it
	}
	for _, p := range slices.Sorted(maps.Keys(lr.entries)) {
		if err := lr.consider(ctx, lr.entries[p]); err != nil {
			return nil, err
		}
	}
	if !lr.o.addedOnly {
		if err := lr.removals(ctx); err != nil {
			return nil, err
		}
	}
	lr.o.logger.Debug("layer delta", "entries", len(lr.entries), "kept", len(lr.kept), "removed", len(lr.removed))
	return finish(ctx, lr.kept, lr.removed, lr.parent, lr.sp)
}

// read takes in every header: whiteouts aside, entries (contents spooled) by path.
func (lr *layerRead) read(ctx context.Context, tr *tar.Reader) error {
	var n int64
	err := readLayer(ctx, tr, lr.sp, layerVisitor{
		opaque:   func(dir string) { lr.opaque = append(lr.opaque, dir) },
		whiteout: func(p string) { lr.whiteouts = append(lr.whiteouts, p) },
		entry: func(e Entry) {
			lr.entries[e.Path] = e
			if n++; n%1024 == 0 {
				lr.o.report(StageScan, n, 0)
			}
		},
	})
	if err != nil {
		return err
	}
	lr.o.report(StageScan, n, n)
	return nil
}

// consider keeps an entry the rules select that base lacks or that differs from base's.
func (lr *layerRead) consider(ctx context.Context, e Entry) error {
	p := e.Path
	if !lr.r.keep(p, p) {
		return nil
	}
	lo, err := lr.base.Lookup(ctx, p)
	if err != nil {
		return fmt.Errorf("looking up %s in the base: %w", p, err)
	}
	if lo == nil {
		if lr.engineMade(e) {
			return nil
		}
		lr.kept[p] = e
		return nil
	}
	if lr.o.addedOnly {
		return nil
	}
	same, err := sameEntry(ctx, e, *lo)
	if err != nil {
		return err
	}
	if !same {
		lr.kept[p] = e
	}
	return nil
}

// gone reports whether the layer's result lacks p: the layer whites out p or a directory
// holding it, or p is under a directory the layer makes opaque and the layer does not hold it.
func (lr *layerRead) gone(p string) bool {
	if _, ok := lr.entries[p]; ok {
		return false
	}
	for q := p; q != "/"; q = path.Dir(q) {
		if slices.Contains(lr.whiteouts, q) || q != p && slices.Contains(lr.opaque, q) {
			return true
		}
	}
	return false
}

// engineMade reports whether e, which base lacks, is one the engine made at container start
// (Podman's /etc/mtab link, its /run holding only /run/.containerenv), as FromOverlay does.
func (lr *layerRead) engineMade(e Entry) bool {
	if engineMtab(e.Path, e) {
		return true
	}
	if e.Path != "/run" || e.Type != tar.TypeDir {
		return false
	}
	var names []string
	for p := range lr.entries {
		if path.Dir(p) == "/run" {
			names = append(names, path.Base(p))
		}
	}
	return engineRunDir(e.Path, names)
}

// removals lists the base paths the layer's whiteouts and opaque directories remove.
func (lr *layerRead) removals(ctx context.Context) error {
	for _, p := range lr.whiteouts {
		if !lr.r.keep(p, p) {
			continue
		}
		lo, err := lr.base.Lookup(ctx, p)
		if err != nil {
			return fmt.Errorf("looking up %s in the base: %w", p, err)
		}
		if lo != nil {
			lr.removed = append(lr.removed, p)
		}
	}
	for _, dir := range lr.opaque {
		names, err := lr.base.ReadDir(ctx, dir)
		if err != nil {
			return fmt.Errorf("listing %s in the base: %w", dir, err)
		}
		for _, name := range names {
			p := path.Join(dir, name)
			if _, again := lr.entries[p]; !again && lr.r.keep(p, p) {
				lr.removed = append(lr.removed, p)
			}
		}
	}
	return nil
}

// parent returns the attributes of directory p: the layer's when it holds p, else base's.
func (lr *layerRead) parent(ctx context.Context, p string) (Entry, error) {
	if e, ok := lr.entries[p]; ok {
		return e, nil
	}
	lo, err := lr.base.Lookup(ctx, p)
	if err != nil {
		return Entry{}, err
	}
	if lo == nil {
		return Entry{}, fmt.Errorf("%s is in neither the layer nor the base", p)
	}
	return *lo, nil
}

// layerVisitor receives what readLayer finds: opaque directories, whited-out paths, entries.
type layerVisitor struct {
	opaque, whiteout func(string)
	entry            func(Entry)
}

// readLayer reads a layer tar's headers in order: OCI whiteouts go to v.opaque and v.whiteout,
// every other entry to v.entry, a regular file's content spooled in sp, a hard link resolved to
// the entry holding its content (which must come before it in the layer).
func readLayer(ctx context.Context, tr *tar.Reader, sp *spool, v layerVisitor) error {
	regs := map[string]Entry{}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading layer: %w", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		abs := path.Clean("/" + hdr.Name)
		if abs == "/" {
			continue
		}
		dir, name := path.Split(abs)
		switch {
		case name == whiteoutOpaque:
			v.opaque(path.Clean(dir))
			continue
		case strings.HasPrefix(name, whiteoutPrefix):
			v.whiteout(path.Join(dir, name[len(whiteoutPrefix):]))
			continue
		}
		e, err := entryFromHeader(abs, hdr)
		if err != nil {
			return err
		}
		switch e.Type {
		case tar.TypeReg:
			c, err := sp.add(tr)
			if err != nil {
				return fmt.Errorf("reading %s: %w", abs, err)
			}
			e.content, e.inode = c, abs
			regs[abs] = e
		case tar.TypeLink:
			te, ok := regs[path.Clean("/"+hdr.Linkname)]
			if !ok {
				return fmt.Errorf("reading %s: hard link to %s, which the layer does not hold before it: %w", abs, hdr.Linkname, ErrUnsupportedEntry)
			}
			te.Path = abs
			e = te
			regs[abs] = e
		}
		v.entry(e)
	}
}

var gzipMagic = []byte{0x1f, 0x8b}

// decompressedLayer undoes gzip (the usual layer compression) or zstd.
func decompressedLayer(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(len(gzipMagic))
	if bytes.Equal(head, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	}
	return decompressed(br)
}
