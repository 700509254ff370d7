package launcher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// This file holds the tree operations of a workenv. Every one of them runs with the workenv's lock
// held.

// cleanStale removes staging and retired directories left by extractors that died: with the lock
// held nobody else can be using them.
func (l layout) cleanStale() error {
	ents, err := os.ReadDir(l.side)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "stage-") || strings.HasPrefix(n, "old-") {
			if err := os.RemoveAll(filepath.Join(l.side, n)); err != nil {
				return fmt.Errorf("removing stale staging directory: %w", err)
			}
		}
	}
	return nil
}

// stage makes a new private staging directory beside the workenv, on the same file system so
// that it can be renamed into place.
func (l layout) stage() (string, error) {
	return os.MkdirTemp(l.side, "stage-")
}

// invalidate removes the completion marker and every lazy-slot marker, so that from now on no
// run trusts the current tree.
func (l layout) invalidate() error {
	if err := os.Remove(l.completePath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	ents, err := os.ReadDir(l.side)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "slot-") {
			if err := os.Remove(filepath.Join(l.side, e.Name())); err != nil {
				return err
			}
		}
	}
	return syncDir(l.side)
}

// install renames the staging tree into place as the workenv, retiring whatever tree was there.
// The caller has invalidated the old tree first.
func (l layout) install(staging string) error {
	if err := os.Chmod(staging, 0o700); err != nil {
		return err
	}
	if _, err := os.Lstat(l.workenv); err == nil {
		old, err := os.MkdirTemp(l.side, "old-")
		if err != nil {
			return err
		}
		if err := os.Rename(l.workenv, filepath.Join(old, "tree")); err != nil {
			return fmt.Errorf("retiring the previous workenv: %w", err)
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(staging, l.workenv); err != nil {
		return err
	}
	return syncDir(filepath.Dir(l.workenv))
}

// markComplete writes the completion marker last: to a temporary file, fsync'd, renamed, and the
// directory fsync'd, so the marker is either absent or whole.
func (l layout) markComplete() error {
	return writeMarker(l.completePath(), l.digest+"\n")
}

func writeMarker(path, content string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|noFollow, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir fsyncs a directory so a rename in it survives a crash. Windows cannot open directories
// for syncing; there it is a no-op.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	d.Close()
	if err != nil && isSyncUnsupported(err) {
		return nil
	}
	return err
}

// placed records what a merge put into the destination, so an init slot can be removed exactly.
type placed struct {
	rel string
	dir bool // a whole directory that did not exist before
}

// merge moves the contents of src into dst: a directory that dst lacks is renamed in whole; one
// it has is merged into; files and links are renamed over what is there (so a running process
// never sees a half-written file). A symbolic link in dst where src has a directory is followed
// only when it resolves to a directory inside dst; anything else is ErrHostileEntry. It returns
// what it placed (paths relative to dst), shallowest first.
func merge(src, dst string) ([]placed, error) {
	root, err := filepath.EvalSymlinks(dst)
	if err != nil {
		return nil, err
	}
	var out []placed
	err = mergeDir(src, root, root, &out)
	return out, err
}

func mergeDir(srcDir, dstDir, root string, out *[]placed) error {
	ents, err := os.ReadDir(srcDir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		sp, dp := filepath.Join(srcDir, e.Name()), filepath.Join(dstDir, e.Name())
		rel, err := filepath.Rel(root, dp)
		if err != nil {
			return err
		}
		have, lerr := os.Lstat(dp)
		exists := lerr == nil
		if lerr != nil && !errors.Is(lerr, fs.ErrNotExist) {
			return lerr
		}
		if e.IsDir() && exists {
			switch {
			case have.IsDir():
				if err := mergeDir(sp, dp, root, out); err != nil {
					return err
				}
				continue
			case have.Mode()&fs.ModeSymlink != 0:
				to, err := filepath.EvalSymlinks(dp)
				if err != nil || !inside(to, root) {
					return fmt.Errorf("%w: %s is a symbolic link out of the workenv", ErrHostileEntry, filepath.ToSlash(rel))
				}
				if fi, err := os.Stat(to); err != nil || !fi.IsDir() {
					return fmt.Errorf("%w: %s is a symbolic link to a non-directory", ErrHostileEntry, filepath.ToSlash(rel))
				}
				if err := mergeDir(sp, to, root, out); err != nil {
					return err
				}
				continue
			}
		}
		if exists && (have.IsDir() || e.IsDir()) {
			// A file where the slot has a directory, or the reverse: the slot wins.
			if err := os.RemoveAll(dp); err != nil {
				return err
			}
		}
		if err := os.Rename(sp, dp); err != nil {
			return err
		}
		*out = append(*out, placed{rel: rel, dir: e.IsDir()})
	}
	return nil
}

// inside reports whether p is root or below it (both cleaned, symlinks resolved).
func inside(p, root string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// unplace removes exactly what merge placed, deepest first; directories it merged into stay.
func unplace(root string, ps []placed) error {
	for i := len(ps) - 1; i >= 0; i-- {
		p := filepath.Join(root, ps[i].rel)
		var err error
		if ps[i].dir {
			err = os.RemoveAll(p)
		} else {
			err = os.Remove(p)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
