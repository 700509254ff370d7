//go:build unix

package packer

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// entryDir is a directory an extraction makes entries in, held by its descriptor. It is opened
// through the extraction's Root, or from its open parent with O_NOFOLLOW, so it is inside the
// root either way. Every name given to its methods is one path component the guard has checked
// (never "." or ".."), so nothing they make or remove is outside it.
//
// Its operations are single system calls relative to the descriptor: os.Root walks a path from the
// top, one openat and close per component, for every call, and its OpenFile offers every file to
// the poller (four fcntl and a failing epoll_ctl); os.NewFile of a blocking descriptor costs one
// fcntl.
type entryDir struct {
	f  *os.File
	fd int
}

func openEntryDir(root *os.Root, dir string) (*entryDir, error) {
	f, err := root.Open(dir)
	if err != nil {
		return nil, err
	}
	return &entryDir{f: f, fd: int(f.Fd())}, nil
}

func (d *entryDir) openat(leaf string, flags int, mode uint32) (int, error) {
	for {
		fd, err := unix.Openat(d.fd, leaf, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// child opens the directory leaf of d; a symbolic link there is not followed (the caller then
// opens the path through the Root, which resolves it inside the root or refuses it).
func (d *entryDir) child(leaf string) (*entryDir, error) {
	fd, err := d.openat(leaf, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "openat", Path: leaf, Err: err}
	}
	return &entryDir{f: os.NewFile(uintptr(fd), leaf), fd: fd}, nil
}

// create makes the file leaf in d, exclusively: O_EXCL does not follow a symbolic link in the
// way, it fails with EEXIST.
func (d *entryDir) create(leaf string) (*os.File, error) {
	fd, err := d.openat(leaf, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o600)
	if err != nil {
		return nil, &fs.PathError{Op: "openat", Path: leaf, Err: err}
	}
	return os.NewFile(uintptr(fd), leaf), nil
}

// mkdir makes the directory leaf in d (mode 0700: the entry's mode is applied at the end). A
// directory already there is kept; anything else there is removed first, as tar does.
func (d *entryDir) mkdir(leaf string) error {
	err := unix.Mkdirat(d.fd, leaf, 0o700)
	if err == unix.EEXIST {
		var st unix.Stat_t
		if err = unix.Fstatat(d.fd, leaf, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
			if uint32(st.Mode)&unix.S_IFMT == unix.S_IFDIR {
				return nil
			}
			if err = unix.Unlinkat(d.fd, leaf, 0); err == nil {
				err = unix.Mkdirat(d.fd, leaf, 0o700)
			}
		}
	}
	if err != nil {
		return &fs.PathError{Op: "mkdirat", Path: leaf, Err: err}
	}
	return nil
}

// symlink makes the symbolic link leaf in d pointing to target; it fails with an error matching
// fs.ErrExist when something is in the way.
func (d *entryDir) symlink(target, leaf string) error {
	if err := unix.Symlinkat(target, d.fd, leaf); err != nil {
		return &os.LinkError{Op: "symlinkat", Old: target, New: leaf, Err: err}
	}
	return nil
}

func (d *entryDir) Close() error { return d.f.Close() }

// chmod sets the directory's mode on its descriptor.
func (d *entryDir) chmod(mode fs.FileMode) error { return d.f.Chmod(mode) }
