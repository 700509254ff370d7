//go:build unix

package oci

import (
	"io/fs"
	"syscall"
)

// hardLinked returns the device and inode of a file with more than one name, so a base image
// stores its other names as hard links.
func hardLinked(fi fs.FileInfo) (dev, ino uint64, ok bool) {
	st, isStat := fi.Sys().(*syscall.Stat_t)
	if !isStat || st.Nlink < 2 {
		return 0, 0, false
	}
	return uint64(st.Dev), uint64(st.Ino), true
}
