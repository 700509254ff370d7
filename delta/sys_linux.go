//go:build linux

package delta

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// The file-system calls of this file exist on Linux only (device nodes, xattrs, overlay stat
// fields); sys_other.go says "needs Linux" elsewhere, so flavor's read-only commands build for
// every system.

// mknodAt makes the device node or fifo hdr describes as name in the directory parent.
func mknodAt(parent *os.File, name string, hdr *tar.Header) error {
	mode := uint32(unix.S_IFIFO)
	switch hdr.Typeflag {
	case tar.TypeChar:
		mode = unix.S_IFCHR
	case tar.TypeBlock:
		mode = unix.S_IFBLK
	}
	dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
	return unix.Mknodat(int(parent.Fd()), name, mode|0o600, int(dev))
}

func fsetxattr(f *os.File, key string, val []byte) error {
	return unix.Fsetxattr(int(f.Fd()), key, val, 0)
}

// stat is what this package reads of a file's stat data.
type stat struct {
	mode         uint32
	uid, gid     int
	nlink        uint64
	dev, ino     uint64
	rdev         uint64
	major, minor int64
}

func statOf(fi fs.FileInfo) (stat, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return stat{}, false
	}
	return stat{
		mode: st.Mode, uid: int(st.Uid), gid: int(st.Gid), nlink: uint64(st.Nlink),
		dev: uint64(st.Dev), ino: st.Ino, rdev: uint64(st.Rdev),
		major: int64(unix.Major(uint64(st.Rdev))), minor: int64(unix.Minor(uint64(st.Rdev))),
	}, true
}

// readXattrs returns the extended attributes of p (not following symlinks) that this package
// cares about; a filesystem without xattr support has none.
func readXattrs(p string) (map[string][]byte, error) {
	size, err := unix.Llistxattr(p, nil)
	if err != nil {
		if errors.Is(err, unix.ENOTSUP) {
			return nil, nil
		}
		return nil, fmt.Errorf("listing xattrs of %s: %w", p, err)
	}
	if size == 0 {
		return nil, nil
	}
	buf := make([]byte, size)
	n, err := unix.Llistxattr(p, buf)
	if err != nil {
		return nil, fmt.Errorf("listing xattrs of %s: %w", p, err)
	}
	var out map[string][]byte
	for name := range bytes.SplitSeq(buf[:n], []byte{0}) {
		key := string(name)
		if key != xattrCapability && !slices.Contains(opaqueXattrs, key) && !slices.Contains(unsupportedXattrs, key) {
			continue
		}
		val, err := getXattr(p, key)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string][]byte{}
		}
		out[key] = val
	}
	return out, nil
}

func getXattr(p, key string) ([]byte, error) {
	for size := 64; ; size *= 4 {
		buf := make([]byte, size)
		n, err := unix.Lgetxattr(p, key, buf)
		if errors.Is(err, unix.ERANGE) && size < 1<<20 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading xattr %s of %s: %w", key, p, err)
		}
		return buf[:n], nil
	}
}
