package launcher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The cache holds state the launcher trusts: completion markers, launch records, locks and the
// trees themselves. It trusts them only in directories that are its own: <cache>/workenv, the
// side directory of each workenv and .launch must be real directories (never symbolic links),
// owned by the user running the launcher and writable by nobody else (Unix), so nobody else can
// place a link or a tree there. State files are opened without following links.

// errForeignState means a directory of the cache is a link, not a directory, or not private.
var errForeignState = errors.New("not a private directory of this user")

// checkStateDir checks one directory of the cache.
func checkStateDir(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link: %w", path, errForeignState)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory: %w", path, errForeignState)
	}
	return checkPrivate(path, fi)
}

// stateDirsOK is the warm path's check: the workenv folder and the side directory are private
// directories and the tree is a directory (not a link). Four lstat calls; anything unusual sends
// the run down the cold path, which says what is wrong.
func (l layout) stateDirsOK() bool {
	if checkStateDir(filepath.Dir(l.workenv)) != nil || checkStateDir(l.side) != nil {
		return false
	}
	fi, err := os.Lstat(l.workenv)
	return err == nil && fi.IsDir()
}

// checkState is the cold path's check, after the directories were created: it names what is wrong.
func (l layout) checkState() error {
	for _, d := range []string{filepath.Dir(l.workenv), l.side} {
		if err := checkStateDir(d); err != nil {
			return err
		}
	}
	if fi, err := os.Lstat(l.workenv); err == nil && !fi.IsDir() {
		return fmt.Errorf("%s is not a directory: %w", l.workenv, errForeignState)
	}
	return nil
}

// treeMissing reports whether the workenv tree is gone while its completion marker is there.
func (l layout) treeMissing() bool {
	_, err := os.Lstat(l.workenv)
	return errors.Is(err, fs.ErrNotExist) && l.complete()
}
