package packer

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// tarGuard decides, entry by entry, whether a tar entry may be written under the destination
// root. It tracks the archive's own symlinks and regular files, and looks at what is already on
// disk, so it can refuse an entry before anything is written.
type tarGuard struct {
	root     *os.Root
	base     string            // where the archive unpacks, relative to the root ("." or "opt")
	symlinks map[string]string // archive symlinks: root-relative path → link target
	regular  map[string]bool   // archive regular files, root-relative
	dirOK    map[string]error  // cached disk checks of parent directories
	made     map[string]bool   // directories the extraction made or kept: real, inside the root
}

func newTarGuard(root *os.Root, base string) *tarGuard {
	return &tarGuard{root: root, base: base, symlinks: map[string]string{}, regular: map[string]bool{},
		dirOK: map[string]error{}, made: map[string]bool{}}
}

// unsafe builds the refusal error.
func unsafe(entry, format string, args ...any) error {
	return fmt.Errorf("entry %q: %s: %w", entry, fmt.Sprintf(format, args...), ErrUnsafeEntry)
}

// localPath checks an archive path and returns it cleaned and relative ("" for the archive root
// itself). It refuses absolute paths, ".." components and names the OS would not treat as local.
func localPath(entry, p string) (string, error) {
	if p == "" || strings.ContainsRune(p, 0) {
		return "", unsafe(entry, "empty name or NUL byte")
	}
	if strings.HasPrefix(p, "/") || filepath.IsAbs(p) || filepath.VolumeName(p) != "" {
		return "", unsafe(entry, "absolute path %q", p)
	}
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return "", unsafe(entry, "%q has a \"..\" component", p)
		}
	}
	clean := path.Clean(p)
	if clean == "." {
		return "", nil
	}
	if !filepath.IsLocal(filepath.FromSlash(clean)) {
		return "", unsafe(entry, "%q is not a local path on this system", p)
	}
	return clean, nil
}

// A guard with a nil root checks the archive alone (pack time, verify): nothing is on disk.

// check returns the root-relative name to write h at, "" to skip it (the archive root entry), or
// an error wrapping ErrUnsafeEntry.
func (g *tarGuard) check(h *tar.Header) (string, error) {
	rel, err := localPath(h.Name, h.Name)
	if err != nil {
		return "", err
	}
	if rel == "" {
		if h.Typeflag != tar.TypeDir {
			return "", unsafe(h.Name, "names the destination itself")
		}
		return "", nil
	}
	name := path.Join(g.base, rel)
	if through := g.viaArchiveSymlink(name, true); through != "" {
		return "", unsafe(h.Name, "passes through or replaces the symlink %q", through)
	}
	if err := g.parentOnDisk(h.Name, path.Dir(name)); err != nil {
		return "", err
	}
	switch h.Typeflag {
	case tar.TypeDir:
		delete(g.regular, name) // it replaces a file of that name
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		g.regular[name] = true
	case tar.TypeSymlink:
		if err := g.checkSymlink(h.Name, name, h.Linkname); err != nil {
			return "", err
		}
		g.symlinks[name] = h.Linkname
	case tar.TypeLink:
		target, err := localPath(h.Name, h.Linkname)
		if err != nil || target == "" {
			return "", unsafe(h.Name, "hard link to %q leaves the destination", h.Linkname)
		}
		target = path.Join(g.base, target)
		if through := g.viaArchiveSymlink(target, true); through != "" {
			return "", unsafe(h.Name, "hard link target %q passes through the symlink %q", h.Linkname, through)
		}
		if !g.regular[target] {
			return "", unsafe(h.Name, "hard link target %q is not an earlier regular file of the archive", h.Linkname)
		}
		g.regular[name] = true
	case tar.TypeChar, tar.TypeBlock:
		return "", unsafe(h.Name, "device node")
	case tar.TypeFifo:
		return "", unsafe(h.Name, "fifo")
	default:
		return "", unsafe(h.Name, "unsupported entry type %q", h.Typeflag)
	}
	return name, nil
}

