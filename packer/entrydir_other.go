//go:build !unix

package packer

import (
	"errors"
	"io/fs"
	"os"
)

// entryDir is a directory an extraction makes entries in, as a Root of its own. Every name given
// to its methods is one path component the guard has checked.
type entryDir struct{ r *os.Root }

func openEntryDir(root *os.Root, dir string) (*entryDir, error) {
	r, err := root.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &entryDir{r}, nil
}

// child opens the directory leaf of d.
func (d *entryDir) child(leaf string) (*entryDir, error) {
	r, err := d.r.OpenRoot(leaf)
	if err != nil {
		return nil, err
	}
	return &entryDir{r}, nil
}

// create makes the file leaf in d, exclusively.
func (d *entryDir) create(leaf string) (*os.File, error) {
	return d.r.OpenFile(leaf, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

// mkdir makes the directory leaf in d (mode 0700: the entry's mode is applied at the end). A
// directory already there is kept; anything else there is removed first, as tar does.
func (d *entryDir) mkdir(leaf string) error {
	if st, err := d.r.Lstat(leaf); err == nil {
		if st.IsDir() {
			return nil
		}
		if err := d.r.Remove(leaf); err != nil {
			return err
		}
	}
	err := d.r.Mkdir(leaf, 0o700)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	return err
}

// symlink makes the symbolic link leaf in d pointing to target.
func (d *entryDir) symlink(target, leaf string) error { return d.r.Symlink(target, leaf) }

func (d *entryDir) Close() error { return d.r.Close() }

// chmod sets the directory's mode.
func (d *entryDir) chmod(mode fs.FileMode) error { return d.r.Chmod(".", mode) }
