//go:build !unix

package packer

import (
	"io/fs"
	"os"
	"time"
)

// holdWorkingFile does nothing where there is no flock: see heldByWriter.
func holdWorkingFile(*os.File) error { return nil }

// heldByWriter cannot ask a lock where there is no flock: a working file changed in the last
// hour is taken for a live Write's (Write changes its files as it goes).
func heldByWriter(_ *os.File, fi fs.FileInfo) (bool, error) {
	return time.Since(fi.ModTime()) < time.Hour, nil
}