// viaArchiveSymlink returns the archive symlink that name passes through (a proper prefix) or,
// when self is set, is; "" when there is none.
func (g *tarGuard) viaArchiveSymlink(name string, self bool) string {
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			if _, ok := g.symlinks[name[:i]]; ok {
				return name[:i]
			}
		}
	}
	if _, ok := g.symlinks[name]; ok && self {
		return name
	}
	return ""
}

// parentOnDisk refuses a parent directory that, on disk, resolves outside the root (through a
// symlink already there) or is not a directory. Results are cached per directory.
func (g *tarGuard) parentOnDisk(entry, dir string) error {
	if dir == "." || g.root == nil {
		return nil
	}
	if g.regular[dir] { // known without the disk, where the file may still be in flight (asyncFiles)
		return unsafe(entry, "parent directory: %q is a file of the archive", dir)
	}
	err, seen := g.dirOK[dir]
	if !seen {
		st, serr := g.root.Stat(dir)
		switch {
		case serr == nil && !st.IsDir():
			err = fmt.Errorf("%q exists and is not a directory", dir)
		case serr != nil && !errors.Is(serr, fs.ErrNotExist):
			err = serr
		}
		g.dirOK[dir] = err
	}
	if err != nil {
		return unsafe(entry, "parent directory: %v", err)
	}
	return nil
}

// madeDir records that dir is now a directory the extraction made or kept: a real directory
// inside the root, so entries in it need no look at the disk.
func (g *tarGuard) madeDir(dir string) {
	g.dirOK[dir] = nil
	g.made[dir] = true
}

// checkSymlink refuses a symlink whose target, resolved from the link's directory and through
// the archive's symlinks and those already on disk, leaves the root.
func (g *tarGuard) checkSymlink(entry, name, target string) error {
	if target == "" || strings.ContainsRune(target, 0) {
		return unsafe(entry, "empty symlink target")
	}
	if strings.HasPrefix(target, "/") || filepath.IsAbs(target) || filepath.VolumeName(target) != "" {
		return unsafe(entry, "symlink to the absolute path %q", target)
	}
	if !g.resolvesInside(path.Dir(name), target) {
		return unsafe(entry, "symlink to %q leaves the destination", target)
	}
	return nil
}

// resolvesInside walks target from dir component by component, replacing symlinks (the
// archive's, then the disk's) by their targets, and reports whether it never climbs above the
// root. More than 40 link hops counts as leaving.
func (g *tarGuard) resolvesInside(dir, target string) bool {
	var stack []string
	if dir != "." {
		stack = strings.Split(dir, "/")
	}
	todo := strings.Split(target, "/")
	hops := 0
	absent := ""
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return false
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, c)
		cur := strings.Join(stack, "/")
		link, ok := g.symlinks[cur]
		// The disk is looked at unless cur is a directory the extraction made or a regular file
		// of the archive (which replaces whatever is there), or is below a path this walk found
		// missing (nothing is written while it runs).
		if !ok && g.root != nil && !g.made[cur] && !g.regular[cur] && (absent == "" || !strings.HasPrefix(cur, absent+"/")) {
			fi, err := g.root.Lstat(cur)
			switch {
			case err == nil && fi.Mode()&fs.ModeSymlink != 0:
				if link, err = g.root.Readlink(cur); err != nil {
					return false
				}
				ok = true
			case errors.Is(err, fs.ErrNotExist):
				absent = cur
			}
		}
		if !ok {
			continue
		}
		if hops++; hops > 40 || strings.HasPrefix(link, "/") || filepath.IsAbs(link) || filepath.VolumeName(link) != "" {
			return false
		}
		stack = stack[:len(stack)-1]
		todo = append(strings.Split(link, "/"), todo...)
	}
	return true
}
