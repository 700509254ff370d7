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
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
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
// never sees a half-written file). It refuses to go through a symbolic link in dst. It returns
// what it placed, shallowest first.
func merge(src, dst string) ([]placed, error) {
	var out []placed
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		target := filepath.Join(dst, rel)
		have, lerr := os.Lstat(target)
		exists := lerr == nil
		if lerr != nil && !errors.Is(lerr, fs.ErrNotExist) {
			return lerr
		}
		if d.IsDir() {
			switch {
			case !exists:
				if err := os.Rename(p, target); err != nil {
					return err
				}
				out = append(out, placed{rel: rel, dir: true})
				return filepath.SkipDir
			case have.Mode()&fs.ModeSymlink != 0:
				return fmt.Errorf("%w: %s is a symbolic link in the workenv", ErrHostileEntry, filepath.ToSlash(rel))
			case have.IsDir():
				return nil
			}
			// A file stands where the slot has a directory: the slot wins.
			if err := os.Remove(target); err != nil {
				return err
			}
			if err := os.Rename(p, target); err != nil {
				return err
			}
			out = append(out, placed{rel: rel, dir: true})
			return filepath.SkipDir
		}
		if exists && have.IsDir() {
			if err := os.RemoveAll(target); err != nil {
				return err
			}
		}
		if err := os.Rename(p, target); err != nil {
			return err
		}
		out = append(out, placed{rel: rel})
		return nil
	})
	return out, err
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
