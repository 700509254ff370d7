//go:build !unix

package oci

import "io/fs"

// hardLinked finds no hard links where file-system stat data has no inode numbers: each name is
// stored as its own file.
func hardLinked(fs.FileInfo) (dev, ino uint64, ok bool) { return 0, 0, false }
