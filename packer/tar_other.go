//go:build !unix

package packer

import "io/fs"

type fileID struct{ dev, ino uint64 }

// identity reports no hard links where the platform does not expose inode numbers.
func identity(fs.FileInfo) (fileID, bool) { return fileID{}, false }
