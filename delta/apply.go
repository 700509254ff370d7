package delta

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// Apply extracts an artifact (a tar stream, zstd-compressed or not) into dir, keeping numeric
// owners, modes with setuid/setgid/sticky, symlinks, hard links, device nodes and the
// security.capability xattr. An entry replaces whatever dir holds at its path, except that a
// directory over a directory only takes its attributes: applying artifacts one after another
// layers them, later over earlier. Entries that would land outside dir, through ".." or through
// a symlink, are refused with ErrUnsafePath. Symlinks keep the time of their extraction.
func Apply(ctx context.Context, dir string, r io.Reader, opts ...Option) error {
	o, err := makeOptions(opts)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("applying artifact to %s: %w", dir, err)
	}
	defer root.Close()
	plain, closeFn, err := decompressed(r)
	if err != nil {
		return fmt.Errorf("applying artifact to %s: %w", dir, err)
	}
	defer closeFn()
	a := &applier{root: root}
	tr := tar.NewReader(plain)
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
			return fmt.Errorf("applying artifact to %s: %w", dir, err)
		}
		if err := a.entry(hdr, tr); err != nil {
			return fmt.Errorf("applying %s to %s: %w", hdr.Name, dir, unsafePath(err))
		}
		n++
		o.report(StageApply, n, 0)
	}
	if err := a.finishDirs(); err != nil {
		return fmt.Errorf("applying artifact to %s: %w", dir, unsafePath(err))
	}
	return nil
}

// RemovePaths deletes the paths an artifact lists as removed (absolute or relative to dir) from
// dir, for building a root from artifacts that delete what earlier ones shipped. Missing paths
// are not an error.
func RemovePaths(ctx context.Context, dir string, removed []string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("removing paths from %s: %w", dir, err)
	}
	defer root.Close()
	for _, p := range removed {
		if err := ctx.Err(); err != nil {
			return err
		}
		name, err := relName(p)
		if err != nil {
			return fmt.Errorf("removing %s from %s: %w", p, dir, err)
		}
		if name == "." {
			continue
		}
		if err := root.RemoveAll(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing %s from %s: %w", p, dir, unsafePath(err))
		}
	}
	return nil
}

// relName turns an entry name into a clean name relative to the target directory, refusing
// names that climb out of it.
func relName(name string) (string, error) {
	rel := path.Clean(strings.TrimLeft(name, "/"))
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("name %q: %w", name, ErrUnsafePath)
	}
	return rel, nil
}

// unsafePath marks os.Root's refusal to follow a path out of the root as ErrUnsafePath. os does
// not export that error, so it is recognised by its text.
func unsafePath(err error) error {
	if err != nil && !errors.Is(err, ErrUnsafePath) && strings.Contains(err.Error(), "path escapes from parent") {
		return fmt.Errorf("%w: %w", ErrUnsafePath, err)
	}
	return err
}

type applier struct {
	root *os.Root
	dirs []*tar.Header // directories, whose attributes are set after their contents
}

func (a *applier) entry(hdr *tar.Header, body io.Reader) error {
	name, err := relName(hdr.Name)
	if err != nil || name == "." {
		return err
	}
	if isSparse(hdr) {
		return fmt.Errorf("sparse file: %w", ErrUnsupportedEntry)
	}
	isDir := hdr.Typeflag == tar.TypeDir
	if err := a.clear(name, isDir); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := a.root.Mkdir(name, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		h := *hdr
		h.Name = name
		a.dirs = append(a.dirs, &h)
		return nil
	case tar.TypeReg: // archive/tar reports old TypeRegA entries as TypeReg
		return a.file(name, hdr, body)
	case tar.TypeSymlink:
		if err := a.root.Symlink(hdr.Linkname, name); err != nil {
			return err
		}
		return a.root.Lchown(name, hdr.Uid, hdr.Gid)
	case tar.TypeLink:
		target, err := relName(hdr.Linkname)
		if err != nil {
			return err
		}
		return a.root.Link(target, name)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		if err := a.node(name, hdr); err != nil {
			return err
		}
		return a.attrs(name, hdr)
	default:
		return fmt.Errorf("tar type %q: %w", hdr.Typeflag, ErrUnsupportedEntry)
	}
}

// clear removes what stands at name, unless a directory meets a directory.
func (a *applier) clear(name string, isDir bool) error {
	fi, err := a.root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		if isDir {
			return nil
		}
		return a.root.RemoveAll(name)
	}
	return a.root.Remove(name)
}

func (a *applier) file(name string, hdr *tar.Header, body io.Reader) error {
	f, err := a.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, body); err != nil {
		f.Close()
		return err
	}
	// chown clears setuid bits and capabilities, so it comes first.
	err = errors.Join(f.Chown(hdr.Uid, hdr.Gid), f.Chmod(fileMode(hdr.Mode)), setCapability(f, hdr))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return a.root.Chtimes(name, hdr.ModTime, hdr.ModTime)
}

// node makes a device node or a fifo, through its parent directory's descriptor so the path is
// resolved inside the root.
func (a *applier) node(name string, hdr *tar.Header) error {
	parent, err := a.root.Open(path.Dir(name))
	if err != nil {
		return err
	}
	defer parent.Close()
	if err := mknodAt(parent, path.Base(name), hdr); err != nil {
		return &fs.PathError{Op: "mknodat", Path: name, Err: err}
	}
	return nil
}

// attrs sets owner, mode, capability and mtime of an entry that is not a symlink.
func (a *applier) attrs(name string, hdr *tar.Header) error {
	if err := a.root.Lchown(name, hdr.Uid, hdr.Gid); err != nil {
		return err
	}
	if err := a.root.Chmod(name, fileMode(hdr.Mode)); err != nil {
		return err
	}
	if _, ok := hdr.PAXRecords[paxXattr+xattrCapability]; ok && hdr.Typeflag == tar.TypeDir {
		f, err := a.root.Open(name)
		if err != nil {
			return err
		}
		err = setCapability(f, hdr)
		f.Close()
		if err != nil {
			return err
		}
	}
	return a.root.Chtimes(name, hdr.ModTime, hdr.ModTime)
}

// finishDirs sets directories' attributes, deepest first, once nothing more is written in them.
func (a *applier) finishDirs() error {
	for _, hdr := range slices.Backward(a.dirs) {
		if err := a.attrs(hdr.Name, hdr); err != nil {
			return fmt.Errorf("setting attributes of %s: %w", hdr.Name, err)
		}
	}
	return nil
}

func setCapability(f *os.File, hdr *tar.Header) error {
	c, ok := hdr.PAXRecords[paxXattr+xattrCapability]
	if !ok {
		return nil
	}
	if err := fsetxattr(f, xattrCapability, []byte(c)); err != nil {
		return &fs.PathError{Op: "setxattr " + xattrCapability, Path: hdr.Name, Err: err}
	}
	return nil
}

// fileMode converts tar permission bits (with setuid, setgid, sticky) to an fs.FileMode.
func fileMode(m int64) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
