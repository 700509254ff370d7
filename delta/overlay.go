package delta

import (
	"archive/tar"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Overlay names the directories of a container on an overlay filesystem, as a local engine
// reports them (Docker: GraphDriver.Data.UpperDir and LowerDir).
type Overlay struct {
	Upper  string   // the container's own change set, whiteouts included
	Lowers []string // the builder's layers, top first
}

// ParseOverlay builds an Overlay from an upper dir and a colon-separated lower dir list, the
// form `docker inspect` gives.
func ParseOverlay(upper, lowerDir string) Overlay {
	ov := Overlay{Upper: upper}
	if lowerDir != "" {
		ov.Lowers = strings.Split(lowerDir, ":")
	}
	return ov
}

// FromOverlay computes the delta of a finished container from its overlay directories. It walks
// only the upper directory and looks up the lower counterpart of each entry, so its cost grows
// with the size of the change, not of the base. The upper directory must stay in place until the
// tree has been written.
func FromOverlay(ctx context.Context, ov Overlay, opts ...Option) (*Tree, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	w := &overlayWalk{
		o: o, r: newRules(o, true, true), upper: ov.Upper, lower: newLayers(ov.Lowers),
		kept: map[string]Entry{}, dirs: map[string]Entry{},
	}
	root, err := os.Lstat(ov.Upper)
	if err != nil {
		return nil, fmt.Errorf("reading upper directory: %w", err)
	}
	if !root.IsDir() {
		return nil, fmt.Errorf("reading upper directory %s: not a directory", ov.Upper)
	}
	x, err := readXattrs(ov.Upper)
	if err != nil {
		return nil, err
	}
	if err := w.walkDir(ctx, "/", isOpaque(x)); err != nil {
		return nil, fmt.Errorf("reading overlay %s: %w", ov.Upper, err)
	}
	o.report(StageScan, w.seen, w.seen)
	o.logger.Debug("overlay delta", "upper", ov.Upper, "seen", w.seen, "kept", len(w.kept), "removed", len(w.removed))
	return finish(ctx, w.kept, w.removed, w.parent, nil)
}

type overlayWalk struct {
	o       *options
	r       rules
	upper   string
	lower   *layers
	kept    map[string]Entry
	dirs    map[string]Entry // every upper directory walked, for parents' attributes
	removed []string
	seen    int64
}

func (w *overlayWalk) walkDir(ctx context.Context, dir string, opaque bool) error {
	ents, err := os.ReadDir(filepath.Join(w.upper, dir))
	if err != nil {
		return err
	}
	if opaque && !w.o.addedOnly {
		if err := w.hiddenByOpaque(dir, ents); err != nil {
			return err
		}
	}
	for _, ent := range ents {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := path.Join(dir, ent.Name())
		if w.r.skipTree(p) {
			continue
		}
		w.seen++
		if w.seen%1024 == 0 {
			w.o.report(StageScan, w.seen, 0)
		}
		if err := w.visit(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// hiddenByOpaque lists as removed the lower children of an opaque directory the upper one does
// not hold again.
func (w *overlayWalk) hiddenByOpaque(dir string, upper []os.DirEntry) error {
	names, err := w.lower.readDir(dir)
	if err != nil {
		return err
	}
	present := make(map[string]bool, len(upper))
	for _, ent := range upper {
		present[ent.Name()] = true
	}
	for _, name := range names {
		if p := path.Join(dir, name); !present[name] && w.r.keep(p, p) {
			w.removed = append(w.removed, p)
		}
	}
	return nil
}

func (w *overlayWalk) visit(ctx context.Context, p string) error {
	host := filepath.Join(w.upper, p)
	fi, err := os.Lstat(host)
	if err != nil {
		return err
	}
	keep := w.r.keep(p, p)
	if w.r.system {
		if engine, err := w.engineMade(p, host, fi); err != nil || engine {
			return err
		}
	}
	if isWhiteout(fi) {
		if keep && !w.o.addedOnly {
			lo, err := w.lower.lookup(p)
			if err != nil {
				return err
			}
			if lo != nil {
				w.removed = append(w.removed, p)
			}
		}
		return nil
	}
	up, x, err := entryFromFile(p, host, fi)
	if err != nil {
		return err
	}
	if up == nil {
		w.o.logger.Debug("skipping socket", "path", p)
		return nil
	}
	for _, k := range unsupportedXattrs {
		if _, ok := x[k]; ok {
			return fmt.Errorf("reading %s: %s is set: %w", p, k, ErrUnsupportedOverlay)
		}
	}
	if up.Type == tar.TypeDir {
		w.dirs[p] = *up
	}
	if keep {
		changed, err := w.changed(ctx, *up)
		if err != nil {
			return err
		}
		if changed {
			w.kept[p] = *up
		}
	}
	if up.Type == tar.TypeDir {
		return w.walkDir(ctx, p, isOpaque(x))
	}
	return nil
}

// engineMade reports whether the upper entry p is one the engine made at container start where
// the image has none (Podman's /etc/mtab symlink, and its /run holding only /run/.containerenv),
// so the walk leaves it out.
func (w *overlayWalk) engineMade(p, host string, fi fs.FileInfo) (bool, error) {
	switch p {
	case "/etc/mtab":
		if fi.Mode()&fs.ModeSymlink == 0 {
			return false, nil
		}
		target, err := os.Readlink(host)
		if err != nil || !engineMtab(p, Entry{Type: tar.TypeSymlink, Linkname: target}) {
			return false, err
		}
	case "/run":
		if !fi.IsDir() {
			return false, nil
		}
		ents, err := os.ReadDir(host)
		if err != nil {
			return false, err
		}
		names := make([]string, len(ents))
		for i, e := range ents {
			names[i] = e.Name()
		}
		if !engineRunDir(p, names) {
			return false, nil
		}
	default:
		return false, nil
	}
	lo, err := w.lower.lookup(p)
	return lo == nil, err
}

// changed compares an upper entry with its lower counterpart.
func (w *overlayWalk) changed(ctx context.Context, up Entry) (bool, error) {
	lo, err := w.lower.lookup(up.Path)
	if err != nil || lo == nil {
		return lo == nil, err
	}
	if w.o.addedOnly {
		return false, nil
	}
	le, _, err := entryFromFile(up.Path, lo.host, lo.info)
	if err != nil || le == nil {
		return true, err
	}
	same, err := sameEntry(ctx, up, *le)
	return !same, err
}

// parent returns the attributes of directory p: from the upper directory when it is there (it
// always is for parents of upper entries), else from the lower view.
func (w *overlayWalk) parent(_ context.Context, p string) (Entry, error) {
	if e, ok := w.dirs[p]; ok {
		return e, nil
	}
	lo, err := w.lower.lookup(p)
	if err != nil {
		return Entry{}, err
	}
	if lo == nil {
		return Entry{}, fs.ErrNotExist
	}
	e, _, err := entryFromFile(p, lo.host, lo.info)
	if err != nil {
		return Entry{}, err
	}
	if e == nil {
		return Entry{}, fmt.Errorf("%s is a socket", p)
	}
	return *e, nil
}

// entryFromFile describes the file at host as the entry p, with the xattrs read from it. A socket
// has no entry (nil).
func entryFromFile(p, host string, fi fs.FileInfo) (*Entry, map[string][]byte, error) {
	st, ok := statOf(fi)
	if !ok {
		return nil, nil, fmt.Errorf("reading %s: no stat data (reading overlay directories needs Linux)", host)
	}
	e := &Entry{
		Path: p, Mode: int64(st.mode & 0o7777), UID: st.uid, GID: st.gid,
		ModTime: fi.ModTime(),
	}
	m := fi.Mode()
	switch {
	case m.IsRegular():
		e.Type, e.Size, e.content = tar.TypeReg, fi.Size(), fileContent(host)
		if st.nlink > 1 {
			e.inode = fmt.Sprintf("%d:%d", st.dev, st.ino)
		}
	case m.IsDir():
		e.Type = tar.TypeDir
	case m&fs.ModeSymlink != 0:
		target, err := os.Readlink(host)
		if err != nil {
			return nil, nil, err
		}
		e.Type, e.Linkname = tar.TypeSymlink, target
	case m&fs.ModeNamedPipe != 0:
		e.Type = tar.TypeFifo
	case m&fs.ModeDevice != 0:
		e.Type = tar.TypeBlock
		if m&fs.ModeCharDevice != 0 {
			e.Type = tar.TypeChar
		}
		e.Devmajor, e.Devminor = st.major, st.minor
	default:
		return nil, nil, nil
	}
	var x map[string][]byte
	if e.Type != tar.TypeSymlink {
		var err error
		if x, err = readXattrs(host); err != nil {
			return nil, nil, err
		}
		if c, ok := x[xattrCapability]; ok {
			e.Xattrs = map[string]string{xattrCapability: string(c)}
		}
	}
	return e, x, nil
}
