//go:build unix

package launcher

import (
	"errors"

	"golang.org/x/sys/unix"
)

// isSyncUnsupported reports whether a directory fsync failed only because the file system does
// not support it.
func isSyncUnsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTSUP)
}
