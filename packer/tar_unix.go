//go:build unix

package packer

import (
	"io/fs"
	"syscall"
)

type fileID struct{ dev, ino uint64 }

// identity returns the file's device and inode, and whether other names share them.
func identity(info fs.FileInfo) (fileID, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok || st.Nlink < 2 {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, true
}
