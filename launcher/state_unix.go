//go:build unix

package launcher

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkPrivate requires a cache directory to belong to the effective user and to be writable by
// nobody else.
func checkPrivate(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return fmt.Errorf("%s belongs to uid %d, not to uid %d running the launcher: %w", path, st.Uid, uid, errForeignState)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s is writable by others (mode %04o): %w", path, fi.Mode().Perm(), errForeignState)
	}
	return nil
}

// noFollow is the open flag that refuses a symbolic link at the last component.
const noFollow = syscall.O_NOFOLLOW
