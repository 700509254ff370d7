//go:build !linux

package delta

import (
	"archive/tar"
	"errors"
	"io/fs"
	"os"
)

// errNeedsLinux is returned where this package needs a Linux file-system call: building and
// applying deltas run on Linux (in or beside the container engine's VM).
var errNeedsLinux = errors.New("needs Linux (device nodes, extended attributes and overlay directories)")

func mknodAt(*os.File, string, *tar.Header) error { return errNeedsLinux }

func fsetxattr(*os.File, string, []byte) error { return errNeedsLinux }

type stat struct {
	mode         uint32
	uid, gid     int
	nlink        uint64
	dev, ino     uint64
	rdev         uint64
	major, minor int64
}

// statOf has no stat data to give off Linux; callers say so.
func statOf(fs.FileInfo) (stat, bool) { return stat{}, false }

func readXattrs(string) (map[string][]byte, error) { return nil, errNeedsLinux }
